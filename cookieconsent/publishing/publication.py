"""Publishing: the draft policy becomes an immutable ``PublishedVersion`` with one
``Snapshot`` per language. ``publish()`` is the one way to do it (the admin, the
``cookieconsent_publish`` command and a site's code all call it)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from cookieconsent.engine.registry import invalidate
from cookieconsent.models import CookiePolicy, PublishedVersion, Snapshot
from cookieconsent.publishing.render import Rendered, render
from cookieconsent.translation import languages


class NotCurrentPolicy(ValueError):
    """Only the current policy is published: the live text and the regimes come from it."""

    def __init__(self, policy: CookiePolicy) -> None:
        super().__init__(
            f"“{policy}” is not the current cookie policy, so it cannot be published: only the "
            "current policy is. Mark it current first."
        )


def publish(
    policy: CookiePolicy,
    *,
    reconsent: bool = False,
    last_updated: date | None = None,
    published_by: str = "",
) -> PublishedVersion:
    """Make the next ``PublishedVersion`` of ``policy``, dated ``last_updated`` (today by
    default), with a snapshot in every language. The first version always asks for consent:
    there was nothing to consent to before it.

    Raises ``NotCurrentPolicy`` unless ``policy`` is the current one. Publishes take turns,
    site-wide: each waits for the one before to commit, so numbers never collide."""
    day = last_updated or timezone.localdate()
    with transaction.atomic():
        # The lock, taken by the transaction's first statement, a write: the registry stamp's
        # row, raised by every publish (and every change to the policy or the cookie table).
        # PostgreSQL locks the row until the commit; on SQLite a write first takes the
        # database's write lock before anything is read, so a second publish waits for it
        # (the busy timeout) instead of failing to turn its read lock into a write lock.
        invalidate()
        if not CookiePolicy.objects.filter(pk=policy.pk, is_current=True).exists():
            raise NotCurrentPolicy(policy)
        latest = PublishedVersion.objects.order_by("-number").values_list("number", flat=True)
        previous = latest.first() or 0
        number = previous + 1
        CookiePolicy.objects.filter(pk=policy.pk).update(last_updated=day)
        policy.last_updated = day
        version = PublishedVersion.objects.create(
            number=number,
            policy=policy,
            last_updated=day,
            reconsent=reconsent or previous == 0,
            published_by=published_by[:150],
        )
        Snapshot.objects.bulk_create(
            [
                Snapshot(
                    version=version,
                    **_fields(render(policy, number=number, last_updated=day, language=code)),
                )
                for code in languages()
            ]
        )
    return version


def _fields(rendered: Rendered) -> dict[str, Any]:
    return {
        "language": rendered.language,
        "title": rendered.title,
        "banner": rendered.banner,
        "preferences_html": rendered.preferences_html,
        "policy_html": rendered.policy_html,
        "table_html": rendered.table_html,
        "text": rendered.text,
        "table_rows": rendered.table_rows,
        "categories": rendered.categories,
        "hash": rendered.hash,
    }
