"""The backend: Django's SQLite one, with a flush that gets past the app's triggers.

SQLite empties tables with ``DELETE``, which the triggers of the consent records and published
versions refuse (PostgreSQL uses ``TRUNCATE``, which fires no row trigger), so Django's test
flush (``TransactionTestCase``, pytest-django's ``transactional_db``, ``live_server``) fails on
them. Here the flush drops those triggers first and creates them again, as they were, in the
same transaction: what the owner of a database can always do. Nothing else differs from
``django.db.backends.sqlite3``; use it in test settings only (``manage.py flush`` on a real
database is refused on purpose).
"""

from __future__ import annotations

from typing import Any

from django.db.backends.sqlite3 import base, operations

__all__ = ["DatabaseWrapper"]


class DatabaseOperations(operations.DatabaseOperations):
    """Django's SQLite operations, with the app's triggers lifted around a flush."""

    def sql_flush(
        self,
        style: Any,
        tables: Any,
        *,
        reset_sequences: bool = False,
        allow_cascade: bool = False,
    ) -> list[str]:
        statements: list[str] = super().sql_flush(
            style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        if not statements:
            return statements
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name LIKE 'cookieconsent\\_%' ESCAPE '\\'"
            )
            triggers = cursor.fetchall()
        return [
            *(f'DROP TRIGGER "{name}"' for name, _sql in triggers),
            *statements,
            *(sql for _name, sql in triggers),
        ]


class DatabaseWrapper(base.DatabaseWrapper):
    """Django's SQLite ``DatabaseWrapper`` with the operations above."""

    ops_class = DatabaseOperations
