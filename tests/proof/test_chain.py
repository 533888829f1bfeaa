"""The consent log as a hash chain: every record carries the hash of its content and of the
record before it; ``cookieconsent_verify`` finds a record rewritten below the database's
guard, a record removed, and the newest records removed; the purge leaves the rest
verifiable."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import threading
import uuid
import zoneinfo
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, connections, transaction
from django.db.models.expressions import RawSQL
from django.test import override_settings
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from cookieconsent.models import ChainCheckpoint, ChainHead, ConsentRecord
from cookieconsent.models.chain import GENESIS, HASHED, append, canonical
from cookieconsent.proof import chain as proof_chain
from cookieconsent.proof import export
from tests.factories import ConsentRecordFactory
from tests.helpers import needs_triggers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("categories")]

CONSENT = "/cookies/consent/"
TABLE = ConsentRecord._meta.db_table


def verify(*args: str) -> str:
    out = io.StringIO()
    call_command("cookieconsent_verify", *args, stdout=out)
    return out.getvalue()


def broken(*args: str) -> CommandError:
    with pytest.raises(CommandError) as caught:
        verify(*args)
    return caught.value


def assert_breaks_at(pk: int | None, consent_id: object, reason: str) -> None:
    """``cookieconsent_verify`` exits 1, naming record ``pk`` by its consent ID, and why."""
    error = broken()
    assert error.returncode == 1
    assert f"record {pk} (consent ID {consent_id})" in str(error)
    assert reason in str(error)


def below_the_guard(sql: str, params: list[object]) -> None:
    """Run ``sql`` as someone who dropped the append-only triggers first. The test's
    transaction takes both back."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in ("no_update", "no_delete"):
                cursor.execute(f"DROP TRIGGER {TABLE}_{name}")
        elif connection.vendor == "postgresql":
            # The foreign keys' deferred checks first: a table with pending ones is not altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"DROP TRIGGER {TABLE}_append_only ON {TABLE}")
        cursor.execute(sql, params)


def unquoted(cell: str) -> str:
    """A CSV cell's value, as docs/console.md tells a program to read it: a cell that begins
    with ``'`` loses that first ``'``, and only that one."""
    return cell[1:] if cell.startswith("'") else cell


