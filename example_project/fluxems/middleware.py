"""The fluxems analytics cookie: every page view sets ``_stat``. CookieConsentMiddleware must
stop it unless the visitor allowed Analytics. Sync and async, like Django's own middleware, so
that under ASGI (``example_project/asgi.py``) the whole stack runs on the event loop."""

from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import sync_and_async_middleware

STAT_COOKIE = "_stat"


def _count_visit(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if response.get("Content-Type", "").startswith("text/html"):
        visits = request.COOKIES.get(STAT_COOKIE, "0")
        count = int(visits) + 1 if visits.isdigit() else 1
        response.set_cookie(STAT_COOKIE, str(count), max_age=365 * 24 * 3600, samesite="Lax")
    return response


@sync_and_async_middleware
def analytics_middleware(
    get_response: Callable[[HttpRequest], HttpResponse]
    | Callable[[HttpRequest], Awaitable[HttpResponse]],
) -> Callable[[HttpRequest], HttpResponse] | Callable[[HttpRequest], Awaitable[HttpResponse]]:
    if iscoroutinefunction(get_response):

        async def amiddleware(request: HttpRequest) -> HttpResponse:
            return _count_visit(request, await get_response(request))  # type: ignore[misc]

        return amiddleware

    def middleware(request: HttpRequest) -> HttpResponse:
        return _count_visit(request, get_response(request))  # type: ignore[arg-type]

    return middleware
