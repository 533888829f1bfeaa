"""The registry stamp: how every process learns that the cookie table changed."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegistryStamp(models.Model):
    """One row whose ``generation`` is raised in the same transaction as every change to the
    categories, cookies or policy. Each process compares it with the generation of its
    compiled registry at most every ``REGISTRY_STALENESS`` seconds, whatever ``CACHES`` holds.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    generation = models.BigIntegerField(_("generation"), default=0)

    class Meta:
        verbose_name = _("registry stamp")
        verbose_name_plural = _("registry stamps")

    def __str__(self) -> str:
        return f"generation {self.generation}"
