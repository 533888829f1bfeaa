"""The consent log as a hash chain: each record carries the SHA-256 of its content and of the
record before it, so a record changed, removed or slipped in afterwards shows (docs/proof.md,
"Proving the log is intact").

- ``digest()`` is the one definition of what is hashed; the append, the purge's checkpoints and
  ``cookieconsent_verify`` all call it.
- Appends take turns: ``append()`` links records to the head's hash and inserts them; on
  SQLite and PostgreSQL a trigger moves the head in that same INSERT, or refuses it if another
  append moved the head meanwhile (then it links again). Inside a transaction it first locks
  the head's row instead. So records join the chain in primary-key order, one at a time, and
  the head always names the newest.
- The retention purge leaves a ``ChainCheckpoint`` for the last record of every run it deletes:
  the next record links to its hash, and it keeps the link of the run's first record.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import json
import uuid
import zoneinfo
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, connections, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from cookieconsent.models.records import ConsentRecord

T = TypeVar("T")

#: The link of the first record: no record came before it.
GENESIS = "0" * 64
#: The version of the serialisation below, hashed as ``"v"``.
FORMAT = 1
#: The record's fields that are hashed, in the canonical (sorted) order, with ``prev`` and
#: ``v``. Not its primary key or ``published_version`` (database numbers; the version is
#: named by ``policy_version`` and ``snapshot_hash``), nor the chain's own columns.
HASHED = (
    "action",
    "consent_id",
    "created_at",
    "granted",
    "ip_hash",
    "language",
    "page_url",
    "policy_version",
    "refused",
    "regime",
    "region",
    "snapshot_hash",
    "user_agent",
    "user_pk",
)


def timestamp(value: dt.datetime) -> str:
    """``created_at`` as hashed: UTC, ISO 8601, always six digits of microseconds and ``Z``
    (``isoformat()``, not ``strftime()``, which asks the C library for the zone each time)."""
    if value.tzinfo is None:
        return value.isoformat(timespec="microseconds")
    if value.utcoffset():
        value = value.astimezone(dt.UTC)
    # "+00:00" off the end.
    return value.isoformat(timespec="microseconds")[:-6] + "Z"


def readings(value: dt.datetime, using: str) -> Iterator[dt.datetime]:
    """``created_at`` as read, then as database ``using`` would give back the same stored value
    with ``USE_TZ`` set the other way and the same ``TIME_ZONE``: the forms its hash may cover
    (``timestamp()`` has no marker of which), for a record written before ``USE_TZ`` was
    switched. Each reads the one value stored, so none lets a changed time pass
    (docs/proof.md, "When USE_TZ or TIME_ZONE changes")."""
    yield value
    if connections[using].features.supports_timezones:
        # PostgreSQL keeps the instant, and without USE_TZ gives it in TIME_ZONE.
        zone: dt.tzinfo = timezone.get_default_timezone()
    else:
        # SQLite and MySQL keep the time as written: with USE_TZ, in the database's zone
        # (DATABASES' TIME_ZONE, which only USE_TZ allows; UTC if not given).
        name = settings.DATABASES[using].get("TIME_ZONE") if settings.USE_TZ else None
        zone = zoneinfo.ZoneInfo(name) if name else dt.UTC
    if timezone.is_aware(value):
        yield timezone.make_naive(value, zone)
        return
    aware = value.replace(tzinfo=zone)
    yield aware.astimezone(dt.UTC)  # as Django gives it with USE_TZ
    other = aware.replace(fold=1 - aware.fold)
    if other.utcoffset() != aware.utcoffset():
        # A wall time the clocks went through twice: a naive reading of PostgreSQL's instant
        # cannot tell which, so either is the same time as this site reads it.
        yield other.astimezone(dt.UTC)


#: The canonical form's serialiser: JSON with sorted keys, no whitespace, no ASCII escapes.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _consent_id_text(value: uuid.UUID | str) -> str:
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(value))


#: How the fields of ``HASHED`` that are not text are written in the canonical form.
_NOT_TEXT: dict[str, Callable[[Any], Any]] = {
    "consent_id": _consent_id_text,
    "created_at": timestamp,
    "granted": list,
    "refused": list,
    "policy_version": int,
}
#: How each of ``HASHED`` is written, in its order.
_AS_HASHED = tuple(_NOT_TEXT.get(name, str) for name in HASHED)


def canonical(values: Sequence[Any], prev: str) -> bytes:
    """The bytes hashed for a record whose ``HASHED`` fields hold ``values`` (in that order),
    linked to ``prev``: ``json.dumps(..., sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)`` in UTF-8 (also RFC 8785 for these strings, lists of strings and
    integers), with ``consent_id`` as its hyphenated text, ``created_at`` as ``timestamp()``,
    ``policy_version`` an integer and every other value text (docs/proof.md)."""
    fields = {
        name: as_hashed(value)
        for name, as_hashed, value in zip(HASHED, _AS_HASHED, values, strict=True)
    }
    fields["prev"] = prev
    fields["v"] = FORMAT
    return _ENCODER.encode(fields).encode()


def digest(values: Sequence[Any], prev: str) -> str:
    """The record's hash: SHA-256 of ``canonical(values, prev)``, as 64 hex digits."""
    return hashlib.sha256(canonical(values, prev)).hexdigest()


