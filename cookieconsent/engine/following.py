"""Consent that follows the signed-in user (``CONSENT_FOLLOWS_USER``).

A signed-in user's decision is the latest ``ConsentRecord`` naming them (``user_pk``): the
records are the proof, so they are also the one place it is kept. It is read once and kept in
Django's default cache, keyed by the user's primary key, until they decide again
(``forget()``) or ``CACHE_TIMEOUT`` passes. Beside it the cache holds the user's generation,
which ``forget()`` raises: what a request read from the database before a ``forget()`` and
cached after it is kept under the generation before, and no request takes it. Which user a
request belongs to comes from the session (Django's ``SESSION_KEY``), so that neither the
user's row nor anything else is read.

What a browser does with the user's decision (adopt it, or keep its own newer one) is the
consent's business: ``Consent._judged()``.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.db import router, transaction
from django.http import HttpRequest

from cookieconsent.conf import get_config
from cookieconsent.engine.consent import Decision
from cookieconsent.loop import on_event_loop
from cookieconsent.models import ConsentRecord
from cookieconsent.models.records import slug_list

logger = logging.getLogger("cookieconsent")

#: Seconds a process trusts the cached decision of a user: the bound on how late a decision
#: made through another process reaches a browser, where the cache is not shared (locmem).
CACHE_TIMEOUT = 300
#: What the cache holds for a user who has never decided while signed in.
_NONE: tuple[()] = ()
_FIELDS = ("granted", "policy_version", "created_at", "action", "consent_id")


def is_enabled() -> bool:
    return bool(get_config()["CONSENT_FOLLOWS_USER"])


def _keys(user_pk: str) -> tuple[str, str]:
    """The cache keys of the user's decision and of its generation."""
    # Hashed: a primary key may hold characters a cache backend refuses in a key.
    key = "cookieconsent:followed:" + hashlib.sha256(user_pk.encode()).hexdigest()[:32]
    return key, key + ":generation"


def _decision(row: tuple[Any, ...] | None) -> Decision | None:
    """The decision a user's latest record holds; none if its categories were changed below
    the ORM into something else than lists of slugs (``cookieconsent_verify`` names it)."""
    if row is None:
        return None
    granted, version, created_at, action, consent_id = row
    if slug_list(granted) is None:
        return None
    return Decision(
        frozenset(granted), version, int(created_at.timestamp()), action, str(consent_id)
    )


def _latest_row(user_pk: str) -> Any:
    # The partial index cookieconsent_record_user (migration 0003) answers this.
    return (
        ConsentRecord.objects.filter(user_pk=user_pk)
        .exclude(user_pk="")
        .order_by("-created_at", "-id")
        .values_list(*_FIELDS)
    )


# The cache only saves a query: when it fails (a Redis that is down), the database answers and
# the failure is logged, as Django's cached_db sessions do, never a server error.


def _cache_failed(exc: Exception) -> None:
    logger.warning("cookieconsent could not use the cache for a user's decision: %s", exc)


def _hit(found: dict[str, Any], key: str, generation_key: str) -> tuple[bool, Any, int]:
    """Whether ``found`` (the cache's answer) holds the decision of the user's current
    generation; that decision as cached; the generation."""
    generation = found.get(generation_key, 0)
    entry = found.get(key)
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == generation:
        return True, entry[1], generation
    return False, None, generation


def _cached(value: Any) -> Decision | None:
    return Decision(*value) if value else None


def _entry(generation: int, decision: Decision | None) -> tuple[int, tuple[Any, ...]]:
    return generation, tuple(decision) if decision else _NONE


def latest(user_pk: str) -> Decision | None:
    """The user's latest decision: from the cache, else one indexed query (then cached)."""
    key, generation_key = _keys(user_pk)
    try:
        hit, value, generation = _hit(cache.get_many([key, generation_key]), key, generation_key)
    except Exception as exc:
        _cache_failed(exc)
        return _decision(_latest_row(user_pk).first())
    if hit:
        return _cached(value)
    decision = _decision(_latest_row(user_pk).first())
    try:
        cache.set(key, _entry(generation, decision), CACHE_TIMEOUT)
    except Exception as exc:
        _cache_failed(exc)
    return decision


async def alatest(user_pk: str) -> Decision | None:
    """``latest()`` for the async path."""
    key, generation_key = _keys(user_pk)
    try:
        found = await cache.aget_many([key, generation_key])
        hit, value, generation = _hit(found, key, generation_key)
    except Exception as exc:
        _cache_failed(exc)
        return _decision(await _latest_row(user_pk).afirst())
    if hit:
        return _cached(value)
    decision = _decision(await _latest_row(user_pk).afirst())
    try:
        await cache.aset(key, _entry(generation, decision), CACHE_TIMEOUT)
    except Exception as exc:
        _cache_failed(exc)
    return decision


