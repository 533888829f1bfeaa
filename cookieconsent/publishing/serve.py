"""Serving what was published: the latest version's snapshot in the visitor's language, its
banner and its categories, never rebuilt. Snapshots are immutable, so a process keeps those it
has read, per registry build: a request reads no table."""

from __future__ import annotations

from typing import Any

from django.utils import translation

from cookieconsent.caching import PerRegistry
from cookieconsent.conf import on_reset
from cookieconsent.engine.registry import CategoryInfo, Registry, get_registry
from cookieconsent.models import Snapshot
from cookieconsent.publishing.render import category_infos, render_banner, variant_key
from cookieconsent.translation import candidates, default_language

#: The snapshots of each version number read so far, by language.
_snapshots: PerRegistry[int, dict[str, Snapshot]] = PerRegistry(limit=32)


def snapshot(
    number: int, language: str | None = None, registry: Registry | None = None
) -> Snapshot | None:
    """Version ``number``'s snapshot in ``language`` (the active one by default), or in the
    default language when it has none; ``None`` if there is no such version. Kept with
    ``registry`` (this process's by default)."""
    if number <= 0:
        return None
    memo = _snapshots.of((registry or get_registry()).stamp)
    found = memo.get(number)
    if found is None:
        found = {
            s.language: s
            for s in Snapshot.objects.filter(version__number=number).select_related("version")
        }
        if not found:
            return None
        memo.remember(number, found)
    return pick(found, language or translation.get_language())


def pick(by_language: dict[str, Snapshot], language: str | None) -> Snapshot:
    """The snapshot in ``language``, its generic language (``pt`` for ``pt-br``), the
    default language, or the first there is."""
    if language:
        for code in candidates(language):
            if code in by_language:
                return by_language[code]
    fallback = by_language.get(default_language())
    return fallback if fallback is not None else next(iter(by_language.values()))


def current(language: str | None = None, registry: Registry | None = None) -> Snapshot | None:
    """The latest published snapshot in ``language`` (the active one by default): the one
    ``registry`` enforces (this process's by default)."""
    registry = registry or get_registry()
    return snapshot(registry.policy_version, language, registry)


def unread(registry: Registry) -> bool:
    """Whether the snapshots ``registry`` enforces are still to be read: then the next page
    reads them (one query), which an async view's template, on the event loop, cannot."""
    number = registry.policy_version
    return number > 0 and _snapshots.of(registry.stamp).get(number) is None


def read(registry: Registry) -> None:
    """Read the snapshots ``registry`` enforces, every language (``unread()``)."""
    snapshot(registry.policy_version, registry=registry)


def banner(
    categories: Any,
    *,
    text: tuple[str, str],
    cache_safe: bool,
    needs_renewal: bool,
    regime: str = "opt-in",
    registry: Registry | None = None,
) -> str:
    """The banner with placeholders for this regime: from the latest published version in the
    active language (``registry``'s, this process's by default); rendered from the registry
    only while nothing is published."""
    found = current(registry=registry)
    key = variant_key(cache_safe, needs_renewal, regime)
    if found is not None and key in found.banner:
        return str(found.banner[key])
    return render_banner(
        categories, text=text, cache_safe=cache_safe, needs_renewal=needs_renewal, regime=regime
    )


def categories(shown: Snapshot | None) -> tuple[CategoryInfo, ...]:
    """The categories ``shown`` was published with, named in its language; the registry's (the
    draft's strictly necessary ones) when nothing is published."""
    if shown is None:
        return get_registry().categories
    return category_infos(shown.categories)


on_reset(_snapshots.clear)
