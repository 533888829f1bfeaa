"""Fixtures of the example's tests: every test starts with no compiled registry."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cookieconsent.conf import reset_caches
from cookieconsent.console import shown
from cookieconsent.engine import registry
from cookieconsent.models import CookieCategory
from tests.helpers import one_at_a_time


@pytest.fixture(scope="session")
def live_server(live_server: Any) -> Any:
    """pytest-django's live server, answering one request at a time on in-memory SQLite
    (``tests.helpers.one_at_a_time``)."""
    return one_at_a_time(live_server)


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    """The registry of one test's rolled-back data must not leak into the next; nor a batch
    of banners counted in one test fall due in the next, or at exit, once the test database
    is gone (CI's run on PostgreSQL then wrote to the real database's missing table)."""
    reset_caches()
    shown.counter.discard()
    yield
    reset_caches()
    shown.counter.discard()


@pytest.fixture
def categories(db: None) -> dict[str, CookieCategory]:
    """The fluxems categories, as the example's data migration seeds them, by slug; the
    registry is compiled here, in the test's thread."""
    registry.get_registry()
    return {c.slug: c for c in CookieCategory.objects.all()}
