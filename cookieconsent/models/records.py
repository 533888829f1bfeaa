"""The append-only record of every consent decision: the proof."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cookieconsent.models.regions import Regime


class Action(models.TextChoices):
    ACCEPT_ALL = "accept_all", _("Accept all")
    REJECT_ALL = "reject_all", _("Reject all")
    CUSTOM = "custom", _("Custom choice")
    PREFERENCES = "preferences", _("Preferences page")
    GPC = "gpc", _("Global Privacy Control")
    DISMISS = "dismiss", _("Dismissed the notice")


class AppendOnlyQuerySet(models.QuerySet["ConsentRecord"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("Consent records are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("Consent records are append-only.")

    def purge_older_than(self, cutoff: datetime) -> int:
        """Delete the records given before ``cutoff``: the retention purge, the one way
        records are deleted. How many were deleted."""
        return models.QuerySet.delete(self.filter(created_at__lt=cutoff))[0]


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
    region = models.CharField(
        _("region"), max_length=6, blank=True, help_text=_("Empty when it was unknown.")
    )
    regime = models.CharField(
        _("regime"), max_length=10, choices=Regime.choices, default=Regime.OPT_IN
    )

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
