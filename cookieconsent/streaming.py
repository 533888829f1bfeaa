"""Reading a large query with memory flat, on every database Django ships a backend for.

``QuerySet.iterator()`` streams on PostgreSQL (a server-side cursor) and SQLite, but Django's
MySQL driver takes in a query's whole result (MySQL and MariaDB). There the rows are read a
page per query instead, each page after the last row of the one before in the query's order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connections
from django.db.models import Q, QuerySet


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


def _after(order: Sequence[str], key: Sequence[Any]) -> Q:
    """The rows after ``key`` in ``order``: a greater first field, or the same and the rest
    after."""
    first, *rest = order
    later = Q(**{f"{first}__gt": key[0]})
    if not rest:
        return later
    return later | (Q(**{first: key[0]}) & _after(rest, key[1:]))
