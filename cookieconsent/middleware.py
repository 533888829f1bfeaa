"""``CookieConsentMiddleware``: the visitor's choice, enforced on every response."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Container
from http.cookies import CookieError, Morsel, SimpleCookie
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control
from django.utils.http import parse_http_date

from cookieconsent import discovery
from cookieconsent.conf import get_config, on_reset
from cookieconsent.engine.consent import Consent, signal_vary_headers
from cookieconsent.engine.regions import vary_headers
from cookieconsent.engine.registry import Rule, aget_registry

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
        registry = consent.registry
        # Whether this response now depends on the visitor's cookies: then no cache may share
        # it. Dropping a cookie does not count: a response without it suits every visitor.
        personal = consent.accessed
        exact, lookup = registry.exact, registry.lookup  # most names are declared exactly
        allowed: frozenset[str] | None = None  # asked for once, when a cookie needs it
        cookies = response.cookies
        held = request.COOKIES
        expired = False
        if cookies:
            for name in list(cookies):
                rule = exact.get(name) or lookup(name)
                if rule is None:
                    discovery.notice(request, name, "response")
                    if get_config()["UNDECLARED_COOKIES"] == "allow" or is_deletion(cookies[name]):
                        continue
                    _warn_undeclared(name)
                    del cookies[name]
                elif rule.required:
                    continue
                elif rule.slug in (allowed or (allowed := consent._allowed_now())):
                    personal = True
                elif not is_deletion(cookies[name]):
                    # Dropped; and if the browser holds it already, expired in its place.
                    if name in held and _expire(cookies, name, rule):
                        expired = True
                    else:
                        del cookies[name]
        # A Set-Cookie written as a raw header instead of through set_cookie() is judged too,
        # under whatever spelling of its name a server would still send as one.
        headers = response.headers
        # The headers by lower-cased name (ResponseHeaders keeps them so): most have no "k"
        # at all, a cheap way past them.
        store: dict[str, tuple[str, str]] = headers._store
        for key in [k for k in store if "k" in k and _is_set_cookie(k)]:
            verdict = _raw_verdict(key, store[key][1], consent, request)
            if verdict is None:
                del headers[key]
            elif verdict:
                personal = True
        for name in held:
            if name in cookies:
                continue
            rule = exact.get(name) or lookup(name)
            if rule is None:
                discovery.notice(request, name, "request")
                continue
            if rule.required or rule.slug in (allowed or (allowed := consent._allowed_now())):
                continue
            expired = _expire(cookies, name, rule) or expired
        if expired:
            # This Set-Cookie exists only because of this visitor's cookies: never share it.
            if "cache-control" in store:
                patch_cache_control(response, private=True)
            else:
                store["cache-control"] = ("Cache-Control", "private")
            personal = True
        if personal or consent.region_read or consent.signal_read:
            _vary(store, personal, consent.region_read, consent.signal_read)
        if request.__dict__.get(discovery.PENDING):
            # Undeclared cookies met for the first time in this process: written once the
            # response is sent.
            discovery.schedule(request, response)
        return response


#: Vary values already merged: (the response's Vary or None, whether it adds the cookie,
#: the region, the browser signals) → the new value. A site sends a handful of distinct ones.
_merged_vary: dict[tuple[str | None, bool, bool, bool], str] = {}


def _vary(store: dict[str, tuple[str, str]], cookie: bool, region: bool, signal: bool) -> None:
    """Add ``Cookie`` (the response depends on the visitor's cookies), the region headers
    (it depends on where they are) and the browser signals' headers (it depends on them) to
    the response's ``Vary`` (in ``ResponseHeaders``' own dict), as ``patch_vary_headers()``
    would."""
    current = store.get("vary")
    vary = current[1] if current is not None else None
    key = (vary, cookie, region, signal)
    merged = _merged_vary.get(key)
    if merged is None:
        names = (
            (("Cookie",) if cookie else ())
            + (vary_headers() if region else ())
            + (signal_vary_headers() if signal else ())
        )
        if vary is None:
            merged = ", ".join(names)
        else:
            present = {v.strip().lower() for v in vary.split(",")}
            missing = [name for name in names if name.lower() not in present]
            merged = ", ".join([vary, *missing]) if missing and "*" not in present else vary
        if len(_merged_vary) >= 256:
            _merged_vary.clear()  # a view may vary on anything: keep it bounded
        _merged_vary[key] = merged
    if merged and merged != vary:
        store["vary"] = ("Vary", merged)


@on_reset
def _forget_vary() -> None:
    _merged_vary.clear()


def _raw_verdict(key: str, value: str, consent: Consent, request: HttpRequest) -> bool | None:
    """For a raw ``Set-Cookie`` header: ``None`` to drop it, else whether letting it through
    depends on the visitor's consent."""
    if ":" in key:
        # The server writes "Set-Cookie:x: v": the browser's cookie starts in the name.
        return None
    name, eq, _ = value.partition(";")[0].partition("=")
    name = name.strip()
    if not (eq and name):
        # Browsers store "=v" or "v" as a cookie without a name, sent back as "v": it could
        # pose as any cookie.
        return None
    rule = consent.registry.lookup(name)
    if rule is None:
        discovery.notice(request, name, "response")
        if get_config()["UNDECLARED_COOKIES"] == "allow":
            return False
        _warn_undeclared(name)
        return None
    if rule.required:
        return False
    return True if consent._allows(rule.slug) else None