def _raise_generation(generation_key: str) -> None:
    """A new generation: a random number, never one the key held before it expired or was
    evicted (counting up from 1 again would bring back an entry cached under 2). It outlives
    every entry cached under the one before (``CACHE_TIMEOUT``)."""
    try:
        cache.set(generation_key, secrets.randbits(62) + 1, 2 * CACHE_TIMEOUT)
    except Exception as exc:
        _cache_failed(exc)


def forget(user_pk: str) -> None:
    """The user decided again: raise their generation, so that what the cache holds is not
    taken, now (a rollback then costs one query more, nothing worse) and once the record is
    committed (so that no request that read the database in between, and cached it after,
    has it taken)."""
    if not user_pk or not is_enabled():
        return
    _, generation_key = _keys(user_pk)
    _raise_generation(generation_key)
    transaction.on_commit(
        lambda: _raise_generation(generation_key), using=router.db_for_write(ConsentRecord)
    )


def _signed_in(session: Any) -> str:
    return _user(session.get(SESSION_KEY)) if session is not None else ""


def _user(user_pk: Any) -> str:
    return str(user_pk) if user_pk else ""


def has_session(request: HttpRequest) -> bool:
    """Whether the request carries a session cookie: only then can its user be signed in.
    A visitor without one costs nothing. One holding a NUL (Django's cookie parser decodes a
    quoted ``"\\000"``) is none: no session store's key has one, and PostgreSQL refuses the
    query that would look it up."""
    value = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    return value is not None and "\x00" not in value


class Loader:
    """The sync path's: the signed-in user's latest decision, asked for when the consent is
    first judged (by then ``SessionMiddleware``, below ours, has given the request its
    session). Asked on an event loop (an async view, which Django runs on a loop of its own
    under WSGI), where the session and the decision cannot be read: none, and ``unsure`` asks
    the middleware to judge the response again once the view has run."""

    __slots__ = ("request", "unsure")

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.unsure = False

    def __call__(self) -> Decision | None:
        if on_event_loop():
            self.unsure = True
            return None
        user_pk = _signed_in(getattr(self.request, "session", None))
        return latest(user_pk) if user_pk else None


async def aload(request: HttpRequest) -> tuple[str, Decision | None]:
    """The signed-in user (``""`` if none) and their latest decision, before the view runs
    (an async view may ask the consent where no query can be made): the session is read from
    its own store, as ``SessionMiddleware`` will read it."""
    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore(request.COOKIES[settings.SESSION_COOKIE_NAME])
    user_pk = _user(await session.aget(SESSION_KEY))
    return user_pk, (await alatest(user_pk) if user_pk else None)


def _changed(request: HttpRequest, session: Any) -> bool:
    """Whether the view may have changed whom ``session`` names: its key is not the one the
    browser sent. Signing in and out change it (``login()`` cycles the key or flushes the
    session, ``logout()`` flushes it), and a session whose key changed is in memory. One
    whose key is the same names whom it did, and may not be in memory: it is not read."""
    return bool(session.session_key != request.COOKIES.get(settings.SESSION_COOKIE_NAME))


class DuringView:
    """The decision the async path follows when the page asks during the view: what the sync
    path's ``Loader`` would answer then, from the session as the view has left it so far.
    ``aload()``'s decision while the session still names its user (or the view has not changed
    it); none once the view signed them out, or without ``SessionMiddleware``; for a user the
    view signed in, their latest decision where a query may be made (a sync view's thread).
    On the event loop, where it may not, none: ``unsure`` then asks the middleware to judge
    the response again once the view has run, with ``areload()``'s answer."""

    __slots__ = ("decision", "request", "unsure", "user_pk")

    def __init__(self, request: HttpRequest, user_pk: str, decision: Decision | None) -> None:
        self.request = request
        self.user_pk = user_pk
        self.decision = decision
        self.unsure = False

    def __call__(self) -> Decision | None:
        session = getattr(self.request, "session", None)
        if session is None:
            return None
        if not _changed(self.request, session):
            return self.decision
        now = _signed_in(session)  # its key changed, so in memory: no query
        if now == self.user_pk:
            return self.decision
        if not now:
            return None
        if not on_event_loop():
            return latest(now)
        self.unsure = True
        return None


async def areload(request: HttpRequest, user_pk: str, decision: Decision | None) -> Decision | None:
    """The decision to follow once the view has run, where nothing asked for it during the
    view (or it could not be answered there: ``DuringView.unsure``): ``decision``
    (``aload()``'s, for ``user_pk``) unless the view signed someone in or out, or ended the
    session. The sync path reads the session only then, and sees the same. A session the view
    did not change (``_changed()``) is not read again."""
    session = getattr(request, "session", None)
    if session is not None and not _changed(request, session):
        return decision
    now = _user(await session.aget(SESSION_KEY)) if session is not None else ""
    if now == user_pk:
        return decision
    return await alatest(now) if now else None
