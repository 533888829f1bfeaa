"""The retention purge: consent records older than ``RECORD_RETENTION`` are deleted, day by
day, after their days are counted (``stats.roll_up()``) and the counts checked; the counts
stay.

Safe while the site takes consent POSTs: new records are newer than any cutoff, and each day
is its own short transaction, so no long lock is held.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Sum
from django.utils import timezone

from cookieconsent.conf import get_config
from cookieconsent.console import stats
from cookieconsent.models import ConsentRecord, DailyDecisions


class RetentionNotSet(Exception):
    """``RECORD_RETENTION`` is ``None``: every record is kept."""


def retention() -> dt.timedelta | None:
    """The configured retention as a ``timedelta`` (``None``: keep everything)."""
    value = get_config()["RECORD_RETENTION"]
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        return value
    return dt.timedelta(seconds=value)


@dataclass
class Report:
    cutoff: dt.datetime
    dry_run: bool
    deleted: int = 0
    kept: int = 0
    days: list[dt.date] = field(default_factory=list)
    recounted: list[dt.date] = field(default_factory=list)
    counted_days: int = 0
    counted_decisions: int = 0


def purge(
    *,
    dry_run: bool = False,
    now: dt.datetime | None = None,
    on_day: Callable[[dt.date, int], None] | None = None,
) -> Report:
    """Delete (or, with ``dry_run``, count) the records older than the retention."""
    keep = retention()
    if keep is None:
        raise RetentionNotSet
    now = now or timezone.now()
    # Never into a day that is not over: it is counted only then (a retention under a day is
    # refused by the check cookieconsent.E042, but settings are not always checked).
    cutoff = min(now - keep, stats.day_bounds(stats.local_day(now - stats.SETTLE))[0])
    report = Report(cutoff=cutoff, dry_run=dry_run)
    if not dry_run:
        # Every day that is over is counted before any record of it goes.
        stats.roll_up(now)
    old = ConsentRecord.objects.filter(created_at__lt=cutoff)
    report.days = [
        timezone.localtime(d).date() if timezone.is_aware(d) else d.date()
        for d in old.datetimes("created_at", "day")
    ]
    for day in report.days:
        start, end = stats.day_bounds(day)
        in_day = ConsentRecord.objects.filter(created_at__gte=start, created_at__lt=end)
        if stats.counted(day) < in_day.count():
            # Records no count has seen (imported, or older than the counts): count them now.
            report.recounted.append(day)
            if not dry_run:
                stats.recount_day(day)
        if dry_run:
            n = in_day.filter(created_at__lt=cutoff).count()
        else:
            n = ConsentRecord.objects.purge_older_than(min(end, cutoff))
        report.deleted += n
        if on_day is not None:
            on_day(day, n)
    report.kept = ConsentRecord.objects.filter(created_at__gte=cutoff).count()
    totals = DailyDecisions.objects.aggregate(n=Sum("decisions"))
    report.counted_decisions = int(totals["n"] or 0)
    report.counted_days = DailyDecisions.objects.values("day").distinct().count()
    return report
