"""``cookieconsent_audit``: a page of the tests' site that fails it, in a real Chromium on a
live port (the browser group); its usage errors, the sitemap reader and the categories of
requests without a browser. (The fluxems site passes it: example_project/tests/test_audit.py.)"""

from __future__ import annotations

import asyncio
import io
import json
import re
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cookieconsent.console import audit, browser
from cookieconsent.engine.registry import get_registry
from cookieconsent.models import Cookie
from tests.helpers import publish_draft, served


def run_audit(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("cookieconsent_audit", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# The live server's thread needs committed data; see example_project/tests/test_browser.py.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.browser
@pytest.mark.urls("tests.audit_urls")  # its sitemap index leads to the leaky page
def test_what_a_page_asks_before_the_choice_is_not_counted_after_it(
    live_server, categories, chromium
):
    """Each visit starts as a new visitor, undecided: the requests of that first load belong
    to "before a choice", and only those after the click to the choice made."""
    site = live_server.url
    port = site.rsplit(":", 1)[1]
    page = f"{site}/t/asks-first/"
    with pytest.raises(CommandError) as failed:
        run_audit(page, "--browser", chromium, "--timeout", "60")
    pixel = f"to http://localhost:{port} (undeclared), such as http://localhost:{port}/t/?pixel."
    assert str(failed.value) == (
        f"The audit failed on 1 of 1 page:\n{page} before a choice: a request {pixel}"
    )


# The live server's thread needs committed data; see example_project/tests/test_browser.py.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.browser
def test_a_page_that_goes_by_script_to_the_origin_it_asked_still_fails(
    live_server, categories, chromium, tmp_path
):
    """The page's own origins were taken from where it was once loaded and idle: gone by
    script to the origin it had sent a pixel to, that origin became its own, and the pixel
    was dropped. Only where HTTP redirects lead is the page's own; the script's navigation
    is a request to another origin, reported as such."""
    site = live_server.url
    elsewhere = f"http://localhost:{site.rsplit(':', 1)[1]}"
    page, report = f"{site}/t/leaves/", tmp_path / "audit.json"
    with pytest.raises(CommandError) as failed:
        run_audit(page, "--browser", chromium, "--timeout", "60", "--json", str(report))
    assert failed.value.returncode == 1
    assert (
        f"{page} before a choice: 2 requests to {elsewhere} (undeclared), "
        f"such as {elsewhere}/t/?pixel."
    ) in str(failed.value)
    undecided = json.loads(report.read_text())["pages"][0]["states"][audit.UNDECIDED]
    assert [(r["url"], r["type"]) for r in undecided["requests"]][:2] == [
        (f"{elsewhere}/t/?pixel", "image"),
        (f"{elsewhere}/t/", "document"),
    ]


# The live server's thread needs committed data; see example_project/tests/test_browser.py.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.browser
@pytest.mark.urls("tests.audit_urls")  # its sitemap index leads to the leaky page
def test_a_page_that_stores_and_fetches_before_a_choice_fails(
    live_server, categories, chromium, tmp_path
):
    site = live_server.url
    port = site.rsplit(":", 1)[1]
    leaky = f"{site}/t/leaky/?q=<i>"
    report, html = tmp_path / "audit.json", tmp_path / "html"
    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command(
            "cookieconsent_audit",
            *("--base-url", site, "/missing/", "--sitemap"),
            *("--browser", chromium, "--json", str(report), "--html", str(html)),
            *("--timeout", "60"),  # four browser contexts at once, on a machine maybe crowded
            stdout=out,
            stderr=io.StringIO(),
        )
    message = str(failed.value)
    assert failed.value.returncode == 1
    assert message.startswith("The audit failed on 2 of 2 pages:\n")
    pixel = f"to http://localhost:{port} (undeclared), such as http://localhost:{port}/t/?pixel."
    for state in ("before a choice", "after “Reject all”"):
        assert f"{leaky} {state}: cookie “js_tracker” (undeclared) is stored." in message
        assert f"{leaky} {state}: local storage key “ui” (functional) is stored." in message
        # After a choice, maybe on the page the form's post led back to as well.
        many = "(a request|2 requests)" if "Reject" in state else "a request"
        assert re.search(
            f"^{re.escape(f'{leaky} {state}: ')}{many} {re.escape(pixel)}$", message, re.M
        )
    assert "after “Accept all”" not in message  # allowed there
    assert f"Not audited: {site}/missing/ answered 404." in message  # and the run went on

    text = out.getvalue()
    assert f"    {'js_tracker':<28} {'first-party script cookie':<28} undeclared\n" in text
    assert f"    http://localhost:{port}/t/?pixel  image  undeclared\n" in text
    assert text.endswith("Audited 2 pages: 0 passed.\n")

    missing, page = json.loads(report.read_text())["pages"]
    assert (missing["passed"], missing["errors"]) == (False, [f"{site}/missing/ answered 404."])
    undecided, rejected, accepted = (page["states"][s] for s in audit.STATES)
    assert not undecided["chosen"] and rejected["chosen"] and accepted["chosen"]
    assert {c["name"]: c["category"] for c in rejected["cookies"]} == {
        "cookieconsent": "necessary",
        "js_tracker": "undeclared",
    }
    assert rejected["local_storage"] == [
        {"name": "ui", "category": "functional", "required": False}
    ]
    (pixel,) = undecided["requests"]
    assert pixel == {
        "url": f"http://localhost:{port}/t/?pixel",
        "origin": f"http://localhost:{port}",
        "type": "image",
        "category": "undeclared",
        "required": False,
    }
    # After “Accept all” the analytics middleware's cookie is there too.
    assert {c["name"] for c in accepted["cookies"]} >= {"cookieconsent", "_stat", "js_tracker"}

    index = (html / "index.html").read_text()
    assert 'Cookie audit: <span class="fail">failed</span>' in index
    assert "/t/leaky/?q=&lt;i&gt;" in index and "<i>" not in index
    for state in audit.STATES:
        shots = page["states"][state]["screenshots"]
        assert set(shots) == {"banner", "page"}
        for shot in shots.values():
            assert (html / shot["file"]).read_bytes().startswith(b"\x89PNG")
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", shot["taken"])
            assert f'src="{shot["file"]}"' in index and shot["taken"] in index
    assert page["states"]["accepted"]["screenshots"]["page"]["file"] == "02-accepted-page.png"


# -- without a browser -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base-url", "ftp://example.com"], r"--base-url 'ftp://example.com' is not an http"),
        (["file:///etc/passwd"], r"'file:///etc/passwd' is not an http\(s\) URL"),
        (["--timeout", "0"], r"--timeout 0 is not a positive number"),
        (["--timeout", "nan"], r"--timeout nan is not a positive number"),
        (["--json", "/nonexistent/audit.json"], r"--json /nonexistent/audit.json: no folder"),
        (["--json", "/"], r"--json / is a folder"),
        (["--json", "/proc/audit.json"], r"^Cannot write --json /proc/audit.json: No such"),
        (["--html", "/proc"], r"^Cannot write --html /proc: "),
        (["--html", "/dev/null/report"], r"--html /dev/null/report: cannot make the folder"),
        (["--jobs", "0"], r"--jobs 0 is not a positive number"),
        (["--browser", "/nonexistent/chromium"], r"No Chromium at /nonexistent/chromium"),
    ],
)
@pytest.mark.django_db
def test_a_usage_error_is_exit_status_2(args, message):
    with pytest.raises(CommandError, match=message) as failed:
        run_audit("http://127.0.0.1:9/", *args)
    assert failed.value.returncode == 2


