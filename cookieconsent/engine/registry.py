"""The published cookie table compiled for the request path: cookie name → category, with no
query.

A registry compiles the latest published version's content (``PublishedVersion.content``):
the categories, cookies and regional regimes visitors were shown. What staff edit since is a
draft, enforced once published; before the first publish, see ``necessary_only()``.

A ``Registry`` is an immutable snapshot: exact names in a dict, ``prefix*`` and ``*suffix``
patterns in one dict per length (longest first), any other pattern as its literal segments,
matched in linear time. Lookups of pattern names are memoised, so their cost does not grow
with the table.

The database holds the truth: a one-row ``RegistryStamp`` whose generation is raised in the
same transaction as every publish and every change to a category, cookie or policy (the
draft's strictly necessary categories count before the first publish, and the row's lock makes
edits and publishes take turns). Each
process compiles one registry and reads the generation again at most every
``REGISTRY_STALENESS`` seconds (one small query), whatever ``CACHES`` holds; the process that
made the change drops its registry at once. A transaction that changed the table reads a
registry of its own until it commits, which no other request is given, and which a rollback
takes with it. Caches derived from a registry belong to their owners, as a
``caching.PerRegistry``, and live as long as the registry does.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from contextvars import ContextVar, copy_context
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async
from django.db import DatabaseError, IntegrityError, connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F

from cookieconsent.caching import Memo
from cookieconsent.conf import django_cookie_names, get_config, on_reset
from cookieconsent.loop import on_event_loop
from cookieconsent.regimes import OPT_IN, REGIMES, Regimes, compile_rules
from cookieconsent.translation import TranslatedView

logger = logging.getLogger("cookieconsent")

#: The category given to Django's own cookies when no required category is declared.
BUILTIN_SLUG = "necessary"


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    slug: str
    name: str
    purpose: str
    required: bool
    #: The name and purpose in other languages (see cookieconsent.translation).
    translations: dict[str, dict[str, str]] = field(default_factory=dict, compare=False, hash=False)

    @property
    def i18n(self) -> TranslatedView:
        """``info.i18n.name``: the name (or purpose) in the active language."""
        return TranslatedView(self, ("name", "purpose"))


@dataclass(frozen=True, slots=True)
class BannerText:
    """The current policy's banner title and message, with their translations."""

    banner_title: str = ""
    banner_message: str = ""
    translations: dict[str, dict[str, str]] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class Rule:
    """What the middleware needs to know of one declared cookie."""

    slug: str
    required: bool
    path: str = "/"
    domain: str = ""


@dataclass(frozen=True, slots=True)
class StorageKey:
    """A local- or session-storage key, which only the browser script can clear."""

    slug: str
    technology: str
    name: str

    def matches(self, key: str) -> bool:
        """Whether ``key`` is this declaration's: its name, or a key its ``*`` pattern
        matches (every other character literal, as ``models.cookies.pattern_regex`` reads
        it, and as the browser script clears it)."""
        if "*" not in self.name:
            return key == self.name
        return glob_match(tuple(self.name.split("*")), key)


def glob_match(segments: tuple[str, ...], name: str) -> bool:
    """Whether ``name`` matches the pattern ``"*".join(segments)`` (``*``: any run of
    characters; at least two segments). The first segment must open the name and the last
    close it; each one between is found leftmost after the one before, which is the best
    place for it. No backtracking: at most one scan per segment, O(len(name) · len(pattern))
    at worst."""
    first, last = segments[0], segments[-1]
    end = len(name) - len(last)
    if end < len(first) or not name.startswith(first) or not name.endswith(last):
        return False
    position = len(first)
    for segment in segments[1:-1]:
        found = name.find(segment, position, end)
        if found < 0:
            return False
        position = found + len(segment)
    return True


