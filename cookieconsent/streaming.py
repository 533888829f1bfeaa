"""Reading a large query with memory flat, on every database Django ships a backend for.

``QuerySet.iterator()`` streams on PostgreSQL (a server-side cursor) and SQLite, but Django's
MySQL driver takes in a query's whole result (MySQL and MariaDB). There the rows are read a
page per query instead, each page after the last row of the one before in the query's order.

``streamed_readable()`` reads on past a row whose values the ORM cannot read back (written
below it), instead of failing there.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db import DataError, OperationalError, connections
from django.db.models import Q, QuerySet

#: What reading back a value written below the ORM can raise: one the field cannot convert
#: (SQLite keeps any text in any column), JSON nested deeper than Python's json reads, a time
#: no datetime holds (PostgreSQL's infinity, a year BC: ``DataError``), text that is not UTF-8
#: (SQLite: ``OperationalError``; asking whether the row is there, without its values, tells it
#: from the database failing).
UNREADABLE = (TypeError, ValueError, AttributeError, RecursionError, DataError, OperationalError)


def streamed(
    queryset: QuerySet[Any, Any], fields: Sequence[str], order: Sequence[str], chunk_size: int
) -> Iterator[tuple[Any, ...]]:
    """The ``fields`` of each row of ``queryset``, as tuples, ordered by ``order``: ascending
    fields that are never null and unique together (the last one the primary key)."""
    if connections[queryset.db].vendor != "mysql":
        yield from queryset.order_by(*order).values_list(*fields).iterator(chunk_size=chunk_size)
        return
    # The order's fields are read too, after the others unless they are among them.
    read = [*fields, *(field for field in order if field not in fields)]
    at = [read.index(field) for field in order]
    rows = queryset.order_by(*order).values_list(*read)
    width = len(fields)
    page = list(rows[:chunk_size])
    while page:
        yield from page if width == len(read) else (row[:width] for row in page)
        if len(page) < chunk_size:
            return
        page = list(rows.filter(_after(order, [page[-1][i] for i in at]))[:chunk_size])


def streamed_readable(
    queryset: QuerySet[Any, Any], fields: Sequence[str], order: Sequence[str], chunk_size: int
) -> Iterator[tuple[Any, Sequence[Any] | None]]:
    """Each row's primary key and its ``fields``, as ``streamed()`` gives them (``order`` ends
    with the primary key); ``None`` for the fields of a row whose values cannot be read back.
    The driver fails a whole chunk for one such row: that chunk is read again a row at a time,
    and the rest streamed on after it."""
    width = len(order)
    read = [*order, *fields]
    passed: list[Any] = []  # the keys of the rows given as unreadable
    last: Sequence[Any] | None = None  # the order's values of the last row read

    def rest() -> QuerySet[Any, Any]:
        rows = queryset.exclude(pk__in=passed) if passed else queryset
        return rows.filter(_after(order, last)) if last is not None else rows

    while True:
        try:
            for row in streamed(rest(), read, order, chunk_size):
                last = row[:width]
                yield row[width - 1], row[width:]
            return
        except UNREADABLE:
            pass
        rows = rest()
        for pk in rows.order_by(*order).values_list("pk", flat=True)[:chunk_size]:
            try:
                found = rows.filter(pk=pk).values_list(*read).first()
            except UNREADABLE:
                if rows.filter(pk=pk).exists():  # (fails too if the database does)
                    passed.append(pk)
                    yield pk, None
                continue
            if found is not None:
                last = found[:width]
                yield pk, found[width:]


def _after(order: Sequence[str], key: Sequence[Any]) -> Q:
    """The rows after ``key`` in ``order``: a greater first field, or the same and the rest
    after."""
    first, *rest = order
    later = Q(**{f"{first}__gt": key[0]})
    if not rest:
        return later
    return later | (Q(**{first: key[0]}) & _after(rest, key[1:]))
