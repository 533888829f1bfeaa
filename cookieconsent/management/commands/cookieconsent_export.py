"""``manage.py cookieconsent_export``: the consent log as CSV or JSON Lines, streamed."""

from __future__ import annotations

from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cookieconsent.management.moments import moment
from cookieconsent.management.progress import Progress
from cookieconsent.models import ConsentRecord
from cookieconsent.proof import export


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
            records = records.filter(created_at__gte=moment(options["since"], "--since"))
        if options["until"]:
            until = moment(options["until"], "--until", end_of_day=True)
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
