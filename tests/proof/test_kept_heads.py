"""``cookieconsent_verify --kept FILE``: a log rewritten whole, every hash computed again,
verifies on its own; it no longer passes through a head kept before the rewrite."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test import override_settings
from django.utils import timezone

from cookieconsent.models import ChainCheckpoint, ChainHead, ConsentRecord
from cookieconsent.models.chain import GENESIS, digest, values_of
from cookieconsent.proof import chain
from tests.factories import ConsentRecordFactory
from tests.proof.test_chain import TABLE, below_the_guard, broken, verify

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("categories")]


def keep(path, said: str) -> None:
    """Keep a run's output, as ``cookieconsent_verify >> heads.log`` from cron does."""
    with path.open("a") as log:
        log.write(said)


def rewrite_whole(record: ConsentRecord, **changes: object) -> None:
    """Change ``record`` below the guard and compute every hash from it on again, the head's
    too: the chain verifies."""
    prev = record.chain_prev
    update = f"UPDATE {TABLE} SET action = %s, chain_prev = %s, chain_hash = %s WHERE id = %s"
    for n, later in enumerate(ConsentRecord.objects.filter(pk__gte=record.pk).order_by("pk")):
        if later.pk == record.pk:
            for name, value in changes.items():
                setattr(later, name, value)
        hash_ = digest(values_of(later), prev)
        params = [later.action, prev, hash_, later.pk]
        if n == 0:
            below_the_guard(update, params)  # the guard dropped once
        else:
            with connection.cursor() as cursor:
                cursor.execute(update, params)
        prev = hash_
    ChainHead.objects.update(hash=prev)


def test_the_output_gives_the_head_and_its_record():
    ConsentRecordFactory()
    newest = ConsentRecordFactory()
    assert f"Head: {newest.chain_hash} (record {newest.pk})" in verify()


def test_kept_heads_of_an_intact_log_pass(tmp_path):
    heads = tmp_path / "heads.log"
    heads.touch()  # as the shell's ">> heads.log" makes it before the command runs
    for _day in range(3):
        ConsentRecordFactory()
        keep(heads, verify("--kept", str(heads)))
    # A hash a line, without the record's key, is a kept head too.
    (tmp_path / "bare").write_text(ConsentRecord.objects.order_by("pk").first().chain_hash.upper())
    assert "verifies: 3 records" in verify("--kept", str(tmp_path / "bare"))
    assert "verifies: 3 records" in verify("--kept", str(heads))


def test_a_log_rewritten_whole_loses_the_heads_kept_before(tmp_path):
    heads = tmp_path / "heads.log"
    first = ConsentRecordFactory(action="reject_all")
    ConsentRecordFactory()
    keep(heads, verify())
    kept = ChainHead.objects.get().hash
    ConsentRecordFactory()
    rewrite_whole(first, action="accept_all")
    # On its own, the rewritten log verifies: that is what a kept head is for.
    assert "verifies: 3 records" in verify()
    error = broken("--kept", str(heads))
    assert error.returncode == 1
    assert "does not pass through 1 of 1 head kept" in str(error)
    assert kept in str(error)


def test_a_log_rewritten_after_a_head_was_kept_keeps_that_head(tmp_path):
    """Only records after the head kept were changed: the chain still passes through it."""
    heads = tmp_path / "heads.log"
    ConsentRecordFactory()
    keep(heads, verify())
    later = ConsentRecordFactory(action="reject_all")
    rewrite_whole(later, action="accept_all")
    assert "verifies: 2 records" in verify("--kept", str(heads))


def test_a_log_emptied_with_its_head_loses_the_heads_kept(tmp_path):
    heads = tmp_path / "heads.log"
    ConsentRecordFactory()
    keep(heads, verify())
    below_the_guard(f"DELETE FROM {TABLE}", [])
    ChainHead.objects.all().delete()
    assert "verifies: 0 records" in verify()
    assert broken("--kept", str(heads)).returncode == 1


