"""Small helpers the tests share: the public testing helpers under the names the tests use, and
the admin's category form as the browser posts it."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Model
from django.test import override_settings
from django.urls import reverse

from cookieconsent.engine.registry import reset
from cookieconsent.lifetimes import format_lifetime
from cookieconsent.models import (
    Cookie,
    CookieCategory,
    CookiePolicy,
    PublishedVersion,
    Snapshot,
    Technology,
)

__all__ = [
    "TRIGGERED",
    "admin_url",
    "category_form",
    "check_error_codes",
    "cookie_form",
    "cookie_row",
    "needs_triggers",
    "policy_form",
    "publish_draft",
    "unpublish_everything",
]

#: The database refuses below the ORM what the ORM refuses (migration 0002's triggers): on
#: SQLite and PostgreSQL. On MySQL and MariaDB the ORM's refusal and the hash chain are all.
TRIGGERED = connection.vendor in ("sqlite", "postgresql")
needs_triggers = pytest.mark.skipif(
    not TRIGGERED, reason=f"0002_append_only adds no triggers on {connection.vendor}"
)


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
            lifetime=format_lifetime(cookie.lifetime),
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


@contextmanager
def guards_lifted(*models: type[Model]) -> Iterator[None]:
    """Without the database's append-only triggers on these models' tables (on PostgreSQL,
    without any trigger) within the current transaction: what a database's owner can do."""
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            marks = ", ".join(["%s"] * len(tables))
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                f"AND tbl_name IN ({marks})",
                tables,
            )
            triggers = cursor.fetchall()
            for name, _sql in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
        elif connection.vendor == "postgresql":
            # Every trigger, foreign keys' too, for the rest of the transaction (a superuser's
            # power); ALTER TABLE ... DISABLE TRIGGER fails while foreign keys' are pending.
            cursor.execute("SET LOCAL session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                for _name, sql in triggers:
                    cursor.execute(sql)
            elif connection.vendor == "postgresql":
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def publish_draft(**options: Any) -> PublishedVersion:
    """Publish the current policy's draft with ``cookieconsent.publishing.publish()``: what
    staff edit is enforced from then on."""
    from cookieconsent.publishing import publish

    policy = CookiePolicy.current()
    assert policy is not None, "no current policy to publish"
    return publish(policy, **options)


def unpublish_everything() -> None:
    """Remove every published version, as on a site that has published nothing. The ORM and
    the database refuse it: the database's triggers are lifted for it."""
    with transaction.atomic(), guards_lifted(Snapshot, PublishedVersion):
        Snapshot._base_manager.all().delete()
        PublishedVersion._base_manager.all().delete()
    reset()


def policy_form(policy: CookiePolicy, **fields: str) -> dict[str, object]:
    """The policy change form with its sections inline, as the admin renders it (with the
    Afrikaans fields a site with that language has); ``fields`` override."""
    sections = list(policy.sections.all())
    data: dict[str, object] = {
        "title": policy.title,
        "introduction": policy.introduction,
        "banner_title": policy.banner_title,
        "banner_message": policy.banner_message,
        "is_current": "on" if policy.is_current else "",
        "last_updated": str(policy.last_updated),
        "contact_organisation": policy.contact_organisation,
        "contact_address": policy.contact_address,
        "contact_email": policy.contact_email,
        **{
            f"{field}__{code}": text
            for code, texts in policy.translations.items()
            for field, text in texts.items()
        },
        "region_rules-TOTAL_FORMS": 0,
        "region_rules-INITIAL_FORMS": 0,
        "region_rules-MIN_NUM_FORMS": 0,
        "region_rules-MAX_NUM_FORMS": 1000,
        "sections-TOTAL_FORMS": len(sections),
        "sections-INITIAL_FORMS": len(sections),
        "sections-MIN_NUM_FORMS": 0,
        "sections-MAX_NUM_FORMS": 1000,
    }
    for i, section in enumerate(sections):
        data.update(
            {
                f"sections-{i}-id": section.pk,
                f"sections-{i}-policy": policy.pk,
                f"sections-{i}-order": section.order,
                f"sections-{i}-heading": section.heading,
                f"sections-{i}-body": section.body,
                f"sections-{i}-heading__af": section.translations.get("af", {}).get("heading", ""),
                f"sections-{i}-body__af": section.translations.get("af", {}).get("body", ""),
            }
        )
    data.update(fields)
    return data


def admin_url(model: str, view: str, *args: object) -> str:
    """The admin URL of one of the app's models: ``admin_url("cookie", "change", pk)``."""
    return reverse(f"admin:cookieconsent_{model}_{view}", args=args)


def cookie_form(category: CookieCategory, **fields: Any) -> dict[str, Any]:
    """The cookie add or change form, as the browser posts it."""
    return {"category": category.pk, **cookie_row(**fields)}


def check_error_codes(settings_value: object) -> list[str]:
    """The ids of the settings checks' messages for ``COOKIECONSENT = settings_value``."""
    from cookieconsent.checks import check_settings

    with override_settings(COOKIECONSENT=settings_value):
        return [e.id for e in check_settings()]


def auditors_script() -> str:
    """The auditor's script in docs/proof.md, "What is hashed"."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "proof.md").read_text()
    found = re.search(r"```python\n(import hashlib.*?)```", text, re.DOTALL)
    assert found is not None
    return found.group(1)


@contextmanager
def served(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A site of ``handler``'s pages on 127.0.0.1 only, in a thread: its address
    (``http://127.0.0.1:PORT``), stopped on leaving."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def one_at_a_time(server: Any) -> Any:
    """Make a live server (pytest-django's ``LiveServer``) answer one request at a time while
    its request threads share the test thread's in-memory SQLite connection: two requests'
    transactions on one connection interleave (a consent post answered 500 "IntegrityError:
    not an error" when 40 came at once, and the audit's six browsers post at once). On a
    database with a connection per thread, nothing changes. ``server``, for chaining."""
    if not server.thread.connections_override:
        return server
    httpd = server.thread.httpd
    app = httpd.get_app()
    lock = threading.Lock()

    def serve(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with lock:  # the whole body, as a streaming one reads the database while it is sent
            response = app(environ, start_response)
            try:
                return list(response)
            finally:
                if hasattr(response, "close"):  # as the server would: files, request_finished
                    response.close()

    httpd.set_app(serve)
    return server
