"""Fixtures shared by the suite."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.test import Client, override_settings
from django.utils import translation

from cookieconsent import publishing
from cookieconsent.conf import reset_caches
from cookieconsent.console import shown
from cookieconsent.engine import registry
from cookieconsent.models import (
    Cookie,
    CookieCategory,
    CookiePolicy,
    PolicySection,
    PublishedVersion,
    Technology,
    UndeclaredCookie,
)
from cookieconsent.publishing import serve as serving
from tests.factories import StaffFactory, UserFactory
from tests.helpers import one_at_a_time

#: The policy the ``categories`` fixture publishes as version 1, on this date.
FIRST_PUBLISHED = date(2026, 6, 1)
SECTIONS = [
    ("What cookies are", "Small text files.", False),
    ("Cookies we use", "The table lists them.", True),
    ("Do Not Track", "We do not respond to it.", False),
]


@pytest.fixture(scope="session")
def live_server(live_server: Any) -> Any:
    """pytest-django's live server, answering one request at a time on in-memory SQLite
    (``tests.helpers.one_at_a_time``)."""
    return one_at_a_time(live_server)


@pytest.fixture(autouse=True)
def close_thread_connections() -> Iterator[None]:
    """Close the database connections other threads opened during the test: an executor's
    (under the async test client, the middleware writes undeclared cookies in asgiref's worker
    thread) and any thread that has ended. In production the ``request_finished`` handler
    closes a request thread's connection, but the test client disconnects it, and Django
    ignores ``close()`` on an in-memory SQLite database. Left open, a connection is found
    unclosed when collected, in whichever later test (a ResourceWarning), and keeps the test
    database from being dropped."""
    opened: list[tuple[BaseDatabaseWrapper, threading.Thread]] = []

    def remember(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
        thread = threading.current_thread()
        if thread is not threading.main_thread():
            opened.append((connection, thread))

    connection_created.connect(remember, weak=False)
    yield
    connection_created.disconnect(remember)
    for wrapper, thread in opened:
        idle = thread.name.startswith(("asyncio_", "ThreadPoolExecutor"))
        # The wrapper refuses to be closed from another thread; its DB-API connection is not.
        if (idle or not thread.is_alive()) and wrapper.connection is not None:
            wrapper.connection.close()
            wrapper.connection = None


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    """Every test starts with no compiled registry: the registry of one test's rolled-back
    data must not leak into the next; nor a batch of banners counted in one test fall due in
    the next (``reset_caches()`` keeps the counts, which are data)."""
    reset_caches()
    shown.counter.discard()
    yield
    reset_caches()
    shown.counter.discard()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """The test database, with the ``categories`` fixture's data published once for the
    session: each test that reads it starts from it, and rolls back what it changes."""
    with django_db_blocker.unblock():
        _declare_and_publish()


@pytest.fixture
def categories(db: None) -> dict[str, CookieCategory]:
    """The fluxems categories (the example's data migration loads them; created here if not)
    plus cookies the tests' own views set: ``necessary_c``, ``functional_c``, ``analytics_c``
    and the pattern ``_ga_*``; and a policy with three sections, published as version 1 dated
    1 June 2026 in English and Afrikaans. Published once for the session; created again in a
    test that follows a transactional one (whose flush empties the database)."""
    found = _declare_and_publish()
    # Compiled here, in the test's thread: async tests then need no database access of their own.
    registry.get_registry()
    serving.current()
    return found


def _declare_and_publish() -> dict[str, CookieCategory]:
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
    if not PublishedVersion.objects.exists():
        policy = CookiePolicy.current() or CookiePolicy.objects.create(
            title="Cookie Policy",
            introduction="How this site uses cookies.",
            contact_email="privacy@example.com",
        )
        if not policy.sections.exists():
            for order, (heading, body, table) in enumerate(SECTIONS):
                PolicySection.objects.create(
                    policy=policy, order=order, heading=heading, body=body, show_cookie_table=table
                )
        # Rendered with the app's URLs, whatever URLconf the test itself uses.
        with override_settings(ROOT_URLCONF="tests.urls"):
            publishing.publish(policy, last_updated=FIRST_PUBLISHED, published_by="tests")
    return found


class RegistryClock:
    """The registry's clock, moved by hand: ``advance()`` past ``REGISTRY_STALENESS`` and the
    next ``get_registry()`` compares its generation with the database's."""

    def __init__(self) -> None:
        self.now = time.monotonic()

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def registry_clock(monkeypatch: pytest.MonkeyPatch) -> RegistryClock:
    """The registry reads this clock instead of ``time``, for this test only (the event loop
    and everything else keep the real one)."""
    clock = RegistryClock()
    monkeypatch.setattr(registry, "time", clock)
    return clock


@pytest.fixture
def no_earlier_sightings(db: None) -> None:
    """Start from an empty list of undeclared cookies. Async tests elsewhere write theirs from
    the server's worker thread, on its own connection, outside the test's transaction: on
    PostgreSQL those rows are committed and would otherwise be seen here."""
    UndeclaredCookie.objects.all().delete()


@pytest.fixture
def by_accept_language(settings: Any) -> Iterator[None]:
    """Each request in the language its Accept-Language asks for (the admin's too)."""
    first, rest = settings.MIDDLEWARE[:3], settings.MIDDLEWARE[3:]
    settings.MIDDLEWARE = [*first, "django.middleware.locale.LocaleMiddleware", *rest]
    yield
    translation.deactivate()  # the middleware leaves the last request's language active


@pytest.fixture
def viewer(client: Client) -> Client:
    """The test client, signed in as staff who may look at everything in the app and change
    nothing."""
    user = UserFactory(is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="cookieconsent", codename__startswith="view_"
        )
    )
    client.force_login(user)
    return client


@pytest.fixture
def staff(client: Client) -> Client:
    """The test client, signed in as a superuser."""
    client.force_login(StaffFactory())
    return client
