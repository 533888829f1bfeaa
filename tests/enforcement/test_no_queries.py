"""The request path reads no table once the registry is warm and the process has reported the
undeclared cookie the tests' views set (one write per name per process:
tests/console/test_undeclared.py)."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient

from cookieconsent.testing import CONSENT_COOKIE, consent_cookie

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def undeclared_reported(client, categories):
    client.get("/t/set/")
    client.cookies.clear()


@pytest.mark.parametrize("path", ["/", "/t/", "/t/set/", "/workspace/"])
def test_ordinary_pages_make_no_query_for_an_undecided_visitor(
    client, categories, django_assert_num_queries, path
):
    with django_assert_num_queries(0):
        response = client.get(path)
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/", "/t/set/"])
def test_ordinary_pages_make_no_query_for_a_decided_visitor(
    client, categories, django_assert_num_queries, path
):
    client.cookies[CONSENT_COOKIE] = consent_cookie({"analytics"})
    client.cookies["_stat"] = "1"
    client.cookies["prefs"] = "sandbox"
    with django_assert_num_queries(0):
        response = client.get(path)
    assert response.status_code == 200
    assert "_stat" in response.cookies  # the example's analytics counter, now allowed


def test_async_page_makes_no_query(categories, django_assert_num_queries):
    client = AsyncClient()
    with django_assert_num_queries(0):
        response = async_to_sync(client.get)("/t/async/")
    assert response.status_code == 200
