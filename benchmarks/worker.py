#!/usr/bin/env python
"""One process timing the benchmark's cases for ``run.py`` and ``ab.py``, on orders read from
stdin, one JSON line each, answered on stdout the same way.

    python benchmarks/worker.py project|example

``project`` is ``benchmarks/settings.py`` (``startproject``'s middleware); ``example`` is the
fluxems example's own settings (``benchmarks/example_settings.py``). ``cookieconsent`` and
``example_project`` come from ``PYTHONPATH`` (the tree under test); the ``benchmarks`` package
is always this directory, so that two trees run the same benchmark. Only the app's public API
is used: its models, ``cookieconsent.testing``, ``call_command``, and requests through
``WSGIHandler``.

Orders: ``{"op": "round", "case": NAME, "batch": N, "n": ROUND}`` times the case's arms
(``bare``, ``app`` and, for some, ``yardstick``; ``"arms": [...]`` picks some) in one round,
``N`` requests each, in an order that flips with ``ROUND``'s parity, by this thread's CPU
time, and answers the ns per request of each; ``check`` answers the cookies each arm sets and
expires; ``queries`` the queries of a warm request with the app.
"""

from __future__ import annotations

import functools
import gc
import importlib.util
import io
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0]).resolve() == HERE:
    del sys.path[0]  # the script's directory: its modules are the benchmarks package's
# The benchmarks package is this directory, whatever tree PYTHONPATH names for the app.
spec = importlib.util.spec_from_file_location(
    "benchmarks", HERE / "__init__.py", submodule_search_locations=[str(HERE)]
)
assert spec is not None and spec.loader is not None
sys.modules["benchmarks"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sys.modules["benchmarks"])

SUITE = sys.argv[1] if len(sys.argv) > 1 else "project"
os.environ["DJANGO_SETTINGS_MODULE"] = {
    "project": "benchmarks.settings",
    "example": "benchmarks.example_settings",
}[SUITE]

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import RequestFactory, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

import cookieconsent  # noqa: E402
from cookieconsent.models import Cookie, CookieCategory, CookiePolicy, RegionRule  # noqa: E402
from cookieconsent.testing import consent_cookie, consent_cookie_name  # noqa: E402

APP = "cookieconsent.middleware.CookieConsentMiddleware"
CSRF_SECRET = "b" * 32  # an unmasked secret is a valid form token for its own cookie
#: A visitor who has not decided but still holds the cookies of an earlier consent: the app
#: drops the view's ``_stat`` and ``prefs`` and expires the browser's.
STALE = {"femstd": "s3ss10n", "prefs": "theme=dark", "_stat": "4"}
CROWD = 20_000


def seed() -> None:
    """The project suite: the fluxems categories, cookies and regimes, and the policy
    published. The example's migrations seed and publish its own."""
    # run_syncdb: the hand-rolled endpoint's table (benchmarks/models.py) has no migration.
    call_command("migrate", verbosity=0, interactive=False, run_syncdb=True)
    if SUITE == "example":
        return
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
    policy = CookiePolicy.objects.create(title="Cookie Policy", is_current=True)
    for region, regime in [("EEA", "opt-in"), ("GB", "opt-in"), ("US", "opt-out")]:
        RegionRule.objects.create(policy=policy, region=region, regime=regime)
    call_command("cookieconsent_publish", stdout=io.StringIO())


class Stack(WSGIHandler):
    """A WSGI handler with its own middleware list."""

    def __init__(self, middleware: list[str]) -> None:
        with override_settings(MIDDLEWARE=middleware):
            super().__init__()


_status: list[str] = []


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    _status.append(status)


