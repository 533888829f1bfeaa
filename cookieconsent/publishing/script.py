"""What the browser script (``cookieconsent.js``) is told: one JSON-ready dict.

The keys are named for what they hold; the script reads nothing else from the page. Values
the server owns (which storage a technology lives in, the Consent Mode mapping) are passed
here, not typed again in JavaScript. (The script restores the ``gating.PREFIX`` attributes.)
"""

from __future__ import annotations

import json
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext

from cookieconsent.conf import get_config
from cookieconsent.engine import consent_mode
from cookieconsent.engine.consent import Consent
from cookieconsent.engine.registry import Registry
from cookieconsent.models import Technology
from cookieconsent.publishing import serve as serving

#: The browser's storage object for each technology the script can clear on withdrawal (the
#: server can reach neither).
BROWSER_STORAGE = {
    Technology.LOCAL_STORAGE.value: "localStorage",
    Technology.SESSION_STORAGE.value: "sessionStorage",
}


def config(consent: Consent | None) -> dict[str, Any]:
    """The script's configuration for this visitor.

    The visitor's own state is left out in cache-safe mode, where the page is shared: the
    script then asks the status endpoint.
    """
    cache_safe = get_config()["CACHE_SAFE"]
    registry = consent._registry if consent is not None else None
    storage: dict[str, list[list[str]]] = {}
    for key in registry.storage_keys if registry is not None else ():
        store = BROWSER_STORAGE.get(key.technology)
        if store is not None:
            storage.setdefault(store, []).append([key.slug, key.name])
    found: dict[str, Any] = {
        "consentUrl": reverse("cookieconsent:consent"),
        "statusUrl": reverse("cookieconsent:status"),
        "preferencesUrl": reverse("cookieconsent:preferences"),
        "cacheSafe": cache_safe,
        "theme": get_config()["THEME"],
        "state": None if cache_safe or consent is None else consent.as_dict(),
        "categoryNames": _names(registry) if registry is not None else {},
        "storageKeys": storage,
        "strings": {
            "blocked": gettext("This content is blocked until you allow %(category)s cookies.")
            % {"category": "%s"},
            "allow": gettext("Allow %(category)s cookies") % {"category": "%s"},
            "saved": gettext("Your choice is saved. Allowed: %(categories)s.")
            % {"categories": "%s"},
            "none": gettext("no optional cookies"),
        },
    }
    if consent_mode.is_enabled():
        found["consentMode"] = consent_mode.type_slugs()
        if tags := consent_mode.microsoft():
            found["microsoft"] = tags
    return found


def _names(registry: Registry) -> dict[str, str]:
    """Each category's name as ``registry``'s version published it, in the active language."""
    return {
        c.slug: c.i18n.name
        for c in serving.categories(serving.current(registry=registry), registry)
    }


def config_json(consent: Consent | None) -> str:
    return json.dumps(config(consent), separators=(",", ":"))
