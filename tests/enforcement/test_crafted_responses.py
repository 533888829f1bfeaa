"""CookieConsentMiddleware against responses and requests built to slip past it (issue 8):
deletions that do not delete, Set-Cookie under odd header names, one visitor's expiry replayed
from a page cache, names no Set-Cookie can carry, and memory that grows with made-up names."""

from __future__ import annotations

import pickle
from email.utils import formatdate
from http.cookies import Morsel

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client, override_settings
from django.utils.http import http_date

from cookieconsent.middleware import CookieConsentMiddleware
from cookieconsent.testing import CONSENT_COOKIE, consent_cookie, cookies_expired, cookies_set
from tests.helpers import publish_draft

pytestmark = pytest.mark.django_db

EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"
DAY = 24 * 60 * 60


def through(rf, build, cookies: dict[str, str] | None = None) -> HttpResponse:
    """The response ``build`` fills in, after the middleware judged it for a visitor holding
    ``cookies`` (undecided unless they hold a consent cookie)."""

    def get_response(request):
        response = HttpResponse("ok")
        build(response)
        return response

    request = rf.get("/")
    request.COOKIES.update(cookies or {})
    return CookieConsentMiddleware(get_response)(request)


# -- defect 8: a deletion is one that really deletes -------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "deletes"),
    [
        ({"max_age": 0}, True),
        ({"max_age": -1}, True),
        ({"max_age": 0, "expires": "Fri, 01 Jan 2100 00:00:00 GMT"}, True),
        ({"expires": EPOCH}, True),
        ({"expires": formatdate(0 + 2 * DAY, usegmt=True)}, True),
        # Max-Age wins over Expires in browsers.
        ({"expires": EPOCH, "max_age": 3600}, False),
        ({"expires": "Fri, 01 Jan 2100 00:00:00 GMT"}, False),
        ({"expires": "not a date"}, False),
        ({}, False),
    ],
    ids=[
        "max-age-0",
        "max-age-negative",
        "max-age-0-future-expires",
        "epoch",
        "past-date",
        "epoch-but-max-age",
        "future-date",
        "bad-date",
        "session-cookie",
    ],
)
def test_only_a_real_deletion_of_a_refused_cookie_passes(rf, categories, kwargs, deletes):
    response = through(rf, lambda r: r.set_cookie("_stat", "id", **kwargs))
    assert ("_stat" in response.cookies) is deletes


@pytest.mark.parametrize(
    ("max_age", "expires", "deletes"),
    [
        ("0", "", True),
        (" -5 ", "", True),
        ("3600", EPOCH, False),
        # A Max-Age that is not an integer: Chromium and Firefox go by Expires, but older Firefox
        # read its leading number (0 here), or kept the cookie for the session.
        ("0abc", EPOCH, False),
        ("x", EPOCH, False),
        ("0abc", "", False),
        ("0.5", "", False),
        # Chromium reads a "+", and an overflowing number with junk after it as the longest
        # lifetime; it ignores a value over 1,024 bytes.
        ("+31536000", EPOCH, False),
        ("9" * 25 + "x", EPOCH, False),
        ("0" * 1025, "", False),
        ("-" + "9" * 18, "", True),
        ("-" + "9" * 19, "", False),  # a 64-bit reading may overflow
        ("", -2 * DAY, True),  # Morsel writes an integer Expires as seconds from now
        ("", 3600, False),
        ("", 0, False),  # now on our clock may be the future on the browser's
        (True, EPOCH, False),  # Morsel writes True as Max-Age=1
    ],
)
def test_a_deletion_is_read_from_the_attributes_as_a_browser_does(
    rf, categories, max_age, expires, deletes
):
    def build(response: HttpResponse) -> None:
        response.set_cookie("_stat", "id")
        response.cookies["_stat"]["max-age"] = max_age
        response.cookies["_stat"]["expires"] = expires

    # A refused cookie passes only as a deletion.
    assert ("_stat" in through(rf, build).cookies) is deletes


def test_deletions_pass_whatever_their_value(rf, categories):
    response = through(rf, lambda r: r.set_cookie("_stat", "still-an-id", max_age=0))
    assert "_stat" in response.cookies
    assert "_stat" not in cookies_set(response)


