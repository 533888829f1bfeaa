"""Rendering a version: everything a visitor is shown (the banner of every regime, the
preferences, the policy page and its cookie table), in one language, by the site's own
templates, with placeholders where each request's values go."""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe

from cookieconsent.engine.consent import Consent
from cookieconsent.engine.registry import CategoryInfo
from cookieconsent.models import Cookie, CookieCategory, CookiePolicy, Party, PublishedVersion
from cookieconsent.models.policy import banner_text, optional_names
from cookieconsent.regimes import REGIMES
from cookieconsent.translation import default_language

# Placeholders the banner and preferences are rendered with, filled in per request. Each
# starts with "&", which escaping turns into "&amp;" in every text a template prints, so no
# words of staff's (a banner message, a category's name) can hold one; the template is given
# them safe, and prints them as they are (no filter). None is a part of another.
NEXT: SafeString = mark_safe("&cookieconsent-next;")
NEXT_QUERY: SafeString = mark_safe("&cookieconsent-next-query;")
CSRF: SafeString = mark_safe("&cookieconsent-csrf;")
CONFIG: SafeString = mark_safe("&cookieconsent-config;")
THEME: SafeString = mark_safe("&cookieconsent-theme;")

# The app's URLs the banner and the preferences link to (``fill_urls()``): reversed per
# request, they carry the script prefix and the language of the request served, not those of
# whoever published.
CONSENT_URL: SafeString = mark_safe("&cookieconsent-consent-url;")
POLICY_URL: SafeString = mark_safe("&cookieconsent-policy-url;")
PREFERENCES_URL: SafeString = mark_safe("&cookieconsent-preferences-url;")
_URL_NAMES = {
    CONSENT_URL: "cookieconsent:consent",
    POLICY_URL: "cookieconsent:policy",
    PREFERENCES_URL: "cookieconsent:preferences",
}


def fill_urls(html: str) -> str:
    """``html`` with each URL placeholder replaced by its URL, reversed now: with the script
    prefix, the URLconf and the language of the request being served."""
    for placeholder, name in _URL_NAMES.items():
        if placeholder in html:
            html = html.replace(placeholder, escape(reverse(name)))
    return html


#: Banner variants a snapshot holds: (cache-safe, asking again) → key. In cache-safe mode the
#: page is shared, so it never says why it asks again, and it carries the banner of every
#: regime (the script shows the visitor's); otherwise there is one per regime (see
#: ``variant_key()``).
BANNER_VARIANTS = {(False, False): "ask", (False, True): "renewal", (True, False): "cache_safe"}


def variant_key(cache_safe: bool, needs_renewal: bool, regime: str) -> str:
    """The snapshot's key for one banner variant."""
    base = BANNER_VARIANTS[(cache_safe, needs_renewal and not cache_safe)]
    return base if cache_safe else f"{base}:{regime}"


def _variants() -> list[tuple[bool, bool, str]]:
    return [
        (safe, again, "*" if safe else regime)
        for (safe, again) in BANNER_VARIANTS
        for regime in (("*",) if safe else REGIMES)
    ]


def banner_context(
    categories: Any,
    *,
    text: tuple[str, str],
    cache_safe: bool,
    needs_renewal: bool,
    regime: str = "opt-in",
) -> dict[str, Any]:
    """What ``cookieconsent/banner.html`` is rendered with: the same for every visitor of a
    regime, with placeholders where the page, the app's URLs and the script's configuration
    go. ``text`` is the banner's title and message (``models.policy.banner_text()``)."""
    return {
        "banner_title": text[0],
        "banner_message": text[1],
        "categories": categories,
        "optional_names": optional_names(categories),
        "cache_safe": cache_safe,
        # A shared page carries every regime's variant; the script shows the visitor's.
        "regimes": list(REGIMES) if cache_safe else [regime],
        "needs_renewal": needs_renewal,
        "next": NEXT,
        "next_query": NEXT_QUERY,
        "policy_url": POLICY_URL,
        "preferences_url": PREFERENCES_URL,
        "consent_url": CONSENT_URL,
        "config": CONFIG,
        "theme": THEME,
    }


def render_banner(
    categories: Any,
    *,
    text: tuple[str, str],
    cache_safe: bool,
    needs_renewal: bool,
    regime: str = "opt-in",
) -> str:
    context = banner_context(
        categories, text=text, cache_safe=cache_safe, needs_renewal=needs_renewal, regime=regime
    )
    return render_to_string("cookieconsent/banner.html", context)


@dataclass(frozen=True, slots=True)
class Rendered:
    """One language of a version, as it will be stored."""

    language: str
    title: str
    banner: dict[str, str]
    preferences_html: str
    policy_html: str
    table_html: str
    text: str
    table_rows: list[list[str]]
    categories: list[dict[str, Any]]
    hash: str


