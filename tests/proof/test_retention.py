"""Retention: ``cookieconsent_purge`` deletes old records and keeps the daily counts."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import timezone

from cookieconsent.console import stats
from cookieconsent.models import ConsentRecord, DailyCategoryChoices, DailyDecisions
from tests.factories import ConsentRecordFactory
from tests.helpers import check_error_codes

pytestmark = pytest.mark.django_db

YEAR = dt.timedelta(days=365)


def purge(*args: str) -> str:
    out = io.StringIO()
    call_command("cookieconsent_purge", *args, stdout=out)
    return out.getvalue()


def record(age: dt.timedelta, **fields: object) -> ConsentRecord:
    """A record given ``age`` ago (counted once its day is over: ``stats.roll_up()``)."""
    made: ConsentRecord = ConsentRecordFactory(created_at=timezone.now() - age, **fields)
    return made


def test_without_retention_the_purge_refuses_clearly():
    with pytest.raises(CommandError, match="RECORD_RETENTION'] is not set"):
        purge()


def test_the_command_exits_non_zero_without_retention(capsys):
    with pytest.raises(SystemExit) as exit_:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["manage.py", "cookieconsent_purge"])
    assert exit_.value.code == 1
    assert "is not set" in capsys.readouterr().err


@override_settings(COOKIECONSENT={"RECORD_RETENTION": YEAR})
def test_purge_deletes_old_records_and_keeps_the_counts():
    old = [record(YEAR + dt.timedelta(days=d), granted=["analytics"]) for d in (3, 3, 40)]
    young = record(YEAR - dt.timedelta(days=1))
    assert not DailyDecisions.objects.exists()  # the endpoint writes the record only
    assert stats.roll_up() == sorted({stats.local_day(r.created_at) for r in [*old, young]})
    before = set(DailyDecisions.objects.values_list("day", "action", "decisions"))
    output = purge()
    assert "Deleted 3 consent records given before" in output
    first, last = stats.local_day(old[2].created_at), stats.local_day(old[0].created_at)
    assert f" ({first} to {last}).\n" in output  # the days the deleted records were given
    assert "Kept 1 consent record given since then." in output
    assert "Kept the daily counts: 4 decisions over 3 days" in output
    assert list(ConsentRecord.objects.all()) == [young]
    assert set(DailyDecisions.objects.values_list("day", "action", "decisions")) == before
    assert sum(DailyCategoryChoices.objects.values_list("granted", flat=True)) == 3
    assert all(o.pk not in ConsentRecord.objects.values_list("pk", flat=True) for o in old)


@override_settings(COOKIECONSENT={"RECORD_RETENTION": int(YEAR.total_seconds())})
def test_dry_run_deletes_nothing_and_seconds_work_too():
    record(YEAR + dt.timedelta(days=2))
    record(dt.timedelta(days=1))
    output = purge("--dry-run")
    assert "Would delete 1 consent record given before" in output
    assert ConsentRecord.objects.count() == 2


@override_settings(COOKIECONSENT={"RECORD_RETENTION": YEAR})
def test_records_the_counts_never_saw_are_counted_before_they_go():
    record(YEAR + dt.timedelta(days=2), action="accept_all")
    stats.roll_up()  # counts the days up to that one
    # Then a record of an earlier day arrives: a bulk import, say.
    ConsentRecordFactory(
        created_at=timezone.now() - YEAR - dt.timedelta(days=5),
        action="custom",
        granted=["functional"],
        refused=["analytics"],
    )
    counts = set(DailyDecisions.objects.values_list("day", "action", "decisions"))
    output = purge("--dry-run")
    assert "Would count 1 day whose records the daily counts had not seen" in output
    # A dry run changes nothing: not the counts either.
    assert set(DailyDecisions.objects.values_list("day", "action", "decisions")) == counts
    assert not DailyCategoryChoices.objects.filter(category="functional").exists()
    output = purge()
    assert "Counted 1 day whose records the daily counts had not seen" in output
    assert ConsentRecord.objects.count() == 0
    assert sorted(DailyDecisions.objects.values_list("action", "decisions")) == [
        ("accept_all", 1),
        ("custom", 1),
    ]
    choices = DailyCategoryChoices.objects.values_list("category", "granted", "refused")
    assert sorted(choices) == [("analytics", 0, 1), ("functional", 1, 0)]
    assert str(DailyCategoryChoices.objects.order_by("category").first()).endswith(
        "analytics: +0 -1"
    )
    assert str(DailyDecisions.objects.get(action="custom")).endswith("custom v1: 1")


@override_settings(COOKIECONSENT={"RECORD_RETENTION": YEAR})
def test_a_day_cut_by_the_cutoff_keeps_its_whole_count_on_the_next_run():
    now = timezone.now()
    cutoff = now - YEAR
    record(YEAR + dt.timedelta(seconds=1))
    record(YEAR - dt.timedelta(seconds=1))
    from cookieconsent.proof import retention

    dry = retention.purge(dry_run=True, now=now)
    assert dry.deleted == 1 and ConsentRecord.objects.count() == 2
    report = retention.purge(now=now)
    assert report.deleted == 1 and report.kept == 1  # the day's record after the cutoff stays
    day = timezone.localdate(cutoff)
    counted_before = stats.counted(day)
    retention.purge(now=now + dt.timedelta(seconds=5))
    assert stats.counted(day) == counted_before  # never counted down from what is left
    assert ConsentRecord.objects.count() == 0


@override_settings(COOKIECONSENT={"RECORD_RETENTION": YEAR})
def test_a_record_given_exactly_at_the_cutoff_is_kept_and_said_kept():
    from cookieconsent.proof import retention

    now = timezone.now()
    at_cutoff = ConsentRecordFactory(created_at=now - YEAR)
    report = retention.purge(now=now)
    assert (report.deleted, report.kept) == (0, 1)
    assert list(ConsentRecord.objects.all()) == [at_cutoff]


def test_retention_settings_are_checked():
    assert check_error_codes({"RECORD_RETENTION": dt.timedelta(days=30)}) == []
    assert check_error_codes({"RECORD_RETENTION": 86400}) == []
    assert check_error_codes({"RECORD_RETENTION": "3 years"}) == ["cookieconsent.E003"]
    assert check_error_codes({"RECORD_RETENTION": dt.timedelta(0)}) == ["cookieconsent.E040"]
    assert check_error_codes({"RECORD_RETENTION": -5}) == ["cookieconsent.E040"]
    assert check_error_codes({"UNDECLARED_COOKIES_LIMIT": -1}) == ["cookieconsent.E041"]
    assert check_error_codes({"UNDECLARED_COOKIES_LIMIT": 0}) == []  # records no name
    # Under a day the purge would reach today, which is counted only once it is over.
    assert check_error_codes({"RECORD_RETENTION": dt.timedelta(hours=12)}) == ["cookieconsent.E042"]
    assert check_error_codes({"RECORD_RETENTION": 86399}) == ["cookieconsent.E042"]
    assert check_error_codes({"SCANNER_BROWSER": 3}) == ["cookieconsent.E003"]


@override_settings(COOKIECONSENT={"RECORD_RETENTION": dt.timedelta(hours=1)})
def test_a_retention_under_a_day_never_counts_or_purges_a_day_that_is_not_over():
    """Past the check (E042), the purge still leaves today alone: counted early and marked
    counted, today's later decisions would never reach the statistics."""
    from cookieconsent.proof import retention

    today = timezone.localdate()
    noon = timezone.make_aware(dt.datetime.combine(today, dt.time(12)))
    ConsentRecordFactory(created_at=noon - dt.timedelta(hours=2), action="accept_all")
    ConsentRecordFactory(created_at=noon - dt.timedelta(minutes=30), action="reject_all")
    report = retention.purge(now=noon)
    assert report.deleted == 0 and report.recounted == []
    assert stats.last_counted() is None or stats.last_counted() < today
    ConsentRecordFactory(created_at=noon + dt.timedelta(minutes=5), action="custom")
    figures = stats.statistics(stats.Period(today, today))
    assert figures.totals == {"accept_all": 1, "reject_all": 1, "custom": 1}


