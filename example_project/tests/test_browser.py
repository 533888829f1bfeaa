"""The banner in a real browser: Playwright drives Debian's Chromium against the fluxems site
served by a live server on 127.0.0.1.

Without Chromium or the playwright package these tests skip with the reason; with
``COOKIECONSENT_REQUIRE_BROWSER=1`` (CI sets it) they fail instead. One browser serves the
whole module; every test gets a fresh context, so a fresh cookie jar.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from cookieconsent.console.browser import BROWSER_ARGS
from tests.helpers import one_at_a_time

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
# The flags this machine's Chromium needs: the scanner's own, one list for every launch.
CHROMIUM_ARGS = list(BROWSER_ARGS)
# The issue asks for 127.0.0.1; pytest-django's live_server reads this when it first starts.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

pytestmark = [
    pytest.mark.browser,
    # The live server's thread shares the in-memory SQLite connection, so what a test writes
    # must be committed for the server to see it: transactional tests, each flushed after.
    # serialized_rollback keeps that flush from recreating content types, which would clash
    # with the next serialized_rollback test's restore (tests/test_seed.py has some).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PAGE_COOKIES = ("_stat", "prefs")


def _missing() -> str | None:
    if CHROMIUM is None:
        return "Chromium is not installed (apt-get install -y chromium)"
    try:
        import axe_playwright_python  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"the browser extra is not installed ({exc.name}): pip install -e '.[browser]'"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _missing()
    if reason is not None:
        if os.environ.get("COOKIECONSENT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"COOKIECONSENT_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread, which Django's async-safety
    # check mistakes for async code around the ORM calls of the tests and their fixtures.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from django.db import connections

    serialized = {c.alias: getattr(c, "_test_serialized_contents", None) for c in connections.all()}
    try:
        with sync_playwright() as p:
            # With that loop running, asgiref hands this thread a second set of database
            # connections. Give them the serialized data that serialized_rollback restores
            # from, or the flush after each test would recreate content types instead.
            for alias, contents in serialized.items():
                if contents is not None:
                    connections[alias]._test_serialized_contents = contents  # type: ignore[attr-defined]
            chromium = p.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def site(live_server: Any, transactional_db: None) -> str:
    """The live server's address, on the fluxems Cookie Policy. The flush after an earlier
    transactional test may have emptied the tables the data migration filled (whether
    ``serialized_rollback`` restores them depends on which tests ran before): seed again."""
    from django.apps import apps
    from django.db import connection

    from cookieconsent.engine import registry
    from cookieconsent.models import CookiePolicy, PublishedVersion

    editor = SimpleNamespace(connection=connection)
    if not CookiePolicy.objects.exists():
        seed = importlib.import_module("example_project.fluxems.migrations.0001_seed_policy")
        seed.seed(apps, editor)
        for name in ("0003_contact_once", "0004_afrikaans"):
            importlib.import_module(f"example_project.fluxems.migrations.{name}").forward(
                apps, editor
            )
        registry.reset()
    if not PublishedVersion.objects.exists():
        migration = importlib.import_module(
            "example_project.fluxems.migrations.0005_publish_version_1"
        )
        migration.publish_version_1(apps, editor)
    return str(live_server.url)


def new_page(browser: Any, *, width: int = 1280, height: int = 800, js: bool = True) -> Any:
    context = browser.new_context(
        viewport={"width": width, "height": height}, java_script_enabled=js
    )
    context.set_default_timeout(5000)
    return context.new_page()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    page = new_page(browser)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    page.context.close()
    assert not errors, errors


@pytest.fixture
def nojs(browser: Any) -> Iterator[Any]:
    page = new_page(browser, js=False)
    yield page
    page.context.close()


def cookies(page: Any) -> set[str]:
    return {c["name"] for c in page.context.cookies()}


def banner(page: Any) -> Any:
    return page.get_by_role("region", name="Cookie consent")


def dialog(page: Any) -> Any:
    return page.get_by_role("dialog", name="Cookie settings")


def saved(page: Any) -> None:
    """The choice was saved without a page load, and said so."""
    status = page.locator(".cc-status")
    status.filter(has_text="Your choice is saved.").wait_for()


def choose_workspace(page: Any, site: str) -> None:
    page.goto(f"{site}/workspace/")
    page.get_by_label("Sandbox").check()
    page.get_by_role("button", name="Use this Workspace").click()
    page.wait_for_load_state()


def marked(page: Any) -> None:
    """Mark the document, to prove later that no page load replaced it."""
    page.evaluate("window.ccNoReload = true")


def not_reloaded(page: Any) -> bool:
    return bool(page.evaluate("window.ccNoReload === true"))


# -- with the script -----------------------------------------------------------------------


LOOK = "e => { const s = getComputedStyle(e); return [s.backgroundColor, s.color, s.borderColor] }"


def test_new_visitor_sees_the_banner(page, site):
    page.goto(site)
    region = banner(page)
    assert region.is_visible()
    accept = region.get_by_role("button", name="Accept all")
    reject = region.get_by_role("button", name="Reject all")
    # With the script "Customise" is a button (it opens a dialog); without, a link.
    customise = region.get_by_role("button", name="Customise")
    boxes = [b.bounding_box() for b in (accept, reject, customise)]
    # Accept and Reject: equal weight, the same size and the same look, side by side.
    assert len({(round(b["width"]), round(b["height"])) for b in boxes[:2]}) == 1
    assert accept.evaluate(LOOK) == reject.evaluate(LOOK)
    assert len({round(b["y"]) for b in boxes}) == 1
    # Customise is quieter: no border of its own. Every one is at least 24 by 24 px.
    assert customise.evaluate(LOOK) != accept.evaluate(LOOK)
    assert customise.evaluate("e => getComputedStyle(e).borderTopColor") == "rgba(0, 0, 0, 0)"
    assert all(b["width"] >= 24 and b["height"] >= 24 for b in boxes)
    assert not cookies(page) & set(PAGE_COOKIES)


def test_reject_sets_neither_cookie(page, site):
    page.goto(site)
    marked(page)
    banner(page).get_by_role("button", name="Reject all").click()
    saved(page)
    assert banner(page).is_hidden() and not_reloaded(page)
    assert not page.evaluate("window.fluxemsAnalyticsLoaded === true")
    choose_workspace(page, site)
    page.goto(site)
    assert banner(page).count() == 0
    assert not cookies(page) & set(PAGE_COOKIES)


def test_customise_functional_only(page, site):
    page.goto(site)
    marked(page)
    banner(page).get_by_role("button", name="Customise").click()
    prefs = dialog(page)
    prefs.wait_for()
    prefs.get_by_label("Functional").check()
    prefs.get_by_role("button", name="Save my choices").click()
    saved(page)
    assert prefs.is_hidden() and banner(page).is_hidden() and not_reloaded(page)
    choose_workspace(page, site)
    assert "prefs" in cookies(page)
    assert "_stat" not in cookies(page)


def test_accept_all_runs_the_gated_script_without_a_reload(page, site):
    page.goto(site)
    marked(page)
    assert not page.evaluate("window.fluxemsAnalyticsLoaded === true")
    changes = page.evaluate_handle(
        "(() => { const seen = []; document.addEventListener('cookieconsent:change',"
        " (e) => seen.push(e.detail)); return seen; })()"
    )
    banner(page).get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => window.fluxemsAnalyticsLoaded === true")
    assert not_reloaded(page)
    assert "_stat" in cookies(page)
    detail = changes.evaluate("seen => seen[0]")
    assert detail["decided"] and "analytics" in detail["categories"]
    assert page.evaluate(
        "djangoCookieConsent.allows('analytics') && !djangoCookieConsent.allows('x')"
    )
    # Activated once: the inert copy is gone and there is one live copy.
    assert page.locator("script[src$='fluxems/analytics.js']").count() == 1
    assert page.locator("script[type='text/plain'][data-cookieconsent]").count() == 0
    choose_workspace(page, site)
    assert {"_stat", "prefs"} <= cookies(page)


def test_cookie_settings_reopen_and_withdrawal_removes_stat(page, site):
    page.goto(site)
    banner(page).get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => window.fluxemsAnalyticsLoaded === true")
    page.evaluate("localStorage.setItem('fluxems.ui', 'dark'); localStorage.setItem('mine', 1)")
    page.goto(site)
    assert "_stat" in cookies(page)
    assert banner(page).count() == 0
    page.get_by_role("contentinfo").get_by_role("link", name="Cookie settings").click()
    prefs = dialog(page)
    prefs.wait_for()
    assert prefs.get_by_label("Analytics").is_checked()
    assert prefs.get_by_label("Strictly necessary").is_disabled()
    prefs.get_by_label("Analytics").uncheck()
    prefs.get_by_label("Functional").uncheck()
    prefs.get_by_role("button", name="Save my choices").click()
    saved(page)
    assert "_stat" not in cookies(page)
    # Local storage of a refused category goes too; undeclared keys are not ours to touch.
    assert page.evaluate("localStorage.getItem('fluxems.ui')") is None
    assert page.evaluate("localStorage.getItem('mine')") == "1"
    page.goto(site)
    assert "_stat" not in cookies(page)


# -- by keyboard alone ---------------------------------------------------------------------


def tab_to(page: Any, name: str, *, limit: int = 40) -> None:
    """Press Tab until the focused element's accessible text is ``name``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "(() => { const e = document.activeElement;"
            " return (e.getAttribute('aria-label') || e.labels?.[0]?.textContent"
            " || e.textContent || '').trim(); })()"
        )
        if focused == name:
            return
    raise AssertionError(f"Tab never reached {name!r}")


