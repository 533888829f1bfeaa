"""The scanner against the fluxems site on a live port: its sitemap, before and after
“Accept all”."""

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


def test_the_sitemap_before_and_after_accepting_all(site: str) -> None:  # noqa: F811
    reason = _missing()
    if reason is not None:
        pytest.skip(reason)
    out = io.StringIO()
    call_command(
        "cookieconsent_scan", "--base-url", site, "--json", "--browser", str(CHROMIUM), stdout=out
    )
    pages: list[dict[str, Any]] = json.loads(out.getvalue())
    assert [p["url"] for p in pages] == [
        f"{site}/",
        f"{site}/workspace/",
        f"{site}/signin/",
        f"{site}/cookies/policy/",
    ]
    for page in pages:
        assert page["accepted"] and not page["error"]
        before = {f["name"] for f in page["findings"] if f["phase"] == "before"}
        after = {f["name"]: f for f in page["findings"] if f["phase"] == "after"}
        assert "_stat" not in before  # the canary, before a choice
        assert after["_stat"]["category"] == "analytics"
        assert (after["_stat"]["via"], after["_stat"]["party"]) == ("header", "first")
        assert after["cookieconsent"]["required"]
        assert page["undeclared"] == [] and page["before_choice"] == []
