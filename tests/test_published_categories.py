"""The categories visitors are shown come from the published snapshot in their language: the
preferences page, the receipt and the script's names; a draft edit shows only once published."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from cookieconsent import publishing
from cookieconsent.models import CookiePolicy, Snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("categories")]


def publish() -> None:
    policy = CookiePolicy.current()
    assert policy is not None
    publishing.publish(policy)


def test_each_snapshot_keeps_its_categories_in_its_language(categories):
    analytics = categories["analytics"]
    analytics.purpose = "Counts visits."
    analytics.translations = {"af": {"name": "Analise", "purpose": "Tel besoeke."}}
    analytics.save()
    publish()
    english = publishing.snapshot(2, "en")
    afrikaans = publishing.snapshot(2, "af")
    assert english is not None and afrikaans is not None
    assert [c["slug"] for c in english.categories] == [
        "necessary",
        "security",
        "functional",
        "analytics",
    ]
    assert english.categories[3] == {
        "slug": "analytics",
        "name": "Analytics",
        "purpose": "Counts visits.",
        "required": False,
    }
    assert afrikaans.categories[3]["name"] == "Analise"
    assert afrikaans.categories[3]["purpose"] == "Tel besoeke."
    assert afrikaans.categories[0]["required"] is True


def test_the_database_refuses_to_rewrite_a_snapshots_categories(categories):
    """Migration 0007 made SQLite's trigger again, over the new column too."""
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Snapshot._base_manager.update(categories=[])
    assert all(Snapshot.objects.values_list("categories", flat=True))