# Browsers read a Set-Cookie line each their own way (cookieconsent.setcookie): attribute names
# and values are trimmed of spaces and tabs only; Chromium and Firefox read the last Max-Age and
# the last Expires whatever they say, RFC 6265 the last valid one; an attribute value over 1,024
# bytes is ignored. A refused cookie passes as a deletion only when the line the server writes
# deletes it in every browser.

NBSP = "\xa0"  # whitespace to Python, not to a browser: written as one byte, 0xA0


def with_attribute(key: str, value: object, **kwargs: object):
    def build(response: HttpResponse) -> None:
        response.set_cookie("_stat", "id", **kwargs)  # type: ignore[arg-type]
        response.cookies["_stat"][key] = value

    return build


@pytest.mark.parametrize(
    "build",
    [
        with_attribute("max-age", NBSP + "0"),
        with_attribute("max-age", "\x850"),
        with_attribute("max-age", "0" + NBSP),
        with_attribute("expires", "Mon, 01 Jan 1600 00:00:00 GMT"),
        # Attributes written after the real ones, in the value or the path, count last.
        lambda r: (
            r.set_cookie("_stat", expires=EPOCH),
            r.cookies["_stat"].set("_stat", "id", "id; Max-Age=3600"),
        ),
        lambda r: r.set_cookie("_stat", "id", max_age=0, path="/; Max-Age=3600"),
        lambda r: r.set_cookie("_stat", "id", expires=EPOCH, path="/; Max-Age=3600"),
    ],
    ids=[
        "max-age-nbsp",
        "max-age-nel",
        "max-age-trailing-nbsp",
        "expires-before-1601",
        "max-age-in-the-value",
        "max-age-in-the-path",
        "max-age-in-the-path-after-expires",
    ],
)
def test_a_set_cookie_that_only_looks_like_a_deletion_is_judged(rf, categories, build):
    response = through(rf, build)
    assert "_stat" not in response.cookies.output()


@pytest.mark.parametrize("max_age", [None, 3600])
def test_a_set_cookie_without_an_expiry_or_with_a_positive_max_age_is_never_a_deletion(
    rf, categories, max_age
):
    """Whatever its path adds (a browser obeys the last Max-Age, here 0): judged as a cookie
    that sets, it is dropped, never let through as a deletion (docs/middleware.md)."""

    def build(response: HttpResponse) -> None:
        response.set_cookie("_stat", "id", max_age=max_age, path="/; Max-Age=0")

    assert "_stat" not in through(rf, build).cookies.output()


@pytest.mark.parametrize(
    ("attributes", "deletes"),
    [
        (f"{NBSP}Max-Age=0", False),
        (f"Max-Age={NBSP}0", False),
        (f"Max-Age=0; {NBSP}Max-Age=3600", True),  # not a Max-Age to a browser
        (f"Max-Age=3600; Max-Age=x; Expires={EPOCH}", False),
        # Chromium and Firefox read the last Max-Age or Expires, whatever it says: a session
        # cookie.
        ("Max-Age=0; Max-Age=x", False),
        ("Max-Age=0; Max-Age=", False),
        (f"Expires={EPOCH}; Expires=not a date", False),
        (f"Expires={EPOCH}; Expires=", False),
        ("Expires=Mon, 01 Jan 1600 00:00:00 GMT", False),
        (f"Max-Age={'9' * 5000}", False),
        (f"Max-Age=-{'9' * 5000}", False),  # over 1,024 bytes: ignored, a session cookie
        ("Max-Age=\t0 ", True),
    ],
)
def test_a_raw_deletion_is_read_as_a_browser_reads_it(rf, categories, attributes, deletes):
    value = f"_stat=id; {attributes}"
    response = through(rf, lambda r: r.headers.__setitem__("Set-Cookie", value))
    assert (response.headers.get("Set-Cookie") == value) is deletes


