"""Google Consent Mode v2: which consent types a visitor's categories grant; and Microsoft's
tags, told from the same mapping.

``GOOGLE_CONSENT_MODE`` maps a category slug to the consent types it grants. The page gets
``gtag('consent', 'default', …)`` for this visitor; the browser script sends the update
when the choice changes, from the same mapping (``type_slugs()``). ``MICROSOFT_CONSENT_MODE``
names the Microsoft tags told the same answers: UET (``uetq.push('consent', …)``, its
``ad_storage``) and Clarity (``clarity('consentv2', …)``, its ``ad_Storage`` and
``analytics_Storage``).
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
#: The Microsoft tags ``MICROSOFT_CONSENT_MODE`` may name, in the order they are told.
MICROSOFT_TAGS = ("uet", "clarity")
#: How long gtag waits for the script's update when a shared cache hides the visitor's state.
WAIT_FOR_UPDATE_MS = 500


def is_enabled() -> bool:
    return bool(get_config()["GOOGLE_CONSENT_MODE"])


def microsoft() -> list[str]:
    """The Microsoft tags to tell, when Consent Mode is on (they read its mapping)."""
    named = get_config()["MICROSOFT_CONSENT_MODE"]
    return [tag for tag in MICROSOFT_TAGS if tag in named] if is_enabled() else []


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
    required = consent._registry.required_slugs if consent is not None else frozenset()

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
    found = defaults(consent)
    data = json.dumps(found, separators=(",", ":"))
    code = (
        "window.dataLayer=window.dataLayer||[];"
        "function gtag(){dataLayer.push(arguments)}"
        f'gtag("consent","default",{data});'
    )
    ad, analytics = json.dumps(found["ad_storage"]), json.dumps(found["analytics_storage"])
    tags = microsoft()
    if "uet" in tags:
        code += f'(window.uetq=window.uetq||[]).push("consent","default",{{ad_storage:{ad}}});'
    if "clarity" in tags:
        code += (
            "window.clarity=window.clarity||function(){(clarity.q=clarity.q||[]).push(arguments)};"
            f'clarity("consentv2",{{ad_Storage:{ad},analytics_Storage:{analytics}}});'
        )
    # Only JSON of our own setting's names goes in; escape <, > and & all the same.
    return code.translate({ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"})
