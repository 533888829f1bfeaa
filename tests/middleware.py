"""A stand-in for a site's analytics: every HTML response sets ``_stat``, which
CookieConsentMiddleware must stop unless the visitor allowed Analytics."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

STAT_COOKIE = "_stat"


def analytics_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.set_cookie(STAT_COOKIE, "1", max_age=3600, samesite="Lax")
        return response

    return middleware