#: Lines RFC 6265 reads as deletions and Chromium stores for a year (checked in a real Chromium).
KEPT_BY_CHROMIUM = {
    # Chromium reads a "+" (RFC 6265 ignores the Max-Age, and goes by Expires).
    "plus": "Max-Age=+31536000",
    # An overflowing number with junk after it: the longest lifetime.
    "overflow-and-junk": f"Max-Age={'9' * 25}x",
    # A value over 1,024 bytes is ignored (RFC 6265bis): Max-Age=3600 counts.
    "over-1024-bytes": f"Max-Age=31536000; Max-Age={'0' * 1025}",
}


@pytest.mark.parametrize("attributes", KEPT_BY_CHROMIUM.values(), ids=KEPT_BY_CHROMIUM.keys())
@pytest.mark.parametrize("written", ["raw", "set_cookie"])
def test_a_line_some_browser_keeps_is_no_deletion(rf, categories, attributes, written):
    """Through a raw header, or after the path of a ``set_cookie()`` that expires the cookie:
    a refused cookie is dropped, not let through as a deletion."""

    def build(response: HttpResponse) -> None:
        if written == "raw":
            response["Set-Cookie"] = f"_stat=id; {attributes}; Expires={EPOCH}; Path=/"
        else:
            response.set_cookie("_stat", "id", expires=EPOCH, path=f"/; {attributes}")

    response = through(rf, build)
    assert not response.has_header("Set-Cookie")
    assert "_stat" not in response.cookies


@pytest.mark.parametrize(
    "expires",
    [
        "123, 01 Jan 1990 00:00:00 GMT",  # Chromium reads the year 123, no date: a session cookie
        "Dec, 01 Jan 1990 00:00:00 GMT",  # a month, to Chromium: a date Django does not read
        "Sunday, 06-Nov-94 08:49:37 GMT",  # kept: a weekday, a date in the past
    ],
)
def test_an_expires_is_a_date_only_where_every_browser_reads_the_same(rf, categories, expires):
    value = f"_stat=id; Expires={expires}; Path=/"
    response = through(rf, lambda r: r.headers.__setitem__("Set-Cookie", value))
    assert response.has_header("Set-Cookie") is expires.startswith("Sunday")


@pytest.mark.parametrize("name", [f"{NBSP}necessary_c", f"necessary_c{NBSP}"])
def test_a_raw_cookie_name_is_trimmed_as_a_browser_trims_it(rf, categories, name):
    """A browser keeps the 0xA0 in the name: an undeclared cookie, not ``necessary_c``."""
    response = through(rf, lambda r: r.headers.__setitem__("Set-Cookie", f"{name}=1"))
    assert not response.has_header("Set-Cookie")


# -- defect 9: raw Set-Cookie headers under any spelling ---------------------------------------

ODD_NAMES = [
    "Set-Cookie",
    "set-cookie",
    "Set-Cookie ",
    "Set-Cookie\t",
    " Set-Cookie",
    "Set-Cookie \t ",
    "Set -Cookie",
    "Set-Cookie\x0b",
    "\x00Set-Cookie",
    "Set-Cookie\x01",
    "\x1bSet-Cookie\x7f",
    "SET-COOKIE",
    "Set-Cookie:_x",
]


@pytest.mark.parametrize("header", ODD_NAMES)
def test_raw_set_cookie_under_any_spelling_is_judged(rf, categories, header):
    def build(value):
        return lambda response: response.headers.__setitem__(header, value)

    blocked = through(rf, build("_stat=1; Path=/"))
    assert all("_stat" not in value for _, value in blocked.items()), blocked.items()
    kept = through(rf, build("necessary_c=1; Path=/"))
    allowed = through(rf, build("_stat=1; Path=/"), {CONSENT_COOKIE: consent_cookie({"analytics"})})
    if ":" in header:
        # "Set-Cookie:_x: necessary_c=1" is a cookie named "_x: necessary_c": dropped.
        assert "necessary_c=1; Path=/" not in dict(kept.items()).values()
        assert "_stat=1; Path=/" not in dict(allowed.items()).values()
        return
    assert "necessary_c=1; Path=/" in dict(kept.items()).values()
    assert "_stat=1; Path=/" in dict(allowed.items()).values()
    assert "Cookie" in allowed["Vary"]


