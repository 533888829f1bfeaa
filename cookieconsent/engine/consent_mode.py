"""Google Consent Mode v2: which consent types a visitor's categories grant.

``GOOGLE_CONSENT_MODE`` maps a category slug to the consent types it grants. The page gets
``gtag('consent', 'default', …)`` for this visitor; the browser script sends the update
when the choice changes, from the same mapping (``type_slugs()``).
"""

from __future__ import annotations

import json
from typing import Any

from cookieconsent.conf import get_config
from cookieconsent.engine.consent import Consent

#: Every consent type of Google Consent Mode v2.
CONSENT_TYPES = (
    "ad_storage",
    "ad_user_data",
    "ad_personalization",
    "analytics_storage",
    "functionality_storage",
    "personalization_storage",
    "security_storage",
)
#: How long gtag waits for the script's update when a shared cache hides the visitor's state.
WAIT_FOR_UPDATE_MS = 500


def is_enabled() -> bool:
    return bool(get_config()["GOOGLE_CONSENT_MODE"])


def type_slugs() -> dict[str, list[str]]:
    """Consent type → the category slugs that grant it, for every type (an unmapped type is
    granted by none, so it stays denied)."""
    slugs: dict[str, list[str]] = {name: [] for name in CONSENT_TYPES}
    for slug, types in get_config()["GOOGLE_CONSENT_MODE"].items():
        for name in types:
            slugs.setdefault(name, []).append(slug)
    return slugs


def defaults(consent: Consent | None) -> dict[str, Any]:
    """``gtag('consent', 'default', …)`` for this visitor: a type is granted when a category
    the visitor allows grants it. In cache-safe mode only the required categories count
    (the page is shared) and gtag waits for the script's update."""
    cache_safe = get_config()["CACHE_SAFE"]
    required = consent.registry.required_slugs if consent is not None else frozenset()

    def allowed(slug: str) -> bool:
        if consent is None:
            return False
        return slug in required if cache_safe else consent.allows(slug)

    found: dict[str, Any] = {
        name: "granted" if any(allowed(s) for s in slugs) else "denied"
        for name, slugs in type_slugs().items()
    }
    if cache_safe:
        found["wait_for_update"] = WAIT_FOR_UPDATE_MS
    return found


def inline_script(consent: Consent | None) -> str:
    """The defaults as inline JavaScript, for a page with a CSP nonce."""
    data = json.dumps(defaults(consent), separators=(",", ":"))
    code = (
        "window.dataLayer=window.dataLayer||[];"
        "function gtag(){dataLayer.push(arguments)}"
        f'gtag("consent","default",{data});'
    )
    # Only JSON of our own setting's names goes in; escape <, > and & all the same.
    return code.translate({ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"})
