"""The cookie policy, its categories and cookies, and the append-only record of consent."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cookieconsent.rendering import render_markdown

# RFC 6265 cookie-name token characters, plus "*" as the one wildcard of a pattern.
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


class CookiePolicy(models.Model):
    """The policy text a visitor reads. One policy is current; its version only grows."""

    title = models.CharField(_("title"), max_length=200, default=_("Cookie Policy"))
    introduction = models.TextField(
        _("introduction"), blank=True, help_text=_("Markdown, shown before the sections.")
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    reconsent_version = models.PositiveIntegerField(
        _("consent required since version"),
        default=1,
        editable=False,
        help_text=_("Consent given under an older version must be given again."),
    )
    last_updated = models.DateField(_("last updated"), default=date.today)
    is_current = models.BooleanField(_("current"), default=True)
    contact_organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    contact_address = models.CharField(_("postal address"), max_length=300, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    modified_at = models.DateTimeField(_("modified"), auto_now=True)

    class Meta:
        verbose_name = _("cookie policy")
        verbose_name_plural = _("cookie policies")
        ordering: ClassVar = ["-is_current", "-version", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["is_current"],
                condition=Q(is_current=True),
                name="cookieconsent_one_current_policy",
                violation_error_message=_("Only one cookie policy can be current."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    def get_absolute_url(self) -> str:
        return reverse("cookieconsent:policy")

    @property
    def introduction_html(self) -> SafeString:
        """The introduction as sanitised HTML."""
        return render_markdown(self.introduction)

    @classmethod
    def current(cls) -> CookiePolicy | None:
        return cls.objects.filter(is_current=True).first()

    def publish_new_version(self, *, require_consent_again: bool = False) -> None:
        """Bump the version and the “last updated” date; optionally ask every visitor again."""
        with transaction.atomic():
            CookiePolicy.objects.filter(pk=self.pk).update(version=F("version") + 1)
            self.refresh_from_db(fields=["version"])
            self.last_updated = timezone.localdate()
            fields = ["version", "last_updated", "modified_at"]
            if require_consent_again:
                self.reconsent_version = self.version
                fields.append("reconsent_version")
            self.save(update_fields=fields)


class PolicySection(models.Model):
    """One numbered section of the policy: a heading and a Markdown body."""

    policy = models.ForeignKey(
        CookiePolicy, on_delete=models.CASCADE, related_name="sections", verbose_name=_("policy")
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    heading = models.CharField(_("heading"), max_length=200)
    body = models.TextField(_("body"), blank=True, help_text=_("Markdown."))
    show_cookie_table = models.BooleanField(
        _("show the cookie table"),
        default=False,
        help_text=_("Render the table of categories and cookies after this section's text."),
    )

    class Meta:
        verbose_name = _("policy section")
        verbose_name_plural = _("policy sections")
        ordering: ClassVar = ["order", "pk"]

    def __str__(self) -> str:
        return self.heading

    @property
    def body_html(self) -> SafeString:
        """The body as sanitised HTML."""
        return render_markdown(self.body)


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


class Action(models.TextChoices):
    ACCEPT_ALL = "accept_all", _("Accept all")
    REJECT_ALL = "reject_all", _("Reject all")
    CUSTOM = "custom", _("Custom choice")
    PREFERENCES = "preferences", _("Preferences page")
    GPC = "gpc", _("Global Privacy Control")


class AppendOnlyQuerySet(models.QuerySet["ConsentRecord"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("Consent records are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("Consent records are append-only.")


class ConsentRecord(models.Model):
    """One decision of one visitor, kept as proof (GDPR Art. 7(1), POPIA s11(2)(a)). Never
    changed or deleted once written."""

    consent_id = models.UUIDField(_("consent id"), default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("given at"), default=timezone.now, db_index=True)
    policy_version = models.PositiveIntegerField(_("policy version"))
    text_hash = models.CharField(
        _("text hash"),
        max_length=64,
        help_text=_("SHA-256 of the banner and policy text the visitor was shown."),
    )
    granted = models.JSONField(_("categories granted"), default=list)
    refused = models.JSONField(_("categories refused"), default=list)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    page_url = models.CharField(_("page"), max_length=500, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    ip_hash = models.CharField(_("IP address hash"), max_length=64, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=500, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering: ClassVar = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.consent_id} ({self.get_action_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("Consent records are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("Consent records are append-only.")
