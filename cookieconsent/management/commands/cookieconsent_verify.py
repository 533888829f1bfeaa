"""``manage.py cookieconsent_verify [--since DATE] [--kept FILE]``: prove the consent log is
intact.

Exits 0 when every record matches its hash and follows the one before it (and the chain passes
through every head kept in ``FILE``), 1 naming the first record that does not (or the heads it
does not pass through), 2 on a usage error."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cookieconsent.management import USAGE, counted
from cookieconsent.management.moments import moment
from cookieconsent.management.progress import Progress
from cookieconsent.models import ChainCheckpoint, ConsentRecord
from cookieconsent.proof import chain

BROKEN = 1
#: A head as this command prints it, anywhere in a line of the kept file: 64 hex digits, and
#: the newest record's key then, if given.
_HEAD = re.compile(r"(?<![0-9a-fA-F])([0-9a-fA-F]{64})(?![0-9a-fA-F])(?: \(record ([0-9]+)\))?")
#: How many heads an error names.
_NAMED = 3


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
        parser.add_argument(
            "--kept",
            metavar="FILE",
            help="Heads kept from earlier runs (this command's output, or a hash a line): "
            "the chain must still pass through each.",
        )

    def handle(
        self, *args: Any, since: str | None = None, kept: str | None = None, **options: Any
    ) -> None:
        # An empty value too (a cron job's unset variable): refused, not read as left out.
        start = moment(since, "--since", verb="verify") if since is not None else None
        heads = _read_kept(kept) if kept is not None else {}
        total = ConsentRecord.objects.count() if self.stderr.isatty() else 0
        progress = Progress(total, self.stderr, label="Verifying ")
        try:
            report = chain.verify(start, kept=heads, on_rows=progress.advance)
        finally:
            progress.close()
        if report.broken is not None:
            raise CommandError(
                f"The consent log does not verify after {counted(report.checked, 'record')}: "
                f"{report.broken}.",
                returncode=BROKEN,
            )
        if report.lost:
            named = ", ".join(report.lost[:_NAMED])
            more = len(report.lost) - _NAMED
            raise CommandError(
                f"The consent log verifies, but does not pass through {len(report.lost)} of "
                f"{counted(len(heads), 'head')} kept in {kept}: it was rewritten after they were "
                "kept. "
                f"Not passed through: {named}{f' and {more} more' if more > 0 else ''}."
                f"{_kept_bare([h for h in report.lost if heads[h] is None])}",
                returncode=BROKEN,
            )
        if report.checked == 1:
            what = f"1 record (record {report.first_pk}) matches its hash and its link"
        else:
            span = f"records {report.first_pk} to {report.last_pk}" if report.checked else "none"
            what = f"{report.checked} records ({span}) match their hashes and follow one another"
        at = f" (record {report.head_pk})" if report.head_pk is not None else ""
        self.stdout.write(f"The consent log verifies: {what}. Head: {report.head}{at}")


def _kept_bare(lost: list[str]) -> str:
    """What to add about the ``lost`` heads kept without their record, once the purge has run:
    the purge may have deleted that record, which a bare hash cannot show."""
    if not lost or not ChainCheckpoint.objects.exists():
        return ""
    return (
        f" {len(lost)} of them {'was' if len(lost) == 1 else 'were'} kept bare, without "
        "(record N): where the purge deleted the record from inside a run, nothing tells that "
        "from a rewrite. Keep heads as this command prints them."
    )


def _read_kept(path: str) -> dict[str, int | None]:
    """Every head in the file, lower-cased, with its record's key where the line gives it: an
    empty file keeps none yet."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise CommandError(
            f"--kept {path!r} cannot be read: {exc.strerror or exc}.", returncode=USAGE
        ) from None
    heads: dict[str, int | None] = {}
    for hash_, pk in _HEAD.findall(text):
        heads[hash_.lower()] = int(pk) if pk else heads.get(hash_.lower())
    return heads
