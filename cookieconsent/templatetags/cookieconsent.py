"""``{% load cookieconsent %}``: the banner, the “Cookie settings” link, consent gates, the
cookie table."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.base import Parser, Token
from django.template.context import Context
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from cookieconsent.conf import get_config
from cookieconsent.consent import Consent, get_consent
from cookieconsent.models import CookieCategory
from cookieconsent.models.policy import banner_text
from cookieconsent.registry import StampedCache

register = template.Library()

_SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
_TYPE_ATTR = re.compile(r"""\s+type\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE)
_IFRAME_SRC = re.compile(r"(<iframe\b[^>]*?\s)src(\s*=)", re.IGNORECASE)
_IFRAME_TAG = re.compile(r"<iframe\b", re.IGNORECASE)


def _request(context: Context) -> HttpRequest | None:
    return context.get("request")


def _consent(context: Context) -> Consent | None:
    request = _request(context)
    return get_consent(request) if request is not None else None


# Placeholders the cached banner is filled in with (letters and "_" survive escaping and
# urlencode unchanged, and neither is a part of the other).
_NEXT = "__cookieconsent_next__"
_NEXT_QUERY = "__cookieconsent_nextquery__"
_CSRF = "__cookieconsent_csrf__"
#: The banner with placeholders, per (language, cache-safe, needs renewal), for the current
#: registry.
_banners: StampedCache[tuple[str, bool, bool], str] = StampedCache()


@register.simple_tag(takes_context=True)
def cookieconsent_banner(context: Context) -> SafeString:
    """The consent banner, while the visitor has no valid decision (always, hidden, in
    cache-safe mode, where the script decides).

    Every undecided visitor is shown the same banner but for the page it returns to and the
    CSRF token, so it is rendered once per language and policy change (kept per registry,
    which staff edits replace) and then filled in. Its template gets no request.
    """
    request = _request(context)
    consent = _consent(context)
    cache_safe = get_config()["CACHE_SAFE"]
    if request is None or consent is None or (not cache_safe and consent.is_decided):
        return SafeString("")
    if _on_preferences_page(request):
        return SafeString("")  # its Customise link would point at the page already open
    needs_renewal = False if cache_safe else consent.needs_renewal
    key = (get_language() or "", cache_safe, needs_renewal)
    html = _banners.get(
        consent.registry,
        key,
        lambda: render_to_string(
            "cookieconsent/banner.html",
            {
                **dict(
                    zip(
                        ("banner_title", "banner_message"),
                        banner_text(consent.registry.banner_text),
                        strict=True,
                    )
                ),
                "categories": consent.registry.categories,
                "cache_safe": cache_safe,
                "needs_renewal": needs_renewal,
                "next": _NEXT,
                "next_query": _NEXT_QUERY,
                "csrf_token": _CSRF,
                "policy_url": reverse("cookieconsent:policy"),
                "preferences_url": reverse("cookieconsent:preferences"),
                "consent_url": reverse("cookieconsent:consent"),
                "config": cookieconsent_config(context),
            },
        ),
    )
    path = request.get_full_path()
    if not cache_safe:
        # The page's own lazy token when there is one: masking a second token costs ~30 µs.
        token = context.get("csrf_token") or get_token(request)
        html = html.replace(_CSRF, escape(str(token)))
    html = html.replace(_NEXT_QUERY, escape(quote(path, safe="/"))).replace(_NEXT, escape(path))
    return mark_safe(html)


