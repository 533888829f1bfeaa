"""Small helpers the tests share."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable

from django.http import HttpResponseBase

from cookieconsent.consent import Decision
from cookieconsent.registry import get_registry

CONSENT_COOKIE = "cookieconsent"


def decision_cookie(
    granted: Iterable[str] = (),
    *,
    version: int | None = None,
    age: int = 0,
    action: str = "custom",
) -> str:
    """A signed consent cookie value, as the consent endpoint would write it."""
    return Decision(
        granted=frozenset(granted),
        policy_version=get_registry().policy_version if version is None else version,
        decided_at=int(time.time()) - age,
        action=action,
        consent_id=str(uuid.uuid4()),
    ).sign()


def set_cookies(response: HttpResponseBase) -> set[str]:
    """Names of the cookies a response sets (not deletes)."""
    return {
        name
        for name, morsel in response.cookies.items()
        if morsel["max-age"] != 0 and morsel.value != ""
    }


def expired_cookies(response: HttpResponseBase) -> set[str]:
    """Names of the cookies a response deletes."""
    return {name for name, morsel in response.cookies.items() if morsel["max-age"] == 0}
