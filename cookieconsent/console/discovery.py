"""Undeclared cookies from real traffic: remembered once per name per process.

The middleware calls ``notice()`` for every cookie it meets that no category declares. A name
this process has already reported costs one set lookup; a new one is queued on the request,
and the middleware calls ``write_pending()`` before it returns the response. The write is one
UPSERT per name, each in its own savepoint: a name costs one write per process, ever.

Names come from two kinds of source, bounded apart: what the site sets (its views' responses
and the operator's scans) and what browsers send, which any client can invent. Each kind may
hold ``UNDECLARED_COOKIES_LIMIT`` names in the table, so invented names never crowd out the
site's own. A process remembers only the names it wrote, at most twice that many of each
kind (emptied when full, as a ``caching.Memo``). When a kind's share of the table is full, a
name refused is not remembered, one warning is logged, and for ``FULL_FOR`` seconds no new
name of that kind is queued (a client's invented names then cost no query); then the next
is tried again, as staff may have made room meanwhile (at once in the process where they
deleted names). A name that is not a cookie name (or storage key), or is longer than the
table's column, is never written.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from http.cookies import Morsel
from typing import Any

from django.db import connections, router, transaction
from django.http import HttpRequest
from django.utils import timezone

from cookieconsent.conf import get_config, on_reset
from cookieconsent.models import Sighting, Technology, UndeclaredCookie
from cookieconsent.setcookie import is_deletion, lifetime

logger = logging.getLogger("cookieconsent")

#: The longest name the table stores; a longer one is not recorded (a cut name would be
#: declared under a name nobody uses).
MAX_NAME = int(UndeclaredCookie._meta.get_field("name").max_length or 200)
_PATH_LENGTH = int(UndeclaredCookie._meta.get_field("example_path").max_length or 500)
#: A cookie name is an HTTP token (RFC 6265 section 4.1.1, RFC 9110 section 5.6.2).
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: The two kinds of source, bounded apart: what the site sets, and what browsers send.
SITE, BROWSER = "site", "browser"
#: Names this process has reported (or is writing), by kind; each bounded, so invented names
#: cannot grow it without end, nor fill the site's share.
_seen: dict[str, set[str]] = {SITE: set(), BROWSER: set()}
_lock = threading.Lock()
#: How long, in seconds, a kind's share of the table is taken to be full once a name was
#: refused for it.
FULL_FOR = 60.0
#: Per kind, until when (on ``_clock``) its share of the table is taken to be full.
_full_until: dict[str, float] = {}
_clock = time.monotonic
#: The kinds warned about since this process last made room for them (or started).
_full_logged: set[str] = set()
#: The request attribute that queues what ``notice()`` met, for ``write_pending()``.
PENDING = "_cookieconsent_undeclared"


#: The longest lifetime the table stores, in seconds (some 68 years); a longer one is cut.
_MAX_AGE_LIMIT = 2**31 - 1


def max_age_of(set_cookie: Morsel[str] | str) -> int | None:
    """The lifetime a ``Set-Cookie`` gives its cookie, in seconds, as a browser reads it
    (``setcookie.lifetime()``: its ``Max-Age``, else its ``Expires`` counted from now, else 0,
    a session cookie), at most ``_MAX_AGE_LIMIT``. ``None`` for a deletion, as the middleware
    counts one. ``set_cookie`` is a morsel, or a raw header's value."""
    if is_deletion(set_cookie):
        return None
    line = set_cookie if isinstance(set_cookie, str) else set_cookie.OutputString()
    return min(lifetime(line), _MAX_AGE_LIMIT)


def _kind(source: str) -> str:
    return BROWSER if source == Sighting.REQUEST else SITE


def is_valid_name(name: object, technology: str = Technology.HTTP_COOKIE) -> bool:
    """Whether ``name`` may be recorded: a string of at most ``MAX_NAME`` characters that is a
    cookie name (an HTTP token), or for a storage key, has no control characters or markup."""
    if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME:
        return False
    if technology == Technology.HTTP_COOKIE:
        return _TOKEN.fullmatch(name) is not None
    return not any(ch in "<>" or unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in name)


def _clean_path(path: str) -> str:
    # A path may carry %00 and other control characters, which PostgreSQL refuses in text.
    return "".join(ch for ch in path if ch.isprintable())[:_PATH_LENGTH]