class Call:
    """One prepared request, replayed on a handler; ``crowd`` cycles its Cookie header through
    many visitors."""

    def __init__(
        self,
        path: str,
        cookies: dict[str, str] | None = None,
        *,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        crowd: list[dict[str, str]] | None = None,
    ) -> None:
        factory = RequestFactory(headers=headers)
        jar = "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())
        self.jars = ["; ".join(f"{k}={v}" for k, v in c.items()) for c in crowd or []]
        self.turn = 0
        if data is None:
            self.body = b""
            request = factory.get(path, HTTP_COOKIE=jar)
        else:
            self.body = urlencode(data).encode()
            kind = "application/x-www-form-urlencoded"
            request = factory.post(path, self.body, content_type=kind, HTTP_COOKIE=jar)
        self.environ = dict(request.environ)

    def __call__(self, handler: WSGIHandler) -> Any:
        environ = self.environ.copy()
        environ["wsgi.input"] = io.BytesIO(self.body)
        if self.jars:
            self.turn = (self.turn + 1) % len(self.jars)
            environ["HTTP_COOKIE"] = self.jars[self.turn]
        response = handler(environ, _start_response)
        for _chunk in response:
            pass
        response.close()
        _status.pop()
        return response


@dataclass
class Case:
    """The same visitor with and without the app (and through the yardstick): each arm is a
    handler and the request it gets."""

    bare: tuple[WSGIHandler, Call]
    app: tuple[WSGIHandler, Call]
    yardstick: tuple[WSGIHandler, Call] | None = None
    #: the target, as the highest ratio to the bare request
    target: float | None = 1.05
    #: requests per arm per round, as a share of the batch asked for
    share: float = 1.0
    arms: dict[str, Callable[[], Any]] = field(init=False)

    def __post_init__(self) -> None:
        pairs = {"bare": self.bare, "app": self.app, "yardstick": self.yardstick}
        self.arms = {
            name: functools.partial(pair[1], pair[0]) for name, pair in pairs.items() if pair
        }


def accepted_all(n: int) -> list[dict[str, str]]:
    return [
        {
            consent_cookie_name(): consent_cookie(["functional", "analytics"], action="accept_all"),
            "femstd": "s3ss10n",
        }
        for _ in range(n)
    ]


def build_cases() -> dict[str, Callable[[], Case]]:
    """Each case, built when first asked for (20,000 consent cookies take a while)."""
    plain = [m for m in settings.MIDDLEWARE if m != APP]
    bare, app = Stack(plain), Stack([APP, *plain])
    yardstick = Stack(["benchmarks.middleware.Yardstick", *plain])

    def four(
        cookies: dict[str, str] | str = "", headers: dict[str, str] | None = None
    ) -> Callable[[], Case]:
        """GET /four/: a visitor with these cookies (``"returning"``: who accepted all, and
        ``"crowd"``: 20,000 of them, a different one each request)."""

        def make() -> Case:
            if isinstance(cookies, str):
                crowd = accepted_all(CROWD if cookies == "crowd" else 1) if cookies else [{}]
                jar, people = crowd[0], crowd if cookies == "crowd" else None
            else:
                jar, people = cookies, None
            call = Call("/four/", jar, headers=headers, crowd=people)
            # Django's signed format costs a new visitor's cookie about 6 points on its own.
            target = 1.10 if cookies == "crowd" else 1.05
            return Case((bare, call), (app, call), (yardstick, call), target=target)

        return make

    if SUITE == "example":
        return {
            "example: returning visitor (accept all)": four("returning"),
            "example: undecided visitor holding _stat and prefs": four(STALE),
            "example: 20,000 different returning visitors": four("crowd"),
        }
    us, de = {"CF-IPCountry": "US"}, {"CF-IPCountry": "DE"}

    def noise() -> Case:
        call = Call("/four/", {"femstd": "s3ss10n"})
        return Case((bare, call), (Stack(plain), call), target=None)

    def banner() -> Case:
        # The whole app on a page that shows the banner: the same page without the tag, and
        # without the middleware, is the bare request.
        return Case((bare, Call("/page/")), (app, Call("/page-banner/")), target=1.10)

    def post() -> Case:
        # What a browser sends with the banner's form post: its origin headers. The hand-rolled
        # endpoint is checked by Django's CSRF middleware, so it gets a token too.
        browser = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
        data = {"action": "accept_all", "next": "/page/"}
        theirs = Call(
            "/record/",
            {"csrftoken": CSRF_SECRET},
            data={**data, "csrfmiddlewaretoken": CSRF_SECRET},
            headers=browser,
        )
        ours = Call("/cookies/consent/", data=data, headers=browser)
        return Case((bare, theirs), (app, ours), target=1.25, share=0.5)

    return {
        "the bare request against itself (noise)": noise,
        "undecided visitor": four(),
        "undecided visitor holding _stat and prefs": four(STALE),
        "returning visitor (accept all)": four("returning"),
        "20,000 different returning visitors": four("crowd"),
        "undecided visitor, CF-IPCountry: DE (opt-in)": four(headers=de),
        "undecided visitor, CF-IPCountry: US (opt-out)": four(headers=us),
        "returning visitor, CF-IPCountry: US (opt-out)": four("returning", us),
        "page with {% cookieconsent_banner %}, undecided visitor": banner,
        "consent POST, against a hand-rolled endpoint": post,
    }