def auditors_hash(cells: dict[str, str], prev: str) -> str:
    """The hash as docs/proof.md tells an auditor to compute it from a CSV export, with
    nothing but the standard library."""
    row = {name: unquoted(cell) for name, cell in cells.items()}
    given = row["time"].removesuffix("+00:00")
    if "." not in given:
        given += ".000000"
    content = {
        "action": row["action"],
        "consent_id": row["consent_id"],
        "created_at": given + ("Z" if row["time"].endswith("+00:00") else ""),
        "granted": row["granted"].split(),
        "ip_hash": row["ip_hash"],
        "language": row["language"],
        "page_url": row["page"],
        "policy_version": int(row["policy_version"]),
        "prev": prev,
        "refused": row["refused"].split(),
        "region": row["region"],
        "regime": row["regime"],
        "snapshot_hash": row["snapshot_hash"],
        "user_agent": row["user_agent"],
        "user_pk": row["user"],
        "v": 1,
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def test_each_decision_links_to_the_one_before(client):
    for action in ("accept_all", "reject_all"):
        client.post(CONSENT, {"action": action}, HTTP_USER_AGENT="Tëst/1.0")
    first, second = ConsentRecord.objects.order_by("pk")
    assert first.chain_prev == GENESIS
    assert second.chain_prev == first.chain_hash
    assert len(second.chain_hash) == 64
    assert ChainHead.objects.get().hash == second.chain_hash


def test_an_auditor_recomputes_every_hash_from_the_export(client, staff):
    client.post(CONSENT, {"action": "custom", "categories": ["functional"]}, HTTP_USER_AGENT="Tëst")
    ConsentRecordFactory(granted=["analytics"], user_pk="7", page_url="/ä?x=1")
    text = "".join(export.stream(ConsentRecord.objects.all(), "csv"))
    rows = list(csv.DictReader(io.StringIO(text)))
    prev = GENESIS
    for row in rows:
        assert row["chain_prev"] == prev
        assert auditors_hash(row, prev) == row["chain_hash"], row
        prev = row["chain_hash"]
    assert len(rows) == 2


def test_an_auditor_recomputes_the_hash_of_cells_the_csv_quoted():
    """Values that begin with a formula's character or with a ``'``, in every text column the
    visitor's browser fills: the documented rule gives each back, and with it the hash."""
    for agent in ("=x", "'=x", "'", "''", "-1", "@a", "a'b"):
        ConsentRecordFactory(user_agent=agent, page_url="'" + agent, granted=["analytics"])
    rows = list(csv.DictReader(io.StringIO("".join(export.stream(ConsentRecord.objects, "csv")))))
    records = ConsentRecord.objects.order_by("created_at", "pk")
    for row, record in zip(rows, records, strict=True):
        assert unquoted(row["user_agent"]) == record.user_agent
        assert unquoted(row["page"]) == record.page_url
        assert auditors_hash(row, record.chain_prev) == record.chain_hash, row


def test_a_time_given_in_another_zone_is_hashed_in_utc():
    """The hash takes ``created_at`` in UTC, as the database gives it back: a record given with
    a local time verifies."""
    given = dt.datetime(2026, 3, 1, 12, tzinfo=zoneinfo.ZoneInfo("Africa/Johannesburg"))
    record = ConsentRecordFactory(created_at=given)
    assert "verifies: 1 record " in verify()
    row = next(csv.DictReader(io.StringIO("".join(export.stream(ConsentRecord.objects, "csv")))))
    assert row["time"] == "2026-03-01T10:00:00+00:00"
    assert auditors_hash(row, GENESIS) == record.chain_hash


def test_verify_passes_an_intact_log(client):
    for action in ("accept_all", "reject_all", "accept_all"):
        client.post(CONSENT, {"action": action})
    said = verify()
    assert "verifies: 3 records" in said
    assert ChainHead.objects.get().hash in said


def test_verify_passes_an_empty_log():
    assert "verifies: 0 records" in verify()


def test_verify_names_a_record_rewritten_below_the_guard(client):
    for action in ("accept_all", "reject_all", "accept_all"):
        client.post(CONSENT, {"action": action})
    target = ConsentRecord.objects.order_by("pk")[1]
    below_the_guard(f"UPDATE {TABLE} SET granted = %s WHERE id = %s", ['["analytics"]', target.pk])
    assert_breaks_at(target.pk, target.consent_id, "content does not match its hash")


def test_verify_names_a_record_whose_hash_was_removed():
    """Its link left as it was: named as a record whose hash was removed, not as one written
    below the ORM (which writes neither) or changed."""
    _first, target, _last = (ConsentRecordFactory() for _ in range(3))
    below_the_guard(f"UPDATE {TABLE} SET chain_hash = NULL WHERE id = %s", [target.pk])
    assert_breaks_at(target.pk, target.consent_id, "its hash was removed after it was written")


def test_verify_names_a_record_whose_link_was_removed():
    _first, target, _last = (ConsentRecordFactory() for _ in range(3))
    below_the_guard(f"UPDATE {TABLE} SET chain_prev = NULL WHERE id = %s", [target.pk])
    assert_breaks_at(target.pk, target.consent_id, "its link to the record before it was removed")


def test_verify_names_a_record_written_below_the_orm():
    _first, target, _last = (ConsentRecordFactory() for _ in range(3))
    below_the_guard(
        f"UPDATE {TABLE} SET chain_prev = NULL, chain_hash = NULL WHERE id = %s", [target.pk]
    )
    assert_breaks_at(target.pk, target.consent_id, "it has no hash: it was written below the ORM")


@pytest.mark.parametrize(
    ("was", "now"),
    [
        (["analytics"], {"analytics": False}),  # a list made an object with the same keys
        ([], ""),  # an empty list made empty text
        (["analytics"], None),  # JSON null
    ],
    ids=["object", "text", "null"],
)
def test_verify_names_a_list_rewritten_as_another_json_type(was, now):
    """Such a value is not coerced back into the list it was, nor a traceback."""
    _first, target, _last = (ConsentRecordFactory(granted=was) for _ in range(3))
    below_the_guard(f"UPDATE {TABLE} SET granted = %s WHERE id = %s", [json.dumps(now), target.pk])
    assert_breaks_at(target.pk, target.consent_id, "content does not match its hash")


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("created_at", "'garbage'"),
        ("created_at", "''"),
        ("created_at", "'2026-13-45 00:00:00'"),
        ("policy_version", "'one'"),
        ("policy_version", "1.5"),
        ("consent_id", "'nope'"),
    ],
)
def test_verify_names_a_record_whose_values_sqlite_cannot_give_back(column, value):
    """SQLite keeps any text in any column: a value the ORM cannot read, or reads as another
    type, is named as changed, not a traceback."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's columns refuse such values")
    _first, target, _last = (ConsentRecordFactory() for _ in range(3))
    below_the_guard(f"UPDATE {TABLE} SET {column} = {value} WHERE id = %s", [target.pk])
    named = "nope" if column == "consent_id" else target.consent_id
    assert_breaks_at(target.pk, named, "content does not match its hash")


#: JSON nested deeper than Python's json reads (as deep as SQLite's JSON_VALID still takes).
_DEEP = "[" * 995 + "]" * 995


@pytest.mark.parametrize(
    ("vendor", "column", "value"),
    [
        ("sqlite", "user_agent", "CAST(X'ff' AS TEXT)"),  # not UTF-8: the driver refuses it
        ("sqlite", "chain_prev", "X'00'"),  # bytes where the link was
        ("sqlite", "granted", f"'{_DEEP}'"),
        ("postgresql", "granted", f"'{_DEEP}'"),
        ("postgresql", "created_at", "'infinity'"),  # no datetime gives these
        ("postgresql", "created_at", "'0044-03-15 BC'"),
    ],
    ids=["not-utf8", "bytes", "deep-json", "deep-jsonb", "infinity", "bc"],
)
def test_verify_names_a_record_the_driver_cannot_give_back(vendor, column, value):
    """Values the database keeps but the driver or the ORM cannot give back as they were
    written: named as changed, not a traceback."""
    if connection.vendor != vendor:
        pytest.skip(f"a {vendor} column")
    _first, target, _last = (ConsentRecordFactory() for _ in range(3))
    below_the_guard(f"UPDATE {TABLE} SET {column} = {value} WHERE id = %s", [target.pk])
    assert_breaks_at(target.pk, target.consent_id, "content does not match its hash")


#: Values the ORM cannot read back, as each database keeps them: (column, SQL value, what
#: reading the column as text gives of it, if anything).
UNREADABLE = {
    "sqlite": [
        ("consent_id", "'nope'", "nope"),
        ("user_agent", "CAST(X'ff' AS TEXT)", ""),  # not UTF-8: not even as text
        ("granted", f"'{_DEEP}'", _DEEP),
    ],
    "postgresql": [
        ("created_at", "'infinity'", "infinity"),
        ("created_at", "'0044-03-15 BC'", "0044-03-15 00:00:00+00 BC"),
        ("granted", f"'{_DEEP}'", _DEEP),
    ],
}


def unreadable(case: int) -> tuple[str, str, str]:
    """This database's ``case``-th value the ORM cannot read back (``UNREADABLE``); the test
    is skipped where there is none: MySQL's columns refuse them, and Python 3.12 and later read
    JSON nested as deep as SQLite takes (their C recursion limit is not the interpreter's)."""
    if connection.vendor not in UNREADABLE:
        pytest.skip(f"no value {connection.vendor} keeps is unreadable to the ORM")
    column, value, text = UNREADABLE[connection.vendor][case]
    if text == _DEEP and _python_reads(_DEEP):
        pytest.skip("this Python reads JSON nested this deep")
    return column, value, text


def _python_reads(text: str) -> bool:
    try:
        json.loads(text)
    except RecursionError:
        return False
    return True


def make_unreadable(record: ConsentRecord, case: int) -> tuple[str, str]:
    """Write this database's ``case``-th value the ORM cannot read back into ``record``, below
    the guard: the column it changed, and that column as text."""
    column, value, text = unreadable(case)
    below_the_guard(f"UPDATE {TABLE} SET {column} = {value} WHERE id = %s", [record.pk])
    return column, text


def test_verify_names_a_record_whose_consent_id_is_not_utf8():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's columns refuse such values")
    _first, target, _last = (ConsentRecordFactory() for _ in range(3))
    below_the_guard(
        f"UPDATE {TABLE} SET consent_id = CAST(X'ff' AS TEXT) WHERE id = %s", [target.pk]
    )
    assert_breaks_at(target.pk, "unknown", "content does not match its hash")


def test_verify_names_a_record_beyond_the_head_by_its_consent_id_as_stored():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's columns refuse such values")
    first, stray = ConsentRecordFactory(), ConsentRecordFactory()
    ChainHead.objects.filter(pk=1).update(hash=first.chain_hash, record_pk=first.pk)
    below_the_guard(f"UPDATE {TABLE} SET consent_id = 'nope' WHERE id = %s", [stray.pk])
    assert_breaks_at(stray.pk, "nope", "comes after the chain's head")


def test_verify_names_a_head_sqlite_holds_as_text():
    """SQLite keeps text in the head's integer column: the head was changed."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's columns refuse such values")
    *_, newest = (ConsentRecordFactory() for _ in range(2))
    ChainHead.objects.filter(pk=1).update(record_pk=RawSQL("'abc'", []))
    error = broken()
    assert error.returncode == 1
    assert f"record {newest.pk} (consent ID {newest.consent_id}): the chain has no head" in str(
        error
    )


def test_a_checkpoint_sqlite_holds_as_text_stands_in_for_no_record():
    """A checkpoint whose key or hash is not what the purge writes (text in its integer
    column, bytes for its hash) is not a traceback: it stands in for no record, so the record
    after the one it replaced no longer follows."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's columns refuse such values")
    ConsentRecordFactory(created_at=timezone.now() - timedelta(days=2))
    after = ConsentRecordFactory()
    ConsentRecord.objects.purge_older_than(timezone.now() - timedelta(days=1))
    assert "verifies: 1 record " in verify()
    for column, value in (("record_pk", "'x'"), ("hash", "X'00'")):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {ChainCheckpoint._meta.db_table} SET {column} = {value}")
            assert_breaks_at(after.pk, after.consent_id, "does not follow the record before it")
            transaction.set_rollback(True)


