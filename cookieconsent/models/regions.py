"""Regimes: which consent rules apply to visitors from which regions, as part of the policy."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from cookieconsent import regimes
from cookieconsent.models.policy import CookiePolicy


class Regime(models.TextChoices):
    """The consent rule of a region (``RegionRule.regime``); opt-in where no rule applies."""

    OPT_IN = regimes.OPT_IN, _("Opt-in: optional cookies only with consent")
    OPT_OUT = regimes.OPT_OUT, _("Opt-out: optional cookies until the visitor objects")
    NOTICE = regimes.NOTICE, _("Notice: optional cookies, with a dismissible notice")


class RegionRule(models.Model):
    """One region's regime under a policy. Regions no rule names, and visitors whose region
    is unknown, get opt-in."""

    policy = models.ForeignKey(
        CookiePolicy,
        on_delete=models.CASCADE,
        related_name="region_rules",
        verbose_name=_("policy"),
    )
    region = models.CharField(
        _("region"),
        max_length=6,
        validators=[regimes.validate_rule_region],
        help_text=_("A country (“DE”), a subdivision (“US-CA”), or “EU” or “EEA” for all of them."),
    )
    regime = models.CharField(_("regime"), max_length=10, choices=Regime.choices)

    class Meta:
        verbose_name = _("regional regime")
        verbose_name_plural = _("regional regimes")
        ordering: ClassVar = ["region"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["policy", "region"],
                name="cookieconsent_region_once",
                violation_error_message=_("This region already has a regime under this policy."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.region}: {self.regime}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.region = regimes.rule_region(self.region)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        # As save() stores it, before the uniqueness checks compare it with the other rules.
        super().clean()
        self.region = regimes.rule_region(self.region)
