"""``cookieconsent_scan``: in a real Chromium against the tests' site on a live port (the
browser group), and its input errors without a browser."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from cookieconsent import scanner
from cookieconsent.models import Sighting, UndeclaredCookie

CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")


@pytest.fixture
def chromium() -> str:
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
    return str(CHROMIUM)


def scan(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("cookieconsent_scan", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# The live server's thread needs committed data; see example_project/tests/test_browser.py.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.browser
def test_a_page_that_sets_undeclared_things_with_its_script(live_server, categories, chromium):
    url = f"{live_server.url}/t/scripted/"
    with pytest.raises(CommandError, match=r"Undeclared: js_tracker, tab_state\."):
        scan(url, "--fail-on-undeclared", "--browser", chromium)
    out, err = scan(url, "--browser", chromium)
    assert "js_tracker" in out and "first-party script cookie" in out
    assert "Not essential, present before a choice: js_tracker, tab_state, ui." in out
    assert err == ""  # no progress bar when stderr is not a terminal
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


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.browser
def test_a_url_that_does_not_answer(chromium):
    with pytest.raises(CommandError, match=r"http://127.0.0.1:9/ did not answer"):
        scan("http://127.0.0.1:9/", "--browser", chromium)


# The live server's thread needs committed data; see example_project/tests/test_browser.py.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.browser
def test_a_page_that_answers_with_an_error_and_one_without_a_banner(
    live_server, categories, chromium
):
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"/missing/ answered 404\."):
        call_command(
            "cookieconsent_scan",
            *("--base-url", live_server.url, "/missing/", "/t/set/?c=necessary_c"),
            *("--browser", chromium),
            stdout=out,
        )
    report = out.getvalue()
    assert "No banner with “Accept all” was found." in report
    assert "necessary_c" in report


@pytest.mark.django_db
@pytest.mark.browser
def test_a_browser_that_does_not_start(chromium):
    with pytest.raises(CommandError, match=r"Chromium at /bin/true did not start"):
        scan("http://127.0.0.1:9/", "--browser", "/bin/true", "--timeout", "5")


# -- without a browser -----------------------------------------------------------------------


def test_without_urls_or_a_sitemap_there_is_nothing_to_scan():
    with pytest.raises(CommandError, match="give URLs, or add a sitemap"):
        scan()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base-url", "ftp://example.com"], "is not an http\\(s\\) URL"),
        (["file:///etc/passwd"], "is not an http\\(s\\) URL"),
        (["/", "--browser", "/nonexistent/chromium"], "No Chromium at /nonexistent/chromium"),
    ],
)
@pytest.mark.django_db
def test_bad_input_is_a_clear_error(args, message):
    with pytest.raises(CommandError, match=message):
        scan(*args)


@override_settings(ROOT_URLCONF="tests.sitemap_urls")
def test_without_urls_the_sitemap_gives_the_pages():
    assert scanner.sitemap_urls("https://www.example.com") == [
        "https://www.example.com/",
        "https://www.example.com/t/",
        "https://www.example.com/t/scripted/",
    ]


def test_the_browser_comes_from_the_setting_then_the_environment(monkeypatch):
    monkeypatch.delenv("COOKIECONSENT_CHROMIUM", raising=False)
    assert scanner.browser_path() == "/usr/bin/chromium"
    monkeypatch.setenv("COOKIECONSENT_CHROMIUM", "/opt/chrome")
    assert scanner.browser_path() == "/opt/chrome"
    with override_settings(COOKIECONSENT={"SCANNER_BROWSER": "/srv/chromium"}):
        assert scanner.browser_path() == "/srv/chromium"


def test_findings_are_classified_by_the_cookie_table(categories):
    from cookieconsent.engine.registry import get_registry
    from cookieconsent.models import Cookie

    registry = get_registry()

    def classify(name: str, technology: str = "cookie") -> tuple[str | None, bool]:
        found = scanner.classify(scanner.Finding(name, technology, "before"), registry)
        return found.category, found.required

    assert classify("_ga_XYZ") == ("analytics", False)
    assert classify("necessary_c") == ("necessary", True)
    assert classify("nobody") == (None, False)
    assert classify("ui", "local_storage") == ("functional", False)
    assert classify("ui", "session_storage") == (None, False)
    Cookie.objects.create(
        name="ajs_*", technology="local_storage", category=categories["analytics"]
    )
    registry = get_registry()
    assert classify("ajs_anonymous_id", "local_storage") == ("analytics", False)
    assert classify("xajs_", "local_storage") == (None, False)
    assert scanner._party(".example.com", "www.example.com") == "first"
    assert scanner._party("ads.tracker.net", "www.example.com") == "third"