def render(policy: CookiePolicy, *, number: int, last_updated: date, language: str) -> Rendered:
    """Everything a visitor is shown under ``policy`` in ``language``, from the site's
    templates, as the version ``number`` dated ``last_updated``."""
    with translation.override(language):
        categories = list(CookieCategory.objects.prefetch_related("cookies"))
        published = [
            {
                "slug": c.slug,
                "name": str(c.i18n.name),
                "purpose": str(c.i18n.purpose),
                "required": c.required,
            }
            for c in categories
        ]
        table_html = render_cookie_table(categories, policy)
        sections = list(policy.sections.all())
        context = {
            "policy": policy,
            "sections": sections,
            # A policy lists its cookies: after the text when no section places the table.
            "table_after_sections": not any(s.show_cookie_table for s in sections),
            "last_updated": last_updated,
            "version": number,
        }
        policy_html = render_to_string(
            "cookieconsent/policy_article.html", {**context, "cookie_table": mark_safe(table_html)}
        )
        words_only = render_to_string("cookieconsent/policy_article.html", context)
        banner = {
            variant_key(safe, again, regime): render_banner(
                categories,
                text=banner_text(policy, categories),
                cache_safe=safe,
                needs_renewal=again,
                regime=regime,
            )
            for safe, again, regime in _variants()
        }
        preferences_html = render_to_string(
            "cookieconsent/preferences_panel.html",
            {
                # As an undecided visitor sees it: no consent ID, no signal.
                "consent": Consent(None),
                # What the preferences page shows, from what it will be served from.
                "categories": [
                    {"info": info, "checked": info.required} for info in category_infos(published)
                ],
                "has_required": any(c.required for c in categories),
                "next": NEXT,
                "policy_url": POLICY_URL,
                "consent_url": CONSENT_URL,
                "config": CONFIG,
                "csrf_token": CSRF,
                "theme": THEME,
            },
        )
        rows = [
            [
                str(category.name),
                cookie.name,
                str(cookie.purpose),
                " · ".join(provider(cookie, policy.contact_organisation)),
                cookie.lifetime_display,
                str(cookie.get_technology_display()),
            ]
            for category in categories
            for cookie in category.cookies.all()
        ]
        text = "\n".join(
            [
                *(plain_text(banner[variant_key(False, False, regime)]) for regime in REGIMES),
                plain_text(preferences_html),
                plain_text(words_only),
            ]
        )
        title = str(policy.i18n.title)
    digest = hashlib.sha256(
        json.dumps(
            {
                "number": number,
                "language": language,
                "last_updated": last_updated.isoformat(),
                "title": title,
                "banner": banner,
                "preferences": preferences_html,
                "policy": policy_html,
                "categories": published,
            },
            sort_keys=True,
        ).encode()
    ).hexdigest()
    return Rendered(
        language,
        title,
        banner,
        preferences_html,
        policy_html,
        table_html,
        text,
        rows,
        published,
        digest,
    )


_BLOCK_END = re.compile(
    r"</(p|h[1-6]|li|tr|dt|dd|div|section|caption|address|button|legend)>|<br\s*/?>", re.I
)
_SKIP = re.compile(r"<(script|style|template)\b.*?</\1>", re.I | re.S)


def provider(cookie: Cookie, organisation: str) -> list[str]:
    """Who sets ``cookie``, as the table's Provider column names it: its provider and party;
    a first-party cookie without a provider is the site's own, named by the organisation in
    the policy's contact details (else "First-party")."""
    if cookie.provider:
        return [cookie.provider, str(cookie.get_party_display())]
    if cookie.party == Party.FIRST and organisation:
        return [organisation]
    return [str(cookie.get_party_display())]


def render_cookie_table(categories: list[CookieCategory], policy: CookiePolicy | None) -> str:
    """``cookieconsent/cookie_table.html`` for ``categories`` (their cookies prefetched), each
    cookie given its ``shown_provider`` lines (``provider()``)."""
    organisation = policy.contact_organisation if policy is not None else ""
    for category in categories:
        for cookie in category.cookies.all():
            cookie.shown_provider = provider(cookie, organisation)  # type: ignore[attr-defined]
    return render_to_string("cookieconsent/cookie_table.html", {"categories": categories})


def plain_text(markup: str) -> str:
    """The words of ``markup``, one line per block, blank lines and indentation gone."""
    markup = _BLOCK_END.sub(lambda m: m.group(0) + "\0", _SKIP.sub("", markup))
    lines = (" ".join(html.unescape(line).split()) for line in strip_tags(markup).split("\0"))
    return "\n".join(line for line in lines if line)


def preview(policy: CookiePolicy, *, last_updated: date, language: str | None = None) -> Rendered:
    """What publishing ``policy`` now would show, without publishing it."""
    latest = PublishedVersion.objects.order_by("-number").values_list("number", flat=True)
    return render(
        policy,
        number=(latest.first() or 0) + 1,
        last_updated=last_updated,
        language=language or default_language(),
    )


def category_infos(published: list[dict[str, Any]]) -> tuple[CategoryInfo, ...]:
    """The categories a snapshot was published with, as the registry describes them."""
    return tuple(CategoryInfo(c["slug"], c["name"], c["purpose"], c["required"]) for c in published)
