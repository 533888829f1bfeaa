"""Fixtures shared by the suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from cookieconsent import registry


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    """Every test starts with no compiled registry and an empty cache: the registry of one
    test's rolled-back data must not leak into the next."""
    registry.reset()
    cache.clear()
    yield
    registry.reset()


@pytest.fixture
def categories(db: None) -> dict[str, object]:
    """The fluxems categories and cookies, as the tests' own site declares them."""
    from tests.factories import CookieCategoryFactory, CookieFactory, CookiePolicyFactory

    CookiePolicyFactory()
    necessary = CookieCategoryFactory(slug="necessary", name="Strictly necessary", required=True, order=0)
    security = CookieCategoryFactory(slug="security", name="Security", required=True, order=1)
    functional = CookieCategoryFactory(slug="functional", name="Functional", order=2)
    analytics = CookieCategoryFactory(slug="analytics", name="Analytics", order=3)
    CookieFactory(category=necessary, name="necessary_c")
    CookieFactory(category=security, name="session")
    CookieFactory(category=functional, name="functional_c")
    CookieFactory(category=functional, name="prefs")
    CookieFactory(category=analytics, name="analytics_c")
    CookieFactory(category=analytics, name="_ga_*")
    CookieFactory(category=functional, name="ui", technology="local_storage")
    return {
        "necessary": necessary,
        "security": security,
        "functional": functional,
        "analytics": analytics,
    }
