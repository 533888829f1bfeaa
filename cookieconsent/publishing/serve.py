"""Serving what was published: the latest version's snapshot in the visitor's language, its
banner and its categories, never rebuilt. Snapshots are immutable, so a process keeps those it
has read, per registry build: a request reads no table."""

from __future__ import annotations

from typing import Any

from django.utils import translation

from cookieconsent.caching import PerRegistry
from cookieconsent.conf import on_reset
from cookieconsent.engine.registry import CategoryInfo, Registry, get_registry, on_build
from cookieconsent.models import CookieCategory, Snapshot
from cookieconsent.publishing.render import (
    category_infos,
    render_banner,
    render_cookie_table,
    variant_key,
)
from cookieconsent.translation import candidates, default_language

#: The snapshots of each version number read so far, by language: read for the latest
#: version as each registry is built (``_read_latest()``), so that a page, an async view's
#: template on the event loop included, reads none.
_snapshots: PerRegistry[int, dict[str, Snapshot]] = PerRegistry(limit=32)


def snapshot(
    number: int, language: str | None = None, registry: Registry | None = None
) -> Snapshot | None:
    """Version ``number``'s snapshot in ``language`` (the active one by default), or in the
    default language when it has none; ``None`` if there is no such version. Kept with
    ``registry`` (the request's; this process's by default), which read its own version's as
    it was built: a request on it reads no table for them, whatever was built since."""
    if number <= 0:
        return None
    registry = registry or get_registry()
    memo = _snapshots.of(registry)
    found = memo.get(number)
    if found is None:
        found = _read(number)
        if not found:
            return None
        latest = memo.get(registry.policy_version)
        memo.remember(number, found)
        if latest is not None:  # never emptied out by the old versions a visitor browses
            memo[registry.policy_version] = latest
    return pick(found, language or translation.get_language())


def _read(number: int) -> dict[str, Snapshot]:
    return {
        s.language: s
        for s in Snapshot.objects.filter(version__number=number).select_related("version")
    }


@on_build
def _read_latest(registry: Registry) -> None:
    """The snapshots of ``registry``'s version, every language, read as it is built."""
    number = registry.policy_version
    if number > 0 and (found := _read(number)):
        _snapshots.of(registry).remember(number, found)


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
    """The latest published snapshot in ``language`` (the active one by default): of the
    version ``registry`` enforces (this process's registry's by default)."""
    registry = registry or get_registry()
    return snapshot(registry.policy_version, language, registry)


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


def categories(
    shown: Snapshot | None, registry: Registry | None = None
) -> tuple[CategoryInfo, ...]:
    """The categories ``shown`` was published with, named in its language; ``registry``'s
    (this process's by default: the draft's strictly necessary ones) when nothing is
    published."""
    if shown is None:
        return (registry or get_registry()).categories
    return category_infos(shown.categories)


def cookie_table(registry: Registry | None = None) -> str:
    """The table of categories and their cookies of the latest published version (the one
    ``registry`` enforces, this process's by default), in the active language; while nothing
    is published, the registry's categories (the draft's strictly necessary ones, as the
    preferences page lists them) with their cookies."""
    registry = registry or get_registry()
    found = current(registry=registry)
    if found is not None:
        return found.table_html
    slugs = [c.slug for c in registry.categories]
    enforced = CookieCategory.objects.filter(slug__in=slugs).prefetch_related("cookies")
    # The draft's contact details are not published either: no policy names the site.
    return render_cookie_table(list(enforced), None)


on_reset(_snapshots.clear)
