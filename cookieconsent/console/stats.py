"""Daily counts of consent decisions, and the figures the Statistics page shows.

The consent endpoint writes one row, the record, and nothing else: a counter row that every
decision of the day updated would make concurrent POSTs wait on its lock. A day is counted
once it is over (``roll_up()``: the Statistics page and the purge run it), from its records,
into ``DailyDecisions`` and ``DailyCategoryChoices``, and marked in ``CountedDay``. The page
adds the days not counted yet (today) from the records themselves. The counts outlive the
records when ``cookieconsent_purge`` deletes them; a day whose counts fall short of its
records (records imported into a counted day, or written after it was counted) is counted
again before any of its records is deleted.

The consent rate divides the decisions visitors made by the banners shown, which
``console.shown`` counts per day in ``BannersShown``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import router, transaction
from django.db.models import Max, QuerySet, Sum
from django.utils import timezone

from cookieconsent.models import (
    Action,
    BannersShown,
    ConsentRecord,
    CountedDay,
    DailyCategoryChoices,
    DailyDecisions,
)
from cookieconsent.publishing import serve as serving

#: A day is counted this long after it ends: a decision given at midnight may still be on its
#: way to the database.
SETTLE = dt.timedelta(minutes=10)


def local_day(moment: dt.datetime) -> dt.date:
    """The site's day of ``moment``."""
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


@dataclass
class Tally:
    """Decisions counted from records: (day, action, version, region) → decisions, and
    (day, category, version, region) → [granted, refused]."""

    decisions: Counter[tuple[dt.date, str, int, str]] = field(default_factory=Counter)
    categories: defaultdict[tuple[dt.date, str, int, str], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0])
    )


def tally(records: QuerySet[ConsentRecord], day: dt.date | None = None) -> Tally:
    """Count ``records`` by day, as the daily tables do: each on the day it was given, or all
    on ``day``, the day whose bounds (``day_bounds()``) hold them."""
    counts = Tally()
    rows = records.values_list(
        "created_at", "action", "policy_version", "region", "granted", "refused"
    )
    for created_at, action, version, region, granted, refused in rows.iterator(chunk_size=2000):
        counted_on = day or local_day(created_at)
        region = region or ""
        counts.decisions[counted_on, action, version, region] += 1
        for slug in granted:
            counts.categories[counted_on, slug, version, region][0] += 1
        for slug in refused:
            counts.categories[counted_on, slug, version, region][1] += 1
    return counts


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
    """Count ``day`` again from its records (replacing its counts), and mark it counted.

    Two processes counting the same day take turns: the day's ``CountedDay`` row is written
    first and locked, so the second waits for the first to commit, then counts again, instead
    of inserting the same counts beside the first's (an ``IntegrityError`` on PostgreSQL)."""
    start, end = day_bounds(day)
    with transaction.atomic(using=router.db_for_write(CountedDay)):
        # A write first: on SQLite it takes the write lock before anything is read, so the
        # second writer waits (busy timeout) rather than failing to upgrade a read lock.
        CountedDay.objects.bulk_create([CountedDay(day=day)], ignore_conflicts=True)
        CountedDay.objects.select_for_update().filter(day=day).exists()
        records = ConsentRecord.objects.filter(created_at__gte=start, created_at__lt=end)
        counts = tally(records, day)
        DailyDecisions.objects.filter(day=day).delete()
        DailyCategoryChoices.objects.filter(day=day).delete()
        DailyDecisions.objects.bulk_create(
            DailyDecisions(day=d, action=a, policy_version=v, region=r, decisions=n)
            for (d, a, v, r), n in counts.decisions.items()
        )
        DailyCategoryChoices.objects.bulk_create(
            DailyCategoryChoices(
                day=d, category=c, policy_version=v, region=r, granted=g, refused=f
            )
            for (d, c, v, r), (g, f) in counts.categories.items()
        )


def last_counted() -> dt.date | None:
    """The latest day counted: the days after it are counted from the records."""
    day: dt.date | None = CountedDay.objects.aggregate(last=Max("day"))["last"]
    return day


def roll_up(now: dt.datetime | None = None) -> list[dt.date]:
    """Count every day with records that is over and was not counted yet (the days after the
    last one counted); the days it counted. Cheap when there is nothing to do: two indexed
    queries."""
    over = local_day((now or timezone.now()) - SETTLE) - dt.timedelta(days=1)
    last = last_counted()
    after = day_bounds(last)[1] if last is not None else None
    records = ConsentRecord.objects.order_by("created_at").values_list("created_at", flat=True)
    done: list[dt.date] = []
    while True:
        first = (records.filter(created_at__gte=after) if after else records).first()
        if first is None:
            return done
        day = local_day(first)
        if last is not None and day <= last:
            # Where the clocks went back across midnight (St John's, 1987-2010), the hour
            # before it came twice: a record after the day's end can still read as that day.
            # It lies in the next day's bounds, and is counted with them.
            day = last + dt.timedelta(days=1)
        if day > over:
            return done
        recount_day(day)
        last = day
        done.append(day)
        after = day_bounds(day)[1]


# -- the Statistics page --------------------------------------------------------------------

#: The order and colours of the actions in charts and tables (colour-blind safe: Okabe-Ito).
ACTION_COLOURS = {
    Action.ACCEPT_ALL: "#009E73",
    Action.REJECT_ALL: "#D55E00",
    Action.CUSTOM: "#0072B2",
    Action.PREFERENCES: "#CC79A7",
    Action.GPC: "#E69F00",
    Action.DISMISS: "#56B4E9",
}


