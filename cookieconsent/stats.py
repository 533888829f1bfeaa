"""Daily counts of consent decisions, and the figures the Statistics page shows.

The counts are kept at write time: the consent endpoint writes the record and adds one to
its day's counts in the same transaction (one UPSERT each), so the Statistics page reads a few
hundred small rows instead of the records, and the counts outlive the records when
``cookieconsent_purge`` deletes them. Records that arrived another way (a bulk import, or
before this table existed) are counted by ``recount_day()``, which the purge runs for a day
whose counts fall short of its records before it deletes any of them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Model, Sum
from django.utils import timezone

from cookieconsent.models import Action, ConsentRecord, DailyCategoryChoices, DailyDecisions

_DECISION_KEYS = ("day", "action", "policy_version", "region")
_CATEGORY_KEYS = ("day", "category", "policy_version", "region")


def region_of(record: ConsentRecord) -> str:
    """The record's region, once records have one (empty until then)."""
    return str(getattr(record, "region", "") or "")


def count_record(record: ConsentRecord) -> None:
    """Add one decision to the counts of its day: call it in the transaction that wrote it."""
    day = timezone.localdate(record.created_at)
    key = {"day": day, "policy_version": record.policy_version, "region": region_of(record)}
    _add(DailyDecisions, _DECISION_KEYS, [{**key, "action": record.action, "decisions": 1}])
    rows = [{**key, "category": slug, "granted": 1, "refused": 0} for slug in record.granted]
    rows += [{**key, "category": slug, "granted": 0, "refused": 1} for slug in record.refused]
    if rows:
        _add(DailyCategoryChoices, _CATEGORY_KEYS, rows)


