"""The append-only record of every consent decision: the proof.

The database enforces it (see migration ``0002_append_only``): on SQLite and PostgreSQL a trigger
refuses every UPDATE of a record, and every DELETE unless the same transaction holds a
``PurgePermit`` covering the row, which only ``ConsentRecord.objects.purge_older_than()`` writes.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.db import models, router, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cookieconsent.models.chain import ChainCheckpoint, append
from cookieconsent.models.publishing import PublishedVersion
from cookieconsent.models.regions import Regime
from cookieconsent.streaming import streamed

APPEND_ONLY = "Consent records are append-only; only purge_older_than() deletes them."


#: The longest user primary key a record holds (``cookieconsent.E044`` refuses a longer one).
USER_PK_LENGTH = 255
#: The longest page address and user agent a record holds (``USER_AGENT_MAX_LENGTH`` may not
#: be more, ``cookieconsent.E043``).
PAGE_URL_LENGTH = USER_AGENT_LENGTH = 500


class Action(models.TextChoices):
    """How a visitor decided (``ConsentRecord.action``)."""

    ACCEPT_ALL = "accept_all", _("Accept all")
    REJECT_ALL = "reject_all", _("Reject all")
    CUSTOM = "custom", _("Custom choice")
    PREFERENCES = "preferences", _("Preferences page")
    GPC = "gpc", _("Global Privacy Control")
    DISMISS = "dismiss", _("Dismissed the notice")


class AppendOnlyQuerySet(models.QuerySet["ConsentRecord"]):
    """``ConsentRecord.objects``: ``update()`` and ``delete()`` raise ``TypeError``; records
    leave only through ``purge_older_than()``."""

    def update(self, **kwargs: Any) -> int:
        raise TypeError(APPEND_ONLY)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError(APPEND_ONLY)

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[ConsentRecord]:
        """Insert and chain ``objs``, in their order, in one transaction."""
        if kwargs.get("ignore_conflicts"):
            raise TypeError("A record skipped by ignore_conflicts would break the chain.")
        objs = list(objs)
        using = self._write_db()
        target = self.using(using)  # Django's bulk_create() reads self.db's features first
        return append(
            objs,
            using,
            lambda: models.QuerySet.bulk_create(target, objs, *args, **kwargs),
        )

    def _write_db(self) -> str:
        """The database these records are written to and deleted from: the one named with
        ``using()``, else the router's ``db_for_write`` (``self.db`` is ``db_for_read``'s, a
        replica under a primary/replica router; ``select_for_update()`` routes as a write)."""
        return self.select_for_update().db

    def purge_older_than(self, cutoff: datetime) -> int:
        """Delete the records given before ``cutoff``, the one documented way to delete any;
        return how many went. Meant for a retention period (``cookieconsent_purge``).
        ``cutoff`` is aware, or naive in local time on a site with ``USE_TZ = False``."""
        if settings.USE_TZ and timezone.is_naive(cutoff):
            raise ValueError("purge_older_than() needs an aware datetime.")
        if not settings.USE_TZ and timezone.is_aware(cutoff):
            raise ValueError("purge_older_than() needs a naive datetime when USE_TZ is False.")
        using = self._write_db()
        with transaction.atomic(using=using):
            everything: models.QuerySet[ConsentRecord] = models.QuerySet(self.model, using=using)
            last = everything.filter(created_at__lt=cutoff).aggregate(pk=Max("pk"))["pk"]
            if last is None:
                return 0
            # Only records up to the newest one seen now: any appended since has a higher key
            # (appends take turns and commit in key order), so no record goes unaccounted.
            doomed = everything.filter(created_at__lt=cutoff, pk__lte=last)
            _leave_checkpoints(everything.filter(pk__lte=last), cutoff, using)
            # The database's trigger lets a DELETE through only while a permit covering the
            # row exists; it is gone again before the transaction commits.
            token = _purging.set(True)
            try:
                permit = PurgePermit.objects.using(using).create(before=cutoff)
            finally:
                _purging.reset(token)
            count, _ = doomed.delete()
            PurgePermit.objects.using(using).filter(pk=permit.pk).delete()
        return count


def slug_list(value: object) -> list[str] | None:
    """``granted`` or ``refused`` as a record is written with: a list of category slugs.
    ``None`` for any other JSON, which only a change below the ORM leaves (the hash chain names
    it)."""
    if isinstance(value, list) and all(isinstance(slug, str) for slug in value):
        return value
    return None


class ConsentRecord(models.Model):
    """One decision of one visitor, kept as proof (GDPR Art. 7(1), POPIA s11(2)(a)). Never
    changed once written; deleted only by ``purge_older_than()``."""

    consent_id = models.UUIDField(_("consent id"), default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("given at"), default=timezone.now, db_index=True)
    policy_version = models.PositiveIntegerField(_("policy version"))
    published_version = models.ForeignKey(
        PublishedVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published version"),
        help_text=_("The version the visitor was shown; empty if nothing was published."),
    )
    language = models.CharField(_("language"), max_length=15, blank=True)
    snapshot_hash = models.CharField(
        _("snapshot hash"),
        max_length=64,
        help_text=_("SHA-256 of the published snapshot the visitor was shown."),
    )
    granted = models.JSONField(_("categories granted"), default=list)
    refused = models.JSONField(_("categories refused"), default=list)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    page_url = models.CharField(_("page"), max_length=PAGE_URL_LENGTH, blank=True)
    # The signed-in user's primary key as text, not a foreign key: deleting the account must
    # not rewrite the proof (a foreign key would null it or cascade).
    #: Text, so that any primary key fits: a UUID, or an e-mail address (254 characters).
    user_pk = models.CharField(_("user id"), max_length=USER_PK_LENGTH, blank=True, db_index=True)
    ip_hash = models.CharField(_("IP address hash"), max_length=64, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=USER_AGENT_LENGTH, blank=True)
    region = models.CharField(
        _("region"), max_length=6, blank=True, help_text=_("Empty when it was unknown.")
    )
    regime = models.CharField(
        _("regime"), max_length=10, choices=Regime.choices, default=Regime.OPT_IN
    )
    # The hash chain (models/chain.py): the hash of the record before this one, and of this
    # record's content with it. Written with the record, in the same transaction; NULL only
    # in a row inserted below the ORM, which the chain never saw (nullable, so the columns are
    # added in place, keeping SQLite's triggers).
    chain_prev = models.CharField(  # noqa: DJ001
        _("previous hash"), max_length=64, null=True, editable=False
    )
    chain_hash = models.CharField(_("hash"), max_length=64, null=True, editable=False)  # noqa: DJ001

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering: ClassVar = ["-created_at", "-pk"]
        indexes: ClassVar = [
            # A signed-in user's latest decision (CONSENT_FOLLOWS_USER): only the records that
            # name a user, which most do not.
            models.Index(
                fields=["user_pk", "-created_at", "-id"],
                name="cookieconsent_record_user",
                condition=~models.Q(user_pk=""),
            )
        ]
        # Reading a record is not taking the whole log away: export is granted on its own.
        permissions: ClassVar = [("export_consentrecord", _("Can export consent records"))]

    def __str__(self) -> str:
        return f"{self.consent_id} ({self.get_action_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError(APPEND_ONLY)
        # An INSERT or nothing: a new instance carrying an existing pk must not UPDATE.
        kwargs["force_insert"] = True
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        append([self], using, lambda: super(ConsentRecord, self).save(*args, **kwargs))

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError(APPEND_ONLY)


def _leave_checkpoints(
    records: models.QuerySet[ConsentRecord], cutoff: datetime, using: str
) -> None:
    """A checkpoint for the last chained record of every run of ``records`` given before
    ``cutoff`` (in the chain's order, the primary key's): the record after the run links to its
    hash. It keeps the link of the run's first chained record too, so that records removed from
    before the run show. A record without a hash (inserted below the ORM) was never in the
    chain: nothing links to it, so it ends no run and starts none, and a run of such records
    alone leaves no checkpoint."""
    ends: list[ChainCheckpoint] = []
    last: _Row | None = None  # the run's last chained record so far
    link = ""  # of the run's first chained record
    fields = ("pk", "consent_id", "created_at", "chain_hash", "chain_prev")
    for row in streamed(records, fields, ("pk",), 5000):
        if row[2] >= cutoff:
            if last is not None:
                ends.append(_checkpoint(last, link, cutoff))
            last = None
        elif row[3]:
            link = (row[4] or "") if last is None else link
            last = row
    if last is not None:
        ends.append(_checkpoint(last, link, cutoff))
    ChainCheckpoint.objects.using(using).bulk_create(ends)


#: A record as ``_leave_checkpoints()`` reads it: key, consent ID, time, hash and link.
_Row = tuple[int, uuid.UUID, datetime, str | None, str | None]


def _checkpoint(row: _Row, link: str, cutoff: datetime) -> ChainCheckpoint:
    pk, consent_id, _given, hash_, _link = row
    return ChainCheckpoint(
        record_pk=pk, consent_id=consent_id, hash=hash_ or "", chain_prev=link, before=cutoff
    )


#: Set only while ``purge_older_than()`` writes its permit.
_purging: ContextVar[bool] = ContextVar("cookieconsent_purging", default=False)
PERMIT_ONLY = "Only ConsentRecord.objects.purge_older_than() writes a purge permit."


class _PermitQuerySet(models.QuerySet["PurgePermit"]):
    def bulk_create(self, *args: Any, **kwargs: Any) -> list[PurgePermit]:
        raise TypeError(PERMIT_ONLY)

    def update(self, **kwargs: Any) -> int:
        raise TypeError(PERMIT_ONLY)


class PurgePermit(models.Model):
    """Lets the database delete records given before ``before``, within one transaction of
    ``purge_older_than()``; never committed. No other code can write one through the ORM (a
    mistake elsewhere must not open the log to deletion); the database's triggers guard the
    rest (docs/architecture.md)."""

    before = models.DateTimeField()

    objects = _PermitQuerySet.as_manager()

    class Meta:
        verbose_name = _("purge permit")
        verbose_name_plural = _("purge permits")

    def __str__(self) -> str:
        return f"< {self.before.isoformat()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not _purging.get():
            raise TypeError(PERMIT_ONLY)
        super().save(*args, **kwargs)
