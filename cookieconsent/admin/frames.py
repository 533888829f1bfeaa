"""What a visitor saw, shown in the admin: the banner, the preferences and the policy page of a
snapshot (or of a preview), each in a sandboxed frame with the app's stylesheet, so that the
admin's styles neither change them nor leak into them."""

from __future__ import annotations

from typing import Any, Protocol

from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from cookieconsent.conf import get_config
from cookieconsent.publishing import render as rendering


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
    """``html`` with the placeholders a request would fill, filled neutrally."""
    return (
        html.replace(rendering.NEXT_QUERY, "%2F")
        .replace(rendering.NEXT, "/")
        .replace(rendering.CSRF, "")
        .replace(rendering.CONFIG, "{}")
        .replace(rendering.THEME, str(get_config()["THEME"]))
    )


def document(body: str, language: str) -> str:
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        f'<link rel="stylesheet" href="{static("cookieconsent/cookieconsent.min.css")}">'
        '<base target="_blank"></head>'
        f'<body><main id="content">{fill(body)}</main></body></html>'
    )


def frames(shown: Shown, regime: str = "opt-in") -> list[tuple[str, SafeString]]:
    """(heading, ``<iframe>``) for the banner (the one of ``regime``), the preferences and the
    policy page. The frames are sandboxed: no script, no form, no navigation of the admin."""

    def frame(title: str, body: str, kind: str) -> SafeString:
        return format_html(
            '<iframe class="cc-shown cc-shown--{}" sandbox title="{}" srcdoc="{}"></iframe>',
            kind,
            title,
            document(body, shown.language),
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
