"""The app's template tags in an async view that renders its page on the event loop (Django's
``render()`` or ``Template.render()`` called in the view itself), where Django refuses every
query: the middleware's async path leaves them nothing to read from the database."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.test import AsyncClient
from django.urls import include, path

from cookieconsent.conf import reset_caches
from cookieconsent.testing import CONSENT_COOKIE, consent_cookie, cookies_set
from tests.conftest import RegistryClock

PAGE = engines["django"].from_string(
    "{% load cookieconsent %}<html><head>{% cookieconsent_head %}</head><body>"
    "{% cookieconsent_banner %}{% consent_gate 'analytics' %}<script src='/a.js'></script>"
    "{% endconsent_gate %}{% cookieconsent_settings_link %}</body></html>"
)

#: Set by a test: the registry's clock, moved past REGISTRY_STALENESS while the view runs.
slow: dict[str, RegistryClock] = {}


async def page(request: HttpRequest) -> HttpResponse:
    if "clock" in slow:
        slow["clock"].advance(3600)  # the view took longer than the registry is trusted
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
    yield
    slow.clear()


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
