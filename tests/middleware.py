"""A stand-in for a site's analytics: every HTML response sets ``_stat``, which
CookieConsentMiddleware must stop unless the visitor allowed Analytics. Sync and async, like
Django's own middleware: under the async test client the whole stack, ours included, then
runs async."""

from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import sync_and_async_middleware

STAT_COOKIE = "_stat"


def _count(response: HttpResponse) -> HttpResponse:
    if response.get("Content-Type", "").startswith("text/html"):
        response.set_cookie(STAT_COOKIE, "1", max_age=3600, samesite="Lax")
    return response


@sync_and_async_middleware
def analytics_middleware(
    get_response: Callable[[HttpRequest], HttpResponse]
    | Callable[[HttpRequest], Awaitable[HttpResponse]],
) -> Callable[[HttpRequest], HttpResponse] | Callable[[HttpRequest], Awaitable[HttpResponse]]:
    if iscoroutinefunction(get_response):

        async def amiddleware(request: HttpRequest) -> HttpResponse:
            return _count(await get_response(request))  # type: ignore[misc]

        return amiddleware

    def middleware(request: HttpRequest) -> HttpResponse:
        return _count(get_response(request))  # type: ignore[arg-type]

    return middleware
