"""Publishing: the draft policy becomes an immutable ``PublishedVersion`` with one
``Snapshot`` per language. ``publish()`` is the one way to do it (the admin, the
``cookieconsent_publish`` command and a site's code all call it)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import router, transaction
from django.utils.translation import gettext

from cookieconsent import clock
from cookieconsent.engine.registry import invalidate
from cookieconsent.models import CookiePolicy, PublishedVersion, Snapshot
from cookieconsent.models.content import draft_content
from cookieconsent.publishing.render import Rendered, render
from cookieconsent.translation import languages


class NothingToPublish(ValueError):
    """The draft is what visitors see already: publishing it would make a version that
    differs from the live one only in its number and date."""

    def __init__(self, version: PublishedVersion) -> None:
        self.version = version
        # In the language active where it is raised, as NotCurrentPolicy's.
        super().__init__(
            gettext(
                "Nothing to publish: the draft is the same as version %(live)s, which visitors "
                "see now."
            )
            % {"live": version.number}
        )


class NotCurrentPolicy(ValueError):
    """Only the current policy is published: the live text and the regimes come from it."""

    def __init__(self, policy: CookiePolicy) -> None:
        # In the language active where it is raised: the admin shows it as it is.
        super().__init__(
            gettext(
                "“%(policy)s” is not the current cookie policy, so it cannot be published: "
                "only the current policy is. Mark it current first."
            )
            % {"policy": policy}
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
    there was nothing to consent to before it. The policy is published as the database holds
    it when this publish's turn comes, whatever the instance passed in still reads.

    Raises ``NotCurrentPolicy`` unless ``policy`` is the current one, and ``NothingToPublish``
    when the draft is the live version already (``unchanged()``), unless ``reconsent`` asks
    every visitor again. Publishes take turns, site-wide: each waits for the one before to
    commit, so numbers never collide."""
    day = last_updated or clock.localdate()
    using = router.db_for_write(PublishedVersion)
    with transaction.atomic(using=using):
        # The lock, taken by the transaction's first statement, a write: the registry stamp's
        # row, raised by every publish (and every change to the policy or the cookie table).
        # PostgreSQL locks the row until the commit; on SQLite a write first takes the
        # database's write lock before anything is read, so a second publish waits for it
        # (the busy timeout) instead of failing to turn its read lock into a write lock.
        invalidate(using=using)
        # Read again under the lock: the instance passed in may predate a save that committed
        # while this publish waited, and what a version renders must be what it records.
        current = CookiePolicy.objects.filter(pk=policy.pk, is_current=True).first()
        if current is None:
            raise NotCurrentPolicy(policy)
        live = PublishedVersion.objects.order_by("-number").first()
        content = draft_content()
        if live is not None and not reconsent and unchanged(current, live, content):
            raise NothingToPublish(live)
        previous = live.number if live is not None else 0
        number = previous + 1
        CookiePolicy.objects.filter(pk=current.pk).update(last_updated=day)
        current.last_updated = policy.last_updated = day
        version = PublishedVersion.objects.create(
            number=number,
            policy=current,
            last_updated=day,
            reconsent=reconsent or previous == 0,
            published_by=published_by[:150],
            content=content,
        )
        Snapshot.objects.bulk_create(
            [
                Snapshot(
                    version=version,
                    **_fields(render(current, number=number, last_updated=day, language=code)),
                )
                for code in languages()
            ]
        )
    return version


def unchanged(
    policy: CookiePolicy, live: PublishedVersion, content: dict[str, Any] | None = None
) -> bool:
    """Whether publishing ``policy`` would write what ``live`` holds: the same content
    (``draft_content()``, or ``content`` read with ``policy``) and, rendered with its number and
    date, the same snapshot in each of its languages (same hash), so that a change to the
    site's templates or the app's translations counts too."""
    if live.content != (draft_content() if content is None else content):
        return False
    hashes = dict(live.snapshots.values_list("language", "hash"))
    if set(hashes) != set(languages()):
        return False
    return all(
        render(policy, number=live.number, last_updated=live.last_updated, language=code).hash
        == digest
        for code, digest in hashes.items()
    )


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