def focused_text(page: Any) -> str:
    return str(page.evaluate("document.activeElement.textContent"))


def test_keyboard_reject(page, site):
    page.goto(site)
    tab_to(page, "Reject all")
    page.keyboard.press("Enter")
    saved(page)
    assert banner(page).is_hidden()
    # Focus does not fall to <body> with the banner: it goes to the link that brings the
    # settings back, and the polite live region says what was saved.
    assert focused_text(page) == "Cookie settings"
    assert page.evaluate("document.activeElement.closest('footer') !== null")
    status = page.locator(".cc-status")
    assert status.get_attribute("role") == "status"
    assert status.inner_text() == "Your choice is saved. Allowed: Strictly necessary, Security."
    choose_workspace(page, site)
    assert not cookies(page) & set(PAGE_COOKIES)


def test_keyboard_customise_functional_only(page, site):
    page.goto(site)
    # The banner comes right after the skip link: no focus trap, reached first.
    tab_to(page, "Skip to main content")
    tab_to(page, "Read our Cookie Policy", limit=1)
    tab_to(page, "Customise")
    assert page.evaluate("document.activeElement.tagName") == "BUTTON"
    page.keyboard.press("Enter")
    prefs = dialog(page)
    prefs.wait_for()
    assert page.evaluate("document.querySelector('dialog').contains(document.activeElement)")
    # The dialog adds no second h1: its heading is an h2, which names it.
    assert page.locator("h1").count() == 1
    assert prefs.get_by_role("heading", level=2, name="Cookie settings").is_visible()
    # Each optional category's box is described by its purpose, as on the preferences page.
    from playwright.sync_api import expect

    expect(prefs.get_by_label("Functional")).to_have_accessible_description(
        re.compile(r"^Remember preferences")
    )
    tab_to(page, "Functional")
    page.keyboard.press("Space")
    assert prefs.get_by_label("Functional").is_checked()
    tab_to(page, "Save my choices")
    page.keyboard.press("Enter")
    saved(page)
    assert prefs.is_hidden()
    # "Customise" went with the banner: focus goes to the link that reopens the settings.
    assert focused_text(page) == "Cookie settings"
    assert (
        "Allowed: Strictly necessary, Security, Functional."
        in page.locator(".cc-status").inner_text()
    )
    choose_workspace(page, site)
    assert "prefs" in cookies(page) and "_stat" not in cookies(page)


def test_keyboard_accept_then_withdraw(page, site):
    page.goto(site)
    tab_to(page, "Accept all")
    page.keyboard.press("Space")
    page.wait_for_function("() => window.fluxemsAnalyticsLoaded === true")
    assert "_stat" in cookies(page)
    page.goto(site)
    tab_to(page, "Cookie settings")
    page.keyboard.press("Enter")
    prefs = dialog(page)
    prefs.wait_for()
    # Esc closes the dialog and gives focus back to the link that opened it.
    page.keyboard.press("Escape")
    assert prefs.is_hidden()
    assert page.evaluate("document.activeElement.textContent") == "Cookie settings"
    page.keyboard.press("Enter")
    prefs.wait_for()
    tab_to(page, "Reject all")
    page.keyboard.press("Enter")
    saved(page)
    assert "_stat" not in cookies(page)
    assert page.evaluate("document.activeElement.textContent") == "Cookie settings"


# -- without JavaScript --------------------------------------------------------------------


def test_no_js_reject(nojs, site):
    nojs.goto(site)
    banner(nojs).get_by_role("button", name="Reject all").click()
    nojs.wait_for_load_state()
    assert banner(nojs).count() == 0
    choose_workspace(nojs, site)
    assert not cookies(nojs) & set(PAGE_COOKIES)


def test_no_js_customise_functional_only(nojs, site):
    nojs.goto(site)
    banner(nojs).get_by_role("link", name="Customise").click()
    nojs.get_by_label("Functional").check()
    nojs.get_by_role("button", name="Save my choices").click()
    nojs.wait_for_load_state()
    assert nojs.url.rstrip("/") == site.rstrip("/")
    choose_workspace(nojs, site)
    assert "prefs" in cookies(nojs) and "_stat" not in cookies(nojs)


def test_no_js_accept_then_withdraw(nojs, site):
    nojs.goto(site)
    banner(nojs).get_by_role("button", name="Accept all").click()
    nojs.wait_for_load_state()
    assert "_stat" in cookies(nojs)  # set by the server on the page it came back to
    nojs.get_by_role("contentinfo").get_by_role("link", name="Cookie settings").click()
    assert nojs.get_by_label("Analytics").is_checked()
    nojs.get_by_role("button", name="Reject all").click()
    nojs.wait_for_load_state()
    assert "_stat" not in cookies(nojs)


# -- accessibility, layout, screenshots ----------------------------------------------------


#: The rules of WCAG 2.2 at levels A and AA, as axe tags them.
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]


def axe_violations(
    page: Any, within: str | None = None, tags: list[str] | None = None
) -> list[str]:
    """What axe finds wrong on the page (or in the element ``within`` selects): every rule it
    runs by default, or those of ``tags``. axe is put into a page once."""
    from axe_playwright_python.base import AXE_SCRIPT

    options: dict[str, Any] = {"resultTypes": ["violations"]}
    if tags is not None:
        options["runOnly"] = {"type": "tag", "values": tags}
    if not page.evaluate("typeof axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    violations = page.evaluate(
        "([within, options]) => axe.run(within || document, options).then((r) => r.violations)",
        [within, options],
    )
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in violations]


