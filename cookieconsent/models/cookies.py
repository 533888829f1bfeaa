"""Cookie categories and the cookies and similar technologies in each."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

_NAME_RE = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def validate_cookie_name(value: str) -> None:
    """A cookie name, or a pattern in which ``*`` stands for any run of characters."""
    if not _NAME_RE.fullmatch(value):
        raise ValidationError(
            _(
                "“%(value)s” is not a valid cookie name or pattern: use letters, digits and "
                "!#$%%&'+-.^_`|~, with * as a wildcard."
            ),
            code="invalid_cookie_name",
            params={"value": value},
        )
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


class Technology(models.TextChoices):
    HTTP_COOKIE = "cookie", _("HTTP cookie")
    LOCAL_STORAGE = "local_storage", _("Local storage")
    SESSION_STORAGE = "session_storage", _("Session storage")
    SERVER_SESSION = "server_session", _("Server-side session")


class Party(models.TextChoices):
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
        validators=[validate_cookie_name],
        help_text=_("Exact name, or a pattern where * matches anything, e.g. “_ga_*”."),
    )
    technology = models.CharField(
        _("technology"), max_length=20, choices=Technology.choices, default=Technology.HTTP_COOKIE
    )
    purpose = models.TextField(_("purpose"), blank=True)
    party = models.CharField(_("party"), max_length=10, choices=Party.choices, default=Party.FIRST)
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    lifetime = models.DurationField(
        _("lifetime"), null=True, blank=True, help_text=_("Empty for a session cookie.")
    )
    http_only = models.BooleanField(_("HttpOnly"), default=False)
    domain = models.CharField(_("domain"), max_length=255, blank=True)
    path = models.CharField(_("path"), max_length=255, default="/")
    order = models.PositiveIntegerField(_("order"), default=0)

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

    def clean(self) -> None:
        super().clean()
        from cookieconsent.conf import get_config

        own = get_config()["COOKIE_NAME"]
        if (
            self.name == own
            and self.technology == Technology.HTTP_COOKIE
            and self.category_id is not None
            and not self.category.required
        ):
            raise ValidationError(
                {
                    "category": _(
                        "“%(name)s” is the consent cookie itself: it is strictly necessary, "
                        "and only a strictly necessary category can hold it."
                    )
                    % {"name": own}
                }
            )

    @property
    def is_pattern(self) -> bool:
        return "*" in self.name

    @property
    def lifetime_display(self) -> str:
        """“Session”, or the lifetime in the largest whole unit that fits (“1 year”)."""
        if self.lifetime is None:
            return str(_("Session"))
        return humanize_duration(self.lifetime)


def humanize_duration(value: timedelta) -> str:
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
