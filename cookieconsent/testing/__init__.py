"""Helpers for the tests of a site that uses cookieconsent (and for ours).

``consent_cookie()`` writes the value the consent endpoint would, so a test can be a visitor who
decided; ``cookies_set()`` and ``cookies_expired()`` read what a response does to the browser's
cookie jar::

    from cookieconsent.testing import CONSENT_COOKIE, consent_cookie, cookies_set

    def test_analytics_only_with_consent(client):
        client.cookies[CONSENT_COOKIE] = consent_cookie(["analytics"])
        assert "_ga" in cookies_set(client.get("/"))
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable

from django.http import HttpResponseBase

from cookieconsent.conf import get_config
from cookieconsent.engine.consent import Decision
from cookieconsent.engine.registry import get_registry, get_registry_in_thread
from cookieconsent.loop import on_event_loop
from cookieconsent.setcookie import is_deletion

__all__ = [
    "CONSENT_COOKIE",
    "consent_cookie",
    "consent_cookie_name",
    "cookies_expired",
    "cookies_set",
]

#: The consent cookie's default name (``COOKIECONSENT["COOKIE_NAME"]`` changes it).
CONSENT_COOKIE = "cookieconsent"


def consent_cookie_name() -> str:
    """The consent cookie's name under the current settings."""
    return str(get_config()["COOKIE_NAME"])


def consent_cookie(
    granted: Iterable[str] = (),
    *,
    version: int | None = None,
    age: int = 0,
    action: str = "custom",
) -> str:
    """A signed consent cookie value granting these category slugs, given ``age`` seconds ago
    under policy ``version`` (the current one by default). Works in ``async def`` tests too,
    where Django refuses queries on the event loop: the registry is read in a thread."""
    if version is None:
        registry = get_registry_in_thread() if on_event_loop() else get_registry()
        version = registry.policy_version
    return Decision(
        granted=frozenset(granted),
        policy_version=version,
        decided_at=int(time.time()) - age,
        action=action,
        consent_id=str(uuid.uuid4()),
    ).sign()


def cookies_set(response: HttpResponseBase) -> set[str]:
    """Names of the cookies a response sets (not deletes, nor sets to ``""``): each as the
    server writes it, the morsel's own name."""
    return {
        morsel.key
        for morsel in response.cookies.values()
        if not is_deletion(morsel, response.get("Date")) and morsel.value != ""
    }


def cookies_expired(response: HttpResponseBase) -> set[str]:
    """Names of the cookies a response deletes, counted as the middleware counts a deletion:
    one every browser deletes (a ``Max-Age`` of zero or less, or with no ``Max-Age`` an
    ``Expires`` over a day in the past, by our clock and the response's ``Date``;
    docs/middleware.md)."""
    date = response.get("Date")
    return {morsel.key for morsel in response.cookies.values() if is_deletion(morsel, date)}