#: The banner's background in each theme (the stylesheet's defaults).
BACKGROUNDS = {"light": "rgb(255, 255, 255)", "dark": "rgb(27, 31, 36)"}

#: Every control a keyboard reaches outside the banner and the dialog: each is focused, and
#: any that ends up under the banner (even in part) is reported.
OBSCURED = """() => {
  const banner = document.getElementById("cookieconsent-banner");
  const hidden = [];
  const controls = "a[href], button, input, select, textarea, [tabindex]";
  for (const el of document.querySelectorAll(controls)) {
    if (el.tabIndex < 0 || banner.contains(el) || el.closest("dialog")) continue;
    if (!el.getClientRects().length) continue;
    el.focus();
    if (document.activeElement !== el) continue;
    const box = el.getBoundingClientRect(), top = banner.getBoundingClientRect().top;
    if (box.bottom > top || box.top < 0) hidden.push(el.outerHTML.slice(0, 60));
  }
  return hidden;
}"""

#: The banner's controls smaller than 24 by 24 CSS pixels (WCAG 2.5.8).
SMALL = """(banner) => [...banner.querySelectorAll("button, .cc-button")]
  .filter((el) => el.getClientRects().length)
  .map((el) => [el.textContent.trim(), el.getBoundingClientRect()])
  .filter(([, box]) => box.width < 24 || box.height < 24)
  .map(([name]) => name)"""


def test_axe_finds_nothing(browser, site):
    """WCAG 2.2 AA at 375 and 1,280 px, light and dark: axe finds nothing in the banner nor in
    the preferences dialog, the theme is the visitor's, every control of the banner is at least
    24 by 24 px, and no control focused outside the banner is hidden under it. One page per
    width, its colour scheme switched without a reload; with
    ``COOKIECONSENT_UPDATE_SCREENSHOTS=1`` each banner is photographed for docs/theming.md."""
    found: dict[str, dict[str, Any]] = {}
    for width in (375, 1280):
        page = new_page(browser, width=width, height=740 if width < 400 else 800)
        page.goto(site)
        region = banner(page)
        region.wait_for()
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            found[f"{width} {scheme}"] = {
                "banner": axe_violations(page, "#cookieconsent-banner", WCAG_22_AA),
                "theme": region.evaluate("e => getComputedStyle(e).backgroundColor")
                != BACKGROUNDS[scheme],
                "small": region.evaluate(SMALL),
            }
            if os.environ.get("COOKIECONSENT_UPDATE_SCREENSHOTS") == "1":
                region.screenshot(path=SCREENSHOTS / f"banner-{scheme}-{width}.png")
        found[f"{width} light"]["obscured"] = page.evaluate(OBSCURED)
        region.get_by_role("button", name="Customise").click()
        dialog(page).wait_for()
        for scheme in ("dark", "light"):
            page.emulate_media(color_scheme=scheme)
            found[f"{width} {scheme}"]["dialog"] = axe_violations(page, ".cc-dialog", WCAG_22_AA)
        page.context.close()
    problems = {
        key: {name: what for name, what in checks.items() if what} for key, checks in found.items()
    }
    assert problems == {key: {} for key in found}


CLS_OBSERVER = """
window.ccShift = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.ccShift += entry.value;
}).observe({ type: "layout-shift", buffered: true });
"""


@pytest.mark.parametrize("width", [1280, 375])
def test_no_layout_shift(browser, site, width):
    """Also on a slow machine: with the CPU throttled the browser paints the page while it is
    still parsing it, which is when a bottom-anchored banner, or a box after the content, would
    shift (CLS 0.4375 at 375 px before the fix)."""
    page = new_page(browser, width=width, height=800)
    page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": 8})
    page.add_init_script(CLS_OBSERVER)
    page.goto(site)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    assert page.evaluate("window.ccShift") == 0
    page.context.close()


@pytest.mark.parametrize("width", [1280, 640, 375, 320])
def test_header_does_not_move_while_its_links_arrive(browser, site, width):
    """A browser paints a page it is still parsing whenever its CPU is busy; if the links already
    painted moved as the next ones arrived, that is a layout shift (the nav sliding left, or
    wrapping below the site name, failed test_no_layout_shift once in CI). Each prefix of the
    navigation must leave the links before it where the whole page has them."""
    page = new_page(browser, width=width)
    page.goto(site)
    boxes = page.evaluate(
        """() => {
          const items = [...document.querySelectorAll(".site-header li")];
          const where = () =>
            items.map(li => li.isConnected ? JSON.stringify(li.getBoundingClientRect()) : null);
          const full = where(), prefixes = [];
          for (let n = items.length - 1; n > 0; n--) { items[n].remove(); prefixes.push(where()); }
          return { full, prefixes };
        }"""
    )
    assert len(boxes["full"]) >= 4
    for prefix in boxes["prefixes"]:
        kept = [box for box in prefix if box is not None]
        assert kept == boxes["full"][: len(kept)]
    page.context.close()


def test_focused_element_is_not_hidden_by_the_banner(page, site):
    page.set_viewport_size({"width": 1280, "height": 400})
    page.goto(site)
    link = page.get_by_role("contentinfo").get_by_role("link", name="Cookie settings")
    link.focus()
    top = banner(page).bounding_box()["y"]
    box = link.bounding_box()
    assert box["y"] + box["height"] <= top
    # Every other control too, on a short screen where the banner takes half of it.
    assert page.evaluate(OBSCURED) == []


@pytest.mark.parametrize(("theme", "scheme"), [("dark", "light"), ("light", "dark")])
def test_the_theme_setting_forces_light_or_dark(browser, site, settings, theme, scheme):
    """THEME overrides the visitor's colour scheme: in the banner, the dialog and the status
    message the script adds, and on the preferences page."""
    settings.COOKIECONSENT = {**getattr(settings, "COOKIECONSENT", {}), "THEME": theme}
    context = browser.new_context(color_scheme=scheme)
    context.set_default_timeout(5000)
    page = context.new_page()
    page.goto(site)
    background = "e => getComputedStyle(e).backgroundColor"
    assert banner(page).evaluate(background) == BACKGROUNDS[theme]
    banner(page).get_by_role("button", name="Customise").click()
    dialog(page).wait_for()
    assert dialog(page).evaluate(background) == BACKGROUNDS[theme]
    assert page.locator(".cc-status").get_attribute("data-cc-theme") == theme
    page.goto(f"{site}/cookies/preferences/")
    assert page.locator(".cc-preferences").evaluate(background) == BACKGROUNDS[theme]
    context.close()


@pytest.mark.parametrize(("width", "height"), [(320, 640), (640, 400)])  # 320 px; 200 % zoom
def test_narrow_and_zoomed(browser, site, width, height):
    page = new_page(browser, width=width, height=height)
    page.goto(site)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    region = banner(page)
    for name in ("Accept all", "Reject all"):
        assert region.get_by_role("button", name=name).is_visible()
    region.get_by_role("button", name="Customise").click()
    prefs = dialog(page)
    prefs.wait_for()
    box = prefs.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    page.context.close()


