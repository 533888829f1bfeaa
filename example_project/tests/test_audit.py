"""The fluxems site passes its own audit: every page of its sitemap, on a live port, stores
nothing but the strictly necessary and asks no other origin for anything, before a choice and
after “Reject all”."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from example_project.tests.test_browser import CHROMIUM, _missing, site  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_example_passes_its_own_audit(site: str, tmp_path: Path) -> None:  # noqa: F811
    reason = _missing()
    if reason is not None:
        pytest.skip(reason)
    out, json_file, html = io.StringIO(), tmp_path / "audit.json", tmp_path / "html"
    call_command(
        "cookieconsent_audit",
        *("--base-url", site, "--sitemap", "--json", str(json_file), "--browser", str(CHROMIUM)),
        *("--html", str(html)),
        # Eight browser contexts at once: on a crowded machine a step may take longer than
        # the default 15 s (the scanner's tests prove the timeout itself).
        *("--timeout", "60"),
        stdout=out,
    )  # no CommandError: exit status 0
    text = out.getvalue()
    assert text.startswith(f"{site}/\n  Before a choice:\n    nothing stored, no request to")
    assert text.endswith("Audited 4 pages: 4 passed.\n")
    report: dict[str, Any] = json.loads(json_file.read_text())
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
    # The HTML report, with its screenshots: the banner as the audit found it is the docs'.
    assert "passed" in (html / "index.html").read_text()
    banner = html / "01-undecided-banner.png"
    assert banner.stat().st_size > 5_000
    if os.environ.get("COOKIECONSENT_UPDATE_SCREENSHOTS") == "1":
        shutil.copy(
            banner, Path(__file__).resolve().parents[2] / "docs/screenshots/audit-banner.png"
        )
