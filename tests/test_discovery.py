"""Undeclared cookies from real traffic: remembered once per name per process, after the
response, in a table of bounded size."""

from __future__ import annotations

import logging

import pytest
from asgiref.sync import async_to_sync
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import AsyncClient, override_settings

from cookieconsent import discovery
from cookieconsent.models import Sighting, Technology, UndeclaredCookie

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_earlier_sightings(db: None) -> None:
    """Start from an empty list of undeclared cookies. Async tests elsewhere write theirs from
    the server's worker thread, on its own connection, outside the test's transaction: on
    PostgreSQL those rows are committed and would otherwise be seen here."""
    UndeclaredCookie.objects.all().delete()


def test_a_blocked_undeclared_cookie_is_remembered_with_its_page(client, categories):
    response = client.get("/t/set/", {"c": ["undeclared_c", "analytics_c"]})
    assert "undeclared_c" not in response.cookies
    found = UndeclaredCookie.objects.get()
    assert found.name == "undeclared_c"
    assert found.source == Sighting.RESPONSE
    assert found.technology == Technology.HTTP_COOKIE
    assert found.example_path == "/t/set/"
    assert found.sightings == 1
    assert found.first_seen == found.last_seen


def test_a_cookie_the_browser_sends_is_remembered_as_from_the_request(client, categories):
    client.cookies["tracker_xyz"] = "1"
    client.cookies["_stat"] = "1"  # declared: not an undeclared cookie
    client.get("/t/")
    found = UndeclaredCookie.objects.get()
    assert (found.name, found.source, found.example_path) == ("tracker_xyz", "request", "/t/")


def test_one_write_per_name_per_process_then_none(client, categories, django_assert_num_queries):
    with django_assert_num_queries(1):  # the UPSERT, after the response was built
        client.get("/t/set/", {"c": "undeclared_c"})
    with django_assert_num_queries(0):
        client.get("/t/set/", {"c": "undeclared_c"})
    assert UndeclaredCookie.objects.get().sightings == 1


def test_the_write_waits_for_the_server_to_close_the_response(rf, categories):
    from cookieconsent.middleware import CookieConsentMiddleware
    from tests.views import set_cookies

    response = CookieConsentMiddleware(set_cookies)(rf.get("/t/set/", {"c": "undeclared_c"}))
    assert not UndeclaredCookie.objects.exists()  # built, not yet sent
    # What the WSGI / ASGI server does once the body is out. Like Django's test client, keep
    # the close from ending the test's database connection (request_finished would).
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    assert UndeclaredCookie.objects.get().name == "undeclared_c"


def test_another_process_bumps_the_count_and_last_seen(client, categories):
    client.get("/t/set/", {"c": "undeclared_c"})
    first = UndeclaredCookie.objects.get()
    discovery.reset()  # as a second process would start
    client.get("/t/set/", {"c": "undeclared_c"})
    again = UndeclaredCookie.objects.get()
    assert again.sightings == 2
    assert again.first_seen == first.first_seen
    assert again.last_seen > first.last_seen
    assert again.example_path == "/t/set/"


# The ASGI handler closes the response in a thread, which needs committed data. (See
# tests/test_browser.py for why serialized_rollback.)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_async_requests_are_remembered_too(categories):
    async_to_sync(AsyncClient().get)("/t/async/", {"c": "undeclared_c"})
    assert UndeclaredCookie.objects.get().name == "undeclared_c"


@override_settings(COOKIECONSENT={"UNDECLARED_COOKIES_LIMIT": 2})
def test_the_table_is_bounded_and_says_so_once(client, categories, caplog):
    with caplog.at_level(logging.WARNING, logger="cookieconsent"):
        client.get("/t/set/", {"c": ["a1", "a2", "a3", "a4"]})
    assert set(UndeclaredCookie.objects.values_list("name", flat=True)) == {"a1", "a2"}
    stopped = [r for r in caplog.records if "stopped recording" in r.getMessage()]
    assert len(stopped) == 1
    # A name already in the table is still counted when it is full.
    discovery.reset()
    client.get("/t/set/", {"c": ["a1", "a5"]})
    assert UndeclaredCookie.objects.get(name="a1").sightings == 2
    assert UndeclaredCookie.objects.count() == 2


@override_settings(COOKIECONSENT={"UNDECLARED_COOKIES_LIMIT": 2})
def test_a_process_remembers_a_bounded_number_of_names(
    client, categories, django_assert_num_queries
):
    client.get("/t/set/", {"c": [f"n{i}" for i in range(10)]})
    assert len(discovery._seen) == 4  # twice the table's limit
    with django_assert_num_queries(0):  # beyond it, nothing is queued and nothing written
        client.get("/t/set/", {"c": "n9"})


@override_settings(COOKIECONSENT={"UNDECLARED_COOKIES": "allow"})
def test_undeclared_cookies_let_through_are_remembered_too(client, categories):
    response = client.get("/t/set/", {"c": "undeclared_c"})
    assert "undeclared_c" in response.cookies
    assert UndeclaredCookie.objects.get().source == Sighting.RESPONSE


def test_a_failed_write_is_logged_and_the_response_survives(rf, categories, caplog, monkeypatch):
    from cookieconsent.middleware import CookieConsentMiddleware
    from tests.views import set_cookies

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(discovery, "record", broken)
    response = CookieConsentMiddleware(set_cookies)(rf.get("/t/set/", {"c": "undeclared_c"}))
    with caplog.at_level(logging.ERROR, logger="cookieconsent"):
        response.close()
    assert "could not record undeclared cookies" in caplog.text