#: Decisions no banner asked for: the browser's privacy signal stands in for the visitor.
SIGNALLED = frozenset({Action.GPC.value})


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
    #: bucket → banners shown to undecided visitors (``BannersShown``)
    shown: dict[dt.date, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    @property
    def total_shown(self) -> int:
        return sum(self.shown.values())

    def answered(self, counts: Counter[str]) -> int:
        """The decisions among ``counts`` a visitor made (not their browser's signal)."""
        return sum(n for action, n in counts.items() if action not in SIGNALLED)

    def consent_rate(self, bucket: dt.date | None = None) -> float | None:
        """Decisions visitors made per banner shown, in ``bucket`` or the whole period;
        ``None`` when no banner was counted."""
        if bucket is None:
            shown, counts = self.total_shown, self.totals
        else:
            shown, counts = self.shown.get(bucket, 0), self.series.get(bucket, Counter())
        return self.answered(counts) / shown if shown else None


def statistics(period: Period) -> Statistics:
    """Everything the Statistics page shows for ``period``: the days that are over are counted
    first (``roll_up()``) and read in four grouped queries on the daily counts, each served by
    the index of their unique constraint (``day`` first); the days after the last one counted
    (today) are counted from their records."""
    roll_up()
    last = last_counted()
    actions = [(a.value, str(a.label)) for a in ACTION_COLOURS]
    stats = Statistics(period, actions, series={b: Counter() for b in period.buckets()})
    if last is not None and last >= period.start:
        _add_counted(stats, period, min(last, period.end))
    live_from = max(period.start, last + dt.timedelta(days=1)) if last else period.start
    if live_from <= period.end:
        start, end = day_bounds(live_from)[0], day_bounds(period.end)[1]
        records = ConsentRecord.objects.filter(created_at__gte=start, created_at__lt=end)
        _add_tally(stats, period, tally(records))
    for day, n in BannersShown.objects.filter(
        day__gte=period.start, day__lte=period.end
    ).values_list("day", "shown"):
        bucket = period.bucket(day)
        stats.shown[bucket] = stats.shown.get(bucket, 0) + n
    known = {a for a, _ in actions}
    # An action without a colour still shows its label; only a value the code no longer knows
    # (from an older release) is shown as stored.
    labels = dict(Action.choices)
    stats.actions += [(a, str(labels.get(a, a))) for a in sorted(stats.totals) if a not in known]
    stats.versions = dict(sorted(stats.versions.items()))
    stats.regions = dict(sorted(stats.regions.items()))
    stats.categories = dict(sorted(stats.categories.items()))
    return stats


def _add_counted(stats: Statistics, period: Period, until: dt.date) -> None:
    in_period = {"day__gte": period.start, "day__lte": until}
    rows = DailyDecisions.objects.filter(**in_period)
    for day, action, n in (
        rows.values("day", "action").annotate(n=Sum("decisions")).values_list("day", "action", "n")
    ):
        stats.series[period.bucket(day)][action] += n
        stats.totals[action] += n
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
    for slug, granted, refused in (
        DailyCategoryChoices.objects.filter(**in_period)
        .values("category")
        .annotate(g=Sum("granted"), r=Sum("refused"))
        .values_list("category", "g", "r")
        .order_by("category")
    ):
        stats.categories[slug] = (int(granted), int(refused))


def _add_tally(stats: Statistics, period: Period, counts: Tally) -> None:
    for (day, action, version, region), n in counts.decisions.items():
        stats.series[period.bucket(day)][action] += n
        stats.totals[action] += n
        stats.versions.setdefault(version, Counter())[action] += n
        if region:
            stats.regions.setdefault(region, Counter())[action] += n
    for (_day, slug, _version, _region), (granted, refused) in counts.categories.items():
        g, r = stats.categories.get(slug, (0, 0))
        stats.categories[slug] = (g + granted, r + refused)


@dataclass(frozen=True)
class CategoryRate:
    """One optional category's opt-in rate: how often the decisions that offered it granted
    it."""

    slug: str
    name: str
    granted: int
    refused: int
    #: Whether the version in force offers it; if not, only earlier versions did.
    offered: bool

    @property
    def rate(self) -> float | None:
        """Granted out of the decisions that offered it; ``None`` when none did."""
        asked = self.granted + self.refused
        return self.granted / asked if asked else None


def category_rates(stats: Statistics) -> list[CategoryRate]:
    """The opt-in rates, as published (the draft counts once it is): first every category the
    version in force offers, in its order and under its name in the active language, offered
    to a decision of the period or not; then each category only earlier versions offered, if
    a decision of the period was offered it, under the name the latest version those
    decisions were given under published.

    A record lists every category its decision offered, granted or refused, so a rate counts
    the decisions that offered the category, under whichever version, and no other."""
    offered = [c for c in serving.categories(serving.current()) if not c.required]
    rates = [
        CategoryRate(c.slug, c.name, *stats.categories.get(c.slug, (0, 0)), offered=True)
        for c in offered
    ]
    now = {c.slug for c in offered}
    earlier = [slug for slug in stats.categories if slug not in now]
    if earlier:
        names = _published_names(set(earlier), sorted(stats.versions, reverse=True))
        rates += [
            CategoryRate(slug, names.get(slug, slug), *stats.categories[slug], offered=False)
            for slug in earlier
        ]
    return rates


def _published_names(slugs: set[str], versions: Iterable[int]) -> dict[str, str]:
    """The name of each of ``slugs`` in the first of ``versions`` that published it, in the
    active language (one snapshot read per version, kept by ``serve``)."""
    names: dict[str, str] = {}
    for number in versions:
        shown = serving.snapshot(number)
        if shown is None:
            continue
        for info in serving.categories(shown):
            if info.slug in slugs:
                names.setdefault(info.slug, info.name)
        if len(names) == len(slugs):
            break
    return names