@pytest.mark.parametrize("width", [1280, 375])
def test_screenshots(browser, site, width):
    ARTIFACTS.mkdir(exist_ok=True)
    page = new_page(browser, width=width, height=800 if width > 400 else 740)
    page.goto(site)
    banner(page).wait_for()
    # What the picture must show: the whole banner, inside the viewport, at its bottom.
    box, view = banner(page).bounding_box(), page.viewport_size
    assert box["x"] == 0 and box["width"] == view["width"]
    assert round(box["y"] + box["height"]) == view["height"] and box["y"] > 0
    page.screenshot(path=ARTIFACTS / f"banner-{width}.png")
    banner(page).get_by_role("button", name="Customise").click()
    dialog(page).wait_for()
    box = dialog(page).bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= view["width"]
    assert page.evaluate("document.activeElement.closest('dialog') !== null")
    page.screenshot(path=ARTIFACTS / f"preferences-{width}.png")
    assert (ARTIFACTS / f"preferences-{width}.png").stat().st_size > 10_000
    # The README's copies change only when asked, so test runs leave the checkout clean.
    if width == 1280 and os.environ.get("COOKIECONSENT_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(ARTIFACTS / "banner-1280.png", SCREENSHOTS / "banner.png")
        shutil.copy(ARTIFACTS / "preferences-1280.png", SCREENSHOTS / "preferences.png")
    page.context.close()


# -- strict CSP, gated iframes and inline scripts, Consent Mode updates --------------------

STRICT_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; frame-src 'self'"
GATED_EXTRAS = (
    '<iframe data-cookieconsent="functional" data-cookieconsent-src="/cookies/policy/" '
    'title="Map" width="400" height="200"></iframe>'
    '<script type="text/plain" data-cookieconsent="analytics" data-type="text/javascript">'
    "window.ccOrder = [window.fluxemsAnalyticsLoaded === true, (window.ccOrder || 0) + 1];"
    "</script>"
)


def serve_home_with(page: Any, site: str, extra: str, headers: dict[str, str]) -> None:
    """Serve the home page with ``extra`` at the end of <body> and extra response headers."""

    def handle(route: Any) -> None:
        response = route.fetch()
        body = response.text().replace("</body>", extra + "</body>")
        route.fulfill(response=response, body=body, headers={**response.headers, **headers})

    page.route(f"{site}/", handle)


def test_strict_csp(page, site):
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    iframe = GATED_EXTRAS.split("<script")[0]
    serve_home_with(page, site, iframe, {"content-security-policy": STRICT_CSP})
    page.goto(site)
    marked(page)
    placeholder = page.locator(".cc-placeholder")
    assert "Functional" in placeholder.inner_text()
    banner(page).get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => window.fluxemsAnalyticsLoaded === true")
    assert not_reloaded(page)
    page.frame_locator("iframe[title=Map]").get_by_role("heading").first.wait_for()
    assert placeholder.count() == 0
    assert violations == []


def test_iframe_placeholder_allows_its_category(page, site):
    serve_home_with(page, site, GATED_EXTRAS, {})
    page.goto(site)
    frame = page.locator("iframe[title=Map]")
    placeholder = page.locator(".cc-placeholder")
    assert frame.is_hidden() and placeholder.is_visible()
    # The placeholder takes the iframe's place at its size: nothing moves.
    box = placeholder.bounding_box()
    assert (round(box["width"]), round(box["height"])) == (400, 200)
    placeholder.get_by_role("button", name="Allow Functional cookies").click()
    saved(page)
    # Its button went with the placeholder: focus goes to the settings link, not to <body>.
    assert focused_text(page) == "Cookie settings"
    page.frame_locator("iframe[title=Map]").get_by_role("heading").first.wait_for()
    assert placeholder.count() == 0 and frame.get_attribute("src") == "/cookies/policy/"
    # Analytics still refused: its inline script stays inert.
    assert page.evaluate("window.ccOrder === undefined")
    assert page.evaluate(
        "djangoCookieConsent.allows('functional') && !djangoCookieConsent.allows('analytics')"
    )


def test_a_double_click_on_a_placeholder_is_one_decision(page, site):
    """Each click of the placeholder's "Allow" button posted the choice: two records."""
    serve_home_with(page, site, GATED_EXTRAS, {})
    page.goto(site)
    page.locator(".cc-placeholder").get_by_role("button").dblclick()
    saved(page)
    page.wait_for_timeout(300)  # time for a second post to land, were there one
    assert records() == 1


def test_accept_all_consents_to_no_draft_category(page, site):
    """A category saved but not published: "Accept all" leaves it refused and its content
    blocked; its placeholder's button, which the endpoint refuses, opens the preferences page,
    which does not offer it either."""
    from cookieconsent.models import CookieCategory

    CookieCategory.objects.create(slug="marketing", name="Marketing", order=9)
    gated = (
        '<iframe data-cookieconsent="marketing" data-cookieconsent-src="/cookies/policy/" '
        'title="Ads" width="400" height="200"></iframe>'
    )
    serve_home_with(page, site, gated, {})
    page.goto(site)
    banner(page).get_by_role("button", name="Accept all").click()
    saved(page)
    state = page.evaluate("djangoCookieConsent.state")
    assert "functional" in state["categories"] and "marketing" not in state["categories"]
    placeholder = page.locator(".cc-placeholder")
    assert placeholder.is_visible() and page.locator("iframe[title=Ads]").is_hidden()
    placeholder.get_by_role("button", name="Allow marketing cookies").click()
    page.wait_for_url(f"{site}/cookies/preferences/")
    assert page.locator("#cc-category-functional").is_checked()
    assert page.locator("#cc-category-marketing").count() == 0


#: What a gate inside a gate renders for a visitor who allows neither (tests/pages/
#: test_templatetags.py): each element waits for both categories.
NESTED = (
    '<iframe data-cookieconsent="functional analytics" data-cookieconsent-src="/cookies/policy/"'
    ' title="Map" width="400" height="200"></iframe>'
    '<script type="text/plain" data-cookieconsent="functional analytics" data-type="module">'
    "window.ccNested = typeof import.meta.url;</script>"
)


def test_a_gate_inside_a_gate_waits_for_both_categories(page, site):
    """The element of a gate inside a gate came to life with the inner category alone, and
    its script lost its own type (a module never ran): now it waits for both, and runs as
    the module it is."""
    serve_home_with(page, site, NESTED, {})
    page.goto(site)
    placeholder = page.locator(".cc-placeholder")
    assert placeholder.is_visible() and page.locator("iframe[title=Map]").is_hidden()
    banner(page).get_by_role("button", name="Customise").click()
    dialog(page).get_by_label("Functional").check()
    dialog(page).get_by_role("button", name="Save my choices").click()
    saved(page)
    assert placeholder.is_visible() and page.locator("iframe[title=Map]").is_hidden()
    assert page.evaluate("window.ccNested === undefined")
    # One click allows all the element waits for.
    placeholder.get_by_role("button", name="Allow Functional, Analytics cookies").click()
    page.wait_for_function("() => window.ccNested === 'string'")
    page.frame_locator("iframe[title=Map]").get_by_role("heading").first.wait_for()
    assert placeholder.count() == 0
    assert page.evaluate(
        "djangoCookieConsent.allows('functional') && djangoCookieConsent.allows('analytics')"
    )


def test_scripts_run_in_document_order_once(page, site):
    serve_home_with(page, site, GATED_EXTRAS, {})
    page.goto(site)
    banner(page).get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => window.ccOrder !== undefined")
    # The inline script after analytics.js ran after it had loaded, and once.
    assert page.evaluate("window.ccOrder") == [True, 1]
    assert page.locator("script[type='text/javascript'][data-cookieconsent]").count() == 1
    page.get_by_role("contentinfo").get_by_role("link", name="Cookie settings").click()
    dialog(page).get_by_role("button", name="Accept all").click()
    saved(page)
    assert page.evaluate("window.ccOrder") == [True, 1]


def test_consent_mode_update_on_change(page, site, settings):
    settings.COOKIECONSENT = {
        "GOOGLE_CONSENT_MODE": {
            "analytics": ["analytics_storage"],
            "necessary": ["security_storage"],
        },
        "MICROSOFT_CONSENT_MODE": ["uet", "clarity"],
    }
    page.goto(site)
    consent = "dataLayer.filter(a => a[0] === 'consent').map(a => [a[1], a[2]])"
    assert page.evaluate(consent) == [
        ["default", page.evaluate(f"{consent}[0][1]")],
    ]
    default = page.evaluate(f"{consent}[0][1]")
    assert default["analytics_storage"] == "denied" and default["security_storage"] == "granted"
    banner(page).get_by_role("button", name="Accept all").click()
    saved(page)
    update = page.evaluate(consent)[-1]
    assert update[0] == "update"
    assert update[1]["analytics_storage"] == "granted"
    assert update[1]["ad_storage"] == "denied"
    # Microsoft's tags were told the same, default then update (no UET or Clarity loaded here:
    # their queues hold it).
    assert page.evaluate("window.uetq") == [
        *["consent", "default", {"ad_storage": "denied"}],
        *["consent", "update", {"ad_storage": "denied"}],
    ]
    assert page.evaluate("Array.from(clarity.q, (a) => Array.from(a))") == [
        ["consentv2", {"ad_Storage": "denied", "analytics_Storage": "denied"}],
        ["consentv2", {"ad_Storage": "denied", "analytics_Storage": "granted"}],
    ]


# -- consent by region: the opt-out notice (issue 11) ----------------------------------------
# A US visitor of the fluxems site: `_stat` on the first response, a notice reached and used by
# keyboard, the objection expiring `_stat` at once, no axe violation; and the visitor's own
# notice on a page shared by a page cache.


def notice(page: Any) -> Any:
    return page.get_by_role("region", name="Your privacy choices")


def from_(browser: Any, region: str) -> Any:
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, extra_http_headers={"CF-IPCountry": region}
    )
    context.set_default_timeout(5000)
    return context.new_page()


