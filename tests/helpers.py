"""Small helpers the tests share."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable

from django.http import HttpResponseBase

from cookieconsent.consent import Decision
from cookieconsent.models import PublishedVersion, Snapshot
from cookieconsent.registry import get_registry, reset

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


def unpublish_everything() -> None:
    """Remove every published version (the seed's), as on a site that has published nothing.
    The ORM refuses it; the database allows it while no consent record cites them."""
    Snapshot._base_manager.all().delete()
    PublishedVersion._base_manager.all().delete()
    reset()
