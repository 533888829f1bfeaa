"""The scanner: opens pages in headless Chromium (Playwright), once as a visitor who has not
decided and once after “Accept all” in the banner, and reports every cookie and storage key.

Install it with the ``scan`` extra (``pip install cookieconsent[scan]``); it drives the
system's Chromium (``SCANNER_BROWSER``, ``$COOKIECONSENT_CHROMIUM``, else
``/usr/bin/chromium``), so no browser download is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import os
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from types import SimpleNamespace
from typing import Any, TypeVar
from urllib.parse import urlsplit

from django.urls import URLPattern, URLResolver, get_resolver

from cookieconsent.conf import get_config
from cookieconsent.console import discovery, suggestions
from cookieconsent.engine.registry import Registry
from cookieconsent.models import CookieCategory, Technology

DEFAULT_BROWSER = "/usr/bin/chromium"
BROWSER_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)
_T = TypeVar("_T")
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
    #: Cookies: the lifetime the browser gave it, in seconds; 0 for a session cookie.
    max_age: int | None = None
    #: Undeclared ones: how to declare it (``suggestions.Proposal.as_dict()``), or None.
    suggestion: dict[str, Any] | None = None

    @property
    def undeclared(self) -> bool:
        return self.category is None


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


def _max_age(expires: object) -> int | None:
    """Seconds left of a cookie the browser holds (its ``expires``, -1 for a session cookie)."""
    if not isinstance(expires, int | float) or isinstance(expires, bool):
        return None
    if expires < 0:
        return 0
    return max(round(expires - time.time()), 1)


def _matches(pattern: str, name: str) -> bool:
    if "*" not in pattern:
        return pattern == name
    return fnmatch.fnmatchcase(name, pattern.replace("[", "[[]"))


def _party(domain: str, host: str) -> str:
    domain = domain.lstrip(".").lower()
    host = host.lower()
    same = host == domain or host.endswith("." + domain) or domain.endswith("." + host)
    return "first" if same else "third"


#: Keys read from each storage area of a page at most; the rest are counted as left out.
MAX_KEYS = 1000
#: Reads the page's storage keys in an isolated world, where the page's own script cannot
#: replace ``Object.keys`` or ``Storage.prototype``: the keys, and how many there were.
_STORAGE_KEYS = f"""(() => {{
  const read = (area) => {{
    try {{
      const s = area(), keys = [];
      for (let i = 0; i < Math.min(s.length, {MAX_KEYS}); i++) keys.push(s.key(i));
      return [keys, s.length];
    }} catch (e) {{
      return [[], 0];  // no storage here (an opaque origin, storage disabled)
    }}
  }};
  return [read(() => localStorage), read(() => sessionStorage)];
}})()"""


class Scanner:
    """One headless Chromium for many pages; each page gets one fresh browser context, whose
    cookie jar is kept across the accept.

    Playwright's async API runs on an event loop of the scanner's own, only while a page is
    scanned, so every step can be given the timeout (``asyncio.wait_for``): a page whose
    script never yields is reported as that page's error, its context closed, and the scan
    goes on."""

    def __init__(self, *, executable: str | None = None, timeout: float = 15.0) -> None:
        self.executable = executable or browser_path()
        self.timeout = timeout
        self.timeout_ms = timeout * 1000
        self._loop: asyncio.AbstractEventLoop | None = None
        self._playwright: Any = None
        self._browser: Any = None

    def __enter__(self) -> Scanner:
        # The executable first: that error needs no Playwright to be reported.
        if not os.path.exists(self.executable):
            raise ScanError(
                f"No Chromium at {self.executable}: install it (apt-get install chromium) or "
                "set COOKIECONSENT['SCANNER_BROWSER'] or $COOKIECONSENT_CHROMIUM."
            )
        try:
            from playwright.async_api import async_playwright
        except ImportError:
            raise ScanError(
                "The scanner needs Playwright: pip install 'cookieconsent[scan]'."
            ) from None
        self._loop = asyncio.new_event_loop()
        try:
            self._playwright = self._run(async_playwright().start())
            self._browser = self._run(self._launch())
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is None:
            return
        try:
            if self._browser is not None:
                with contextlib.suppress(Exception):
                    self._run(asyncio.wait_for(self._browser.close(), self.timeout))
            if self._playwright is not None:
                self._run(self._playwright.stop())
        finally:
            self._browser = self._playwright = None
            self._loop.close()
            self._loop = None

    def _run(self, awaitable: Awaitable[_T]) -> _T:
        assert self._loop is not None, "use the Scanner in a with statement"
        return self._loop.run_until_complete(awaitable)

    async def _launch(self) -> Any:
        try:
            return await self._playwright.chromium.launch(
                executable_path=self.executable,
                args=list(BROWSER_ARGS),
                timeout=max(self.timeout_ms, 30000),
            )
        except Exception as exc:
            raise ScanError(
                f"Chromium at {self.executable} did not start: {_first_line(exc)}"
            ) from None

    def scan(self, url: str) -> PageReport:
        """Visit ``url`` undecided, then accept all through the banner and visit it again.
        What goes wrong is the report's ``error``; what was found until then is kept."""
        return self._run(self._scan(url))

    async def _step(self, awaitable: Awaitable[_T], url: str, what: str) -> _T:
        """``awaitable``, given at most the timeout."""
        try:
            return await asyncio.wait_for(awaitable, self.timeout)
        except TimeoutError:
            raise ScanError(
                f"{url}: {what} took longer than {self.timeout:g} s (the page may be stuck in "
                "a script)."
            ) from None

    async def _scan(self, url: str) -> PageReport:
        report = PageReport(url)
        context = await self._step(self._browser.new_context(), url, "opening a browser")
        try:
            context.set_default_timeout(self.timeout_ms)
            page = await self._step(context.new_page(), url, "opening a page")
            responses: list[Any] = []
            page.on("response", lambda response: responses.append(response))
            await self._open(page, url)
            await self._collect(report, context, page, url, responses, BEFORE)
            accept = page.locator(ACCEPT_ALL)
            if await self._step(accept.count(), url, "looking for the banner"):
                await self._step(accept.first.click(), url, "clicking “Accept all”")
                # The banner posts (with or without its script); wait for the consent cookie,
                # which may be HttpOnly: ask the browser's cookie jar, not the page.
                await self._wait_for_cookie(context, url, get_config()["COOKIE_NAME"])
                report.accepted = True
                await self._open(page, url)
                await self._collect(report, context, page, url, responses, AFTER)
        except ScanError as exc:
            report.error = str(exc)
        except Exception as exc:  # a page that misbehaves is reported, not a traceback
            report.error = f"{url}: {_first_line(exc)}"
        finally:
            await self._close(context, report)
        return report

    async def _close(self, context: Any, report: PageReport) -> None:
        try:
            await asyncio.wait_for(context.close(), self.timeout)
        except Exception:
            # The browser no longer answers: start another for the next page.
            report.error = report.error or f"{report.url}: the browser stopped answering."
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._browser.close(), self.timeout)
            self._browser = await self._launch()

    async def _wait_for_cookie(self, context: Any, url: str, name: str) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            cookies = await self._step(context.cookies(), url, "reading the cookies")
            if any(c.get("name") == name for c in cookies):
                return
            if time.monotonic() > deadline:
                raise ScanError(f"{url}: “Accept all” did not set the consent cookie.")
            await asyncio.sleep(0.1)

    async def _open(self, page: Any, url: str) -> None:
        try:
            response = await self._step(page.goto(url, wait_until="load"), url, "loading")
        except ScanError:
            raise
        except Exception as exc:
            raise ScanError(f"{url} did not answer: {_first_line(exc)}") from None
        if response is not None and response.status >= 400:
            raise ScanError(f"{url} answered {response.status}.")
        # A page that keeps polling never goes idle; what is there by then counts.
        with contextlib.suppress(Exception):
            idle = min(self.timeout_ms, 5000)
            await asyncio.wait_for(
                page.wait_for_load_state("networkidle", timeout=idle), idle / 1000 + 1
            )

    async def _collect(
        self,
        report: PageReport,
        context: Any,
        page: Any,
        url: str,
        responses: list[Any],
        phase: str,
    ) -> None:
        from_headers = await self._step(_set_cookie_names(responses), url, "reading headers")
        host = urlsplit(url).hostname or ""
        found: list[Finding] = []
        for c in await self._step(context.cookies(), url, "reading the cookies"):
            name, domain = c.get("name"), c.get("domain", "")
            if not discovery.is_valid_name(name) or not isinstance(domain, str):
                report.rejected += 1
                continue
            found.append(
                Finding(
                    name=name,
                    technology=Technology.HTTP_COOKIE,
                    phase=phase,
                    party=_party(domain, host),
                    via="header" if name in from_headers else "script",
                    domain=domain[:255],
                    max_age=_max_age(c.get("expires")),
                )
            )
        report.findings += found  # kept should the storage not answer
        areas = await self._step(self._storage_keys(context, page), url, "reading storage")
        for technology, (keys, total) in zip(
            (Technology.LOCAL_STORAGE, Technology.SESSION_STORAGE), areas, strict=True
        ):
            valid = [k for k in keys if discovery.is_valid_name(k, technology)]
            report.rejected += total - len(valid)
            report.findings += [Finding(k, technology, phase) for k in valid]

    async def _storage_keys(self, context: Any, page: Any) -> list[tuple[list[Any], int]]:
        """The keys of the main frame's local and session storage, and how many each has."""
        cdp = await context.new_cdp_session(page)
        tree = await cdp.send("Page.getFrameTree")
        world = await cdp.send(
            "Page.createIsolatedWorld",
            {"frameId": tree["frameTree"]["frame"]["id"], "worldName": "cookieconsent"},
        )
        result = await cdp.send(
            "Runtime.evaluate",
            {
                "expression": _STORAGE_KEYS,
                "contextId": world["executionContextId"],
                "returnByValue": True,
            },
        )
        # Not in a finally: cancelled by the timeout, this would wait on the stuck page too.
        # Closing the context ends the session then.
        await cdp.detach()
        return _storage_result(result.get("result", {}).get("value"))


def _storage_result(value: object) -> list[tuple[list[Any], int]]:
    """What the storage script returned, checked: two ``[keys, count]`` pairs."""
    areas: list[tuple[list[Any], int]] = []
    for area in value if isinstance(value, list) and len(value) == 2 else [None, None]:
        if isinstance(area, list) and len(area) == 2 and isinstance(area[0], list):
            keys, total = area[0][:MAX_KEYS], area[1]
            total = total if isinstance(total, int) and total >= len(keys) else len(keys)
            areas.append((keys, total))
        else:
            areas.append(([], 0))
    return areas


async def _set_cookie_names(responses: list[Any]) -> set[str]:
    """The cookie names the ``Set-Cookie`` headers of ``responses`` carried."""
    names: set[str] = set()
    for response in list(responses):
        try:
            headers = await response.headers_array()
        except Exception:
            continue
        for header in headers:
            if header["name"].lower() == "set-cookie":
                for line in header["value"].split("\n"):
                    names.add(line.split("=", 1)[0].strip())
    return names


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


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
