"""Two yardstick middlewares for the benchmarks: one that does nothing (what being in
``MIDDLEWARE`` at all costs a request) and one that does only the work no consent middleware
can avoid (the floor issue 12 sets its targets against)."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from http.cookies import Morsel, SimpleCookie

from django.http import HttpRequest, HttpResponseBase

from cookieconsent.engine.consent import _signer
from cookieconsent.engine.registry import get_registry
from cookieconsent.middleware import _expire


class Passthrough:
    """Calls the next layer and returns its response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)


class Limit:
    """The work the issue calls unavoidable, and nothing else: one HMAC over the consent
    cookie, a dict lookup per cookie, one ``Set-Cookie`` per cookie to expire.

    - A consent cookie whose signature holds (one HMAC, with the app's key derived once)
      grants every category, as the benchmark's returning visitors' cookies do: decoding what
      it says is left out.
    - Without one, the optional categories are allowed only in the opt-out region (the
      benchmark's ``CF-IPCountry: US``).
    - Each cookie of the response and of the request is looked up once in the app's registry.
      One not allowed is dropped from the response and, if the browser holds it, expired by a
      ``Set-Cookie`` prepared once.

    Left out, and done by ``CookieConsentMiddleware``: decoding the decision, its expiry and
    policy version, dismissals, browser signals, ``Vary``, ``Cache-Control``, undeclared
    cookies and raw ``Set-Cookie`` headers. Only for the benchmark's requests: it is not a
    consent middleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.expiries: dict[str, Morsel[str]] = {}

    def _signed(self, value: str) -> bool:
        body, _, signature = value.rpartition(":")
        expected = _signer._signature(_signer.keys()[0], body.encode())
        return hmac.compare_digest(signature.encode(), expected)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        registry = get_registry()
        held = request.COOKIES
        value = held.get("cookieconsent")
        everything = (value is not None and self._signed(value)) or request.META.get(
            "HTTP_CF_IPCOUNTRY"
        ) == "US"
        exact = registry.exact
        cookies = response.cookies
        for name in list(cookies):
            rule = exact.get(name)
            if rule is None or rule.required or everything:
                continue
            del cookies[name]
        for name in held:
            rule = exact.get(name)
            if rule is None or rule.required or everything or name in cookies:
                continue
            morsel = self.expiries.get(name)
            if morsel is None:
                # The app's own expiry, made once and then shared by every response.
                scratch = SimpleCookie()
                _expire(scratch, name, rule)
                morsel = self.expiries[name] = scratch[name]
            dict.__setitem__(cookies, name, morsel)
        return response
