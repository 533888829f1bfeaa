"""A yardstick for the benchmarks: a middleware doing only the work no consent middleware can
avoid, through Django's public API, so that its cost shows what is left to win."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from http.cookies import Morsel

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from cookieconsent.models import Cookie
from cookieconsent.testing import consent_cookie_name


class Yardstick:
    """One HMAC over the consent cookie, a dict lookup per cookie, one ``Set-Cookie`` per
    cookie to expire; nothing else.

    - The app's salt is not public, so the HMAC is the one of Django's signed format (SHA-256,
      URL-safe base64) under a key of its own, derived once (``django.core.signing`` derives
      it again on every call, which is avoidable): the same work as checking the cookie's
      signature, whose outcome is not used. A consent cookie grants every category, as the
      benchmark's returning visitors' do.
    - Without one, the optional categories are allowed only in the opt-out region (the
      benchmark's ``CF-IPCountry: US``).
    - Each cookie of the response and of the request is looked up once in a table of the
      declared names (read once from ``Cookie``). One not allowed is dropped from the response
      and, if the browser holds it, expired by the ``Set-Cookie`` of ``delete_cookie()``, made
      once.

    Only for the benchmark's requests: it is not a consent middleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.consent = consent_cookie_name()
        salted = f"benchmarks.yardsticksigner{settings.SECRET_KEY}".encode()
        self.key = hashlib.sha256(salted).digest()
        self.required: dict[str, bool] | None = None
        self.expiries: dict[str, Morsel[str]] = {}

    def signed(self, value: str) -> bool:
        body, _, signature = value.rpartition(":")
        digest = hmac.new(self.key, body.encode(), hashlib.sha256).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=")
        return hmac.compare_digest(signature.encode(), expected) or True

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        required = self.required
        if required is None:
            declared = Cookie.objects.select_related("category")
            required = self.required = {c.name: c.category.required for c in declared}
        held = request.COOKIES
        value = held.get(self.consent)
        everything = (value is not None and self.signed(value)) or request.META.get(
            "HTTP_CF_IPCOUNTRY"
        ) == "US"
        cookies = response.cookies
        for name in list(cookies):
            if not required.get(name, True) and not everything:
                del cookies[name]
        for name in held:
            if required.get(name, True) or everything or name in cookies:
                continue
            morsel = self.expiries.get(name)
            if morsel is None:
                scratch = HttpResponse()
                scratch.delete_cookie(name)
                morsel = self.expiries[name] = scratch.cookies[name]
            dict.__setitem__(cookies, name, morsel)
        return response
