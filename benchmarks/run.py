#!/usr/bin/env python
"""``make bench``: what ``CookieConsentMiddleware``, the banner and the consent endpoint cost,
measured against plain Django in one process.

Every comparison runs its arms alternately within each short round (the order flips every
round), after a warm-up. A round calls each arm once untimed, then times a small batch of
requests per arm by this thread's CPU time (``--clock wall`` for wall time); the figures are
the median per request of each arm and the median of the per-round ratios (two consecutive
rounds, one in each order, taken together), so drift of the machine between rounds and the
order within a round cancel out. Each middleware case has a third arm, a yardstick doing only
the work no consent middleware can avoid (``benchmarks/middleware.py``). The first comparison
is the bare request against itself: how far apart two arms doing the same work land in that
run. Requests go through ``django.core.handlers.wsgi.WSGIHandler`` (signals, request
parsing, the whole middleware chain and response iteration) with no server and no test client
in the way.

The targets are printed next to the figures; nothing is asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hmac
import io
import itertools
import math
import os
import pstats
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"

if sys.flags.dev_mode:
    # The Makefile exports PYTHONDEVMODE=1 for the tests; its debug allocator and extra checks
    # would be measured too. Start again without it.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDEVMODE"}
    os.execve(sys.executable, [sys.executable, *sys.argv], env)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import RequestFactory, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from benchmarks.middleware import Limit  # noqa: E402
from cookieconsent.engine import registry as registry_module  # noqa: E402
from cookieconsent.engine.consent import Decision  # noqa: E402
from cookieconsent.middleware import CookieConsentMiddleware  # noqa: E402
from cookieconsent.models import (  # noqa: E402
    ConsentRecord,
    Cookie,
    CookieCategory,
    CookiePolicy,
    PolicySection,
    RegionRule,
)
from cookieconsent.publishing import publish, render  # noqa: E402

CSRF_SECRET = "b" * 32  # an unmasked secret is a valid form token for its own cookie


# -- the site ---------------------------------------------------------------------------------


def seed() -> None:
    """The fluxems categories and cookies, and a current policy."""
    call_command("migrate", verbosity=0, interactive=False)
    cats = {}
    for order, (slug, name, required) in enumerate(
        [
            ("necessary", "Strictly necessary", True),
            ("security", "Security", True),
            ("functional", "Functional", False),
            ("analytics", "Analytics", False),
        ]
    ):
        cats[slug] = CookieCategory.objects.create(
            slug=slug, name=name, required=required, order=order, purpose=f"{name} cookies."
        )
    for slug, name in [
        ("necessary", "femstd"),
        ("security", "session"),
        ("functional", "prefs"),
        ("analytics", "_stat"),
        ("analytics", "_ga_*"),
    ]:
        Cookie.objects.create(name=name, category=cats[slug])
    policy = CookiePolicy.objects.create(title="Cookie Policy")
    # The fluxems regimes (its data migration): the region header is configured in settings.
    for region, regime in [
        ("EEA", "opt-in"),
        ("GB", "opt-in"),
        ("ZA", "opt-in"),
        ("BR", "opt-in"),
        ("US", "opt-out"),
    ]:
        RegionRule.objects.create(policy=policy, region=region, regime=regime)
    PolicySection.objects.create(policy=policy, heading="Cookies we use", show_cookie_table=True)
    # Visitors are served the published version: the banner and pages come from its snapshot.
    publish(policy)
    registry_module.reset()


class Stack(WSGIHandler):
    """A WSGI handler with its own middleware list."""

    def __init__(self, middleware: list[str]) -> None:
        with override_settings(MIDDLEWARE=middleware):
            super().__init__()


BASELINE = Stack(settings.STARTPROJECT_MIDDLEWARE)
WITH_CONSENT = Stack(
    ["cookieconsent.middleware.CookieConsentMiddleware", *settings.STARTPROJECT_MIDDLEWARE]
)
#: A yardstick: only the work the issue calls unavoidable (benchmarks/middleware.py).
LIMIT = Stack(["benchmarks.middleware.Limit", *settings.STARTPROJECT_MIDDLEWARE])

_status: list[str] = []


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    _status.append(status)


class Call:
    """One prepared request, replayed on a handler."""

    def __init__(
        self,
        method: str,
        path: str,
        cookies: dict[str, str],
        data: dict[str, str] | None = None,
        *,
        rotate: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        factory = RequestFactory(headers=headers)
        cookie_header = "; ".join(f"{k}={v}" for k, v in cookies.items())
        # A different Cookie header on each request, cycling (a stream of distinct visitors).
        self.headers = ["; ".join(f"{k}={v}" for k, v in c.items()) for c in rotate or []]
        self.turn = 0
        extra = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in (headers or {}).items()}
        if method == "GET":
            request = factory.get(path, HTTP_COOKIE=cookie_header, **extra)
            self.body = b""
        else:
            self.body = urlencode(data or {}).encode()
            request = factory.post(
                path,
                self.body,
                content_type="application/x-www-form-urlencoded",
                HTTP_COOKIE=cookie_header,
                **extra,
            )
        self.environ = dict(request.environ)
        self.path = path

    def run(self, handler: WSGIHandler) -> tuple[str, Any]:
        environ = self.environ.copy()
        environ["wsgi.input"] = io.BytesIO(self.body)
        if self.headers:
            self.turn = (self.turn + 1) % len(self.headers)
            environ["HTTP_COOKIE"] = self.headers[self.turn]
        response = handler(environ, _start_response)
        for _chunk in response:
            pass
        response.close()
        return _status.pop(), response

    def check(self, handler: WSGIHandler, expected: str) -> Any:
        status, response = self.run(handler)
        if not status.startswith(expected):
            raise SystemExit(f"{self.path} answered {status}, expected {expected}")
        return response


# -- timing -----------------------------------------------------------------------------------


#: This thread's CPU time (the default), or wall time. The first leaves out the time the process
#: waits for a CPU, which is noise to these comparisons.
CLOCKS = {"wall": time.perf_counter_ns, "cpu": time.thread_time_ns}
CLOCK = ["cpu"]


def interleave(
    arms: dict[str, Callable[[], Any]], *, rounds: int, batch: int, warmup: int = 3
) -> dict[str, list[float]]:
    """Per-request ns of each arm in each round; arms alternate within a round and the order
    flips every round."""
    names = list(arms)
    samples: dict[str, list[float]] = {name: [] for name in names}
    clock = CLOCKS[CLOCK[0]]
    for n in range(warmup + rounds):
        order = names if n % 2 == 0 else names[::-1]
        gc.collect()
        gc.disable()
        try:
            # After a collection the first batch runs on cold caches: one untimed call of
            # each arm first, or whichever arm goes first is measured ~15 % slower.
            for name in order:
                arms[name]()
            for name in order:
                fn = arms[name]
                start = clock()
                for _ in range(batch):
                    fn()
                elapsed = clock() - start
                if n >= warmup:
                    samples[name].append(elapsed / batch)
        finally:
            gc.enable()
    return samples


def ratio(samples: dict[str, list[float]], over: str, under: str) -> float:
    """The median of the per-round ratios, each pair of consecutive rounds (one in each order)
    taken together (their geometric mean), so that what running first or second costs an arm
    cancels out."""
    rounds = [a / b for a, b in zip(samples[over], samples[under], strict=True)]
    pairs = [math.sqrt(x * y) for x, y in zip(rounds[0::2], rounds[1::2], strict=False)]
    return statistics.median(pairs or rounds)


def us(ns: float) -> str:
    return f"{ns / 1000:8.1f} µs"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


RESULTS: list[tuple[str, str, str]] = []


def report_pair(
    title: str, samples: dict[str, list[float]], base: str, other: str, target: float | None
) -> float:
    r = ratio(samples, other, base)
    mb, mo = statistics.median(samples[base]), statistics.median(samples[other])
    print(f"\n{title}")
    print(f"  {base:<34} {us(mb)}")
    print(f"  {other:<34} {us(mo)}   (+{(mo - mb) / 1000:.1f} µs)")
    line = f"  median of per-round ratios          {r:8.3f}  ({(r - 1) * 100:+.1f} %)"
    if target is not None:
        ok = r <= 1 + target
        line += f"   target ≤ +{target * 100:.0f} %: {verdict(ok)}"
        RESULTS.append((title, f"{(r - 1) * 100:+.1f} % ({(mo - mb) / 1000:+.1f} µs)", verdict(ok)))
    print(line)
    return r


# -- the scenarios ----------------------------------------------------------------------------


def decided_cookie() -> str:
    return Decision(
        granted=frozenset({"functional", "analytics"}),
        policy_version=1,
        decided_at=int(time.time()),
        action="accept_all",
        consent_id=str(uuid.uuid4()),
    ).sign()


#: A visitor who has not decided (or whose consent lapsed) but still holds the cookies of an
#: earlier consent: the middleware drops the view's _stat and prefs and expires the browser's.
STALE_COOKIES = {"femstd": "s3ss10n", "prefs": "theme=dark", "_stat": "4"}


def returning_crowd(size: int = 20_000) -> list[dict[str, str]]:
    """The cookies of distinct returning visitors who accepted all; by default enough that no
    per-process memo of consent cookies could hold them all."""
    return [{"cookieconsent": decided_cookie(), "femstd": "s3ss10n"} for _ in range(size)]


def bench_noise(rounds: int, batch: int) -> None:
    """The same bare request in both arms (two identical handlers): how far apart two arms
    that do the same work land in this run. A figure below differs from the target by less
    than this only by chance."""
    call = Call("GET", "/four/", {"femstd": "s3ss10n"})
    twin = Stack(settings.STARTPROJECT_MIDDLEWARE)
    samples = interleave(
        {
            "startproject middleware": lambda: call.run(BASELINE),
            "the same again": lambda: call.run(twin),
        },
        rounds=rounds,
        batch=batch,
    )
    r = report_pair(
        "GET /four/, the bare request against itself (the noise of this run)",
        samples,
        "startproject middleware",
        "the same again",
        None,
    )
    RESULTS.append(("the bare request against itself (noise)", f"{(r - 1) * 100:+.1f} %", "info"))


def bench_middleware(rounds: int, batch: int, only_regions: bool = False) -> None:
    crowd = returning_crowd()
    stale = STALE_COOKIES
    us, de = {"CF-IPCountry": "US"}, {"CF-IPCountry": "DE"}
    visitors: dict[str, tuple[dict[str, str], Any, dict[str, str] | None]] = {
        "undecided visitor": ({}, None, None),
        "undecided visitor holding _stat and prefs (expired)": (stale, None, None),
        "returning visitor (accept all)": (crowd[0], None, None),
        "20,000 different returning visitors (accept all)": (crowd[0], crowd, None),
        # Consent by region (docs/regions.md): the CDN's header present.
        "undecided visitor, CF-IPCountry: DE (opt-in)": ({}, None, de),
        "undecided visitor, CF-IPCountry: US (opt-out)": ({}, None, us),
        "returning visitor (accept all), CF-IPCountry: US": (crowd[0], None, us),
    }
    if only_regions:
        visitors = {
            k: v for k, v in visitors.items() if "CF-IPCountry" in k or k == "undecided visitor"
        }
    for label, (cookies, rotate, headers) in visitors.items():
        call = Call("GET", "/four/", cookies, rotate=rotate, headers=headers)
        base = call.check(BASELINE, "200")
        with_mw = call.check(WITH_CONSENT, "200")
        expired = sorted(n for n, m in with_mw.cookies.items() if m["max-age"] == 0)
        print(
            f"\n[{label}] Set-Cookie without middleware: {sorted(base.cookies)}; "
            f"with: {sorted(with_mw.cookies)} (expired: {expired})"
        )
        # The yardstick must send what the app sends: the same cookies, the same ones expired.
        floor = call.check(LIMIT, "200")
        sent = {n: m["max-age"] == 0 for n, m in with_mw.cookies.items()}
        if {n: m["max-age"] == 0 for n, m in floor.cookies.items()} != sent:
            raise SystemExit(f"[{label}] the yardstick sends {dict(floor.cookies)}")
        samples = interleave(
            {
                "startproject middleware": lambda c=call: c.run(BASELINE),
                "+ CookieConsentMiddleware": lambda c=call: c.run(WITH_CONSENT),
                "+ the unavoidable work only": lambda c=call: c.run(LIMIT),
            },
            rounds=rounds,
            batch=batch,
        )
        report_pair(
            f"GET /four/ (sets femstd, session, prefs, _stat), {label}",
            samples,
            "startproject middleware",
            "+ CookieConsentMiddleware",
            0.05,
        )
        limit = (ratio(samples, "+ the unavoidable work only", "startproject middleware") - 1) * 100
        print(f"  + the unavoidable work only (benchmarks/middleware.py: Limit)  {limit:+.1f} %")
        RESULTS.append((f"the unavoidable work only, {label}", f"{limit:+.1f} %", "info"))


def bench_middleware_alone(rounds: int, batch: int, only_regions: bool = False) -> None:
    """The middleware's own cost, without Django around it: the same prepared response through
    a dummy ``get_response`` with and without the middleware."""
    from django.http import HttpResponse

    factory = RequestFactory()

    def make_response() -> HttpResponse:
        response = HttpResponse("x")
        for name in ("femstd", "session", "prefs", "_stat"):
            response.set_cookie(name, "1")
        return response

    mw = CookieConsentMiddleware(lambda request: make_response())
    limit = Limit(lambda request: make_response())
    crowd = [
        factory.get("/four/", HTTP_COOKIE=f"cookieconsent={decided_cookie()}")
        for _ in range(20_000)
    ]
    visitors = {
        "undecided": [factory.get("/four/")],
        "stale": [factory.get("/four/", HTTP_COOKIE="prefs=theme; _stat=4")],
        "decided": crowd[:1],
        "20,000 decided": crowd,
        "undecided, CF-IPCountry: DE (opt-in)": [factory.get("/four/", HTTP_CF_IPCOUNTRY="DE")],
        "undecided, CF-IPCountry: US (opt-out)": [factory.get("/four/", HTTP_CF_IPCOUNTRY="US")],
    }
    if only_regions:
        visitors = {k: v for k, v in visitors.items() if k == "undecided" or "CF-IP" in k}
    print(
        "\nThe middleware alone (RequestFactory request, a response with four cookies), and "
        "the same\nbetween two bare requests (its code and data out of the CPU's caches, as "
        "in a request):"
    )
    bare = Call("GET", "/four/", {"femstd": "s3ss10n"})
    for label, requests in visitors.items():
        # request.COOKIES is parsed once and cached on the request in both arms.
        for request in requests:
            request.COOKIES  # noqa: B018
        turn = itertools.cycle(requests)
        samples = interleave(
            {
                "get_response": lambda t=turn: (next(t), make_response()),
                "middleware": lambda t=turn: mw(next(t)),
            },
            rounds=rounds,
            batch=batch,
        )
        own = statistics.median(
            a - b for a, b in zip(samples["middleware"], samples["get_response"], strict=True)
        )
        cold = between_requests(mw, make_response, turn, bare, calls=rounds * 20)
        floor = between_requests(limit, make_response, turn, bare, calls=rounds * 20)
        print(
            f"  {label:<38} {us(own)} alone   {us(cold)} between two bare requests "
            f"(the unavoidable work only: {us(floor).strip()})"
        )
        RESULTS.append((f"the middleware alone, {label}", us(own).strip(), "info"))
        RESULTS.append(
            (
                f"the middleware between requests, {label}",
                f"{us(cold).strip()} (the unavoidable work only: {us(floor).strip()})",
                "info",
            )
        )
    bench_signature(rounds, batch)


def between_requests(
    mw: Callable[[Any], Any],
    make_response: Callable[[], Any],
    turn: Iterator[Any],
    bare: Call,
    calls: int,
) -> float:
    """The median ns the middleware adds to one call right after a bare request, as it runs
    inside a request: each call times ``make_response()`` after one bare request and the
    middleware (which calls it) after another, and counts the difference. One call at a
    time, so by the wall clock (the CPU clock's own cost is a system call)."""
    clock = time.perf_counter_ns
    own = []
    gc.collect()
    gc.disable()
    try:
        for _ in range(calls):
            request = next(turn)
            bare.run(BASELINE)
            start = clock()
            make_response()
            plain = clock() - start
            bare.run(BASELINE)
            start = clock()
            mw(request)
            own.append(clock() - start - plain)
    finally:
        gc.enable()
    return statistics.median(own)


def bench_signature(rounds: int, batch: int) -> None:
    """What reading a consent cookie the process has not seen costs: Django's
    ``signing.loads()`` against the app's reader of the same format, over 20,000 distinct
    cookies."""
    from django.core import signing

    from cookieconsent.engine.consent import SALT, _signer

    values = itertools.cycle([decided_cookie() for _ in range(20_000)])
    samples = interleave(
        {
            "next cookie": lambda: next(values),
            "signing.loads()": lambda: signing.loads(next(values), salt=SALT),
            "the app's reader": lambda: _signer.loads(next(values)),
        },
        rounds=rounds,
        batch=batch,
    )
    print("\nReading a consent cookie new to the process (HMAC, base64, JSON), 20,000 distinct:")
    for arm in ("signing.loads()", "the app's reader"):
        own = statistics.median(
            a - b for a, b in zip(samples[arm], samples["next cookie"], strict=True)
        )
        print(f"  {arm:<38} {us(own)} per cookie")
        RESULTS.append((f"reading a new consent cookie, {arm}", us(own).strip(), "info"))

    # The same one cookie at a time between two bare requests, as a request meets it; the
    # HMAC alone too (what the yardstick does), so that what decoding adds shows.
    key = _signer.keys()[0]

    def the_hmac_alone(value: str) -> bool:
        body, _, signature = value.rpartition(":")
        return hmac.compare_digest(signature.encode(), _signer._signature(key, body.encode()))

    arms: dict[str, Callable[[str], Any]] = {
        "nothing": lambda value: None,
        "the HMAC alone": the_hmac_alone,
        "the app's reader": _signer.loads,
    }
    bare = Call("GET", "/four/", {"femstd": "s3ss10n"})
    clock = time.perf_counter_ns
    own: dict[str, list[int]] = {arm: [] for arm in arms}
    gc.collect()
    gc.disable()
    try:
        for _ in range(rounds * 20):
            for arm, read in arms.items():
                value = next(values)
                bare.run(BASELINE)
                start = clock()
                read(value)
                own[arm].append(clock() - start)
    finally:
        gc.enable()
    nothing = statistics.median(own["nothing"])
    print("  the same, one at a time between two bare requests:")
    for arm in ("the HMAC alone", "the app's reader"):
        cold = statistics.median(own[arm]) - nothing
        print(f"  {arm:<38} {us(cold)} per cookie")
        RESULTS.append(
            (f"reading a new consent cookie between requests, {arm}", us(cold).strip(), "info")
        )


def bench_floor(rounds: int, batch: int) -> None:
    """Why the 20,000-visitor case stays above +5 %: the same stream of distinct returning
    visitors through a middleware that does nothing, through ``CookieConsentMiddleware`` with
    reading a new consent cookie made free (each cookie's decision prepared beforehand), and
    through ``CookieConsentMiddleware`` as it is. The last two differ by what reading the
    cookies costs inside a request: the HMAC, base64 and JSON that Django's signed format
    needs for a cookie the process has not seen."""
    crowd = returning_crowd()
    call = Call("GET", "/four/", crowd[0], rotate=crowd)
    passthrough = Stack(["benchmarks.middleware.Passthrough", *settings.STARTPROJECT_MIDDLEWARE])
    read = Decision._unsign
    prepared = {c["cookieconsent"]: read(c["cookieconsent"]) for c in crowd}

    def free_reading() -> Any:
        Decision._unsign = prepared.__getitem__  # type: ignore[assignment,method-assign]
        try:
            return call.run(WITH_CONSENT)
        finally:
            Decision._unsign = read  # type: ignore[method-assign]

    call.check(passthrough, "200")
    samples = interleave(
        {
            "startproject middleware": lambda: call.run(BASELINE),
            "+ a middleware doing nothing": lambda: call.run(passthrough),
            "+ CookieConsentMiddleware, reading free": free_reading,
            "+ CookieConsentMiddleware": lambda: call.run(WITH_CONSENT),
        },
        rounds=rounds,
        batch=batch,
    )
    base = "startproject middleware"
    print("\nGET /four/, 20,000 different returning visitors: where the overhead goes")
    print(f"  {base:<42} {us(statistics.median(samples[base]))}")
    shares = {}
    for arm in list(samples)[1:]:
        shares[arm] = (ratio(samples, arm, base) - 1) * 100
        print(f"  {arm:<42} {us(statistics.median(samples[arm]))}   {shares[arm]:+.1f} %")
    reading = (
        shares["+ CookieConsentMiddleware"] - shares["+ CookieConsentMiddleware, reading free"]
    )
    print(f"  {'reading their consent cookies':<42} {'':>11}   {reading:+.1f} points")
    for arm, share in shares.items():
        RESULTS.append((f"20,000 visitors, {arm.removeprefix('+ ')}", f"{share:+.1f} %", "info"))
    RESULTS.append(("20,000 visitors, reading their cookies", f"{reading:+.1f} points", "info"))


def bench_banner(rounds: int, batch: int) -> None:
    # The banner's form carries no CSRF token (the consent endpoint checks the origin), so it
    # is the same bytes for every undecided visitor. The third case compares on a page that
    # has a form of its own already, as many sites' pages do.
    visitors = {
        "undecided visitor (banner shown)": ({}, "/page/", "/page-banner/"),
        "decided visitor (banner omitted)": (
            {"cookieconsent": decided_cookie()},
            "/page/",
            "/page-banner/",
        ),
        "undecided visitor, page with a CSRF-protected form": (
            {},
            "/page-form/",
            "/page-form-banner/",
        ),
    }
    for label, (cookies, bare_path, banner_path) in visitors.items():
        bare = Call("GET", bare_path, cookies)
        banner = Call("GET", banner_path, cookies)
        bare.check(WITH_CONSENT, "200")
        body = b"".join(banner.check(WITH_CONSENT, "200"))
        shown = b"cookieconsent-banner" in body
        print(f"\n[{label}] banner in HTML: {shown}")
        samples = interleave(
            {
                "page": lambda b=bare: b.run(WITH_CONSENT),
                "page + {% cookieconsent_banner %}": lambda b=banner: b.run(WITH_CONSENT),
            },
            rounds=rounds,
            batch=batch,
        )
        report_pair(
            f"GET a small page (10 articles), {label}",
            samples,
            "page",
            "page + {% cookieconsent_banner %}",
            0.10,
        )


def bench_post(rounds: int, batch: int) -> None:
    # What a browser sends with the banner's form post: its origin headers. The hand-rolled
    # endpoint is checked by Django's CSRF middleware, so it gets a token too; ours needs none.
    browser = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    cookies = {"csrftoken": CSRF_SECRET}
    data = {"action": "accept_all", "next": "/page/"}
    ours = Call("POST", "/cookies/consent/", {}, data, headers=browser)
    theirs = Call(
        "POST", "/record/", cookies, {**data, "csrfmiddlewaretoken": CSRF_SECRET}, headers=browser
    )
    ours.check(WITH_CONSENT, "302")
    theirs.check(BASELINE, "302")
    with CaptureQueriesContext(connection) as q_ours:
        ours.run(WITH_CONSENT)
    with CaptureQueriesContext(connection) as q_theirs:
        theirs.run(BASELINE)
    print(
        f"\n[consent POST] queries: ours {len(q_ours)}, hand-rolled {len(q_theirs)}; "
        f"ConsentRecord rows so far: {ConsentRecord.objects.count()}"
    )
    samples = interleave(
        {
            "hand-rolled endpoint, startproject": lambda: theirs.run(BASELINE),
            "cookieconsent endpoint + middleware": lambda: ours.run(WITH_CONSENT),
        },
        rounds=rounds,
        batch=batch,
    )
    report_pair(
        "POST accept_all, end to end (CSRF or origin check, one ConsentRecord, signed cookie,"
        " redirect)",
        samples,
        "hand-rolled endpoint, startproject",
        "cookieconsent endpoint + middleware",
        0.25,
    )


def bench_policy_page(rounds: int, batch: int) -> None:
    """The policy page with 1,000 declared cookies against the same page with 10: both are
    published snapshots, served as they are (``policy/v<n>/`` serves a given version)."""
    policy = CookiePolicy.objects.get()
    extra = CookieCategory.objects.create(slug="bench", name="Benchmark", purpose="Many cookies.")

    def declare_up_to(total: int) -> int:
        have = Cookie.objects.count()
        Cookie.objects.bulk_create(
            Cookie(category=extra, name=f"bench_{i}", purpose=f"Cookie number {i}.")
            for i in range(have, total)
        )
        return publish(policy).number

    small, large = declare_up_to(10), declare_up_to(1000)
    arms = {
        f"policy page, {n} cookies": Call("GET", f"/cookies/policy/v{v}/", {})
        for n, v in ((10, small), (1000, large))
    }
    for call in arms.values():
        call.check(WITH_CONSENT, "200")
    sizes = {name: len(b"".join(call.check(WITH_CONSENT, "200"))) for name, call in arms.items()}
    samples = interleave(
        {name: (lambda c=call: c.run(WITH_CONSENT)) for name, call in arms.items()},
        rounds=rounds,
        batch=batch,
    )
    names = list(arms)
    report_pair("Policy page: 1,000 declared cookies against 10", samples, *names, target=1.0)
    print("  page sizes: " + ", ".join(f"{name} {size:,} B" for name, size in sizes.items()))
    # What each request would cost if the page were rebuilt from the tables, as before.
    start = time.perf_counter_ns()
    render(policy, number=large, last_updated=policy.last_updated, language="en")
    took = us(time.perf_counter_ns() - start)
    print(f"  rendering that version from the tables once (at publish time): {took}")


def bench_queries() -> None:
    print("\nQueries per warm request (CaptureQueriesContext), target 0:")
    calls = {
        "GET /four/, undecided": Call("GET", "/four/", {}),
        "GET /four/, decided": Call("GET", "/four/", {"cookieconsent": decided_cookie()}),
        "GET /page-banner/, undecided": Call("GET", "/page-banner/", {}),
        "GET /four/, undecided, US": Call("GET", "/four/", {}, headers={"CF-IPCountry": "US"}),
        "GET /page-banner/, undecided, US": Call(
            "GET", "/page-banner/", {}, headers={"CF-IPCountry": "US"}
        ),
        "GET /page-banner/, decided": Call(
            "GET", "/page-banner/", {"cookieconsent": decided_cookie()}
        ),
    }
    for label, call in calls.items():
        call.run(WITH_CONSENT)
        with CaptureQueriesContext(connection) as queries:
            for _ in range(10):
                call.run(WITH_CONSENT)
        per = len(queries) / 10
        print(f"  {label:<32} {per:g} queries   {verdict(per == 0)}")
        RESULTS.append((f"queries, {label}", f"{per:g}", verdict(per == 0)))


def _bytecodes(call: Call, handler: WSGIHandler) -> tuple[int, int]:
    """Python bytecodes one warm request executes: in all, and in cookieconsent's own code."""
    for _ in range(20):
        call.run(handler)
    own_dir = str(ROOT / "cookieconsent")
    total = own = 0

    def trace(frame: Any, event: str, arg: Any) -> Any:
        nonlocal total, own
        frame.f_trace_opcodes = True
        if event == "opcode":
            total += 1
            if frame.f_code.co_filename.startswith(own_dir):
                own += 1
        return trace

    sys.settrace(trace)
    try:
        call.run(handler)
    finally:
        sys.settrace(None)
    return total, own


def bench_bytecodes() -> None:
    """What the middleware adds to a request, counted instead of timed: the Python bytecodes
    a warm request executes with and without it, the same from run to run. A count is not
    time: C work is not in it, nor, it seems, much of what the middleware costs inside a
    request, its code and data coming back into the CPU's caches. A change that cut these
    counts by 12-25 % ran no faster (docs/performance.md): the counts show what a change does;
    only timing shows whether it is worth keeping."""
    cases = {
        "undecided visitor": ({}, None),
        "undecided visitor holding _stat and prefs": (STALE_COOKIES, None),
        "returning visitor (accept all)": (returning_crowd(1)[0], None),
        "undecided visitor, CF-IPCountry: US (opt-out)": ({}, {"CF-IPCountry": "US"}),
    }
    print("\nBytecodes per warm GET /four/ (sys.settrace; the same from run to run):")
    print(f"  {'':<46} {'bare':>6} {'with':>6} {'net':>6} {'own':>6}")
    for label, (cookies, headers) in cases.items():
        call = Call("GET", "/four/", cookies, headers=headers)
        bare, _ = _bytecodes(call, BASELINE)
        total, own = _bytecodes(call, WITH_CONSENT)
        print(f"  {label:<46} {bare:>6} {total:>6} {total - bare:>+6} {own:>6}")
        RESULTS.append((f"bytecodes, {label}", f"{total - bare:+d} net, {own} own", "info"))


def _rows(n: int) -> list[str]:
    """``n`` declared names: 90 % exact, 9 % ``prefix*``, 1 % other patterns (at least one
    of each)."""
    general = max(1, n // 100)
    prefixes = max(2, n * 9 // 100)
    exact = n - general - prefixes
    names = [f"c{i}" for i in range(exact)]
    names += [f"p{i}_*" for i in range(prefixes)]
    names += [f"*_g{i}_*" for i in range(general)]  # neither prefix nor suffix: a glob
    return names


def build_registry(n: int) -> registry_module.Registry:
    with transaction.atomic():
        category = CookieCategory.objects.create(slug=f"gen{n}", name=f"Generated {n}")
        Cookie.objects.bulk_create(Cookie(name=name, category=category) for name in _rows(n))
        registry = registry_module.build()
        transaction.set_rollback(True)
    return registry


def bench_lookups(rounds: int) -> None:
    small, large = build_registry(10), build_registry(10_000)
    tables = {"10": small, "10,000": large}
    # Names that exist in both tables (the large table extends the small one).
    kinds = {
        "exact hit": ["c0", "c1", "c2", "femstd", "csrftoken"],
        "prefix pattern hit": ["p0_abc", "p1_xyz", "_ga_ABC123"],
        "other pattern hit": ["x_g0_y", "long_name_g0_z"],
        "undeclared (miss)": ["nope", "tracker", "zzz"],
    }
    for table in tables.values():
        for names in kinds.values():
            for name in names:
                table.lookup(name)  # memoised from here on, as in a running process
    per_call = 200
    print(
        f"\nRegistry.lookup, ns per lookup (batches of {per_call}), "
        "tables of 10 and 10,000 declared cookies:"
    )
    print(f"  {'':<28} {'10':>10} {'10,000':>10} {'ratio':>7}")
    for kind, names in kinds.items():
        seq = (names * (per_call // len(names) + 1))[:per_call]
        arms = {
            label: (lambda t=table, s=seq: [t.lookup(n) for n in s])
            for label, table in tables.items()
        }
        samples = interleave(arms, rounds=rounds, batch=10)
        r = ratio(samples, "10,000", "10")
        a, b = (statistics.median(samples[k]) / per_call for k in tables)
        ok = r <= 1.25
        print(f"  {kind:<28} {a:10.0f} {b:10.0f} {r:7.2f}   flat (≤ 1.25): {verdict(ok)}")
        RESULTS.append((f"lookup, {kind}", f"{a:.0f} → {b:.0f} ns (x{r:.2f})", verdict(ok)))

    # Names never seen before, once the memo is full: every one goes through the prefix tables
    # and the other patterns.
    for table in tables.values():
        for i in range(5000):
            table.lookup(f"fill{i}")
    counter = [0]

    def fresh(table: registry_module.Registry) -> None:
        base = counter[0]
        counter[0] += per_call
        for i in range(base, base + per_call):
            table.lookup(f"fresh{i}")

    samples = interleave(
        {label: (lambda t=table: fresh(t)) for label, table in tables.items()},
        rounds=rounds,
        batch=1,
    )
    r = ratio(samples, "10,000", "10")
    a, b = (statistics.median(samples[k]) / per_call for k in tables)
    print(
        f"  {'unseen name, memo full':<28} {a:10.0f} {b:10.0f} {r:7.2f}   (not memoised: "
        f"{len(small.prefixes)} vs {len(large.prefixes)} prefix lengths, "
        f"{len(small.globs)} vs {len(large.globs)} other patterns)"
    )
    RESULTS.append(
        ("lookup, unseen name with memo full", f"{a:.0f} → {b:.0f} ns (x{r:.2f})", "info")
    )


def bench_patterns(rounds: int) -> None:
    """Hostile cookie names against hostile patterns: matching time should grow at most
    linearly with the name (8x the name: at most about 8x the time), never explode."""
    cases = {
        "*_*_*.* vs '_' * n (the 10 s case)": ("*_*_*.*", "_" * 4000, "_" * 32000),
        "*_*_*.* vs '_' * n + '.'": ("*_*_*.*", "_" * 4000 + ".", "_" * 32000 + "."),
        "*a*aab* vs 'a' * n": ("*a*aab*", "a" * 4000, "a" * 32000),
    }
    print("\nglob_match, ns per match, names of n = 4,000 and 32,000 characters:")
    for label, (pattern, short, long) in cases.items():
        segments = tuple(pattern.split("*"))
        samples = interleave(
            {
                "n": lambda s=segments, name=short: registry_module.glob_match(s, name),
                "8n": lambda s=segments, name=long: registry_module.glob_match(s, name),
            },
            rounds=rounds,
            batch=20,
        )
        r = ratio(samples, "8n", "n")
        a, b = (statistics.median(samples[k]) for k in ("n", "8n"))
        # The fastest rounds too: on a loaded machine a long match is preempted more often.
        fastest = min(samples["8n"]) / min(samples["n"])
        ok = r <= 10
        print(
            f"  {label:<40} {a:10.0f} {b:10.0f} x{r:5.2f} (fastest rounds x{fastest:5.2f})   "
            f"at most linear: {verdict(ok)}"
        )
        RESULTS.append((f"glob_match, {label}", f"{a:.0f} → {b:.0f} ns (x{r:.2f})", verdict(ok)))


def profile(n: int) -> None:
    """Where the middleware's time goes, for the decided and the undecided visitor."""
    profiled = {
        "undecided": {},
        "stale": {"prefs": "theme", "_stat": "4"},
        "decided": {"cookieconsent": decided_cookie()},
    }
    for label, cookies in profiled.items():
        call = Call("GET", "/four/", cookies)
        for _ in range(200):
            call.run(WITH_CONSENT)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(n):
            call.run(WITH_CONSENT)
        profiler.disable()
        print(
            f"\n=== cProfile, {n} requests, {label} visitor: "
            "cookieconsent's functions (cumulative) ==="
        )
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(
            r"cookieconsent/(middleware|consent|registry|conf)", 25
        )


#: The groups of measurements, in the order they run.
GROUPS = (
    "queries",
    "bytecodes",
    "middleware",
    "floor",
    "alone",
    "banner",
    "post",
    "lookups",
    "patterns",
    "policy",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=120, help="timed rounds per comparison")
    parser.add_argument("--batch", type=int, default=20, help="requests per arm per round")
    parser.add_argument(
        "--profile", type=int, metavar="N", default=0, help="also profile N middleware requests"
    )
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="cpu",
        help="this thread's CPU time (the default: it leaves out time spent waiting for a "
        "CPU), or wall time",
    )
    parser.add_argument(
        "--only",
        choices=GROUPS,
        action="append",
        help="run only these groups (repeatable); all of them by default",
    )
    parser.add_argument(
        "--regions",
        action="store_true",
        help="in the middleware groups, only the cases with and without a region header",
    )
    args = parser.parse_args()
    CLOCK[0] = args.clock
    started = time.perf_counter()
    seed()
    print(
        f"cookieconsent benchmark · Python {sys.version.split()[0]} · "
        f"Django {django.get_version()} · "
        f"{os.cpu_count()} CPUs · {args.rounds} rounds x {args.batch} requests per arm · "
        f"{args.clock} clock"
    )
    groups = set(args.only or GROUPS)
    if "queries" in groups:
        bench_queries()
    if "bytecodes" in groups:
        bench_bytecodes()
    if "middleware" in groups:
        bench_noise(args.rounds, args.batch)
        bench_middleware(args.rounds, args.batch, args.regions)
    if "floor" in groups:
        bench_floor(args.rounds, args.batch)
    if "alone" in groups:
        bench_middleware_alone(args.rounds, args.batch * 5, args.regions)
    if "banner" in groups:
        bench_banner(args.rounds, args.batch)
    if "post" in groups:
        bench_post(max(20, args.rounds // 3), max(5, args.batch // 2))
    if "lookups" in groups:
        bench_lookups(args.rounds)
    if "patterns" in groups:
        bench_patterns(args.rounds)
    if "policy" in groups:
        bench_policy_page(max(20, args.rounds // 2), args.batch)
    if args.profile:
        profile(args.profile)
    print("\nSummary")
    for title, figure, result in RESULTS:
        print(f"  {result:<5} {title}: {figure}")
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
