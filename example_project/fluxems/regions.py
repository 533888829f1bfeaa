"""The demo's region switcher: with ``DEBUG`` on, the region a visitor picks in the footer
stands in for the one their CDN header says, so every regime can be tried from one browser."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.views.decorators.http import require_POST

from cookieconsent.regimes import normalise
from cookieconsent.views import safe_next

SESSION_KEY = "fluxems_demo_region"
#: What the switcher offers: (code, label).
CHOICES = [
    ("", "As the CF-IPCountry header says (unknown without one: opt-in)"),
    ("ZA", "South Africa (opt-in)"),
    ("DE", "Germany (opt-in)"),
    ("GB", "United Kingdom (opt-in)"),
    ("BR", "Brazil (opt-in)"),
    ("US", "United States (opt-out)"),
    ("JP", "Japan (no rule: opt-in)"),
]


def demo_region(request: HttpRequest) -> str | None:
    """``REGION_RESOLVER`` of the demo: the region picked in the switcher, while ``DEBUG`` is
    on; ``None`` otherwise, so the header decides."""
    if not settings.DEBUG:
        return None
    # The middleware may ask before SessionMiddleware has run (a response short-circuited
    # above it).
    session = getattr(request, "session", None)
    return session.get(SESSION_KEY) if session is not None else None


def switcher(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the switcher, only while ``DEBUG`` is on."""
    if not settings.DEBUG:
        return {}
    picked = request.session.get(SESSION_KEY, "")
    return {"region_switcher": {"choices": CHOICES, "picked": picked}}


@require_POST
def switch_region(request: HttpRequest) -> HttpResponseRedirect:
    if not settings.DEBUG:
        raise Http404
    region = normalise(request.POST.get("region"))
    if region is None:
        request.session.pop(SESSION_KEY, None)
    else:
        request.session[SESSION_KEY] = region
    return HttpResponseRedirect(safe_next(request, request.POST.get("next")))