def test_the_sitemap_is_read_with_its_index():
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    urlset = (
        f"<urlset {ns}><url><loc> https://a.example/x </loc></url>"
        f"<url><loc>javascript:alert(1)</loc></url></urlset>"
    ).encode()
    assert browser.parse_sitemap(urlset, "u") == (False, ["https://a.example/x"])
    index = f"<sitemapindex {ns}><sitemap><loc>https://a.example/s.xml</loc></sitemap>"
    assert browser.parse_sitemap(f"{index}</sitemapindex>".encode(), "u") == (
        True,
        ["https://a.example/s.xml"],
    )
    with pytest.raises(browser.BrowserError, match=r"^u is not a sitemap: its root is <html>"):
        browser.parse_sitemap(b"<html></html>", "u")
    with pytest.raises(browser.BrowserError, match=r"^u is not a sitemap: syntax error"):
        browser.parse_sitemap(b"not xml", "u")


class _LargeSitemaps(BaseHTTPRequestHandler):
    """An index of three sitemaps of 40,000 pages each (the second repeats 10,000 of the
    first, and is listed twice), each request noted in ``asked``."""

    asked: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).asked.append(self.path)
        site = f"http://127.0.0.1:{self.server.server_address[1]}"
        if self.path == "/sitemap.xml":
            body = _sitemap_xml(
                "sitemapindex", "sitemap", [f"{site}/{n}.xml" for n in ("a", "b", "b", "c")]
            )
        else:
            first = {"/a.xml": 0, "/b.xml": 30000, "/c.xml": 70000}[self.path]
            pages = [f"{site}/p{i}" for i in range(first, first + 40000)]
            body = _sitemap_xml("urlset", "url", pages)
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _sitemap_xml(root: str, entry: str, locations: list[str]) -> bytes:
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    entries = "".join(f"<{entry}><loc>{loc}</loc></{entry}>" for loc in locations)
    return f"<{root} {ns}>{entries}</{root}>".encode()


