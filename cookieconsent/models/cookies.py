"""Cookie categories and the cookies and similar technologies in each."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from cookieconsent.conf import django_cookie_names, get_config
from cookieconsent.lifetimes import HELP_TEXT as LIFETIME_HELP_TEXT
from cookieconsent.lifetimes import LifetimeField
from cookieconsent.translation import Translated, translations_field

_NAME_RE = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def validate_cookie_name(value: str) -> None:
    """A cookie name, or a pattern in which ``*`` stands for any run of characters."""
    _validate_token(value)
    _validate_pattern(value)


def _validate_token(value: str) -> None:
    if not _NAME_RE.fullmatch(value):
        raise ValidationError(
            _(
                "“%(value)s” is not a valid cookie name or pattern: use letters, digits and "
                "!#$%%&'+-.^_`|~, with * as a wildcard."
            ),
            code="invalid_cookie_name",
            params={"value": value},
        )


def validate_declared_name(value: str) -> None:
    """A name as any technology has one (a storage key such as ``theme:dark`` or
    ``@app/state``: no control characters or markup), or a pattern in which ``*`` stands for
    any run of characters. ``Cookie.clean()`` holds an HTTP cookie's name to
    ``validate_cookie_name()``."""
    if not value or any(
        ch in "<>" or unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in value
    ):
        raise ValidationError(
            _("“%(value)s” is not a valid name or pattern: no control characters, < or >."),
            code="invalid_name",
            params={"value": value},
        )
    _validate_pattern(value)


def _validate_pattern(value: str) -> None:
    if "**" in value or value.strip("*") == "":
        raise ValidationError(
            _(
                "“%(value)s” is not a usable pattern: it needs at least one literal character "
                "and no “**”."
            ),
            code="invalid_cookie_pattern",
            params={"value": value},
        )


class CookieCategory(models.Model):
    """A purpose visitors consent to as a whole, such as Analytics."""

    slug = models.SlugField(
        _("slug"),
        max_length=50,
        unique=True,
        help_text=_("Stable identifier used in code and templates, e.g. “analytics”."),
    )
    name = models.CharField(_("name"), max_length=100)
    purpose = models.TextField(_("purpose"), blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    required = models.BooleanField(
        _("strictly necessary"),
        default=False,
        help_text=_("Always allowed; visitors cannot switch it off."),
    )
    translations = translations_field()
    i18n = Translated("name", "purpose")
    opt_in_everywhere = models.BooleanField(
        _("opt-in everywhere"),
        default=False,
        help_text=_(
            "Only with consent, even where the regime is opt-out or notice (e.g. advertising)."
        ),
    )

    class Meta:
        verbose_name = _("cookie category")
        verbose_name_plural = _("cookie categories")
        ordering: ClassVar = ["order", "pk"]

    def __str__(self) -> str:
        return self.name

    def check_saved_cookies(self, *, required: bool) -> None:
        """Raise ``ValidationError`` if the category's saved HTTP cookies would not fit it
        strictly necessary (``required``) or optional (``check_declaration``): for a page that
        changes the flag without showing the cookies to check them (the admin's, to staff who
        may not change cookies)."""
        names = self.cookies.filter(technology=Technology.HTTP_COOKIE).values_list(
            "name", flat=True
        )
        for name in names:
            check_declaration(name, required=required)


class Technology(models.TextChoices):
    """Where a declared cookie lives (``Cookie.technology``)."""

    HTTP_COOKIE = "cookie", _("HTTP cookie")
    LOCAL_STORAGE = "local_storage", _("Local storage")
    SESSION_STORAGE = "session_storage", _("Session storage")
    SERVER_SESSION = "server_session", _("Server-side session")


class Party(models.TextChoices):
    """Whether the site's own domain sets a cookie, or another's (``Cookie.party``)."""

    FIRST = "first", _("First-party")
    THIRD = "third", _("Third-party")


class Cookie(models.Model):
    """A cookie or similar technology, by exact name or by a pattern such as ``_ga_*``."""

    category = models.ForeignKey(
        CookieCategory,
        on_delete=models.PROTECT,
        related_name="cookies",
        verbose_name=_("category"),
    )
    name = models.CharField(
        _("name or pattern"),
        max_length=200,
        validators=[validate_declared_name],
        help_text=_("Exact name, or a pattern where * matches anything, e.g. “_ga_*”."),
    )
    technology = models.CharField(
        _("technology"), max_length=20, choices=Technology.choices, default=Technology.HTTP_COOKIE
    )
    purpose = models.TextField(_("purpose"), blank=True)
    party = models.CharField(_("party"), max_length=10, choices=Party.choices, default=Party.FIRST)
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    lifetime = LifetimeField(_("lifetime"), null=True, blank=True, help_text=LIFETIME_HELP_TEXT)
    http_only = models.BooleanField(_("HttpOnly"), default=False)
    domain = models.CharField(_("domain"), max_length=255, blank=True)
    path = models.CharField(_("path"), max_length=255, default="/")
    order = models.PositiveIntegerField(_("order"), default=0)
    translations = translations_field()
    i18n = Translated("purpose")

    class Meta:
        verbose_name = _("cookie")
        verbose_name_plural = _("cookies")
        ordering: ClassVar = ["category__order", "order", "name"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["name", "technology"],
                name="cookieconsent_cookie_name_once",
                violation_error_message=_(
                    "This name is already declared; a cookie can belong to one category only."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_pattern(self) -> bool:
        return "*" in self.name

    def clean(self) -> None:
        """Refuse declarations that would hand cookies to the wrong category: see
        ``check_declaration``."""
        super().clean()
        # The form's category, maybe unsaved (a category's page validates its cookies
        # against the flags it is about to save), else the stored one.
        category: CookieCategory | None = None
        if "category" in self._state.fields_cache:
            category = self.category
        elif self.category_id is not None:
            category = CookieCategory.objects.filter(pk=self.category_id).first()
        if not self.name or self.technology != Technology.HTTP_COOKIE:
            return  # a storage key or a server-side key: any name validate_declared_name takes
        self.name = self.name.strip()  # a cookie's name never has spaces around it
        try:
            _validate_token(self.name)  # what a Set-Cookie can carry
            if category is not None:
                check_declaration(self.name, required=category.required)
        except ValidationError as error:
            # On the name: it is what the form shows next to the message.
            raise ValidationError({"name": error.error_list}) from None

    @property
    def lifetime_display(self) -> str:
        """“Session”, or the lifetime in the largest whole unit that fits (“1 year”)."""
        if self.lifetime is None:
            return str(_("Session"))
        return humanize_duration(self.lifetime)


def humanize_duration(value: timedelta) -> str:
    """A duration in the largest whole unit that fits, in the active language: “2 years”,
    “13 months”, “14 days”, “3 hours”, “5 minutes”."""
    days = value.days
    if days >= 365 and days % 365 == 0:
        n = days // 365
        return ngettext("%(n)d year", "%(n)d years", n) % {"n": n}
    if days >= 30 and days % 30 == 0:
        n = days // 30
        return ngettext("%(n)d month", "%(n)d months", n) % {"n": n}
    if days >= 1:
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    hours = value.seconds // 3600
    if hours >= 1:
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    minutes = max(1, value.seconds // 60)
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


#: At least this many literal characters must open a pattern in a strictly necessary category.
REQUIRED_PATTERN_PREFIX = 4
#: Common analytics and advertising cookies: a strictly necessary pattern must match none.
WELL_KNOWN_TRACKERS = (
    "_ga", "_ga_ABC123", "_gid", "_gat", "_gcl_au", "_fbp", "_fbc", "fr", "IDE", "NID",
    "__utma", "__utmz", "_hjid", "_hjSessionUser_1", "_clck", "_uetsid", "_pk_id.1.1",
    "ajs_user_id", "mp_abc_mixpanel", "li_sugr", "_tt_enable_cookie",
)  # fmt: skip


def framework_cookie_names() -> tuple[str, ...]:
    """The app's own consent cookie and Django's session, CSRF, language and messages
    cookies: strictly necessary by nature."""
    return (get_config()["COOKIE_NAME"], *django_cookie_names())


def pattern_regex(name: str) -> re.Pattern[str]:
    """A cookie name or ``*`` pattern as a compiled regular expression."""
    return re.compile(".*".join(map(re.escape, name.split("*"))))


def check_declaration(name: str, *, required: bool) -> None:
    """Raise ``ValidationError`` for a declaration that would mislabel cookies.

    - In a strictly necessary category, which visitors cannot refuse, a pattern must begin
      with at least ``REQUIRED_PATTERN_PREFIX`` literal characters and match none of the
      ``WELL_KNOWN_TRACKERS``: ``_*`` or ``*id`` would let any undeclared cookie through.
    - In an optional category, neither the app's consent cookie nor Django's own cookies may
      be declared, by name or by a pattern that matches them: blocking them breaks the site
      (and the consent itself).
    """
    regex = pattern_regex(name)
    if required and "*" in name:
        prefix = name.split("*", 1)[0]
        swallowed = [n for n in WELL_KNOWN_TRACKERS if regex.fullmatch(n)]
        if len(prefix) < REQUIRED_PATTERN_PREFIX or swallowed:
            raise ValidationError(
                _(
                    "“%(name)s” is too broad for a strictly necessary category: it would let "
                    "cookies nobody declared (%(examples)s) through without consent. Start a "
                    "pattern here with at least %(count)d literal characters, e.g. "
                    "“sessionid_*”, or declare the names one by one."
                ),
                code="pattern_too_broad",
                params={
                    "name": name,
                    "examples": ", ".join(swallowed[:3]) or gettext("any name it matches"),
                    "count": REQUIRED_PATTERN_PREFIX,
                },
            )
    if not required:
        taken = [n for n in framework_cookie_names() if regex.fullmatch(n)]
        if taken:
            raise ValidationError(
                _(
                    "“%(cookie)s” is strictly necessary (the site's own consent or Django's "
                    "session, CSRF, language or messages cookie) and cannot be declared in an "
                    "optional category. Declare it in a strictly necessary one."
                ),
                code="necessary_cookie_in_optional_category",
                params={"cookie": taken[0]},
            )
