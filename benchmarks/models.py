"""The hand-rolled consent endpoint's own log (``views.hand_rolled_consent``): what a site
writes without the app, the same columns as a consent record, and no hash chain or
append-only triggers. Created by ``migrate --run-syncdb`` in the benchmark's worker."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class HandRolledConsent(models.Model):
    consent_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    policy_version = models.PositiveIntegerField()
    language = models.CharField(max_length=15, blank=True)
    snapshot_hash = models.CharField(max_length=64)
    granted = models.JSONField(default=list)
    refused = models.JSONField(default=list)
    action = models.CharField(max_length=20)
    page_url = models.CharField(max_length=500, blank=True)
    user_pk = models.CharField(max_length=64, blank=True, db_index=True)
    ip_hash = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    region = models.CharField(max_length=6, blank=True)
    regime = models.CharField(max_length=10, default="opt-in")

    class Meta:
        app_label = "benchmarks"

    def __str__(self) -> str:
        return str(self.consent_id)
