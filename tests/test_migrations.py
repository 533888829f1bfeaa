"""Data migrations: what an upgrade does to a site's existing rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from cookieconsent.models import CountedDay

BEFORE = [("cookieconsent", "0007_snapshot_categories")]
AFTER = [("cookieconsent", "0008_counted_days")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_upgrading_marks_the_days_counted_at_write_time_as_counted():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("cookieconsent", "DailyDecisions")
    today = timezone.localdate()
    for day in (today - dt.timedelta(days=3), today - dt.timedelta(days=1), today):
        old.objects.create(day=day, action="accept_all", policy_version=1, decisions=2)
    try:
        MigrationExecutor(connection).migrate(AFTER)
        # Complete up to yesterday; today is counted again once it is over.
        assert list(CountedDay.objects.values_list("day", flat=True)) == [
            today - dt.timedelta(days=3),
            today - dt.timedelta(days=1),
        ]
    finally:
        migrate_to_the_latest()


def migrate_to_the_latest() -> None:
    """Back to the latest migrations, for the tests after: their triggers too."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
