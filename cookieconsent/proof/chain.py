"""Verifying the consent log's hash chain (``manage.py cookieconsent_verify``).

The records are read in the chain's order (the primary key's) a chunk at a time
(``cookieconsent.streaming``), so memory stays flat however many there are. Each record's hash
is computed again from its content and its stored link, and the link compared with the hash of
the record (or purge checkpoint) before it; a checkpoint's run must follow the record before
it, as the first record of the run linked. Only records up to the head read first are walked:
appends made meanwhile are left for the next run, but a record after a head that did not move
is named (the head was moved back, or the record was inserted below the ORM).
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db.models import CharField, Min, Q, QuerySet
from django.db.models.functions import Cast

from cookieconsent.models import ChainCheckpoint, ChainHead, ConsentRecord
from cookieconsent.models.chain import GENESIS, HASHED, digest, readings
from cookieconsent.streaming import UNREADABLE, streamed_readable

CHUNK_SIZE = 5000
_CONSENT_ID = HASHED.index("consent_id")
_CREATED_AT = HASHED.index("created_at")
#: The type of each hashed value (in ``HASHED``'s order) read through the ORM from a record as
#: written (docs/proof.md, "What is hashed"): text but for these.
_WRITTEN: tuple[type, ...] = tuple(
    {
        "consent_id": uuid.UUID,
        "created_at": dt.datetime,
        "granted": list,
        "refused": list,
        "policy_version": int,
    }.get(name, str)
    for name in HASHED
)

#: Why a record does not verify.
CONTENT = "content"  # its content no longer gives its hash
LINK = "link"  # it does not link to the record (or checkpoint) before it
UNCHAINED = "unchained"  # it has no hash and no link: written below the ORM
NO_HASH = "no hash"  # its hash went, its link is there: the ORM writes both
NO_LINK = "no link"  # its link went, its hash is there
HEAD = "head"  # the chain ends elsewhere than its head says: the newest records went
NO_HEAD = "no head"  # chained records, but no head (its row deleted) or an empty one
BEYOND = "beyond"  # it comes after the head, which no append moved meanwhile


@dataclass
class Break:
    """The first record that does not verify."""

    pk: int | None
    #: ``None`` where the record is not there (the head names one deleted, or never written).
    consent_id: str | None
    reason: str

    def __str__(self) -> str:
        what = {
            CONTENT: "its content does not match its hash: it was changed after it was written",
            LINK: "it does not follow the record before it: a record before it was removed, "
            "changed or inserted",
            UNCHAINED: "it has no hash: it was written below the ORM",
            NO_HASH: "its hash was removed after it was written (its link is still there)",
            NO_LINK: "its link to the record before it was removed after it was written (its "
            "hash is still there)",
            HEAD: "the chain does not end where its head says: newer records were removed, "
            "or the head was changed",
            NO_HEAD: "the chain has no head to end at, or an empty one: the head was deleted "
            "or changed",
            BEYOND: "it comes after the chain's head: it was inserted below the ORM, or the "
            "head was moved back",
        }[self.reason]
        if self.consent_id is None:
            return f"record {self.pk} (no longer in the log): {what}"
        return f"record {self.pk} (consent ID {self.consent_id or 'unknown'}): {what}"


@dataclass
class Report:
    checked: int = 0
    first_pk: int | None = None
    last_pk: int | None = None
    head: str = GENESIS
    #: The newest record's primary key, as the head gives it.
    head_pk: int | None = None
    broken: Break | None = None
    #: The kept heads (``verify(kept=...)``) the chain does not pass through, in their order.
    lost: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.broken is None and not self.lost


def verify(
    since: dt.datetime | None = None,
    *,
    kept: Mapping[str, int | None] | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> Report:
    """Walk the chain (from the first record given at or after ``since``, if given) and stop
    at the first record that does not verify.

    ``kept`` are heads saved from earlier runs (hash → the newest record's primary key then,
    if known). A chain rewritten with every hash computed again verifies, but no longer passes
    through a head kept before the rewrite: each one the walk does not meet (as a record's
    hash, or a link to a record or checkpoint) is named in ``lost``; but not one whose record
    the purge has deleted since (a checkpoint at or after it, no record between). With
    ``since``, one held before the walk's start by its record (a bare hash: by any record, or
    checkpoint) is trusted, as that record is (``_held_up_to()``)."""
    kept = kept or {}
    head_hash, head_pk = _head() or (GENESIS, None)
    report = Report(head=head_hash, head_pk=head_pk)
    checkpoints = _checkpoints()
    wanted = _wanted(kept, head_hash, [c.pk for c in checkpoints])
    if head_pk is None:
        report.broken = _headless()
    else:
        records, before = _records(head_pk, since)
        if before is not None and wanted:
            wanted -= _held_up_to(kept, wanted, before[0])
        start = before or (0, GENESIS)
        report.broken = _walk(report, records, start, head_pk, checkpoints, wanted, on_rows)
    if report.broken is None:
        report.lost = [h for h in kept if h in wanted]
    return report


def _headless() -> Break | None:
    """For a chain without a head (or with an empty one): any record there was written below
    the ORM, or the head went."""
    keys = ConsentRecord.objects.order_by("pk").values_list("pk", flat=True)
    first = keys.first()
    if first is None:
        return None
    if keys.filter(pk=first, chain_hash=None).exists():
        return Break(first, _consent_id(first), UNCHAINED)
    newest = keys.last() or first
    return Break(newest, _consent_id(newest), NO_HEAD)


def _records(
    head_pk: int, since: dt.datetime | None
) -> tuple[QuerySet[ConsentRecord], tuple[int, str] | None]:
    """The records to walk, in the chain's order, up to the head's (key ``head_pk``), and the
    key and hash of the record before them to go on from (``None``: the genesis). With
    ``since``, those given since then (none: the newest must still be where the head says, as
    the records given since then may be the ones removed), after the record before them if
    ``_given_before()`` trusts it; if not, all of them."""
    records = ConsentRecord.objects.filter(pk__lte=head_pk).order_by("pk")
    if since is None:
        return records, None
    start = records.filter(created_at__gte=since).aggregate(pk=Min("pk"))["pk"]
    later = records.filter(pk__gte=start) if start is not None else records.none()
    earlier = records.filter(pk__lt=start) if start is not None else records
    before = earlier.values_list("pk", flat=True).last()
    if before is None:
        return later, None
    trusted = _given_before(before, since)
    if trusted is None:
        return records, None
    return later, (before, trusted)


def _walk(
    report: Report,
    records: QuerySet[ConsentRecord],
    prev: tuple[int, str],
    head_pk: int,
    checkpoints: list[_Checkpoint],
    wanted: set[str],
    on_rows: Callable[[int], None] | None,
) -> Break | None:
    """Walk ``records`` on from ``prev`` (the key and hash before them) to the head (its key
    ``head_pk``, its hash ``report.head``), counted in ``report``, taking each hash met off
    ``wanted``: the first record that does not verify, if any."""
    crossing = _Crossing(checkpoints)
    using = records.db
    for pk, row in _read(records):
        if row is None:
            return Break(pk, _consent_id(pk), CONTENT)
        if pk > crossing.due:  # (most records follow a record: nothing to cross)
            crossed = crossing.cross(prev, pk)
            if isinstance(crossed, Break):
                return crossed
            prev = crossed
        if report.first_pk is None:
            report.first_pk = pk
        link, hash_, *values = row
        if hash_ is None or link is None:
            reason = NO_LINK if hash_ is not None else NO_HASH if link is not None else UNCHAINED
            return Break(pk, str(values[_CONSENT_ID]), reason)
        if not _matches(values, link, hash_, using):
            return Break(pk, str(values[_CONSENT_ID]), CONTENT)
        if link != prev[1]:
            return Break(pk, str(values[_CONSENT_ID]), LINK)
        if wanted:
            wanted.discard(link)  # a checkpoint's, or the record's before it
            wanted.discard(hash_)
        prev = (pk, hash_)
        report.checked += 1
        report.last_pk = pk
        if on_rows is not None and report.checked % CHUNK_SIZE == 0:
            on_rows(CHUNK_SIZE)
    if on_rows is not None and report.checked % CHUNK_SIZE:
        on_rows(report.checked % CHUNK_SIZE)
    crossed = crossing.cross(prev, head_pk + 1)
    if isinstance(crossed, Break):
        return crossed
    if crossed != (head_pk, report.head):
        return Break(head_pk, _consent_id(head_pk), HEAD)
    # A record after the head is an append made since the head was read, or one the head never
    # counted (inserted below the ORM, or the head moved back): only the head tells them apart.
    beyond = (
        ConsentRecord.objects.filter(pk__gt=head_pk).order_by("pk").values_list("pk", flat=True)
    ).first()
    if beyond is not None and _head() == (report.head, head_pk):
        return Break(beyond, _consent_id(beyond), BEYOND)
    return None


def _given_before(pk: int, since: dt.datetime) -> str | None:
    """The hash of record ``pk``, the last before ``--since``'s start, to start after: if its
    content gives it and it was given before ``since``. ``None`` otherwise, and the walk starts
    at the first record: it was changed (its time moved back, out of the days asked for), or
    the database keeps its time in another form than Django writes, which SQLite (comparing
    text) placed before ``since``."""
    record = ConsentRecord.objects.filter(pk=pk)
    for _pk, row in _read(record):
        if row is None:
            return None
        link, hash_, *values = row
        if not _matches(values, link, hash_, record.db):
            return None
        try:
            return hash_ if values[_CREATED_AT] < since else None
        except TypeError:  # a naive time and an aware one
            return None
    return None


def _wanted(kept: Mapping[str, int | None], head: str, checkpoints: Sequence[int]) -> set[str]:
    """The kept heads a walk must meet: not the genesis or today's head (met already), nor one
    kept at a record the purge has deleted since."""
    oldest = ConsentRecord.objects.aggregate(pk=Min("pk"))["pk"] if kept else None
    return {
        hash_
        for hash_, pk in kept.items()
        if hash_ not in (GENESIS, head) and (pk is None or not _purged(pk, checkpoints, oldest))
    }


def _purged(pk: int, checkpoints: Sequence[int], oldest: int | None) -> bool:
    """Whether record ``pk`` went in a purge: the purge leaves a checkpoint at the end of every
    run of records it deletes, so one at or after ``pk`` with no record left between. Not
    merely no record left before the oldest: whoever rewrote the log could have numbered every
    record anew, above the keys the heads were kept at (``checkpoints`` in their order)."""
    at = bisect.bisect_left(checkpoints, pk)
    if at == len(checkpoints):
        return False
    end = checkpoints[at]
    if oldest is None or end < oldest:
        return True  # no record left before the oldest
    if pk < oldest:
        return False  # the oldest record lies between
    return not ConsentRecord.objects.filter(pk__gte=pk, pk__lte=end).exists()


def as_hashed(values: Sequence[Any], link: object, hash_: object, using: str) -> dt.datetime | None:
    """The time a record was hashed with: the reading of its ``created_at`` (``readings()``,
    of database ``using``) with which its values (``HASHED``'s, as read) and ``link`` give
    ``hash_``. ``None`` if none does; and for a value of another type than the record was
    written with (a JSON object, text or null where a list was, a fraction where an integer
    was: anyone can write those below the ORM), which the hash would take as the value it can
    be coerced to, or fail on."""
    if tuple(map(type, values)) != _WRITTEN or not isinstance(link, str):
        return None
    hashed = list(values)
    for reading in readings(values[_CREATED_AT], using):
        hashed[_CREATED_AT] = reading
        if digest(hashed, link) == hash_:
            return reading
    return None


def _matches(values: Sequence[Any], link: str, hash_: str, using: str) -> bool:
    """Whether a record's content gives its hash (``as_hashed()``)."""
    return as_hashed(values, link, hash_, using) is not None


def _read(records: QuerySet[ConsentRecord]) -> Iterator[tuple[int, Sequence[Any] | None]]:
    """Each record's primary key and its other values (``_FIELDS``), streamed in the chain's
    order; ``None`` for the values of a record the ORM cannot read back."""
    return streamed_readable(records, _FIELDS[1:], ("pk",), CHUNK_SIZE)


def _readable(rows: QuerySet[Any], *fields: str | Cast) -> list[tuple[Any, ...]]:
    """The ``fields`` of each of a few ``rows``, in their order, but for any the driver cannot
    give back."""
    try:
        return list(rows.values_list(*fields))
    except UNREADABLE:
        pass
    found: list[tuple[Any, ...]] = []
    for pk in rows.values_list("pk", flat=True):
        try:
            found.extend(rows.filter(pk=pk).values_list(*fields))
        except UNREADABLE:
            _answers(rows, pk)
    return found


def _answers(rows: QuerySet[Any], pk: Any) -> bool:
    """Whether row ``pk``, whose values could not be read, is still there: asked without them,
    so the database failing (not that row's values) fails this too."""
    return rows.filter(pk=pk).exists()


#: What verify reads of each record: its key, its link and hash, and what the hash covers.
_FIELDS = ("pk", "chain_prev", "chain_hash", *HASHED)


def _held_up_to(kept: Mapping[str, int | None], hashes: set[str], pk: int) -> set[str]:
    """Those of ``hashes`` held up to record ``pk``, trusted as the records there are (the walk
    starts after them): a head kept at a record (``kept`` gives its key) where that record
    still holds it; a bare hash where any record, or any checkpoint, does. The record's content
    must give the hash: a row written merely to hold it is not the record. One query each for
    records and checkpoints: the hashes have no index."""
    at = {n: h for h in hashes if (n := kept.get(h)) is not None and n <= pk}
    bare = [h for h in hashes if kept.get(h) is None]
    records = ConsentRecord.objects.filter(Q(pk__in=list(at)) | Q(pk__lte=pk, chain_hash__in=bare))
    held = {
        row[1]
        for record, row in _read(records)
        if row is not None
        and row[1] in (at.get(record), *bare)
        and _matches(row[2:], row[0], row[1], records.db)
    }
    checkpoints = ChainCheckpoint.objects.filter(record_pk__lte=pk, hash__in=bare)
    return held | {h for (h,) in _readable(checkpoints, "hash")}


def _consent_id(pk: int) -> str | None:
    """The consent ID of record ``pk`` as stored, for naming it even if it is not a UUID;
    ``None`` if there is no such record (``""`` if its consent ID cannot be read)."""
    record = ConsentRecord.objects.filter(pk=pk)
    rows = _readable(record, Cast("consent_id", CharField()))
    if not rows:
        return "" if record.exists() else None
    stored = rows[0][0]
    try:
        return str(uuid.UUID(stored))
    except (TypeError, ValueError, AttributeError):
        return str(stored or "")


def _head() -> tuple[str, int | None] | None:
    """The head's hash and newest record's primary key, if there is a head. One that holds
    what no append writes (SQLite keeps text in its integer column, or anything the driver
    cannot give back) is an empty one: it names no record."""
    for hash_, pk in _readable(ChainHead.objects.filter(pk=1), "hash", "record_pk"):
        if isinstance(hash_, str) and (pk is None or type(pk) is int):
            return hash_, pk
        return GENESIS, None
    return None


class _Checkpoint(NamedTuple):
    pk: int  # the purged record's
    hash: str
    link: str  # of the run's first record
    consent_id: str


def _checkpoints() -> list[_Checkpoint]:
    """The purge's checkpoints, in their order. One that holds what the purge does not write
    (text in its integer column, bytes for its hash) stands in for no record."""
    rows = _readable(
        ChainCheckpoint.objects.order_by("record_pk"),
        "record_pk",
        "hash",
        "chain_prev",
        "consent_id",
    )
    return [
        _Checkpoint(pk, hash_, link, str(consent_id))
        for pk, hash_, link, consent_id in rows
        if type(pk) is int and isinstance(hash_, str) and isinstance(link, str)
    ]


class _Crossing:
    """The purge's checkpoints, crossed in their order as the walk passes their keys: each
    stands in for the purged record whose key it holds."""

    __slots__ = ("_at", "_checkpoints", "due")

    def __init__(self, checkpoints: Sequence[_Checkpoint]) -> None:
        self._checkpoints = checkpoints
        self._at = 0
        #: The key of the next checkpoint to cross (infinite once there is none).
        self.due: float = checkpoints[0].pk if checkpoints else math.inf

    def cross(self, prev: tuple[int, str], before: int) -> tuple[int, str] | Break:
        """Cross the checkpoints before key ``before``; those after ``prev`` (the key and hash
        walked last) stand in for the records purged between. The key and hash to go on from,
        or the checkpoint whose run does not follow."""
        checkpoints, at = self._checkpoints, self._at
        gap = []
        while at < len(checkpoints) and checkpoints[at].pk < before:
            if checkpoints[at].pk > prev[0]:  # not one at a record walked
                gap.append(checkpoints[at])
            at += 1
        self._at = at
        self.due = checkpoints[at].pk if at < len(checkpoints) else math.inf
        unfollowed = _unfollowed(gap, prev[1])
        if unfollowed is not None:
            return Break(unfollowed.pk, unfollowed.consent_id, LINK)
        return (gap[-1].pk, gap[-1].hash) if gap else prev


def _unfollowed(gap: Sequence[_Checkpoint], prev: str) -> _Checkpoint | None:
    """The checkpoint of ``gap`` (between two records walked, the first of which has hash
    ``prev``) whose run does not follow what came before it: the last one's run links to
    ``prev``, or to the hash of an earlier checkpoint of the gap, whose run does the same, and
    so on. One whose run a later purge's run swallowed (it links to a record that purge
    deleted) is passed over. ``None`` if they follow."""
    earlier: dict[str, int] = {}
    for i, checkpoint in enumerate(gap):
        earlier.setdefault(checkpoint.hash, i)
    i = len(gap) - 1
    while i >= 0:
        link = gap[i].link
        if not link or link == prev:  # no link kept: a run whose first record had none
            return None
        j = earlier.get(link, i)
        if j >= i:
            return gap[i]
        i = j
    return None
