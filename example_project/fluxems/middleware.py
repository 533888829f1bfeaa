"""The fluxems analytics cookie: every page view sets ``_stat``. CookieConsentMiddleware must
stop it unless the visitor allowed Analytics."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

STAT_COOKIE = "_stat"


def analytics_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            visits = request.COOKIES.get(STAT_COOKIE, "0")
            count = int(visits) + 1 if visits.isdigit() else 1
            response.set_cookie(STAT_COOKIE, str(count), max_age=365 * 24 * 3600, samesite="Lax")
        return response

    return middleware
