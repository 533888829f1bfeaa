"""The app's template tags in an async view that renders its page on the event loop (Django's
``render()`` or ``Template.render()`` called in the view itself), where Django refuses every
query, under ASGI and under WSGI (where Django runs an async view on an event loop of its
own): the published snapshots are read as each registry is built, in the thread that builds
it, and a registry check never falls due on the event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest
from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.test import AsyncClient, Client
from django.urls import include, path

from cookieconsent.conf import reset_caches
from cookieconsent.engine import registry
from cookieconsent.models import CookieCategory
from cookieconsent.publishing import serve as serving
from cookieconsent.testing import CONSENT_COOKIE, consent_cookie, cookies_set
from tests.conftest import RegistryClock
from tests.helpers import publish_draft

PAGE = engines["django"].from_string(
    "{% load cookieconsent %}<html><head>{% cookieconsent_head %}</head><body>"
    "{% cookieconsent_banner %}{% consent_gate 'analytics' %}<script src='/a.js'></script>"
    "{% endconsent_gate %}{% cookieconsent_settings_link %}</body></html>"
)

#: Set by a test: the registry's clock, moved past REGISTRY_STALENESS while the view runs.
slow: dict[str, RegistryClock] = {}
#: Set by a test: what another thread of the process does while the view runs.
meanwhile: list[Callable[[], object]] = []


async def page(request: HttpRequest) -> HttpResponse:
    if "clock" in slow:
        slow["clock"].advance(3600)  # the view took longer than the registry is trusted
    for work in meanwhile:
        other = threading.Thread(target=work)
        other.start()
        other.join(10)
    response = HttpResponse(PAGE.render({}, request))
    response.set_cookie("analytics_c", "1")
    return response


#: ``@pytest.mark.urls("tests.enforcement.test_async_pages")``
urlpatterns = [path("page/", page), path("cookies/", include("cookieconsent.urls"))]

pytestmark = [
    # Committed: the middleware reads in a worker thread, on its own connection.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.urls("tests.enforcement.test_async_pages"),
]


@pytest.fixture(autouse=True)
def quick_view():
    slow.clear()
    meanwhile.clear()
    yield
    slow.clear()
    meanwhile.clear()


async def visit(**cookies: str) -> HttpResponse:
    client = AsyncClient(raise_request_exception=False)
    for name, value in cookies.items():
        client.cookies[name] = value
    return await client.get("/page/")


async def test_the_first_page_after_a_start_or_a_publish(categories):
    """Nothing read yet in this process (or since the last publish): the published snapshot
    is read before the view, in a thread, not by the banner on the event loop."""
    await sync_to_async(reset_caches)()
    response = await visit()
    assert response.status_code == 200
    assert b'id="cookieconsent-banner"' in response.content
    assert "analytics_c" not in cookies_set(response)


async def test_a_view_that_outlasts_the_registry_check(categories, registry_clock):
    """The registry falls due for its check while the view runs: the tags keep the registry
    the request started with, and the next request checks, in a thread."""
    assert (await visit()).status_code == 200
    slow["clock"] = registry_clock
    decided = await sync_to_async(consent_cookie)({"analytics"})
    response = await visit(**{CONSENT_COOKIE: decided})
    assert response.status_code == 200
    assert b"/a.js" in response.content
    assert "analytics_c" in cookies_set(response)
    slow.clear()
    assert (await visit()).status_code == 200


def test_under_wsgi_the_first_page_after_a_start_or_a_publish(categories):
    reset_caches()
    response = Client(raise_request_exception=False).get("/page/")
    assert response.status_code == 200
    assert b'id="cookieconsent-banner"' in response.content
    assert "analytics_c" not in cookies_set(response)


def test_under_wsgi_a_view_that_outlasts_the_registry_check(categories, registry_clock):
    client = Client(raise_request_exception=False)
    assert client.get("/page/").status_code == 200
    slow["clock"] = registry_clock
    client.cookies[CONSENT_COOKIE] = consent_cookie({"analytics"})
    response = client.get("/page/")
    assert response.status_code == 200
    assert "analytics_c" in cookies_set(response)


def test_a_new_registry_comes_with_its_snapshots(categories, django_assert_num_queries):
    """A staff edit replaces the registry: the new one's snapshots are read as it is built, and
    a page still in flight on the old one reads the same memo, without emptying it."""
    old = registry.get_registry()
    registry.invalidate()
    new = registry.get_registry()
    assert new is not old
    with django_assert_num_queries(0):
        assert serving.current(registry=old) == serving.current(registry=new) is not None
        assert serving.current() is not None


def test_the_latest_snapshots_outlive_a_visitor_browsing_old_versions(
    categories, django_assert_num_queries, monkeypatch
):
    """The memo of snapshots is emptied when full (a visitor can ask for every old version):
    the latest version's are kept all the same."""
    CookieCategory.objects.filter(slug="functional").update(purpose="Remembers choices.")
    registry.invalidate()
    publish_draft()
    latest = serving.current()
    assert latest is not None and latest.version.number == 2
    monkeypatch.setattr(serving._snapshots.of(registry.get_registry()), "limit", 1)
    assert serving.snapshot(1) is not None  # read, and the full memo emptied
    with django_assert_num_queries(0):
        assert serving.current() == latest


def test_a_page_on_the_old_registry_during_a_build_reads_no_table(
    categories, registry_clock, monkeypatch, django_assert_num_queries
):
    """An async view's template asks for the snapshot on the event loop while a thread builds
    the next registry (the loop gets the registry it has, without waiting): it finds the old
    build's snapshots, and leaves the new build's, read as it was built, in place for the pages
    after it. Neither may query (Django refuses on the loop)."""
    old = registry.get_registry()
    CookieCategory.objects.filter(slug="functional").update(purpose="Remembers choices.")
    publish_draft()
    # As if another process had published: this one still serves the old registry, due for
    # its check.
    monkeypatch.setattr(registry, "_current", old)
    registry_clock.advance(10)
    seen = []

    async def a_page() -> object:
        return serving.current()

    def meanwhile(new: registry.Registry) -> None:
        seen.append(asyncio.run(a_page()))  # before the build is finished

    monkeypatch.setattr(registry, "_preparers", [*registry._preparers, meanwhile])
    new = registry.get_registry()
    assert new is not old and seen == [serving.current(registry=old)]
    with django_assert_num_queries(0):
        latest = asyncio.run(a_page())
    assert latest is not None and latest.version.number == new.policy_version == 2


@pytest.mark.parametrize("then_a_request", [False, True], ids=["publish", "publish-and-rebuild"])
async def test_a_page_in_flight_while_another_thread_publishes(categories, then_a_request):
    """Staff publish in the server's thread pool while an async page renders: the page serves
    the version its request was given, from what its registry read as it was built, with no
    query on the event loop."""

    def staff_publish() -> None:
        CookieCategory.objects.filter(slug="functional").update(purpose="Remembers choices.")
        publish_draft()
        if then_a_request:
            registry.get_registry()

    meanwhile.append(staff_publish)
    response = await visit()
    assert response.status_code == 200
    assert 'class="cc-banner' in response.content.decode()
