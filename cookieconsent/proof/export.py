"""The consent log as CSV or JSON Lines, streamed: one writer for the admin and the command.

Rows are read a chunk at a time (``cookieconsent.streaming``) and written in small batches, so
memory stays flat however many records there are. CSV cells that a spreadsheet would run as a
formula are neutralised, reversibly; JSON Lines are written as stored. A record the ORM cannot
read back is written as the database holds it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import QuerySet

from cookieconsent.models import ConsentRecord
from cookieconsent.models.chain import HASHED
from cookieconsent.models.records import slug_list
from cookieconsent.proof.chain import as_hashed
from cookieconsent.proof.unreadable import as_stored
from cookieconsent.streaming import streamed_readable

FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl; charset=utf-8"}
CHUNK_SIZE = 2000
_BATCH = 500

#: (column, model field) in export order; fields the model does not have (yet) are left out.
COLUMNS = (
    ("consent_id", "consent_id"),
    ("time", "created_at"),
    ("action", "action"),
    ("granted", "granted"),
    ("refused", "refused"),
    ("policy_version", "policy_version"),
    ("language", "language"),
    # SHA-256 of the banner and policy text the visitor was shown (the published snapshot).
    ("snapshot_hash", "snapshot_hash"),
    ("region", "region"),
    ("regime", "regime"),
    ("page", "page_url"),
    ("ip_hash", "ip_hash"),
    ("user_agent", "user_agent"),
    ("user", "user_pk"),
    # The hash chain (docs/proof.md, "Proving the log is intact"): the hash of the record
    # before, and of this record's content with it, so an auditor can check the file alone.
    ("chain_prev", "chain_prev"),
    ("chain_hash", "chain_hash"),
)


def columns() -> list[tuple[str, str]]:
    """The columns of an export: (heading, ``ConsentRecord`` field)."""
    return list(COLUMNS)


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, dict):
        return value
    if value is None:
        return ""
    return str(value) if not isinstance(value, int) else value


#: A spreadsheet reads a cell that begins with one of these as a formula (OWASP, "CSV
#: Injection"): a User-Agent of ``=HYPERLINK(...)`` would become a live link. A ``'`` is
#: quoted too, so that taking the first ``'`` off any cell that begins with one gives the
#: value back: ``=x`` and ``'=x`` stay two values.
_QUOTED_START = ("=", "+", "-", "@", "\t", "\r", "'")


def _csv_cell(value: Any) -> Any:
    """``value`` for a CSV cell: text that a spreadsheet would take for a formula, or that
    begins with a ``'`` already, gets a leading ``'``, which makes it plain text; numbers we
    write ourselves are left alone."""
    if isinstance(value, str) and value.startswith(_QUOTED_START):
        return "'" + value
    return value


def _csv_value(value: Any) -> Any:
    """A cell's value: a list of slugs space-separated, any other JSON (only a record changed
    below the ORM holds one) as JSON."""
    if isinstance(value, list | dict):
        listed = slug_list(value)
        return " ".join(listed) if listed is not None else json.dumps(value, ensure_ascii=False)
    return value


def rows(
    queryset: QuerySet[ConsentRecord], *, on_unreadable: Callable[[int], None] | None = None
) -> Iterator[dict[str, Any]]:
    """Each record as a dict of export columns, oldest first. Its time is given as it was
    hashed (``as_hashed()``), so that the file alone gives every hash: a record written before
    ``USE_TZ`` was switched gives the form of then (docs/proof.md). A record the ORM cannot
    read back (changed below it) is exported as stored, each value it cannot read as the text
    the database holds, and ``on_unreadable(pk)`` is told of it."""
    cols = columns()
    fields = [field for _, field in cols]
    hashed = [fields.index(name) for name in HASHED]
    link, hash_, time = (fields.index(f) for f in ("chain_prev", "chain_hash", "created_at"))
    using = queryset.db
    for pk, row in streamed_readable(queryset, fields, ("created_at", "pk"), CHUNK_SIZE):
        if row is None:
            record = as_stored(queryset, pk)
            if record is None:  # gone meanwhile (purged)
                continue
            row = [getattr(record, field) for field in fields]
            if on_unreadable is not None:
                on_unreadable(pk)
        else:
            given = as_hashed([row[i] for i in hashed], row[link], row[hash_], using)
            if given is not None:
                row = (*row[:time], given, *row[time + 1 :])
        yield {name: _value(v) for (name, _), v in zip(cols, row, strict=True)}


def stream(
    queryset: QuerySet[ConsentRecord],
    fmt: str,
    *,
    on_rows: Callable[[int], None] | None = None,
    on_unreadable: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """The records as text in ``fmt`` ("csv" or "jsonl"), in chunks of a few hundred rows;
    ``on_rows(n)`` is told of each chunk's rows, ``on_unreadable(pk)`` of each record written
    as stored (``rows()``)."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}: use csv or jsonl.")
    buffer = io.StringIO()
    names = [name for name, _ in columns()]
    writer = csv.writer(buffer) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(names)
    count = 0
    for row in rows(queryset, on_unreadable=on_unreadable):
        if writer is not None:
            writer.writerow(_csv_cell(_csv_value(row[n])) for n in names)
        else:
            buffer.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
            buffer.write("\n")
        count += 1
        if count % _BATCH == 0:
            if on_rows is not None:
                on_rows(_BATCH)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if on_rows is not None and count % _BATCH:
        on_rows(count % _BATCH)
    tail = buffer.getvalue()
    if tail:
        yield tail