def test_a_head_kept_at_records_purged_since_is_not_lost(tmp_path):
    now = timezone.now()
    heads = tmp_path / "heads.log"
    ConsentRecordFactory(created_at=now - timedelta(days=400))
    keep(heads, verify())
    ConsentRecordFactory(created_at=now - timedelta(days=399))
    ConsentRecordFactory(created_at=now)
    keep(heads, verify())
    assert ConsentRecord.objects.purge_older_than(now - timedelta(days=365)) == 2
    assert "verifies: 1 record " in verify("--kept", str(heads))
    # Everything purged: the heads kept then are gone with their records too.
    assert ConsentRecord.objects.purge_older_than(now + timedelta(seconds=1)) == 1
    assert "verifies: 0 records" in verify("--kept", str(heads))


def test_a_log_rewritten_whole_and_renumbered_does_not_look_purged(tmp_path):
    """Primary keys are not hashed: a rewrite that also moved every record above the keys the
    heads were kept at left no record before them, as a purge would. But the purge leaves a
    checkpoint at the end of what it deletes, and this left none."""
    heads = tmp_path / "heads.log"
    first = ConsentRecordFactory(action="reject_all")
    ConsentRecordFactory()
    keep(heads, verify())
    ConsentRecordFactory()
    keep(heads, verify())
    rewrite_whole(first, action="accept_all")
    with connection.cursor() as cursor:  # the guard is down since rewrite_whole()
        cursor.execute(f"UPDATE {TABLE} SET id = id + 1000")
    ChainHead.objects.update(record_pk=F("record_pk") + 1000)
    assert "verifies: 3 records" in verify()
    error = broken("--kept", str(heads))
    assert error.returncode == 1
    assert "does not pass through 2 of 2 heads kept" in str(error)


def test_a_head_kept_inside_a_run_the_purge_deleted_is_not_lost(tmp_path):
    """Records imported with old dates, chained among newer ones: the purge deletes them as a
    run with its checkpoint at the run's end, not at the head kept in the middle of it."""
    now = timezone.now()
    heads = tmp_path / "heads.log"
    ConsentRecordFactory(created_at=now)
    ConsentRecordFactory(created_at=now - timedelta(days=500))
    keep(heads, verify())
    ConsentRecordFactory(created_at=now - timedelta(days=500))
    ConsentRecordFactory(created_at=now)
    assert ConsentRecord.objects.purge_older_than(now - timedelta(days=365)) == 2
    assert "verifies: 2 records" in verify("--kept", str(heads))


def test_a_bare_head_of_a_record_purged_since_is_passed_through(tmp_path):
    """Kept without its record's key (a hash a line): the record after the run the purge
    deleted links to the checkpoint that holds it."""
    now = timezone.now()
    heads = tmp_path / "heads.log"
    old = ConsentRecordFactory(created_at=now - timedelta(days=400))
    heads.write_text(old.chain_hash + "\n")
    newest = ConsentRecordFactory(created_at=now)
    assert ConsentRecord.objects.purge_older_than(now - timedelta(days=365)) == 1
    assert "verifies: 1 record " in verify("--kept", str(heads))
    # Everything purged: today's head, kept bare, is the last checkpoint's, and passes.
    (tmp_path / "today").write_text(newest.chain_hash + "\n")
    assert ConsentRecord.objects.purge_older_than(now + timedelta(seconds=1)) == 1
    assert "verifies: 0 records" in verify("--kept", str(tmp_path / "today"))


