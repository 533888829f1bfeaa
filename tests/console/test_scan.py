"""``cookieconsent_scan``: in a real Chromium against the tests' site on a live port (the
browser group), and its input errors without a browser."""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.test import override_settings

from cookieconsent.console import browser, scanner
from cookieconsent.models import Sighting, UndeclaredCookie
from tests.helpers import publish_draft, served


def scan(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("cookieconsent_scan", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# The live server's thread needs committed data; see example_project/tests/test_browser.py.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.browser
def test_a_page_that_sets_undeclared_things_with_its_script(live_server, categories, chromium):
    url = f"{live_server.url}/t/scripted/"
    with pytest.raises(CommandError, match=r"Undeclared: js_tracker, tab_state\.") as failed:
        scan(url, "--fail-on-undeclared", "--browser", chromium)
    assert failed.value.returncode == 1  # what the scan found, not how it was asked
    out, err = scan(url, "--browser", chromium)
    assert "js_tracker" in out and "first-party script cookie" in out
    assert "Not strictly necessary, present before a choice: js_tracker, tab_state, ui." in out
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
    with pytest.raises(CommandError, match=r"http://127.0.0.1:9/ did not answer") as failed:
        scan("http://127.0.0.1:9/", "--browser", chromium)
    assert failed.value.returncode == 1  # a page's failure: the scan ran


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
    with pytest.raises(CommandError, match=r"Chromium at /bin/true did not start") as failed:
        scan("http://127.0.0.1:9/", "--browser", "/bin/true", "--timeout", "5")
    assert failed.value.returncode == 2  # the scan could not run, as for the audit


# -- hostile pages ---------------------------------------------------------------------------

HOSTILE = {
    # Busy for ever, from 100 ms after the load event: no script of the scanner's runs again.
    "/busy/": "<script>addEventListener('load', () => setTimeout(() => { for (;;) {} }, 100));"
    "</script>busy",
    # Lies to scripts of the page's world, and offers names no inbox should hold.
    "/lies/": "<script>"
    "localStorage.setItem('ok_key', '1');"
    "localStorage.setItem('k'.repeat(300), '1');"
    "localStorage.setItem('bell\\u0007', '1');"
    "document.cookie = 'c'.repeat(300) + '=1; path=/';"
    "document.cookie = 'ok_cookie=1; path=/';"
    "Object.keys = () => [{}, 1, null, 'x'.repeat(100000)];"
    "Storage.prototype.key = () => ({ not: 'a string' });"
    "</script>lies",
    "/fine/": "<script>document.cookie = 'fine_c=1; max-age=31536000; path=/';</script>fine",
}


class _Hostile(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = HOSTILE.get(self.path)
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(f"<html><body>{body or 'missing'}</body></html>".encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hostile_site() -> Iterator[str]:
    """The pages above, served on 127.0.0.1 only."""
    with served(_Hostile) as site:
        yield site


@pytest.mark.django_db
@pytest.mark.browser
def test_a_page_stuck_in_a_script_is_its_error_and_the_scan_goes_on(hostile_site, chromium):
    out = io.StringIO()
    started = time.monotonic()
    with pytest.raises(CommandError, match=r"/busy/: reading storage took longer than 2 s"):
        call_command(
            "cookieconsent_scan",
            *("--base-url", hostile_site, "/busy/", "/fine/"),
            *("--browser", chromium, "--timeout", "2", "--json"),
            stdout=out,
        )
    assert time.monotonic() - started < 30
    busy, fine = json.loads(out.getvalue())
    assert "took longer than 2 s" in busy["error"]
    assert (fine["error"], fine["undeclared"]) == ("", ["fine_c"])
    # (Only the scan's: on PostgreSQL, async tests elsewhere may have committed others.)
    fine_c = UndeclaredCookie.objects.get(source=Sighting.SCAN)
    assert fine_c.name == "fine_c"
    # The lifetime the browser keeps (a year, less the seconds the scan took) is kept.
    assert 365 * 86400 - 60 < fine_c.max_age <= 365 * 86400


@pytest.mark.django_db
@pytest.mark.browser
def test_a_page_that_lies_to_scripts_cannot_break_the_scan(hostile_site, chromium):
    out, _ = scan(f"{hostile_site}/lies/", "--browser", chromium, "--timeout", "3", "--json")
    (page,) = json.loads(out)
    assert page["error"] == ""
    assert page["undeclared"] == ["ok_cookie", "ok_key"]
    assert page["rejected"] == 3  # the long key, the key with a bell, the long cookie
    found = UndeclaredCookie.objects.filter(source=Sighting.SCAN)
    assert set(found.values_list("name", "technology")) == {
        ("ok_cookie", "cookie"),
        ("ok_key", "local_storage"),
    }
    out, _ = scan(f"{hostile_site}/lies/", "--browser", chromium, "--timeout", "3")
    assert "Left out 3 names: not strings" in out


# -- without a browser -----------------------------------------------------------------------


def test_without_urls_or_a_sitemap_there_is_nothing_to_scan():
    with pytest.raises(CommandError, match="give URLs, or add a sitemap") as failed:
        scan()
    assert failed.value.returncode == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base-url", "ftp://example.com"], "is not an http\\(s\\) URL"),
        (["file:///etc/passwd"], "is not an http\\(s\\) URL"),
        (["/", "--timeout", "0"], r"--timeout 0 is not a positive number"),
        (["/", "--browser", "/nonexistent/chromium"], "No Chromium at /nonexistent/chromium"),
    ],
)
@pytest.mark.django_db
def test_a_usage_error_is_exit_status_2(args, message):
    """As for cookieconsent_audit: how the scan was asked for is wrong, so it did not run."""
    with pytest.raises(CommandError, match=message) as failed:
        scan(*args)
    assert failed.value.returncode == 2


@override_settings(ROOT_URLCONF="tests.sitemap_urls")
def test_without_urls_the_sitemap_gives_the_pages():
    assert scanner.sitemap_urls("https://www.example.com") == [
        "https://www.example.com/",
        "https://www.example.com/t/",
        "https://www.example.com/t/scripted/",
    ]


def test_the_browser_comes_from_the_setting_then_the_environment(monkeypatch):
    monkeypatch.delenv("COOKIECONSENT_CHROMIUM", raising=False)
    assert browser.browser_path() == "/usr/bin/chromium"
    monkeypatch.setenv("COOKIECONSENT_CHROMIUM", "/opt/chrome")
    assert browser.browser_path() == "/opt/chrome"
    with override_settings(COOKIECONSENT={"SCANNER_BROWSER": "/srv/chromium"}):
        assert browser.browser_path() == "/srv/chromium"


def test_findings_are_classified_by_the_cookie_table(categories):
    from cookieconsent.engine.registry import get_registry
    from cookieconsent.models import Cookie

    registry = get_registry()

    def classify(name: str, technology: str = "cookie") -> tuple[str | None, bool]:
        found = browser.classify(browser.Finding(name, technology, "before"), registry)
        return found.category, found.required

    assert classify("_ga_XYZ") == ("analytics", False)
    assert classify("necessary_c") == ("necessary", True)
    assert classify("nobody") == (None, False)
    assert classify("ui", "local_storage") == ("functional", False)
    assert classify("ui", "session_storage") == (None, False)
    Cookie.objects.create(
        name="ajs_*", technology="local_storage", category=categories["analytics"]
    )
    publish_draft()
    registry = get_registry()
    assert classify("ajs_anonymous_id", "local_storage") == ("analytics", False)
    assert classify("xajs_", "local_storage") == (None, False)
    assert browser._party(".example.com", "www.example.com") == "first"
    assert browser._party("ads.tracker.net", "www.example.com") == "third"


def test_a_storage_pattern_is_read_as_the_cookie_table_reads_it(categories):
    """Only ``*`` is a wildcard in a declared storage key, as in the model and the browser
    script: ``????*``, declared strictly necessary, called ``_ga_tracker`` necessary when
    the audit read ``?`` as any character (``fnmatch``), so the page passed."""
    from cookieconsent.engine.registry import get_registry
    from cookieconsent.models import Cookie

    necessary = Cookie(name="????*", technology="local_storage", category=categories["necessary"])
    necessary.full_clean()  # the model accepts it: four literal characters
    necessary.save()
    Cookie.objects.create(
        name="[ab]*", technology="session_storage", category=categories["functional"]
    )
    publish_draft()
    registry = get_registry()

    def classify(name: str, technology: str) -> tuple[str | None, bool]:
        found = browser.classify(browser.Finding(name, technology, "before"), registry)
        return found.category, found.required

    assert classify("_ga_tracker", "local_storage") == (None, False)
    assert classify("????state", "local_storage") == ("necessary", True)
    assert classify("a_state", "session_storage") == (None, False)
    assert classify("[ab]_state", "session_storage") == ("functional", False)


@pytest.mark.django_db
def test_a_missing_browser_is_reported_without_playwright(monkeypatch):
    monkeypatch.setitem(sys.modules, "playwright", None)  # as if only the test extra were in
    monkeypatch.setitem(sys.modules, "playwright.async_api", None)
    with pytest.raises(CommandError, match="No Chromium at /nonexistent/chromium") as failed:
        scan("http://127.0.0.1:9/", "--browser", "/nonexistent/chromium")
    assert failed.value.returncode == 2
    with pytest.raises(CommandError, match=r"needs Playwright: pip install") as failed:
        scan("http://127.0.0.1:9/", "--browser", sys.executable)
    assert failed.value.returncode == 2


@pytest.mark.django_db
def test_the_command_line_exits_with_2_when_there_is_no_chromium(capsys, monkeypatch):
    # The command line closes every connection when it is done; the test's is still needed.
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)
    with pytest.raises(SystemExit) as exit:
        execute_from_command_line(
            ["manage.py", "cookieconsent_scan", "/", "--browser", "/nonexistent/chromium"]
        )
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert "No Chromium at /nonexistent/chromium" in err and "Traceback" not in err


@pytest.mark.parametrize("timeout", ["0", "-1", "nan", "inf"])
def test_the_timeout_must_be_a_positive_number(timeout):
    with pytest.raises(CommandError, match=f"--timeout {timeout} is not a positive number") as e:
        scan("http://127.0.0.1:9/", "--timeout", timeout)
    assert e.value.returncode == 2


@pytest.mark.django_db
def test_the_report_suggests_how_to_declare_what_it_found(monkeypatch, categories):
    """The command's report, JSON and text, from findings as the browser gives them."""

    def browse(urls, registry, **options):
        report = scanner.PageReport(urls[0], accepted=True)
        report.findings = [
            scanner.Finding("_ga", "cookie", scanner.BEFORE, via="script", max_age=31535990),
            scanner.Finding("_ga_AB12", "cookie", scanner.BEFORE, via="script", max_age=0),
            scanner.Finding("_ga_CD34", "cookie", scanner.AFTER, via="script", max_age=0),
            scanner.Finding("_fbp", "cookie", scanner.AFTER, via="script", max_age=7776000),
            scanner.Finding("mystery", "local_storage", scanner.AFTER),
            scanner.Finding("necessary_c", "cookie", scanner.BEFORE, via="header", max_age=0),
        ]
        for finding in report.findings:
            scanner.classify(finding, registry)
        return [report]

    monkeypatch.setattr(scanner, "scan", browse)
    database = Path(__file__).with_name("cookie-database.csv")
    with override_settings(COOKIECONSENT={"COOKIE_DATABASE": str(database)}):
        (page,) = json.loads(scan("http://127.0.0.1:9/", "--json")[0])
        text, _ = scan("http://127.0.0.1:9/")
    assert sorted(page["suggestions"]) == ["_fbp", "_ga"]  # _ga_* is declared, mystery unknown
    assert page["suggestions"]["_ga"] == {
        "name": "_ga",
        "category": "analytics",
        "database_category": "Analytics",
        "platform": "Google Analytics",
        "provider": "Google",
        "purpose": "Tells visitors apart.",
        "lifetime": 365 * 86400,
        "session": False,
    }
    assert page["suggestions"]["_fbp"]["category"] is None  # no marketing category here
    assert "      suggested: analytics, Google (Google Analytics), 1 year\n" in text
    assert "      suggested: no category (Marketing), Meta (Facebook), 3 months\n" in text
    assert text.count("mystery") == 2 and text.count("suggested:") == 2  # its line, the summary
    # The inbox keeps what the browser kept (Chromium's "expires" is -1 for the session).
    assert UndeclaredCookie.objects.get(name="_ga").max_age == 31535990
    assert (browser._max_age(-1), browser._max_age(None)) == (0, None)


def test_one_page_is_said_in_the_singular():
    from cookieconsent.management.commands.cookieconsent_scan import Command

    out = io.StringIO()
    Command(stdout=out)._print([scanner.PageReport("http://localhost:8000/")])
    assert "\nScanned 1 page.\n" in out.getvalue()


def test_one_name_left_out_is_said_in_the_singular():
    from cookieconsent.management.commands.cookieconsent_scan import Command

    out = io.StringIO()
    Command(stdout=out)._print([scanner.PageReport("http://localhost:8000/", rejected=1)])
    assert "  Left out 1 name: not strings" in out.getvalue()