def test_verify_names_the_record_after_one_removed(client):
    for action in ("accept_all", "reject_all", "accept_all"):
        client.post(CONSENT, {"action": action})
    _first, second, third = ConsentRecord.objects.order_by("pk")
    below_the_guard(f"DELETE FROM {TABLE} WHERE id = %s", [second.pk])
    assert_breaks_at(third.pk, third.consent_id, "does not follow the record before it")


def test_verify_finds_the_newest_record_removed(client):
    for action in ("accept_all", "reject_all"):
        client.post(CONSENT, {"action": action})
    newest = ConsentRecord.objects.order_by("pk").last()
    below_the_guard(f"DELETE FROM {TABLE} WHERE id = %s", [newest.pk])
    error = broken()
    assert error.returncode == 1
    assert f"record {newest.pk} (no longer in the log): " in str(error)
    assert "does not end where its head says" in str(error)


def test_verify_names_a_head_whose_record_was_changed():
    """The head's hash left as it was, its record's key moved on past the newest record: the
    chain does not end where the head says."""
    *_, newest = (ConsentRecordFactory() for _ in range(2))
    ChainHead.objects.filter(pk=1).update(record_pk=newest.pk + 1)
    error = broken()
    assert error.returncode == 1
    assert f"record {newest.pk + 1} (no longer in the log): " in str(error)
    assert "does not end where its head says" in str(error)


