"""The migrations: one initial schema, then the append-only triggers, which reverse and
reapply cleanly."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.helpers import needs_triggers

SCHEMA = [("cookieconsent", "0001_initial")]


def triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name LIKE 'cookieconsent%'"
            )
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                "AND tgrelid::regclass::text LIKE 'cookieconsent%'"
            )
        return {name for (name,) in cursor.fetchall()}


@needs_triggers
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_triggers_reverse_and_reapply():
    installed = triggers()
    assert "cookieconsent_consentrecord_no_replace" in installed or (
        "cookieconsent_consentrecord_append_only" in installed
    )
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(SCHEMA)
        assert triggers() == set()
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert triggers() == installed
