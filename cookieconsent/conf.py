"""The ``COOKIECONSENT`` settings dict, merged onto documented defaults, read in one place.

``get_config()`` is cached; a ``setting_changed`` receiver clears the cache so that
``override_settings(COOKIECONSENT=...)`` works in tests. Defaults are never written into
``django.conf.settings``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

#: Name of the settings dict.
SETTING_NAME = "COOKIECONSENT"

DAY = 24 * 60 * 60

#: Every key the app understands, with its default. README.md documents each.
DEFAULTS: dict[str, Any] = {
    # The app's own consent cookie: strictly necessary by nature, never blocked.
    "COOKIE_NAME": "cookieconsent",
    "COOKIE_DOMAIN": None,  # e.g. ".example.com" to share the choice across subdomains
    "COOKIE_PATH": "/",
    "COOKIE_SECURE": False,
    "COOKIE_SAMESITE": "Lax",
    # How long a decision holds before the banner asks again.
    "CONSENT_MAX_AGE": 365 * DAY,  # any consent that grants an optional category
    "REFUSAL_MAX_AGE": 182 * DAY,  # a decision that grants none
    # What happens to a cookie no category declares: "block" or "allow".
    "UNDECLARED_COOKIES": "block",
    # Django's own session, CSRF, language and messages cookies count as strictly necessary.
    "DECLARE_DJANGO_COOKIES": True,
    # Browser signals from a visitor who has not decided yet.
    "HONOUR_GPC": True,
    "HONOUR_DNT": False,
    # Seconds a process trusts its compiled registry before asking the cache for a newer one.
    "REGISTRY_STALENESS": 5,
    "CACHE_ALIAS": "default",
    # Salt for the hash of the visitor's IP address in consent records; "" derives one from
    # SECRET_KEY.
    "IP_HASH_SALT": "",
    "USER_AGENT_MAX_LENGTH": 300,
    # Markdown extensions used for policy sections.
    "MARKDOWN_EXTENSIONS": ["tables", "sane_lists"],
    # Every page carries the same hidden banner; the script decides whether to show it.
    "CACHE_SAFE": False,
    # Google Consent Mode v2: category slug -> consent types it grants.
    "GOOGLE_CONSENT_MODE": {},
    # How long consent records are kept (a timedelta or seconds); None keeps every record.
    # ``cookieconsent_purge`` deletes older ones; the daily counts stay.
    "RECORD_RETENTION": None,
    # At most this many undeclared cookie names are remembered in the database.
    "UNDECLARED_COOKIES_LIMIT": 500,
    # Chromium for ``cookieconsent_scan``; "" means $COOKIECONSENT_CHROMIUM, else /usr/bin/chromium.
    "SCANNER_BROWSER": "",
}


@cache
def get_config() -> dict[str, Any]:
    """The user's ``COOKIECONSENT`` dict merged onto ``DEFAULTS`` (unknown keys are kept for
    the system check to report)."""
    user = getattr(settings, SETTING_NAME, {})
    config = dict(DEFAULTS)
    if isinstance(user, dict):
        config.update(user)
    return config


@receiver(setting_changed)
def _clear_cache(*, setting: str, **kwargs: Any) -> None:
    if setting in (SETTING_NAME, "SECRET_KEY", "CACHES"):
        get_config.cache_clear()