@pytest.fixture
def us_rules(site: str) -> str:
    """The example's regimes, whatever an earlier test's flush left of the data migration."""
    from cookieconsent.engine import registry
    from cookieconsent.models import CookiePolicy, RegionRule

    policy = CookiePolicy.current()
    assert policy is not None
    RegionRule.objects.update_or_create(policy=policy, region="US", defaults={"regime": "opt-out"})
    registry.reset()
    return site


@pytest.fixture
def us_page(browser: Any) -> Iterator[Any]:
    page = from_(browser, "US")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    page.context.close()
    assert not errors, errors


def test_us_objects_by_keyboard_and_stat_goes_at_once(us_page, us_rules):
    from cookieconsent.models import ConsentRecord

    us_page.goto(us_rules)
    assert notice(us_page).is_visible()
    assert "_stat" in cookies(us_page)  # opt-out: allowed until the visitor objects
    assert us_page.get_by_role("button", name="Accept all").count() == 0
    assert axe_violations(us_page) == []
    marked(us_page)
    tab_to(us_page, "Do not sell or share my information")
    us_page.keyboard.press("Enter")
    saved(us_page)
    assert notice(us_page).is_hidden() and not_reloaded(us_page)
    assert "_stat" not in cookies(us_page)
    record = ConsentRecord.objects.get()
    assert (record.action, record.region, record.regime) == ("reject_all", "US", "opt-out")
    us_page.reload()
    assert notice(us_page).count() == 0 and "_stat" not in cookies(us_page)


def test_us_cookie_settings_by_keyboard(us_page, us_rules):
    us_page.goto(us_rules)
    tab_to(us_page, "Cookie settings")
    us_page.keyboard.press("Enter")
    prefs = dialog(us_page)
    prefs.wait_for()
    assert axe_violations(us_page) == []
    us_page.keyboard.press("Escape")
    assert notice(us_page).is_visible()


def test_us_dismisses_the_notice_by_keyboard(us_page, us_rules):
    us_page.goto(us_rules)
    tab_to(us_page, "OK")
    us_page.keyboard.press("Enter")
    saved(us_page)
    us_page.reload()
    assert notice(us_page).count() == 0 and "_stat" in cookies(us_page)


# -- cache-safe mode behind a page cache ---------------------------------------------------


@pytest.fixture
def cached_site(browser: Any, site: str) -> Iterator[str]:
    """A second live server, in cache-safe mode behind Django's page cache (its middleware is
    read when the server starts, hence a server of its own)."""
    from django.conf import settings
    from django.test import override_settings
    from pytest_django.live_server_helper import LiveServer

    middleware = [
        "django.middleware.cache.UpdateCacheMiddleware",
        *settings.MIDDLEWARE,
        "django.middleware.cache.FetchFromCacheMiddleware",
    ]
    with override_settings(
        MIDDLEWARE=middleware,
        COOKIECONSENT={**settings.COOKIECONSENT, "CACHE_SAFE": True},
        CACHE_MIDDLEWARE_SECONDS=300,
    ):
        server = one_at_a_time(LiveServer("127.0.0.1:0"))
        try:
            yield str(server.url)
        finally:
            server.stop()
            # stop() makes the in-memory SQLite connection the server shared private to
            # this thread again, but a request thread still holding a browser's keep-alive
            # connection ends later and closes it (a no-op in memory) from its own thread:
            # Django raises there, and pytest reports it in a later test. Leave it shared.
            for connection in server.thread.connections_override.values():
                connection.inc_thread_sharing()


def test_cache_safe_behind_a_page_cache(browser, cached_site):
    from unittest import mock

    first = new_page(browser)
    first.goto(cached_site)
    # The page came without a token or a state; the script asked for this visitor's.
    banner(first).wait_for()
    assert first.locator("input[name=csrfmiddlewaretoken]").count() == 0
    marked(first)
    banner(first).get_by_role("button", name="Accept all").click()
    first.wait_for_function("() => window.fluxemsAnalyticsLoaded === true")
    assert not_reloaded(first) and banner(first).is_hidden()
    # No CSRF cookie: the consent endpoint checks the origin, not a token.
    assert {"cookieconsent", "_stat"} <= cookies(first) and "csrftoken" not in cookies(first)

    # Another new visitor gets the very page the first one got, from the cache.
    second = new_page(browser)
    with mock.patch("example_project.fluxems.views.render", side_effect=AssertionError):
        response = second.goto(cached_site)
    assert response.status == 200
    banner(second).wait_for()

    # The first visitor, decided, sees no banner: the script hides it.
    first.goto(cached_site)
    first.wait_for_function("() => window.djangoCookieConsent.state")
    assert banner(first).is_hidden()
    assert first.evaluate("djangoCookieConsent.allows('analytics')")
    first.context.close()
    second.context.close()


# -- the consent endpoint refuses other origins, with and without JavaScript ----------------


