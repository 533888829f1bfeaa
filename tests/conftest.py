"""Fixtures shared by the suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from cookieconsent import publishing, registry
from cookieconsent.models import Cookie, CookieCategory, CookiePolicy, Technology


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    """Every test starts with no compiled registry and no stamp: the registry of one test's
    rolled-back data must not leak into the next. (Only our key is deleted: a FLUSHDB would
    wipe whatever else shares the Redis database.)"""
    registry.reset()
    publishing.reset()
    cache.delete(registry.STAMP_KEY)
    yield
    registry.reset()
    publishing.reset()


@pytest.fixture(autouse=True, scope="session")
def flush_with_a_purge_permit() -> Iterator[None]:
    """SQLite empties tables with DELETE, which the consent records' trigger refuses without
    a purge permit (PostgreSQL uses TRUNCATE, which fires no row trigger). The flush after a
    transactional test writes one first and removes the permits' table last."""
    from django.db.backends.sqlite3.base import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush
    permits = "cookieconsent_purgepermit"

    def execute_sql_flush(self: DatabaseOperations, sql_list: list[str]) -> None:
        last = [sql for sql in sql_list if permits in sql]
        first = f"INSERT INTO {permits} (before) VALUES ('9999-12-31 00:00:00')"
        original(self, [first, *(sql for sql in sql_list if permits not in sql), *last])

    DatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]
    yield
    DatabaseOperations.execute_sql_flush = original  # type: ignore[method-assign]


@pytest.fixture
def categories(db: None) -> dict[str, CookieCategory]:
    """The fluxems categories (the example's data migration loads them; created here if not)
    plus cookies the tests' own views set: ``necessary_c``, ``functional_c``, ``analytics_c``
    and the pattern ``_ga_*``."""
    found = {}
    for order, (slug, name, required) in enumerate(
        [
            ("necessary", "Strictly necessary", True),
            ("security", "Security", True),
            ("functional", "Functional", False),
            ("analytics", "Analytics", False),
        ]
    ):
        found[slug], _ = CookieCategory.objects.get_or_create(
            slug=slug, defaults={"name": name, "required": required, "order": order}
        )
    for slug, name, technology in [
        ("necessary", "necessary_c", Technology.HTTP_COOKIE),
        ("security", "session", Technology.HTTP_COOKIE),
        ("functional", "functional_c", Technology.HTTP_COOKIE),
        ("functional", "prefs", Technology.HTTP_COOKIE),
        ("functional", "ui", Technology.LOCAL_STORAGE),
        ("analytics", "analytics_c", Technology.HTTP_COOKIE),
        ("analytics", "_stat", Technology.HTTP_COOKIE),
        ("analytics", "_ga_*", Technology.HTTP_COOKIE),
    ]:
        Cookie.objects.get_or_create(
            name=name, technology=technology, defaults={"category": found[slug]}
        )
    if CookiePolicy.current() is None:
        CookiePolicy.objects.create(title="Cookie Policy")
    # Compiled here, in the test's thread: async tests then need no database access of their own.
    registry.get_registry()
    publishing.current()
    return found
