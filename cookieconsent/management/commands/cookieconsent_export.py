"""``manage.py cookieconsent_export``: the consent log as CSV or JSON Lines, streamed."""

from __future__ import annotations

import datetime as dt
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from cookieconsent.management.progress import Progress
from cookieconsent.models import ConsentRecord
from cookieconsent.proof import export


def _moment(value: str, option: str, *, end_of_day: bool = False) -> dt.datetime:
    """A date (``2026-01-31``) or date and time (``2026-01-31T12:00``), as an aware datetime."""
    try:
        day = parse_date(value)
        moment = None if day is not None else parse_datetime(value)
    except ValueError:  # well formed, but no such day
        moment = day = None
    reach = "up to the last record" if end_of_day else "from the first record"
    out_of_range = CommandError(
        f"{option} {value!r} is out of range: leave {option} out to export {reach}."
    )
    if day is not None:
        try:
            moment = dt.datetime.combine(day + dt.timedelta(days=end_of_day), dt.time.min)
        except OverflowError:  # the day after 9999-12-31
            raise out_of_range from None
    if moment is None:
        raise CommandError(
            f"{option} {value!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]."
        )
    aware = timezone.make_aware(moment) if timezone.is_naive(moment) else moment
    try:
        # The database is given it in UTC: 0001-01-01 east of Greenwich falls off the calendar.
        aware.astimezone(dt.UTC)
    except OverflowError:
        raise out_of_range from None
    return aware


class Command(BaseCommand):
    help = "Export consent records as CSV or JSON Lines (the proof of consent, for auditors)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="First day (YYYY-MM-DD) or moment to include.")
        parser.add_argument("--until", help="Last day (YYYY-MM-DD, included) or moment.")
        parser.add_argument("--format", default="csv", help="csv (default) or jsonl.")
        parser.add_argument("--output", "-o", help="Write to this file instead of stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        fmt = options["format"]
        if fmt not in export.FORMATS:
            raise CommandError(f"Unknown --format {fmt!r}: use csv or jsonl.")
        records = ConsentRecord.objects.all()
        if options["since"]:
            records = records.filter(created_at__gte=_moment(options["since"], "--since"))
        if options["until"]:
            until = _moment(options["until"], "--until", end_of_day=True)
            records = records.filter(created_at__lt=until)
        path = options["output"]
        file: TextIO | None = None
        if path:
            try:
                file = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
            except OSError as exc:
                raise CommandError(f"Cannot write {path}: {exc.strerror}.") from None
        total = records.count()
        progress = Progress(total, self.stderr, label="Exporting ")
        try:
            for chunk in export.stream(records, fmt, on_rows=progress.advance):
                if file is not None:
                    file.write(chunk)
                else:
                    self.stdout.write(chunk, ending="")
        finally:
            progress.close()
            if file is not None:
                file.close()
        if file is not None:
            self.stderr.write(f"Exported {total} consent records to {path}.")