@pytest.fixture
def other_origin(site: str) -> Iterator[Any]:
    """A second web server on another port, serving whatever page a test gives it: another
    origin than the site (on 127.0.0.1, the same site; reached as ``localhost``, another
    site too)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(port=server.server_address[1], pages=pages)
    finally:
        server.shutdown()
        server.server_close()


ATTACK_FORM = (
    '<form method="post" action="{site}/cookies/consent/">'
    '<input type="hidden" name="action" value="accept_all">'
    "<button>Win a prize</button></form>"
)
ATTACK_FETCH = (
    "<script>fetch('{site}/cookies/consent/', {{method: 'POST', mode: 'no-cors',"
    " credentials: 'include', headers: {{'Content-Type': 'application/x-www-form-urlencoded'}},"
    " body: 'action=accept_all'}}).finally(() => (window.attackDone = true));</script>"
)


def records() -> int:
    from cookieconsent.models import ConsentRecord

    return ConsentRecord.objects.count()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_form_on_another_origin_is_refused_without_javascript(nojs, site, other_origin, host):
    other_origin.pages["/"] = ATTACK_FORM.format(site=site)
    nojs.goto(f"http://{host}:{other_origin.port}/")
    with nojs.expect_navigation() as navigation:
        nojs.get_by_role("button", name="Win a prize").click()
    response = navigation.value
    assert response.status == 403
    assert "another site" in nojs.content()
    assert records() == 0 and "cookieconsent" not in cookies(nojs)
    # The same form on the site's own pages is accepted: the origin made the difference.
    nojs.route(
        f"{site}/own-form/",
        lambda route: route.fulfill(body=ATTACK_FORM.format(site=""), content_type="text/html"),
    )
    nojs.goto(f"{site}/own-form/")
    nojs.get_by_role("button", name="Win a prize").click()
    nojs.wait_for_load_state()
    assert records() == 1 and "cookieconsent" in cookies(nojs)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_script_on_another_origin_is_refused(page, site, other_origin, host):
    statuses: list[int] = []
    page.on("response", lambda r: r.url.endswith("/cookies/consent/") and statuses.append(r.status))
    page.goto(site)  # the visitor has been on the site: its cookies would go along
    other_origin.pages["/"] = ATTACK_FETCH.format(site=site)
    page.goto(f"http://{host}:{other_origin.port}/")
    page.wait_for_function("() => window.attackDone === true")
    page.wait_for_timeout(200)
    assert records() == 0 and "cookieconsent" not in cookies(page)
    # From the site's own page the same request is accepted.
    page.goto(site)
    page.evaluate(ATTACK_FETCH.format(site="")[8:-9])
    page.wait_for_function("() => window.attackDone === true")
    assert records() == 1 and "cookieconsent" in cookies(page)


# -- gated content, as Chromium reads it: nothing loads, nothing runs ------------------------

GATE_ORIGIN = "http://gate.test/"


@pytest.fixture(scope="module")
def gate_page(browser: Any) -> Iterator[Any]:
    """A page that serves the HTML it is given at ``GATE_ORIGIN`` and records every other
    request it makes (answering none)."""
    page = new_page(browser)
    state = SimpleNamespace(html="", requests=[])

    def handle(route: Any) -> None:
        if route.request.url == GATE_ORIGIN:
            route.fulfill(body=state.html, content_type="text/html")
        else:
            state.requests.append(route.request.url)
            route.abort()

    page.route("**/*", handle)
    page.state = state
    yield page
    page.context.close()


def loads(page: Any, body: str) -> tuple[list[str], bool]:
    """What a page with ``body`` fetched beyond itself, and whether a script ran ``leak()``."""
    page.state.html = (
        "<!doctype html><html><head><script>window.leak = () => (window.leaked = true)</script>"
        f"</head><body>{body}<p>end</p></body></html>"
    )
    page.state.requests.clear()
    page.goto(GATE_ORIGIN, wait_until="load")
    page.wait_for_timeout(20)
    return list(page.state.requests), bool(page.evaluate("window.leaked === true"))


def test_the_harness_sees_a_leak(gate_page):
    requested, ran = loads(gate_page, '<img src="http://leak.test/1"><script>leak()</script>')
    assert requested == ["http://leak.test/1"] and ran


@pytest.mark.parametrize(
    "html",
    [
        '<iframe/src="http://leak.test/1"></iframe>',
        '<iframe title="x"src="http://leak.test/2"></iframe>',
        '<script data-x="a>b" type="module" src="http://leak.test/3"></script>',
        '<img src="http://leak.test/4"><video poster="http://leak.test/5"></video>',
        '<audio><source src="http://leak.test/6"></audio><link rel=stylesheet href="http://leak.test/7">',
        '<object data="http://leak.test/8"></object><embed src="http://leak.test/9">',
        "<!-- --!> <img src=http://leak.test/10> -->",
        "<script>a</script x><img src=http://leak.test/11></script>",
        '<svg><script><img src="http://leak.test/12"></script></svg>',
        "<svg onload=leak()></svg><script>leak()</script>",
        # Found by the generated fragments below: SVG's script loads its href as text/plain.
        '<svg><script href="http://leak.test/13"></script><script xlink:href="http://leak.test/14"></script></svg>',
        # An attribute named "=" after a valueless one: written as read, it gave that one the
        # value and the image a live src.
        '<img = "x"src="http://leak.test/15" data-cookieconsent>',
        # SVG animation gave a gated image back its href; a meta refresh navigated.
        '<svg><image width="9" height="9"><set attributeName="href" to="http://leak.test/16"/></image></svg>',
        '<svg><image><animate attributeName=href values="http://leak.test/17"/></image></svg>',
        '<svg><filter id="f"><feImage><set attributeName="href" to="http://leak.test/18"/></feImage></filter></svg>',
        '<meta http-equiv="refresh" content="0;url=http://leak.test/19">',
        # Python 3.11's tokenizer gives up on it: escaped whole.
        '<p>a <![b</p><img src="http://leak.test/20">',
    ],
)
def test_gated_html_loads_nothing_in_chromium(gate_page, html):
    from cookieconsent.engine.gating import inert

    assert loads(gate_page, inert(html, "analytics")) == ([], False)


def test_generated_gated_html_loads_nothing_in_chromium(gate_page):
    from hypothesis import HealthCheck, given, settings

    from cookieconsent.engine.gating import inert
    from tests.strategies import fragments

    # 60 fragments in a real browser; tests/engine/test_gating.py checks many more in Python.
    @given(fragments)
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    def check(html: str) -> None:
        gated = inert(html, "analytics")
        assert loads(gate_page, gated) == ([], False), (html, gated)

    check()


def test_allowed_gated_content_comes_to_life(page, site):
    """The script restores what gating moved aside: an image loads, a handler runs."""
    from cookieconsent.engine.gating import inert

    gated = inert(
        '<img src="/static/cookieconsent/missing.png" onerror="window.ccImage = 1" alt="">',
        "analytics",
    )
    serve_home_with(page, site, gated, {})
    page.goto(site)
    page.wait_for_timeout(100)
    assert page.evaluate("window.ccImage === undefined")
    banner(page).get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => window.ccImage === 1")


def test_allowed_gated_svg_animation_and_meta_refresh_come_to_life(page, site):
    """What an SVG animation sets and where a meta refresh goes move aside in a gate: the
    script puts them back, and they act, once the category is allowed (a ``<set>`` given its
    ``to`` back acts only when inserted anew)."""
    from cookieconsent.engine.gating import inert

    gated = inert(
        '<svg><image width="9" height="9"><set attributeName="href" to="/static/set.png"/>'
        '</image></svg><svg><image width="9" height="9"><animate attributeName="href"'
        ' values="/static/animate.png" dur="9s"/></image></svg>'
        '<meta http-equiv="refresh" content="1;url=/cookies/policy/">',
        "analytics",
    )
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url.rsplit("/", 1)[-1]))
    serve_home_with(page, site, gated, {})
    page.goto(site)
    page.wait_for_timeout(1500)
    assert page.url == f"{site}/" and "set.png" not in requested
    banner(page).get_by_role("button", name="Accept all").click()
    page.wait_for_url(f"{site}/cookies/policy/")
    assert {"set.png", "animate.png"} <= set(requested)


def test_a_gated_nomodule_script_does_not_hold_back_the_scripts_after_it(page, site):
    """Where modules run, a ``nomodule`` script fires neither load nor error: the script waited
    for it, and no gated script after it ever ran (the usual module/nomodule pair did it)."""
    from cookieconsent.engine.gating import inert

    gated = inert('<script nomodule src="/static/fluxems/analytics.js"></script>', "analytics")
    later = inert("<script>window.ccAfterNomodule = 1</script>", "functional")
    serve_home_with(page, site, gated + later, {})
    page.goto(site)
    banner(page).get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => window.ccAfterNomodule === 1")


def test_a_gated_scripts_own_onload_and_onerror_run(page, site):
    """The script waited for a gated <script src> with onload/onerror properties of its own,
    replacing the handlers it had just put back: they never ran."""
    from cookieconsent.engine.gating import inert

    gated = inert(
        '<script src="/static/fluxems/analytics.js" onload="window.ccLoaded = 1"></script>'
        '<script src="/static/cookieconsent/missing.js" onerror="window.ccFailed = 1"></script>'
        "<script>window.ccAfter = [window.ccLoaded, window.ccFailed];</script>",
        "analytics",
    )
    serve_home_with(page, site, gated, {})
    page.goto(site)
    banner(page).get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => window.ccAfter !== undefined")
    # Each handler ran, before the script after it: as on a page without the gate.
    assert page.evaluate("[window.ccLoaded, window.ccFailed, window.ccAfter]") == [1, 1, [1, 1]]


# -- the policy page and the admin: widths, axe, the cookie table's two layouts ---------------

WIDTHS = [375, 1280]


def page_at(browser: Any, width: int, *, language: str = "en") -> Any:
    context = browser.new_context(
        viewport={"width": width, "height": 800}, locale=language, java_script_enabled=True
    )
    context.set_default_timeout(5000)
    return context.new_page()


def scroll_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", ["en", "af"])
def test_policy_page_fits_and_passes_axe(browser, site, width, language):
    page = page_at(browser, width, language=language)
    page.goto(f"{site}/cookies/policy/")
    # Decide first, so the banner is not what is measured.
    page.get_by_role("button", name="Reject all" if language == "en" else "Weier alles").click()
    page.wait_for_function("!document.querySelector('#cookieconsent-banner:not([hidden])')")
    assert scroll_width(page) <= width
    table = page.locator(".cc-table")
    box = table.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert axe_violations(page) == []
    page.context.close()


def test_policy_table_on_a_wide_screen(browser, site):
    page = page_at(browser, 1280)
    page.goto(f"{site}/cookies/policy/")
    group = page.locator("th[scope=rowgroup]").first
    # The category heads its rows across the table, left-aligned, its purpose in plain text.
    assert group.evaluate("e => getComputedStyle(e).textAlign") in ("start", "left")
    purpose = group.locator(".cc-table__category-purpose")
    assert purpose.evaluate("e => getComputedStyle(e).fontWeight") == "400"
    assert page.locator("thead").is_visible()
    femstd = page.locator("td", has_text="femstd").first.bounding_box()
    lifetime = page.locator("td", has_text="14 days").first.bounding_box()
    assert abs(femstd["y"] - lifetime["y"]) < 2  # one row: name and lifetime side by side
    page.context.close()


def test_policy_table_on_a_phone(browser, site):
    page = page_at(browser, 375)
    page.goto(f"{site}/cookies/policy/")
    # The header row is left to screen readers; each cell shows its column's name instead.
    assert page.locator(".cc-table thead").bounding_box()["height"] <= 1
    cell = page.locator("td[data-label=Lifetime]").first
    label = cell.evaluate("e => getComputedStyle(e, '::before').content")
    assert label == '"Lifetime: "'
    femstd = page.locator("td", has_text="femstd").first.bounding_box()
    lifetime = cell.bounding_box()
    assert lifetime["y"] > femstd["y"]  # reflowed: the lifetime is on a line of its own
    page.context.close()


#: The words of the cookie table that a line break cuts in two (a hyphen may end a line).
BROKEN_WORDS = """() => {
  const broken = [];
  const cells = document.querySelectorAll(".cc-table caption, .cc-table th, .cc-table td");
  for (const cell of cells) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode()); ) {
      for (const word of node.data.matchAll(/[^\\s-]+/g)) {
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (lines.size > 1) broken.push(word[0]);
      }
    }
  }
  return broken;
}"""


def test_policy_table_never_breaks_a_word(browser, site):
    """From 320 px up no header or cell breaks inside a word ("Prov/ider" at 1,280 px, before);
    below 40rem each cookie is a block whose caption spans the table (it was squeezed into
    115 px at 375); the site's own cookies name the site as their provider."""
    page = page_at(browser, 1280)
    page.goto(f"{site}/cookies/policy/")
    page.get_by_role("button", name="Reject all").click()
    banner(page).wait_for(state="hidden")
    broken, squeezed = {}, {}
    for width in (320, 375, 640, 641, 800, 1024, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        broken[width] = page.evaluate(BROKEN_WORDS)
        caption = page.locator(".cc-table caption").bounding_box()
        table = page.locator(".cc-table").bounding_box()
        if caption["width"] < table["width"] - 1:
            squeezed[width] = caption["width"]
    assert (broken, squeezed) == ({width: [] for width in broken}, {})
    cell = page.locator("td[data-label=Provider]").first
    assert cell.inner_text() == "fluxems by Entrebyte Technologies"
    page.context.close()


def test_no_banner_on_the_preferences_page(browser, site):
    page = page_at(browser, 1280)
    page.goto(f"{site}/cookies/preferences/")
    assert page.locator("#cookieconsent-preferences").is_visible()
    assert page.locator("#cookieconsent-banner").count() == 0
    page.goto(f"{site}/cookies/policy/")
    assert page.locator("#cookieconsent-banner").is_visible()
    page.context.close()


#: Every page of the example a visitor sees, with the footer's region switcher in DEBUG.
PAGES = ["/", "/workspace/", "/signin/", "/cookies/policy/", "/cookies/preferences/"]


@pytest.mark.parametrize("width", [375, 320])
def test_no_page_scrolls_sideways_on_a_phone_in_debug(browser, site, settings, width):
    """``make demo`` runs with DEBUG on, which adds the region switcher to the footer: its
    select, as wide as its longest option (400 px), made every page scroll sideways."""
    settings.DEBUG = True  # the live server's thread reads the same settings
    page = page_at(browser, width)
    too_wide = {}
    for path in PAGES:
        page.goto(f"{site}{path}")
        assert page.locator("#demo-region").count() == 1  # the switcher is there
        fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        if not fits:
            too_wide[path] = scroll_width(page)
    assert too_wide == {}
    page.context.close()


@pytest.mark.parametrize("width", [375, 320])
def test_the_receipt_fits_a_phone(browser, site, width):
    """Its SHA-256 fingerprint, one 64-character word, made the receipt 681 px wide at 375."""
    page = page_at(browser, width)
    page.goto(site)
    banner(page).get_by_role("button", name="Reject all").click()
    banner(page).wait_for(state="hidden")
    page.goto(f"{site}/cookies/preferences/receipt/")
    assert page.locator(".cc-receipt__hash").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), scroll_width(
        page
    )
    page.context.close()