def values_of(record: ConsentRecord) -> tuple[Any, ...]:
    return tuple(getattr(record, name) for name in HASHED)


class ChainHead(models.Model):
    """The one row every append locks: the hash of the newest record and its primary key."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    hash = models.CharField(_("hash"), max_length=64, default=GENESIS)
    record_pk = models.BigIntegerField(_("newest record"), null=True, blank=True)
    appended = models.BigIntegerField(_("records appended"), default=0)

    class Meta:
        verbose_name = _("chain head")
        verbose_name_plural = _("chain heads")

    def __str__(self) -> str:
        return f"{self.hash} (record {self.record_pk})"


class _CheckpointQuerySet(models.QuerySet["ChainCheckpoint"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("Chain checkpoints are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("Chain checkpoints are append-only.")


class ChainCheckpoint(models.Model):
    """Where the chain continues after a purge: the hash of the last record of a run the
    purge deleted. It stands in that record's place (its primary key) when the chain is
    verified, and ``chain_prev``, the link of the run's first record, says what the run
    followed."""

    record_pk = models.BigIntegerField(_("purged record"), unique=True)
    consent_id = models.UUIDField(_("consent id"))
    hash = models.CharField(_("hash"), max_length=64)
    #: The hash of the record (or checkpoint) before the run; empty if its first record had
    #: no link (inserted below the ORM).
    chain_prev = models.CharField(_("hash before the run"), max_length=64, blank=True)
    before = models.DateTimeField(_("purged records given before"))
    purged_at = models.DateTimeField(_("purged at"), default=timezone.now)

    objects = _CheckpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("chain checkpoint")
        verbose_name_plural = _("chain checkpoints")

    def __str__(self) -> str:
        return f"{self.hash} (after record {self.record_pk})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("Chain checkpoints are append-only.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)


#: Backends where migration 0002 adds the trigger that moves the head with each INSERT.
_TRIGGERED = ("sqlite", "postgresql")
#: Said by that trigger when a record's link is not the head's hash any more.
MOVED = "the consent chain moved on"
#: Tries without a lock before an append takes the head's lock.
_OPTIMISTIC = 3


@functools.cache
def _statements(table: str, returning: bool) -> tuple[str, str, str]:
    """The head's statements for its quoted table name: take it (and read its hash), read it,
    move it. (Keyed by the name, not by a connection: one is made per thread.)"""
    take = f"UPDATE {table} SET appended = appended WHERE id = 1"
    return (
        take + (" RETURNING hash" if returning else ""),
        f"SELECT hash FROM {table} WHERE id = 1",
        f"UPDATE {table} SET hash = %s, record_pk = %s, appended = appended + %s WHERE id = 1",
    )


def _take_head(cursor: Any, using: str, statements: tuple[str, str, str]) -> str:
    """Lock the head (the transaction's first write) and return the newest record's hash."""
    take, read, _move = statements
    returning = take.endswith("RETURNING hash")
    for _attempt in range(2):
        cursor.execute(take)
        row = cursor.fetchone() if returning else None
        if not returning and cursor.rowcount:
            cursor.execute(read)
            row = cursor.fetchone()
        if row is not None:
            return str(row[0])
        _create_head(using)
    raise RuntimeError("the consent chain's head could not be created")  # pragma: no cover


def _create_head(using: str) -> None:
    """The head row, gone (a flushed test database) or never made: it continues from the
    newest record or checkpoint there is."""
    newest = (
        models.QuerySet(apps.get_model("cookieconsent", "ConsentRecord"), using=using)
        .exclude(chain_hash=None)
        .order_by("-pk")
        .values_list("pk", "chain_hash")
        .first()
    )
    checkpoint = (
        ChainCheckpoint.objects.using(using)
        .order_by("-record_pk")
        .values_list("record_pk", "hash")
        .first()
    )
    found = max(filter(None, (newest, checkpoint)), default=(None, GENESIS), key=lambda e: e[0])
    try:
        with transaction.atomic(using=using):
            ChainHead.objects.using(using).create(id=1, record_pk=found[0], hash=found[1])
    except IntegrityError:  # another append made it first
        pass


def _settle(record: ConsentRecord) -> None:
    """The values as the database will give them back: a time given as text parsed, a naive
    one made aware as Django makes it, a consent ID given as text made a UUID, a tuple of
    slugs a list. Raises ``ValueError`` for an aware time on a site with ``USE_TZ = False``
    (SQLite and MySQL refuse it, PostgreSQL would give back another text than was hashed)
    and ``TypeError`` for categories that are not a list of slugs (text would be hashed as
    its letters, and a receipt could not say what was chosen)."""
    if not isinstance(record.created_at, dt.datetime):
        record.created_at = type(record)._meta.get_field("created_at").to_python(record.created_at)
    if settings.USE_TZ and timezone.is_naive(record.created_at):
        record.created_at = timezone.make_aware(record.created_at)
    elif not settings.USE_TZ and timezone.is_aware(record.created_at):
        raise ValueError("A consent record's created_at must be naive when USE_TZ is False.")
    if not isinstance(record.consent_id, uuid.UUID):
        record.consent_id = uuid.UUID(str(record.consent_id))
    for name in ("granted", "refused"):
        setattr(record, name, _slugs(name, getattr(record, name)))


def _slugs(name: str, value: object) -> list[str]:
    """``granted`` or ``refused`` as written: a list of category slugs."""
    if isinstance(value, list | tuple) and all(isinstance(slug, str) for slug in value):
        return list(value)
    raise TypeError(f"A consent record's {name} must be a list of category slugs, not {value!r}.")


def _link(records: Sequence[ConsentRecord], prev: str) -> None:
    for record in records:
        record.chain_prev = prev
        record.chain_hash = prev = digest(values_of(record), prev)


def append(records: Sequence[ConsentRecord], using: str, insert: Callable[[], T]) -> T:
    """Link ``records`` (in this order) to the chain and ``insert()`` them, so that they and
    the head move together or not at all; return what ``insert()`` returns.

    Outside a transaction, on SQLite and PostgreSQL: read the head, link, INSERT. The
    INSERT's trigger moves the head only if the first record links to it, in the same
    statement; if another append moved it meanwhile, the INSERT fails and is tried again.
    Otherwise, or after a few such tries: in a transaction whose first statement locks the
    head (PostgreSQL: its row; SQLite: the database's write lock), so no append can come
    between."""
    connection = connections[using]
    triggered = connection.vendor in _TRIGGERED
    # UPDATE ... RETURNING: PostgreSQL, and SQLite where it can return from an INSERT (3.35);
    # not MySQL or MariaDB (whose RETURNING is for INSERT and DELETE only).
    returning = triggered and connection.features.can_return_columns_from_insert
    statements = _statements(connection.ops.quote_name(ChainHead._meta.db_table), returning)
    for record in records:  # before anything is read or written
        _settle(record)
    if triggered and not connection.in_atomic_block:
        for _attempt in range(_OPTIMISTIC):
            with connection.cursor() as cursor:
                cursor.execute(statements[1])
                row = cursor.fetchone()
            if row is None:
                break  # no head yet: made below, under the lock
            _link(records, str(row[0]))
            try:
                return insert()
            except IntegrityError as exc:
                if MOVED not in str(exc):
                    raise
    with transaction.atomic(using=using), connection.cursor() as cursor:
        _link(records, _take_head(cursor, using, statements))
        result = insert()
        if records and not triggered:
            pks = [r.pk for r in records]
            if None in pks or any(a >= b for a, b in itertools.pairwise(pks)):
                # The chain's order is the primary key's: a backend that numbered them
                # otherwise would leave a chain that cannot be verified.
                raise IntegrityError("consent records were not numbered in the order chained")
            cursor.execute(statements[2], [records[-1].chain_hash, pks[-1], len(records)])
        return result
