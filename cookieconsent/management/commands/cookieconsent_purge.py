"""``manage.py cookieconsent_purge [--dry-run]``: delete consent records older than
``COOKIECONSENT["RECORD_RETENTION"]``; the daily counts stay."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cookieconsent.management import counted
from cookieconsent.proof import retention


class Command(BaseCommand):
    help = (
        "Delete consent records older than COOKIECONSENT['RECORD_RETENTION']. The daily "
        "counts behind the Statistics page are kept. Safe to run from cron."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be deleted; delete nothing."
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        try:
            report = retention.purge(dry_run=dry_run)
        except retention.RetentionNotSet:
            raise CommandError(
                "COOKIECONSENT['RECORD_RETENTION'] is not set, so every consent record is "
                "kept and there is nothing to purge. Set it to a duration, e.g. "
                "timedelta(days=3 * 365), to delete older records."
            ) from None
        verb = "Would delete" if dry_run else "Deleted"
        cutoff = report.cutoff.isoformat(timespec="seconds")
        span = f" ({report.days[0]} to {report.days[-1]})" if report.days else ""
        deleted = counted(report.deleted, "consent record")
        self.stdout.write(f"{verb} {deleted} given before {cutoff}{span}.")
        if report.recounted:
            verb = "Would count" if dry_run else "Counted"
            self.stdout.write(
                f"{verb} {counted(len(report.recounted), 'day')} whose records the daily counts "
                "had not seen, before deleting them."
            )
        self.stdout.write(f"Kept {counted(report.kept, 'consent record')} given since then.")
        self.stdout.write(
            f"Kept the daily counts: {counted(report.counted_decisions, 'decision')} over "
            f"{counted(report.counted_days, 'day')} (the Statistics page)."
        )
