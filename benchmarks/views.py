"""Views for the benchmark: the fluxems cookies, a small page with and without the banner, and
the least a hand-rolled consent endpoint does (the baseline for ours)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_POST

from benchmarks.models import HandRolledConsent

#: The four cookies a fluxems page sets, one per category: necessary, security, functional,
#: analytics.
FLUXEMS_COOKIES = ("femstd", "session", "prefs", "_stat")
YEAR = 365 * 24 * 3600

_NOW = datetime(2025, 1, 6, 9, 30, tzinfo=UTC)
ARTICLES = [
    {
        "title": f"Metering update {n}: what changed on the grid this week",
        "summary": "Load shedding schedules, tariff notes and a look at the numbers behind "
        "the new smart meters that fluxems customers are getting this quarter. " * 2,
        "published": _NOW - timedelta(days=n),
        "slug": f"update-{n}",
    }
    for n in range(10)
]


def four_cookies(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("<!doctype html><title>fluxems</title><p>Hello</p>")
    response.set_cookie("femstd", "s3ss10n", httponly=True, samesite="Lax")
    response.set_cookie("session", "1", httponly=True, samesite="Strict")
    response.set_cookie("prefs", "theme=dark", max_age=YEAR, samesite="Lax")
    response.set_cookie("_stat", "1", max_age=YEAR, samesite="Lax")
    return response


def page(request: HttpRequest) -> HttpResponse:
    return render(request, "bench/page.html", {"articles": ARTICLES})


def page_banner(request: HttpRequest) -> HttpResponse:
    return render(request, "bench/page_banner.html", {"articles": ARTICLES})


@require_POST
def hand_rolled_consent(request: HttpRequest) -> HttpResponse:
    """Validate the choice, write one row, set a signed cookie, redirect.

    The row goes to a log of its own (``HandRolledConsent``): a plain INSERT, without the
    append-only triggers and the hash chain of ``ConsentRecord``, which are part of what the
    app's endpoint is measured doing."""
    action = request.POST.get("action", "")
    if action not in ("accept_all", "reject_all", "custom"):
        return HttpResponse(status=400)
    granted = ["analytics", "functional"] if action == "accept_all" else []
    record = HandRolledConsent.objects.create(
        policy_version=1, snapshot_hash="0" * 64, granted=granted, action=action, page_url="/"
    )
    response = HttpResponseRedirect(request.POST.get("next") or "/")
    response.set_cookie(
        "choice", signing.dumps({"g": granted, "i": str(record.consent_id)}), max_age=YEAR
    )
    return response
