"""Small helpers the tests share: the public testing helpers under the names the tests use, and
the admin's category form as the browser posts it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cookieconsent.models import Cookie, CookieCategory, PublishedVersion, Snapshot, Technology
from cookieconsent.registry import reset
from cookieconsent.testing import CONSENT_COOKIE
from cookieconsent.testing import consent_cookie as decision_cookie
from cookieconsent.testing import cookies_expired as expired_cookies
from cookieconsent.testing import cookies_set as set_cookies

__all__ = [
    "CONSENT_COOKIE",
    "category_form",
    "cookie_row",
    "decision_cookie",
    "expired_cookies",
    "set_cookies",
    "unpublish_everything",
]


def cookie_row(cookie: Cookie | None = None, **fields: Any) -> dict[str, Any]:
    """One row of the category's cookie inline, as the form posts it: a saved ``cookie`` as
    it is, or a new one; ``fields`` override."""
    row: dict[str, Any] = {
        "name": "",
        "technology": Technology.HTTP_COOKIE,
        "purpose": "",
        "party": "first",
        "provider": "",
        "lifetime": "",
        "domain": "",
        "path": "/",
        "order": 0,
    }
    if cookie is not None:
        row.update(
            id=cookie.pk,
            category=cookie.category_id,
            name=cookie.name,
            technology=cookie.technology,
            purpose=cookie.purpose,
            party=cookie.party,
            provider=cookie.provider,
            lifetime="" if cookie.lifetime is None else str(cookie.lifetime.total_seconds()),
            domain=cookie.domain,
            path=cookie.path,
            order=cookie.order,
        )
        if cookie.http_only:
            row["http_only"] = "on"
    row.update(fields)
    return row


def category_form(
    category: CookieCategory | None = None, rows: Sequence[dict[str, Any]] = (), **fields: Any
) -> dict[str, Any]:
    """The category change (or add) form with its cookie inline: saved cookies first, as
    Django renders them, then ``rows``."""
    data: dict[str, Any] = {"slug": "", "name": "", "purpose": "", "order": 0}
    saved: list[Cookie] = []
    if category is not None:
        data.update(
            slug=category.slug, name=category.name, purpose=category.purpose, order=category.order
        )
        if category.required:
            data["required"] = "on"
        saved = list(category.cookies.order_by("order", "name"))
    data.update(fields)
    all_rows = [cookie_row(c) for c in saved] + [cookie_row(**r) for r in rows]
    data.update(
        {
            "cookies-TOTAL_FORMS": len(all_rows),
            "cookies-INITIAL_FORMS": len(saved),
            "cookies-MIN_NUM_FORMS": 0,
            "cookies-MAX_NUM_FORMS": 1000,
        }
    )
    for i, row in enumerate(all_rows):
        data.update({f"cookies-{i}-{k}": v for k, v in row.items()})
    return data


def unpublish_everything() -> None:
    """Remove every published version, as on a site that has published nothing. The ORM
    refuses it; the database allows it while no consent record cites them."""
    Snapshot._base_manager.all().delete()
    PublishedVersion._base_manager.all().delete()
    reset()
