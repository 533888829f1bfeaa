"""The proof: every record names the published version and language it was given under, the
database keeps it unchanged, only the retention purge deletes it, and the visitor keeps a
receipt."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone, translation

from cookieconsent import publishing
from cookieconsent.engine.consent import Decision
from cookieconsent.models import (
    ConsentRecord,
    CookiePolicy,
    PublishedVersion,
    PurgePermit,
    Snapshot,
)
from cookieconsent.testing import CONSENT_COOKIE, consent_cookie
from tests.factories import ConsentRecordFactory, UserFactory
from tests.helpers import TRIGGERED, guards_lifted, needs_triggers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("categories")]

CONSENT = "/cookies/consent/"
RECEIPT = "/cookies/preferences/receipt/"


def one_record(**fields) -> ConsentRecord:
    return ConsentRecordFactory(granted=["analytics"], **fields)


# -- what the record points at --------------------------------------------------------------


def test_a_record_points_at_the_version_and_language_shown(client, categories):
    with translation.override("af"):
        client.post(CONSENT, {"action": "accept_all"})
    record = ConsentRecord.objects.get()
    shown = PublishedVersion.objects.get(number=1).snapshots.get(language="af")
    assert (record.published_version_id, record.language) == (shown.version_id, "af")
    assert (record.policy_version, record.snapshot_hash) == (1, shown.hash)


def test_a_record_still_opens_the_old_text_after_edits_and_publishes(client, categories):
    client.post(CONSENT, {"action": "reject_all"})
    record = ConsentRecord.objects.get()
    policy = CookiePolicy.current()
    old_intro = policy.introduction
    policy.introduction = "Entirely new words."
    policy.save()
    publishing.publish(policy)
    publishing.publish(policy, reconsent=True)
    shown = record.published_version.snapshots.get(language=record.language)
    assert old_intro in shown.policy_html and "Entirely new words." not in shown.policy_html
    page = client.get(f"/cookies/policy/v{record.policy_version}/").content.decode()
    assert old_intro in page and "Entirely new words." not in page


# -- append-only at the database level (#8, defect 5) ----------------------------------------


def test_saving_a_new_instance_with_an_existing_pk_does_not_rewrite(categories):
    record = one_record()
    forged = ConsentRecord(
        pk=record.pk, consent_id=record.consent_id, policy_version=1, granted=[], action="custom"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        forged.save()
    assert ConsentRecord.objects.get(pk=record.pk).granted == ["analytics"]


def test_bulk_create_with_update_conflicts_does_not_rewrite(categories):
    record = one_record()
    forged = ConsentRecord(
        consent_id=record.consent_id, policy_version=1, granted=[], action="custom"
    )
    # (MySQL and MariaDB: Django itself refuses an upsert naming its unique fields.)
    refusal = "append-only" if TRIGGERED else "does not support updating conflicts"
    with pytest.raises(DatabaseError, match=refusal), transaction.atomic():
        ConsentRecord.objects.bulk_create(
            [forged], update_conflicts=True, unique_fields=["consent_id"], update_fields=["granted"]
        )
    assert ConsentRecord.objects.get(pk=record.pk).granted == ["analytics"]


def test_saving_a_new_instance_with_an_existing_pk_inserts_without_the_triggers(categories):
    """The ORM refuses on its own, as on a database without triggers: an INSERT, which the
    key refuses, never an UPDATE."""
    record = one_record()
    forged = ConsentRecord(
        pk=record.pk, consent_id=record.consent_id, policy_version=1, granted=[], action="custom"
    )
    with guards_lifted(ConsentRecord), pytest.raises(IntegrityError), transaction.atomic():
        forged.save()
    assert ConsentRecord.objects.get(pk=record.pk).granted == ["analytics"]


@needs_triggers
def test_the_base_manager_cannot_update_or_delete(categories):
    record = one_record()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ConsentRecord._base_manager.filter(pk=record.pk).update(granted=[])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ConsentRecord._base_manager.all().delete()
    assert ConsentRecord.objects.get(pk=record.pk).granted == ["analytics"]


@needs_triggers
def test_raw_sql_cannot_update_or_delete(categories):
    record = one_record()
    table = ConsentRecord._meta.db_table
    for sql in [
        f"UPDATE {table} SET action = 'accept_all' WHERE id = %s",
        f"DELETE FROM {table} WHERE id = %s",
    ]:
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [record.pk])
    assert ConsentRecord.objects.filter(pk=record.pk, action=record.action).exists()


def test_an_unchanged_write_back_is_harmless(categories):
    """Django's serialized test rollback saves rows back unchanged; that changes nothing,
    so the database lets it through."""
    record = one_record()
    ConsentRecord._base_manager.filter(pk=record.pk).update(action=record.action)
    assert ConsentRecord.objects.get(pk=record.pk).action == record.action


def test_deleting_a_user_leaves_their_records_as_they_were(client, categories):
    user = UserFactory()
    client.force_login(user)
    client.post(CONSENT, {"action": "accept_all"})
    pk = str(user.pk)
    get_user_model().objects.filter(pk=user.pk).delete()
    record = ConsentRecord.objects.get()
    assert record.user_pk == pk
    assert record.granted == ["analytics", "functional"]


# -- published versions and snapshots, below the ORM (hardening, defect 6) -------------------

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="INSERT OR REPLACE is SQLite's; PostgreSQL's ON CONFLICT DO UPDATE fires the UPDATE "
    "trigger (test_bulk_create_with_update_conflicts_does_not_rewrite)",
)
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no deferred triggers: any connection can write a permit there "
    "(docs/architecture.md)",
)


def raw(sql: str, params: list[object] | None = None) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@needs_triggers
def test_a_snapshot_or_version_cannot_be_deleted_below_the_orm(categories):
    """Not even a version no record cites: it was published, so visitors were shown it."""
    version = publishing.publish(CookiePolicy.current(), reconsent=True)
    shown = version.snapshots.get(language="en")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Snapshot._base_manager.filter(pk=shown.pk).delete()
    for table, pk in [
        (Snapshot._meta.db_table, shown.pk),
        (PublishedVersion._meta.db_table, version.pk),
    ]:
        with pytest.raises(DatabaseError, match="append-only"):
            raw(f"DELETE FROM {table} WHERE id = %s", [pk])
    assert Snapshot.objects.filter(version=version).count() == 2


@needs_triggers
def test_what_a_version_enforces_cannot_be_rewritten_below_the_orm(categories):
    """Its content is what the registry enforces: the trigger covers the column too."""
    version = PublishedVersion.objects.get(number=1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(
            f"UPDATE {PublishedVersion._meta.db_table} SET content = %s WHERE id = %s",
            ['{"categories": [], "cookies": [], "regions": {}}', version.pk],
        )
    assert PublishedVersion.objects.get(pk=version.pk).content["categories"]


def forged(version: PublishedVersion, language: str) -> Snapshot:
    """A twin of the version's English snapshot in ``language``, unsaved."""
    fields = {
        f.name: getattr(version.snapshots.get(language="en"), f.name)
        for f in Snapshot._meta.concrete_fields
        if f.name not in ("id", "language")
    }
    return Snapshot(**{**fields, "language": language, "policy_html": "Forged."})