def test_verify_names_a_record_rewritten_with_its_hash_made_again(client):
    """Whoever recomputes the rewritten record's own hash breaks the next one's link."""
    for action in ("accept_all", "reject_all", "accept_all"):
        client.post(CONSENT, {"action": action})
    _first, second, third = ConsentRecord.objects.order_by("pk")
    from cookieconsent.models.chain import digest, values_of

    second.granted = ["analytics", "functional"]
    forged = digest(values_of(second), second.chain_prev)
    below_the_guard(
        f"UPDATE {TABLE} SET granted = %s, chain_hash = %s WHERE id = %s",
        [json.dumps(second.granted), forged, second.pk],
    )
    error = broken()
    assert f"record {third.pk} (consent ID {third.consent_id})" in str(error)


def test_verify_since_starts_at_that_day(client):
    old = ConsentRecordFactory(created_at=timezone.now() - timedelta(days=10))
    ConsentRecordFactory(created_at=timezone.now() - timedelta(days=9))
    ConsentRecordFactory()
    below_the_guard(f"UPDATE {TABLE} SET action = 'custom' WHERE id = %s", [old.pk])
    assert broken().returncode == 1
    since = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert "verifies: 1 record (record " in verify("--since", since)


@pytest.mark.parametrize("moved", ["one", "every-one-since"])
def test_verify_since_names_a_record_changed_and_moved_back_before_that_day(moved):
    """A record given since the day asked for, changed, its time moved back so that the walk
    would start after it: the record just before the start does not verify (or was given
    since), so the walk starts at the first record."""
    now = timezone.now()
    ConsentRecordFactory(created_at=now - timedelta(days=10))
    target = ConsentRecordFactory(created_at=now)
    ConsentRecordFactory(created_at=now)
    below_the_guard(
        f"UPDATE {TABLE} SET created_at = %s WHERE id {'=' if moved == 'one' else '>='} %s",
        [now - timedelta(days=9), target.pk],
    )
    since = (timezone.localdate() - timedelta(days=1)).isoformat()
    error = broken("--since", since)
    assert error.returncode == 1
    assert f"record {target.pk} (consent ID {target.consent_id}): its content" in str(error)


