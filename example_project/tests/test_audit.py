"""The fluxems site passes its own audit: every page of its sitemap, on a live port, stores
nothing but the strictly necessary and asks no other origin for anything, before a choice and
after “Reject all”."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command

from example_project.tests.test_browser import CHROMIUM, _missing, site  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_example_passes_its_own_audit(site: str) -> None:  # noqa: F811
    reason = _missing()
    if reason is not None:
        pytest.skip(reason)
    out = io.StringIO()
    call_command(
        "cookieconsent_audit",
        *("--base-url", site, "--sitemap", "--json", "-", "--browser", str(CHROMIUM)),
        stdout=out,
    )  # no CommandError: exit status 0
    report: dict[str, Any] = json.loads(out.getvalue())
    assert report["passed"]
    pages = report["pages"]
    assert [p["url"] for p in pages] == [
        f"{site}/",
        f"{site}/workspace/",
        f"{site}/signin/",
        f"{site}/cookies/policy/",
    ]
    for page in pages:
        assert (page["problems"], page["errors"]) == ([], [])
        states = page["states"]
        assert states["undecided"]["cookies"] == [] or all(
            c["required"] for c in states["undecided"]["cookies"]
        )
        rejected = {c["name"]: c for c in states["rejected"]["cookies"]}
        accepted = {c["name"]: c for c in states["accepted"]["cookies"]}
        assert rejected["cookieconsent"]["category"] == "necessary"
        assert "_stat" not in rejected
        assert (accepted["_stat"]["category"], accepted["_stat"]["required"]) == (
            "analytics",
            False,
        )
        for state in states.values():
            assert state["requests"] == [] and state["local_storage"] == []
