"""Headless Chromium for the scanner and the audit: one browser on an event loop of its own,
every step of a page given the timeout, and what a page stored read from the browser itself.

Install it with the ``scan`` extra (``pip install cookieconsent[scan]``); it drives the
system's Chromium (``SCANNER_BROWSER``, ``$COOKIECONSENT_CHROMIUM``, else
``/usr/bin/chromium``), so no browser download is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import xml.etree.ElementTree as ElementTree
from collections import deque
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

from cookieconsent.conf import get_config
from cookieconsent.console import discovery
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
#: The banner's buttons, by the action they post; only a visible one is clicked (in
#: cache-safe mode the other regimes' bodies are there too, hidden).
ACCEPT_ALL, REJECT_ALL = "accept_all", "reject_all"
_BUTTON = '[data-cookieconsent-banner] button[name="action"][value="{}"]:visible'
BANNER = "[data-cookieconsent-banner]:visible"
#: Keys read from each storage area of a page at most; the rest are counted as left out.
MAX_KEYS = 1000
#: Pages read from a site's sitemaps at most (the sitemap protocol's own limit per file):
#: reading stops there.
MAX_SITEMAP_URLS = 50000
#: A sitemap file's size at most (the sitemap protocol's own limit, uncompressed).
MAX_SITEMAP_BYTES = 50 * 1024 * 1024
#: Sitemap files read at most: the site's ``/sitemap.xml`` and those an index lists.
MAX_SITEMAPS = 100
#: How much of a sitemap is parsed between two chances for the timeout to stop it.
_SITEMAP_CHUNK = 1 << 20
_T = TypeVar("_T")


class BrowserError(Exception):
    """The browser cannot run, or a page did not answer."""


def browser_path() -> str:
    return (
        get_config()["SCANNER_BROWSER"]
        or os.environ.get("COOKIECONSENT_CHROMIUM", "")
        or DEFAULT_BROWSER
    )


@dataclass
class Finding:
    """A cookie or storage key a page left in the browser."""

    name: str
    technology: str  # Technology: cookie, local_storage, session_storage
    phase: str  # when it was read (the scanner's and the audit's own names)
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


def _max_age(expires: object) -> int | None:
    """Seconds left of a cookie the browser holds (its ``expires``, -1 for a session cookie)."""
    if not isinstance(expires, int | float) or isinstance(expires, bool):
        return None
    if expires < 0:
        return 0
    return max(round(expires - time.time()), 1)


def classify(finding: Finding, registry: Registry) -> Finding:
    """Fill in the category the cookie table gives ``finding`` (none: undeclared)."""
    if finding.technology == Technology.HTTP_COOKIE:
        rule = registry.lookup(finding.name)
        if rule is not None:
            finding.category, finding.required = rule.slug, rule.required
        return finding
    key = registry.storage_key(finding.technology, finding.name)
    if key is not None:
        finding.category, finding.required = key.slug, key.slug in registry.required_slugs
    return finding


def _party(domain: str, host: str) -> str:
    domain = domain.lstrip(".").lower()
    host = host.lower()
    same = host == domain or host.endswith("." + domain) or domain.endswith("." + host)
    return "first" if same else "third"


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


class Browser:
    """One headless Chromium for many pages, each visited in fresh browser contexts.

    Playwright's async API runs on an event loop of the browser's own, only while a page is
    visited (``run()``), so every step can be given the timeout (``asyncio.wait_for``): a
    page whose script never yields is reported as that page's error, its context closed,
    and the run goes on (in a new browser, should this one stop answering)."""

    def __init__(self, *, executable: str | None = None, timeout: float = 15.0) -> None:
        self.executable = executable or browser_path()
        self.timeout = timeout
        self.timeout_ms = timeout * 1000
        self._loop: asyncio.AbstractEventLoop | None = None
        self._playwright: Any = None
        self._browser: Any = None
        self._broken = False

    def __enter__(self) -> Browser:
        # The executable first: that error needs no Playwright to be reported.
        if not os.path.exists(self.executable):
            raise BrowserError(
                f"No Chromium at {self.executable}: install it (apt-get install chromium) or "
                "set COOKIECONSENT['SCANNER_BROWSER'] or $COOKIECONSENT_CHROMIUM."
            )
        try:
            from playwright.async_api import async_playwright
        except ImportError:
            raise BrowserError(
                "Driving Chromium needs Playwright: pip install 'cookieconsent[scan]'."
            ) from None
        self._loop = asyncio.new_event_loop()
        try:
            self._playwright = self.run(async_playwright().start())
            self._browser = self.run(self._launch())
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
                    self._loop.run_until_complete(
                        asyncio.wait_for(self._browser.close(), self.timeout)
                    )
            if self._playwright is not None:
                self._loop.run_until_complete(self._playwright.stop())
        finally:
            self._browser = self._playwright = None
            self._loop.close()
            self._loop = None

    def run(self, awaitable: Awaitable[_T]) -> _T:
        """Run ``awaitable`` (one page's visits) on the browser's loop. A browser that
        stopped answering meanwhile is replaced before the next."""
        assert self._loop is not None, "use the Browser in a with statement"
        try:
            return self._loop.run_until_complete(awaitable)
        finally:
            if self._broken and self._browser is not None:
                self._broken = False
                with contextlib.suppress(Exception):
                    self._loop.run_until_complete(
                        asyncio.wait_for(self._browser.close(), self.timeout)
                    )
                self._browser = self._loop.run_until_complete(self._launch())

    async def _launch(self) -> Any:
        try:
            return await self._playwright.chromium.launch(
                executable_path=self.executable,
                args=list(BROWSER_ARGS),
                timeout=max(self.timeout_ms, 30000),
            )
        except Exception as exc:
            raise BrowserError(
                f"Chromium at {self.executable} did not start: {first_line(exc)}"
            ) from None

    async def step(self, awaitable: Awaitable[_T], url: str, what: str) -> _T:
        """``awaitable``, given at most the timeout."""
        try:
            return await asyncio.wait_for(awaitable, self.timeout)
        except TimeoutError:
            raise BrowserError(
                f"{url}: {what} took longer than {self.timeout:g} s (the page may be stuck in "
                "a script)."
            ) from None

    async def new_page(self, url: str, **options: Any) -> Any:
        """A page in a fresh browser context (a fresh cookie jar and storage); ``options``
        go to ``Browser.new_context()``. Give its context to ``close()`` when done."""
        context = await self.step(self._browser.new_context(**options), url, "opening a browser")
        try:
            context.set_default_timeout(self.timeout_ms)
            page = await self.step(context.new_page(), url, "opening a page")
            # Nothing from the browser's cache: every load asks the network again, as it
            # would for a visitor who comes back later.
            cdp = await self.step(context.new_cdp_session(page), url, "opening a page")
            await self.step(
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": True}), url, "opening a page"
            )
            return page
        except BaseException:
            await self.close(context, url)
            raise

    async def close(self, context: Any, url: str) -> str:
        """Close ``context``: "" or, when the browser no longer answers, the error (and the
        browser is replaced once the current ``run()`` is over)."""
        try:
            await asyncio.wait_for(context.close(), self.timeout)
        except Exception:
            self._broken = True
            return f"{url}: the browser stopped answering."
        return ""

    async def open(self, page: Any, url: str) -> str:
        """Load ``url`` and wait until its network is idle (or for at most five seconds); the
        address of the document it loaded, where its HTTP redirects led. (Not ``page.url``
        afterwards: by then the page's script may have gone elsewhere.)"""
        try:
            response = await self.step(page.goto(url, wait_until="load"), url, "loading")
        except BrowserError:
            raise
        except Exception as exc:
            raise BrowserError(f"{url} did not answer: {first_line(exc)}") from None
        if response is not None and response.status >= 400:
            raise BrowserError(f"{url} answered {response.status}.")
        loaded: str = response.url if response is not None else url
        # A page that keeps polling never goes idle; what is there by then counts.
        with contextlib.suppress(Exception):
            idle = min(self.timeout_ms, 5000)
            await asyncio.wait_for(
                page.wait_for_load_state("networkidle", timeout=idle), idle / 1000 + 1
            )
        return loaded

    async def choose(self, page: Any, url: str, action: str, label: str) -> bool:
        """Click the banner's button for ``action`` as a visitor would, and wait until the
        consent cookie is set; ``False`` when the page shows no such button."""
        button = page.locator(_BUTTON.format(action))
        if not await self.step(button.count(), url, "looking for the banner"):
            return False
        await self.step(button.first.click(), url, f"clicking “{label}”")
        # The banner posts (with or without its script); wait for the consent cookie,
        # which may be HttpOnly: ask the browser's cookie jar, not the page.
        name = get_config()["COOKIE_NAME"]
        deadline = time.monotonic() + self.timeout
        while True:
            cookies = await self.step(page.context.cookies(), url, "reading the cookies")
            if any(c.get("name") == name for c in cookies):
                return True
            if time.monotonic() > deadline:
                raise BrowserError(f"{url}: “{label}” did not set the consent cookie.")
            await asyncio.sleep(0.1)

    async def collect(
        self, page: Any, url: str, responses: list[Any], phase: str, into: list[Finding]
    ) -> int:
        """Add every cookie of the page's browser context and every key of its storage to
        ``into`` (cookies first: kept should the storage not answer); how many names were
        left out (not strings, not valid names, beyond ``MAX_KEYS``)."""
        from_headers = await self.step(_set_cookie_names(responses), url, "reading headers")
        host = urlsplit(url).hostname or ""
        left_out = 0
        for c in await self.step(page.context.cookies(), url, "reading the cookies"):
            name, domain = c.get("name"), c.get("domain", "")
            if not discovery.is_valid_name(name) or not isinstance(domain, str):
                left_out += 1
                continue
            into.append(
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
        areas = await self.step(self._storage_keys(page), url, "reading storage")
        for technology, (keys, total) in zip(
            (Technology.LOCAL_STORAGE, Technology.SESSION_STORAGE), areas, strict=True
        ):
            valid = [k for k in keys if discovery.is_valid_name(k, technology)]
            left_out += total - len(valid)
            into += [Finding(k, technology, phase) for k in valid]
        return left_out

    async def _storage_keys(self, page: Any) -> list[tuple[list[Any], int]]:
        """The keys of the main frame's local and session storage, and how many each has."""
        cdp = await page.context.new_cdp_session(page)
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

    def sitemap(self, base_url: str) -> list[str]:
        """The pages ``/sitemap.xml`` on ``base_url`` lists (following a sitemap index one
        level down), on the same origin only."""
        return self.run(self._sitemap(base_url))

    async def _sitemap(self, base_url: str) -> list[str]:
        sitemaps = _Sitemaps(base_url)
        request = await self.step(self._playwright.request.new_context(), base_url, "fetching")
        try:
            while sitemaps.queue and not sitemaps.full:
                url = sitemaps.queue.popleft()
                body = await self._fetch(request, url)
                await self.step(sitemaps.read(body, url), url, "reading the sitemap")
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(request.dispose(), self.timeout)
        return list(sitemaps.pages)

    async def _fetch(self, request: Any, url: str) -> bytes:
        """The body of the sitemap at ``url``, refused beyond ``MAX_SITEMAP_BYTES``."""
        too_large = f"{url} is larger than {MAX_SITEMAP_BYTES // 2**20} MB, a sitemap's limit."
        try:
            fetching = request.get(url, max_redirects=3, timeout=self.timeout_ms)
            response = await self.step(fetching, url, "fetching")
            if response.status >= 400:
                raise BrowserError(f"{url} answered {response.status}.")
            length = response.headers.get("content-length", "")
            if length.isdigit() and int(length) > MAX_SITEMAP_BYTES:
                raise BrowserError(too_large)
            body: bytes = await self.step(response.body(), url, "reading")
        except BrowserError:
            raise
        except Exception as exc:
            raise BrowserError(f"{url} did not answer: {first_line(exc)}") from None
        if len(body) > MAX_SITEMAP_BYTES:
            raise BrowserError(too_large)
        return body


class _Sitemaps:
    """A site's sitemaps as they are read: the pages they list on its origin (each once, in
    order, up to ``MAX_SITEMAP_URLS``) and the sitemaps an index lists, queued to be read
    (each once, up to ``MAX_SITEMAPS``)."""

    def __init__(self, base_url: str) -> None:
        self.origin = origin_of(base_url)
        first = urljoin(base_url, "/sitemap.xml")
        self.queue: deque[str] = deque([first])
        self.queued = {first}
        self.pages: dict[str, None] = {}  # a set that keeps the order

    @property
    def full(self) -> bool:
        return len(self.pages) >= MAX_SITEMAP_URLS

    async def read(self, body: bytes, url: str) -> None:
        """Add what ``body``, the sitemap at ``url``, lists, until the limit: a chunk at a
        time, so that the timeout can stop a large one between two."""
        for index, locations in _sitemap_chunks(body, url):
            for loc in locations:
                if origin_of(loc) != self.origin:
                    continue
                if not index:
                    self.pages[loc] = None
                    if self.full:
                        return
                elif loc not in self.queued and len(self.queued) < MAX_SITEMAPS:
                    self.queued.add(loc)
                    self.queue.append(loc)
            await asyncio.sleep(0)


_SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_SITEMAP_INDEX = f"{_SITEMAP_NS}sitemapindex"


def parse_sitemap(body: bytes, url: str) -> tuple[bool, list[str]]:
    """Whether ``body`` is a sitemap index, and the locations it lists (http(s) only)."""
    index, locations = False, []
    for in_index, found in _sitemap_chunks(body, url):
        index = in_index
        locations += found
    return index, locations


def _sitemap_chunks(body: bytes, url: str) -> Iterator[tuple[bool, list[str]]]:
    """Parse ``body`` ``_SITEMAP_CHUNK`` bytes at a time: after each, whether it is a sitemap
    index and the locations (http(s) only) read in it. Each entry is dropped once read, so
    that a large sitemap is never held as a whole tree."""
    parser: ElementTree.XMLPullParser[ElementTree.Element] = ElementTree.XMLPullParser(
        events=("start", "end")
    )
    root: ElementTree.Element | None = None
    depth = 0
    try:
        for start in [*range(0, len(body), _SITEMAP_CHUNK), -1]:
            if start < 0:
                parser.close()  # the end: a document cut short fails here
            else:
                parser.feed(body[start : start + _SITEMAP_CHUNK])
            locations = []
            for event in parser.read_events():
                element = event[-1]
                if not isinstance(element, ElementTree.Element):
                    continue  # not asked for: only start and end
                if event[0] == "start":
                    depth += 1
                    if root is None:
                        root = element
                        if root.tag not in (f"{_SITEMAP_NS}urlset", _SITEMAP_INDEX):
                            raise BrowserError(f"{url} is not a sitemap: its root is <{root.tag}>.")
                    continue
                depth -= 1
                if element.tag == f"{_SITEMAP_NS}loc":
                    location = _http_location(element.text)
                    if location:
                        locations.append(location)
                if depth == 1 and root is not None:
                    del root[:]  # an entry, read
            yield root is not None and root.tag == _SITEMAP_INDEX, locations
    except ElementTree.ParseError as exc:
        raise BrowserError(f"{url} is not a sitemap: {exc}.") from None


def _http_location(text: str | None) -> str:
    """``text`` stripped, when it is an http(s) URL; else ""."""
    text = (text or "").strip()
    try:
        return text if urlsplit(text).scheme in ("http", "https") else ""
    except ValueError:  # such as an unclosed IPv6 address
        return ""


def origin_of(url: str) -> str:
    """The origin of ``url``: ``scheme://host[:port]``, without the scheme's default port."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(parts.scheme)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


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


def first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
