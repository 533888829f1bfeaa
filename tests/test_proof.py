"""The proof: every record names the published version and language it was given under, the
database keeps it unchanged, only the retention purge deletes it, and the visitor keeps a
receipt."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone, translation

from cookieconsent import publishing
from cookieconsent.models import ConsentRecord, CookiePolicy, PublishedVersion, PurgePermit
from tests.factories import ConsentRecordFactory, UserFactory
from tests.helpers import CONSENT_COOKIE, decision_cookie

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
    assert (record.policy_version, record.text_hash) == (1, shown.hash)


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
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ConsentRecord.objects.bulk_create(
            [forged], update_conflicts=True, unique_fields=["consent_id"], update_fields=["granted"]
        )
    assert ConsentRecord.objects.get(pk=record.pk).granted == ["analytics"]


def test_the_base_manager_cannot_update_or_delete(categories):
    record = one_record()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ConsentRecord._base_manager.filter(pk=record.pk).update(granted=[])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ConsentRecord._base_manager.all().delete()
    assert ConsentRecord.objects.get(pk=record.pk).granted == ["analytics"]


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
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ConsentRecord._base_manager.all().delete()


def test_purge_needs_an_aware_cutoff(categories):
    with pytest.raises(ValueError, match="aware"):
        ConsentRecord.objects.purge_older_than(timezone.now().replace(tzinfo=None))


def test_a_permit_covers_only_the_rows_before_it(categories):
    now = timezone.now()
    young = one_record(created_at=now)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        PurgePermit.objects.create(before=now - timedelta(days=1))
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
    assert record.text_hash in html
    local = timezone.localtime(record.created_at)
    assert f'datetime="{local.isoformat()}"' in html


def test_the_receipt_without_a_decision_or_with_a_bad_cookie(client, categories):
    response = client.get(RECEIPT)
    assert response.status_code == 404
    assert "We have no record of a cookie choice from this browser." in response.content.decode()
    client.cookies[CONSENT_COOKIE] = "tampered"
    assert client.get(RECEIPT).status_code == 404
    # Validly signed, but its ID is not a UUID, or names no record.
    client.cookies[CONSENT_COOKIE] = decision_cookie({"analytics"})
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
