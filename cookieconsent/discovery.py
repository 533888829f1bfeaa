"""Undeclared cookies from real traffic: remembered once per name per process, written after
the response has gone out.

The middleware calls ``notice()`` for every cookie it meets that no category declares. A name
this process has already reported costs one set lookup; a new one is queued on the request,
and ``schedule()`` hands the queue to the response's closers, which the WSGI and ASGI servers
run once the body has been sent. The write is one UPSERT per name, and the table holds at most
``UNDECLARED_COOKIES_LIMIT`` names: beyond that, nothing new is recorded and one warning is
logged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from cookieconsent.conf import get_config, on_reset
from cookieconsent.models import Technology, UndeclaredCookie

logger = logging.getLogger("cookieconsent")

#: Names this process has reported; bounded, so invented names cannot grow it without end.
_seen: set[str] = set()
_lock = threading.Lock()
_full_logged = False
#: The request attribute that queues what ``notice()`` met, for ``schedule()``.
PENDING = "_cookieconsent_undeclared"


def _process_limit() -> int:
    # A process remembers a few more names than the table holds: those others reported first.
    return 2 * int(get_config()["UNDECLARED_COOKIES_LIMIT"])


def notice(request: HttpRequest, name: str, source: str) -> None:
    """Note an undeclared cookie the middleware met while handling ``request``."""
    if name in _seen:
        return
    with _lock:
        if name in _seen or len(_seen) >= _process_limit():
            return
        _seen.add(name)
    pending: list[tuple[str, str]] | None = getattr(request, PENDING, None)
    if pending is None:
        pending = []
        setattr(request, PENDING, pending)
    pending.append((name, source))


def schedule(request: HttpRequest, response: HttpResponseBase) -> None:
    """Record what ``notice()`` queued once the server closes ``response``."""
    pending: list[tuple[str, str]] | None = getattr(request, PENDING, None)
    if not pending:
        return
    path = request.path[:500]
    setattr(request, PENDING, [])

    def write() -> None:
        try:
            for name, source in pending:
                record(name, source=source, path=path)
        except Exception:  # a failed write must never break the response it follows
            logger.exception("cookieconsent could not record undeclared cookies")

    response._resource_closers.append(write)  # type: ignore[attr-defined]


def record(
    name: str,
    *,
    source: str,
    path: str = "",
    technology: str = Technology.HTTP_COOKIE,
) -> bool:
    """Insert or bump one undeclared name (one statement); ``False`` when the table is full."""
    global _full_logged
    table = UndeclaredCookie._meta.db_table
    limit = int(get_config()["UNDECLARED_COOKIES_LIMIT"])
    now = timezone.now()
    if connection.vendor in ("postgresql", "sqlite"):
        # Inserted only below the limit; an existing name is bumped whatever the count.
        sql = (
            f"INSERT INTO {table} (name, technology, source, first_seen, last_seen, sightings, "
            "example_path, dismissed) "
            "SELECT %s, %s, %s, %s, %s, 1, %s, %s "
            f"WHERE (SELECT COUNT(*) FROM {table}) < %s "
            f"OR EXISTS (SELECT 1 FROM {table} WHERE name = %s AND technology = %s) "
            "ON CONFLICT (name, technology) DO UPDATE SET "
            f"last_seen = EXCLUDED.last_seen, sightings = {table}.sightings + 1"
        )
        stamp = connection.ops.adapt_datetimefield_value(now)
        params: list[Any] = [name, technology, source, stamp, stamp, path[:500], False]
        params += [limit, name, technology]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            written = bool(cursor.rowcount > 0)
    else:  # pragma: no cover - MySQL and others: the portable two-step
        written = _record_portable(name, source, path, technology, limit, now)
    if not written and not _full_logged:
        _full_logged = True
        logger.warning(
            "cookieconsent stopped recording undeclared cookies: %d names are waiting in the "
            "admin (COOKIECONSENT['UNDECLARED_COOKIES_LIMIT']). Declare or delete some.",
            limit,
        )
    return written


def _record_portable(  # pragma: no cover
    name: str, source: str, path: str, technology: str, limit: int, now: object
) -> bool:
    from django.db.models import F

    rows = UndeclaredCookie.objects.filter(name=name, technology=technology)
    if rows.update(last_seen=now, sightings=F("sightings") + 1):
        return True
    if UndeclaredCookie.objects.count() >= limit:
        return False
    with transaction.atomic():
        UndeclaredCookie.objects.get_or_create(
            name=name,
            technology=technology,
            defaults={"source": source, "example_path": path[:500]},
        )
    return True


def record_many(names: Iterable[tuple[str, str]], *, source: str, path: str = "") -> int:
    """Record ``(name, technology)`` pairs, e.g. a scan's findings; how many were written."""
    return sum(record(name, source=source, path=path, technology=tech) for name, tech in names)


@on_reset
def reset() -> None:
    """Forget what this process has reported (``conf.reset_caches()`` calls it)."""
    global _full_logged
    with _lock:
        _seen.clear()
    _full_logged = False