@pytest.mark.parametrize("value", ["=_stat=1", "_stat", "  =x", "", "necessary_c", "=necessary_c"])
def test_a_raw_set_cookie_without_a_name_is_dropped(rf, categories, value):
    # A browser keeps "=v" or "v" as a nameless cookie and sends back "v": it could pose as
    # any cookie.
    response = through(rf, lambda r: r.headers.__setitem__("Set-Cookie ", value))
    assert not [k for k in response.headers if "cookie" in k.lower()]


@override_settings(COOKIECONSENT={"UNDECLARED_COOKIES": "allow"})
@pytest.mark.parametrize("value", ["=x", "x", " =x; Path=/"])
def test_a_raw_set_cookie_without_a_name_is_dropped_where_undeclared_ones_are_allowed(
    rf, categories, value
):
    """Allowing undeclared cookies allows cookies with a name of their own, not a nameless one
    that could pose as any cookie."""
    response = through(rf, lambda r: r.headers.__setitem__("Set-Cookie", value))
    assert not response.has_header("Set-Cookie")
    assert through(rf, lambda r: r.headers.__setitem__("Set-Cookie", "x=1")).has_header(
        "Set-Cookie"
    )


@pytest.mark.parametrize(
    ("attributes", "deletes"),
    [
        ("Max-Age=0", True),
        ("max-age=-1", True),
        (f"Expires={EPOCH}", True),
        (f"expires={formatdate(2 * DAY, usegmt=True)}", True),
        (f"Max-Age=3600; Expires={EPOCH}", False),  # Max-Age wins in browsers
        ("Max-Age=0; Max-Age=3600", False),  # the last one counts
        ("Max-Age=0x", False),
        ("Path=/", False),
    ],
)
@pytest.mark.parametrize("name", ["_stat", "undeclared_c"])
def test_a_raw_set_cookie_that_deletes_passes_as_delete_cookie_does(
    rf, categories, name, attributes, deletes
):
    """Issue 8's rule for deletions, for a Set-Cookie written as a raw header too: a view
    cleaning up a refused or undeclared cookie that way is not undone."""
    value = f"{name}=; {attributes}; Path=/"
    response = through(rf, lambda r: r.headers.__setitem__("Set-Cookie", value))
    assert (response.headers.get("Set-Cookie") == value) is deletes
    assert not response.has_header("Vary")  # the same for every visitor


def test_a_raw_undeclared_cookie_is_blocked_unless_allowed(rf, categories):
    def build(response):
        response.headers["Set-Cookie "] = "undeclared_c=1"

    assert "Set-Cookie " not in through(rf, build).headers
    with override_settings(COOKIECONSENT={"UNDECLARED_COOKIES": "allow"}):
        response = through(rf, build)
    assert response.headers["Set-Cookie "] == "undeclared_c=1"
    assert not response.has_header("Vary")  # the same for every visitor


def test_other_headers_are_left_alone(rf, categories):
    def build(response):
        response.headers["X-Cookie-Note"] = "_stat=1"
        response.headers["Link"] = "</x>; rel=preload"

    response = through(rf, build)
    assert response["X-Cookie-Note"] == "_stat=1"
    assert response["Link"] == "</x>; rel=preload"


# -- a morsel stored under another name leaves under its own ----------------------------------


def morsel(name: str, value: str = "1") -> Morsel[str]:
    made: Morsel[str] = Morsel()
    made.set(name, value, value)
    return made


def under_another_name(response: HttpResponse) -> None:
    # SimpleCookie keeps an assigned morsel as it is: the server writes the morsel's own name.
    response.cookies["necessary_c"] = morsel("_stat")


def test_a_morsel_stored_under_another_name_is_judged_by_the_name_it_sends(rf, categories):
    refused = through(rf, under_another_name)
    assert "_stat" not in refused.cookies.output()
    allowed = through(rf, under_another_name, {CONSENT_COOKIE: consent_cookie({"analytics"})})
    assert "_stat=1" in allowed.cookies.output()
    assert "Cookie" in allowed["Vary"]
    assert cookies_set(allowed) == {"_stat"}


def test_a_morsel_stored_under_another_name_is_expired_under_its_own(rf, categories):
    response = through(rf, under_another_name, {"_stat": "1"})
    assert cookies_set(response) == set()
    assert cookies_expired(response) == {"_stat"}


