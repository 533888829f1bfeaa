"""System checks: the ``COOKIECONSENT`` settings, and the middleware's presence and place."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from cookieconsent.conf import DEFAULTS, SETTING_NAME, SETTINGS, get_config

MIDDLEWARE_PATH = "cookieconsent.middleware.CookieConsentMiddleware"
#: Middleware that set cookies: ours must come before them in MIDDLEWARE, to see their cookies.
COOKIE_SETTERS = (
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
)

GOOGLE_CONSENT_TYPES = frozenset(
    {
        "analytics_storage",
        "ad_storage",
        "ad_user_data",
        "ad_personalization",
        "functionality_storage",
        "personalization_storage",
        "security_storage",
    }
)


@register(Tags.security, Tags.compatibility)
def check_settings(**kwargs: Any) -> list[CheckMessage]:
    user = getattr(settings, SETTING_NAME, {})
    if not isinstance(user, dict):
        return [
            Error(
                f"{SETTING_NAME} must be a dict, not {type(user).__name__}.",
                id="cookieconsent.E001",
            )
        ]
    errors: list[CheckMessage] = []
    for key in sorted(set(user) - set(DEFAULTS)):
        errors.append(
            Error(
                f"{SETTING_NAME}[{key!r}] is not a setting cookieconsent knows.",
                hint="Known settings: " + ", ".join(sorted(DEFAULTS)) + ".",
                id="cookieconsent.E002",
            )
        )
    config = get_config()
    for setting in SETTINGS:
        value = config[setting.name]
        types = setting.types
        # bool is an int: an int setting given True is still wrong.
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            expected = " or ".join("None" if t is type(None) else t.__name__ for t in types)
            errors.append(
                Error(
                    f"{SETTING_NAME}[{setting.name!r}] must be {expected}, "
                    f"not {type(value).__name__}.",
                    id="cookieconsent.E003",
                )
            )
        elif setting.choices is not None and value not in setting.choices:
            errors.append(
                Error(
                    f"{SETTING_NAME}[{setting.name!r}] must be one of "
                    + ", ".join(map(repr, setting.choices))
                    + f", not {value!r}.",
                    id="cookieconsent.E004",
                )
            )
    errors.extend(_check_values(config))
    if config["DECLARE_DJANGO_COOKIES"] is False:
        errors.append(
            Warning(
                "DECLARE_DJANGO_COOKIES is off: Django's session, CSRF, language and messages "
                "cookies are blocked unless the cookie table declares them.",
                hint="Declare them in a strictly necessary category, or silence "
                "cookieconsent.W003 once you have.",
                id="cookieconsent.W003",
            )
        )
    return errors


def _check_values(config: dict[str, Any]) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    mode = config["GOOGLE_CONSENT_MODE"]
    if isinstance(mode, dict):
        for slug, types in mode.items():
            unknown = (
                set(types) - GOOGLE_CONSENT_TYPES
                if isinstance(types, list | tuple)
                else {repr(types)}
            )
            if unknown:
                errors.append(
                    Error(
                        f"{SETTING_NAME}['GOOGLE_CONSENT_MODE'][{slug!r}] names unknown consent "
                        f"types: {', '.join(sorted(unknown))}.",
                        hint="Known types: " + ", ".join(sorted(GOOGLE_CONSENT_TYPES)) + ".",
                        id="cookieconsent.E006",
                    )
                )
    return errors


@register(Tags.security)
def check_middleware(**kwargs: Any) -> list[CheckMessage]:
    middleware: Sequence[str] = settings.MIDDLEWARE
    if MIDDLEWARE_PATH not in middleware:
        return [
            Warning(
                "CookieConsentMiddleware is not in MIDDLEWARE: cookies are set whatever the "
                "visitor chose.",
                hint=f"Add {MIDDLEWARE_PATH!r} near the top of MIDDLEWARE.",
                id="cookieconsent.W001",
            )
        ]
    ours = list(middleware).index(MIDDLEWARE_PATH)
    above = [m for m in middleware[:ours] if m in COOKIE_SETTERS]
    if above:
        return [
            Warning(
                "CookieConsentMiddleware comes after " + ", ".join(above) + " in MIDDLEWARE, so "
                "it cannot see the cookies they set.",
                hint="Move it above them, near the top of MIDDLEWARE.",
                id="cookieconsent.W002",
            )
        ]
    return []