@pytest.mark.parametrize("given", ["noon", "midnight"])
def test_verify_since_is_not_misled_by_a_time_sqlite_sorts_before_that_day(given):
    """SQLite compares times as text: the same moment written with another offset sorts
    elsewhere, and hashes the same. A record changed and moved back, and the records after it
    given since then written so, would be left out of the walk (also one given at the very
    start: it was not given before it)."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL compares times as times")
    now = timezone.now().replace(hour=12)
    if given == "midnight":
        now = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))
    ConsentRecordFactory(created_at=now - timedelta(days=10))
    target = ConsentRecordFactory(created_at=now)
    after = ConsentRecordFactory(created_at=now)
    ConsentRecordFactory(created_at=now + timedelta(seconds=1))
    below_the_guard(
        f"UPDATE {TABLE} SET created_at = %s, action = 'accept_all' WHERE id = %s",
        [now - timedelta(days=9), target.pk],
    )
    west = after.created_at.astimezone(dt.timezone(-timedelta(hours=23)))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET created_at = %s WHERE id = %s",
            [west.isoformat(" ", "microseconds"), after.pk],
        )
    assert ConsentRecord.objects.get(pk=after.pk).created_at == after.created_at
    since = timezone.localdate(now) if given == "midnight" else now.date()
    error = broken("--since", since.isoformat())
    assert f"record {target.pk} (consent ID {target.consent_id}): its content" in str(error)


def test_verify_since_finds_every_record_since_then_removed():
    """The newest records removed, and with them every record since the day asked for: the
    chain still ends short of its head."""
    ConsentRecordFactory(created_at=timezone.now() - timedelta(days=10))
    newest = ConsentRecordFactory()
    below_the_guard(f"DELETE FROM {TABLE} WHERE id = %s", [newest.pk])
    for since in (timezone.localdate().isoformat(), "9999-12-31"):
        error = broken("--since", since)
        assert error.returncode == 1
        assert f"record {newest.pk}" in str(error)
        assert "does not end where its head says" in str(error)


def test_verify_since_a_day_without_records_passes_an_intact_log():
    ConsentRecordFactory(created_at=timezone.now() - timedelta(days=10))
    ConsentRecordFactory(created_at=timezone.now() - timedelta(days=5))
    for since in ((timezone.localdate() - timedelta(days=7)).isoformat(), "9999-12-31"):
        assert "The consent log verifies" in verify("--since", since)
    assert "verifies: 2 records" in verify("--since", "2000-01-01")


def test_verify_since_starts_at_a_record_given_at_that_very_moment():
    """A record given at midnight of the day asked for is the first walked, not the record
    before the start that the walk trusts."""
    midnight = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))
    ConsentRecordFactory(created_at=midnight - timedelta(days=1))
    at = ConsentRecordFactory(created_at=midnight)
    last = ConsentRecordFactory(created_at=midnight + timedelta(seconds=1))
    said = verify("--since", timezone.localdate().isoformat())
    assert f"verifies: 2 records (records {at.pk} to {last.pk})" in said


@pytest.mark.parametrize("bad", ["yesterday", "2026-02-30", "0001-01-01T00:00+05:00", ""])
def test_verify_refuses_a_bad_date_clearly(bad):
    error = broken("--since", bad)
    assert error.returncode == 2
    assert f"--since {bad!r}" in str(error)


def test_a_record_inserted_below_the_orm_is_named(client):
    client.post(CONSENT, {"action": "accept_all"})
    ConsentRecord._base_manager.bulk_create(
        [ConsentRecord(policy_version=1, snapshot_hash="0" * 64, action="custom")]
    )
    stray = ConsentRecord.objects.get(chain_hash=None)
    # The head still names the newest chained record: the stray one is beyond it.
    assert_breaks_at(stray.pk, stray.consent_id, "comes after the chain's head")
    client.post(CONSENT, {"action": "reject_all"})
    assert_breaks_at(stray.pk, stray.consent_id, "no hash")


def test_a_record_inserted_below_the_orm_into_an_empty_log_is_named():
    """No append has made the chain's head yet: the stray record is the first of the log."""
    ChainHead.objects.all().delete()
    ConsentRecord._base_manager.bulk_create(
        [ConsentRecord(policy_version=1, snapshot_hash="0" * 64, action="custom")]
    )
    stray = ConsentRecord.objects.get()
    assert_breaks_at(stray.pk, stray.consent_id, "no hash")


def test_verify_names_the_records_after_a_head_moved_back(client):
    """A head set back to an earlier record would leave the records after it unchecked."""
    for action in ("accept_all", "reject_all", "accept_all"):
        client.post(CONSENT, {"action": action})
    _first, second, third = ConsentRecord.objects.order_by("pk")
    ChainHead.objects.filter(pk=1).update(hash=second.chain_hash, record_pk=second.pk)
    below_the_guard(f"UPDATE {TABLE} SET action = 'custom' WHERE id = %s", [third.pk])
    assert_breaks_at(third.pk, third.consent_id, "comes after the chain's head")


def test_a_record_appended_while_verify_runs_is_left_for_the_next_run():
    """The head moved since verify read it: the record after it is an append, not one
    inserted below the ORM."""
    ConsentRecordFactory()
    report = proof_chain.verify(on_rows=lambda n: ConsentRecordFactory())
    assert report.ok and report.checked == 1
    assert "verifies: 2 records" in verify()


@needs_triggers
def test_the_chain_columns_are_guarded_too(client):
    client.post(CONSENT, {"action": "accept_all"})
    record = ConsentRecord.objects.get()
    for column in ("chain_hash", "chain_prev"):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"UPDATE {TABLE} SET {column} = %s WHERE id = %s", ["f" * 64, record.pk])
    assert ConsentRecord.objects.get().chain_hash == record.chain_hash


def test_the_log_is_read_in_chunks_across_their_edges(monkeypatch):
    """Verify reads the log a chunk at a time (on MySQL and MariaDB a page per query): every
    record is walked once, whether the last chunk is full or not."""
    monkeypatch.setattr(proof_chain, "CHUNK_SIZE", 2)
    ConsentRecord.objects.bulk_create(
        [ConsentRecord(policy_version=1, snapshot_hash="0" * 64, action="custom") for _ in range(4)]
    )
    assert "verifies: 4 records" in verify()
    ConsentRecordFactory()
    assert "verifies: 5 records" in verify()


def test_bulk_create_chains_in_order():
    records = ConsentRecord.objects.bulk_create(
        [ConsentRecord(policy_version=1, snapshot_hash="0" * 64, action="custom") for _ in range(3)]
    )
    assert [r.chain_prev for r in records[1:]] == [r.chain_hash for r in records[:-1]]
    assert "verifies: 3 records" in verify()
    with pytest.raises(TypeError, match="break the chain"):
        ConsentRecord.objects.bulk_create(
            [ConsentRecord(policy_version=1, action="custom")], ignore_conflicts=True
        )