def test_the_head_kept_with_an_export_survives_the_purge_and_catches_a_rewrite(tmp_path):
    """docs/proof.md's workflow: export, keep the head verify prints then with the export, keep
    heads daily; the purge deletes the exported records (the head's from inside a run): the
    heads still pass. A record rewritten after that, every hash made again, does not."""
    now = timezone.now()
    heads = tmp_path / "heads.log"
    ConsentRecordFactory(created_at=now - timedelta(days=400, hours=1))
    ConsentRecordFactory(created_at=now - timedelta(days=400))
    exported = tmp_path / "consent.jsonl"
    call_command(
        "cookieconsent_export", "--format", "jsonl", "-o", str(exported), stderr=StringIO()
    )
    said = verify()
    keep(heads, said)
    # The auditor's check: the head kept with the export is the file's last record's hash.
    last = json.loads(exported.read_text().splitlines()[-1])
    assert f"Head: {last['chain_hash']} (record " in said
    ConsentRecordFactory(created_at=now - timedelta(days=399))
    today = ConsentRecordFactory(created_at=now, action="reject_all")
    keep(heads, verify())
    with override_settings(COOKIECONSENT={"RECORD_RETENTION": timedelta(days=365)}):
        call_command("cookieconsent_purge", stdout=StringIO(), stderr=StringIO())
    assert list(ConsentRecord.objects.values_list("pk", flat=True)) == [today.pk]
    assert "verifies: 1 record " in verify("--kept", str(heads))
    rewrite_whole(today, action="accept_all")
    assert "verifies: 1 record " in verify()
    error = broken("--kept", str(heads))
    assert error.returncode == 1
    assert "does not pass through 1 of 2 heads kept" in str(error)
    assert "kept bare" not in str(error)


def test_a_bare_head_of_a_record_purged_from_inside_a_run_is_named_as_kept_bare(tmp_path):
    """A hash without its record, whose record the purge deleted from the middle of a run: no
    checkpoint holds it, and nothing tells it from a rewrite. The error says it was kept bare
    (docs/proof.md); not where no purge ran."""
    now = timezone.now()
    heads = tmp_path / "heads.log"
    old = ConsentRecordFactory(created_at=now - timedelta(days=400))
    heads.write_text(old.chain_hash + "\n")
    ConsentRecordFactory(created_at=now - timedelta(days=399))
    ConsentRecordFactory(created_at=now)
    assert ConsentRecord.objects.purge_older_than(now - timedelta(days=365)) == 2
    error = broken("--kept", str(heads))
    assert error.returncode == 1
    assert "1 of them was kept bare, without (record N)" in str(error)


@pytest.mark.parametrize("since", [False, True], ids=["whole", "since"])
def test_a_head_kept_at_the_record_before_a_run_the_purge_deleted_is_passed_through(
    tmp_path, since
):
    """Records imported with old dates after the head was kept: the record after their run
    links to the run's checkpoint, not to the record the head was kept at, which still holds
    it (with ``--since``, as the record before the start)."""
    now = timezone.now()
    heads = tmp_path / "heads.log"
    ConsentRecordFactory(created_at=now - timedelta(days=10))
    keep(heads, verify())
    ConsentRecordFactory(created_at=now - timedelta(days=500))
    ConsentRecordFactory(created_at=now)
    assert ConsentRecord.objects.purge_older_than(now - timedelta(days=365)) == 1
    args = ["--since", (timezone.localdate() - timedelta(days=1)).isoformat()] if since else []
    assert "The consent log verifies" in verify(*args, "--kept", str(heads))


