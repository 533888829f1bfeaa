"""``cookieconsent_scan`` in a real Chromium against the example site on a live port."""

from __future__ import annotations

import io
import json
import os
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cookieconsent.models import Sighting, UndeclaredCookie
from tests.test_browser import CHROMIUM, site  # noqa: F401  (the live example site)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def chromium() -> None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "the scan extra is not installed: pip install 'cookieconsent[scan]'"
    else:
        reason = "" if CHROMIUM else "Chromium is not installed"
    if reason:
        if os.environ.get("COOKIECONSENT_REQUIRE_BROWSER") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


def scan(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("cookieconsent_scan", *args, "--browser", str(CHROMIUM), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_example_sitemap_scanned_before_and_after_accepting(site: str) -> None:  # noqa: F811
    out, err = scan("--base-url", site, "--json")
    pages: list[dict[str, Any]] = json.loads(out)
    assert [p["url"] for p in pages] == [
        f"{site}/",
        f"{site}/workspace/",
        f"{site}/signin/",
        f"{site}/cookies/policy/",
    ]
    home = pages[0]
    assert home["accepted"] and not home["error"]
    before = {f["name"] for f in home["findings"] if f["phase"] == "before"}
    after = {f["name"]: f for f in home["findings"] if f["phase"] == "after"}
    assert "_stat" not in before  # the canary, before a choice
    assert after["_stat"]["category"] == "analytics"
    assert after["_stat"]["via"] == "header"
    assert after["_stat"]["party"] == "first"
    assert after["cookieconsent"]["required"]
    assert all(not p["undeclared"] and not p["before_choice"] for p in pages)
    assert err == ""  # no progress bar when stderr is not a terminal


def test_a_page_that_sets_undeclared_things_with_its_script(
    site: str,  # noqa: F811
    categories: Any,
) -> None:
    with pytest.raises(CommandError, match=r"Undeclared: js_tracker, tab_state\."):
        scan(f"{site}/t/scripted/", "--fail-on-undeclared")
    out, _ = scan(f"{site}/t/scripted/")
    assert "js_tracker" in out and "first-party script cookie" in out
    assert "Not essential, present before a choice: js_tracker, tab_state, ui." in out
    found = dict(UndeclaredCookie.objects.values_list("name", "technology"))
    assert found == {"js_tracker": "cookie", "tab_state": "session_storage"}
    storage = UndeclaredCookie.objects.get(name="tab_state")
    assert (storage.source, storage.sightings, storage.example_path) == (
        Sighting.SCAN,
        2,
        "/t/scripted/",
    )
    # The middleware met js_tracker too, when the browser sent it back: both feed the list.
    assert UndeclaredCookie.objects.get(name="js_tracker").sightings >= 2


def test_a_url_that_does_not_answer(transactional_db: None) -> None:
    with pytest.raises(CommandError, match=r"http://127.0.0.1:9/ did not answer"):
        scan("http://127.0.0.1:9/")
