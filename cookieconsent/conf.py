"""The ``COOKIECONSENT`` settings: one spec, merged onto its defaults, read in one place.

``SETTINGS`` names every key once, with its default, accepted types, choices and one line of
meaning; the defaults, the system checks and the docs' settings page are all read from it.
``get_config()`` is cached; one ``setting_changed`` receiver calls ``reset_caches()``, so
``override_settings(COOKIECONSENT=...)`` works in tests. Defaults are never written into
``django.conf.settings``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

#: Name of the settings dict.
SETTING_NAME = "COOKIECONSENT"

DAY = 24 * 60 * 60
#: The longest duration a setting may give (1000 years, in seconds). Beyond it the dates the app
#: works out leave what Python's ``datetime`` holds (years 1 to 9999): a consent cookie's
#: ``Expires`` that far ahead, a purge's cutoff that far back.
LONGEST = 1000 * 365 * DAY
#: The longest a browser keeps a cookie (RFC 6265bis): a longer ``Max-Age`` is cut to it.
BROWSER_COOKIE_LIMIT = 400 * DAY


@dataclass(frozen=True, slots=True)
class Setting:
    """One key of ``COOKIECONSENT``."""

    name: str
    default: Any
    types: tuple[type, ...]  # accepted types; type(None) where None is allowed
    doc: str  # one line of meaning, Markdown, used by the docs
    choices: tuple[Any, ...] | None = None


_NONE = type(None)

#: Every key the app understands, in documentation order.
SETTINGS: tuple[Setting, ...] = (
    Setting(
        "COOKIE_NAME",
        "cookieconsent",
        (str,),
        "Name of the consent cookie (signed with `SECRET_KEY`). Always strictly necessary: the "
        "cookie table cannot put it in an optional category.",
    ),
    Setting(
        "COOKIE_DOMAIN",
        None,
        (str, _NONE),
        'Domain of the consent cookie, e.g. `".example.com"` to share the choice across '
        "subdomains.",
    ),
    Setting("COOKIE_PATH", "/", (str,), "Path of the consent cookie."),
    Setting(
        "COOKIE_SECURE",
        False,
        (bool,),
        "Send the consent cookie over HTTPS only; set `True` on HTTPS sites "
        "(`check --deploy` warns while it is `False`).",
    ),
    Setting(
        "COOKIE_SAMESITE",
        "Lax",
        (str, _NONE),
        "`SameSite` attribute of the consent cookie.",
        choices=("Lax", "Strict", "None", None),
    ),
    Setting(
        "CONSENT_MAX_AGE",
        365 * DAY,
        (int,),
        "Seconds a decision that grants an optional category holds before the banner asks "
        "again; browsers keep a cookie at most 400 days.",
    ),
    Setting(
        "REFUSAL_MAX_AGE",
        182 * DAY,
        (int,),
        "Seconds a decision that grants no optional category holds (browsers keep it at most 400 "
        "days too).",
    ),
    Setting(
        "UNDECLARED_COOKIES",
        "block",
        (str,),
        "What happens to a cookie no category declares.",
        choices=("block", "allow"),
    ),
    Setting(
        "DECLARE_DJANGO_COOKIES",
        True,
        (bool,),
        "Treat Django's own session, CSRF, language and messages cookies as strictly necessary.",
    ),
    Setting(
        "HONOUR_GPC",
        True,
        (bool,),
        "`Sec-GPC: 1` refuses the optional categories for a visitor who has not decided.",
    ),
    Setting("HONOUR_DNT", False, (bool,), "The same for `DNT: 1`."),
    Setting(
        "REGISTRY_STALENESS",
        5,
        (int, float),
        "Seconds a process trusts its compiled cookie table before it reads the database's "
        "registry stamp (one small query); every process enforces a change within this time.",
    ),
    Setting(
        "IP_HASH_SALT",
        "",
        (str,),
        'Key for the hash of the visitor\'s IP address in consent records; `""` derives one '
        "from `SECRET_KEY`.",
    ),
    Setting(
        "USER_AGENT_MAX_LENGTH",
        300,
        (int,),
        "User agents are cut to this many characters in consent records.",
    ),
    Setting(
        "MARKDOWN_EXTENSIONS",
        ["tables", "sane_lists"],
        (list, tuple),
        "Python-Markdown extensions used for policy sections.",
    ),
    Setting(
        "CACHE_SAFE",
        False,
        (bool,),
        "Every page carries the same hidden banner and the script decides whether to show it, "
        "so pages can be shared by a page cache or CDN.",
    ),
    Setting(
        "CONSENT_FOLLOWS_USER",
        False,
        (bool,),
        "A signed-in user's latest decision (their latest consent record) is applied on every "
        "browser they sign in on, unless that browser holds a later decision of its own. See "
        "[consent that follows the user](enforcement.md#consent-that-follows-the-signed-in-user).",
    ),
    Setting(
        "GOOGLE_CONSENT_MODE",
        {},
        (dict,),
        "Google Consent Mode v2: category slug → list of consent types it grants.",
    ),
    Setting(
        "MICROSOFT_CONSENT_MODE",
        [],
        (list, tuple),
        "Microsoft tags told the visitor's consent beside Google Consent Mode, from the same "
        '`GOOGLE_CONSENT_MODE` mapping: `"uet"` (Microsoft Advertising UET consent mode: '
        '`ad_storage`) and `"clarity"` (Microsoft Clarity `consentv2`: `ad_storage` and '
        "`analytics_storage`). See [Consent Mode](javascript.md#microsoft-uet-and-clarity).",
    ),
    Setting(
        "BASE_TEMPLATE",
        "cookieconsent/layout.html",
        (str,),
        "The template the policy, preferences and error pages extend. Name your site's base "
        'template (with a `title` and a `content` block), e.g. `"base.html"`, to give them your '
        "navigation; the default is a bare page of the app's own.",
    ),
    Setting(
        "THEME",
        "auto",
        (str,),
        'Colours of the banner, the preferences and the placeholders: `"auto"` follows the '
        'visitor\'s `prefers-color-scheme`, `"light"` or `"dark"` forces one. See '
        "[theming](theming.md).",
        choices=("auto", "light", "dark"),
    ),
    Setting(
        "REGION_HEADER",
        None,
        (str, _NONE),
        "Request header holding the visitor's ISO 3166-1 country code, set by the site's CDN "
        'or proxy, e.g. `"CF-IPCountry"`; `None` or `""` reads none. Read only with '
        "`TRUST_REGION_HEADER`. See [regions](regions.md).",
    ),
    Setting(
        "REGION_SUBDIVISION_HEADER",
        None,
        (str, _NONE),
        'Request header holding the subdivision (`"CA"` or `"US-CA"`), read with `REGION_HEADER`; '
        '`None` or `""` reads none.',
    ),
    Setting(
        "TRUST_REGION_HEADER",
        False,
        (bool,),
        "`True` says every request reaches the site through the CDN or proxy that sets "
        "`REGION_HEADER` (and `REGION_SUBDIVISION_HEADER`) and replaces any copy a visitor "
        "sent. Until then those headers are not read: the region is unknown (opt-in).",
    ),
    Setting(
        "REGION_RESOLVER",
        None,
        (str, _NONE),
        "Dotted path to a callable `request -> str | None` giving the visitor's region (e.g. "
        'with Django\'s `GeoIP2`); asked before the headers. `None` or `""`: no resolver.',
    ),
    Setting(
        "RECORD_RETENTION",
        None,
        (timedelta, int, _NONE),
        "How long consent records are kept: a `timedelta` or seconds, from a day to 1000 "
        "years. `manage.py cookieconsent_purge` deletes older ones and keeps the daily counts; "
        "`None` keeps every record.",
    ),
    Setting(
        "UNDECLARED_COOKIES_LIMIT",
        500,
        (int,),
        "At most this many undeclared cookie names the site sets (or scans find) are "
        "remembered for the admin's Undeclared cookies list, and apart from them at most as "
        "many that browsers only send; beyond either bound nothing new of that kind is "
        "recorded and one warning is logged.",
    ),
    Setting(
        "COOKIE_DATABASE",
        "",
        (str,),
        "File of well-known cookies (the Open Cookie Database's CSV layout) from which the "
        "Undeclared cookies list and the scanner suggest a category, provider, purpose and "
        'lifetime; `""` means the one shipped with the app. `manage.py '
        "cookieconsent_cookie_database --from URL|FILE` writes it.",
    ),
    Setting(
        "SCANNER_BROWSER",
        "",
        (str,),
        "Chromium executable for `manage.py cookieconsent_scan` and `cookieconsent_audit`; "
        '`""` means `$COOKIECONSENT_CHROMIUM`, else `/usr/bin/chromium`.',
    ),
)

DEFAULTS: dict[str, Any] = {s.name: s.default for s in SETTINGS}


@cache
def get_config() -> dict[str, Any]:
    """The user's ``COOKIECONSENT`` dict merged onto ``DEFAULTS`` (unknown keys are kept for
    the system check to report)."""
    user = getattr(settings, SETTING_NAME, {})
    config = dict(DEFAULTS)
    if isinstance(user, dict):
        config.update(user)
    return config


def django_cookie_names() -> tuple[str, ...]:
    """Django's own cookies: session, CSRF, language and ``contrib.messages``."""
    return (
        settings.SESSION_COOKIE_NAME,
        settings.CSRF_COOKIE_NAME,
        settings.LANGUAGE_COOKIE_NAME,
        "messages",  # django.contrib.messages.storage.cookie.CookieStorage.cookie_name
    )


#: Settings whose change makes a per-process cache wrong.
WATCHED_SETTINGS = frozenset(
    {
        SETTING_NAME,
        "SECRET_KEY",
        "SECRET_KEY_FALLBACKS",
        "CACHES",
        "DATABASES",
        "SESSION_COOKIE_NAME",
        "CSRF_COOKIE_NAME",
        "LANGUAGE_COOKIE_NAME",
        "LANGUAGES",
        "LANGUAGE_CODE",
    }
)

_resetters: list[Callable[[], None]] = []


def on_reset(func: Callable[[], None]) -> Callable[[], None]:
    """Register a function that forgets a module's per-process cache; ``reset_caches()`` calls
    it. Use as a decorator on the owner's clearing function."""
    _resetters.append(func)
    return func


def reset_caches() -> None:
    """Forget every per-process cache of the app: the settings, the compiled registry and what
    is derived from it. Called when a watched setting changes; call it after changing the
    cookie table behind the ORM's back (``QuerySet.update()``, raw SQL) in this process."""
    get_config.cache_clear()
    for func in _resetters:
        func()


@receiver(setting_changed, dispatch_uid="cookieconsent.conf.reset_caches")
def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in WATCHED_SETTINGS:
        reset_caches()