@pytest.mark.parametrize(
    "categories",
    ["analytics", {"analytics": True}, ["analytics", 1], None],
    ids=["text", "object", "not-text", "null"],
)
@pytest.mark.parametrize("field", ["granted", "refused"])
@pytest.mark.parametrize("bulk", [False, True], ids=["create", "bulk_create"])
def test_categories_that_are_no_list_of_slugs_are_refused_before_anything_is_written(
    field, categories, bulk
):
    """Text would be hashed as its letters and reported as changed; a list with a number
    verifies, but no receipt can say what was chosen."""
    ConsentRecordFactory()
    values = {"policy_version": 1, "snapshot_hash": "0" * 64, "action": "custom"}
    with pytest.raises(TypeError, match=f"{field} must be a list of category slugs"):
        if bulk:
            ConsentRecord.objects.bulk_create(
                [ConsentRecord(**values), ConsentRecord(**values, **{field: categories})]
            )
        else:
            ConsentRecord.objects.create(**values, **{field: categories})
    assert ConsentRecord.objects.count() == 1
    assert "verifies: 1 record " in verify()


def test_a_tuple_of_slugs_is_kept_as_the_list_it_is_read_back_as():
    record = ConsentRecord.objects.create(
        policy_version=1, snapshot_hash="0" * 64, action="custom", granted=("analytics",)
    )
    assert record.granted == ["analytics"]
    assert "verifies: 1 record " in verify()


def test_the_head_is_made_again_from_the_newest_record():
    """A flushed head row (a test database's flush) continues from the newest record."""
    ConsentRecordFactory()
    newest = ConsentRecordFactory()
    ChainHead.objects.all().delete()
    assert ConsentRecordFactory().chain_prev == newest.chain_hash
    assert "verifies: 3 records" in verify()


def test_the_head_is_made_again_from_the_newest_record_or_checkpoint():
    """After a purge: from the newest record left, not the checkpoint before it; everything
    purged, from the newest checkpoint."""
    now = timezone.now()
    ConsentRecordFactory(created_at=now - timedelta(days=2))
    newest = ConsentRecordFactory(created_at=now)
    assert ConsentRecord.objects.purge_older_than(now - timedelta(days=1)) == 1
    ChainHead.objects.all().delete()
    assert ConsentRecordFactory().chain_prev == newest.chain_hash
    assert "verifies: 2 records" in verify()
    assert ConsentRecord.objects.purge_older_than(now + timedelta(days=1)) == 2
    last = ChainCheckpoint.objects.order_by("record_pk").last()
    ChainHead.objects.all().delete()
    assert ConsentRecordFactory().chain_prev == last.hash
    assert "verifies: 1 record " in verify()


def test_the_head_is_made_again_from_the_newest_record_with_a_hash():
    """Not from a record written below the ORM after it, which has none: the next append still
    links to the chain, and the stray record is named."""
    first = ConsentRecordFactory()
    ConsentRecord._base_manager.bulk_create(
        [ConsentRecord(policy_version=1, snapshot_hash="0" * 64, action="custom")]
    )
    stray = ConsentRecord.objects.get(chain_hash=None)
    ChainHead.objects.all().delete()
    assert ConsentRecordFactory().chain_prev == first.chain_hash
    assert_breaks_at(stray.pk, stray.consent_id, "no hash")


@pytest.mark.parametrize("head", ["deleted", "emptied"])
def test_verify_names_a_head_deleted_or_emptied(head):
    """Not as a record without a hash: every record has one."""
    *_, newest = (ConsentRecordFactory() for _ in range(3))
    heads = ChainHead.objects.filter(pk=1)
    heads.delete() if head == "deleted" else heads.update(hash=GENESIS, record_pk=None)
    error = broken()
    assert error.returncode == 1
    assert f"record {newest.pk} (consent ID {newest.consent_id}): the chain has no head" in str(
        error
    )


def test_the_purge_leaves_the_rest_verifiable():
    now = timezone.now()
    old = [ConsentRecordFactory(created_at=now - timedelta(days=400 - i)) for i in range(3)]
    young = ConsentRecordFactory(created_at=now - timedelta(days=1))
    # Imported late: older than the cutoff, but chained after a record that stays.
    late = ConsentRecordFactory(created_at=now - timedelta(days=500))
    kept = ConsentRecordFactory(created_at=now)
    assert ConsentRecord.objects.purge_older_than(now - timedelta(days=365)) == 4
    assert sorted(ChainCheckpoint.objects.values_list("record_pk", "hash")) == [
        (old[-1].pk, old[-1].chain_hash),
        (late.pk, late.chain_hash),
    ]
    assert "verifies: 2 records" in verify()
    assert set(ConsentRecord.objects.values_list("pk", flat=True)) == {young.pk, kept.pk}
    # Everything purged: the next record follows the last checkpoint.
    assert ConsentRecord.objects.purge_older_than(now + timedelta(seconds=1)) == 2
    ConsentRecordFactory()
    assert "verifies: 1 record (record " in verify()