# -- the admin -------------------------------------------------------------------------------


@pytest.fixture
def admin_page(browser, site, django_user_model) -> Any:
    django_user_model.objects.create_superuser("cc-admin", "a@example.com", "cc-admin-pw-1")
    page = page_at(browser, 1280)
    page.goto(f"{site}/admin/login/")
    page.fill("#id_username", "cc-admin")
    page.fill("#id_password", "cc-admin-pw-1")
    page.click("input[type=submit]")
    page.wait_for_url(f"{site}/admin/")
    yield page
    page.context.close()


def admin_pages() -> dict[str, str]:
    from cookieconsent.models import CookieCategory, CookiePolicy

    necessary = CookieCategory.objects.get(slug="necessary")
    policy = CookiePolicy.objects.get(is_current=True)
    return {
        "category with cookies": f"/admin/cookieconsent/cookiecategory/{necessary.pk}/change/",
        "cookie list": "/admin/cookieconsent/cookie/",
        "cookie": f"/admin/cookieconsent/cookie/{necessary.cookies.first().pk}/change/",
        "policy": f"/admin/cookieconsent/cookiepolicy/{policy.pk}/change/",
        "category list": "/admin/cookieconsent/cookiecategory/",
        "record list": "/admin/cookieconsent/consentrecord/",
    }


