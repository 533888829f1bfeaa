"""The consent banner: rendered once per registry, language and mode, then filled in.

Every undecided visitor gets the same banner but for the page it returns to (no CSRF token:
the consent endpoint is protected by origin, see ``crossorigin.py``). So the template is
rendered once, with a placeholder where each per-request value goes, and split at the
placeholders right away. A request only joins the pieces with its escaped values: what a
visitor sends is never searched for a placeholder, so it can never fill one.

The app's URLs (the consent endpoint, the policy, the preferences) and the script's
configuration are the same for every request with the same script prefix, URLconf and
language: they are filled in once for each, when the banner is first rendered for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cookieconsent.caching import PerRegistry
from cookieconsent.conf import get_config, on_reset
from cookieconsent.engine.consent import Consent
from cookieconsent.models.policy import banner_text
from cookieconsent.publishing import render as rendering
from cookieconsent.publishing import script
from cookieconsent.publishing import serve as serving

# Placeholders the template is rendered with (see cookieconsent.publishing).
_SLOTS: dict[str, str] = {"next": rendering.NEXT, "next_query": rendering.NEXT_QUERY}
_SPLIT = re.compile("(" + "|".join(map(re.escape, _SLOTS.values())) + ")")
_SLOT_NAMES = {placeholder: name for name, placeholder in _SLOTS.items()}


@dataclass(frozen=True, slots=True)
class Banner:
    """The rendered banner as literal pieces with the name of the slot between each two."""

    pieces: tuple[str, ...]
    slots: tuple[str, ...]

    def fill(self, values: dict[str, str]) -> SafeString:
        """The banner with each slot replaced by its (already escaped) value."""
        out = [self.pieces[0]]
        for slot, piece in zip(self.slots, self.pieces[1:], strict=True):
            out.append(values[slot])
            out.append(piece)
        # Safe: the pieces come from the autoescaped template, the values are escaped.
        return mark_safe("".join(out))


def split(html: str) -> Banner:
    parts = _SPLIT.split(html)
    return Banner(tuple(parts[0::2]), tuple(_SLOT_NAMES[p] for p in parts[1::2]))


Key = tuple[str, str, str | None, bool, bool, str, frozenset[str]]
#: The banners of the current registry, per (language, script prefix, URLconf, cache-safe,
#: needs renewal, regime, categories allowed); emptied when staff edits replace the registry.
_banners: PerRegistry[Key, Banner] = PerRegistry(limit=256)


def _render(consent: Consent, cache_safe: bool, needs_renewal: bool, regime: str) -> Banner:
    # The latest published version's banner for this regime, as the site's template rendered
    # it when staff published (rendered from the registry, in the app's own words, only while
    # nothing is published).
    html = serving.banner(
        consent._registry.categories,
        text=banner_text(consent._registry.banner_text, consent._registry.categories),
        cache_safe=cache_safe,
        needs_renewal=needs_renewal,
        regime=regime,
        registry=consent._registry,
    )
    # The app's URLs as this request reverses them: its script prefix (a site mounted at /shop
    # by its server) and its language (i18n_patterns), whoever published.
    html = rendering.fill_urls(html)
    config = escape(script.config_json(consent))
    return split(html.replace(rendering.CONFIG, config).replace(rendering.THEME, theme()))


def theme() -> str:
    """The ``data-cc-theme`` the banner and the preferences carry: the THEME setting."""
    return str(get_config()["THEME"])


def get_banner(consent: Consent, cache_safe: bool, needs_renewal: bool) -> Banner:
    """The banner for this registry, language, script prefix, URLconf, mode, regime and
    allowed categories, rendered on first use. (It carries the undecided visitor's state,
    which those decide: a stale choice's refusals hold, so two visitors asked again under
    opt-out allow different categories.)"""
    regime = "*" if cache_safe else consent.regime
    key = (
        get_language() or "",
        get_script_prefix(),
        get_urlconf(),
        cache_safe,
        needs_renewal,
        regime,
        frozenset() if cache_safe else consent.categories,
    )
    return _banners.of(consent._registry).get_or_compute(
        key, lambda: _render(consent, cache_safe, needs_renewal, regime)
    )


@on_reset
def reset() -> None:
    """Forget the rendered banners (tests that change templates or URLs)."""
    _banners.clear()


#: What a visitor whose Global Privacy Control is honoured as an opt-out is told (CCPA
#: regulations §7025(c)(6)): the regulation's own words.
HONORED = _("Opt-Out Request Honored")


def render_banner(request: HttpRequest, consent: Consent, here: str | None = None) -> SafeString:
    """The banner for this request, or ``""`` when the visitor has decided (in cache-safe
    mode always, hidden: the script decides). A choice in it returns the visitor to ``here``
    (the request's own page unless said: a refused choice's page is the consent endpoint's)."""
    if _on_preferences_page(request):
        # Its Customise link would open the page already open, and the page says itself
        # whether an opt-out signal is honoured.
        return SafeString("")
    cache_safe = get_config()["CACHE_SAFE"]
    if not cache_safe and consent.is_decided:
        if consent.opt_out_honored:  # said where the notice would be
            return format_html('<p class="cc-opt-out-honored" role="status">{}</p>', HONORED)
        return SafeString("")
    needs_renewal = False if cache_safe else consent.needs_renewal
    path = here or request.get_full_path()
    return get_banner(consent, cache_safe, needs_renewal).fill(
        {"next": escape(path), "next_query": escape(quote(path, safe="/"))}
    )


def _on_preferences_page(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return (
        match is not None and match.url_name == "preferences" and "cookieconsent" in match.app_names
    )