@pytest.mark.parametrize("at_first", [False, True], ids=["after", "chained-before"])
def test_a_record_given_at_the_cutoff_stays_and_no_checkpoint_stands_in_for_it(at_first):
    """The purge deletes the records given before the cutoff: one given at that moment stays,
    also when chained before an older one (imported), and is not part of the run the
    checkpoint stands in for."""
    now = timezone.now()
    at = ConsentRecordFactory(created_at=now) if at_first else None
    old = ConsentRecordFactory(created_at=now - timedelta(days=1))
    at = at or ConsentRecordFactory(created_at=now)
    assert ConsentRecord.objects.purge_older_than(now) == 1
    assert list(ConsentRecord.objects.values_list("pk", flat=True)) == [at.pk]
    assert list(ChainCheckpoint.objects.values_list("record_pk", "chain_prev")) == [
        (old.pk, old.chain_prev)
    ]
    assert "verifies: 1 record " in verify()


@pytest.mark.parametrize("stray", ["the-whole-run", "the-first-of-the-run", "the-last-of-the-run"])
def test_a_purged_run_with_a_record_written_below_the_orm_leaves_the_rest_verifiable(stray):
    """A record without a hash, given before the cutoff, goes with the purge. It was never in
    the chain: no checkpoint stands in for it, the run's checkpoint is its last chained record
    (the one the record after the run links to), with the link of its first chained record."""
    now = timezone.now()
    first = ConsentRecordFactory(created_at=now)
    chained = (
        ConsentRecordFactory(created_at=now - timedelta(days=500))
        if stray == "the-last-of-the-run"
        else None
    )
    ConsentRecord._base_manager.bulk_create(
        [
            ConsentRecord(
                policy_version=1,
                snapshot_hash="0" * 64,
                action="custom",
                created_at=now - timedelta(days=500),
            )
        ]
    )
    if stray == "the-first-of-the-run":
        chained = ConsentRecordFactory(created_at=now - timedelta(days=500))
    ConsentRecordFactory(created_at=now)
    assert "it has no hash" in str(broken())
    purged = 1 if stray == "the-whole-run" else 2
    assert ConsentRecord.objects.purge_older_than(now - timedelta(days=365)) == purged
    assert list(ChainCheckpoint.objects.values_list("record_pk", "hash", "chain_prev")) == (
        [(chained.pk, chained.chain_hash, first.chain_hash)] if chained else []
    )
    assert "verifies: 2 records" in verify()


@pytest.mark.parametrize("removed", ["the-record-before", "every-record-before"])
def test_verify_names_records_removed_before_a_run_the_purge_deleted(removed):
    """Records imported with old dates, chained after newer ones: the purge deletes them as a
    run in the middle of the log. The records before that run, removed, left the chain jumping
    from the record before them to the run's checkpoint, and it verified."""
    now = timezone.now()
    first = ConsentRecordFactory(created_at=now)
    before = ConsentRecordFactory(created_at=now)
    imported = ConsentRecordFactory(created_at=now - timedelta(days=500))
    ConsentRecordFactory(created_at=now)
    assert ConsentRecord.objects.purge_older_than(now - timedelta(days=365)) == 1
    assert "verifies: 3 records" in verify()
    gone = [before.pk] if removed == "the-record-before" else [first.pk, before.pk]
    below_the_guard(f"DELETE FROM {TABLE} WHERE id IN ({', '.join('%s' for _ in gone)})", gone)
    # The checkpoint stands in for the imported record: named by its key and consent ID.
    assert_breaks_at(imported.pk, imported.consent_id, "does not follow the record before it")


def test_verify_names_a_record_removed_before_the_newest_run_the_purge_deleted():
    """The same at the end of the log: the run's checkpoint is crossed after the last record
    walked, on the way to the head."""
    now = timezone.now()
    first = ConsentRecordFactory(created_at=now)
    imported = ConsentRecordFactory(created_at=now - timedelta(days=500))
    assert ConsentRecord.objects.purge_older_than(now - timedelta(days=365)) == 1
    assert "verifies: 1 record " in verify()
    below_the_guard(f"DELETE FROM {TABLE} WHERE id = %s", [first.pk])
    assert_breaks_at(imported.pk, imported.consent_id, "does not follow the record before it")


def test_a_purge_that_swallows_an_earlier_purges_run_leaves_the_rest_verifiable():
    """A run deleted by one purge inside a run a later purge deleted around it: its checkpoint
    links to a record the later purge deleted, and is passed over."""
    now = timezone.now()
    for days in (100, 100, 500, 100):  # the third imported with an older date
        ConsentRecordFactory(created_at=now - timedelta(days=days))
    ConsentRecordFactory(created_at=now)
    assert ConsentRecord.objects.purge_older_than(now - timedelta(days=365)) == 1
    assert ConsentRecord.objects.purge_older_than(now - timedelta(days=50)) == 3
    assert ChainCheckpoint.objects.count() == 2
    assert "verifies: 1 record " in verify()


class ReadsFromAReplica:
    """Django's primary/replica router, with a replica this test run does not have: a read
    routed to it fails, so anything writing through ``db_for_read`` shows."""

    def db_for_read(self, model, **hints):
        return "replica"

    def db_for_write(self, model, **hints):
        return "default"


