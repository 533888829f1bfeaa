"""Views the tests drive: pages with the banner, and views that set cookies of each kind."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import engines

PAGE = engines["django"].from_string(
    "{% load cookieconsent %}<html><body>{% cookieconsent_banner %}<main>page</main>"
    "{% cookieconsent_settings_link %}</body></html>"
)

COOKIES = ("necessary_c", "functional_c", "analytics_c", "undeclared_c")


def home(request: HttpRequest) -> HttpResponse:
    """A full page: head tags, banner, settings link and a gated script."""
    return render(request, "tests/home.html")


def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE.render({}, request))


def _set(response: HttpResponse, names: list[str], max_age: int | None = None) -> HttpResponse:
    for name in names:
        response.set_cookie(name, "1", max_age=max_age)
    return response


def set_cookies(request: HttpRequest) -> HttpResponse:
    """Sets the cookies ``?c=`` names (or ``COOKIES``), for ``?max_age=`` seconds if given."""
    names = request.GET.getlist("c") or list(COOKIES)
    max_age = request.GET.get("max_age")
    return _set(HttpResponse("set"), names, int(max_age) if max_age else None)


async def async_set_cookies(request: HttpRequest) -> HttpResponse:
    names = request.GET.getlist("c") or list(COOKIES)
    return _set(HttpResponse("set"), names)


SCRIPTED = engines["django"].from_string(
    "{% load cookieconsent %}<html><body>{% cookieconsent_banner %}<main>scripted</main>"
    "<script>document.cookie = 'js_tracker=1; path=/'; localStorage.setItem('ui', 'dark');"
    "sessionStorage.setItem('tab_state', '1');</script></body></html>"
)


def scripted(request: HttpRequest) -> HttpResponse:
    """A page whose own script sets an undeclared cookie and storage keys, for the scanner."""
    return HttpResponse(SCRIPTED.render({}, request))


LEAKY = engines["django"].from_string(
    "{% load cookieconsent %}<html><body>{% cookieconsent_banner %}<main>leaky</main>"
    "<script>document.cookie = 'js_tracker=1; path=/'; localStorage.setItem('ui', 'dark');"
    "</script><img src='{{ elsewhere }}/t/?pixel' alt=''></body></html>"
)


def _elsewhere(request: HttpRequest) -> str:
    """The same server under its other name, 127.0.0.1 or localhost: another origin to the
    browser."""
    host = "localhost" if request.get_host().startswith("127.0.0.1") else "127.0.0.1"
    return f"{request.scheme}://{host}:{request.get_port()}"


def leaky(request: HttpRequest) -> HttpResponse:
    """A page that fails the audit, whatever the visitor chose: its script stores an
    undeclared cookie and a functional storage key, and it loads an image from another origin
    (the same server under its other name)."""
    return HttpResponse(LEAKY.render({"elsewhere": _elsewhere(request)}, request))


ASKS_FIRST = engines["django"].from_string(
    "{% load cookieconsent %}<html><body>{% cookieconsent_banner %}<main>asks first</main>"
    "{% if not request.cookie_consent.is_decided %}"
    "<img src='{{ elsewhere }}/t/?pixel' alt=''>{% endif %}</body></html>"
)


def asks_first(request: HttpRequest) -> HttpResponse:
    """A page that asks another origin for an image before the visitor chooses, and never
    after: it fails the audit before a choice only."""
    return HttpResponse(ASKS_FIRST.render({"elsewhere": _elsewhere(request)}, request))


LEAVES = engines["django"].from_string(
    "{% load cookieconsent %}<html><body>{% cookieconsent_banner %}<main>leaves</main>"
    "<img src='{{ elsewhere }}/t/?pixel' alt=''><script>addEventListener('load', () => "
    "setTimeout(() => location.replace('{{ elsewhere }}/t/'), 100));</script></body></html>"
)


def leaves(request: HttpRequest) -> HttpResponse:
    """A page that loads an image from another origin, then goes there by script: that origin
    is not the page's own for going there."""
    return HttpResponse(LEAVES.render({"elsewhere": _elsewhere(request)}, request))
