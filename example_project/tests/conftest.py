"""Fixtures of the example's tests: every test starts with no compiled registry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cookieconsent.conf import reset_caches
from cookieconsent.engine import registry
from cookieconsent.models import CookieCategory


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    """The registry of one test's rolled-back data must not leak into the next."""
    reset_caches()
    yield
    reset_caches()


@pytest.fixture
def categories(db: None) -> dict[str, CookieCategory]:
    """The fluxems categories, as the example's data migration seeds them, by slug; the
    registry is compiled here, in the test's thread."""
    registry.get_registry()
    return {c.slug: c for c in CookieCategory.objects.all()}