@pytest.fixture
def large_sitemaps() -> Iterator[str]:
    _LargeSitemaps.asked = []
    with served(_LargeSitemaps) as site:
        yield site


@pytest.mark.django_db
def test_a_large_sitemap_is_read_at_once_up_to_its_limit(large_sitemaps, chromium, monkeypatch):
    """Each location was looked for in a list of up to 50,000, also once the list was full:
    the sitemap took minutes, which no ``--timeout`` could stop. Read with sets, it stops at
    the limit, and the sitemap the index lists after that is not fetched."""
    audited: list[str] = []
    monkeypatch.setattr(
        audit, "audit", lambda chromium, urls, registry, **options: audited.extend(urls) or []
    )
    started = time.monotonic()
    run_audit("--base-url", large_sitemaps, "--sitemap", "--browser", chromium, "--timeout", "10")
    assert time.monotonic() - started < 20  # minutes before
    assert audited == [f"{large_sitemaps}/p{i}" for i in range(browser.MAX_SITEMAP_URLS)]
    assert _LargeSitemaps.asked == ["/sitemap.xml", "/a.xml", "/b.xml"]


@pytest.mark.django_db
def test_a_sitemap_larger_than_the_protocol_allows_is_refused(
    large_sitemaps, chromium, monkeypatch
):
    monkeypatch.setattr(browser, "MAX_SITEMAP_BYTES", 1000)
    with pytest.raises(CommandError) as failed:
        run_audit("--base-url", large_sitemaps, "--sitemap", "--browser", chromium)
    assert failed.value.returncode == 2
    assert str(failed.value) == f"{large_sitemaps}/a.xml is larger than 0 MB, a sitemap's limit."
    assert _LargeSitemaps.asked == ["/sitemap.xml", "/a.xml"]


def test_reading_a_sitemap_can_be_stopped_by_the_timeout(monkeypatch):
    """The sitemap is parsed a chunk at a time, each a chance for ``--timeout`` to stop it:
    parsed at once, the timeout could only be checked once it was all done."""
    monkeypatch.setattr(browser, "MAX_SITEMAP_URLS", 1000000)
    site = "https://site.example"
    body = _sitemap_xml("urlset", "url", [f"{site}/p{i}" for i in range(100000)])
    assert len(body) > 4 << 20  # chunks of 1 MB
    sitemaps = browser._Sitemaps(site)

    async def read() -> None:
        await asyncio.wait_for(sitemaps.read(body, "u"), 0.001)

    with pytest.raises(TimeoutError):
        asyncio.run(read())
    assert 0 < len(sitemaps.pages) < 100000