_CONTROL = "".join(map(chr, range(32))) + "\x7f"


def _is_set_cookie(key: str) -> bool:
    """Whether a header name is ``Set-Cookie`` to some server or browser: case, whitespace
    anywhere, control characters around it and anything after a colon (a server writes the
    name, then ": ") do not matter."""
    return "".join(key.partition(":")[0].split()).strip(_CONTROL).lower() == "set-cookie"


_EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"
_INTEGER = re.compile(r"-?[0-9]+")
#: An Expires date counts as past only this far back: a browser's clock may be behind ours.
_PAST_MARGIN = 24 * 60 * 60


def is_deletion(morsel: Morsel[str]) -> bool:
    """Whether a ``Set-Cookie`` removes the cookie in a browser, whatever its value: a
    ``Max-Age`` of zero or less, or else an ``Expires`` in the past. (A browser obeys
    ``Max-Age`` over ``Expires``, and ignores a ``Max-Age`` that is not an integer.)"""
    max_age: object = morsel["max-age"]
    if max_age == "" and morsel["expires"] == "":
        return False  # the common case: neither is set
    if isinstance(max_age, int):  # what Morsel writes as an integer, bool included
        return max_age <= 0
    if isinstance(max_age, str) and _INTEGER.fullmatch(max_age.strip()):
        return int(max_age) <= 0
    expires: object = morsel["expires"]
    if expires == _EPOCH:
        return True
    if isinstance(expires, int):  # Morsel writes it as that many seconds from now
        return expires < -_PAST_MARGIN
    if not isinstance(expires, str) or not expires:
        return False
    try:
        return parse_http_date(expires) < time.time() - _PAST_MARGIN
    except ValueError:
        return False


class _Expiry(Morsel[str]):
    """A ``Set-Cookie`` that expires a cookie. It is the same line for every response, so it is
    written once (``OutputString()`` on a morsel is most of what sending it costs); a copy
    that something changed after the middleware, or one unpickled (``Morsel`` pickles its
    name and value only), is written afresh."""

    _template: _Expiry | None = None
    _line: str

    def OutputString(self, attrs: Container[str] | None = None) -> str:
        template = self._template
        if (
            template is not None
            and attrs is None
            and self.coded_value == template.coded_value
            and self.key == template.key
            and dict.__eq__(self, template)
        ):
            return template._line
        return super().OutputString(attrs)


_expiry_morsels: dict[tuple[str, str, str], _Expiry] = {}
_EXPIRY_LIMIT = 1024


def _expire(cookies: SimpleCookie, name: str, rule: Rule) -> bool:
    """Add the ``Set-Cookie`` that ``response.delete_cookie(name, rule.path, rule.domain)``
    would (the same header, byte for byte), at a fraction of its cost. ``False`` for a name no
    Set-Cookie can carry."""
    key = (name, rule.path, rule.domain)
    template = _expiry_morsels.get(key)
    if template is None:
        template = _Expiry()
        try:
            template.set(name, "", '""')
        except CookieError:
            return False
        template["expires"] = _EPOCH
        template["max-age"] = 0
        template["path"] = rule.path
        if rule.domain:
            template["domain"] = rule.domain
        if name.startswith(("__Secure-", "__Host-")):
            template["secure"] = True
        template._template = template
        template._line = Morsel.OutputString(template)
        if len(_expiry_morsels) >= _EXPIRY_LIMIT:
            _expiry_morsels.clear()  # names come from visitors: keep the memo bounded
        _expiry_morsels[key] = template
    # Morsel.copy() without its __init__ (which fills in every attribute only to overwrite
    # them), stored past SimpleCookie.__setitem__ (which would build and check it again).
    morsel = _Expiry.__new__(_Expiry)
    dict.update(morsel, template)
    morsel.__dict__.update(template.__dict__)
    dict.__setitem__(cookies, name, morsel)
    return True


#: Undeclared names already warned about; cleared when full, so that a site that makes up
#: names (an id in each) cannot grow it without bound.
_warned: set[str] = set()
_WARNED_LIMIT = 1024


def _warn_undeclared(name: str) -> None:
    if name not in _warned:
        if len(_warned) >= _WARNED_LIMIT:
            _warned.clear()
        _warned.add(name)
        logger.warning(
            "cookieconsent blocked the undeclared cookie %r: declare it in a category, or set "
            "COOKIECONSENT['UNDECLARED_COOKIES'] = 'allow'.",
            name,
        )
