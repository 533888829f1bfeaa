"""``{% load cookieconsent %}``: the banner, the “Cookie settings” link, consent gates, the
cookie table."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.http import HttpRequest
from django.template.base import Parser, Token
from django.template.context import Context
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from cookieconsent.conf import get_config
from cookieconsent.consent import Consent, get_consent

register = template.Library()

_SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
_TYPE_ATTR = re.compile(r"""\s+type\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE)
_IFRAME_SRC = re.compile(r"(<iframe\b[^>]*?\s)src(\s*=)", re.IGNORECASE)


def _request(context: Context) -> HttpRequest | None:
    return context.get("request")


def _consent(context: Context) -> Consent | None:
    request = _request(context)
    return get_consent(request) if request is not None else None


@register.simple_tag(takes_context=True)
def cookieconsent_banner(context: Context) -> SafeString:
    """The consent banner, while the visitor has no valid decision (always, hidden, in
    cache-safe mode, where the script decides)."""
    request = _request(context)
    consent = _consent(context)
    cache_safe = get_config()["CACHE_SAFE"]
    if consent is None or (not cache_safe and consent.is_decided):
        return SafeString("")
    return render_to_string(
        "cookieconsent/banner.html",
        {
            "categories": consent.registry.categories,
            "cache_safe": cache_safe,
            "needs_renewal": False if cache_safe else consent.needs_renewal,
            "next": request.get_full_path() if request is not None else "/",
            "policy_url": reverse("cookieconsent:policy"),
            "preferences_url": reverse("cookieconsent:preferences"),
            "consent_url": reverse("cookieconsent:consent"),
            "csp_nonce": context.get("csp_nonce"),
        },
        request=request,
    )


@register.simple_tag
def cookieconsent_settings_link(text: str = "") -> SafeString:
    """A link to the preferences page that the script opens as a dialog."""
    from django.utils.translation import gettext

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
    return _IFRAME_SRC.sub(
        lambda m: f"{m.group(1)}data-cookieconsent-src{m.group(2)}", html
    ).replace("<iframe", f"<iframe{marker}")


@register.inclusion_tag("cookieconsent/cookie_table.html")
def cookieconsent_cookie_table() -> dict[str, Any]:
    """The table of categories and their cookies, from the admin's data."""
    from cookieconsent.models import CookieCategory

    return {"categories": CookieCategory.objects.prefetch_related("cookies")}