def _process_limit() -> int:
    # A process remembers a few more names than the table holds: those others reported first.
    return 2 * int(get_config()["UNDECLARED_COOKIES_LIMIT"])


def notice(
    request: HttpRequest, name: str, source: str, set_cookie: Morsel[str] | str | None = None
) -> None:
    """Note an undeclared cookie the middleware met while handling ``request``: ``source`` is
    ``"response"`` (a view set it, with ``set_cookie``: its morsel or its raw header's value)
    or ``"request"`` (the browser sent it)."""
    kind = _kind(source)
    seen = _seen[kind]
    if name in seen:
        return
    if kind == BROWSER and name in _seen[SITE]:
        return  # reported as the site's own already, which says more
    if not is_valid_name(name):
        return
    with _lock:
        if name in seen or _is_full(kind):
            return
        if len(seen) >= _process_limit():
            seen.clear()  # those met again are reported once more: one write each
        seen.add(name)
    pending: list[tuple[str, str, int | None]] | None = getattr(request, PENDING, None)
    if pending is None:
        pending = []
        setattr(request, PENDING, pending)
    pending.append((name, source, None if set_cookie is None else max_age_of(set_cookie)))


def _forget(name: str, source: str) -> None:
    """Let ``name`` be reported again: it was not written."""
    with _lock:
        _seen[_kind(source)].discard(name)


def _is_full(kind: str) -> bool:
    return _clock() < _full_until.get(kind, 0.0)


def room_made(**kwargs: Any) -> None:
    """Names were deleted from the table (``post_delete``): try new ones again at once, and
    warn again when a share fills."""
    with _lock:
        _full_until.clear()
        _full_logged.clear()


def has_pending(request: HttpRequest) -> bool:
    """Whether ``notice()`` queued a name on ``request`` that ``write_pending()`` must write."""
    return bool(request.__dict__.get(PENDING))


def write_pending(request: HttpRequest) -> None:
    """Write what ``notice()`` queued on ``request``. A failed write is logged, never raised:
    it must not break the response it follows, and the name is tried again when next met."""
    pending: list[tuple[str, str, int | None]] = request.__dict__.pop(PENDING, None) or []
    path = _clean_path(request.path)
    for name, source, max_age in pending:
        if _is_full(_kind(source)):  # found full by a name before it: not tried now
            _forget(name, source)
            continue
        try:
            # A savepoint each: one failed name must not abort the others' transaction.
            with transaction.atomic(using=router.db_for_write(UndeclaredCookie)):
                written = record(name, source=source, path=path, max_age=max_age)
        except Exception:
            _forget(name, source)
            logger.exception(
                "cookieconsent could not record undeclared cookies: %r is tried again "
                "when next met",
                name,
            )
        else:
            if not written:
                _forget(name, source)


