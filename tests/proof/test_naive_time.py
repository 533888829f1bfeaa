"""A site with ``USE_TZ = False``: times are naive, in ``TIME_ZONE``, and the proof still
works end to end (record, verify, export, receipt, statistics, purge)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.utils import timezone

from cookieconsent.models import ConsentRecord, CookiePolicy, DailyDecisions, PublishedVersion
from tests.factories import ConsentRecordFactory
from tests.helpers import auditors_script
from tests.proof.test_chain import TABLE, below_the_guard

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("categories")]

CONSENT = "/cookies/consent/"
STATS = "/admin/cookieconsent/dailydecisions/"


@pytest.fixture(autouse=True)
def naive(settings):
    settings.USE_TZ = False
    settings.TIME_ZONE = "Africa/Johannesburg"


def command(name: str, *args: str) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_a_decision_is_recorded_with_a_naive_local_time_and_verifies(client: Client):
    before = dt.datetime.now()
    response = client.post(CONSENT, {"action": "accept_all", "next": "/"})
    assert response.status_code == 302
    record = ConsentRecord.objects.get()
    record.refresh_from_db()
    assert record.created_at.tzinfo is None
    assert before <= record.created_at <= dt.datetime.now()
    assert "The consent log verifies: 1 record (record " in command("cookieconsent_verify")
    since = before.date().isoformat()
    assert "1 record (record " in command("cookieconsent_verify", "--since", since)


def test_an_aware_time_is_refused_before_anything_is_written():
    """As SQLite and MySQL refuse it; PostgreSQL would keep it and give back the local time,
    not the text that was hashed, and the record would never verify."""
    ConsentRecordFactory()
    with pytest.raises(ValueError, match="created_at must be naive when USE_TZ is False"):
        ConsentRecordFactory(created_at=dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC))
    assert ConsentRecord.objects.count() == 1
    assert "The consent log verifies: 1 record " in command("cookieconsent_verify")


def test_export_and_receipt_give_the_recorded_time(client: Client):
    client.post(CONSENT, {"action": "reject_all", "next": "/"})
    record = ConsentRecord.objects.get()
    rows = list(csv.DictReader(io.StringIO(command("cookieconsent_export"))))
    assert [r["consent_id"] for r in rows] == [str(record.consent_id)]
    assert rows[0]["time"].startswith(record.created_at.isoformat(timespec="seconds"))
    receipt = json.loads(command("cookieconsent_export", "--receipt", str(record.consent_id)))
    assert str(record.consent_id) in json.dumps(receipt)


def test_statistics_count_the_days_and_the_purge_keeps_them(
    client: Client, staff: Client, settings
):
    old = ConsentRecordFactory(created_at=dt.datetime(2025, 1, 10, 23, 30), action="accept_all")
    client.post(CONSENT, {"action": "reject_all", "next": "/"})
    assert staff.get(STATS).status_code == 200
    settings.COOKIECONSENT = {"RECORD_RETENTION": dt.timedelta(days=365)}
    output = command("cookieconsent_purge")
    assert "Deleted 1 consent record given" in output
    assert not ConsentRecord.objects.filter(pk=old.pk).exists()
    assert DailyDecisions.objects.get(day=dt.date(2025, 1, 10)).decisions == 1
    assert "The consent log verifies" in command("cookieconsent_verify")


def test_the_purge_takes_a_naive_cutoff_and_refuses_an_aware_one():
    ConsentRecordFactory(created_at=dt.datetime(2025, 1, 10, 12))
    with pytest.raises(ValueError, match="naive datetime when USE_TZ is False"):
        ConsentRecord.objects.purge_older_than(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert ConsentRecord.objects.purge_older_than(dt.datetime(2026, 1, 1)) == 1


def test_publishing_dates_the_version_today(staff: Client):
    policy = CookiePolicy.objects.get(is_current=True)
    assert staff.get(f"/admin/cookieconsent/cookiepolicy/{policy.pk}/publish/").status_code == 200
    command("cookieconsent_publish", "--reconsent")
    newest = PublishedVersion.objects.order_by("-number").first()
    assert newest is not None and newest.number == 2
    assert newest.last_updated == dt.datetime.now().date()


def test_the_admin_export_is_named_by_the_local_time(client: Client, staff: Client):
    client.post(CONSENT, {"action": "accept_all", "next": "/"})
    response = staff.get("/admin/cookieconsent/consentrecord/export/", {"format": "csv"})
    assert response.status_code == 200
    stamp = dt.datetime.now().strftime("%Y%m%d-")
    assert f'filename="consent-records-{stamp}' in response["Content-Disposition"]
    assert (
        str(ConsentRecord.objects.get().consent_id) in b"".join(response.streaming_content).decode()
    )


def test_the_auditors_script_verifies_an_export_of_naive_times(client: Client, tmp_path):
    client.post(CONSENT, {"action": "accept_all", "next": "/"})
    ConsentRecordFactory(created_at=dt.datetime(2026, 3, 1, 12, 0, 0), user_agent="Tëst")
    path = tmp_path / "consent.jsonl"
    command("cookieconsent_export", "--format", "jsonl", "-o", str(path))
    times = [json.loads(line)["time"] for line in path.read_text(encoding="utf-8").splitlines()]
    assert times[0] == "2026-03-01T12:00:00"  # no offset: the site keeps none
    (tmp_path / "check.py").write_text(auditors_script(), encoding="utf-8")
    ran = subprocess.run(
        [sys.executable, "check.py"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0, ran.stderr


def auditor_verifies(tmp_path) -> None:
    """The auditor's script in docs/proof.md verifies an export of the whole log."""
    command("cookieconsent_export", "--format", "jsonl", "-o", str(tmp_path / "consent.jsonl"))
    (tmp_path / "check.py").write_text(auditors_script(), encoding="utf-8")
    ran = subprocess.run(
        [sys.executable, "check.py"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0, ran.stderr


def receipt_time(record: ConsentRecord) -> str:
    receipt = json.loads(command("cookieconsent_export", "--receipt", str(record.consent_id)))
    return str(receipt["recordTimestamp"])


def test_records_written_without_use_tz_verify_after_turning_it_on(
    client: Client, settings, tmp_path
):
    """Their hashes took the naive local time: verify, the export and the receipt read it so."""
    client.post(CONSENT, {"action": "accept_all", "next": "/"})
    record = ConsentRecordFactory(created_at=dt.datetime(2026, 3, 1, 12))
    settings.USE_TZ = True
    ConsentRecordFactory()  # hashed in UTC
    assert "The consent log verifies: 3 records " in command("cookieconsent_verify")
    assert receipt_time(record) == "2026-03-01T12:00:00.000000"
    auditor_verifies(tmp_path)


def test_records_written_with_use_tz_verify_after_turning_it_off(settings, tmp_path):
    settings.USE_TZ = True
    record = ConsentRecordFactory(created_at=dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC))
    ConsentRecordFactory()
    settings.USE_TZ = False
    ConsentRecordFactory()  # hashed in local time
    assert "The consent log verifies: 3 records " in command("cookieconsent_verify")
    assert receipt_time(record) == "2026-03-01T10:00:00.000000Z"
    auditor_verifies(tmp_path)


def _move(record: ConsentRecord, hours: int) -> None:
    """Change ``record``'s time below the guard by ``hours``."""
    moved = {"sqlite": "datetime(created_at, %s)", "postgresql": "created_at + %s::interval"}
    if connection.vendor not in moved:
        pytest.skip("SQLite and PostgreSQL only")
    sql = f"UPDATE {TABLE} SET created_at = {moved[connection.vendor]} WHERE id = %s"
    below_the_guard(sql, [f"{hours:+d} hours", record.pk])


@pytest.mark.parametrize("hours", [-2, 2, 1])
@pytest.mark.parametrize("written", [False, True], ids=["naive", "aware"])
def test_a_time_changed_after_use_tz_was_switched_is_still_named(settings, written, hours):
    """Reading a time as it was hashed under the other setting is no leeway: one moved by the
    zone's offset (Johannesburg is UTC+2) or by an hour is named as changed."""
    settings.USE_TZ = written
    given = dt.datetime(2026, 3, 1, 12)
    target = ConsentRecordFactory(created_at=timezone.make_aware(given) if written else given)
    ConsentRecordFactory()
    settings.USE_TZ = not written
    assert "The consent log verifies: 2 records " in command("cookieconsent_verify")
    _move(target, hours)
    with pytest.raises(CommandError, match=f"record {target.pk} .*content does not match"):
        command("cookieconsent_verify")


def test_a_time_the_clocks_went_through_twice_verifies_after_turning_use_tz_off(settings):
    """PostgreSQL gives back both instants of 02:30 on the night the clocks go back as the same
    naive time: either is the time this site reads."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL keeps the instant; SQLite keeps the time as written")
    settings.USE_TZ, settings.TIME_ZONE = True, "Europe/Amsterdam"
    for minutes in (30, 90):  # 02:30 summer time, then 02:30 winter time
        ConsentRecordFactory(
            created_at=dt.datetime(2025, 10, 26, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes)
        )
    settings.USE_TZ = False
    assert {r.created_at for r in ConsentRecord.objects.all()} == {dt.datetime(2025, 10, 26, 2, 30)}
    assert "The consent log verifies: 2 records " in command("cookieconsent_verify")
