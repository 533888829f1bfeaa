"""The scanner: opens pages in headless Chromium (``browser.Browser``), once as a visitor who
has not decided and once after “Accept all” in the banner, and reports every cookie and
storage key."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from django.urls import URLPattern, URLResolver, get_resolver

from cookieconsent.console import suggestions
from cookieconsent.console.browser import (
    ACCEPT_ALL,
    Browser,
    BrowserError,
    Finding,
    classify,
    first_line,
)
from cookieconsent.engine.registry import Registry
from cookieconsent.models import CookieCategory

BEFORE, AFTER = "before", "after"


@dataclass
class PageReport:
    url: str
    findings: list[Finding] = field(default_factory=list)
    accepted: bool = False  # the banner's “Accept all” was found and used
    error: str = ""
    #: Names the page offered that were left out: not strings, too long, or not valid names
    #: (see ``discovery.is_valid_name``), or beyond ``MAX_KEYS`` in a storage area.
    rejected: int = 0

    def phase(self, phase: str) -> list[Finding]:
        return [f for f in self.findings if f.phase == phase]

    @property
    def undeclared(self) -> list[Finding]:
        seen: dict[tuple[str, str], Finding] = {}
        for f in self.findings:
            if f.undeclared:
                seen.setdefault((f.name, f.technology), f)
        return list(seen.values())

    @property
    def before_choice(self) -> list[Finding]:
        """Anything not strictly necessary that is there before the visitor chose."""
        return [f for f in self.phase(BEFORE) if not f.required]

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "error": self.error,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "findings": [asdict(f) | {"undeclared": f.undeclared} for f in self.findings],
            "undeclared": sorted({f.name for f in self.undeclared}),
            "suggestions": {
                f.name: f.suggestion for f in self.undeclared if f.suggestion is not None
            },
            "before_choice": sorted({f.name for f in self.before_choice}),
        }


def suggest(reports: Sequence[PageReport], categories: Sequence[CookieCategory]) -> None:
    """Fill in the suggestion for each undeclared finding: the same proposals the
    Undeclared cookies list makes (``suggestions.propose()``), over every page scanned."""
    undeclared = [f for report in reports for f in report.findings if f.undeclared]
    proposals = suggestions.propose(
        ((f.name, f.technology, f.max_age) for f in undeclared), categories
    )
    by_name = {(p.technology, name): p for p in proposals for name in p.names}
    for finding in undeclared:
        proposal = by_name.get((finding.technology, finding.name))
        if proposal is not None and (proposal.known is not None or proposal.is_pattern):
            finding.suggestion = proposal.as_dict()


async def _scan(browser: Browser, url: str) -> PageReport:
    """Visit ``url`` undecided, then accept all through the banner and visit it again (one
    browser context). What goes wrong is the report's ``error``; what was found until then
    is kept."""
    report = PageReport(url)
    page = None
    try:
        page = await browser.new_page(url)
        responses: list[Any] = []
        page.on("response", lambda response: responses.append(response))
        await browser.open(page, url)
        report.rejected += await browser.collect(page, url, responses, BEFORE, report.findings)
        if await browser.choose(page, url, ACCEPT_ALL, "Accept all"):
            report.accepted = True
            await browser.open(page, url)
            report.rejected += await browser.collect(page, url, responses, AFTER, report.findings)
    except BrowserError as exc:
        report.error = str(exc)
    except Exception as exc:  # a page that misbehaves is reported, not a traceback
        report.error = f"{url}: {first_line(exc)}"
    finally:
        if page is not None:
            closed = await browser.close(page.context, url)
            report.error = report.error or closed
    return report


def scan(
    urls: Sequence[str],
    registry: Registry,
    *,
    executable: str | None = None,
    timeout: float = 15.0,
    on_page: Callable[[PageReport], None] | None = None,
) -> list[PageReport]:
    """Scan every URL; classify what was found with ``registry`` (read beforehand: the
    browser's event loop must not share a thread with database queries)."""
    reports = []
    with Browser(executable=executable, timeout=timeout) as browser:
        for url in urls:
            report = browser.run(_scan(browser, url))
            for finding in report.findings:
                classify(finding, registry)
            reports.append(report)
            if on_page is not None:
                on_page(report)
    return reports


# -- the site's own pages ----------------------------------------------------------------------


def sitemap_urls(base_url: str) -> list[str] | None:
    """The locations of every page in the site's ``django.contrib.sitemaps`` sitemaps, on
    ``base_url``; ``None`` when the URLconf has no sitemap."""
    from django.contrib.sitemaps import views

    parts = urlsplit(base_url)
    site = SimpleNamespace(domain=parts.netloc, name=parts.netloc)
    sitemaps = None
    for pattern in _patterns(get_resolver().url_patterns):
        if getattr(pattern, "callback", None) in (views.sitemap, views.index):
            sitemaps = pattern.default_args.get("sitemaps")
            if sitemaps:
                break
    if not sitemaps:
        return None
    urls: dict[str, None] = {}  # each once, in order
    for sitemap in sitemaps.values():
        if isinstance(sitemap, type):
            sitemap = sitemap()
        for page in sitemap.paginator.page_range:
            for item in sitemap.get_urls(page=page, site=site, protocol=parts.scheme):
                urls[item["location"]] = None
    return list(urls)


def _patterns(patterns: Sequence[URLPattern | URLResolver]) -> Iterator[URLPattern]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns)
        else:
            yield pattern