def record(
    name: str,
    *,
    source: str,
    path: str = "",
    technology: str = Technology.HTTP_COOKIE,
    max_age: int | None = None,
) -> bool:
    """Insert or bump one undeclared name (one statement); ``False`` when the name is not
    valid or its kind's share of the table is full. ``max_age`` is the lifetime the site
    gave it, in seconds (0: a session cookie; ``None``: not seen), kept until another is
    seen."""
    if not is_valid_name(name, technology) or source not in Sighting.values:
        return False
    kind = _kind(source)
    table = UndeclaredCookie._meta.db_table
    limit = int(get_config()["UNDECLARED_COOKIES_LIMIT"])
    now = timezone.now()
    path = _clean_path(path)
    if max_age is not None:
        max_age = min(max(int(max_age), 0), _MAX_AGE_LIMIT)
    connection = connections[router.db_for_write(UndeclaredCookie)]
    if connection.vendor in ("postgresql", "sqlite"):
        # Inserted only below the limit of its kind; an existing name is bumped whatever the
        # count. A name browsers sent becomes the site's own once the site sets it (or a
        # scan finds it), with that page as its example.
        same_kind = "=" if kind == BROWSER else "<>"
        upgrade = f"{table}.source = %s AND EXCLUDED.source <> %s"
        sql = (
            f"INSERT INTO {table} (name, technology, source, first_seen, last_seen, sightings, "
            "example_path, max_age, dismissed) "
            "SELECT %s, %s, %s, %s, %s, 1, %s, %s, %s "
            f"WHERE (SELECT COUNT(*) FROM {table} WHERE source {same_kind} %s) < %s "
            f"OR EXISTS (SELECT 1 FROM {table} WHERE name = %s AND technology = %s) "
            "ON CONFLICT (name, technology) DO UPDATE SET "
            f"last_seen = EXCLUDED.last_seen, sightings = {table}.sightings + 1, "
            f"max_age = COALESCE(EXCLUDED.max_age, {table}.max_age), "
            f"source = CASE WHEN {upgrade} THEN EXCLUDED.source ELSE {table}.source END, "
            f"example_path = CASE WHEN {upgrade} THEN EXCLUDED.example_path "
            f"ELSE {table}.example_path END"
        )
        stamp = connection.ops.adapt_datetimefield_value(now)
        browser = Sighting.REQUEST.value
        params: list[Any] = [name, technology, source, stamp, stamp, path, max_age, False]
        params += [browser, limit, name, technology, browser, browser, browser, browser]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            written = bool(cursor.rowcount > 0)
    else:  # pragma: no cover - MySQL and others: the portable two-step
        written = _record_portable(name, source, path, technology, limit, now, max_age)
    if not written and _found_full(kind):
        if kind == BROWSER:
            logger.warning(
                "cookieconsent stopped recording undeclared cookies that browsers send: %d "
                "such names are waiting in the admin (COOKIECONSENT['UNDECLARED_COOKIES_LIMIT'])."
                " Cookies the site sets are still recorded.",
                limit,
            )
        else:
            logger.warning(
                "cookieconsent stopped recording undeclared cookies: %d names the site set are "
                "waiting in the admin (COOKIECONSENT['UNDECLARED_COOKIES_LIMIT']). Declare or "
                "delete some.",
                limit,
            )
    return written


def _found_full(kind: str) -> bool:
    """Take ``kind``'s share of the table as full for ``FULL_FOR`` seconds; whether to warn
    (not yet since this process last made room for it)."""
    with _lock:
        _full_until[kind] = _clock() + FULL_FOR
        if kind in _full_logged:
            return False
        _full_logged.add(kind)
        return True


def _record_portable(  # pragma: no cover
    name: str,
    source: str,
    path: str,
    technology: str,
    limit: int,
    now: datetime,
    max_age: int | None,
) -> bool:
    from django.db.models import F, Q

    rows = UndeclaredCookie.objects.filter(name=name, technology=technology)
    browser = Sighting.REQUEST
    if source != browser:
        rows.filter(source=browser).update(source=source, example_path=path)
    if max_age is not None:
        rows.update(max_age=max_age)
    if rows.update(last_seen=now, sightings=F("sightings") + 1):
        return True
    same_kind = Q(source=browser) if source == browser else ~Q(source=browser)
    if UndeclaredCookie.objects.filter(same_kind).count() >= limit:
        return False
    with transaction.atomic(using=router.db_for_write(UndeclaredCookie)):
        UndeclaredCookie.objects.get_or_create(
            name=name,
            technology=technology,
            defaults={
                "source": source,
                "example_path": path,
                "max_age": max_age,
                "first_seen": now,
                "last_seen": now,
            },
        )
    return True


def record_many(
    names: Iterable[tuple[str, str] | tuple[str, str, int | None]],
    *,
    source: str,
    path: str = "",
) -> int:
    """Record ``(name, technology)`` pairs, or ``(name, technology, max_age)``, e.g. a scan's
    findings; how many were written. A name that cannot be written is logged and skipped,
    the others still are."""
    written = 0
    for name, technology, *seen in names:
        try:
            with transaction.atomic(using=router.db_for_write(UndeclaredCookie)):
                written += record(
                    name,
                    source=source,
                    path=path,
                    technology=technology,
                    max_age=seen[0] if seen else None,
                )
        except Exception:
            logger.exception("cookieconsent could not record undeclared cookies: %r", name)
    return written


@on_reset
def reset() -> None:
    """Forget what this process has reported (``conf.reset_caches()`` calls it)."""
    with _lock:
        for seen in _seen.values():
            seen.clear()
        _full_until.clear()
        _full_logged.clear()
