"""``{% load cookieconsent %}``: the banner, the “Cookie settings” link, consent gates, the
cookie table, the script and Consent Mode (``cookieconsent_head``: the ``<head>`` part in one
tag). Each tag is a door to the module doing the work: ``banner``, ``gating``, ``script``,
``consent_mode``."""

from __future__ import annotations

import json
from urllib.parse import quote

from django import template
from django.http import HttpRequest
from django.template.base import FilterExpression, Parser, Token
from django.template.context import Context
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from cookieconsent.conf import get_config
from cookieconsent.console import shown
from cookieconsent.engine import consent_mode
from cookieconsent.engine.consent import Consent, _warn_if_unknown, get_consent
from cookieconsent.engine.consent_mode import CONSENT_TYPES as CONSENT_MODE_TYPES
from cookieconsent.engine.gating import inert
from cookieconsent.engine.registry import Registry, get_registry
from cookieconsent.publishing import script
from cookieconsent.publishing import serve as serving
from cookieconsent.publishing.banner import HONORED, render_banner

__all__ = ["CONSENT_MODE_TYPES", "inert", "register"]

register = template.Library()


def _consent(context: Context) -> Consent | None:
    request = context.get("request")
    return get_consent(request) if request is not None else None


def _here(context: Context, request: HttpRequest) -> str:
    """The page a choice returns the visitor to: this one, or the one the app's own page
    names (the preferences' ``next``, the page a refused choice was made on)."""
    return str(context.get("cookieconsent_next") or request.get_full_path())


def _registry(context: Context) -> Registry:
    """The registry the page's request is served on (without asking for its consent: a
    shared page never does); this process's without one."""
    consent = getattr(context.get("request"), "cookie_consent", None)
    return consent._registry if isinstance(consent, Consent) else get_registry()


@register.simple_tag(takes_context=True)
def cookieconsent_banner(context: Context) -> SafeString:
    """The consent banner, while the visitor has no valid decision (always, hidden, in
    cache-safe mode, where the script decides)."""
    request: HttpRequest | None = context.get("request")
    if request is None:
        return SafeString("")
    consent = get_consent(request)
    html = render_banner(request, consent, _here(context, request))
    # Counted where the server knows it asked: an undecided visitor was given the banner. In
    # cache-safe mode every visitor gets it hidden, and the script decides: nothing to count.
    if html and not get_config()["CACHE_SAFE"] and not consent.is_decided:
        shown.count()
    return html


@register.simple_tag(takes_context=True)
def cookieconsent_settings_link(context: Context, text: str = "") -> SafeString:
    """A link to the preferences page that the script opens as a dialog, returning to this
    page (the same address for every visitor of it: cache-safe); beside it, for a visitor
    whose Global Privacy Control is honoured as an opt-out, that it is."""
    request = context.get("request")
    url = reverse("cookieconsent:preferences")
    if request is not None:
        url += "?next=" + quote(_here(context, request), safe="/")
    link = format_html(
        '<a href="{}" class="cc-settings-link" data-cookieconsent-open>{}</a>',
        url,
        text or gettext("Cookie settings"),
    )
    # Not in cache-safe mode, where every visitor gets the same page.
    if (
        request is not None
        and not get_config()["CACHE_SAFE"]
        and get_consent(request).opt_out_honored
    ):
        return format_html('{} <span class="cc-opt-out-honored">{}</span>', link, HONORED)
    return link


@register.filter
def consent_allows(request: HttpRequest | None, slug: str) -> bool:
    """Whether the visitor allows the category with this slug (``Consent.allows()``); false
    without a request in the context."""
    return request is not None and get_consent(request).allows(slug)


@register.tag
def consent_gate(parser: Parser, token: Token) -> ConsentGateNode:
    """The content as it is when the category is allowed; otherwise made inert (scripts,
    iframes and other resources do not load) for the script to bring to life once the visitor
    allows it. See the gating page."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f"{bits[0]} takes one argument: a category slug.")
    nodelist = parser.parse(("endconsent_gate",))
    parser.delete_first_token()
    return ConsentGateNode(parser.compile_filter(bits[1]), nodelist)


class ConsentGateNode(template.Node):
    def __init__(self, slug: FilterExpression, nodelist: template.NodeList) -> None:
        self.slug = slug
        self.nodelist = nodelist

    def render(self, context: Context) -> str:
        slug = str(self.slug.resolve(context))
        content = self.nodelist.render(context)
        # In cache-safe mode the page is shared, so it must not depend on this visitor: the
        # content is always inert, and the script activates it for those who allow it.
        consent = None if get_config()["CACHE_SAFE"] else _consent(context)
        if consent is None:
            _warn_if_unknown(slug, _registry(context))
        elif consent.allows(slug):  # which logs an unknown slug itself
            return content
        return mark_safe(inert(content, slug))


@register.simple_tag(takes_context=True)
def cookieconsent_cookie_table(context: Context) -> SafeString:
    """The table of categories and their cookies, as the latest version published it
    (``serving.cookie_table()``)."""
    return mark_safe(serving.cookie_table(_registry(context)))


@register.simple_tag(takes_context=True)
def cookieconsent_config(context: Context) -> str:
    """The script's configuration as JSON, for a ``data-cookieconsent-config`` attribute
    (autoescaped)."""
    return script.config_json(_consent(context))


@register.simple_tag(takes_context=True)
def cookieconsent_script(context: Context) -> SafeString:
    """``<script src=".../cookieconsent.min.js" defer>`` carrying its configuration, so that
    the script knows the visitor's state and its strings on every page without asking."""
    return format_html(
        '<script src="{}" defer data-cookieconsent-config="{}"></script>',
        static("cookieconsent/cookieconsent.min.js"),
        script.config_json(_consent(context)),
    )


@register.simple_tag(takes_context=True)
def cookieconsent_consent_mode(context: Context) -> SafeString:
    """Google Consent Mode v2 defaults, to be placed in ``<head>`` before any Google tag (and
    the Microsoft tags ``MICROSOFT_CONSENT_MODE`` names).

    With a CSP nonce (``csp_nonce`` in the context, or django-csp's ``request.csp_nonce``) an
    inline script; otherwise a tiny static script reading a ``data-`` attribute, which needs
    nothing beyond ``script-src 'self'``.
    """
    if not consent_mode.is_enabled():
        return SafeString("")
    consent = _consent(context)
    nonce = context.get("csp_nonce") or getattr(context.get("request"), "csp_nonce", None)
    if nonce:
        code = consent_mode.inline_script(consent)
        return format_html('<script nonce="{}">{}</script>', str(nonce), mark_safe(code))
    tags = consent_mode.microsoft()
    return format_html(
        '<script src="{}" data-cookieconsent-consent-mode="{}"{}></script>',
        static("cookieconsent/consent-mode.js"),
        json.dumps(consent_mode.defaults(consent), separators=(",", ":")),
        format_html(' data-cookieconsent-microsoft="{}"', " ".join(tags)) if tags else "",
    )


@register.simple_tag(takes_context=True)
def cookieconsent_head(context: Context) -> SafeString:
    """Everything the banner needs in ``<head>``, in order: the Google Consent Mode defaults
    (when configured), the stylesheet and the script."""
    return format_html(
        '{}<link rel="stylesheet" href="{}">{}',
        cookieconsent_consent_mode(context),
        static("cookieconsent/cookieconsent.min.css"),
        cookieconsent_script(context),
    )