def _on_preferences_page(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return (
        match is not None and match.url_name == "preferences" and "cookieconsent" in match.app_names
    )


@register.simple_tag
def cookieconsent_settings_link(text: str = "") -> SafeString:
    """A link to the preferences page that the script opens as a dialog."""
    return format_html(
        '<a href="{}" class="cc-settings-link" data-cookieconsent-open>{}</a>',
        reverse("cookieconsent:preferences"),
        text or gettext("Cookie settings"),
    )


@register.filter
def consent_allows(request: HttpRequest | None, slug: str) -> bool:
    """``{% if request|consent_allows:"analytics" %}``."""
    return request is not None and get_consent(request).allows(slug)


@register.tag
def consent_gate(parser: Parser, token: Token) -> ConsentGateNode:
    """``{% consent_gate "analytics" %}…{% endconsent_gate %}``: the content as it is when the
    category is allowed; otherwise its scripts made inert (``type="text/plain"``) and its
    iframes left without ``src``, for the script to activate once the visitor allows them."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f"{bits[0]} takes one argument: a category slug.")
    nodelist = parser.parse(("endconsent_gate",))
    parser.delete_first_token()
    return ConsentGateNode(parser.compile_filter(bits[1]), nodelist)


class ConsentGateNode(template.Node):
    def __init__(self, slug: Any, nodelist: template.NodeList) -> None:
        self.slug = slug
        self.nodelist = nodelist

    def render(self, context: Context) -> str:
        slug = str(self.slug.resolve(context))
        content = self.nodelist.render(context)
        # In cache-safe mode the page is shared, so it must not depend on this visitor: the
        # content is always inert, and the script activates it for those who allow it.
        if not get_config()["CACHE_SAFE"]:
            consent = _consent(context)
            if consent is not None and consent.allows(slug):
                return content
        return mark_safe(inert(content, slug))


def inert(html: str, slug: str) -> str:
    """Scripts in ``html`` as ``type="text/plain" data-cookieconsent="slug"``; iframes with
    ``data-src`` instead of ``src``."""
    marker = format_html(' data-cookieconsent="{}"', slug)

    def script(match: re.Match[str]) -> str:
        attrs = match.group(1)
        original = _TYPE_ATTR.search(attrs)
        attrs = _TYPE_ATTR.sub("", attrs)
        kept = ""
        if original is not None:
            value = original.group(0).split("=", 1)[1].strip().strip("\"'")
            kept = format_html(' data-type="{}"', value)
        return f'<script type="text/plain"{marker}{kept}{attrs}>'

    html = _SCRIPT_TAG.sub(script, html)
    html = _IFRAME_SRC.sub(lambda m: f"{m.group(1)}data-cookieconsent-src{m.group(2)}", html)
    return _IFRAME_TAG.sub(lambda m: f"{m.group(0)}{marker}", html)


@register.inclusion_tag("cookieconsent/cookie_table.html")
def cookieconsent_cookie_table() -> dict[str, Any]:
    """The table of categories and their cookies, from the admin's data."""
    return {"categories": CookieCategory.objects.prefetch_related("cookies")}


# -- the browser script's side ----------------------------------------------------------------

#: Storage the browser script can clear on withdrawal (the server can reach neither).
_BROWSER_STORAGE = ("local_storage", "session_storage")
#: Every consent type of Google Consent Mode v2.
CONSENT_MODE_TYPES = (
    "ad_storage",
    "ad_user_data",
    "ad_personalization",
    "analytics_storage",
    "functionality_storage",
    "personalization_storage",
    "security_storage",
)
#: How long gtag waits for the script's update when a shared cache hides the visitor's state.
CONSENT_MODE_WAIT_MS = 500


def _consent_mode_slugs() -> dict[str, list[str]]:
    """Consent type → the category slugs that grant it, for every type (an unmapped type is
    granted by none, so it stays denied)."""
    slugs: dict[str, list[str]] = {t: [] for t in CONSENT_MODE_TYPES}
    for slug, types in get_config()["GOOGLE_CONSENT_MODE"].items():
        for name in types:
            slugs.setdefault(name, []).append(slug)
    return slugs


def script_config(context: Context) -> dict[str, Any]:
    """What ``cookieconsent.js`` needs to know, as one JSON-ready dict.

    The visitor's own state is left out in cache-safe mode, where the page is shared: the
    script then asks the status endpoint.
    """
    consent = _consent(context)
    cache_safe = get_config()["CACHE_SAFE"]
    registry = consent.registry if consent is not None else None
    config: dict[str, Any] = {
        "url": reverse("cookieconsent:consent"),
        "status": reverse("cookieconsent:status"),
        "prefs": reverse("cookieconsent:preferences"),
        "csrf": None if settings.CSRF_USE_SESSIONS else settings.CSRF_COOKIE_NAME,
        "safe": cache_safe,
        "state": None if cache_safe or consent is None else consent.as_dict(),
        "names": {c.slug: c.i18n.name for c in registry.categories} if registry else {},
        "keys": [
            [k.slug, k.technology, k.name]
            for k in (registry.storage_keys if registry else ())
            if k.technology in _BROWSER_STORAGE
        ],
        "t": {
            "needs": gettext("This content is blocked until you allow %(category)s cookies.")
            % {"category": "%s"},
            "allow": gettext("Allow %(category)s cookies") % {"category": "%s"},
            "saved": gettext("Your choice was saved."),
        },
    }
    if get_config()["GOOGLE_CONSENT_MODE"]:
        config["gcm"] = _consent_mode_slugs()
    return config


@register.simple_tag(takes_context=True)
def cookieconsent_config(context: Context) -> str:
    """The script's configuration as JSON, for a ``data-cookieconsent-config`` attribute
    (autoescaped)."""
    return json.dumps(script_config(context), separators=(",", ":"))


@register.simple_tag(takes_context=True)
def cookieconsent_script(context: Context) -> SafeString:
    """``<script src=".../cookieconsent.js" defer>`` carrying its configuration, so that the
    script knows the visitor's state and its strings on every page without asking the
    server."""
    return format_html(
        '<script src="{}" defer data-cookieconsent-config="{}"></script>',
        static("cookieconsent/cookieconsent.js"),
        cookieconsent_config(context),
    )


def consent_mode_defaults(context: Context) -> dict[str, Any]:
    """``gtag('consent', 'default', …)`` for this visitor: a type is granted when a category
    the visitor allows grants it. In cache-safe mode only the required categories count
    (the page is shared) and gtag waits for the script's update."""
    consent = _consent(context)
    cache_safe = get_config()["CACHE_SAFE"]
    required = consent.registry.required_slugs if consent is not None else frozenset()

    def allowed(slug: str) -> bool:
        if consent is None:
            return False
        return slug in required if cache_safe else consent.allows(slug)

    defaults: dict[str, Any] = {
        name: "granted" if any(allowed(s) for s in slugs) else "denied"
        for name, slugs in _consent_mode_slugs().items()
    }
    if cache_safe:
        defaults["wait_for_update"] = CONSENT_MODE_WAIT_MS
    return defaults


@register.simple_tag(takes_context=True)
def cookieconsent_consent_mode(context: Context) -> SafeString:
    """Google Consent Mode v2 defaults, to be placed in ``<head>`` before any Google tag.

    With a CSP nonce (``csp_nonce`` in the context, or django-csp's ``request.csp_nonce``) an
    inline script; otherwise a tiny static script reading a ``data-`` attribute, which needs
    nothing beyond ``script-src 'self'``.
    """
    if not get_config()["GOOGLE_CONSENT_MODE"]:
        return SafeString("")
    defaults = json.dumps(consent_mode_defaults(context), separators=(",", ":"))
    request = _request(context)
    nonce = context.get("csp_nonce") or getattr(request, "csp_nonce", None)
    if nonce:
        code = (
            "window.dataLayer=window.dataLayer||[];"
            "function gtag(){dataLayer.push(arguments)}"
            f'gtag("consent","default",{defaults});'
        )
        # Only JSON of our own setting's names goes in; escape <, > and & all the same.
        code = code.translate({ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"})
        return format_html('<script nonce="{}">{}</script>', str(nonce), mark_safe(code))
    return format_html(
        '<script src="{}" data-cookieconsent-consent-mode="{}"></script>',
        static("cookieconsent/consent-mode.js"),
        defaults,
    )
