"""``cookieconsent.testing``: the helpers a site's own tests use to be a visitor who decided."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.test import AsyncClient, TestCase, override_settings
from django.utils.http import http_date

from cookieconsent.conf import reset_caches
from cookieconsent.engine.consent import Decision
from cookieconsent.models import ConsentRecord, CookieCategory
from cookieconsent.testing import (
    CONSENT_COOKIE,
    consent_cookie,
    consent_cookie_name,
    cookies_expired,
    cookies_set,
)
from tests.factories import ConsentRecordFactory
from tests.helpers import publish_draft

pytestmark = pytest.mark.django_db


def test_a_consent_cookie_lets_its_categories_through(client, categories):
    client.cookies[CONSENT_COOKIE] = consent_cookie(["analytics"])
    assert cookies_set(client.get("/t/set/")) == {"necessary_c", "analytics_c", "_stat"}


def test_without_one_only_strictly_necessary_cookies_pass(client, categories):
    assert cookies_set(client.get("/t/set/")) == {"necessary_c"}


def test_a_refused_cookie_the_browser_holds_is_expired(client, categories):
    client.cookies[CONSENT_COOKIE] = consent_cookie([])
    client.cookies["analytics_c"] = "1"
    assert cookies_expired(client.get("/t/set/?c=necessary_c")) == {"analytics_c"}


def test_a_deletion_is_counted_as_the_middleware_counts_it():
    """``Max-Age`` of zero or less, or an ``Expires`` in the past, deletes a cookie: the
    helpers count it as deleted, not set, whatever way the response wrote it."""
    response = HttpResponse()
    response.set_cookie("kept", "1", max_age=3600)
    response.set_cookie("negative", "1", max_age=-1)
    response.set_cookie("past", "1", expires=http_date(time.time() - 3 * 24 * 60 * 60))
    response.delete_cookie("deleted")
    assert cookies_set(response) == {"kept"}
    assert cookies_expired(response) == {"negative", "past", "deleted"}


def test_the_cookie_name_follows_the_settings():
    assert consent_cookie_name() == CONSENT_COOKIE
    with override_settings(COOKIECONSENT={"COOKIE_NAME": "cc"}):
        assert consent_cookie_name() == "cc"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the backend is SQLite's")
@pytest.mark.django_db(transaction=True)
def test_the_sqlite_backend_flushes_past_the_triggers_and_keeps_them(categories):
    """``cookieconsent.testing.sqlite3``, which the suite runs on: Django's flush empties the
    append-only tables, and the triggers that refuse anything else are there again after."""
    ConsentRecordFactory()
    assert connection.settings_dict["ENGINE"] == "cookieconsent.testing.sqlite3"
    call_command("flush", interactive=False, verbosity=0)
    assert not ConsentRecord.objects.exists()
    record = ConsentRecordFactory()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ConsentRecord._meta.db_table} SET action = 'reject' WHERE id = %s",
            [record.pk],
        )


class AConsentCookieInAnAsyncTest(TestCase):
    """Django's TestCase runs an ``async def`` test on an event loop, where Django refuses
    queries: the helper still finds the version, with no registry compiled yet, in the test's
    own transaction."""

    @classmethod
    def setUpTestData(cls) -> None:
        CookieCategory.objects.create(slug="extra", name="Extra", order=9)  # drops the registry
        publish_draft()

    async def test_it_names_the_version_the_test_published(self) -> None:
        reset_caches()
        assert Decision.unsign(consent_cookie(["analytics"])).policy_version == 2
        response = await AsyncClient().get("/cookies/status/")
        assert response.status_code == 200