def test_origins():
    assert browser.origin_of("https://www.example.com:443/a?b") == "https://www.example.com"
    assert browser.origin_of("http://Example.com:8000/") == "http://example.com:8000"
    assert browser.origin_of("http://[::1]:80/") == "http://[::1]"


def test_a_request_belongs_to_the_category_that_declares_a_cookie_on_its_domain(categories):
    def category(origin: str) -> tuple[str | None, bool]:
        return audit._request_category(origin, audit.declared_domains(get_registry()))

    assert category("https://www.youtube.com") == (None, False)
    Cookie.objects.create(
        name="VISITOR_INFO1_LIVE", domain=".youtube.com", category=categories["functional"]
    )
    Cookie.objects.create(
        name="__cf_bm", domain="cdn.example.net", category=categories["necessary"]
    )
    publish_draft()
    assert category("https://www.youtube.com") == ("functional", False)
    assert category("https://youtube.com") == ("functional", False)
    assert category("https://notyoutube.com") == (None, False)
    assert category("https://cdn.example.net") == ("necessary", True)
    # A domain an optional category declares too is that category's, not strictly necessary.
    Cookie.objects.create(name="_px_*", domain="example.net", category=categories["analytics"])
    publish_draft()
    assert category("https://cdn.example.net") == ("analytics", False)
    # A domain of dots alone names no host: not even one written with its final dot.
    Cookie.objects.create(name="dotted", domain=".", category=categories["necessary"])
    publish_draft()
    assert category("https://tracker.example.") == (None, False)


def test_what_is_allowed_depends_on_the_state():
    cookie = browser.Finding("prefs", "cookie", "x", category="functional")
    necessary = browser.Finding("sessionid", "cookie", "x", category="necessary", required=True)
    request = audit.Request("https://t.example/p.gif", "https://t.example", "image")
    for state in audit.STATES:
        report = audit.StateReport(state, findings=[cookie, necessary], requests=[request] * 2)
        problems = report.problems("https://site/")
        if state == audit.ACCEPTED:
            assert problems == []
        else:
            assert problems == [
                f"https://site/ {report.label}: cookie “prefs” (functional) is stored.",
                f"https://site/ {report.label}: 2 requests to https://t.example (undeclared), "
                "such as https://t.example/p.gif.",
            ]


def test_the_html_report_is_escaped(tmp_path: Path):
    page = audit.PageAudit(
        'https://site/"><script>alert(1)</script>',
        [audit.StateReport(audit.UNDECIDED, error="<b>stuck</b>")],
    )
    html = audit.write_html([page], tmp_path, started="2026-12-06T17:00:00+00:00").read_text()
    assert "<script>alert" not in html and "<b>stuck" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;stuck&lt;/b&gt;" in html


def test_one_page_is_said_in_the_singular():
    """``cookieconsent_audit`` without URLs audits the base URL alone: it said "Audited 1
    pages", and a failure "on 1 of 1 pages"."""
    from cookieconsent.management.commands.cookieconsent_audit import Command

    out = io.StringIO()
    Command(stdout=out)._print([audit.PageAudit("http://localhost:8000/")])
    assert out.getvalue().endswith("Audited 1 page: 1 passed.\n")


def test_only_requests_to_other_origins_that_leave_the_browser_are_recorded(monkeypatch):
    """The recorder, as the browser calls it: the page's own origin, ``data:`` and ``blob:``
    URLs are not requests to another origin; beyond ``MAX_REQUESTS`` they are counted as left
    out, and nothing is recorded until it is switched on."""
    monkeypatch.setattr(audit, "MAX_REQUESTS", 2)

    def request(url: str) -> SimpleNamespace:
        return SimpleNamespace(url=url, resource_type="image")

    report = audit.StateReport(audit.REJECTED)
    record = audit._Recorder(report, "https://site.example/page/")
    record(request("https://t.example/before-the-click.gif"))
    record.on = True
    for url in (
        "https://site.example/own.png",
        "data:image/gif;base64,R0lGODlhAQABAAAAACw=",
        "blob:https://site.example/0f1e",
        "https://t.example/1.gif",
        "https://u.example/2.gif",
        "https://v.example/3.gif",
    ):
        record(request(url))
    assert [r.url for r in report.requests] == [
        "https://t.example/1.gif",
        "https://u.example/2.gif",
    ]
    assert report.left_out == 1
    record.own.add("https://u.example")  # where a redirect led
    record.first_party_only([report])
    assert [r.origin for r in report.requests] == ["https://t.example"]