def test_a_head_kept_at_a_record_still_there_is_not_taken_for_purged(tmp_path):
    """A checkpoint just after the record a head was kept at: that record is still there, so
    the head was not purged. A log rewritten from it (the checkpoint's link and the next
    record's hash made again too) no longer passes through it."""
    now = timezone.now()
    heads = tmp_path / "heads.log"
    first = ConsentRecordFactory(created_at=now - timedelta(days=10), action="reject_all")
    keep(heads, verify())
    imported = ConsentRecordFactory(created_at=now - timedelta(days=500))
    last = ConsentRecordFactory(created_at=now)
    assert ConsentRecord.objects.purge_older_than(now - timedelta(days=365)) == 1
    rewrite_whole(first, action="accept_all")
    rewritten = ConsentRecord.objects.get(pk=first.pk).chain_hash
    last.chain_prev = imported.chain_hash
    last.chain_hash = digest(values_of(last), imported.chain_hash)
    with connection.cursor() as cursor:  # the guard is down since rewrite_whole()
        cursor.execute(f"UPDATE {ChainCheckpoint._meta.db_table} SET chain_prev = %s", [rewritten])
        cursor.execute(
            f"UPDATE {TABLE} SET chain_prev = %s, chain_hash = %s WHERE id = %s",
            [last.chain_prev, last.chain_hash, last.pk],
        )
    ChainHead.objects.update(hash=last.chain_hash)
    assert "verifies: 2 records" in verify()
    error = broken("--kept", str(heads))
    assert error.returncode == 1
    assert "does not pass through 1 of 1 head kept" in str(error)


def test_a_head_kept_with_its_record_and_again_bare_keeps_its_record(tmp_path):
    """The same hash on a later line without ``(record N)`` does not forget the record: the
    head is skipped once the purge deleted it from inside a run."""
    now = timezone.now()
    heads = tmp_path / "heads.log"
    ConsentRecordFactory(created_at=now - timedelta(days=400))
    said = verify()
    keep(heads, said)
    keep(heads, said.split("Head: ")[1][:64] + "\n")
    ConsentRecordFactory(created_at=now - timedelta(days=399))
    ConsentRecordFactory(created_at=now)
    assert ConsentRecord.objects.purge_older_than(now - timedelta(days=365)) == 2
    assert "verifies: 1 record " in verify("--kept", str(heads))


def test_a_longer_hex_string_in_the_kept_file_is_not_a_head(tmp_path):
    """A head is 64 hex digits on their own: not the start of a longer run of them."""
    heads = tmp_path / "heads.log"
    ConsentRecordFactory()
    keep(heads, verify())
    keep(heads, "sha512: " + "ab" * 64 + "\n")
    assert "verifies: 1 record " in verify("--kept", str(heads))


def test_since_trusts_a_head_kept_before_its_start(tmp_path):
    heads = tmp_path / "heads.log"
    ConsentRecordFactory(created_at=timezone.now() - timedelta(days=10))
    keep(heads, verify())
    ConsentRecordFactory()
    since = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert "verifies: 1 record " in verify("--since", since, "--kept", str(heads))


@pytest.mark.parametrize(
    "decoy", ["record", "checkpoint", "record-for-a-bare-hash", "checkpoint-after-the-start"]
)
def test_since_trusts_a_kept_head_only_where_a_record_before_the_start_holds_it(tmp_path, decoy):
    """A log rewritten whole, with a row the walk never reads written to hold the head kept:
    with ``--since`` a head kept before the start is held by its record (or, a bare hash, by
    any), whose content gives it; not by a row that merely holds the hash, nor, for a bare
    hash, by a checkpoint after the start."""
    heads = tmp_path / "heads.log"
    now = timezone.now()
    first = ConsentRecordFactory(created_at=now - timedelta(days=10), action="reject_all")
    kept = verify()
    bare = decoy in ("record-for-a-bare-hash", "checkpoint-after-the-start")
    keep(heads, kept.split("Head: ")[1][:64] if bare else kept)
    kept = ChainHead.objects.get().hash
    ConsentRecordFactory(created_at=now - timedelta(days=9))
    ConsentRecordFactory(created_at=now)
    rewrite_whole(first, action="accept_all")
    since = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert broken("--since", since, "--kept", str(heads)).returncode == 1
    if decoy.startswith("checkpoint"):
        at = -1 if decoy == "checkpoint" else 10**9
        ChainCheckpoint.objects.create(record_pk=at, consent_id=uuid.uuid4(), hash=kept, before=now)
    else:
        given = now - timedelta(days=20)
        ConsentRecord._base_manager.bulk_create(
            [ConsentRecord(pk=-1, policy_version=1, action="custom", created_at=given)]
        )
        with connection.cursor() as cursor:  # the guard is down since rewrite_whole()
            cursor.execute(f"UPDATE {TABLE} SET chain_hash = %s WHERE id = -1", [kept])
    error = broken("--since", since, "--kept", str(heads))
    assert error.returncode == 1
    assert f"Not passed through: {kept}" in str(error)


