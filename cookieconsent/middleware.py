"""``CookieConsentMiddleware``: the visitor's choice, enforced on every response."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from http.cookies import CookieError, Morsel
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import patch_cache_control, patch_vary_headers

from cookieconsent.caching import Memo
from cookieconsent.conf import get_config, on_reset
from cookieconsent.console import discovery
from cookieconsent.engine import following
from cookieconsent.engine.consent import (
    Consent,
    expire_consent_cookie,
    set_consent_cookie,
    signal_vary_headers,
)
from cookieconsent.engine.regions import vary_headers
from cookieconsent.engine.registry import Rule, aget_registry
from cookieconsent.setcookie import is_deletion

__all__ = ["CookieConsentMiddleware"]

logger = logging.getLogger("cookieconsent")


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
        consent = request.cookie_consent = Consent._for_request(request)  # type: ignore[attr-defined]
        loader: following.Loader | None = None
        if following.is_enabled() and following.has_session(request):
            loader = consent._theirs = following.Loader(request)
        response = self.get_response(request)
        if loader is not None and loader.unsure:
            # Asked on an async view's event loop, where the user's decision could not be
            # read: the response follows them, read now.
            consent._judge_again()
            consent._theirs = following.Loader(request)
        response = self.process_response(request, response)  # type: ignore[arg-type]
        if discovery.has_pending(request):
            # Undeclared cookies met for the first time in this process.
            discovery.write_pending(request)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        registry = await aget_registry()
        consent = Consent._for_request(request, registry)
        during: following.DuringView | None = None
        if following.is_enabled() and following.has_session(request):
            during = following.DuringView(request, *await following.aload(request))
            consent._theirs = during
        request.cookie_consent = consent  # type: ignore[attr-defined]
        response = await self.get_response(request)  # type: ignore[misc]
        if during is not None and (consent._theirs is during or during.unsure):
            # Not asked during the view, which may have signed someone in or out; or asked
            # on the event loop once it had signed in another user, whose decision needed a
            # query: the response is judged with theirs.
            now = await following.areload(request, during.user_pk, during.decision)
            if during.unsure:
                consent._judge_again()
            consent._theirs = lambda: now
        response = self.process_response(request, response)
        if discovery.has_pending(request):
            await sync_to_async(discovery.write_pending)(request)
        return response

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        # The view may have replaced the consent (the consent endpoint does), so read it now.
        consent: Consent = request.cookie_consent  # type: ignore[attr-defined]
        lookup = consent._registry.lookup
        # Whether this response now depends on the visitor's cookies: then no cache may share
        # it. Dropping a cookie does not count: a response without it suits every visitor.
        personal = consent._accessed
        cookies = response.cookies
        held = request.COOKIES
        expired = False
        if consent._theirs is not None:
            consent._judged()  # the signed-in user's decision, if the page did not ask
        if consent._adopted is not None:
            # This browser takes over its user's decision: written like the consent
            # endpoint writes one, and never shared (expired is what makes it private).
            set_consent_cookie(response, consent._adopted)
            expired = True
        elif consent._superseded:
            # Its own decision was superseded by its user's later one, which does not count
            # here: it must not count again once they sign out.
            expire_consent_cookie(response)
            expired = True
        for name, morsel in list(cookies.items()):
            judged = _judge(name, morsel, consent, request, response)
            if judged is not None and morsel.key != name:
                # (Rare.) Stored under another key (cookies[key] = morsel, which SimpleCookie
                # keeps as it is), it leaves under its own name: judged by that too.
                personal = personal or judged
                judged = _judge(str(morsel.key), morsel.OutputString(), consent, request, response)
            if judged is None:
                # Dropped; if the browser holds it already, it is expired below.
                del cookies[name]
            elif judged:
                personal = True
        # A Set-Cookie written as a raw header instead of through set_cookie() is judged too,
        # under whatever spelling of its name a server would still send as one.
        # (Most header names have no "k" at all: a cheap way past them.)
        for key in [k for k in response.headers if ("k" in k or "K" in k) and _is_set_cookie(k)]:
            judged = _judge_raw(key, response, consent, request)
            if judged is None:
                del response[key]
            elif judged:
                personal = True
        for name in held:
            if name in cookies:
                continue
            rule = lookup(name)
            if rule is None:
                discovery.notice(request, name, "request")
                continue
            if rule.required or consent._allows(rule.slug):
                continue
            expired = _expire(response, name, rule) or expired
        if expired:
            # This Set-Cookie exists only because of this visitor's cookies: never share it.
            if response.has_header("Cache-Control"):
                patch_cache_control(response, private=True)
            else:
                response["Cache-Control"] = "private"
            personal = True
        if (personal or consent._region_read or consent._signal_read) and (
            names := _vary_names(personal, consent._region_read, consent._signal_read)
        ):
            # (A region read from REGION_RESOLVER alone names no header.)
            current = response.get("Vary")
            merged = _merged_vary.get((current, names))
            if merged is None:
                merged = _merged_vary.remember((current, names), _merge_vary(current, names))
            if merged != current:
                response["Vary"] = merged
        return response


def _merge_vary(current: str | None, names: tuple[str, ...]) -> str:
    """``current`` with ``names`` added, as ``patch_vary_headers()`` adds them."""
    scratch = HttpResponse()
    if current is not None:
        scratch["Vary"] = current
    patch_vary_headers(scratch, names)
    return scratch["Vary"]


#: (a response's Vary, what it must add) → the merged Vary: a site sends a handful of
#: distinct ones, and merging parses and joins them (patch_vary_headers()).
_merged_vary: Memo[tuple[str | None, tuple[str, ...]], str] = Memo(limit=256)
on_reset(_merged_vary.clear)


def _vary_names(cookie: bool, region: bool, signal: bool) -> tuple[str, ...]:
    """What the response varies on: ``Cookie`` (it depends on the visitor's cookies), the
    region headers (on where they are), the browser signals' headers (on those)."""
    return (
        (("Cookie",) if cookie else ())
        + (vary_headers() if region else ())
        + (signal_vary_headers() if signal else ())
    )


def _judge_raw(
    key: str, response: HttpResponseBase, consent: Consent, request: HttpRequest
) -> bool | None:
    """For the raw ``Set-Cookie`` header ``key`` of ``response``: ``None`` to drop it, else
    whether letting it through depends on the visitor's consent."""
    value = response[key]
    if ":" in key:
        # The server writes "Set-Cookie:x: v": the browser's cookie starts in the name.
        return None
    name, eq, _ = value.partition(";")[0].partition("=")
    name = name.strip(_WSP)
    if not (eq and name):
        # Browsers store "=v" or "v" as a cookie without a name, sent back as "v": it could
        # pose as any cookie.
        return None
    return _judge(name, value, consent, request, response)


def _judge(
    name: str,
    cookie: Morsel[str] | str,
    consent: Consent,
    request: HttpRequest,
    response: HttpResponseBase,
) -> bool | None:
    """The rule for every ``Set-Cookie`` of the cookie ``name`` (its morsel, or a raw
    header's value) in ``response``: ``None`` to drop it, else whether letting it through
    depends on the visitor's consent. A deletion passes, as one made with ``delete_cookie()``
    does (read with the response's ``Date``, from which a browser counts an ``Expires``)."""
    rule = consent._registry.lookup(name)
    if rule is None:
        discovery.notice(request, name, "response", cookie)
        if get_config()["UNDECLARED_COOKIES"] == "allow" or is_deletion(
            cookie, response.get("Date")
        ):
            return False
        _warn_undeclared(name)
        return None
    if rule.required:
        return False
    if consent._allows(rule.slug):
        return True
    return False if is_deletion(cookie, response.get("Date")) else None


_CONTROL = "".join(map(chr, range(32))) + "\x7f"


def _is_set_cookie(key: str) -> bool:
    """Whether a header name is ``Set-Cookie`` to some server or browser: case, whitespace
    anywhere, control characters around it and anything after a colon (a server writes the
    name, then ": ") do not matter."""
    return "".join(key.partition(":")[0].split()).strip(_CONTROL).lower() == "set-cookie"


#: What a browser trims around a cookie's name (RFC 6265's WSP); Python's strip() trims more
#: (0xA0, 0x85, ...), which a browser keeps.
_WSP = " \t"


def _expire(response: HttpResponseBase, name: str, rule: Rule) -> bool:
    """Expire the cookie ``name`` with its declared path and domain, as
    ``response.delete_cookie()`` would; ``False`` for a name no ``Set-Cookie`` can carry."""
    key = (name, rule.path, rule.domain)
    expiry = _expiries.get(key)
    if expiry is None:
        template = HttpResponse()
        try:
            template.delete_cookie(name, path=rule.path, domain=rule.domain or None)
        except CookieError:
            return False
        expiry = _expiries.remember(key, template.cookies[name])
    # A copy of the morsel delete_cookie() made: the same header, at half the cost.
    response.cookies[name] = expiry.copy()
    return True


#: The morsel ``delete_cookie()`` makes for each (name, path, domain) expired so far; names
#: come from visitors' browsers.
_expiries: Memo[tuple[str, str, str], Morsel[str]] = Memo(limit=1024)
on_reset(_expiries.clear)


#: Undeclared names already warned about: a site that makes up names (an id in each) cannot
#: grow it without bound.
_warned: Memo[str, bool] = Memo(limit=1024)
on_reset(_warned.clear)


def _warn_undeclared(name: str) -> None:
    if name not in _warned:
        _warned.remember(name, True)
        logger.warning(
            "cookieconsent blocked the undeclared cookie %r: declare it in a category, or set "
            "COOKIECONSENT['UNDECLARED_COOKIES'] = 'allow'.",
            name,
        )