class _Visits:
    """What ``_visit()`` asks of ``browser.Browser``, for a page whose banner works, or that
    never loads (``stuck``); each browser context opened and each step are noted."""

    def __init__(self, stuck: str = "") -> None:
        self.stuck, self.steps = stuck, []

    async def new_page(self, url):
        self.steps.append("context")
        return SimpleNamespace(on=lambda *a: None, context=SimpleNamespace(on=lambda *a: None))

    async def open(self, page, url):
        if self.stuck:
            raise browser.BrowserError(self.stuck)
        self.steps.append("load")
        return url

    async def choose(self, page, url, action, label):
        self.steps.append(action)
        return True

    async def collect(self, page, url, responses, phase, into):
        self.steps.append(f"record {phase}")
        return 0

    async def close(self, context, url):
        return ""


def test_after_reject_all_continues_the_visit_before_a_choice():
    """A visitor who refuses saw the page before a choice first: that state is recorded on the
    way, so a page takes two browser contexts, not three."""
    visits = _Visits()
    (states,) = asyncio.run(audit._batch(visits, [(1, "https://site/")], None))
    assert [s.state for s in states] == list(audit.STATES)
    assert [s.chosen for s in states] == [False, True, True]
    assert visits.steps == [
        *("context", "load", "record undecided", browser.REJECT_ALL, "load", "record rejected"),
        *("context", "load", browser.ACCEPT_ALL, "load", "record accepted"),
    ]


def test_a_state_the_visit_did_not_reach_is_not_audited():
    """The page never loaded: "after Reject all" was not reached either, and says why (an
    empty report would pass)."""
    stuck = "https://site/: loading took longer than 1 s."
    (states,) = asyncio.run(audit._batch(_Visits(stuck), [(1, "https://site/")], None))
    assert [s.error for s in states] == [stuck] * 3
    page = audit.PageAudit("https://site/", states)
    assert (page.passed, page.errors) == (False, [stuck])


def test_a_page_passes_with_nothing_but_the_strictly_necessary_and_no_error():
    url = "https://site/"
    necessary = audit.Request(
        "https://cdn.example.net/a.js", "https://cdn.example.net", "script", "necessary", True
    )
    pixel = audit.Request("https://t.example/p.gif", "https://t.example", "image", "analytics")
    clean = audit.StateReport(audit.REJECTED, requests=[necessary])
    assert clean.problems(url) == []
    leaky = audit.StateReport(audit.UNDECIDED, requests=[pixel])
    assert leaky.problems(url) == [
        f"{url} before a choice: a request to https://t.example (analytics), "
        "such as https://t.example/p.gif."
    ]
    passing = audit.PageAudit(url, [clean])
    assert passing.passed
    # A state that could not be audited fails its page, and each reason is said once.
    stuck = f"{url}: timed out"
    unaudited = audit.PageAudit(
        "https://site/other/",
        [
            clean,
            audit.StateReport(audit.REJECTED, error=stuck),
            audit.StateReport(audit.ACCEPTED, error=stuck),
        ],
    )
    assert unaudited.problems == [] and unaudited.errors == [stuck]
    assert not unaudited.passed
    started = "2026-12-06T17:00:00+00:00"
    assert audit.report_dict([passing], started=started)["passed"] is True
    report = audit.report_dict([passing, unaudited], started=started)
    assert report["passed"] is False
    assert [p["passed"] for p in report["pages"]] == [True, False]


