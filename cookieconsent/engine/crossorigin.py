"""Cross-origin protection for the consent endpoint, without a CSRF token.

Browsers say where a request comes from: ``Sec-Fetch-Site`` (every current browser) and
``Origin`` (on every POST). The rules are those of Go 1.25's ``CrossOriginProtection``:

1. an ``Origin`` listed in ``CSRF_TRUSTED_ORIGINS`` (wildcards as Django reads them) passes;
2. ``Sec-Fetch-Site: same-origin`` or ``none`` (typed by the visitor) passes; any other value
   (``same-site``, ``cross-site``) is refused, whatever token the request carries;
3. without ``Sec-Fetch-Site``, an ``Origin`` equal to this request's scheme and host passes,
   any other ``Origin`` (``null`` included) is refused;
4. a request with neither header (not a browser, or a very old one) gets Django's own CSRF
   token check.

So the banner needs no CSRF token: it is the same bytes for every undecided visitor, and a
first visit sets no CSRF cookie.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase
from django.utils.http import is_same_domain
from django.views.decorators.csrf import csrf_exempt, csrf_protect

SEC_FETCH_SITE = "HTTP_SEC_FETCH_SITE"
ORIGIN = "HTTP_ORIGIN"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class Verdict(enum.Enum):
    SAME_ORIGIN = "same-origin"
    CROSS_ORIGIN = "cross-origin"
    #: Neither header: the request is left to Django's token check.
    UNKNOWN = "unknown"


def _trusted(origin: str) -> bool:
    """``origin`` is listed in ``CSRF_TRUSTED_ORIGINS`` (``https://*.example.com`` included)."""
    trusted = settings.CSRF_TRUSTED_ORIGINS
    if origin in trusted:
        return True
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    return any(
        is_same_domain(parts.netloc, entry.netloc.lstrip("*"))
        for entry in map(urlsplit, (o for o in trusted if "*" in o))
        if entry.scheme == parts.scheme
    )


def _own_origin(request: HttpRequest) -> str | None:
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    return f"{request.scheme}://{host}"


def verdict(request: HttpRequest) -> Verdict:
    """Where a state-changing request comes from, as far as the browser says."""
    meta = request.META
    origin = meta.get(ORIGIN)
    if origin is not None and _trusted(origin):
        return Verdict.SAME_ORIGIN
    site = meta.get(SEC_FETCH_SITE)
    if site is not None:
        return Verdict.SAME_ORIGIN if site in ("same-origin", "none") else Verdict.CROSS_ORIGIN
    if origin is None:
        return Verdict.UNKNOWN
    return Verdict.SAME_ORIGIN if origin == _own_origin(request) else Verdict.CROSS_ORIGIN


Refuse = Callable[[HttpRequest], HttpResponseBase]


def cross_origin_protect(
    refuse: Refuse,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Protect a view by where its unsafe requests come from (see the module), instead of by
    Django's CSRF token; ``refuse(request)`` answers a cross-origin one."""

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        with_token = csrf_protect(view)

        @wraps(view)
        def protected(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
            if request.method in SAFE_METHODS:
                return view(request, *args, **kwargs)
            found = verdict(request)
            if found is Verdict.SAME_ORIGIN:
                return view(request, *args, **kwargs)
            if found is Verdict.CROSS_ORIGIN:
                return refuse(request)
            return with_token(request, *args, **kwargs)

        # Django's CsrfViewMiddleware must not ask this view for a token first.
        return csrf_exempt(protected)

    return decorator
