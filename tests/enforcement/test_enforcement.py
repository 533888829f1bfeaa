"""CookieConsentMiddleware, alone with RequestFactory and end to end through the client."""

from __future__ import annotations

import logging

import pytest
from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.test import override_settings

from cookieconsent.middleware import CookieConsentMiddleware
from cookieconsent.testing import CONSENT_COOKIE, consent_cookie, cookies_expired, cookies_set
from tests.helpers import publish_draft

pytestmark = pytest.mark.django_db

ALL = [
    "necessary_c",
    "session",
    "functional_c",
    "prefs",
    "analytics_c",
    "_stat",
    "_ga_ABC",
    "undeclared_c",
]


def setter(*names: str):
    def get_response(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("ok")
        for name in names:
            response.set_cookie(name, "v")
        return response

    return get_response


def run(rf, names=ALL, cookie: str | None = None, **extra) -> HttpResponse:
    request = rf.get("/", **extra)
    if cookie is not None:
        request.COOKIES[CONSENT_COOKIE] = cookie
    return CookieConsentMiddleware(setter(*names))(request)


def test_first_visit_only_required_cookies_leave(rf, categories):
    response = run(rf)
    assert cookies_set(response) == {"necessary_c", "session"}


def test_functional_only(rf, categories):
    response = run(rf, cookie=consent_cookie({"functional"}))
    assert cookies_set(response) == {"necessary_c", "session", "functional_c", "prefs"}


def test_accept_all_lets_declared_cookies_and_patterns_through(rf, categories):
    response = run(rf, cookie=consent_cookie({"functional", "analytics"}))
    assert cookies_set(response) == set(ALL) - {"undeclared_c"}


def test_reject_all(rf, categories):
    response = run(rf, cookie=consent_cookie(()))
    assert cookies_set(response) == {"necessary_c", "session"}


@override_settings(COOKIECONSENT={"UNDECLARED_COOKIES": "allow"})
def test_undeclared_allowed_by_setting(rf, categories):
    assert "undeclared_c" in cookies_set(run(rf))


def test_undeclared_warned_once_per_name(rf, categories, caplog):
    with caplog.at_level(logging.WARNING, logger="cookieconsent"):
        run(rf)
        run(rf)
    warnings = [r for r in caplog.records if "undeclared_c" in r.getMessage()]
    assert len(warnings) == 1


def test_django_cookies_are_strictly_necessary_out_of_the_box(rf, categories, settings):
    names = [
        settings.SESSION_COOKIE_NAME,
        settings.CSRF_COOKIE_NAME,
        settings.LANGUAGE_COOKIE_NAME,
        "messages",
    ]
    assert cookies_set(run(rf, names)) == set(names)


@override_settings(COOKIECONSENT={"DECLARE_DJANGO_COOKIES": False})
def test_django_cookies_can_be_left_to_the_table(rf, categories, settings):
    # the language cookie is not in the table: with the built-ins off it is undeclared, so blocked
    assert cookies_set(run(rf, [settings.LANGUAGE_COOKIE_NAME])) == set()


def test_own_cookie_is_never_touched(rf, categories):
    response = run(rf, [CONSENT_COOKIE])
    assert cookies_set(response) == {CONSENT_COOKIE}


def test_deletions_always_pass(rf, categories):
    def get_response(request):
        response = HttpResponse()
        response.delete_cookie("_stat")
        response.delete_cookie("undeclared_c")
        return response

    response = CookieConsentMiddleware(get_response)(rf.get("/"))
    assert cookies_expired(response) == {"_stat", "undeclared_c"}


def test_withdrawn_cookies_are_expired_with_declared_path_and_domain(rf, categories):
    from cookieconsent.models import Cookie

    stat = Cookie.objects.get(name="_stat")
    stat.path, stat.domain = "/app", ".example.com"
    stat.save()
    publish_draft()
    request = rf.get("/")
    request.COOKIES.update(
        {
            CONSENT_COOKIE: consent_cookie(()),
            "_stat": "1",
            "prefs": "x",
            "femstd": "s",
            "other": "1",
            "_ga_1": "1",
        }
    )
    response = CookieConsentMiddleware(setter())(request)
    assert cookies_expired(response) == {"_stat", "prefs", "_ga_1"}
    assert response.cookies["_stat"]["path"] == "/app"
    assert response.cookies["_stat"]["domain"] == ".example.com"
    assert response.cookies["prefs"]["path"] == "/"


def test_a_refused_cookie_the_view_sets_again_is_expired_in_its_place(rf, categories):
    """The view sets ``_stat`` and ``prefs`` for a browser that holds them, whose visitor
    refused both: the view's values never leave, the browser's are expired, once each."""
    request = rf.get("/")
    request.COOKIES.update({CONSENT_COOKIE: consent_cookie(()), "_stat": "1", "prefs": "x"})
    response = CookieConsentMiddleware(setter("prefs", "_stat", "session"))(request)
    assert cookies_expired(response) == {"_stat", "prefs"}
    assert cookies_set(response) == {"session"}
    assert response.cookies.output().count("_stat=") == 1
    assert response["Cache-Control"] == "private"


def test_allowed_cookies_the_browser_holds_are_left_alone(rf, categories):
    request = rf.get("/")
    request.COOKIES.update(
        {CONSENT_COOKIE: consent_cookie({"functional", "analytics"}), "_stat": "1", "prefs": "x"}
    )
    assert cookies_expired(CookieConsentMiddleware(setter())(request)) == set()


def test_vary_cookie_only_when_the_page_read_the_consent(rf, categories):
    response = run(rf)
    assert not response.has_header("Vary")

    def reads(request):
        request.cookie_consent.allows("analytics")
        return HttpResponse()

    response = CookieConsentMiddleware(reads)(rf.get("/"))
    assert "Cookie" in response["Vary"]


def test_sync_middleware_is_not_a_coroutine():
    assert not iscoroutinefunction(CookieConsentMiddleware(setter()))


async def test_async_middleware_filters_the_same(rf, categories):
    async def get_response(request):
        return setter(*ALL)(request)

    middleware = CookieConsentMiddleware(get_response)
    assert iscoroutinefunction(middleware)
    first = await middleware(rf.get("/"))
    assert cookies_set(first) == {"necessary_c", "session"}
    request = rf.get("/")
    request.COOKIES[CONSENT_COOKIE] = consent_cookie({"analytics"})
    decided = await middleware(request)
    assert cookies_set(decided) == {"necessary_c", "session", "analytics_c", "_stat", "_ga_ABC"}


def test_end_to_end_first_visit(client, categories):
    response = client.get("/t/set/")
    assert cookies_set(response) == {"necessary_c"}


async def test_end_to_end_async_view(async_client, categories):
    response = await async_client.get("/t/async/")
    assert cookies_set(response) == {"necessary_c"}


def test_request_cookie_consent_is_set(client, categories):
    response = client.get("/t/")
    assert response.wsgi_request.cookie_consent.is_decided is False


def test_raw_set_cookie_header_is_judged_too(rf, categories):
    def raw(value):
        def get_response(request):
            response = HttpResponse()
            response.headers["Set-Cookie"] = value
            return response

        return get_response

    blocked = CookieConsentMiddleware(raw("_stat=1; Path=/"))(rf.get("/"))
    assert "Set-Cookie" not in blocked.headers
    kept = CookieConsentMiddleware(raw("necessary_c=1; Path=/"))(rf.get("/"))
    assert kept.headers["Set-Cookie"] == "necessary_c=1; Path=/"
