"""The cookie table compiled for the request path: cookie name → category, with no query.

Exact names live in a dict; ``prefix*`` and ``*suffix`` patterns in one dict per length
(longest first); any other pattern in one compiled regular expression. Results of pattern
lookups are memoised, so the cost of a lookup does not grow with the table.

Each process keeps one compiled ``Registry``. Saving or deleting a category, cookie or policy
drops it here at once and, after the commit, writes a new stamp into Django's cache; other
processes compare their stamp with the cache's at most every ``REGISTRY_STALENESS`` seconds.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async
from django.core.cache import caches
from django.db import transaction

from cookieconsent.conf import django_cookie_names, get_config, on_reset
from cookieconsent.translation import TranslatedView

STAMP_KEY = "cookieconsent:registry-stamp"
#: The category given to Django's own cookies when no required category is declared.
BUILTIN_SLUG = "necessary"
_MEMO_LIMIT = 4096


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


@dataclass(slots=True)
class Registry:
    stamp: str = ""
    categories: tuple[CategoryInfo, ...] = ()
    exact: dict[str, Rule] = field(default_factory=dict)
    prefixes: list[tuple[int, dict[str, Rule]]] = field(default_factory=list)
    suffixes: list[tuple[int, dict[str, Rule]]] = field(default_factory=list)
    pattern: re.Pattern[str] | None = None
    pattern_rules: list[Rule] = field(default_factory=list)
    storage_keys: tuple[StorageKey, ...] = ()
    policy_version: int = 0
    reconsent_version: int = 0
    banner_text: BannerText = field(default_factory=BannerText)
    check_after: float = 0.0
    _memo: dict[str, Rule | None] = field(default_factory=dict)
    #: SHA-256 of the banner and policy text, per language (see records.text_hash()).
    text_hashes: dict[str, str] = field(default_factory=dict)
    #: The banner rendered with placeholders, per (language, cache-safe, needs renewal).
    banners: dict[tuple[str, bool, bool], str] = field(default_factory=dict)
    # Asked several times per request: computed once, with the categories.
    required_slugs: frozenset[str] = field(init=False)
    optional_slugs: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.required_slugs = frozenset(c.slug for c in self.categories if c.required)
        self.optional_slugs = frozenset(c.slug for c in self.categories if not c.required)

    def category(self, slug: str) -> CategoryInfo | None:
        for info in self.categories:
            if info.slug == slug:
                return info
        return None

    def lookup(self, name: str) -> Rule | None:
        """The rule for a cookie name: exact name first, then the longest prefix, then any
        other pattern; ``None`` for an undeclared cookie."""
        rule = self.exact.get(name)
        if rule is not None:
            return rule
        try:
            return self._memo[name]
        except KeyError:
            pass
        rule = self._match_pattern(name)
        if len(self._memo) >= _MEMO_LIMIT:
            self._memo.clear()  # made-up names cannot pin it full and push real ones out
        self._memo[name] = rule
        return rule

    def _match_pattern(self, name: str) -> Rule | None:
        for length, table in self.prefixes:
            rule = table.get(name[:length])
            if rule is not None:
                return rule
        for length, table in self.suffixes:
            rule = table.get(name[-length:])
            if rule is not None:
                return rule
        if self.pattern is not None:
            match = self.pattern.fullmatch(name)
            if match is not None and match.lastindex is not None:
                return self.pattern_rules[match.lastindex - 1]
        return None


def build(stamp: str = "") -> Registry:
    """Read the categories, cookies and current policy into a new ``Registry``."""
    from cookieconsent.models import Cookie, CookieCategory, CookiePolicy, Technology

    categories = tuple(
        CategoryInfo(c.slug, c.name, c.purpose, c.required, c.translations)
        for c in CookieCategory.objects.all()
    )
    exact: dict[str, Rule] = {}
    by_length: dict[int, dict[str, Rule]] = {}
    by_suffix: dict[int, dict[str, Rule]] = {}
    general: list[tuple[str, Rule]] = []
    storage: list[StorageKey] = []
    required_slug = next((c.slug for c in categories if c.required), BUILTIN_SLUG)
    config = get_config()
    if config["DECLARE_DJANGO_COOKIES"]:
        for name in django_cookie_names():
            exact[name] = Rule(required_slug, True)
    own = config["COOKIE_NAME"]
    exact[own] = Rule(required_slug, True, config["COOKIE_PATH"], config["COOKIE_DOMAIN"] or "")

    rows = Cookie.objects.values_list(
        "name", "technology", "path", "domain", "category__slug", "category__required"
    )
    for name, technology, path, domain, slug, required in rows:
        if technology != Technology.HTTP_COOKIE:
            storage.append(StorageKey(slug, technology, name))
            continue
        rule = Rule(slug, required, path or "/", domain)
        if "*" not in name:
            exact[name] = rule
        elif name.endswith("*") and name.count("*") == 1:
            by_length.setdefault(len(name) - 1, {})[name[:-1]] = rule
        elif name.startswith("*") and name.count("*") == 1:
            by_suffix.setdefault(len(name) - 1, {})[name[1:]] = rule
        else:
            general.append((name, rule))

    registry = Registry(
        stamp=stamp,
        categories=categories,
        exact=exact,
        prefixes=sorted(by_length.items(), reverse=True),
        suffixes=sorted(by_suffix.items(), reverse=True),
        storage_keys=tuple(storage),
    )
    if general:
        registry.pattern = re.compile(
            "|".join("(" + ".*".join(map(re.escape, n.split("*"))) + ")" for n, _ in general)
        )
        registry.pattern_rules = [rule for _, rule in general]
    policy = CookiePolicy.objects.filter(is_current=True).values_list(
        "version", "reconsent_version", "banner_title", "banner_message", "translations"
    )
    for version, reconsent, title, message, translations in policy[:1]:
        registry.policy_version, registry.reconsent_version = version, reconsent
        registry.banner_text = BannerText(title, message, translations or {})
    return registry


_lock = threading.Lock()
_current: Registry | None = None


def _cache() -> Any:
    return caches[get_config()["CACHE_ALIAS"]]


def get_registry() -> Registry:
    """This process's registry, rebuilt when another process (or this one) has changed it."""
    global _current
    registry = _current
    now = time.monotonic()
    if registry is not None and now < registry.check_after:
        return registry
    cache = _cache()
    stamp = cache.get(STAMP_KEY)
    if stamp is None:
        cache.add(STAMP_KEY, uuid.uuid4().hex, None)
        stamp = cache.get(STAMP_KEY) or ""
    if registry is None or registry.stamp != stamp:
        with _lock:
            registry = build(stamp)
    registry.check_after = now + get_config()["REGISTRY_STALENESS"]
    _current = registry
    return registry


async def aget_registry() -> Registry:
    """``get_registry()`` for async code: no thread hop while the registry is fresh; the
    cache and database are only touched, in a thread, when it is due for a check."""
    registry = _current
    if registry is not None and time.monotonic() < registry.check_after:
        return registry
    return await sync_to_async(get_registry, thread_sensitive=True)()


def invalidate(**kwargs: Any) -> None:
    """Drop this process's registry now, and tell every process once the change is committed."""
    reset()

    def bump() -> None:
        reset()
        _cache().set(STAMP_KEY, uuid.uuid4().hex, None)

    transaction.on_commit(bump)


@on_reset
def reset() -> None:
    """Forget this process's registry; the next request rebuilds it."""
    global _current
    _current = None
