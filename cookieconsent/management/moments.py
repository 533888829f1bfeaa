"""Dates and moments given to the management commands (``--since``, ``--until``)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from cookieconsent.management import USAGE


def moment(
    value: str, option: str, *, end_of_day: bool = False, verb: str = "export"
) -> dt.datetime:
    """A date (``2026-01-31``) or date and time (``2026-01-31T12:00``), as an aware datetime
    (with ``USE_TZ``) or a naive local one (without, as the database holds them); a usage
    error names a value that is neither, or out of range."""
    try:
        day = parse_date(value)
        moment = None if day is not None else parse_datetime(value)
    except ValueError:  # well formed, but no such day
        moment = day = None
    reach = "up to the last record" if end_of_day else "from the first record"
    out_of_range = CommandError(
        f"{option} {value!r} is out of range: leave {option} out to {verb} {reach}.",
        returncode=USAGE,
    )
    if day is not None:
        try:
            moment = dt.datetime.combine(day + dt.timedelta(days=end_of_day), dt.time.min)
        except OverflowError:  # the day after 9999-12-31
            raise out_of_range from None
    if moment is None:
        raise CommandError(
            f"{option} {value!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS].",
            returncode=USAGE,
        )
    try:
        if not settings.USE_TZ:
            # The database holds local times, naive: so is the moment asked for.
            return timezone.make_naive(moment) if timezone.is_aware(moment) else moment
        aware = timezone.make_aware(moment) if timezone.is_naive(moment) else moment
        # The database is given it in UTC: 0001-01-01 east of Greenwich falls off the calendar.
        aware.astimezone(dt.UTC)
    except OverflowError:
        raise out_of_range from None
    return aware
