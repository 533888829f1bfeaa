"""``manage.py cookieconsent_export``: the consent log as CSV or JSON Lines, streamed."""

from __future__ import annotations

import json
import uuid
from contextlib import suppress
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cookieconsent.management import USAGE, counted
from cookieconsent.management.moments import moment
from cookieconsent.management.progress import Progress
from cookieconsent.models import ConsentRecord
from cookieconsent.proof import export
from cookieconsent.proof.receipt import NotAsWritten, receipt
from cookieconsent.streaming import UNREADABLE

#: The exit status of an export that wrote a record the ORM cannot read back.
BROKEN = 1
#: How many such records an error names.
_NAMED = 3
#: The options that choose which records to export, and how: a receipt is one record, in JSON.
_NOT_FOR_A_RECEIPT = ("since", "until", "format")


class Command(BaseCommand):
    help = "Export consent records as CSV or JSON Lines (the proof of consent, for auditors)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="First day (YYYY-MM-DD) or moment to include.")
        parser.add_argument("--until", help="Last day (YYYY-MM-DD, included) or moment.")
        # No default here: --receipt refuses a --format given, and must see one given.
        parser.add_argument("--format", help="csv (default) or jsonl.")
        parser.add_argument("--output", "-o", help="Write to this file instead of stdout.")
        parser.add_argument(
            "--receipt",
            metavar="CONSENT_ID",
            help="Only this record, as a consent receipt (ISO/IEC TS 27560, JSON).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["receipt"] is not None:  # an empty one too: not a request for the whole log
            given = [f"--{name}" for name in _NOT_FOR_A_RECEIPT if options[name] is not None]
            if given:
                raise CommandError(
                    f"--receipt exports one record as a receipt (JSON): {', '.join(given)} "
                    f"{'does' if len(given) == 1 else 'do'} not apply to it.",
                    returncode=USAGE,
                )
            self._receipt(options["receipt"], options["output"])
            return
        fmt = options["format"] if options["format"] is not None else "csv"
        if fmt not in export.FORMATS:
            raise CommandError(f"Unknown --format {fmt!r}: use csv or jsonl.", returncode=USAGE)
        records = ConsentRecord.objects.all()
        # An empty value too (a cron job's unset variable): refused, not read as left out.
        given_since, given_until = options["since"], options["until"]
        since = moment(given_since, "--since") if given_since is not None else None
        until = moment(given_until, "--until", end_of_day=True) if given_until is not None else None
        if since is not None and until is not None and since >= until:
            raise CommandError(
                f"--since {options['since']!r} comes after --until {options['until']!r}: "
                "no record could be in both.",
                returncode=USAGE,
            )
        if since is not None:
            records = records.filter(created_at__gte=since)
        if until is not None:
            records = records.filter(created_at__lt=until)
        path = options["output"]
        file: TextIO | None = None
        if path:
            try:
                file = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
            except OSError as exc:
                raise CommandError(
                    f"Cannot write {path}: {exc.strerror}.", returncode=USAGE
                ) from None
        total = records.count()
        progress = Progress(total, self.stderr, label="Exporting ")
        unreadable: list[int] = []
        try:
            chunks = export.stream(
                records, fmt, on_rows=progress.advance, on_unreadable=unreadable.append
            )
            for chunk in chunks:
                if file is not None:
                    file.write(chunk)
                else:
                    self.stdout.write(chunk, ending="")
            if file is not None:
                file.close()  # (flushes: a full disk may say so only now)
        except OSError as exc:
            if file is None:
                raise
            raise CommandError(f"Cannot write {path}: {exc.strerror}.", returncode=USAGE) from None
        finally:
            progress.close()
            if file is not None:
                with suppress(OSError):  # closed already, or failing as it was said above
                    file.close()
        if file is not None:
            self.stderr.write(f"Exported {counted(total, 'consent record')} to {path}.")
        if unreadable:
            named = ", ".join(map(str, unreadable[:_NAMED]))
            more = len(unreadable) - _NAMED
            raise CommandError(
                f"{counted(len(unreadable), 'record')} ({named}"
                f"{f' and {more} more' if more > 0 else ''}) "
                f"{'holds' if len(unreadable) == 1 else 'hold'} values that cannot be read back "
                "as written: changed in the database, and exported as the database holds "
                "them. Run cookieconsent_verify.",
                returncode=BROKEN,
            )

    def _receipt(self, consent_id: str, path: str | None) -> None:
        try:
            key = uuid.UUID(consent_id)
        except ValueError:
            raise CommandError(
                f"--receipt {consent_id!r} is not a consent ID (a UUID).", returncode=USAGE
            ) from None
        try:
            record = (
                ConsentRecord.objects.select_related("published_version__policy")
                .filter(consent_id=key)
                .first()
            )
        except UNREADABLE:
            raise CommandError(
                f"The record {key} holds values that cannot be read back as written: it was "
                "changed in the database, so no receipt can say what the visitor chose. Run "
                "cookieconsent_verify."
            ) from None
        if record is None:
            raise CommandError(f"No consent record has the consent ID {key}.")
        try:
            data = receipt(record)
        except NotAsWritten:
            raise CommandError(
                f"The record {key} is not as it was written: its categories were changed in "
                "the database, so no receipt can say what the visitor chose. Run "
                "cookieconsent_verify."
            ) from None
        text = json.dumps(data, ensure_ascii=False, indent=2)
        if not path:
            self.stdout.write(text)
            return
        try:
            with open(path, "w", encoding="utf-8") as file:
                file.write(text + "\n")
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror}.", returncode=USAGE) from None
        self.stderr.write(f"Wrote the receipt of {key} to {path}.")
