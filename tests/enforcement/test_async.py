"""CookieConsentMiddleware under ASGI: a coroutine when the chain below it is async, the same
decisions as in sync mode, and no thread hop of its own while the registry is fresh."""

from __future__ import annotations

import threading

import pytest
from asgiref import sync as asgiref_sync
from asgiref.sync import iscoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from cookieconsent.engine import registry as registry_module
from cookieconsent.middleware import CookieConsentMiddleware
from cookieconsent.testing import CONSENT_COOKIE, consent_cookie, cookies_expired, cookies_set

#: What /t/async/ (and /t/set/) try to set; the tests' settings add the analytics middleware's
#: ``_stat`` to every HTML response.
FIRST_VISIT = {"necessary_c"}
ACCEPTED_ALL = {"necessary_c", "functional_c", "analytics_c", "_stat"}

ALL = ["necessary_c", "session", "functional_c", "prefs", "analytics_c", "_ga_X", "undeclared_c"]
#: All but the undeclared name, whose first sighting is written to the database (a thread hop).
DECLARED = ALL[:-1]

seen_threads: dict[str, int] = {}


async def loop_view(request: HttpRequest) -> HttpResponse:
    seen_threads["view"] = threading.get_ident()
    response = HttpResponse("async")
    for name in ALL:
        response.set_cookie(name, "1")
    return response


#: ``@pytest.mark.urls("tests.enforcement.test_async")``: one async view and nothing else.
urlpatterns = [path("loop/", loop_view)]


def setter(*names: str):
    async def get_response(request: HttpRequest) -> HttpResponse:
        seen_threads["get_response"] = threading.get_ident()
        response = HttpResponse("ok")
        for name in names:
            response.set_cookie(name, "v")
        return response

    return get_response


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every ``sync_to_async`` call made while the test runs: each is a hop to a thread."""
    calls: list[object] = []
    original = asgiref_sync.SyncToAsync.__call__

    async def counting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(self.func)
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(asgiref_sync.SyncToAsync, "__call__", counting)
    return calls


def test_async_get_response_makes_a_coroutine_function():
    assert iscoroutinefunction(CookieConsentMiddleware(setter()))
    assert not iscoroutinefunction(CookieConsentMiddleware(lambda request: HttpResponse()))


@pytest.mark.django_db
async def test_driven_directly_first_visit_and_accept_all(rf, categories, hops):
    middleware = CookieConsentMiddleware(setter(*DECLARED))
    loop_thread = threading.get_ident()

    first = await middleware(rf.get("/"))
    assert cookies_set(first) == {"necessary_c", "session"}

    request = rf.get("/")
    request.COOKIES[CONSENT_COOKIE] = consent_cookie({"functional", "analytics"})
    accepted = await middleware(request)
    assert cookies_set(accepted) == set(DECLARED)

    # The registry was warm (the fixture compiled it): no sync_to_async, no other thread.
    assert hops == []
    assert seen_threads["get_response"] == loop_thread


@pytest.mark.django_db
async def test_driven_directly_expires_withdrawn_cookies(rf, categories):
    middleware = CookieConsentMiddleware(setter())
    request = rf.get("/", HTTP_COOKIE="analytics_c=1; prefs=2; necessary_c=3")
    request.COOKIES[CONSENT_COOKIE] = consent_cookie({"functional"})
    response = await middleware(request)
    assert cookies_expired(response) == {"analytics_c"}


# Committed: the check runs in a worker thread, on its own database connection.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_registry_due_for_a_check_costs_one_hop(rf, categories, hops, registry_clock):
    """Only when the staleness window has passed does the middleware leave the event loop, once,
    to compare its generation with the database's."""
    middleware = CookieConsentMiddleware(setter(*DECLARED))
    registry_module.get_registry()
    registry_clock.advance(3600)
    response = await middleware(rf.get("/"))
    assert cookies_set(response) == {"necessary_c", "session"}
    assert len(hops) == 1
    hops.clear()
    await middleware(rf.get("/"))
    assert hops == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_async_client_first_visit_then_accept_all_as_in_sync(async_client, categories):
    """The visitor's whole loop through the ASGI handler, then the same loop through the WSGI
    test client: the same cookies leave at every step."""
    first = await async_client.get("/t/async/")
    assert cookies_set(first) == FIRST_VISIT

    posted = await async_client.post("/cookies/consent/", {"action": "accept_all", "next": "/"})
    assert posted.status_code == 302
    assert CONSENT_COOKIE in cookies_set(posted)

    again = await async_client.get("/t/async/")
    assert cookies_set(again) == ACCEPTED_ALL

    def sync_loop() -> tuple[set[str], set[str]]:
        client = Client()
        before = cookies_set(client.get("/t/set/"))
        client.post("/cookies/consent/", {"action": "accept_all", "next": "/"})
        return before, cookies_set(client.get("/t/set/"))

    assert await sync_to_async(sync_loop)() == (FIRST_VISIT, ACCEPTED_ALL)


@pytest.mark.django_db
@pytest.mark.urls("tests.enforcement.test_async")
async def test_under_asgi_the_middleware_stays_on_the_event_loop(
    async_client, categories, settings, monkeypatch
):
    """Behind only async-capable middleware, Django calls ours as a coroutine: its own code and
    the async view run on the event loop's thread. A sync-only middleware would be wrapped in
    ``sync_to_async`` and run in another thread."""
    settings.MIDDLEWARE = ["cookieconsent.middleware.CookieConsentMiddleware"]
    original = CookieConsentMiddleware.process_response

    def spy(self, request, response):  # type: ignore[no-untyped-def]
        seen_threads["middleware"] = threading.get_ident()
        return original(self, request, response)

    monkeypatch.setattr(CookieConsentMiddleware, "process_response", spy)
    seen_threads.clear()

    response = await async_client.get("/loop/")

    assert cookies_set(response) == {"necessary_c", "session"}
    assert seen_threads["middleware"] == seen_threads["view"] == threading.get_ident()
