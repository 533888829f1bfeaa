"""Published versions of the policy: what visitors were shown, frozen when it was published."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cookieconsent.models.policy import CookiePolicy


class ImmutableQuerySet(models.QuerySet[Any]):
    """Published versions are never changed or deleted (the database refuses it too)."""

    def update(self, **kwargs: Any) -> int:
        raise TypeError("Published versions are immutable.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("Published versions are immutable.")


def now_to_the_second() -> datetime:
    """Now, without microseconds: as it survives a round trip through a JSON dump."""
    return timezone.now().replace(microsecond=0)


class _Immutable(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("Published versions are immutable.")
        # Never an UPDATE, even for an instance built with an existing primary key.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("Published versions are immutable.")


class PublishedVersion(_Immutable):
    """One publish of the policy: its number, date and whether visitors must consent again.
    Its snapshots hold what was shown, in each language."""

    number = models.PositiveIntegerField(_("version"), unique=True)
    policy = models.ForeignKey(
        CookiePolicy,
        on_delete=models.PROTECT,
        related_name="published_versions",
        verbose_name=_("policy"),
    )
    last_updated = models.DateField(_("last updated"))
    published_at = models.DateTimeField(_("published at"), default=now_to_the_second)
    reconsent = models.BooleanField(
        _("visitors must consent again"),
        default=False,
        help_text=_("Consent given under an earlier version is asked for again."),
    )
    # A name, not a foreign key: deleting the account must not rewrite the history.
    published_by = models.CharField(_("published by"), max_length=150, blank=True)
    #: The draft as published (``models.content.draft_content()``): what the registry
    #: enforces and what the admin compares the draft with.
    content = models.JSONField(_("content"), editable=False)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = _("published version")
        verbose_name_plural = _("published versions")
        ordering: ClassVar = ["-number"]
        get_latest_by = "number"

    def __str__(self) -> str:
        return str(_("Version %(number)d of %(date)s")) % {
            "number": self.number,
            "date": self.last_updated.isoformat(),
        }


class Snapshot(_Immutable):
    """Everything a visitor was shown under one version, in one language, as rendered."""

    version = models.ForeignKey(
        PublishedVersion,
        on_delete=models.PROTECT,
        related_name="snapshots",
        verbose_name=_("version"),
    )
    language = models.CharField(_("language"), max_length=15)
    title = models.CharField(_("title"), max_length=200)
    #: The banner as the site's ``cookieconsent/banner.html`` rendered it, one variant per
    #: (cache-safe, asking again), with placeholders for the page and the CSRF token.
    banner = models.JSONField(_("banner"))
    preferences_html = models.TextField(_("preferences"))
    policy_html = models.TextField(_("policy page"))
    table_html = models.TextField(_("cookie table"))
    #: The words of the banner, preferences and policy page, one line per paragraph (diffs).
    text = models.TextField(_("text"))
    #: The cookie table, one list of cells per cookie (diffs).
    table_rows = models.JSONField(_("cookie table rows"))
    #: The categories as published, in this language: ``{"slug", "name", "purpose",
    #: "required"}`` each; the preferences page, the receipt and the script name them from
    #: here.
    categories = models.JSONField(_("categories"), default=list)
    hash = models.CharField(_("SHA-256"), max_length=64)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")
        ordering: ClassVar = ["version", "language"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["version", "language"], name="cookieconsent_snapshot_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.version} [{self.language}]"
