"""Fixtures shared by the suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cookieconsent import registry
from cookieconsent.conf import reset_caches
from cookieconsent.models import Cookie, CookieCategory, CookiePolicy, Technology


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    """Every test starts with no compiled registry: the registry of one test's rolled-back
    data must not leak into the next."""
    reset_caches()
    yield
    reset_caches()


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
    return found