# -- defect 3: a response that depends on the visitor's cookies is never shared ----------------


def test_expiring_a_cookie_makes_the_response_private_and_vary_on_cookie(rf, categories):
    response = through(rf, lambda r: None, {"prefs": "x"})
    assert cookies_expired(response) == {"prefs"}
    assert "private" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]


def test_private_replaces_public(rf, categories):
    def build(response):
        response["Cache-Control"] = "public, max-age=300"

    response = through(rf, build, {"prefs": "x"})
    assert "public" not in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_letting_an_optional_cookie_through_varies_on_cookie(rf, categories):
    def build(response):
        response["Vary"] = "Accept-Language"
        response.set_cookie("_stat", "1")

    response = through(rf, build, {CONSENT_COOKIE: consent_cookie({"analytics"})})
    assert "_stat" in cookies_set(response)
    assert response["Vary"] == "Accept-Language, Cookie"
    assert "Cache-Control" not in response  # not expired: nothing personal beyond Vary


def test_vary_cookie_is_not_added_twice(rf, categories):
    def build(response):
        response["Vary"] = "cookie"
        response.set_cookie("_stat", "1")

    response = through(rf, build, {CONSENT_COOKIE: consent_cookie({"analytics"})})
    assert response["Vary"] == "cookie"


def test_vary_star_is_left_alone(rf, categories):
    def build(response):
        response["Vary"] = "*"
        response.set_cookie("_stat", "1")

    response = through(rf, build, {CONSENT_COOKIE: consent_cookie({"analytics"})})
    assert response["Vary"] == "*"


def test_each_vary_keeps_its_own_value(rf, categories):
    """The merged Vary values are remembered per original value: a second response with
    another Vary gets its own merge, not the first one's."""

    def vary_on(value):
        def build(response):
            response["Vary"] = value
            response.set_cookie("_stat", "1")

        return build

    cookies = {CONSENT_COOKIE: consent_cookie({"analytics"})}
    assert through(rf, vary_on("Accept"), cookies)["Vary"] == "Accept, Cookie"
    assert through(rf, vary_on("Origin"), cookies)["Vary"] == "Origin, Cookie"
    assert through(rf, vary_on("Accept"), cookies)["Vary"] == "Accept, Cookie"


def test_a_response_that_only_drops_cookies_stays_shareable(rf, categories):
    response = through(rf, lambda r: r.set_cookie("_stat", "1"))
    assert not cookies_set(response)
    assert not response.has_header("Vary")
    assert not response.has_header("Cache-Control")


CACHED = override_settings(
    COOKIECONSENT={"CACHE_SAFE": True},
    MIDDLEWARE=[
        "django.middleware.cache.UpdateCacheMiddleware",
        *settings.MIDDLEWARE,
        "django.middleware.cache.FetchFromCacheMiddleware",
    ],
    CACHE_MIDDLEWARE_SECONDS=300,
)


@CACHED
def test_one_visitors_expiry_is_not_replayed_from_the_page_cache(categories):
    stale = Client()
    stale.cookies["prefs"] = "x"
    first = stale.get("/t/")
    assert cookies_expired(first) == {"prefs"}
    assert "private" in first["Cache-Control"]
    # Someone who allowed Functional, and someone new, asking for the same page next.
    functional = Client()
    functional.cookies[CONSENT_COOKIE] = consent_cookie({"functional"})
    functional.cookies["prefs"] = "dark"
    assert "prefs" not in functional.get("/t/").cookies
    assert "prefs" not in Client().get("/t/").cookies
    # Nor to the next visitor holding exactly the same cookies.
    again = Client()
    again.cookies["prefs"] = "x"
    assert cookies_expired(again.get("/t/")) == {"prefs"}


@CACHED
def test_a_consenting_visitors_analytics_cookie_is_not_replayed_from_the_page_cache(
    categories,
):
    consenting = Client()
    consenting.cookies[CONSENT_COOKIE] = consent_cookie({"analytics"})
    first = consenting.get("/t/")
    assert "_stat" in cookies_set(first)
    assert "Cookie" in first["Vary"]
    assert "_stat" not in cookies_set(Client().get("/t/"))


