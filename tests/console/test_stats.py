"""Counting the daily statistics (``console.stats``): which days are over, and on which day
each record counts."""

from __future__ import annotations

import datetime as dt
import functools
import signal

import pytest
from django.test import override_settings
from django.utils import timezone, translation

from cookieconsent.console import stats
from cookieconsent.models import (
    Action,
    Cookie,
    CookieCategory,
    DailyCategoryChoices,
    DailyDecisions,
)
from tests.factories import ConsentRecordFactory
from tests.helpers import publish_draft

pytestmark = pytest.mark.django_db


def test_a_day_that_just_ended_waits_a_little(categories):
    ConsentRecordFactory()
    today = timezone.localdate()
    midnight = stats.day_bounds(today)[1]
    assert stats.roll_up(midnight + stats.SETTLE / 2) == []  # a POST may be on its way
    assert stats.roll_up(midnight + stats.SETTLE) == [today]


@override_settings(TIME_ZONE="America/St_Johns")
def test_a_day_whose_last_hour_came_twice_is_counted_and_so_is_the_next(categories):
    """St John's set its clocks back from 00:01 to 23:01 until 2010: the hour before midnight
    came twice, so a record after the day's end can read as that day. Counting goes on to the
    next day (it counted that one day again for ever), and every record is counted once."""
    at = functools.partial(dt.datetime, 2010, 11, 7, tzinfo=dt.UTC)
    ConsentRecordFactory(created_at=at(2, 0))  # 6 November, 23:30, before the change
    ConsentRecordFactory(created_at=at(2, 45))  # 6 November, 23:15, the second time round
    ConsentRecordFactory(created_at=at(12, 0))  # 7 November, 08:30
    assert stats.local_day(at(2, 45)) == dt.date(2010, 11, 6)
    # Were it to loop again, the alarm ends it as a failure instead of holding up the suite.
    previous = signal.signal(signal.SIGALRM, _too_long)
    signal.alarm(20)
    try:
        done = stats.roll_up(dt.datetime(2010, 11, 10, tzinfo=dt.UTC))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert done == [dt.date(2010, 11, 6), dt.date(2010, 11, 7)]
    assert sum(stats.counted(day) for day in done) == 3
    assert stats.roll_up(dt.datetime(2010, 11, 10, tzinfo=dt.UTC)) == []


def test_a_decision_counts_on_the_sites_day_not_utcs(categories):
    """Half past midnight in Johannesburg (the tests' TIME_ZONE) is 22:30 UTC the day before."""
    day = dt.date(2026, 3, 10)
    just_after_midnight = timezone.make_aware(dt.datetime(2026, 3, 10, 0, 30))
    ConsentRecordFactory(created_at=just_after_midnight, action=Action.ACCEPT_ALL)
    stats.recount_day(day)
    counts = DailyDecisions.objects.values_list("day", "action", "decisions")
    assert list(counts) == [(day, "accept_all", 1)]


def test_a_day_counted_again_replaces_its_counts(categories):
    """A record imported into a counted day: counting the day again counts each record once."""
    day = dt.date(2026, 3, 10)
    noon = timezone.make_aware(dt.datetime(2026, 3, 10, 12, 0))
    ConsentRecordFactory.create_batch(2, created_at=noon, action=Action.REJECT_ALL)
    stats.recount_day(day)
    assert stats.counted(day) == 2
    ConsentRecordFactory(created_at=noon, action=Action.REJECT_ALL, refused=["analytics"])
    stats.recount_day(day)
    assert stats.counted(day) == 3
    choices = DailyCategoryChoices.objects.values_list("category", "granted", "refused")
    assert list(choices) == [("analytics", 0, 1)]


# -- the opt-in rates ---------------------------------------------------------------------------


