"""The fluxems analytics cookie: every page view sets ``_stat``. CookieConsentMiddleware must
stop it unless the visitor allowed Analytics. Sync and async, like Django's own middleware, so
that under ASGI (``example_project/asgi.py``) the whole stack runs on the event loop."""

import re
from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import sync_and_async_middleware

STAT_COOKIE = "_stat"
_COUNT = re.compile("[0-9]{1,9}")


def _count_visit(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if response.get("Content-Type", "").startswith("text/html"):
        # The browser may send back anything: a count is up to nine ASCII digits (isdigit()
        # also passes "²", and int() refuses more than 4,300 digits: a server error).
        visits = request.COOKIES.get(STAT_COOKIE, "")
        count = int(visits) + 1 if _COUNT.fullmatch(visits) else 1
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
