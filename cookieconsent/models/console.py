"""The operator's console: undeclared cookies found in traffic or by the scanner, and the
daily counts of consent decisions that outlive the records themselves."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cookieconsent.models.cookies import Technology


class Sighting(models.TextChoices):
    """How an undeclared cookie was met (``UndeclaredCookie.source``)."""

    RESPONSE = "response", _("Set by a view")
    REQUEST = "request", _("Sent by the browser")
    SCAN = "scan", _("Scanner")


class UndeclaredCookie(models.Model):
    """A cookie (or storage key) that no category declares, seen in real traffic or by a scan.
    An inbox: staff declare it in a category or dismiss it."""

    name = models.CharField(_("name"), max_length=200)
    technology = models.CharField(
        _("technology"), max_length=20, choices=Technology.choices, default=Technology.HTTP_COOKIE
    )
    source = models.CharField(_("source"), max_length=10, choices=Sighting.choices)
    first_seen = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen = models.DateTimeField(_("last seen"), default=timezone.now, db_index=True)
    sightings = models.PositiveIntegerField(
        _("sightings"),
        default=1,
        help_text=_("Recorded once per server process that met it, and once per scan."),
    )
    example_path = models.CharField(_("example page"), max_length=500, blank=True)
    max_age = models.PositiveIntegerField(
        _("lifetime seen"),
        null=True,
        blank=True,
        help_text=_(
            "Seconds the site gave the cookie when it set it (its Max-Age, or its Expires "
            "counted from then); 0 for a session cookie; empty when only browsers sent it."
        ),
    )
    dismissed = models.BooleanField(_("dismissed"), default=False)

    class Meta:
        verbose_name = _("undeclared cookie")
        verbose_name_plural = _("undeclared cookies")
        ordering: ClassVar = ["-last_seen", "name"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["name", "technology"], name="cookieconsent_undeclared_once"
            )
        ]

    def __str__(self) -> str:
        return self.name


class DailyDecisions(models.Model):
    """How many decisions of one kind were taken on one day: kept when the records are purged."""

    day = models.DateField(_("day"))
    action = models.CharField(_("action"), max_length=20)
    policy_version = models.PositiveIntegerField(_("policy version"))
    region = models.CharField(_("region"), max_length=20, blank=True, default="")
    decisions = models.PositiveIntegerField(_("decisions"), default=0)

    class Meta:
        verbose_name = _("consent statistics")
        verbose_name_plural = _("consent statistics")
        ordering: ClassVar = ["day", "action"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["day", "action", "policy_version", "region"],
                name="cookieconsent_daily_decisions_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.action} v{self.policy_version}: {self.decisions}"


class DailyCategoryChoices(models.Model):
    """How often one optional category was granted and refused on one day."""

    day = models.DateField(_("day"))
    category = models.CharField(_("category"), max_length=50)
    policy_version = models.PositiveIntegerField(_("policy version"))
    region = models.CharField(_("region"), max_length=20, blank=True, default="")
    granted = models.PositiveIntegerField(_("granted"), default=0)
    refused = models.PositiveIntegerField(_("refused"), default=0)

    class Meta:
        verbose_name = _("daily category choices")
        verbose_name_plural = _("daily category choices")
        ordering: ClassVar = ["day", "category"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["day", "category", "policy_version", "region"],
                name="cookieconsent_daily_category_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.category}: +{self.granted} -{self.refused}"


class CountedDay(models.Model):
    """A day whose records are counted in the daily tables. The counts are made once the day
    is over (``stats.roll_up()``), so the consent endpoint writes one row and nothing else."""

    day = models.DateField(_("day"), unique=True)
    counted_at = models.DateTimeField(_("counted at"), default=timezone.now)

    class Meta:
        verbose_name = _("counted day")
        verbose_name_plural = _("counted days")
        ordering: ClassVar = ["day"]

    def __str__(self) -> str:
        return self.day.isoformat()
