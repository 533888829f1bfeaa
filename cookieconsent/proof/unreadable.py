"""Records the ORM cannot read back: a value written below it that its field cannot convert (a
consent ID that is no UUID, kept as text by SQLite; a time no datetime holds, such as
PostgreSQL's infinity). ``cookieconsent_verify`` names them; the export and the admin show
them as stored instead of failing on them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast

from cookieconsent.models import ConsentRecord
from cookieconsent.streaming import UNREADABLE

#: Where a record read as stored keeps the names of the fields it holds as stored text.
_MARK = "_cookieconsent_unreadable"


def as_stored(records: QuerySet[ConsentRecord], pk: Any) -> ConsentRecord | None:
    """Record ``pk`` of ``records``, read field by field: each value the ORM cannot read is
    the text the database holds (empty if not even that can be read), named by
    ``unreadable_fields()``. ``None`` if there is no such record. Never saved: it is not the
    record as written (and a record read back is never saved again anyway)."""
    try:
        row = records.filter(pk=pk)
        if not row.exists():
            return None
    except UNREADABLE:  # a key that is no key
        return None
    values: dict[str, Any] = {}
    unreadable: list[str] = []
    for field in ConsentRecord._meta.concrete_fields:
        name = field.attname
        try:
            values[name] = row.values_list(name, flat=True).first()
        except UNREADABLE:
            unreadable.append(name)
            values[name] = _text(row, name)
    record = ConsentRecord(**values)
    record._state.adding = False
    record.__dict__[_MARK] = tuple(unreadable)
    return record


def _text(row: QuerySet[ConsentRecord], name: str) -> str:
    """What the database holds in field ``name`` of ``row``, as text."""
    try:
        text = row.values_list(Cast(name, CharField()), flat=True).first()
    except UNREADABLE:
        return ""
    return text if isinstance(text, str) else ""


def unreadable_fields(record: ConsentRecord) -> Sequence[str]:
    """The fields of ``record`` (read by ``as_stored()``) that hold the stored text, not a
    value: none for a record the ORM read."""
    fields: Sequence[str] = record.__dict__.get(_MARK, ())
    return fields


def readable(
    page: QuerySet[ConsentRecord], records: QuerySet[ConsentRecord]
) -> list[ConsentRecord]:
    """The records of ``page`` (a slice of ``records``), in its order: as the ORM reads them,
    or, where it cannot read them together, one at a time, and those it cannot read at all as
    stored (``as_stored()``)."""
    try:
        return list(page)
    except UNREADABLE:
        pass
    found = []
    for pk in page.values_list("pk", flat=True):
        try:
            record = records.filter(pk=pk).first()
        except UNREADABLE:
            record = as_stored(records, pk)
        if record is not None:
            found.append(record)
    return found