class _NoBrowser:
    """Stands in for Chromium: the command's exit status from the pages the audit returns."""

    def __init__(self, **options: object) -> None:
        pass

    def __enter__(self) -> _NoBrowser:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


@pytest.mark.django_db
def test_the_exit_status_is_1_when_a_page_fails_or_could_not_be_audited(monkeypatch):
    pages: list[audit.PageAudit] = []
    monkeypatch.setattr(browser, "Browser", _NoBrowser)
    monkeypatch.setattr(audit, "audit", lambda chromium, urls, registry, **options: pages)
    site = "http://127.0.0.1:9"
    pages[:] = [audit.PageAudit(f"{site}/", [audit.StateReport(audit.UNDECIDED)])]
    out, _ = run_audit("--base-url", site)  # passes: exit status 0
    assert out.endswith("Audited 1 page: 1 passed.\n")
    stuck = f"{site}/b/: timed out"
    pages.append(audit.PageAudit(f"{site}/b/", [audit.StateReport(audit.UNDECIDED, error=stuck)]))
    with pytest.raises(CommandError) as failed:
        run_audit("--base-url", site, "/", "/b/")
    assert failed.value.returncode == 1
    assert str(failed.value) == f"The audit failed on 1 of 2 pages:\nNot audited: {stuck}"
    cookie = browser.Finding("_ga", "cookie", audit.REJECTED, category="analytics")
    pages[1] = audit.PageAudit(f"{site}/b/", [audit.StateReport(audit.REJECTED, [cookie])])
    with pytest.raises(CommandError) as failed:
        run_audit("--base-url", site, "/", "/b/")
    assert failed.value.returncode == 1
    assert "/b/ after “Reject all”: cookie “_ga” (analytics) is stored." in str(failed.value)


@pytest.mark.django_db
def test_a_report_file_is_checked_before_the_audit_and_not_left_behind(tmp_path):
    """``--json FILE`` is tried before the browser starts; the file is not made (nor an
    old report emptied) by a run that then cannot start."""
    new, old = tmp_path / "new.json", tmp_path / "old.json"
    old.write_text("{}\n")
    for report in (new, old):
        with pytest.raises(CommandError, match="No Chromium at") as failed:
            run_audit("http://127.0.0.1:9/", "--json", str(report), "--browser", "/nonexistent")
        assert failed.value.returncode == 2
    assert not new.exists() and old.read_text() == "{}\n"


@pytest.mark.django_db
def test_a_report_that_cannot_be_written_after_the_audit_is_exit_status_2(monkeypatch, tmp_path):
    """A file that fails once the audit is done (a full disk, a folder where index.html
    should be) was a traceback, and the verdict was lost: it is a usage error that says
    which file, and the verdict; the text report is printed all the same."""
    monkeypatch.setattr(browser, "Browser", _NoBrowser)
    site = "http://127.0.0.1:9"
    cookie = browser.Finding("_ga", "cookie", audit.REJECTED, category="analytics")
    pages = [audit.PageAudit(f"{site}/", [audit.StateReport(audit.REJECTED, [cookie])])]
    monkeypatch.setattr(audit, "audit", lambda chromium, urls, registry, **options: pages)
    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command(
            "cookieconsent_audit", site, "--json", "/dev/full", stdout=out, stderr=io.StringIO()
        )
    assert failed.value.returncode == 2
    assert str(failed.value) == (
        "Cannot write --json /dev/full: No space left on device.\n"
        "The audit failed on 1 of 1 page:\n"
        f"{site}/ after “Reject all”: cookie “_ga” (analytics) is stored."
    )
    assert out.getvalue().endswith("Audited 1 page: 0 passed.\n")

    pages[:] = [audit.PageAudit(f"{site}/", [audit.StateReport(audit.UNDECIDED)])]
    folder = tmp_path / "html"
    (folder / "index.html").mkdir(parents=True)
    with pytest.raises(CommandError) as failed:
        run_audit(site, "--html", str(folder))
    assert failed.value.returncode == 2
    assert str(failed.value) == (
        f"Cannot write --html {folder}: Is a directory.\nAudited 1 page: all passed."
    )