def test_the_genesis_and_todays_head_are_always_passed_through():
    newest = ConsentRecordFactory()
    report = chain.verify(kept={GENESIS: None, newest.chain_hash: newest.pk})
    assert report.ok and report.lost == []
    report = chain.verify(kept={"f" * 64: None})
    assert report.broken is None and report.lost == ["f" * 64] and not report.ok


def test_an_empty_kept_file_keeps_no_head_yet(tmp_path):
    (tmp_path / "heads.log").write_text("")
    ConsentRecordFactory()
    assert "verifies: 1 record " in verify("--kept", str(tmp_path / "heads.log"))


def test_a_kept_file_that_cannot_be_read_is_a_usage_error(tmp_path):
    error = broken("--kept", str(tmp_path / "missing.log"))
    assert error.returncode == 2
    assert "--kept" in str(error) and "cannot be read" in str(error)


# -- what it does not stop (docs/proof.md): each of these passes, as the page says -----------


def test_the_newest_records_removed_with_the_head_set_back_pass():
    """No hash to compute: only a head kept after them shows them gone."""
    first = ConsentRecordFactory()
    newest = ConsentRecordFactory()
    below_the_guard(f"DELETE FROM {TABLE} WHERE id = %s", [newest.pk])
    ChainHead.objects.update(hash=first.chain_hash, record_pk=first.pk)
    assert "verifies: 1 record " in verify()


def test_a_forged_checkpoint_hides_the_newest_records_removed(tmp_path):
    heads = tmp_path / "heads.log"
    ConsentRecordFactory()
    removed = [ConsentRecordFactory() for _ in range(2)]
    keep(heads, verify())
    below_the_guard(f"DELETE FROM {TABLE} WHERE id >= %s", [removed[0].pk])
    last = removed[-1]
    ChainCheckpoint.objects.create(
        record_pk=last.pk,
        consent_id=last.consent_id,
        hash=last.chain_hash,
        chain_prev=removed[0].chain_prev,
        before=timezone.now(),
    )
    assert "verifies: 1 record " in verify("--kept", str(heads))


def test_a_forged_checkpoint_makes_the_heads_kept_before_it_look_purged(tmp_path):
    heads = tmp_path / "heads.log"
    first = ConsentRecordFactory(action="reject_all")
    keep(heads, verify())
    newest = ConsentRecordFactory()
    keep(heads, verify())
    rewrite_whole(first, action="accept_all")
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET id = id + 1000")
    ChainHead.objects.update(record_pk=F("record_pk") + 1000)
    ChainCheckpoint.objects.create(
        record_pk=newest.pk,
        consent_id=uuid.uuid4(),
        hash=GENESIS,
        chain_prev=GENESIS,
        before=timezone.now(),
    )
    assert "verifies: 2 records" in verify("--kept", str(heads))


def test_the_purge_run_by_whoever_can_write_the_tables_and_the_records_written_again_pass(
    tmp_path,
):
    heads = tmp_path / "heads.log"
    now = timezone.now()
    for days in (3, 2):
        ConsentRecordFactory(created_at=now - timedelta(days=days), action="reject_all")
        keep(heads, verify())
    was = list(ConsentRecord.objects.order_by("pk").values("consent_id", "created_at"))
    ConsentRecord.objects.purge_older_than(now)
    for record in was:
        ConsentRecordFactory(**record, action="accept_all")
    assert "verifies: 2 records" in verify("--kept", str(heads))
    assert ChainCheckpoint.objects.get().before == now  # the cutoff it used
