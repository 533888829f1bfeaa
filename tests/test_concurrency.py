"""Two processes at once: the same day counted twice, the policy published twice. Each test
holds one transaction open in the test's thread and runs the other in a second thread with a
connection of its own, which waits for the first."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection
from django.utils import timezone

from cookieconsent import stats
from cookieconsent.models import CountedDay, DailyDecisions
from tests.factories import ConsentRecordFactory

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite in memory (the suite's) is one writer's, no row locks",
)


class Other(threading.Thread):
    """``work`` in a thread with its own database connection; what it raised, if anything."""

    def __init__(self, work: Callable[[], object]) -> None:
        super().__init__(daemon=True)
        self.work = work
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.work()
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            connection.close()


def wait_until_waiting(timeout: float = 10) -> None:
    """Until another connection waits for a lock this one holds (PostgreSQL)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # pg_locks, not pg_stat_activity: that is read once per transaction.
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the other connection never waited for this one")


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_recounts_of_the_same_day_take_turns():
    from django.db import transaction

    day = timezone.localdate() - dt.timedelta(days=2)
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    for action in ("accept_all", "accept_all", "reject_all"):
        ConsentRecordFactory(created_at=moment, action=action)
    other = Other(lambda: stats.recount_day(day))
    with transaction.atomic():
        stats.recount_day(day)
        other.start()
        wait_until_waiting()
    other.join(10)
    assert other.error is None, other.error
    assert sorted(DailyDecisions.objects.values_list("action", "decisions")) == [
        ("accept_all", 2),
        ("reject_all", 1),
    ]
    assert list(CountedDay.objects.values_list("day", flat=True)) == [day]