@needs_triggers
def test_no_snapshot_is_added_to_a_version_once_published(categories):
    """A forged twin: a snapshot with a version, language and hash, inserted later."""
    first = PublishedVersion.objects.get(number=1)
    with pytest.raises(DatabaseError), transaction.atomic():
        Snapshot._base_manager.bulk_create([forged(first, "en")])  # a twin of one there
    # A language it was never published in, once it is not the newest.
    publishing.publish(CookiePolicy.current(), reconsent=True)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Snapshot._base_manager.bulk_create([forged(first, "de")])
    assert not Snapshot.objects.filter(policy_html="Forged.").exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no transaction-scoped state a trigger can read: there a snapshot can "
    "still be added to the newest version in a language it lacks (docs/architecture.md)",
)
@pytest.mark.django_db(
    transaction=True, serialized_rollback=True
)  # version 1 published in a transaction of its own
def test_no_language_is_added_to_the_newest_version_after_its_transaction(categories):
    newest = PublishedVersion.objects.get(number=1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Snapshot._base_manager.bulk_create([forged(newest, "de")])
    assert not Snapshot.objects.filter(language="de").exists()


@needs_triggers
def test_no_version_is_inserted_below_the_newest(categories):
    first = PublishedVersion.objects.get(number=1)
    publishing.publish(CookiePolicy.current(), reconsent=True)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        PublishedVersion(number=0, policy=first.policy, last_updated=first.last_updated).save()
    assert sorted(PublishedVersion.objects.values_list("number", flat=True)) == [1, 2]


@sqlite_only
def test_insert_or_replace_cannot_rewrite_a_record_a_version_or_a_snapshot(categories):
    record = one_record()
    version = PublishedVersion.objects.get(number=1)
    shown = version.snapshots.get(language="en")
    for sql, params in [
        (
            f"INSERT OR REPLACE INTO {ConsentRecord._meta.db_table} (id, consent_id, created_at, "
            "policy_version, language, snapshot_hash, granted, refused, action, page_url, user_pk, "
            "ip_hash, user_agent, region, regime) VALUES (%s, %s, %s, 1, '', '', '[]', '[]', "
            "'custom', '', '', '', '', '', 'opt-in')",
            [record.pk, uuid.uuid4().hex, record.created_at],
        ),
        (
            f"REPLACE INTO {PublishedVersion._meta.db_table} (id, number, policy_id, "
            "last_updated, published_at, reconsent, published_by) "
            "VALUES (%s, 99, %s, '2000-01-01', '2000-01-01 00:00:00', 0, 'forger')",
            [version.pk, version.policy_id],
        ),
        (
            f"INSERT OR REPLACE INTO {Snapshot._meta.db_table} (version_id, language, title, "
            "banner, preferences_html, policy_html, table_html, text, table_rows, hash) "
            "VALUES (%s, 'en', '', '{}', '', 'Forged.', '', '', '[]', %s)",
            [version.pk, shown.hash],
        ),
    ]:
        with pytest.raises(DatabaseError, match="append-only"):
            raw(sql, params)
    assert ConsentRecord.objects.get(pk=record.pk).granted == ["analytics"]
    assert PublishedVersion.objects.get(pk=version.pk).published_by == "tests"
    assert Snapshot.objects.get(pk=shown.pk).policy_html == shown.policy_html


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_purge_permit_cannot_be_committed(categories):
    """A permit written outside purge_older_than() and committed would let any later DELETE
    through; the database refuses the commit."""
    record = one_record()
    with pytest.raises(IntegrityError, match="purge permit cannot be committed"):
        write_permit(timezone.now() + timedelta(days=1))
    assert not PurgePermit.objects.exists()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ConsentRecord._base_manager.filter(pk=record.pk).delete()
    assert ConsentRecord.objects.filter(pk=record.pk).exists()


def write_permit(before: datetime) -> None:
    """A permit written below the ORM, which refuses it (as a careless or hostile caller
    would): what the database's triggers make of it is under test."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cookieconsent_purgepermit (before) VALUES (%s)",
            [connection.ops.adapt_datetimefield_value(before)],
        )


def test_only_the_purge_writes_a_permit_through_the_orm(categories):
    """A permit written by any other code, by mistake, would open the log to deletion."""
    record = one_record(created_at=timezone.now() - timedelta(days=400))
    later = timezone.now() + timedelta(days=1)
    with pytest.raises(TypeError, match="Only ConsentRecord"):
        PurgePermit.objects.create(before=later)
    with pytest.raises(TypeError, match="Only ConsentRecord"):
        PurgePermit(before=later).save()
    with pytest.raises(TypeError, match="Only ConsentRecord"):
        PurgePermit.objects.bulk_create([PurgePermit(before=later)])
    assert not PurgePermit.objects.exists()
    assert ConsentRecord.objects.filter(pk=record.pk).exists()
    assert ConsentRecord.objects.purge_older_than(timezone.now()) == 1  # the purge still can


# -- the retention purge ----------------------------------------------------------------------


def test_purge_deletes_only_records_older_than_the_cutoff(categories):
    now = timezone.now()
    old = [one_record(created_at=now - timedelta(days=400 + i)) for i in range(3)]
    young = one_record(created_at=now - timedelta(days=10))
    assert ConsentRecord.objects.purge_older_than(now - timedelta(days=365)) == 3
    assert list(ConsentRecord.objects.values_list("pk", flat=True)) == [young.pk]
    assert not ConsentRecord.objects.filter(pk__in=[r.pk for r in old]).exists()
    # The permit went with the transaction: a plain delete is refused again.
    assert not PurgePermit.objects.exists()
    if TRIGGERED:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            ConsentRecord._base_manager.all().delete()


def test_purge_needs_an_aware_cutoff(categories):
    with pytest.raises(ValueError, match="aware"):
        ConsentRecord.objects.purge_older_than(timezone.now().replace(tzinfo=None))


@needs_triggers
def test_a_permit_covers_only_the_rows_before_it(categories):
    now = timezone.now()
    young = one_record(created_at=now)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        write_permit(now - timedelta(days=1))
        ConsentRecord._base_manager.filter(pk=young.pk).delete()
    assert ConsentRecord.objects.filter(pk=young.pk).exists()


# -- the receipt ------------------------------------------------------------------------------


def test_the_preferences_page_links_to_the_receipt(client, categories):
    assert "Your receipt" not in client.get("/cookies/preferences/").content.decode()
    client.post(CONSENT, {"action": "custom", "categories": ["functional"]})
    html = client.get("/cookies/preferences/").content.decode()
    assert '<a href="/cookies/preferences/receipt/">Your receipt</a>' in html


def test_the_receipt_shows_the_decision_in_one_query(client, categories, django_assert_num_queries):
    client.post(CONSENT, {"action": "custom", "categories": ["functional"]})
    record = ConsentRecord.objects.get()
    with django_assert_num_queries(1):
        response = client.get(RECEIPT)
    html = response.content.decode()
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] and "Cookie" in response["Vary"]
    assert f"<code>{record.consent_id}</code>" in html
    assert "<dt>Categories allowed</dt><dd>Functional</dd>" in html
    assert "<dt>Categories refused</dt><dd>Analytics</dd>" in html
    assert "Version 1, last updated 1 June 2026" in html
    assert 'href="/cookies/policy/v1/?language=en"' in html
    assert record.snapshot_hash in html
    local = timezone.localtime(record.created_at)
    assert f'datetime="{local.isoformat()}"' in html


def test_the_receipt_without_a_decision_or_with_a_bad_cookie(client, categories):
    response = client.get(RECEIPT)
    assert response.status_code == 404
    assert "We have no record of a cookie choice from this browser." in response.content.decode()
    client.cookies[CONSENT_COOKIE] = "tampered"
    assert client.get(RECEIPT).status_code == 404
    # Validly signed, but names no record, or its ID is not a UUID.
    client.cookies[CONSENT_COOKIE] = consent_cookie({"analytics"})
    assert client.get(RECEIPT).status_code == 404
    not_a_uuid = Decision(frozenset({"analytics"}), 1, int(time.time()), "custom", "not-a-uuid")
    client.cookies[CONSENT_COOKIE] = not_a_uuid.sign()
    assert client.get(RECEIPT).status_code == 404


def test_the_receipt_links_to_the_text_agreed_to_after_a_later_publish(client, categories):
    client.post(CONSENT, {"action": "reject_all"})
    policy = CookiePolicy.current()
    policy.introduction = "Later words."
    policy.save()
    publishing.publish(policy)
    html = client.get(RECEIPT).content.decode()
    assert "Version 1," in html
    page = client.get("/cookies/policy/v1/?language=en").content.decode()
    assert "Later words." not in page
    assert "This is version 1 of this policy" in page


def test_a_consent_id_is_a_uuid(categories):
    assert isinstance(one_record().consent_id, uuid.UUID)


@pytest.mark.parametrize(
    ("post", "says"),
    [
        ({"action": "accept_all"}, "You accepted all cookies."),
        ({"action": "reject_all"}, "You refused every optional cookie."),
        ({"action": "custom", "categories": ["functional"]}, "You chose the categories yourself."),
        # The banner's Customise dialog posts the preferences form.
        (
            {"action": "preferences", "categories": ["functional"]},
            "You chose the categories yourself.",
        ),
    ],
)
def test_the_receipt_says_what_the_visitor_chose_in_their_words(client, categories, post, says):
    client.post(CONSENT, post)
    html = client.get(RECEIPT).content.decode()
    assert f"<dt>Your choice</dt><dd>{says}</dd>" in html
    assert "Preferences page" not in html
    # The fingerprint is explained, and may break anywhere rather than widen a phone's page.
    assert "A fingerprint of the text you were shown" in html
    assert '<code class="cc-receipt__hash">' in html


@pytest.mark.parametrize("now", [None, {"analytics": True}, ["analytics", 1]])
def test_the_receipt_of_a_record_changed_below_the_orm_is_none(client, now):
    """Categories rewritten in the database (JSON null, an object, not slugs): the visitor is
    told there is no receipt rather than shown a choice the record cannot prove, and no 500."""
    client.post(CONSENT, {"action": "custom", "categories": ["functional"]})
    record = ConsentRecord.objects.get()
    with guards_lifted(ConsentRecord), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ConsentRecord._meta.db_table} SET refused = %s WHERE id = %s",
            [json.dumps(now), record.pk],
        )
    response = client.get(RECEIPT)
    assert response.status_code == 404
    assert "We have no record of a cookie choice from this browser." in response.content.decode()


def test_the_receipt_of_a_decision_that_no_longer_counts(client, categories):
    """Asked again since (a version that requires consent again): the banner shows, and the
    receipt still gives the decision the visitor made, which was recorded."""
    client.post(CONSENT, {"action": "custom", "categories": ["functional"]})
    record = ConsentRecord.objects.get()
    policy = CookiePolicy.current()
    policy.introduction = "Later words."
    policy.save()
    publishing.publish(policy, reconsent=True)
    assert client.get("/cookies/status/").json()["needs_renewal"] is True
    response = client.get(RECEIPT)
    assert response.status_code == 200
    assert f"<code>{record.consent_id}</code>" in response.content.decode()
