"""``manage.py cookieconsent_verify [--since DATE]``: prove the consent log is intact.

Exits 0 when every record matches its hash and follows the one before it, 1 naming the first
record that does not, 2 on a usage error."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cookieconsent.management.moments import moment
from cookieconsent.management.progress import Progress
from cookieconsent.models import ConsentRecord
from cookieconsent.proof import chain

BROKEN = 1


class Command(BaseCommand):
    help = (
        "Check the consent log's hash chain: every record's content against its hash, and "
        "its link to the record before it. Exits 1 naming the first record that does not "
        "match."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--since",
            help="Start at the first record given on this day (YYYY-MM-DD) or at this moment.",
        )

    def handle(self, *args: Any, since: str | None = None, **options: Any) -> None:
        start = moment(since, "--since", verb="verify") if since else None
        total = ConsentRecord.objects.count() if self.stderr.isatty() else 0
        progress = Progress(total, self.stderr, label="Verifying ")
        try:
            report = chain.verify(start, on_rows=progress.advance)
        finally:
            progress.close()
        if report.broken is not None:
            raise CommandError(
                f"The consent log does not verify after {report.checked} records: {report.broken}.",
                returncode=BROKEN,
            )
        span = f"records {report.first_pk} to {report.last_pk}" if report.checked else "none"
        self.stdout.write(
            f"The consent log verifies: {report.checked} records ({span}) match their hashes "
            f"and follow one another. Head: {report.head}"
        )
