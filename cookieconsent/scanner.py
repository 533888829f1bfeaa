"""The scanner: opens pages in headless Chromium (Playwright), once as a visitor who has not
decided and once after “Accept all” in the banner, and reports every cookie and storage key.

Install it with the ``scan`` extra (``pip install cookieconsent[scan]``); it drives the
system's Chromium (``SCANNER_BROWSER``, ``$COOKIECONSENT_CHROMIUM``, else
``/usr/bin/chromium``), so no browser download is needed.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from django.urls import URLPattern, URLResolver, get_resolver

from cookieconsent.conf import get_config
from cookieconsent.engine.registry import Registry
from cookieconsent.models import Technology

DEFAULT_BROWSER = "/usr/bin/chromium"
BROWSER_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)
ACCEPT_ALL = '[data-cookieconsent-banner] button[value="accept_all"]'
BEFORE, AFTER = "before", "after"


class ScanError(Exception):
    """The scan cannot run, or a page did not answer."""


def browser_path() -> str:
    return (
        get_config()["SCANNER_BROWSER"]
        or os.environ.get("COOKIECONSENT_CHROMIUM", "")
        or DEFAULT_BROWSER
    )


@dataclass
class Finding:
    name: str
    technology: str  # Technology: cookie, local_storage, session_storage
    phase: str  # before a choice, or after accepting all
    party: str = "first"  # first or third
    via: str = ""  # cookies: "header" (Set-Cookie) or "script" (document.cookie)
    domain: str = ""
    category: str | None = None  # None: no category declares it
    required: bool = False

    @property
    def undeclared(self) -> bool:
        return self.category is None

    @property
    def essential(self) -> bool:
        return self.required


@dataclass
class PageReport:
    url: str
    findings: list[Finding] = field(default_factory=list)
    accepted: bool = False  # the banner's “Accept all” was found and used
    error: str = ""

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
        return [f for f in self.phase(BEFORE) if not f.essential]

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "error": self.error,
            "accepted": self.accepted,
            "findings": [asdict(f) | {"undeclared": f.undeclared} for f in self.findings],
            "undeclared": sorted({f.name for f in self.undeclared}),
            "before_choice": sorted({f.name for f in self.before_choice}),
        }


def classify(finding: Finding, registry: Registry) -> Finding:
    """Fill in the category the cookie table gives ``finding`` (none: undeclared)."""
    if finding.technology == Technology.HTTP_COOKIE:
        rule = registry.lookup(finding.name)
        if rule is not None:
            finding.category, finding.required = rule.slug, rule.required
        return finding
    required = registry.required_slugs
    for key in registry.storage_keys:
        if key.technology == finding.technology and _matches(key.name, finding.name):
            finding.category, finding.required = key.slug, key.slug in required
            break
    return finding


def _matches(pattern: str, name: str) -> bool:
    if "*" not in pattern:
        return pattern == name
    return fnmatch.fnmatchcase(name, pattern.replace("[", "[[]"))


def _party(domain: str, host: str) -> str:
    domain = domain.lstrip(".").lower()
    host = host.lower()
    same = host == domain or host.endswith("." + domain) or domain.endswith("." + host)
    return "first" if same else "third"


class Scanner:
    """One headless Chromium for many pages; each page gets two fresh browser contexts'
    worth of cookie jar (one, reused across the accept)."""

    def __init__(self, *, executable: str | None = None, timeout: float = 15.0) -> None:
        self.executable = executable or browser_path()
        self.timeout_ms = timeout * 1000
        self._playwright: Any = None
        self._browser: Any = None

    def __enter__(self) -> Scanner:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            raise ScanError(
                "The scanner needs Playwright: pip install 'cookieconsent[scan]'."
            ) from None
        if not os.path.exists(self.executable):
            raise ScanError(
                f"No Chromium at {self.executable}: install it (apt-get install chromium) or "
                "set COOKIECONSENT['SCANNER_BROWSER'] or $COOKIECONSENT_CHROMIUM."
            )
        self._manager = sync_playwright()
        self._playwright = self._manager.__enter__()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=self.executable, args=list(BROWSER_ARGS)
            )
        except Exception as exc:
            self._manager.__exit__(None, None, None)
            raise ScanError(f"Chromium at {self.executable} did not start: {exc}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._browser is not None:
            self._browser.close()
        self._manager.__exit__(None, None, None)

    def scan(self, url: str) -> PageReport:
        """Visit ``url`` undecided, then accept all through the banner and visit it again."""
        report = PageReport(url)
        context = self._browser.new_context()
        try:
            page = context.new_page()
            page.set_default_timeout(self.timeout_ms)
            responses: list[Any] = []
            page.on("response", lambda response: responses.append(response))
            self._open(page, url)
            report.findings += self._collect(context, page, url, responses, BEFORE)
            accept = page.locator(ACCEPT_ALL)
            if accept.count():
                accept.first.click()
                # The banner posts (with or without its script); wait for the consent cookie,
                # which may be HttpOnly: ask the browser's cookie jar, not the page.
                self._wait_for_cookie(context, page, get_config()["COOKIE_NAME"])
                report.accepted = True
                self._open(page, url)
                report.findings += self._collect(context, page, url, responses, AFTER)
        except ScanError as exc:
            report.error = str(exc)
        except Exception as exc:  # a page that misbehaves is reported, not a traceback
            report.error = f"{url}: {str(exc).splitlines()[0]}"
        finally:
            context.close()
        return report

    def _wait_for_cookie(self, context: Any, page: Any, name: str) -> None:
        deadline = time.monotonic() + self.timeout_ms / 1000
        while not any(c["name"] == name for c in context.cookies()):
            if time.monotonic() > deadline:
                raise ScanError(f"{page.url}: “Accept all” did not set the consent cookie.")
            page.wait_for_timeout(100)

    def _open(self, page: Any, url: str) -> None:
        try:
            response = page.goto(url, wait_until="load")
        except Exception as exc:
            raise ScanError(f"{url} did not answer: {str(exc).splitlines()[0]}") from None
        if response is not None and response.status >= 400:
            raise ScanError(f"{url} answered {response.status}.")
        # A page that keeps polling never goes idle; what is there by then counts.
        with contextlib.suppress(Exception):
            page.wait_for_load_state("networkidle", timeout=min(self.timeout_ms, 5000))

    def _collect(
        self, context: Any, page: Any, url: str, responses: list[Any], phase: str
    ) -> list[Finding]:
        from_headers: set[str] = set()
        for response in responses:
            try:
                headers = response.headers_array()
            except Exception:
                continue
            for header in headers:
                if header["name"].lower() == "set-cookie":
                    for line in header["value"].split("\n"):
                        from_headers.add(line.split("=", 1)[0].strip())
        host = urlsplit(url).hostname or ""
        found = [
            Finding(
                name=c["name"],
                technology=Technology.HTTP_COOKIE,
                phase=phase,
                party=_party(c.get("domain", ""), host),
                via="header" if c["name"] in from_headers else "script",
                domain=c.get("domain", ""),
            )
            for c in context.cookies()
        ]
        local, session = page.evaluate(
            "() => [Object.keys(localStorage), Object.keys(sessionStorage)]"
        )
        found += [Finding(k, Technology.LOCAL_STORAGE, phase) for k in local]
        found += [Finding(k, Technology.SESSION_STORAGE, phase) for k in session]
        return found


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
    with Scanner(executable=executable, timeout=timeout) as scanner:
        for url in urls:
            report = scanner.scan(url)
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
    urls: list[str] = []
    for sitemap in sitemaps.values():
        if isinstance(sitemap, type):
            sitemap = sitemap()
        for page in sitemap.paginator.page_range:
            for item in sitemap.get_urls(page=page, site=site, protocol=parts.scheme):
                if item["location"] not in urls:
                    urls.append(item["location"])
    return urls


def _patterns(patterns: Sequence[URLPattern | URLResolver]) -> Iterator[URLPattern]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns)
        else:
            yield pattern
