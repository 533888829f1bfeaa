"""``CookieConsentMiddleware``: the visitor's choice, enforced on every response."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from http.cookies import Morsel
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_vary_headers

from cookieconsent import discovery
from cookieconsent.conf import get_config
from cookieconsent.consent import Consent
from cookieconsent.registry import aget_registry

logger = logging.getLogger("cookieconsent")

_warned: set[str] = set()


class CookieConsentMiddleware:
    """Drops every ``Set-Cookie`` whose category the visitor has not allowed, and expires the
    cookies of categories they have refused.

    Place it near the top of ``MIDDLEWARE`` (above ``SessionMiddleware``), so that it sees the
    response last, after every other middleware has set its cookies.
    """

    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], HttpResponseBase]
        | Callable[[HttpRequest], Awaitable[HttpResponseBase]],
    ) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        request.cookie_consent = Consent.for_request(request)  # type: ignore[attr-defined]
        response = self.get_response(request)
        return self.process_response(request, response)  # type: ignore[arg-type]

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        registry = await aget_registry()
        request.cookie_consent = Consent.for_request(request, registry)  # type: ignore[attr-defined]
        response = await self.get_response(request)  # type: ignore[misc]
        return self.process_response(request, response)

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        # The view may have replaced the consent (the consent endpoint does), so read it now.
        consent: Consent = request.cookie_consent  # type: ignore[attr-defined]
        if consent.accessed:
            patch_vary_headers(response, ("Cookie",))
        cookies = response.cookies
        registry = consent.registry
        if cookies:
            for name in list(cookies):
                if not _is_deletion(cookies[name]) and not _may_set(name, consent, request):
                    del cookies[name]
        # A Set-Cookie written as a raw header instead of through set_cookie() is judged too.
        raw = response.headers.get("Set-Cookie")
        if raw is not None and not _may_set(raw.split("=", 1)[0].strip(), consent, request):
            del response.headers["Set-Cookie"]
        for name in request.COOKIES:
            if name in cookies:
                continue
            rule = registry.lookup(name)
            if rule is None:
                discovery.notice(request, name, "request")
                continue
            if rule.required or consent.allowed_for_middleware(rule.slug):
                continue
            response.delete_cookie(name, path=rule.path, domain=rule.domain or None)
        discovery.schedule(request, response)
        return response


def _may_set(name: str, consent: Consent, request: HttpRequest) -> bool:
    rule = consent.registry.lookup(name)
    if rule is None:
        discovery.notice(request, name, "response")
        if get_config()["UNDECLARED_COOKIES"] == "allow":
            return True
        _warn_undeclared(name)
        return False
    return rule.required or consent.allowed_for_middleware(rule.slug)


def _is_deletion(morsel: Morsel[str]) -> bool:
    """A ``Set-Cookie`` that removes a cookie is always let through."""
    return bool(morsel["max-age"] == 0 or morsel["expires"] == "Thu, 01 Jan 1970 00:00:00 GMT")


def _warn_undeclared(name: str) -> None:
    if name not in _warned:
        _warned.add(name)
        logger.warning(
            "cookieconsent blocked the undeclared cookie %r: declare it in a category, or set "
            "COOKIECONSENT['UNDECLARED_COOKIES'] = 'allow'.",
            name,
        )
