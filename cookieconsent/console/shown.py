"""Banners shown: how many times the server rendered the banner for an undecided visitor, per
day, the denominator of the consent rate.

A page view must not write to the database, nor cost an undecided visitor's page more than a
point: each process counts in memory (a lock and an integer per day) and adds its counts to
``BannersShown`` in one statement per batch: once ``FLUSH_EVERY`` banners are counted, or on
the first banner ``FLUSH_AFTER`` seconds after the last flush, when the Statistics page is
opened, and when the process exits. A process that is killed loses at most one batch.

A batch is written once the transaction of the table's database commits (at once outside
one), on its own: a page whose transaction rolls back showed its banners all the same, so the
counts stay for the next batch, and a failed write cannot break the page's transaction.
Counts are data, not a cache: ``conf.reset_caches()`` leaves them alone.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Mapping

from django.db import connections, router, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from cookieconsent.console.stats import day_bounds, local_day
from cookieconsent.loop import on_event_loop
from cookieconsent.models import BannersShown

__all__ = [
    "FLUSH_AFTER",
    "FLUSH_EVERY",
    "ShownCounter",
    "add_to_table",
    "count",
    "counter",
    "flush",
]

logger = logging.getLogger("cookieconsent")

#: A batch: this many banners counted in one process.
FLUSH_EVERY = 200
#: Or this many seconds since the process last wrote its counts.
FLUSH_AFTER = 60.0


class ShownCounter:
    """Banners counted per day in this process, written in batches by ``flush()``."""

    def __init__(
        self,
        every: int = FLUSH_EVERY,
        after: float = FLUSH_AFTER,
        clock: Callable[[], float] = time.time,
        write: Callable[[Mapping[dt.date, int]], None] | None = None,
    ) -> None:
        self.every, self.after, self._clock = every, after, clock
        self._write = write or add_to_table
        self._lock = threading.Lock()
        self._counts: dict[dt.date, int] = {}
        self._pending = 0
        self._due = clock() + after
        # The site's day, and the second (on ``clock``, the wall clock) it ends: worked out
        # once a day, not per banner (localdate() converts time zones).
        self._day = dt.date.min
        self._day_ends = 0.0

    def count(self) -> None:
        """One banner shown now. Writes the batch when it is full or due (not inside an event
        loop, where the database may not be used: the next count elsewhere writes it)."""
        now = self._clock()
        if now >= self._day_ends:
            self._new_day()
        with self._lock:
            counts, day = self._counts, self._day
            counts[day] = counts.get(day, 0) + 1
            self._pending += 1
            full = self._pending >= self.every or now >= self._due
        if full and not on_event_loop():
            self.flush()

    def _new_day(self) -> None:
        today = local_day(timezone.now())
        self._day, self._day_ends = today, day_bounds(today)[1].timestamp()

    def pending(self) -> dict[dt.date, int]:
        """The counts not written yet."""
        with self._lock:
            return dict(self._counts)

    def flush(self) -> None:
        """Add this process's counts to the table, in one statement, and start a new batch.
        Inside a transaction the write waits for it to commit; counts that could not be
        written, or whose transaction rolled back first, are kept for the next flush."""
        with self._lock:
            self._pending = 0
            self._due = self._clock() + self.after
        using = router.db_for_write(BannersShown)
        try:
            transaction.on_commit(self._write_pending, using=using)
        except TransactionManagementError:  # autocommit off: Django cannot wait for the commit
            self._write_pending()

    def _write_pending(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, {}
        if not counts:
            return
        try:
            self._write(counts)
        except Exception:
            logger.warning("cookieconsent could not write the banners shown", exc_info=True)
            with self._lock:
                for day, n in counts.items():
                    self._counts[day] = self._counts.get(day, 0) + n

    def discard(self) -> None:
        """Forget the counts not written yet, and start a new batch (for tests: a batch
        counted in one must not fall due in the next)."""
        with self._lock:
            self._counts = {}
            self._pending = 0
            self._due = self._clock() + self.after


def add_to_table(counts: Mapping[dt.date, int]) -> None:
    """Add ``counts`` to ``BannersShown``: one ``INSERT … ON CONFLICT DO UPDATE`` (SQLite,
    PostgreSQL) or ``ON DUPLICATE KEY UPDATE`` (MySQL, MariaDB) for every day at once."""
    connection = connections[router.db_for_write(BannersShown)]
    table = connection.ops.quote_name(BannersShown._meta.db_table)
    day, shown = (connection.ops.quote_name(f) for f in ("day", "shown"))
    rows = sorted(counts.items())
    values = ", ".join(["(%s, %s)"] * len(rows))
    params: list[dt.date | int] = []
    for d, n in rows:
        params += [d, n]
    if connection.vendor == "mysql":
        upsert = f"ON DUPLICATE KEY UPDATE {shown} = {shown} + VALUES({shown})"
    else:
        upsert = f"ON CONFLICT ({day}) DO UPDATE SET {shown} = {table}.{shown} + excluded.{shown}"
    # One statement: atomic on its own, and a single write for the whole batch.
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({day}, {shown}) VALUES {values} {upsert}", params)


#: This process's counter.
counter = ShownCounter()
count = counter.count
flush = counter.flush
atexit.register(flush)
