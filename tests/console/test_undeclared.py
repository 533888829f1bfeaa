"""Undeclared cookies from real traffic: remembered once per name per process, after the
response, in a table of bounded size."""

from __future__ import annotations

import logging

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.test import AsyncClient, override_settings

from cookieconsent.console import discovery
from cookieconsent.models import Sighting, Technology, UndeclaredCookie

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_earlier_sightings")]


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
    client.get("/t/set/", {"c": "undeclared_c"})
    with django_assert_num_queries(0):
        client.get("/t/set/", {"c": "undeclared_c"})
    seen = UndeclaredCookie.objects.get()
    assert (seen.sightings, seen.first_seen) == (1, seen.last_seen)


def test_a_name_the_site_set_is_not_reported_again_when_the_browser_sends_it(
    client, categories, django_assert_num_queries
):
    """One report per process: the site's own, which says more."""
    client.get("/t/set/", {"c": "undeclared_c"})
    client.cookies["undeclared_c"] = "1"
    with django_assert_num_queries(0):
        client.get("/t/")
    found = UndeclaredCookie.objects.get()
    assert (found.source, found.sightings, found.example_path) == ("response", 1, "/t/set/")


@pytest.mark.skipif(
    connection.vendor not in ("postgresql", "sqlite"), reason="one UPSERT on PostgreSQL and SQLite"
)
def test_the_write_is_one_statement(client, categories, django_assert_num_queries):
    with django_assert_num_queries(3) as queries:  # the UPSERT, in its savepoint
        client.get("/t/set/", {"c": "undeclared_c"})
    assert [q["sql"].split()[0] for q in queries] == ["SAVEPOINT", "INSERT", "RELEASE"]


def test_the_name_is_written_before_the_middleware_returns(rf, categories):
    from cookieconsent.middleware import CookieConsentMiddleware
    from tests.views import set_cookies

    CookieConsentMiddleware(set_cookies)(rf.get("/t/set/", {"c": "undeclared_c"}))
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
    assert len(discovery._seen[discovery.SITE]) <= 4  # twice the table's limit at most
    with django_assert_num_queries(0):  # the table is full: nothing is queued nor written
        client.get("/t/set/", {"c": "n9"})
    # Staff make room twice over: the names written since fill twice the table's limit, and
    # the process's memory is emptied rather than grown, or closed to new names.
    for batch in ("a", "b", "c"):
        UndeclaredCookie.objects.all().delete()
        client.get("/t/set/", {"c": [f"{batch}1", f"{batch}2"]})
        assert len(discovery._seen[discovery.SITE]) <= 4
    assert set(UndeclaredCookie.objects.values_list("name", flat=True)) == {"c1", "c2"}


@override_settings(COOKIECONSENT={"UNDECLARED_COOKIES_LIMIT": 2})
def test_after_staff_make_room_a_name_met_while_full_is_recorded(client, categories, caplog):
    with caplog.at_level(logging.WARNING, logger="cookieconsent"):
        client.get("/t/set/", {"c": ["a1", "a2", "a3"]})  # a3 met while the table is full
        assert set(UndeclaredCookie.objects.values_list("name", flat=True)) == {"a1", "a2"}
        UndeclaredCookie.objects.filter(name="a1").delete()  # "Declare or delete some"
        client.get("/t/set/", {"c": ["a3", "a4"]})  # the site still sets a3
        assert set(UndeclaredCookie.objects.values_list("name", flat=True)) == {"a2", "a3"}
    stopped = [r for r in caplog.records if "stopped recording" in r.getMessage()]
    assert len(stopped) == 2  # once each time the table fills


@override_settings(COOKIECONSENT={"UNDECLARED_COOKIES_LIMIT": 2})
def test_a_visitor_flood_cannot_stop_discovery_of_browser_names(client, categories):
    for flood in range(3):  # invented names, twice the limit each time; staff clear them
        client.cookies.load({f"junk{flood}_{i}": "1" for i in range(4)})
        client.get("/t/")
        assert UndeclaredCookie.objects.count() == 2
        UndeclaredCookie.objects.all().delete()
        client.cookies.clear()
    client.cookies.load({"_hjid": "1"})  # a real visitor's browser sends a script-set cookie
    client.get("/t/")
    assert UndeclaredCookie.objects.get().name == "_hjid"


@override_settings(COOKIECONSENT={"UNDECLARED_COOKIES_LIMIT": 1})
def test_a_process_tries_again_a_while_after_the_table_was_full(
    client, categories, monkeypatch, django_assert_num_queries
):
    now = [1000.0]
    monkeypatch.setattr(discovery, "_clock", lambda: now[0])
    client.get("/t/set/", {"c": ["a1", "a2"]})
    with connection.cursor() as cursor:  # another process makes room: no signal reaches this one
        cursor.execute(f"DELETE FROM {UndeclaredCookie._meta.db_table}")
    with django_assert_num_queries(0):
        client.get("/t/set/", {"c": "a2"})
    now[0] += discovery.FULL_FOR
    client.get("/t/set/", {"c": "a2"})
    assert UndeclaredCookie.objects.get().name == "a2"


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
    with caplog.at_level(logging.ERROR, logger="cookieconsent"):
        response = CookieConsentMiddleware(set_cookies)(rf.get("/t/set/", {"c": "undeclared_c"}))
    assert "could not record undeclared cookies" in caplog.text
    assert "undeclared_c" not in response.cookies  # enforced all the same