def _add(model: type[Model], keys: Sequence[str], rows: list[dict[str, Any]]) -> None:
    """Add each row's counters to the row with the same keys, creating it if need be."""
    counters = tuple(c for c in rows[0] if c not in keys)
    if connection.vendor in ("postgresql", "sqlite"):
        qn = connection.ops.quote_name
        table = qn(model._meta.db_table)
        columns = (*keys, *counters)
        one = "(" + ", ".join(["%s"] * len(columns)) + ")"
        sql = (
            f"INSERT INTO {table} ({', '.join(map(qn, columns))}) "
            f"VALUES {', '.join([one] * len(rows))} "
            f"ON CONFLICT ({', '.join(map(qn, keys))}) DO UPDATE SET "
            + ", ".join(f"{qn(c)} = {table}.{qn(c)} + EXCLUDED.{qn(c)}" for c in counters)
        )
        params: list[Any] = []
        for row in rows:
            params.append(connection.ops.adapt_datefield_value(row["day"]))
            params.extend(row[c] for c in columns[1:])
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        return
    for row in rows:  # pragma: no cover - MySQL and others
        lookup = {k: row[k] for k in keys}
        increments = {c: F(c) + row[c] for c in counters}
        with transaction.atomic():
            if not model._default_manager.filter(**lookup).update(**increments):
                model._default_manager.create(**row)


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of ``day`` and of the next, in the current time zone."""
    start = dt.datetime.combine(day, dt.time.min)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
    if settings.USE_TZ:
        start, end = timezone.make_aware(start), timezone.make_aware(end)
    return start, end


def counted(day: dt.date) -> int:
    """Decisions counted for ``day``."""
    total = DailyDecisions.objects.filter(day=day).aggregate(n=Sum("decisions"))["n"]
    return int(total or 0)


def recount_day(day: dt.date) -> None:
    """Count ``day`` again from its records (replacing its counts)."""
    start, end = day_bounds(day)
    records = ConsentRecord.objects.filter(created_at__gte=start, created_at__lt=end)
    decisions: Counter[tuple[str, int, str]] = Counter()
    categories: dict[tuple[str, int, str], list[int]] = defaultdict(lambda: [0, 0])
    for record in records.iterator(chunk_size=2000):
        region = region_of(record)
        decisions[record.action, record.policy_version, region] += 1
        for slug in record.granted:
            categories[slug, record.policy_version, region][0] += 1
        for slug in record.refused:
            categories[slug, record.policy_version, region][1] += 1
    with transaction.atomic():
        DailyDecisions.objects.filter(day=day).delete()
        DailyCategoryChoices.objects.filter(day=day).delete()
        DailyDecisions.objects.bulk_create(
            DailyDecisions(day=day, action=a, policy_version=v, region=r, decisions=n)
            for (a, v, r), n in decisions.items()
        )
        DailyCategoryChoices.objects.bulk_create(
            DailyCategoryChoices(
                day=day, category=c, policy_version=v, region=r, granted=g, refused=f
            )
            for (c, v, r), (g, f) in categories.items()
        )


# -- the Statistics page --------------------------------------------------------------------

#: The order and colours of the actions in charts and tables (colour-blind safe: Okabe-Ito).
ACTION_COLOURS = {
    Action.ACCEPT_ALL: "#009E73",
    Action.REJECT_ALL: "#D55E00",
    Action.CUSTOM: "#0072B2",
    Action.PREFERENCES: "#CC79A7",
    Action.GPC: "#E69F00",
}


@dataclass
class Period:
    start: dt.date
    end: dt.date  # inclusive
    by_week: bool = False

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def buckets(self) -> list[dt.date]:
        """The first day of each bar: every day, or every Monday-started week."""
        if not self.by_week:
            return [self.start + dt.timedelta(days=n) for n in range(self.days)]
        first = self.start - dt.timedelta(days=self.start.weekday())
        weeks = []
        while first <= self.end:
            weeks.append(first)
            first += dt.timedelta(days=7)
        return weeks

    def bucket(self, day: dt.date) -> dt.date:
        return day - dt.timedelta(days=day.weekday()) if self.by_week else day


@dataclass
class Statistics:
    period: Period
    actions: list[tuple[str, str]]  # (value, label) in chart order
    #: bucket → action → decisions
    series: dict[dt.date, Counter[str]] = field(default_factory=dict)
    totals: Counter[str] = field(default_factory=Counter)
    #: category slug → (granted, refused)
    categories: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: policy version → action → decisions
    versions: dict[int, Counter[str]] = field(default_factory=dict)
    #: region → action → decisions ({} until records have regions)
    regions: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.totals.values())


def statistics(period: Period, optional: Iterable[str] | None = None) -> Statistics:
    """Everything the Statistics page shows for ``period``: four grouped queries on the daily
    counts, each served by the index of their unique constraint (``day`` first)."""
    actions = [(a.value, str(a.label)) for a in ACTION_COLOURS]
    stats = Statistics(period, actions, series={b: Counter() for b in period.buckets()})
    in_period = {"day__gte": period.start, "day__lte": period.end}
    rows = DailyDecisions.objects.filter(**in_period)
    for day, action, n in (
        rows.values("day", "action").annotate(n=Sum("decisions")).values_list("day", "action", "n")
    ):
        stats.series[period.bucket(day)][action] += n
        stats.totals[action] += n
    known = {a for a, _ in actions}
    stats.actions += [(a, a) for a in sorted(stats.totals) if a not in known]
    for version, action, n in (
        rows.values("policy_version", "action")
        .annotate(n=Sum("decisions"))
        .values_list("policy_version", "action", "n")
        .order_by("policy_version")
    ):
        stats.versions.setdefault(version, Counter())[action] += n
    for region, action, n in (
        rows.exclude(region="")
        .values("region", "action")
        .annotate(n=Sum("decisions"))
        .values_list("region", "action", "n")
        .order_by("region")
    ):
        stats.regions.setdefault(region, Counter())[action] += n
    wanted = None if optional is None else set(optional)
    for slug, granted, refused in (
        DailyCategoryChoices.objects.filter(**in_period)
        .values("category")
        .annotate(g=Sum("granted"), r=Sum("refused"))
        .values_list("category", "g", "r")
        .order_by("category")
    ):
        if wanted is None or slug in wanted:
            stats.categories[slug] = (int(granted), int(refused))
    return stats