def test_admin_pages_fit_1280(admin_page, site):
    too_wide = {}
    for name, path in admin_pages().items():
        admin_page.goto(f"{site}{path}")
        # Open every collapsed language fieldset: they must fit too.
        admin_page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        width = scroll_width(admin_page)
        if width > 1280:
            too_wide[name] = width
    assert too_wide == {}


def test_category_page_shows_every_cookie_field_on_screen(admin_page, site):
    admin_page.goto(f"{site}{admin_pages()['category with cookies']}")
    for field in ("lifetime", "http_only", "domain", "path", "order"):
        box = admin_page.locator(f"[name='cookies-0-{field}']").bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1280, field
    lifetime = admin_page.locator("[name='cookies-0-lifetime']")
    assert lifetime.input_value() == "14 days"


def test_cache_safe_shows_each_visitor_their_own_notice(browser, us_rules, cached_site):
    us = from_(browser, "US")
    us.goto(cached_site)
    notice(us).wait_for()
    assert us.get_by_role("button", name="Accept all").is_hidden()
    za = from_(browser, "ZA")
    za.goto(cached_site)
    za.get_by_role("region", name="Cookie consent").wait_for()
    assert za.get_by_role("button", name="Do not sell or share my information").is_hidden()
    assert "_stat" not in cookies(za)
    us.context.close()
    za.context.close()


@pytest.fixture
def banner_without_h2(site: str, tmp_path: Path) -> str:
    """A version published with the site's own banner.html, its title a <p> (theming.md asks
    for no <h2>)."""
    from django.conf import settings
    from django.test import override_settings

    from cookieconsent import publishing
    from cookieconsent.models import CookiePolicy

    app = Path(publishing.__file__).parents[1] / "templates" / "cookieconsent" / "banner.html"
    html = re.sub(
        r'<h2 class="cc-banner__title" id="([^"]+)">(.*?)</h2>',
        r'<p class="cc-banner__title" id="\1"><strong>\2</strong></p>',
        app.read_text(),
    )
    assert "<h2" not in html
    (tmp_path / "cookieconsent").mkdir()
    (tmp_path / "cookieconsent" / "banner.html").write_text(html)
    templates = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    with override_settings(TEMPLATES=templates):
        publishing.publish(CookiePolicy.current(), published_by="tests")
    return site


def test_cache_safe_with_a_banner_whose_title_is_no_heading(
    browser, banner_without_h2, cached_site
):
    """The script labelled the banner by each regime's <h2>, and threw without one: after
    the choice was saved, so the form was posted again (two records); on the next page before
    the gated scripts ran."""
    page = new_page(browser)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(cached_site)
    region = banner(page)
    region.wait_for()
    assert region.get_attribute("aria-labelledby") == "cc-banner-title"
    region.get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => window.fluxemsAnalyticsLoaded === true")
    page.wait_for_timeout(300)  # time for a second post to land, were there one
    assert records() == 1
    page.goto(cached_site)
    page.wait_for_function("() => window.fluxemsAnalyticsLoaded === true")
    assert region.is_hidden()
    assert errors == []
    page.context.close()


def test_a_double_click_is_one_decision(page, site):
    """Each click of a double click posted the form: two consent records for one choice, and
    the browser kept the second's ID."""
    from cookieconsent.models import ConsentRecord

    page.goto(site)
    before = ConsentRecord.objects.count()
    banner(page).get_by_role("button", name="Reject all").dblclick()
    saved(page)
    page.wait_for_timeout(300)  # time for a second post to land, were there one
    assert ConsentRecord.objects.count() == before + 1


def test_opting_in_under_gpc_takes_the_honored_notice_away(browser, us_rules):
    """A GPC visitor in an opt-out region who switches a category on no longer sees
    "Opt-Out Request Honored" (nor the signal's explanation): the page said the opt-out held
    while analytics ran, until the next page load."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800},
        extra_http_headers={"CF-IPCountry": "US", "Sec-GPC": "1"},
    )
    context.set_default_timeout(5000)
    page = context.new_page()
    try:
        page.goto(f"{us_rules}/cookies/preferences/")
        # Said once as a status (the panel's; the banner's slot said it again), and beside
        # the footer's settings link.
        assert page.locator("[role=status].cc-opt-out-honored").count() == 1
        assert page.locator(".cc-opt-out-honored").count() == 2
        page.get_by_label("Analytics").check()
        page.get_by_role("button", name="Save my choices").click()
        saved(page)
        assert page.locator(".cc-opt-out-honored, .cc-signal").count() == 0
        page.goto(us_rules)
        footer = page.get_by_role("contentinfo")
        assert footer.locator(".cc-opt-out-honored").count() == 0
        assert "_stat" in cookies(page)
    finally:
        context.close()


def test_storage_of_a_category_refused_before_the_page_loads_is_cleared(browser, us_rules):
    """Declared storage keys went only after the script's own post: not when the page loaded
    already refusing their category (here a dismissal that Global Privacy Control, sent
    since, outranks)."""
    context = browser.new_context(extra_http_headers={"CF-IPCountry": "US"})
    context.set_default_timeout(5000)
    page = context.new_page()
    try:
        page.goto(us_rules)
        notice(page).get_by_role("button", name="OK", exact=True).click()
        saved(page)
        page.evaluate("localStorage.setItem('fluxems.ui', 'dark'); localStorage.setItem('mine', 1)")
        page.reload()
        assert page.evaluate("localStorage.getItem('fluxems.ui')") == "dark"  # still allowed
        context.set_extra_http_headers({"CF-IPCountry": "US", "Sec-GPC": "1"})
        page.reload()
        page.wait_for_function("() => localStorage.getItem('fluxems.ui') === null")
        # Undeclared keys are not ours to touch.
        assert page.evaluate("localStorage.getItem('mine')") == "1"
    finally:
        context.close()