@override_settings(COOKIECONSENT={"RECORD_RETENTION": YEAR})
def test_the_purge_reports_each_day_as_it_goes():
    from cookieconsent.proof import retention

    record(YEAR + dt.timedelta(days=10))
    record(YEAR + dt.timedelta(days=10))
    record(YEAR + dt.timedelta(days=2))
    days: list[tuple[dt.date, int]] = []
    report = retention.purge(on_day=lambda day, n: days.append((day, n)))
    assert [n for _, n in days] == [2, 1]
    assert [day for day, _ in days] == report.days


@override_settings(COOKIECONSENT={"RECORD_RETENTION": YEAR})
def test_a_decision_recorded_while_the_purge_runs_is_kept_and_counted(client, categories):
    from cookieconsent.proof import retention

    record(YEAR + dt.timedelta(days=10))
    record(YEAR + dt.timedelta(days=2))

    def consent_post_arrives(day: dt.date, n: int) -> None:
        response = client.post("/cookies/consent/", {"action": "accept_all"})
        assert response.status_code == 302

    report = retention.purge(on_day=consent_post_arrives)
    assert report.deleted == 2
    assert report.kept == 2  # the two decisions taken between the days of the purge
    today = timezone.localdate()
    assert stats.counted(today) == 0  # today is counted once it is over
    assert stats.statistics(stats.Period(today, today)).total == 2  # from its records


def test_the_count_command_says_one_day_in_the_singular():
    record(dt.timedelta(days=2))
    out = io.StringIO()
    call_command("cookieconsent_count", stdout=out)
    day = stats.local_day(timezone.now() - dt.timedelta(days=2))
    assert out.getvalue().strip() == f"Counted 1 day ({day})."


def test_the_count_command_names_the_first_and_last_day_of_many():
    for days in (4, 3, 2):
        record(dt.timedelta(days=days))
    out = io.StringIO()
    call_command("cookieconsent_count", stdout=out)
    four, two = (stats.local_day(timezone.now() - dt.timedelta(days=d)) for d in (4, 2))
    assert out.getvalue().strip() == f"Counted 3 days ({four} to {two})."


def test_the_count_command_counts_the_days_that_are_over_once():
    record(dt.timedelta(days=3), action="accept_all")
    record(dt.timedelta(days=2), action="reject_all")
    record(dt.timedelta(seconds=0))  # today: not over
    out = io.StringIO()
    call_command("cookieconsent_count", stdout=out)
    three, two = (stats.local_day(timezone.now() - dt.timedelta(days=d)) for d in (3, 2))
    assert out.getvalue().strip() == f"Counted 2 days ({three} to {two})."
    assert sorted(DailyDecisions.objects.values_list("action", "decisions")) == [
        ("accept_all", 1),
        ("reject_all", 1),
    ]
    out = io.StringIO()
    call_command("cookieconsent_count", stdout=out)
    assert out.getvalue().strip() == "Every day that is over is counted already."