@dataclass(frozen=True, slots=True, weakref_slot=True)
class Registry:
    """The compiled cookie table and categories at one generation of the database."""

    #: Unique to this build in this process: the key of caches derived from it, which live as
    #: long as it does (``caching.PerRegistry``).
    stamp: str = ""
    #: ``RegistryStamp.generation`` when it was built.
    generation: int = 0
    categories: tuple[CategoryInfo, ...] = ()
    exact: dict[str, Rule] = field(default_factory=dict)
    prefixes: tuple[tuple[int, dict[str, Rule]], ...] = ()
    suffixes: tuple[tuple[int, dict[str, Rule]], ...] = ()
    #: Every other pattern, as its literal segments, in declaration order.
    globs: tuple[tuple[tuple[str, ...], Rule], ...] = ()
    storage_keys: tuple[StorageKey, ...] = ()
    #: Region → consent regime (regions.py).
    regimes: Regimes = field(default_factory=Regimes)
    policy_version: int = 0
    reconsent_version: int = 0
    banner_text: BannerText = field(default_factory=BannerText)
    # Asked several times per request: computed once, with the categories.
    required_slugs: frozenset[str] = field(init=False)
    optional_slugs: frozenset[str] = field(init=False)
    #: The optional categories a visitor is offered, so the only ones a decision can grant:
    #: those of the latest published version (the registry knows no other). One added in the
    #: draft is nobody's to allow until it is published.
    offered_slugs: frozenset[str] = field(init=False)
    # The memo of lookup() for pattern names: a pure function of the snapshot, whose cost
    # would otherwise grow with the number of patterns; names come from visitors.
    _lookups: Memo[str, Rule | None] = field(
        default_factory=lambda: Memo(4096), init=False, repr=False, compare=False
    )
    # What an undecided visitor allows under each regime.
    _by_regime: dict[str, frozenset[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        required = frozenset(c.slug for c in self.categories if c.required)
        object.__setattr__(self, "required_slugs", required)
        optional = frozenset(c.slug for c in self.categories if not c.required)
        object.__setattr__(self, "optional_slugs", optional)
        object.__setattr__(self, "offered_slugs", optional)
        by_regime = {regime: required | self.regime_default(regime) for regime in REGIMES}
        object.__setattr__(self, "_by_regime", by_regime)

    def regime_default(self, regime: str) -> frozenset[str]:
        """The optional categories ``regime`` allows before the visitor decides: none under
        opt-in, every offered one but those marked “opt-in everywhere” under opt-out and
        notice."""
        if regime == OPT_IN:
            return frozenset()
        return self.offered_slugs - self.regimes.always_opt_in

    def allowed_by(self, granted: frozenset[str]) -> frozenset[str]:
        """Every category allowed to a visitor whose decision granted ``granted``: the
        required ones and those of ``granted`` that are still offered."""
        return self.required_slugs | (granted & self.offered_slugs)

    def allowed_by_regime(self, regime: str) -> frozenset[str]:
        """Every category allowed to an undecided visitor under ``regime``."""
        return self._by_regime[regime]

    def category(self, slug: str) -> CategoryInfo | None:
        for info in self.categories:
            if info.slug == slug:
                return info
        return None

    def lookup(self, name: str) -> Rule | None:
        """The rule for a cookie name: exact name first, then the longest prefix, then the
        longest suffix, then the first other pattern; ``None`` for an undeclared cookie."""
        rule = self.exact.get(name)
        if rule is not None:
            return rule
        lookups = self._lookups
        if name in lookups:
            return lookups[name]
        return lookups.remember(name, self._match_pattern(name))

    def storage_key(self, technology: str, key: str) -> StorageKey | None:
        """The first declaration of a ``technology`` (local or session storage) key that
        ``key`` matches; ``None`` for an undeclared key."""
        for declared in self.storage_keys:
            if declared.technology == technology and declared.matches(key):
                return declared
        return None

    def _match_pattern(self, name: str) -> Rule | None:
        for length, table in self.prefixes:
            rule = table.get(name[:length])
            if rule is not None:
                return rule
        for length, table in self.suffixes:
            rule = table.get(name[-length:])
            if rule is not None:
                return rule
        for segments, rule in self.globs:
            if glob_match(segments, name):
                return rule
        return None


_builds = itertools.count(1)


def build(generation: int = 0) -> Registry:
    """Compile the latest published version's content (``PublishedVersion.content``) into a
    new ``Registry``: what staff edit since is a draft, enforced once published. Before the
    first publish, see ``necessary_only()``."""
    from cookieconsent.models import PublishedVersion
    from cookieconsent.models.content import draft_content

    versions = PublishedVersion.objects.order_by("-number")
    latest = versions.values_list("number", "content").first()
    reconsent_version = versions.filter(reconsent=True).values_list("number", flat=True).first()
    content = necessary_only(draft_content()) if latest is None else latest[1]
    return compile_content(
        content,
        generation=generation,
        policy_version=latest[0] if latest else 0,
        reconsent_version=reconsent_version or 0,
    )


def necessary_only(content: dict[str, Any]) -> dict[str, Any]:
    """What is enforced while nothing is published: the draft's strictly necessary categories
    and their cookies, so that the site works while it is set up; no optional category, so no
    optional cookie for anyone (nobody was shown one); every region opt-in, and the app's own
    banner words (the draft's are not published)."""
    return {
        "policy": None,
        "sections": [],
        "categories": [c for c in content["categories"] if c["required"]],
        "cookies": content["cookies"],
        "regions": {},
    }


def compile_content(
    content: dict[str, Any],
    *,
    generation: int = 0,
    policy_version: int = 0,
    reconsent_version: int = 0,
) -> Registry:
    """A ``Registry`` of ``content`` (``models.content.draft_content()``'s shape). A cookie
    of a category ``content`` does not list is declared but never allowed."""
    from cookieconsent.models import Technology

    categories = tuple(
        CategoryInfo(c["slug"], c["name"], c["purpose"], c["required"], c["translations"] or {})
        for c in content["categories"]
    )
    required_slugs = {c.slug for c in categories if c.required}
    exact: dict[str, Rule] = {}
    by_prefix: dict[int, dict[str, Rule]] = {}
    by_suffix: dict[int, dict[str, Rule]] = {}
    globs: list[tuple[tuple[str, ...], Rule]] = []
    storage: list[StorageKey] = []
    required_slug = next((c.slug for c in categories if c.required), BUILTIN_SLUG)
    config = get_config()
    if config["DECLARE_DJANGO_COOKIES"]:
        for name in django_cookie_names():
            exact[name] = Rule(required_slug, True)

    for cookie in content["cookies"]:
        name, slug, technology = cookie["name"], cookie["category"], cookie["technology"]
        if technology != Technology.HTTP_COOKIE:
            storage.append(StorageKey(slug, technology, name))
            continue
        rule = Rule(slug, slug in required_slugs, cookie["path"] or "/", cookie["domain"])
        stars = name.count("*")
        if not stars:
            exact[name] = rule
        elif stars == 1 and name.endswith("*"):
            by_prefix.setdefault(len(name) - 1, {})[name[:-1]] = rule
        elif stars == 1 and name.startswith("*"):
            by_suffix.setdefault(len(name) - 1, {})[name[1:]] = rule
        else:
            globs.append((tuple(name.split("*")), rule))
    # The app's own cookie is strictly necessary whatever the table says: declared in an
    # optional category, a refusal could never be remembered.
    exact[config["COOKIE_NAME"]] = Rule(
        required_slug, True, config["COOKIE_PATH"], config["COOKIE_DOMAIN"] or ""
    )
    exempt = frozenset(
        c["slug"] for c in content["categories"] if c["opt_in_everywhere"] and not c["required"]
    )
    policy = content["policy"] or {}
    return Registry(
        stamp=f"{generation}.{next(_builds)}",
        generation=generation,
        categories=categories,
        exact=exact,
        prefixes=tuple(sorted(by_prefix.items(), reverse=True)),
        suffixes=tuple(sorted(by_suffix.items(), reverse=True)),
        globs=tuple(globs),
        storage_keys=tuple(storage),
        regimes=compile_rules(content["regions"], exempt),
        policy_version=policy_version,
        reconsent_version=reconsent_version,
        banner_text=BannerText(
            policy.get("banner_title", ""),
            policy.get("banner_message", ""),
            policy.get("translations") or {},
        ),
    )


# -- this process's registry --------------------------------------------------------------------

_lock = threading.Lock()
_current: Registry | None = None
#: time.monotonic() after which _current is checked against the database again.
_check_after = 0.0
#: Raised by reset(): a build that started before a reset is not kept.
_epoch = 0


def read_generation() -> int:
    """The database's registry generation (0 before the first change)."""
    from cookieconsent.models import RegistryStamp

    with _savepoint():
        return RegistryStamp.objects.values_list("generation", flat=True).first() or 0


def _savepoint() -> AbstractContextManager[Any]:
    """A savepoint where the caller is inside a transaction (``ATOMIC_REQUESTS``), so that a
    read of the registry's tables that fails leaves it usable: PostgreSQL refuses every later
    query of a transaction that saw an error."""
    from cookieconsent.models import RegistryStamp

    using = router.db_for_read(RegistryStamp)
    if connections[using].in_atomic_block:
        return transaction.atomic(using=using)
    return nullcontext()


def get_registry() -> Registry:
    """This process's registry; compared with the database's generation at most every
    ``REGISTRY_STALENESS`` seconds and rebuilt when it differs. Threads that find it due wait
    for one of them to check; a database that cannot be read leaves the last good registry in
    service (logged) until it can. Called on an event loop (no query may be made there), it
    answers with the registry it has, and leaves the check to ``aget_registry()``.

    Inside a transaction that changed the cookie table (``invalidate()``) it answers with that
    transaction's own registry, built from what the transaction sees and never put in service
    for the process: until the commit, every other request enforces what is committed."""
    global _current, _check_after
    registry = _current
    if registry is not None and time.monotonic() < _check_after and not _changing.get():
        return registry
    changing = _changing_transaction()
    if changing is not None:
        return changing.registry()
    if registry is not None and on_event_loop():
        # Sync code on an event loop (a template rendered in an async view), where Django
        # refuses every query: the next aget_registry() checks, in a thread.
        return registry
    with _lock:
        registry, epoch = _current, _epoch
        now = time.monotonic()
        if registry is not None and now < _check_after:
            return registry  # another thread checked while this one waited
        staleness = get_config()["REGISTRY_STALENESS"]
        try:
            registry = _checked(registry)
        except DatabaseError:
            if registry is None:
                raise
            logger.warning(
                "cookieconsent: cannot read the cookie table; serving the registry of "
                "generation %s until it can be read",
                registry.generation,
                exc_info=True,
            )
        if epoch == _epoch:
            _current, _check_after = registry, now + staleness
        # else: the table changed while this thread built: this request uses what it built,
        # the next one builds again.
        return registry


def _checked(registry: Registry | None) -> Registry:
    """``registry`` if the database's generation is still its own, else a new build."""
    generation = read_generation()
    if registry is None or registry.generation != generation:
        with _savepoint():
            registry = build(generation)
        _prepare(registry)
    return registry


#: Called with each registry this process builds, before it is put in service: what is read
#: from the database for it (the published snapshots) is read then, in the thread that
#: builds, never by a template on an event loop.
_preparers: list[Callable[[Registry], None]] = []


def on_build(prepare: Callable[[Registry], None]) -> Callable[[Registry], None]:
    """Have ``prepare(registry)`` called with each registry built from now on."""
    _preparers.append(prepare)
    return prepare


def _prepare(registry: Registry) -> None:
    for prepare in _preparers:
        try:
            with _savepoint():
                prepare(registry)
        except DatabaseError:  # read again where it is needed
            logger.warning("cookieconsent: could not prepare the registry", exc_info=True)


async def aget_registry() -> Registry:
    """``get_registry()`` for async code: no thread hop while the registry is fresh; the
    database is only read, in a thread, when it is due for a check."""
    registry = _current
    if registry is not None and time.monotonic() < _check_after and not _changing.get():
        return registry
    changing = _changing_transaction()
    if changing is not None and changing.built is not None:
        return changing.built
    return await sync_to_async(get_registry, thread_sensitive=True)()


@on_reset
def reset() -> None:
    """Forget this process's registry, and the registries of this context's transactions that
    changed the cookie table; the next call of ``get_registry()`` builds one."""
    global _current, _epoch
    _epoch += 1
    _current = None
    for ref in _changing.get():
        changing = ref()
        if changing is not None:
            changing.built = None


# -- a transaction's own registry ---------------------------------------------------------------


class _Changing:
    """A transaction that changed the cookie table and has not committed: the registry it
    reads is its own (``get_registry()``), built on first use, on its connection.

    Django holds it as the transaction's ``on_commit`` callback, and lets it go when the
    transaction, or the savepoint it was made in, rolls back, and after the commit: it lives
    as long as its change may still commit, and no longer (``_changing`` only refers to it
    weakly)."""

    __slots__ = ("__weakref__", "built", "connection")

    def __init__(self, alias: str) -> None:
        self.connection = connections[alias]
        self.built: Registry | None = None

    def __call__(self) -> None:
        """Committed: every thread of this process builds again."""
        reset()

    def registry(self) -> Registry:
        registry = self.built
        if registry is None:
            registry = _checked(None)
            # Kept if read on the transaction's own connection: other threads of an async
            # test share its context, not its connection.
            if connections[self.connection.alias] is self.connection:
                self.built = registry
        return registry


#: The transactions of this context (a thread, or a request of an async server) that changed
#: the cookie table, oldest first; those that committed or rolled back are gone.
_changing: ContextVar[tuple[weakref.ref[_Changing], ...]] = ContextVar(
    "cookieconsent_changing", default=()
)


def get_registry_in_thread() -> Registry:
    """``get_registry()`` for sync code on an event loop that cannot await
    ``aget_registry()`` and must have a registry (``testing.consent_cookie()`` in an async
    test): the one it has, else one read in a thread of its own. A transaction of this
    context that changed the cookie table is read on its own connection, which that thread
    borrows as Django's live server borrows a test's: the transaction's thread waits for the
    loop meanwhile."""
    changing = _changing_transaction()
    if changing is None:
        if _current is not None:
            return _current
        return _in_thread(get_registry, None)
    if changing.built is not None:
        return changing.built
    return _in_thread(changing.registry, changing.connection)


def _in_thread(read: Callable[[], Registry], connection: BaseDatabaseWrapper | None) -> Registry:
    outcome: list[Registry | BaseException] = []

    def run() -> None:
        if connection is not None:
            connections[connection.alias] = connection
        try:
            outcome.append(read())
        except BaseException as exc:  # raised again in the caller's thread
            outcome.append(exc)
        finally:
            if connection is None:
                connections.close_all()

    if connection is not None:
        connection.inc_thread_sharing()
    try:
        worker = threading.Thread(target=copy_context().run, args=(run,))
        worker.start()
        worker.join()
    finally:
        if connection is not None:
            connection.dec_thread_sharing()
    result = outcome[0]
    if isinstance(result, BaseException):
        raise result
    return result


def _changing_transaction() -> _Changing | None:
    """The latest transaction of this context that changed the cookie table and may still
    commit, if any."""
    alive = tuple(ref for ref in _changing.get() if ref() is not None)
    _changing.set(alive)
    return alive[-1]() if alive else None


def invalidate(*, using: str | None = None, **kwargs: Any) -> None:
    """The cookie table changed: raise the database's generation in the same transaction, so
    every process rebuilds, and drop this process's registry now and again after the commit.
    Until the commit, the transaction reads a registry of its own, which no other request is
    given (``get_registry()``).

    Connected to ``post_save`` and ``post_delete`` of the categories, cookies and policy; call
    it after changing them with ``QuerySet.update()``, ``bulk_create()`` or raw SQL."""
    from cookieconsent.models import RegistryStamp

    alias = using or router.db_for_write(RegistryStamp)
    reset()
    _bump(alias)
    if not connections[alias].in_atomic_block:
        reset()  # committed already (autocommit)
        return
    # A registry built before this change no longer holds all the transaction sees (reset()
    # dropped it), and one built after it holds what a rollback of this savepoint undoes.
    changing = _Changing(alias)
    _changing.set((*_changing.get(), weakref.ref(changing)))
    transaction.on_commit(changing, using=alias)


def _bump(alias: str) -> None:
    from cookieconsent.models import RegistryStamp

    stamps = RegistryStamp.objects.using(alias)
    if stamps.filter(pk=1).update(generation=F("generation") + 1):
        return
    try:
        with transaction.atomic(using=alias):
            stamps.create(pk=1, generation=1)
    except IntegrityError:  # another transaction created it first
        stamps.filter(pk=1).update(generation=F("generation") + 1)