# -- what a visitor can send ----------------------------------------------------------------


@override_settings(COOKIECONSENT={"UNDECLARED_COOKIES_LIMIT": 3})
def test_names_a_browser_invents_never_crowd_out_the_sites_own(client, categories, caplog):
    for batch in range(4):
        for i in range(3):
            client.cookies[f"invented_{batch}_{i}"] = "1"
        client.get("/t/")
    sent = UndeclaredCookie.objects.filter(source=Sighting.REQUEST)
    assert sent.count() == 3  # their own bound, in the table
    assert len(discovery._seen[discovery.BROWSER]) == 3  # the process remembers those only
    client.cookies.clear()
    with caplog.at_level(logging.WARNING, logger="cookieconsent"):
        client.get("/t/set/", {"c": ["_hjSessionUser_123", "site_2", "site_3"]})
    site = UndeclaredCookie.objects.exclude(source=Sighting.REQUEST)
    assert set(site.values_list("name", flat=True)) == {"_hjSessionUser_123", "site_2", "site_3"}
    assert "cookies that browsers send" in caplog.text
    assert "names the site set" not in caplog.text


def test_a_name_the_browser_sent_becomes_the_sites_own_once_a_view_sets_it(client, categories):
    client.cookies["_hjSessionUser_123"] = "1"
    client.get("/t/")
    assert UndeclaredCookie.objects.get().source == Sighting.REQUEST
    client.cookies.clear()
    client.get("/t/set/", {"c": "_hjSessionUser_123"})
    found = UndeclaredCookie.objects.get()
    assert (found.source, found.example_path, found.sightings) == ("response", "/t/set/", 2)
    # Sent back later, it stays the site's own, and costs no further write in this process.
    client.cookies["_hjSessionUser_123"] = "1"
    client.get("/t/")
    assert UndeclaredCookie.objects.get().source == Sighting.RESPONSE


@pytest.mark.parametrize(
    "name",
    [
        "x" * (UndeclaredCookie._meta.get_field("name").max_length + 1),
        "<script>alert(1)</script>",
        "tab\tname",
        "a(b)",
        "café",
    ],
)
def test_a_name_that_is_no_cookie_name_is_not_recorded(client, categories, name):
    # As a client may write the header, whatever the cookie jar would allow.
    client.get("/t/%00%1b/", HTTP_COOKIE=f"{name}=1; tracker_xyz=1")  # a 404, odd path too
    found = UndeclaredCookie.objects.get()
    assert (found.name, found.example_path) == ("tracker_xyz", "/t//")
    assert name not in discovery._seen[discovery.BROWSER]


def test_the_longest_name_the_table_holds_is_recorded(client, categories):
    name = "x" * UndeclaredCookie._meta.get_field("name").max_length
    client.get("/t/set/", {"c": name})
    assert UndeclaredCookie.objects.get().name == name


def test_a_failed_write_loses_no_other_name_and_is_tried_again(client, categories, caplog):
    from django.db import connection

    def fail_once(execute, sql, params, many, context):
        # A real failed statement, which on PostgreSQL also aborts the transaction around it.
        if sql.startswith("INSERT") and "flaky_c" in (params or ()) and not failed:
            failed.append(sql)
            return execute("SELECT * FROM cookieconsent_no_such_table", None, many, context)
        return execute(sql, params, many, context)

    failed: list[str] = []
    with (
        caplog.at_level(logging.ERROR, logger="cookieconsent"),
        connection.execute_wrapper(fail_once),
    ):
        client.get("/t/set/", {"c": ["first_c", "flaky_c", "last_c"]})
        assert failed
        assert set(UndeclaredCookie.objects.values_list("name", flat=True)) == {
            "first_c",
            "last_c",
        }
        assert "'flaky_c' is tried again" in caplog.text
        client.get("/t/set/", {"c": ["first_c", "flaky_c"]})
    assert UndeclaredCookie.objects.get(name="flaky_c").sightings == 1
    assert UndeclaredCookie.objects.get(name="first_c").sightings == 1  # not written again


def test_a_scan_records_only_valid_names(categories):
    written = discovery.record_many(
        [
            ("ok_c", Technology.HTTP_COOKIE),
            ("y" * 300, Technology.LOCAL_STORAGE),
            ("<img src=x>", Technology.LOCAL_STORAGE),
            ("user settings", Technology.LOCAL_STORAGE),
        ],
        source=Sighting.SCAN,
        path="/p/",
    )
    assert written == 2
    assert set(UndeclaredCookie.objects.values_list("name", flat=True)) == {
        "ok_c",
        "user settings",
    }
