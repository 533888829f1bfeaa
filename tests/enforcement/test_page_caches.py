"""Cache-safe mode behind Django's own page cache: every visitor gets the same cached page with
the same hidden banner; the script asks the status endpoint, and the consent POST needs no
CSRF token (the endpoint checks where it comes from)."""

from __future__ import annotations

import html
import json
import re
from unittest import mock

import pytest
from django.conf import settings
from django.test import Client, override_settings

from cookieconsent.models import ConsentRecord
from cookieconsent.testing import CONSENT_COOKIE, consent_cookie

pytestmark = pytest.mark.django_db

PAGE = "/t/"
STATUS = "/cookies/status/"
CONSENT = "/cookies/consent/"
CACHED_MIDDLEWARE = [
    # Outermost, so it stores the response after CookieConsentMiddleware has judged it.
    "django.middleware.cache.UpdateCacheMiddleware",
    *settings.MIDDLEWARE,
    "django.middleware.cache.FetchFromCacheMiddleware",
]
CACHE_SAFE = override_settings(
    COOKIECONSENT={"CACHE_SAFE": True},
    MIDDLEWARE=CACHED_MIDDLEWARE,
    CACHE_MIDDLEWARE_SECONDS=300,
)


def config_of(page: str) -> dict[str, object]:
    match = re.search(r'data-cookieconsent-config="([^"]*)"', page)
    assert match is not None, page
    return json.loads(html.unescape(match.group(1)))  # type: ignore[no-any-return]


@CACHE_SAFE
def test_two_visitors_get_the_same_cached_page(categories):
    first = Client().get(PAGE)
    assert "Cookie" not in first.get("Vary", "")
    assert not first.cookies  # nothing of this visitor's in a page meant for everyone
    decided = Client()
    decided.cookies[CONSENT_COOKIE] = consent_cookie({"analytics"})
    decided.cookies[settings.CSRF_COOKIE_NAME] = "x" * 32
    # Served from the cache: the view does not run again.
    with mock.patch("tests.views.PAGE.render", side_effect=AssertionError("not cached")):
        second = decided.get(PAGE)
    assert second.content == first.content


@CACHE_SAFE
def test_the_cached_banner_is_hidden_and_carries_nobodys_state_or_token(categories):
    page = Client().get(PAGE).content.decode()
    banner = page[page.index("<section") : page.index("</section>")]
    assert re.search(r"<section [^>]*data-cookieconsent-cache-safe hidden>", banner)
    assert "csrfmiddlewaretoken" not in page
    config = config_of(page)
    assert config["cacheSafe"] is True and config["state"] is None
    assert config["statusUrl"] == STATUS


@CACHE_SAFE
def test_status_is_each_visitors_own_and_never_cached(categories):
    new = Client().get(STATUS)
    assert new.json()["decided"] is False
    assert "no-cache" in new["Cache-Control"] and "Cookie" in new["Vary"]
    decided = Client()
    decided.cookies[CONSENT_COOKIE] = consent_cookie({"analytics"})
    state = decided.get(STATUS).json()
    assert state["decided"] is True and "analytics" in state["categories"]
    assert Client().get(STATUS).json()["decided"] is False


@CACHE_SAFE
def test_consent_post_takes_the_token_from_the_visitors_cookie(categories):
    client = Client(enforce_csrf_checks=True)
    client.get(PAGE)
    assert settings.CSRF_COOKIE_NAME not in client.cookies
    # No token cookie yet: the preferences page (never cached, it is the visitor's own) sets
    # one, as the script does.
    prefs = client.get("/cookies/preferences/")
    assert "Cookie" in prefs["Vary"]
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(
        CONSENT,
        json.dumps({"action": "accept_all", "categories": [], "next": PAGE}),
        content_type="application/json",
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json()["decided"] is True
    assert ConsentRecord.objects.count() == 1
    assert client.get(STATUS).json()["decided"] is True


@CACHE_SAFE
def test_consent_post_without_the_visitors_token_is_refused(categories):
    client = Client(enforce_csrf_checks=True)
    client.get(PAGE)
    response = client.post(
        CONSENT,
        json.dumps({"action": "accept_all"}),
        content_type="application/json",
        headers={"X-CSRFToken": "a" * 32, "Accept": "application/json"},
    )
    assert response.status_code == 403
    assert not ConsentRecord.objects.exists()


@CACHE_SAFE
def test_decided_visitor_still_gets_the_hidden_banner(categories):
    client = Client()
    client.cookies[CONSENT_COOKIE] = consent_cookie(())
    page = client.get(PAGE).content.decode()
    assert "data-cookieconsent-cache-safe hidden" in page


def test_without_cache_safe_the_banner_carries_state_and_no_token(client, categories):
    page = client.get(PAGE).content.decode()
    assert "csrfmiddlewaretoken" not in page
    assert "hidden" not in page[page.index("<section") : page.index(">", page.index("<section"))]
    state = config_of(page)["state"]
    assert isinstance(state, dict) and state["decided"] is False