def rates() -> dict[str, tuple[str, int, int, float | None, bool]]:
    """The opt-in rates of the last seven days, by slug: name, granted, refused, rate and
    whether the version in force offers the category."""
    today = timezone.localdate()
    figures = stats.statistics(stats.Period(today - dt.timedelta(days=6), today))
    return {
        r.slug: (r.name, r.granted, r.refused, r.rate, r.offered)
        for r in stats.category_rates(figures)
    }


def decide(version: int, granted: list[str], refused: list[str], days_ago: int = 0) -> None:
    ConsentRecordFactory(
        policy_version=version,
        granted=granted,
        refused=refused,
        action=Action.CUSTOM,
        created_at=timezone.now() - dt.timedelta(days=days_ago),
    )


def test_the_rates_are_of_the_published_categories_not_the_drafts(categories):
    decide(1, ["analytics"], ["functional"], days_ago=1)  # a day counted already
    decide(1, ["analytics", "functional"], [])  # today, from the records
    expected = {
        "functional": ("Functional", 1, 1, 0.5, True),
        "analytics": ("Analytics", 2, 0, 1.0, True),
    }
    assert rates() == expected
    # The draft: Analytics deleted, Functional renamed and made strictly necessary, a new
    # category. Visitors are offered what they were; so are the rates.
    Cookie.objects.filter(category__slug="analytics").delete()
    CookieCategory.objects.filter(slug="analytics").delete()
    CookieCategory.objects.filter(slug="functional").update(name="Comfort", required=True)
    CookieCategory.objects.create(slug="marketing", name="Marketing", order=9)
    assert rates() == expected
    assert list(rates()) == ["functional", "analytics"]  # in the published order


def test_a_category_offered_now_has_a_rate_of_the_decisions_that_offered_it(categories):
    decide(1, ["analytics"], ["functional"])
    CookieCategory.objects.create(slug="marketing", name="Marketing", order=9)
    publish_draft()
    assert rates()["marketing"] == ("Marketing", 0, 0, None, True)  # no decision yet
    decide(2, ["marketing"], ["analytics", "functional"])
    decide(2, [], ["analytics", "functional", "marketing"])
    # Out of the two decisions that offered it, not the three of the period.
    assert rates()["marketing"] == ("Marketing", 1, 1, 0.5, True)
    assert rates()["analytics"] == ("Analytics", 1, 2, 1 / 3, True)


def test_a_category_no_longer_offered_keeps_its_rate_and_its_last_offered_name(categories):
    decide(1, ["analytics"], ["functional"], days_ago=1)
    CookieCategory.objects.filter(slug="analytics").update(name="Measurement")
    publish_draft()
    decide(2, [], ["analytics", "functional"])
    Cookie.objects.filter(category__slug="analytics").delete()
    CookieCategory.objects.filter(slug="analytics").delete()
    publish_draft()
    decide(3, ["functional"], [])
    assert rates() == {
        "functional": ("Functional", 1, 2, 1 / 3, True),
        "analytics": ("Measurement", 1, 1, 0.5, False),
    }


def test_the_rates_name_the_categories_in_the_active_language(categories):
    decide(1, ["analytics"], ["functional"], days_ago=1)
    analytics = categories["analytics"]
    analytics.translations = {"af": {"name": "Analise", "purpose": "Tel besoeke."}}
    analytics.save()
    publish_draft()
    decide(2, [], ["analytics", "functional"])
    functional = categories["functional"]
    functional.translations = {"af": {"name": "Funksioneel", "purpose": ""}}
    functional.save()
    Cookie.objects.filter(category__slug="analytics").delete()
    CookieCategory.objects.filter(slug="analytics").delete()
    publish_draft()
    with translation.override("af"):
        assert rates() == {
            "functional": ("Funksioneel", 0, 2, 0.0, True),
            "analytics": ("Analise", 1, 1, 0.5, False),
        }
    assert rates()["functional"][0] == "Functional"


def _too_long(signum: int, frame: object) -> None:
    raise TimeoutError("roll_up() did not end")
