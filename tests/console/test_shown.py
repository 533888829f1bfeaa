"""Banners shown: counted in memory on the page view, written in batches, one statement each."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cookieconsent.conf import reset_caches
from cookieconsent.console import shown
from cookieconsent.console.shown import ShownCounter
from cookieconsent.models import BannersShown, CookieCategory
from cookieconsent.testing import CONSENT_COOKIE, consent_cookie

pytestmark = pytest.mark.django_db
#: Tests whose transactions really commit, as a site's do: a batch is written once the
#: transaction it falls due in commits. serialized_rollback restores the seed data after the
#: flush.
committing = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def table() -> dict[dt.date, int]:
    return dict(BannersShown.objects.values_list("day", "shown"))


def writes(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "bannersshown" in q["sql"].lower()]


def test_counting_writes_nothing_until_the_batch_is_full():
    counter = ShownCounter(every=100)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(99):
            counter.count()
    assert queries.captured_queries == []
    assert counter.pending() == {timezone.localdate(): 99}
    assert table() == {}


@committing
def test_a_full_batch_is_one_write_that_adds_to_the_day():
    today = timezone.localdate()
    BannersShown.objects.create(day=today, shown=5)
    counter = ShownCounter(every=10)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(25):
            counter.count()
    assert len(writes(queries)) == 2  # two full batches of 10, one statement each
    assert table() == {today: 25}
    assert counter.pending() == {today: 5}
    counter.flush()
    assert table() == {today: 30}
    assert counter.pending() == {}


@committing
def test_a_batch_is_also_written_when_it_is_due():
    now = [0.0]
    counter = ShownCounter(every=1000, after=60.0, clock=lambda: now[0])
    counter.count()
    assert table() == {}
    now[0] = 61.0
    counter.count()
    assert table() == {timezone.localdate(): 2}


def test_several_days_in_one_statement():
    days = {dt.date(2026, 3, 1): 4, dt.date(2026, 3, 2): 7}
    with CaptureQueriesContext(connection) as queries:
        shown.add_to_table(days)
    assert len(writes(queries)) == 1
    assert table() == days


@committing
def test_threads_lose_no_count():
    batches: list[int] = []
    counter = ShownCounter(every=50, write=lambda counts: batches.append(sum(counts.values())))

    def work() -> None:
        for _ in range(1000):
            counter.count()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counter.flush()
    assert sum(batches) == 4000


@committing
def test_a_failed_write_keeps_the_counts_for_the_next():
    def refuse(counts: object) -> None:
        raise RuntimeError("the database is away")

    counter = ShownCounter(every=1000, write=refuse)
    counter.count()
    counter.flush()
    assert counter.pending() == {timezone.localdate(): 1}


@committing
def test_a_batch_due_in_a_transaction_is_written_once_it_commits():
    today = timezone.localdate()
    counter = ShownCounter(every=10)
    with transaction.atomic():  # ATOMIC_REQUESTS, or a view's own atomic block
        for _ in range(10):
            counter.count()
        assert table() == {}  # not written in the view's transaction
    assert table() == {today: 10}
    assert counter.pending() == {}


@committing
def test_a_batch_due_in_a_transaction_that_rolls_back_is_kept():
    """The banners were shown whatever the view did afterwards."""
    today = timezone.localdate()
    counter = ShownCounter(every=10)
    with pytest.raises(RuntimeError), transaction.atomic():
        for _ in range(10):
            counter.count()
        raise RuntimeError("the view fails after rendering")
    assert table() == {}
    assert counter.pending() == {today: 10}
    counter.flush()
    assert table() == {today: 10}


@committing
def test_a_failed_write_leaves_the_view_transaction_usable():
    """On PostgreSQL a failed statement aborts the transaction it runs in: the page's."""

    def broken(counts: object) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")

    counter = ShownCounter(every=1, write=broken)
    with transaction.atomic():
        counter.count()
        assert CookieCategory.objects.count() >= 0  # the view goes on querying
    assert counter.pending() == {timezone.localdate(): 1}


@committing
def test_with_autocommit_off_a_batch_is_written_at_once():
    """Django cannot wait for a commit it does not manage: the batch joins the transaction."""
    counter = ShownCounter(every=1)
    transaction.set_autocommit(False)
    try:
        counter.count()
        transaction.commit()
    finally:
        transaction.set_autocommit(True)
    assert table() == {timezone.localdate(): 1}


def test_reset_caches_keeps_the_banners_counted():
    """docs/registry.md has sites call it after raw SQL; a watched setting changing calls it."""
    today = timezone.localdate()
    for _ in range(3):
        shown.count()
    reset_caches()
    with override_settings(SECRET_KEY="another"):  # a watched setting
        shown.count()
    assert shown.counter.pending() == {today: 4}


def test_counting_in_an_event_loop_leaves_the_write_for_later():
    import asyncio

    counter = ShownCounter(every=1)

    async def page_view() -> None:
        counter.count()

    asyncio.run(page_view())
    assert table() == {}
    assert counter.pending() == {timezone.localdate(): 1}


# -- where a banner is counted: the banner tag, for an undecided visitor ---------------------------


def test_the_banner_tag_counts_an_undecided_visitor(client, categories):
    client.get("/t/")
    client.get("/t/")
    assert shown.counter.pending() == {timezone.localdate(): 2}


def test_a_decided_visitor_is_not_counted(client, categories):
    client.cookies[CONSENT_COOKIE] = consent_cookie(())
    client.get("/t/")
    assert shown.counter.pending() == {}


def test_nothing_is_counted_in_cache_safe_mode(client, categories, settings):
    settings.COOKIECONSENT = {"CACHE_SAFE": True}
    assert 'id="cookieconsent-banner"' in client.get("/t/").content.decode()
    assert shown.counter.pending() == {}