def run_round(case: Case, batch: int, n: int, arms: list[str] | None = None) -> dict[str, float]:
    """ns per request of each arm (or of these) in one round."""
    names = [name for name in case.arms if arms is None or name in arms]
    order = names if n % 2 == 0 else names[::-1]
    batch = max(1, round(batch * case.share))
    clock = time.thread_time_ns
    out = {}
    gc.collect()
    gc.disable()
    try:
        # After a collection the first batch runs on cold caches: one untimed call of each arm
        # first, or whichever arm goes first is measured slower.
        for name in order:
            case.arms[name]()
        for name in order:
            fn = case.arms[name]
            start = clock()
            for _ in range(batch):
                fn()
            out[name] = (clock() - start) / batch
    finally:
        gc.enable()
    return out


def check(case: Case) -> dict[str, Any]:
    """What each arm's response does to the browser's cookies, and its status."""
    out = {}
    for name, pair in (("bare", case.bare), ("app", case.app), ("yardstick", case.yardstick)):
        if pair is None:
            continue
        handler, call = pair
        response = call(handler)
        out[name] = {
            "status": response.status_code,
            "set": sorted(n for n, m in response.cookies.items() if m["max-age"] != 0),
            "expired": sorted(n for n, m in response.cookies.items() if m["max-age"] == 0),
        }
    return out


def queries(case: Case, n: int = 10) -> float:
    handler, call = case.app
    call(handler)
    with CaptureQueriesContext(connection) as captured:
        for _ in range(n):
            call(handler)
    return len(captured) / n


def main() -> None:
    out, sys.stdout = sys.stdout, sys.stderr  # stdout carries the answers only
    seed()
    makers = build_cases()
    cases: dict[str, Case] = {}

    def case(name: str) -> Case:
        if name not in cases:
            cases[name] = makers[name]()
        return cases[name]

    hello = {
        "cookieconsent": str(Path(cookieconsent.__file__).resolve().parent),
        "django": django.get_version(),
        "python": sys.version.split()[0],
        "cases": list(makers),
    }
    print(json.dumps(hello), file=out, flush=True)
    for line in sys.stdin:
        order = json.loads(line)
        op = order["op"]
        if op == "round":
            answer: Any = run_round(
                case(order["case"]), order["batch"], order["n"], order.get("arms")
            )
        elif op == "check":
            answer = check(case(order["case"]))
        elif op == "queries":
            answer = queries(case(order["case"]))
        elif op == "target":
            answer = case(order["case"]).target
        else:
            raise SystemExit(f"unknown order {op!r}")
        print(json.dumps(answer), file=out, flush=True)


if __name__ == "__main__":
    main()
