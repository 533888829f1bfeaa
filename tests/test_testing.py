"""``cookieconsent.testing``: the helpers a site's own tests use to be a visitor who decided."""

from __future__ import annotations

import pytest
from django.test import override_settings

from cookieconsent.testing import (
    CONSENT_COOKIE,
    consent_cookie,
    consent_cookie_name,
    cookies_expired,
    cookies_set,
)

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


def test_the_cookie_name_follows_the_settings():
    assert consent_cookie_name() == CONSENT_COOKIE
    with override_settings(COOKIECONSENT={"COOKIE_NAME": "cc"}):
        assert consent_cookie_name() == "cc"
