"""The consent endpoint (form post and JSON), the preferences page, the status endpoint and
the public policy page."""

from __future__ import annotations

import json
import time
from typing import Any

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cookieconsent.conf import get_config
from cookieconsent.consent import Consent, Decision, get_consent, set_consent_cookie
from cookieconsent.crossorigin import cross_origin_protect
from cookieconsent.forms import read_choice
from cookieconsent.models import CookieCategory, CookiePolicy
from cookieconsent.records import record_decision
from cookieconsent.registry import get_registry
from cookieconsent.signals import consent_changed

#: A JSON body larger than this is refused before it is parsed.
MAX_JSON_BODY = 10_000


def safe_next(request: HttpRequest, url: str | None) -> str:
    """``url`` if it stays on this site, else ``/``."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return "/"


def page(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """One of the app's pages, in the layout ``BASE_TEMPLATE`` names."""
    context["cookieconsent_base_template"] = get_config()["BASE_TEMPLATE"]
    return render(request, template, context, status=status)


def _wants_json(request: HttpRequest) -> bool:
    return request.content_type == "application/json" or "application/json" in request.headers.get(
        "Accept", ""
    )


def _error(request: HttpRequest, message: str, *, status: int = 400) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": message}, status=status)
    return page(request, "cookieconsent/error.html", {"message": message}, status=status)


def _input(request: HttpRequest) -> QueryDict | dict[str, Any]:
    """The submitted fields, from a form post or a JSON body."""
    if request.content_type != "application/json":
        return request.POST
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_JSON_BODY or len(request.body) > MAX_JSON_BODY:
        raise ValueError(_("The request is too large."))
    try:
        data = json.loads(request.body)
    except RecursionError as exc:
        raise ValueError(_("The request body is nested too deeply.")) from exc
    except ValueError as exc:
        raise ValueError(_("The request body is not valid JSON.")) from exc
    if not isinstance(data, dict):
        raise ValueError(_("The request body must be a JSON object."))
    categories = data.get("categories", [])
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise ValueError(_("“categories” must be a list of category slugs."))
    return data


def _cross_origin(request: HttpRequest) -> HttpResponse:
    return _error(
        request, _("This choice was sent from another site, so it was not saved."), status=403
    )


@require_POST
@cross_origin_protect(_cross_origin)
def consent(request: HttpRequest) -> HttpResponseBase:
    """Record a decision: accept all, reject all, or a set of categories."""
    registry = get_registry()
    try:
        choice = read_choice(
            _input(request), registry, regime_default=get_consent(request).dismissal()
        )
    except ValueError as exc:  # InvalidChoice included
        return _error(request, str(exc))

    granted = choice.granted
    refused = registry.optional_slugs - granted
    action = choice.action
    next_url = safe_next(request, choice.next)
    previous = get_consent(request).categories
    record = record_decision(
        request,
        granted=granted,
        refused=refused,
        action=action,
        policy_version=registry.policy_version,
        page_url=next_url,
    )
    decision = Decision(
        granted, registry.policy_version, int(time.time()), action, str(record.consent_id)
    )
    new = Consent.from_decision(decision, registry, request)
    # The middleware enforces the new choice on this very response.
    request.cookie_consent = new  # type: ignore[attr-defined]
    response: HttpResponseBase
    if _wants_json(request):
        response = JsonResponse(new.as_dict())
    else:
        response = HttpResponseRedirect(next_url)
    set_consent_cookie(response, decision)
    consent_changed.send(
        sender=None,
        request=request,
        record=record,
        granted=granted,
        refused=refused,
        previous=previous,
    )
    return response


@require_GET
def status(request: HttpRequest) -> JsonResponse:
    """The visitor's consent as JSON, for the script on a page served from a shared cache."""
    consent = get_consent(request)
    response = JsonResponse({**consent.as_dict(), "region": consent.region})
    add_never_cache_headers(response)
    patch_vary_headers(response, ("Cookie",))
    return response


@require_GET
def preferences(request: HttpRequest) -> HttpResponse:
    """Change or withdraw consent at any time, as easily as it was given."""
    consent = get_consent(request)
    categories = [
        {"info": c, "checked": consent.allows(c.slug)} for c in consent.registry.categories
    ]
    context = {
        "consent": consent,
        "categories": categories,
        "next": safe_next(request, request.GET.get("next")),
        "policy_url": reverse("cookieconsent:policy"),
    }
    return page(request, "cookieconsent/preferences.html", context)


@require_GET
def policy(request: HttpRequest) -> HttpResponse:
    """The current cookie policy, rendered from the admin's data."""
    current = CookiePolicy.current()
    if current is None:
        return page(request, "cookieconsent/policy.html", {"policy": None}, status=404)
    categories = CookieCategory.objects.prefetch_related("cookies")
    context = {
        "policy": current,
        "sections": current.sections.all(),
        "categories": categories,
    }
    return page(request, "cookieconsent/policy.html", context)
