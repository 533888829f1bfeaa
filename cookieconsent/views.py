"""The consent endpoint (form post and JSON), the preferences page, the status endpoint and
the public policy page. Every one is a visitor's, signed in or not: each is marked
``login_not_required``, so ``LoginRequiredMiddleware`` lets it through."""

from __future__ import annotations

import json
import posixpath
import re
import time
from collections.abc import Callable
from contextlib import suppress
from functools import wraps
from typing import Any
from urllib.parse import unquote, urlsplit

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError,
)
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import render
from django.urls import Resolver404, get_script_prefix, resolve, reverse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from cookieconsent.conf import get_config
from cookieconsent.engine import following
from cookieconsent.engine.choice import MAX_NEXT, read_choice, read_next
from cookieconsent.engine.consent import Consent, Decision, get_consent, set_consent_cookie
from cookieconsent.engine.crossorigin import cross_origin_protect
from cookieconsent.engine.registry import get_registry
from cookieconsent.models import Action, ConsentRecord
from cookieconsent.models.records import slug_list
from cookieconsent.proof.records import record_decision
from cookieconsent.publishing import script
from cookieconsent.publishing import serve as serving
from cookieconsent.signals import consent_changed

#: A JSON body larger than this is refused before it is parsed.
MAX_JSON_BODY = 10_000


#: C0 and C1 control characters, DEL, and lone surrogates (JSON can escape one, as \ud800):
#: no address holds them, and no UTF-8 (nor the record's page_url) can.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def safe_next(request: HttpRequest, url: str | None) -> str:
    """``url`` if it stays on this site, else the site's root (``/``, or the script prefix of
    a site mounted under a sub-path). A path is judged without the host (which ``get_host()``
    would check against ``ALLOWED_HOSTS`` first); an absolute URL must name this host. Never
    the consent endpoint, which answers only posts, nor an address longer than a choice may
    carry."""
    if not url or _CONTROL.search(url) or len(url) > MAX_NEXT:
        # No browser needs one; a NUL or a lone surrogate cannot even be stored (and a
        # longer one is refused in a choice).
        return get_script_prefix()
    secure = request.is_secure()
    stays = url_has_allowed_host_and_scheme(
        url, allowed_hosts=None, require_https=secure
    ) or url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=secure
    )
    return url if stays and not _is_consent_endpoint(url) else get_script_prefix()


#: How the consent endpoint's address ends, whatever the site includes ``cookieconsent.urls``
#: under (its pattern in urls.py).
_CONSENT_PATH = "/consent/"


def _is_consent_endpoint(url: str) -> bool:
    """Whether ``url`` (on this site) leads to the consent endpoint: a page that offers the
    banner there, such as a refused choice's, would send the visitor on to a 405."""
    # As the browser will ask for it: without dot segments, and with the slash APPEND_SLASH
    # would redirect to.
    path = posixpath.normpath(unquote(urlsplit(url).path)) + "/"
    prefix = get_script_prefix()
    if not path.startswith(prefix) or not path.endswith(_CONSENT_PATH):
        # Not even shaped like it (its pattern in urls.py): no URL resolution per choice.
        return False
    try:
        match = resolve("/" + path.removeprefix(prefix))
    except Resolver404:
        return False
    return match.func is consent


