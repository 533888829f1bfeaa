"""What a visitor saw, shown in the admin: the banner, the preferences and the policy page of a
snapshot (or of a preview), each in a sandboxed frame, in the site's own layout
(``BASE_TEMPLATE``) or the app's bare page, so that the admin's styles neither change them nor
leak into them."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import translation
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from cookieconsent.conf import DEFAULTS, get_config
from cookieconsent.publishing import render as rendering

logger = logging.getLogger("cookieconsent")


class Shown(Protocol):
    @property
    def language(self) -> str: ...
    @property
    def banner(self) -> Any: ...
    @property
    def preferences_html(self) -> str: ...
    @property
    def policy_html(self) -> str: ...


def fill(html: str) -> str:
    """``html`` with the placeholders a request would fill, filled neutrally (the app's URLs
    as this request reverses them, in the active language)."""
    return (
        rendering.fill_urls(html)
        .replace(rendering.NEXT_QUERY, "%2F")
        .replace(rendering.NEXT, "/")
        .replace(rendering.CSRF, "")
        .replace(rendering.CONFIG, "{}")
        .replace(rendering.THEME, str(get_config()["THEME"]))
    )


def document(body: str, language: str) -> str:
    """A whole page around ``body``: the site's layout when ``BASE_TEMPLATE`` names one (as
    visitors see the app's pages), else the app's bare page."""
    with translation.override(language):
        body = fill(body)
    base = get_config()["BASE_TEMPLATE"]
    if base != DEFAULTS["BASE_TEMPLATE"]:
        page = _in_site_layout(base, body, language)
        if page is not None:
            return page
    return _bare(body, language)


def _in_site_layout(base: str, body: str, language: str) -> str | None:
    """``body`` in the site's layout, rendered without a request (the frame shows the page as
    an anonymous visitor would, with no banner of the staff member's own), or ``None`` when
    the layout cannot be rendered so: the preview then uses the bare page."""
    try:
        with translation.override(language):
            page: str = render_to_string(
                "admin/cookieconsent/preview.html",
                {
                    "cookieconsent_base_template": base,
                    "body": mark_safe(body),  # rendered by the app's templates, filled in
                    "LANGUAGE_CODE": language,
                },
            )
    except Exception:  # a layout that needs a request or a context processor of the site's
        logger.warning("The preview could not use BASE_TEMPLATE %r", base, exc_info=True)
        return None
    stylesheet = static("cookieconsent/cookieconsent.min.css")
    if stylesheet not in page:  # a layout without {% cookieconsent_head %}
        page = f'<link rel="stylesheet" href="{stylesheet}">{page}'
    return page


def _bare(body: str, language: str) -> str:
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        f'<link rel="stylesheet" href="{static("cookieconsent/cookieconsent.min.css")}">'
        '<base target="_blank"></head>'
        f'<body><main id="content">{body}</main></body></html>'
    )


def frames(shown: Shown, regime: str = "opt-in") -> list[tuple[str, SafeString]]:
    """(heading, ``<iframe>``) for the banner (the one of ``regime``), the preferences and the
    policy page. The frames are sandboxed: no script, no form, no navigation of the admin."""

    def frame(title: str, body: str, kind: str) -> SafeString:
        # escape(), not format_html()'s own escaping, which passes a safe string as it is:
        # the site's layout renders safe, and its first quote would end the attribute.
        return format_html(
            '<iframe class="cc-shown cc-shown--{}" sandbox title="{}" srcdoc="{}"></iframe>',
            kind,
            title,
            escape(document(body, shown.language)),
        )

    banner = shown.banner.get(f"ask:{regime}") or shown.banner.get("ask", "")
    return [
        (gettext("Banner"), frame(gettext("Banner"), banner, "banner")),
        (
            gettext("Preferences"),
            frame(gettext("Preferences"), shown.preferences_html, "preferences"),
        ),
        (gettext("Policy page"), frame(gettext("Policy page"), shown.policy_html, "policy")),
    ]