@override_settings(DATABASE_ROUTERS=[ReadsFromAReplica()])
def test_the_purge_and_bulk_create_write_where_the_router_writes():
    """They used ``QuerySet.db``, ``db_for_read``'s answer: under a primary/replica router the
    purge wrote its checkpoints, its permit and its DELETE to the (read-only) replica."""
    now = timezone.now()
    records = [
        ConsentRecord(policy_version=1, action="reject_all", created_at=now - timedelta(days=400))
        for _ in range(2)
    ]
    ConsentRecord.objects.bulk_create(records)
    assert ConsentRecord.objects.using("default").count() == 2
    assert ConsentRecord.objects.purge_older_than(now - timedelta(days=365)) == 2
    assert ConsentRecord.objects.using("default").count() == 0
    checkpoint = ChainCheckpoint.objects.using("default").get()
    assert checkpoint.record_pk == records[-1].pk


def test_a_purge_on_a_named_database_stays_there():
    ConsentRecordFactory(created_at=timezone.now() - timedelta(days=2))
    assert ConsentRecord.objects.using("default").purge_older_than(timezone.now()) == 1


def test_a_checkpoint_cannot_be_changed_through_the_orm():
    ConsentRecordFactory(created_at=timezone.now() - timedelta(days=2))
    ConsentRecord.objects.purge_older_than(timezone.now() - timedelta(days=1))
    checkpoint = ChainCheckpoint.objects.get()
    with pytest.raises(TypeError, match="append-only"):
        checkpoint.save()
    with pytest.raises(TypeError, match="append-only"):
        ChainCheckpoint.objects.update(hash="")
    with pytest.raises(TypeError, match="append-only"):
        ChainCheckpoint.objects.all().delete()
    # A new instance carrying its key is an INSERT, which the key refuses: never an UPDATE.
    forged = ChainCheckpoint(
        pk=checkpoint.pk,
        record_pk=checkpoint.record_pk + 1,
        consent_id=uuid.uuid4(),
        hash="f" * 64,
        before=timezone.now(),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        forged.save()
    assert ChainCheckpoint.objects.get().hash == checkpoint.hash


# -- what is hashed -----------------------------------------------------------------------------

_text = st.text(max_size=12)
_lists = st.lists(_text, max_size=3) | st.lists(st.integers() | _text, max_size=3)


@settings(max_examples=300, deadline=None)
@given(
    strings=st.lists(_text, min_size=9, max_size=9),
    lists=st.tuples(_lists, _lists),
    number=st.integers(min_value=0, max_value=2**31),
)
def test_the_canonical_form_is_sorted_compact_json(strings, lists, number):
    """What docs/proof.md says is hashed, for any text: json.dumps with sorted keys, no
    whitespace and no ASCII escaping."""
    moment = dt.datetime(2026, 5, 4, 3, 2, 1, 0, tzinfo=dt.UTC)
    action, ip_hash, language, page_url, regime, region, snapshot, agent, user = strings
    consent_id = uuid.uuid4()
    granted, refused = lists
    values = (action, consent_id, moment, granted, ip_hash, language, page_url, number,
              refused, regime, region, snapshot, agent, user)  # fmt: skip
    expected = {
        **dict(zip(HASHED, values, strict=True)),
        "consent_id": str(consent_id),
        "created_at": "2026-05-04T03:02:01.000000Z",
        "granted": granted,
        "refused": refused,
        "prev": "p",
        "v": 1,
    }
    text = json.dumps(expected, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical(values, "p") == text.encode()


# -- appends that race ------------------------------------------------------------------------


@needs_triggers
def test_the_database_refuses_a_record_that_does_not_link_to_the_head():
    ConsentRecordFactory()
    forged = ConsentRecord(
        policy_version=1, action="custom", chain_prev="f" * 64, chain_hash="e" * 64
    )
    with pytest.raises(IntegrityError, match="chain moved on"), transaction.atomic():
        ConsentRecord._base_manager.bulk_create([forged])
    assert "verifies: 1 record (record " in verify()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@needs_triggers
def test_an_append_overtaken_after_reading_the_head_links_again():
    """Another writer appends between this append's read of the head and its INSERT: the
    database refuses the INSERT, and the append links to the new head and tries again."""
    record = ConsentRecord(policy_version=1, snapshot_hash="0" * 64, action="custom")
    links: list[str | None] = []

    def insert() -> None:
        if not links:
            ConsentRecordFactory()  # the other writer
        links.append(record.chain_prev)
        record.save_base(force_insert=True)

    append([record], "default", insert)
    assert len(links) == 2 and links[0] != links[1]
    assert "verifies: 2 records" in verify()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_appends_from_many_threads_keep_one_set_of_statements():
    """Each thread has its own connection: the head's statements were kept per connection's
    quoting function, so a server with a thread per request kept one more set (and that
    thread's connection) on every consent POST."""
    from cookieconsent.models import chain

    ConsentRecordFactory()
    before = chain._statements.cache_info().currsize

    def decide() -> None:
        try:
            ConsentRecordFactory()
        finally:
            connections.close_all()

    for _ in range(5):
        thread = threading.Thread(target=decide)
        thread.start()
        thread.join()
    assert ConsentRecord.objects.count() == 6
    assert chain._statements.cache_info().currsize == before
    assert "verifies: 6 records" in verify()