def page(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """One of the app's pages, in the layout ``BASE_TEMPLATE`` names."""
    context["cookieconsent_base_template"] = get_config()["BASE_TEMPLATE"]
    return render(request, template, context, status=status)


def _wants_json(request: HttpRequest) -> bool:
    """Whether to answer in JSON: for a JSON body, or where the Accept header prefers JSON to
    HTML (``application/json;q=0`` refuses it)."""
    if request.content_type == "application/json":
        return True
    # A form post's Accept header never names JSON: only one that does is parsed. (META, not
    # request.headers: that builds a dict of every header on first use.)
    return "application/json" in request.META.get("HTTP_ACCEPT", "") and (
        request.get_preferred_type(("text/html", "application/json")) == "application/json"
    )


def _error(
    request: HttpRequest, message: str, *, status: int = 400, next_url: str | None = None
) -> HttpResponse:
    """The refusal, in JSON or as a page. The page's banner and its link back to the settings
    return the visitor to ``next_url`` (the page they chose on), or to the site's root: never
    to the consent endpoint, which the page's own address is."""
    if _wants_json(request):
        return JsonResponse({"error": message}, status=status)
    context = {"message": message, "cookieconsent_next": next_url or get_script_prefix()}
    return page(request, "cookieconsent/error.html", context, status=status)


#: Deeper JSON than any consent choice needs. Checked before parsing: whether the parser hits
#: its own limit depends on the Python version (3.13 parses 5,000 levels without complaint).
MAX_JSON_DEPTH = 32


def _too_deep(body: bytes) -> bool:
    """Whether the JSON text nests arrays or objects more than ``MAX_JSON_DEPTH`` deep
    (brackets inside strings do not count). Linear; skipped for bodies with few brackets."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return False
    depth, in_string, escaped = 0, False, False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def _input(request: HttpRequest) -> QueryDict | dict[str, Any]:
    """The submitted fields, from a form post or a JSON body."""
    if request.content_type != "application/json":
        try:
            return request.POST
        except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent) as exc:
            # Beyond DATA_UPLOAD_MAX_MEMORY_SIZE, DATA_UPLOAD_MAX_NUMBER_FIELDS or
            # DATA_UPLOAD_MAX_NUMBER_FILES: said as for a JSON body, rather than with Django's
            # bare 400 page.
            raise ValueError(_("The request is too large.")) from exc
        except BadRequest as exc:
            # Django refuses a form that names another charset than UTF-8, on every reading
            # (its error pages read it again, and fail): said here, once.
            raise ValueError(_("The form must be sent in UTF-8.")) from exc
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not (length.isascii() and length.isdigit()):  # not "²", which int() refuses
        # Django reads such a body as empty: say why, not that it is too large.
        raise ValueError(_("The Content-Length of the request is not a number of bytes."))
    digits = length.lstrip("0")
    # Compared by its digits first: int() refuses more than 4,300.
    if len(digits) > len(str(MAX_JSON_BODY)) or int(digits or "0") > MAX_JSON_BODY:
        raise ValueError(_("The request is too large."))
    try:
        body = request.body
    except RequestDataTooBig as exc:
        # Beyond DATA_UPLOAD_MAX_MEMORY_SIZE: a body without a Content-Length (chunked, under
        # ASGI), or a site's limit below MAX_JSON_BODY. Said as for a form, not with Django's
        # bare 400 page.
        raise ValueError(_("The request is too large.")) from exc
    if len(body) > MAX_JSON_BODY:
        raise ValueError(_("The request is too large."))
    if _too_deep(body):
        raise ValueError(_("The request body is nested too deeply."))
    try:
        data = json.loads(body)
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


class _SkipFiles(FileUploadHandler):
    """Reads past every file of a multipart body: none is kept in memory or written to a
    temporary file."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        raise SkipFile

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        return None  # pragma: no cover (never asked: every file is skipped)

    def file_complete(self, file_size: int) -> None:
        return None  # pragma: no cover


def _no_uploads(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """No file comes with a choice: a multipart body's files are read past, never kept
    (``DATA_UPLOAD_MAX_MEMORY_SIZE`` does not count files, and Django writes large ones to a
    temporary file). The upload handlers are replaced before anything reads the body."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # AttributeError: a middleware read the body already, and there is nothing to spare.
        with suppress(AttributeError):
            request.upload_handlers = [_SkipFiles(request)]
        return view(request, *args, **kwargs)

    return wrapped


@login_not_required
@require_POST
@_no_uploads
@cross_origin_protect(_cross_origin)
def consent(request: HttpRequest) -> HttpResponseBase:
    """Record a decision: accept all, reject all, or a set of categories."""
    registry = get_registry()
    try:
        data = _input(request)
    except ValueError as exc:
        return _error(request, str(exc))
    next_url = safe_next(request, read_next(data))
    try:
        choice = read_choice(data, registry, regime_default=get_consent(request).dismissal())
    except ValueError as exc:  # InvalidChoice included
        return _error(request, str(exc), next_url=next_url)

    granted = choice.granted
    # Only categories of the version the visitor was shown: not one added in the draft.
    refused = registry.offered_slugs - granted
    action = choice.action
    previous = get_consent(request).categories
    record = record_decision(
        request,
        granted=granted,
        refused=refused,
        action=action,
        policy_version=registry.policy_version,
        page_url=next_url,
    )
    # The user's latest decision is this one now, on every browser they sign in on.
    following.forget(record.user_pk)
    decision = Decision(
        granted, registry.policy_version, int(time.time()), action, str(record.consent_id)
    )
    new = Consent._from_decision(decision, registry, request)
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


@login_not_required
@require_safe
def status(request: HttpRequest) -> JsonResponse:
    """The visitor's consent as JSON, for the script on a page served from a shared cache."""
    consent = get_consent(request)
    response = JsonResponse({**consent.as_dict(), "region": consent.region})
    add_never_cache_headers(response)
    patch_vary_headers(response, ("Cookie",))
    return response


@login_not_required
@require_safe
def preferences(request: HttpRequest) -> HttpResponse:
    """Change or withdraw consent at any time, as easily as it was given: the categories of
    the latest published version, in the visitor's language."""
    consent = get_consent(request)
    next_url = safe_next(request, request.GET.get("next"))
    # The categories the registry enforces, those of the same published version: the consent
    # endpoint accepts every one shown.
    known = consent._registry.required_slugs | consent._registry.optional_slugs
    shown = [c for c in serving.categories(serving.current()) if c.slug in known]
    categories = [{"info": c, "checked": consent.allows(c.slug)} for c in shown]
    context = {
        "consent": consent,
        "categories": categories,
        "has_required": any(c.required for c in shown),
        "next": next_url,
        # The settings link on this page keeps the page the visitor came from.
        "cookieconsent_next": next_url,
        "policy_url": reverse("cookieconsent:policy"),
        "consent_url": reverse("cookieconsent:consent"),
        "config": script.config_json(consent),
        "theme": get_config()["THEME"],
    }
    return page(request, "cookieconsent/preferences.html", context)


@login_not_required
@require_safe
def policy(request: HttpRequest) -> HttpResponse:
    """The latest published cookie policy, served as it was published."""
    snapshot = serving.current()
    context = {"snapshot": snapshot, "current": snapshot}
    return page(request, "cookieconsent/policy.html", context, status=200 if snapshot else 404)


@login_not_required
@require_safe
def policy_version(request: HttpRequest, number: int) -> HttpResponse:
    """An earlier published version, as visitors saw it (``?language=`` picks its language):
    what a receipt links to."""
    snapshot = serving.snapshot(number, request.GET.get("language"))
    context = {"snapshot": snapshot, "current": serving.current()}
    return page(request, "cookieconsent/policy.html", context, status=200 if snapshot else 404)


#: How a receipt tells a visitor what they chose, in their words rather than the log's.
_RECEIPT_CHOICES: dict[str, Any] = {
    Action.ACCEPT_ALL: gettext_lazy("You accepted all cookies."),
    Action.REJECT_ALL: gettext_lazy("You refused every optional cookie."),
    Action.CUSTOM: gettext_lazy("You chose the categories yourself."),
    Action.PREFERENCES: gettext_lazy("You chose the categories yourself."),
    Action.DISMISS: gettext_lazy("You dismissed the notice."),
}


@login_not_required
@require_safe
def receipt(request: HttpRequest) -> HttpResponse:
    """The visitor's own record of their latest decision, to print or keep: found by the
    consent ID in their consent cookie (one indexed query). Categories are named as in the
    snapshot the record was given under."""
    consent = get_consent(request)
    # The decision the cookie holds, whether or not it still counts (expired, asked again
    # since, a dismissal outranked by a browser signal): it was made, and recorded.
    stored = consent._stored()
    record = None
    if stored is not None:
        try:
            record = (
                ConsentRecord.objects.select_related("published_version")
                .filter(consent_id=stored.consent_id)
                .first()
            )
        except ValidationError:  # a validly signed cookie whose ID is not a UUID
            record = None
    if record is not None and (
        slug_list(record.granted) is None or slug_list(record.refused) is None
    ):
        # Changed below the ORM (cookieconsent_verify names it): no receipt can say what the
        # visitor chose.
        record = None
    shown = None
    if record is not None and record.published_version is not None:
        shown = serving.snapshot(record.published_version.number, record.language)
    # Live names for what the snapshot does not name: nothing was published then.
    names = {c.slug: c.i18n.name for c in consent._registry.categories}
    names.update((c.slug, c.i18n.name) for c in serving.categories(shown))
    choice = record and _RECEIPT_CHOICES.get(record.action, record.get_action_display())
    context = {
        "record": record,
        "choice": choice or "",
        "granted": [names.get(slug, slug) for slug in record.granted] if record else [],
        "refused": [names.get(slug, slug) for slug in record.refused] if record else [],
    }
    response = page(request, "cookieconsent/receipt.html", context, status=200 if record else 404)
    # The page is this visitor's alone.
    add_never_cache_headers(response)
    patch_vary_headers(response, ("Cookie",))
    return response