# -- names no Set-Cookie can carry; memory bounds ----------------------------------------------


def test_a_held_cookie_whose_name_no_set_cookie_can_carry_is_not_a_500(rf, categories):
    # Django parses "_ga_a b=1" from a Cookie header; "_ga_*" is Analytics, so it is withdrawn.
    response = through(rf, lambda r: None, {"_ga_a b": "1", "_ga_ok": "1"})
    assert cookies_expired(response) == {"_ga_ok"}


def test_a_response_with_expired_cookies_survives_pickling(rf, categories):
    """A cache that pickles responses (a site's own, or Django's with Cache-Control changed
    above the middleware) gets back a response that still sends its expiries: an unpickled
    morsel has lost the line written once for all, so it is written afresh."""
    response = through(rf, lambda r: r.set_cookie("_stat", "1"), {"_stat": "1", "prefs": "x"})
    assert cookies_expired(response) == {"_stat", "prefs"}
    again = pickle.loads(pickle.dumps(response))
    assert again.cookies.output() == response.cookies.output()
    assert cookies_expired(again) == {"_stat", "prefs"}


def test_thousands_of_undeclared_names_are_all_dropped(rf, categories):
    names = [f"made_up_{n}" for n in range(5000)]

    def build(response):
        for name in names:
            response.set_cookie(name, "1")

    response = through(rf, build)
    assert not cookies_set(response)


def test_thousands_of_held_cookies_are_all_expired(rf, categories):
    held = {f"_ga_{n}": "1" for n in range(3000)}
    response = through(rf, lambda r: None, held)
    assert cookies_expired(response) == set(held)


@pytest.mark.parametrize("name", ["_stat", "__Host-x", "__Secure-y"])
def test_an_expiry_is_what_delete_cookie_writes_and_each_response_owns_it(rf, categories, name):
    from cookieconsent.models import Cookie, CookieCategory

    _, created = Cookie.objects.get_or_create(
        name=name, defaults={"category": CookieCategory.objects.get(slug="analytics")}
    )
    if created:
        publish_draft()
    django_response = HttpResponse()
    django_response.delete_cookie(name)
    first = through(rf, lambda r: None, {name: "1"})
    assert first.cookies[name].output() == django_response.cookies[name].output()
    # Changing one response's expiry leaves the next response's alone.
    first.cookies[name]["path"] = "/elsewhere"
    second = through(rf, lambda r: None, {name: "1"})
    assert second.cookies[name].output() == django_response.cookies[name].output()


@pytest.mark.parametrize(
    "date, passes",
    [
        (None, True),
        ("now", True),
        ("Thu, 01 Jan 1970 00:00:00 GMT", False),  # Chromium: Expires minus Date is 24 years
        ("not a date", False),
    ],
)
@pytest.mark.parametrize("written", ["raw", "set_cookie"])
def test_an_expires_is_past_by_the_responses_own_date_too(rf, categories, date, passes, written):
    """Chromium counts an ``Expires`` from the response's ``Date``: a refused cookie's
    ``Expires`` in 1994 under a ``Date`` in 1970 is no deletion, and is dropped."""

    def build(response: HttpResponse) -> None:
        if date is not None:
            response["Date"] = http_date() if date == "now" else date
        if written == "raw":
            response["Set-Cookie"] = "_stat=id; Expires=Sun, 06 Nov 1994 08:49:37 GMT; Path=/"
        else:
            response.set_cookie("_stat", "id", expires="Sun, 06 Nov 1994 08:49:37 GMT")

    response = through(rf, build)
    assert ("_stat" in response.cookies or response.has_header("Set-Cookie")) is passes
    assert ("_stat" in cookies_expired(response)) is (passes and written == "set_cookie")


def test_a_max_age_deletion_passes_whatever_the_responses_date(rf, categories):
    def build(response: HttpResponse) -> None:
        response["Date"] = "Thu, 01 Jan 1970 00:00:00 GMT"
        response.delete_cookie("_stat")

    response = through(rf, build)
    assert cookies_expired(response) == {"_stat"}
