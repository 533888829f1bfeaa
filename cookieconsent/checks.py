"""System checks: the ``COOKIECONSENT`` settings, the middleware's presence and place, and
(``check --deploy``) the consent cookie's ``Secure`` flag."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from http.cookies import CookieError, Morsel
from typing import Any, TypeGuard

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db.models import Field, IntegerField, UUIDField
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils.module_loading import import_string

from cookieconsent.conf import (
    BROWSER_COOKIE_LIMIT,
    DAY,
    DEFAULTS,
    LONGEST,
    SETTING_NAME,
    SETTINGS,
    get_config,
)
from cookieconsent.engine.consent_mode import CONSENT_TYPES, MICROSOFT_TAGS
from cookieconsent.markup import extension_error

MIDDLEWARE_PATH = "cookieconsent.middleware.CookieConsentMiddleware"
#: Middleware that set cookies: ours must come before them in MIDDLEWARE, to see their cookies.
COOKIE_SETTERS = (
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
)

GOOGLE_CONSENT_TYPES = frozenset(CONSENT_TYPES)


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
                    hint=setting.doc,
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
    errors: list[CheckMessage] = _check_staleness(config["REGISTRY_STALENESS"])
    errors.extend(_check_lifetimes(config))
    errors.extend(_check_cookie(config))
    errors.extend(_check_user_agent(config["USER_AGENT_MAX_LENGTH"]))
    errors.extend(_check_retention(config["RECORD_RETENTION"]))
    limit = config["UNDECLARED_COOKIES_LIMIT"]
    if isinstance(limit, int) and limit < 0:
        errors.append(
            Error(
                f"{SETTING_NAME}['UNDECLARED_COOKIES_LIMIT'] must be 0 or more.",
                id="cookieconsent.E041",
            )
        )
    errors.extend(_check_base_template(config["BASE_TEMPLATE"]))
    errors.extend(_check_google(config["GOOGLE_CONSENT_MODE"]))
    errors.extend(_check_microsoft(config))
    errors.extend(_check_markdown(config["MARKDOWN_EXTENSIONS"]))
    return errors


def _check_retention(retention: object) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if isinstance(retention, timedelta | int) and not isinstance(retention, bool):
        seconds = retention.total_seconds() if isinstance(retention, timedelta) else retention
        if seconds <= 0:
            errors.append(
                Error(
                    f"{SETTING_NAME}['RECORD_RETENTION'] must be a positive duration or None.",
                    hint="For example timedelta(days=3 * 365).",
                    id="cookieconsent.E040",
                )
            )
        elif seconds < DAY:
            # A day is counted once it is over; a purge reaching into today would count it
            # early, and its later decisions would never reach the statistics.
            errors.append(
                Error(
                    f"{SETTING_NAME}['RECORD_RETENTION'] is under a day: the purge would "
                    "delete decisions of a day that is not over, which is not counted yet.",
                    hint="Keep records one day (86400 seconds) or longer, e.g. "
                    "timedelta(days=3 * 365).",
                    id="cookieconsent.E042",
                )
            )
        elif seconds > LONGEST:
            errors.append(
                Error(
                    f"{SETTING_NAME}['RECORD_RETENTION'] is longer than 1000 years: the purge "
                    "cannot work out a date that far back, so manage.py cookieconsent_purge "
                    "would fail.",
                    hint="Keep records at most 1000 years, e.g. timedelta(days=3 * 365), or set "
                    "None to keep every record.",
                    id="cookieconsent.E045",
                )
            )
    return errors


def _check_base_template(base: object) -> list[CheckMessage]:
    if not isinstance(base, str):
        return []  # E003
    try:
        get_template(base)
    except TemplateDoesNotExist:
        return [
            Error(
                f"{SETTING_NAME}['BASE_TEMPLATE'] names {base!r}, which no template loader finds.",
                hint="Name a template in a folder of TEMPLATES' 'DIRS' or in an app's "
                "templates/ folder; it needs a 'title' and a 'content' block.",
                id="cookieconsent.E008",
            )
        ]
    except Exception as exc:  # a syntax error, a tag library that fails: the pages would too
        return [
            Error(
                f"{SETTING_NAME}['BASE_TEMPLATE'] names {base!r}, which cannot be loaded "
                f"({type(exc).__name__}: {exc}): the policy, preferences and error pages "
                "would fail with a server error.",
                hint="Fix the template, or what it loads.",
                id="cookieconsent.E008",
            )
        ]
    return []


def _check_google(mode: object) -> list[CheckMessage]:
    if not isinstance(mode, dict):
        return []  # E003
    errors: list[CheckMessage] = []
    for slug, types in mode.items():
        unknown = (
            {t if isinstance(t, str) else repr(t) for t in types} - GOOGLE_CONSENT_TYPES
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


def _check_markdown(extensions: object) -> list[CheckMessage]:
    """Each of ``MARKDOWN_EXTENSIONS`` loads, as Python-Markdown loads it: here, once, rather
    than on each rendering, where one that does not fails every publication."""
    if not isinstance(extensions, list | tuple):
        return []  # E003
    errors: list[CheckMessage] = []
    for extension in extensions:
        exc = extension_error(extension)
        if exc is not None:
            errors.append(
                Error(
                    f"{SETTING_NAME}['MARKDOWN_EXTENSIONS'] names {extension!r}, which "
                    f"Python-Markdown cannot load ({type(exc).__name__}: {exc}): publishing "
                    "the policy would fail with a server error.",
                    hint="Name an extension Python-Markdown ships ('tables', 'sane_lists', "
                    "'toc'…), the dotted path of an installed one, or an Extension instance.",
                    id="cookieconsent.E030",
                )
            )
    return errors


def _is_int(value: object) -> TypeGuard[int]:
    """An int, not a bool (whose wrong type is E003's)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _check_lifetimes(config: dict[str, Any]) -> list[CheckMessage]:
    """The consent cookie's lifetimes: one it can be given, and one browsers keep."""
    errors: list[CheckMessage] = []
    for key in ("CONSENT_MAX_AGE", "REFUSAL_MAX_AGE"):
        value = config[key]
        if not _is_int(value):
            continue  # E003
        if value <= 0:
            errors.append(
                Error(
                    f"{SETTING_NAME}[{key!r}] is {value}: the consent cookie would go out already "
                    "expired, so no decision is kept and the banner never goes away.",
                    hint="Give a positive number of seconds, e.g. 365 * 24 * 60 * 60 (a year).",
                    id="cookieconsent.E010",
                )
            )
        elif value > LONGEST:
            errors.append(
                Error(
                    f"{SETTING_NAME}[{key!r}] is {value} seconds, longer than 1000 years: no "
                    "date that far ahead can be written in the consent cookie's Expires, so "
                    "every consent POST would fail with a server error.",
                    hint="Give at most 400 days (34560000 seconds), the longest browsers keep "
                    "a cookie; the default is a year.",
                    id="cookieconsent.E012",
                )
            )
        elif value > BROWSER_COOKIE_LIMIT:
            errors.append(
                Warning(
                    f"{SETTING_NAME}[{key!r}] is {value} seconds, more than 400 days, the "
                    "longest browsers keep a cookie: the banner asks again after 400 days.",
                    hint="Give at most 400 days (34560000 seconds); the default is a year.",
                    id="cookieconsent.W008",
                )
            )
    return errors


#: Names browsers give rules of their own (RFC 6265bis, matched in any case).
_SECURE_PREFIXES = ("__secure-", "__host-")
#: What a Path attribute may hold (RFC 6265's av-octet: printable ASCII but ";"), from "/".
_COOKIE_PATH = re.compile(r"/[\x20-\x3a\x3c-\x7e]*")
#: A Domain attribute browsers take: a host name in ASCII (punycode), maybe with a leading dot.
_COOKIE_DOMAIN = re.compile(r"\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*")


def _check_cookie(config: dict[str, Any]) -> list[CheckMessage]:
    """The consent cookie: a name a ``Set-Cookie`` can carry, attributes browsers accept with
    it, and a ``SameSite`` browsers accept."""
    errors: list[CheckMessage] = []
    name = config["COOKIE_NAME"]
    if isinstance(name, str):
        try:
            Morsel[str]().set(name, "", "")  # what Django's set_cookie() does with it
        except CookieError:
            errors.append(
                Error(
                    f"{SETTING_NAME}['COOKIE_NAME'] = {name!r} is not a name a Set-Cookie header "
                    "can carry: every consent POST would fail with a server error.",
                    hint="Use letters, digits and !#$%&'*+-.^_`|~: only, and not the name of a "
                    "cookie attribute (path, domain, expires, max-age…), e.g. 'cookieconsent'.",
                    id="cookieconsent.E011",
                )
            )
        errors.extend(_check_prefix(name, config))
    path = config["COOKIE_PATH"]
    if isinstance(path, str) and not _COOKIE_PATH.fullmatch(path):
        errors.append(
            Error(
                f"{SETTING_NAME}['COOKIE_PATH'] = {path!r} is not a path browsers take: the "
                "consent cookie would be kept for the consent URL's folder only (or not at "
                "all), so no page sees the visitor's choice and the banner never goes away.",
                hint="Give a path from the site's root, starting with '/', without ';' or "
                "control characters; the default '/' covers the whole site.",
                id="cookieconsent.E015",
            )
        )
    domain = config["COOKIE_DOMAIN"]
    if isinstance(domain, str) and domain and not _COOKIE_DOMAIN.fullmatch(domain):
        errors.append(
            Error(
                f"{SETTING_NAME}['COOKIE_DOMAIN'] = {domain!r} is not a domain browsers take: "
                "they refuse the consent cookie (a port, a space, a letter outside ASCII), so "
                "the banner never goes away, or the value writes attributes or headers of its "
                "own into the Set-Cookie header (';', a line break).",
                hint="Give a host name such as '.example.com' (punycode for a name outside "
                "ASCII), or None for the host that answered.",
                id="cookieconsent.E016",
            )
        )
    if config["COOKIE_SAMESITE"] == "None" and config["COOKIE_SECURE"] is False:
        errors.append(
            Warning(
                f"{SETTING_NAME}['COOKIE_SAMESITE'] is 'None' but COOKIE_SECURE is False: "
                "browsers refuse a SameSite=None cookie without Secure, so no visitor's choice "
                "is kept and the banner never goes away.",
                hint="Set COOKIE_SECURE = True (the site must be served over HTTPS), or use "
                "'Lax', the default.",
                id="cookieconsent.W007",
            )
        )
    return errors


def _check_prefix(name: str, config: dict[str, Any]) -> list[CheckMessage]:
    """A ``__Secure-`` or ``__Host-`` name: browsers refuse the cookie without ``Secure``, and
    a ``__Host-`` one with a ``Domain`` or a ``Path`` other than ``/``."""
    prefix = next((p for p in _SECURE_PREFIXES if name.lower().startswith(p)), None)
    if prefix is None:
        return []
    shown = name[: len(prefix)]
    errors: list[CheckMessage] = []
    if config["COOKIE_SECURE"] is not True:
        errors.append(
            Error(
                f"{SETTING_NAME}['COOKIE_NAME'] starts with {shown!r} but COOKIE_SECURE is not "
                "True: browsers refuse such a cookie without Secure, so no visitor's choice is "
                "kept and the banner never goes away.",
                hint="Set COOKIE_SECURE = True (the site must be served over HTTPS), or choose "
                "a name without the prefix.",
                id="cookieconsent.E013",
            )
        )
    if prefix == "__host-" and (config["COOKIE_DOMAIN"] or config["COOKIE_PATH"] != "/"):
        errors.append(
            Error(
                f"{SETTING_NAME}['COOKIE_NAME'] starts with {shown!r} but COOKIE_DOMAIN is set "
                "or COOKIE_PATH is not '/': browsers refuse such a cookie with a Domain or "
                "another Path, so no visitor's choice is kept and the banner never goes away.",
                hint="Set COOKIE_DOMAIN = None and COOKIE_PATH = '/', or use '__Secure-' "
                "(which allows both).",
                id="cookieconsent.E014",
            )
        )
    return errors


def _check_user_agent(value: object) -> list[CheckMessage]:
    from cookieconsent.models.records import USER_AGENT_LENGTH

    limit = USER_AGENT_LENGTH
    if not _is_int(value) or 0 <= value <= limit:
        return []
    return [
        Error(
            f"{SETTING_NAME}['USER_AGENT_MAX_LENGTH'] is {value}: it must be from 0 to {limit}, "
            f"the characters a consent record's user_agent column holds.",
            hint="0 records no user agent; the default is 300.",
            id="cookieconsent.E043",
        )
    ]


def _check_microsoft(config: dict[str, Any]) -> list[CheckMessage]:
    tags = config["MICROSOFT_CONSENT_MODE"]
    if not isinstance(tags, list | tuple):
        return []  # E003
    unknown = [repr(tag) for tag in tags if tag not in MICROSOFT_TAGS]
    if unknown:
        return [
            Error(
                f"{SETTING_NAME}['MICROSOFT_CONSENT_MODE'] names unknown Microsoft tags: "
                + ", ".join(unknown)
                + ".",
                hint="Known tags: " + ", ".join(map(repr, MICROSOFT_TAGS)) + ".",
                id="cookieconsent.E009",
            )
        ]
    if tags and not config["GOOGLE_CONSENT_MODE"]:
        return [
            Warning(
                f"{SETTING_NAME}['MICROSOFT_CONSENT_MODE'] is set but GOOGLE_CONSENT_MODE is "
                "empty: the Microsoft tags are told nothing.",
                hint="Map your categories in GOOGLE_CONSENT_MODE: ad_storage for UET and "
                "Clarity, analytics_storage for Clarity.",
                id="cookieconsent.W006",
            )
        ]
    return []


#: Above this many seconds, REGISTRY_STALENESS is reported: staff would wait that long for
#: every process to enforce a change.
STALENESS_WARNING = 60


def _check_staleness(value: object) -> list[CheckMessage]:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return []  # E003
    if (isinstance(value, float) and math.isnan(value)) or value < 0:
        return [
            Error(
                f"{SETTING_NAME}['REGISTRY_STALENESS'] must be a number of seconds, 0 or more; "
                f"{value!r} is not.",
                id="cookieconsent.E007",
            )
        ]
    if LONGEST < value < math.inf:
        # An int too large for a float would fail every request that asks for the registry.
        return [
            Error(
                f"{SETTING_NAME}['REGISTRY_STALENESS'] is longer than 1000 years, the longest "
                "duration a setting takes.",
                hint="Keep it at a few seconds (the default is 5); float('inf') never reads the "
                "registry stamp again.",
                id="cookieconsent.E007",
            )
        ]
    if value > STALENESS_WARNING:
        return [
            Warning(
                f"{SETTING_NAME}['REGISTRY_STALENESS'] is {value!r}: a change staff make to the "
                "cookie table or policy (a category made optional, a policy that asks visitors "
                "to consent again) reaches the other processes only after that many seconds"
                + (" — never." if math.isinf(value) else "."),
                hint=f"Keep it at {STALENESS_WARNING} seconds or less; the default is 5 (one "
                "small query per process every 5 seconds).",
                id="cookieconsent.W004",
            )
        ]
    return []


def _middleware_classes() -> list[tuple[str, type | None]]:
    """Each MIDDLEWARE entry and the class it names (``None`` where it names no class)."""
    found: list[tuple[str, type | None]] = []
    for path in settings.MIDDLEWARE:
        try:
            imported = import_string(path)
        except ImportError:
            imported = None  # Django reports it when it loads the middleware
        found.append((path, imported if isinstance(imported, type) else None))
    return found


@register(Tags.security)
def check_middleware(**kwargs: Any) -> list[CheckMessage]:
    from cookieconsent.middleware import CookieConsentMiddleware

    classes = _middleware_classes()
    ours = next(
        (
            i
            for i, (_, cls) in enumerate(classes)
            if cls is not None and issubclass(cls, CookieConsentMiddleware)
        ),
        None,
    )
    if ours is None:
        return [
            Warning(
                "CookieConsentMiddleware is not in MIDDLEWARE: cookies are set whatever the "
                "visitor chose.",
                hint=f"Add {MIDDLEWARE_PATH!r} near the top of MIDDLEWARE.",
                id="cookieconsent.W001",
            )
        ]
    setters = tuple(import_string(path) for path in COOKIE_SETTERS)
    above = [path for path, cls in classes[:ours] if cls is not None and issubclass(cls, setters)]
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


@register(Tags.security, deploy=True)
def check_deploy(**kwargs: Any) -> list[CheckMessage]:
    if get_config()["COOKIE_SECURE"] is False:
        return [
            Warning(
                f"{SETTING_NAME}['COOKIE_SECURE'] is False: the consent cookie is also sent "
                "over plain HTTP, where it can be read and replaced on the way.",
                hint=f"Set {SETTING_NAME}['COOKIE_SECURE'] = True on a site served over HTTPS.",
                id="cookieconsent.W005",
            )
        ]
    return []


_HEADER_NAME = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")


@register(Tags.security)
def check_regions(**kwargs: Any) -> list[CheckMessage]:
    """The region settings (docs/regions.md): header names a request can carry, and trusted,
    a resolver that imports and can be called. ``""`` is unset, as ``None`` is."""
    config = get_config()
    errors: list[CheckMessage] = []
    for key in ("REGION_HEADER", "REGION_SUBDIVISION_HEADER"):
        value = config[key]
        if isinstance(value, str) and value and not _HEADER_NAME.fullmatch(value):
            errors.append(
                Error(
                    f"{SETTING_NAME}[{key!r}] = {value!r} is not an HTTP header name.",
                    hint="Letters, digits and single hyphens, e.g. 'CF-IPCountry' (WSGI "
                    "servers drop headers with underscores).",
                    id="cookieconsent.E020",
                )
            )
    configured = [
        key
        for key in ("REGION_HEADER", "REGION_SUBDIVISION_HEADER")
        if isinstance(config[key], str) and config[key]
    ]
    if configured and config["TRUST_REGION_HEADER"] is not True:
        errors.append(
            Warning(
                f"{SETTING_NAME}[{configured[0]!r}] is set but TRUST_REGION_HEADER is not True: "
                "the region headers are not read, and every visitor's region is unknown "
                "(opt-in).",
                hint="Set TRUST_REGION_HEADER = True if every request reaches the site through "
                "the CDN or proxy that sets the header and replaces a visitor's own; otherwise "
                "remove the header setting, since a visitor can send any region in it.",
                id="cookieconsent.W020",
            )
        )
    if config["REGION_SUBDIVISION_HEADER"] and not config["REGION_HEADER"]:
        errors.append(
            Error(
                f"{SETTING_NAME}['REGION_SUBDIVISION_HEADER'] is set without REGION_HEADER.",
                hint="A subdivision is read only with its country: set REGION_HEADER too.",
                id="cookieconsent.E022",
            )
        )
    path = config["REGION_RESOLVER"]
    if isinstance(path, str) and path:
        errors.extend(_check_resolver(path))
    return errors


def _check_resolver(path: str) -> list[CheckMessage]:
    try:
        resolver = import_string(path)
    except ImportError as exc:
        return [
            Error(
                f"{SETTING_NAME}['REGION_RESOLVER'] = {path!r} cannot be imported: {exc}",
                id="cookieconsent.E021",
            )
        ]
    except Exception as exc:  # the module's own code failed (a GeoIP2() without a database)
        return [
            Error(
                f"{SETTING_NAME}['REGION_RESOLVER'] = {path!r} cannot be imported: its module "
                f"raised {type(exc).__name__}: {exc}. Every visitor's region is unknown "
                "(opt-in) until it imports.",
                hint="Fix what the module needs when it is imported (GeoIP2() needs GEOIP_PATH "
                "and its database), or create it inside the function.",
                id="cookieconsent.E021",
            )
        ]
    if not callable(resolver):
        return [
            Error(
                f"{SETTING_NAME}['REGION_RESOLVER'] = {path!r} is not callable.",
                hint="Name a function taking the request and returning a region code or None.",
                id="cookieconsent.E021",
            )
        ]
    return []


@register(Tags.compatibility)
def check_subdivision_rules(**kwargs: Any) -> list[CheckMessage]:
    """W021 when the current policy has a rule for a subdivision (``US-CA``) but the site
    reads no subdivision: no visitor can ever match it."""
    from cookieconsent.engine.regions import reads_subdivisions
    from cookieconsent.models import RegionRule
    from cookieconsent.regimes import is_subdivision

    if reads_subdivisions():
        return []
    try:
        regions = list(
            RegionRule.objects.filter(policy__is_current=True).values_list("region", flat=True)
        )
    except Exception:  # no database yet, not migrated, or not to be touched (a test): no word
        return []
    unmatched = sorted(r for r in regions if is_subdivision(r))
    if not unmatched:
        return []
    return [
        Warning(
            f"The cookie policy has rules for {', '.join(unmatched)}, but "
            f"{SETTING_NAME}['REGION_SUBDIVISION_HEADER'] is not set: no visitor's region is "
            "ever a subdivision, so these rules never apply.",
            hint="Set REGION_SUBDIVISION_HEADER to the header your CDN puts the subdivision "
            "in (with REGION_HEADER and TRUST_REGION_HEADER), or a REGION_RESOLVER that "
            "answers one; otherwise replace the rules with their country's.",
            id="cookieconsent.W021",
        )
    ]


@register(Tags.compatibility)
def check_published(**kwargs: Any) -> list[CheckMessage]:
    """W030 while there is a cookie policy and no version of it is published: until then the
    policy page the banner links to answers 404, and consents are recorded without a version.

    Not on a database without a policy: nothing to publish yet, as on the one Django's test
    runner makes for the tests, which starts empty (every ``manage.py test`` warned; which
    databases the checks are run for does not tell, since Django 6.0 passes every alias to a
    plain ``check``)."""
    from cookieconsent.models import CookiePolicy, PublishedVersion

    try:
        if PublishedVersion.objects.exists() or not CookiePolicy.objects.exists():
            return []
    except Exception:  # no database yet, not migrated, or not to be touched (a test): no word
        return []
    return [
        Warning(
            "No cookie policy has been published yet: the policy page answers 404 and consents "
            "are recorded without a version.",
            hint="Publish the current policy: Publish… on its page in the admin, or "
            "manage.py cookieconsent_publish.",
            id="cookieconsent.W030",
        )
    ]


@register(Tags.compatibility, Tags.models)
def check_user_model(**kwargs: Any) -> list[CheckMessage]:
    """E044 when the user model's primary key can be longer than a record's ``user_pk``:
    that user's every consent POST would fail."""
    from django.apps import apps

    if not apps.is_installed("django.contrib.auth"):
        return []
    from django.contrib.auth import get_user_model

    pk = get_user_model()._meta.pk
    return _user_pk_errors(pk) if pk is not None else []


def _user_pk_errors(pk: Field[Any, Any]) -> list[CheckMessage]:
    from cookieconsent.models.records import USER_PK_LENGTH

    if isinstance(pk, IntegerField | UUIDField):  # AutoField and BigAutoField included
        return []
    length = getattr(pk, "max_length", None)
    if length is not None and length <= USER_PK_LENGTH:
        return []  # text that fits (text without a max_length, or a TextField, may not)
    return [
        Error(
            f"The user model's primary key ({pk.model._meta.label}.{pk.name}) may be "
            f"{length or 'any number of'} characters long, but a consent record holds a "
            f"user's ID of at most {USER_PK_LENGTH}: a consent POST by a user with a longer one "
            "would fail.",
            hint=f"Give the primary key a max_length of {USER_PK_LENGTH} or less.",
            id="cookieconsent.E044",
        )
    ]
