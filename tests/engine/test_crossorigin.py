"""The consent endpoint without a CSRF token: refused when the browser says the post comes
from another origin, accepted from this one, Django's token check for requests that say
nothing (``cookieconsent.engine.crossorigin``)."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client, RequestFactory, override_settings

from cookieconsent.engine.crossorigin import Verdict, verdict
from cookieconsent.models import ConsentRecord

pytestmark = pytest.mark.django_db

URL = "/cookies/consent/"
FORM = {"action": "accept_all", "next": "/t/"}


def strict() -> Client:
    """A client that enforces CSRF checks, as a browser's requests are."""
    return Client(enforce_csrf_checks=True)


def good_token(client: Client) -> str:
    """A token for this client's CSRF cookie (the preferences page still has one for
    browsers that send neither header)."""
    client.get("/cookies/preferences/")
    return client.cookies[settings.CSRF_COOKIE_NAME].value


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
        {"Sec-Fetch-Site": "none"},
        {"Origin": "http://testserver"},  # a browser without Fetch Metadata
    ],
)
def test_same_origin_needs_no_token(categories, headers):
    response = strict().post(URL, FORM, headers=headers)
    assert response.status_code == 302
    assert ConsentRecord.objects.count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://shop.testserver"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},  # Fetch Metadata wins
        {"Sec-Fetch-Site": "something-new"},
        {"Origin": "https://evil.example"},
        {"Origin": "https://testserver"},  # another scheme is another origin
        {"Origin": "null"},
    ],
)
def test_cross_origin_is_refused_even_with_a_good_token(categories, headers):
    client = strict()
    token = good_token(client)
    response = client.post(URL, {**FORM, "csrfmiddlewaretoken": token}, headers=headers)
    assert response.status_code == 403
    assert "another site" in response.content.decode()
    assert not ConsentRecord.objects.exists()
    assert "cookieconsent" not in response.cookies


def test_cross_origin_json_gets_a_json_error(categories):
    response = strict().post(
        URL,
        json.dumps({"action": "accept_all"}),
        content_type="application/json",
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403
    assert "another site" in response.json()["error"]


def test_neither_header_and_no_token_is_refused(categories):
    """What curl sends: no Origin, no Sec-Fetch-Site, no token."""
    response = strict().post(URL, FORM)
    assert response.status_code == 403
    assert not ConsentRecord.objects.exists()
    assert "cookieconsent" not in response.cookies


def test_neither_header_and_a_wrong_token_is_refused(categories):
    client = strict()
    good_token(client)
    response = client.post(URL, {**FORM, "csrfmiddlewaretoken": "x" * 64})
    assert response.status_code == 403
    assert not ConsentRecord.objects.exists()


def test_neither_header_and_a_good_token_passes(categories):
    client = strict()
    response = client.post(URL, {**FORM, "csrfmiddlewaretoken": good_token(client)})
    assert response.status_code == 302
    assert ConsentRecord.objects.count() == 1


@override_settings(CSRF_TRUSTED_ORIGINS=["https://www.example.com", "https://*.example.org"])
@pytest.mark.parametrize(
    ("origin", "site", "accepted"),
    [
        ("https://www.example.com", "cross-site", True),
        ("https://shop.example.org", "same-site", True),
        ("https://example.org", None, True),
        ("http://shop.example.org", None, False),  # the scheme must match
        ("https://example.com", "cross-site", False),
    ],
)
def test_csrf_trusted_origins_are_respected(categories, origin, site, accepted):
    headers = {"Origin": origin} | ({"Sec-Fetch-Site": site} if site else {})
    response = strict().post(URL, FORM, headers=headers)
    assert response.status_code == (302 if accepted else 403)


def test_verdict_of_a_request_to_a_host_not_allowed():
    request = RequestFactory().post(
        URL, HTTP_HOST="evil.example", HTTP_ORIGIN="http://evil.example"
    )
    assert verdict(request) is Verdict.CROSS_ORIGIN


def test_the_banner_sets_no_csrf_cookie_for_a_new_visitor(categories):
    response = strict().get("/t/")
    assert 'id="cookieconsent-banner"' in response.content.decode()
    assert settings.CSRF_COOKIE_NAME not in response.cookies


def test_a_malformed_origin_is_not_trusted(categories, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.org"]
    response = strict().post(URL, FORM, headers={"Origin": "http://[::1"})
    assert response.status_code == 403


def test_the_decorator_lets_safe_methods_through(rf):
    from django.http import HttpResponse

    from cookieconsent.engine.crossorigin import cross_origin_protect

    @cross_origin_protect(lambda request: HttpResponse("refused", status=403))
    def view(request):
        return HttpResponse("ok")

    cross = {"HTTP_SEC_FETCH_SITE": "cross-site"}
    assert view(rf.get("/", **cross)).status_code == 200
    assert view(rf.post("/", **cross)).status_code == 403
    assert getattr(view, "csrf_exempt", False)  # Django's middleware leaves it to us
