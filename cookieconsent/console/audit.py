"""The audit: each page in three states a visitor reaches through the banner (undecided, then
after “Reject all” in the same browser context; after “Accept all” in a fresh one), with every
cookie, storage key and request to another origin, and the category each belongs to.

Before a choice and after a refusal only what is strictly necessary may be stored, and no
other origin may be asked for anything, unless a strictly necessary category declares a
cookie on its domain. The browser is ``browser.Browser``, the scanner's.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.template.loader import render_to_string

from cookieconsent.console.browser import (
    ACCEPT_ALL,
    BANNER,
    REJECT_ALL,
    Browser,
    BrowserError,
    Finding,
    classify,
    first_line,
    origin_of,
)
from cookieconsent.engine.registry import Registry
from cookieconsent.models import Technology

UNDECIDED, REJECTED, ACCEPTED = "undecided", "rejected", "accepted"
STATES = (UNDECIDED, REJECTED, ACCEPTED)
#: How each state is named in messages.
LABELS = {
    UNDECIDED: "before a choice",
    REJECTED: "after “Reject all”",
    ACCEPTED: "after “Accept all”",
}
#: The banner's button that reaches each state, and its label.
_CHOICES = {REJECTED: (REJECT_ALL, "Reject all"), ACCEPTED: (ACCEPT_ALL, "Accept all")}
#: The states each visit of a page records, in a fresh browser context, in ``STATES``' order:
#: a visitor who refuses saw the page before a choice first.
_VISITS = ((UNDECIDED, REJECTED), (ACCEPTED,))
#: The states in which only the strictly necessary is allowed.
GUARDED = (UNDECIDED, REJECTED)
#: The category of what no category declares, in the reports.
UNDECLARED = "undeclared"
#: Requests to other origins recorded per state at most; the rest are counted as left out.
MAX_REQUESTS = 1000
_URL_LENGTH = 500
_TECHNOLOGIES: dict[str, str] = {
    Technology.HTTP_COOKIE: "cookie",
    Technology.LOCAL_STORAGE: "local storage key",
    Technology.SESSION_STORAGE: "session storage key",
}


@dataclass
class Request:
    """A request a page made to another origin."""

    url: str
    origin: str
    resource_type: str
    category: str | None = None
    required: bool = False


@dataclass
class Screenshot:
    file: str  # its name in the HTML report's folder
    taken: str  # when, ISO 8601 in UTC


@dataclass
class StateReport:
    state: str
    findings: list[Finding] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    #: The banner's button for this state was found and clicked.
    chosen: bool = False
    error: str = ""
    #: Names not valid (see ``discovery.is_valid_name``) and requests beyond the limits.
    left_out: int = 0
    screenshots: dict[str, Screenshot] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return LABELS[self.state]

    def problems(self, url: str) -> list[str]:
        """What is not allowed in this state, each naming what and where."""
        if self.state not in GUARDED:
            return []
        found = [
            f"{url} {self.label}: {_TECHNOLOGIES.get(f.technology, f.technology)} "
            f"“{f.name}” ({f.category or UNDECLARED}) is stored."
            for f in self.findings
            if not f.required
        ]
        by_origin: dict[str, list[Request]] = {}
        for r in self.requests:
            if not r.required:
                by_origin.setdefault(r.origin, []).append(r)
        for origin, requests in by_origin.items():
            many = f"{len(requests)} requests" if len(requests) > 1 else "a request"
            found.append(
                f"{url} {self.label}: {many} to {origin} ({requests[0].category or UNDECLARED}), "
                f"such as {requests[0].url}."
            )
        return found

    def as_dict(self) -> dict[str, Any]:
        def item(f: Finding) -> dict[str, Any]:
            common = {"name": f.name, "category": f.category or UNDECLARED}
            if f.technology != Technology.HTTP_COOKIE:
                return common | {"required": f.required}
            return common | {
                "required": f.required,
                "party": f.party,
                "via": f.via,
                "domain": f.domain,
            }

        def of(technology: str) -> list[dict[str, Any]]:
            chosen = [f for f in self.findings if f.technology == technology]
            return [item(f) for f in sorted(chosen, key=lambda f: f.name)]

        return {
            "chosen": self.chosen,
            "error": self.error,
            "left_out": self.left_out,
            "cookies": of(Technology.HTTP_COOKIE),
            "local_storage": of(Technology.LOCAL_STORAGE),
            "session_storage": of(Technology.SESSION_STORAGE),
            "requests": [
                {
                    "url": r.url,
                    "origin": r.origin,
                    "type": r.resource_type,
                    "category": r.category or UNDECLARED,
                    "required": r.required,
                }
                for r in self.requests
            ],
            "screenshots": {
                what: {"file": shot.file, "taken": shot.taken}
                for what, shot in self.screenshots.items()
            },
        }


@dataclass
class PageAudit:
    url: str
    states: list[StateReport] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return [p for s in self.states for p in s.problems(self.url)]

    @property
    def errors(self) -> list[str]:
        """Why a state could not be audited, each once."""
        found: list[str] = []
        for s in self.states:
            if s.error and s.error not in found:
                found.append(s.error)
        return found

    @property
    def passed(self) -> bool:
        return not self.problems and not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "passed": self.passed,
            "problems": self.problems,
            "errors": self.errors,
            "states": {s.state: s.as_dict() for s in self.states},
        }


# -- a page, in two browser contexts at once ---------------------------------------------------


#: Pages audited side by side (each in two browser contexts), by default.
JOBS = 4


def audit(
    browser: Browser,
    urls: Sequence[str],
    registry: Registry,
    *,
    screenshots: Path | None = None,
    jobs: int = JOBS,
    on_page: Callable[[PageAudit], None] | None = None,
) -> list[PageAudit]:
    """Audit each URL in each state; ``jobs`` pages at a time, the two visits of a page
    (``_VISITS``) side by side, each in a browser context of its own. Classify what was found with
    ``registry`` (read beforehand: the browser's event loop must not share a thread with
    database queries). With ``screenshots``, a folder, the banner and the page of each
    state are saved there as ``<nn>-<state>-banner.png`` and ``…-page.png`` (``nn``: the
    page's number)."""
    domains = declared_domains(registry)
    pages: list[PageAudit] = []
    # One run() per batch: a browser that stopped answering is replaced between batches.
    for start in range(0, len(urls), jobs):
        batch = list(enumerate(urls[start : start + jobs], start + 1))
        for (_, url), states in zip(
            batch, browser.run(_batch(browser, batch, screenshots)), strict=True
        ):
            page = PageAudit(url, states)
            for state in page.states:
                for finding in state.findings:
                    classify(finding, registry)
                for request in state.requests:
                    request.category, request.required = _request_category(request.origin, domains)
            pages.append(page)
            if on_page is not None:
                on_page(page)
    return pages


async def _batch(
    browser: Browser, batch: list[tuple[int, str]], folder: Path | None
) -> list[list[StateReport]]:
    visits = [
        _visit(browser, url, states, folder, f"{number:02d}")
        for number, url in batch
        for states in _VISITS
    ]
    found = await asyncio.gather(*visits)
    per_page = len(_VISITS)
    return [
        [report for reports in found[i : i + per_page] for report in reports]
        for i in range(0, len(found), per_page)
    ]


class _Recorder:
    """The requests a browser context makes to other origins, once recording is on."""

    def __init__(self, report: StateReport, url: str) -> None:
        self.report, self.on = report, False
        self.own = {origin_of(url)}

    def __call__(self, request: Any) -> None:
        if not self.on:
            return
        try:
            url, kind = request.url, request.resource_type
        except Exception:
            return
        if urlsplit(url).scheme not in ("http", "https"):
            return  # data:, blob:: nothing leaves the browser
        origin = origin_of(url)
        if origin in self.own:
            return
        if len(self.report.requests) >= MAX_REQUESTS:
            self.report.left_out += 1
            return
        self.report.requests.append(Request(url[:_URL_LENGTH], origin, str(kind)))

    def first_party_only(self, reports: Sequence[StateReport]) -> None:
        """Drop the requests to what turned out to be the page's own origin too: where its
        HTTP redirects led (the page itself is recorded until its final address is known)."""
        for report in reports:
            report.requests = [r for r in report.requests if r.origin not in self.own]


async def _visit(
    browser: Browser, url: str, states: tuple[str, ...], folder: Path | None, prefix: str
) -> list[StateReport]:
    """One visit of ``url`` in a fresh browser context, recording ``states`` in turn: before a
    choice as the page loads, then the state each button of the banner leads to."""
    reports = [StateReport(state) for state in states]
    report = reports[0]
    record = _Recorder(report, url)
    record.on = report.state == UNDECIDED
    page = None
    try:
        page = await browser.new_page(url)
        responses: list[Any] = []
        page.on("response", lambda response: responses.append(response))
        page.context.on("request", record)
        # Where its HTTP redirects led is the page's own origin too; where its script went
        # afterwards is not: going there is a request to another origin, as is all it asks.
        record.own.add(origin_of(await browser.open(page, url)))
        for report in reports:  # (the state in progress, for the handlers below)
            if folder is not None:
                await _shoot(browser, page, url, report, folder, prefix, banner=True)
            if report.state != UNDECIDED:
                action, label = _CHOICES[report.state]
                record.report, record.on = report, True  # from the click: what it makes the page do
                if not await browser.choose(page, url, action, label):
                    raise BrowserError(f"{url}: no banner with “{label}” was found.")
                report.chosen = True
                record.own.add(origin_of(await browser.open(page, url)))
            report.left_out += await browser.collect(
                page, url, responses, report.state, report.findings
            )
            if folder is not None:
                await _shoot(browser, page, url, report, folder, prefix, banner=False)
    except BrowserError as exc:
        report.error = str(exc)
    except Exception as exc:  # a page that misbehaves is reported, not a traceback
        report.error = f"{url}: {first_line(exc)}"
    finally:
        for later in reports[reports.index(report) + 1 :]:
            # Not reached: the state before it could not be recorded.
            later.error = report.error
        record.first_party_only(reports)
        if page is not None:
            closed = await browser.close(page.context, url)
            for each in reports:
                each.error = each.error or closed
    return reports


async def _shoot(
    browser: Browser,
    page: Any,
    url: str,
    report: StateReport,
    folder: Path,
    prefix: str,
    *,
    banner: bool,
) -> None:
    what = "banner" if banner else "page"
    name = f"{prefix}-{report.state}-{what}.png"
    if banner:
        shown = page.locator(BANNER)
        if not await browser.step(shown.count(), url, "looking for the banner"):
            return
        taking = shown.first.screenshot(path=str(folder / name), animations="disabled")
    else:
        taking = page.screenshot(path=str(folder / name), animations="disabled")
    await browser.step(taking, url, f"taking a screenshot of the {what}")
    taken = datetime.now(UTC).isoformat(timespec="seconds")
    report.screenshots[what] = Screenshot(name, taken)


# -- which category a request belongs to ------------------------------------------------------


def declared_domains(registry: Registry) -> list[tuple[str, str, bool]]:
    """``(domain, category, required)`` of every cookie declared with a domain, optional
    categories first: a domain an optional category declares is that category's."""
    rules = [
        *registry.exact.values(),
        *(rule for _, table in (*registry.prefixes, *registry.suffixes) for rule in table.values()),
        *(rule for _, rule in registry.globs),
    ]
    found = {
        (rule.domain.lstrip(".").lower(), rule.slug, rule.required)
        for rule in rules
        if rule.domain.strip(".")
    }
    return sorted(found, key=lambda d: (d[2], d[0], d[1]))


def _request_category(origin: str, domains: list[tuple[str, str, bool]]) -> tuple[str | None, bool]:
    host = (urlsplit(origin).hostname or "").lower()
    for domain, slug, required in domains:
        if host == domain or host.endswith("." + domain):
            return slug, required
    return None, False


# -- the reports --------------------------------------------------------------------------------


def report_dict(pages: list[PageAudit], *, started: str) -> dict[str, Any]:
    return {
        "started": started,
        "passed": all(p.passed for p in pages),
        "pages": [p.as_dict() for p in pages],
    }


def report_json(pages: list[PageAudit], *, started: str) -> str:
    return json.dumps(report_dict(pages, started=started), indent=2, ensure_ascii=False)


def _caption(state: StateReport, what: str) -> str:
    if what == "page":
        return f"The page, {state.label}"
    clicked = f", where “{_CHOICES[state.state][1]}” was clicked" if state.chosen else ""
    return f"The banner, before a choice{clicked}"


def write_html(pages: list[PageAudit], folder: Path, *, started: str) -> Path:
    """``index.html`` in ``folder`` (beside the screenshots): every page, state and finding."""
    rows = []
    for page in pages:
        states = []
        for s in page.states:
            data = s.as_dict()
            states.append(
                {
                    "label": s.label,
                    "report": data,
                    "stored": [
                        (kind, item)
                        for kind, key in (
                            ("cookie", "cookies"),
                            ("local storage", "local_storage"),
                            ("session storage", "session_storage"),
                        )
                        for item in data[key]
                    ],
                    "guarded": s.state in GUARDED,
                    "shots": [
                        (_caption(s, what), shot.file, shot.taken)
                        for what, shot in s.screenshots.items()
                    ],
                }
            )
        rows.append({"audit": page, "states": states})
    html = render_to_string(
        "cookieconsent/audit_report.html",
        {
            "pages": rows,
            "started": started,
            "passed": all(p.passed for p in pages),
        },
    )
    index = folder / "index.html"
    index.write_text(html)
    return index
