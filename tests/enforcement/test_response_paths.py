"""Every kind of response the middleware sees is judged, the same under WSGI and ASGI: the
analytics canary ``_stat`` (which the tests' analytics middleware adds to every HTML response)
never reaches an undecided visitor, and a withdrawn cookie the browser holds is expired, on
template responses with late callbacks, streams, files, ``HEAD``, ``304``, redirects of
Django's own middleware, CSRF failures, error pages and what ``process_exception()`` returns."""

from __future__ import annotations

import io

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings as django_settings
from django.conf.urls.i18n import i18n_patterns
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.test import AsyncClient, Client
from django.urls import include, path
from django.views.decorators.csrf import csrf_protect

from cookieconsent.testing import CONSENT_COOKIE, consent_cookie, cookies_expired, cookies_set


def _late(response: HttpResponseBase) -> None:
    response.set_cookie("_stat", "late")
    response.set_cookie("analytics_c", "late")


def template(request: HttpRequest) -> TemplateResponse:
    response = TemplateResponse(request, "tests/home.html", {})
    response.add_post_render_callback(_late)  # cookies set while it renders
    return response


async def atemplate(request: HttpRequest) -> TemplateResponse:
    return template(request)


def _setting(response: HttpResponseBase) -> HttpResponseBase:
    response.set_cookie("analytics_c", "1")
    return response


def stream(request: HttpRequest) -> HttpResponseBase:
    return _setting(StreamingHttpResponse(iter([b"<p>", b"</p>"]), content_type="text/html"))


async def astream(request: HttpRequest) -> HttpResponseBase:
    async def chunks():
        yield b"<p></p>"

    return _setting(StreamingHttpResponse(chunks(), content_type="text/html"))


def file(request: HttpRequest) -> HttpResponseBase:
    return _setting(FileResponse(io.BytesIO(b"<p></p>"), content_type="text/html"))


def tagged(request: HttpRequest) -> HttpResponseBase:
    response = HttpResponse("<p></p>")
    response["ETag"] = '"v1"'
    return _setting(response)


async def atagged(request: HttpRequest) -> HttpResponseBase:
    return tagged(request)


def form(request: HttpRequest) -> HttpResponseBase:
    return _setting(HttpResponse("<p>posted</p>"))


def fails(request: HttpRequest) -> HttpResponseBase:
    raise RuntimeError("the view failed")


async def afails(request: HttpRequest) -> HttpResponseBase:
    raise RuntimeError("the view failed")


class Rescue:
    """A middleware whose ``process_exception()`` answers instead of the error page."""

    def __init__(self, get_response):  # type: ignore[no-untyped-def]
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponseBase:
        return _setting(HttpResponse("<p>rescued</p>"))


#: ``@pytest.mark.urls("tests.enforcement.test_response_paths")``
urlpatterns = [
    path("template/", template),
    path("atemplate/", atemplate),
    path("stream/", stream),
    path("astream/", astream),
    path("file/", file),
    path("tagged/", tagged),
    path("atagged/", atagged),
    path("form/", csrf_protect(form)),
    path("fails/", fails),
    path("afails/", afails),
    path("cookies/", include("cookieconsent.urls")),
    *i18n_patterns(path("localised/", form)),
]

pytestmark = [
    # Committed: the ASGI handler runs the middleware's database work in a worker thread.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.urls("tests.enforcement.test_response_paths"),
]


def judged(response: HttpResponseBase) -> tuple[object, ...]:
    return (
        response.status_code,
        sorted(cookies_set(response)),
        sorted(cookies_expired(response)),
        response.get("Vary"),
        response.get("Cache-Control"),
    )


async def both_ways(
    method: str, url: str, cookies: dict[str, str], **kwargs: object
) -> tuple[HttpResponseBase, HttpResponseBase]:
    """The same request through the ASGI handler (the whole stack async) and through WSGI."""
    asgi = AsyncClient(raise_request_exception=False)
    for name, value in cookies.items():
        asgi.cookies[name] = value
    answered = await getattr(asgi, method)(url, **kwargs)

    def wsgi() -> HttpResponseBase:
        client = Client(raise_request_exception=False)
        for name, value in cookies.items():
            client.cookies[name] = value
        return getattr(client, method)(url, **kwargs)

    return answered, await sync_to_async(wsgi)()


@pytest.fixture
async def withdrawn(categories) -> dict[str, str]:
    """A visitor who allowed Functional only and still holds an Analytics cookie."""
    return {
        CONSENT_COOKIE: await sync_to_async(consent_cookie)({"functional"}),
        "analytics_c": "1",
    }


URLS = [
    "/template/",
    "/atemplate/",
    "/stream/",
    "/astream/",
    "/file/",
    "/tagged/",
    "/atagged/",
    "/fails/",
    "/afails/",
    "/missing/",
    "/stream",  # APPEND_SLASH: CommonMiddleware's redirect
    "/localised/",  # LocaleMiddleware's redirect to /en/localised/
]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("method", ["get", "head"])
async def test_every_response_is_judged_alike_sync_and_async(settings, withdrawn, url, method):
    settings.MIDDLEWARE = [
        *django_settings.MIDDLEWARE[:3],
        "django.middleware.locale.LocaleMiddleware",
        *django_settings.MIDDLEWARE[3:],
    ]
    asgi, wsgi = await both_ways(method, url, withdrawn)
    assert judged(asgi) == judged(wsgi)
    assert not {"_stat", "analytics_c"} & cookies_set(asgi)
    assert "analytics_c" in cookies_expired(asgi)


@pytest.mark.parametrize("url", ["/template/", "/fails/", "/missing/", "/stream"])
async def test_an_undecided_visitor_never_gets_the_canary(categories, settings, url):
    settings.DEBUG = True  # the debug pages too
    for response in await both_ways("get", url, {}):
        assert not {"_stat", "analytics_c"} & cookies_set(response)


@pytest.mark.parametrize("url", ["/tagged/", "/atagged/"])
async def test_a_304_from_conditional_get_expires_a_withdrawn_cookie(settings, withdrawn, url):
    settings.MIDDLEWARE = [
        *django_settings.MIDDLEWARE,
        "django.middleware.gzip.GZipMiddleware",
        "django.middleware.http.ConditionalGetMiddleware",
    ]
    asgi, wsgi = await both_ways("get", url, withdrawn, headers={"If-None-Match": '"v1"'})
    assert asgi.status_code == 304
    assert judged(asgi) == judged(wsgi)
    assert cookies_expired(asgi) == {"analytics_c"}


async def test_a_csrf_failure_and_process_exception_answers(settings, categories):
    settings.MIDDLEWARE = [*django_settings.MIDDLEWARE, f"{__name__}.Rescue"]
    for url, method in [("/form/", "post"), ("/fails/", "get"), ("/afails/", "get")]:
        asgi = AsyncClient(enforce_csrf_checks=True, raise_request_exception=False)
        answered = await getattr(asgi, method)(url)

        def wsgi(url: str = url, method: str = method) -> HttpResponseBase:
            client = Client(enforce_csrf_checks=True, raise_request_exception=False)
            return getattr(client, method)(url)

        assert judged(answered) == judged(await sync_to_async(wsgi)())
        assert not {"_stat", "analytics_c"} & cookies_set(answered)
