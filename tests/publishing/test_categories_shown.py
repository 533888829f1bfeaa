"""The categories visitors are shown come from the published snapshot in their language: the
preferences page, the receipt and the script's names; a draft edit shows only once published."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import DatabaseError, transaction
from django.test import Client

from cookieconsent import publishing
from cookieconsent.engine.consent import Decision
from cookieconsent.models import ConsentRecord, CookiePolicy, PublishedVersion, Snapshot
from cookieconsent.publishing import serve as serving
from cookieconsent.testing import CONSENT_COOKIE
from tests.factories import ConsentRecordFactory, CookieCategoryFactory
from tests.helpers import needs_triggers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("categories")]

CONSENT = "/cookies/consent/"
PREFERENCES = "/cookies/preferences/"
RECEIPT = "/cookies/preferences/receipt/"


def publish() -> None:
    policy = CookiePolicy.current()
    assert policy is not None
    publishing.publish(policy)


def get(client: Client, path: str, language: str = "en") -> str:
    return client.get(path, headers={"accept-language": language}).content.decode()


def label(slug: str, name: str) -> str:
    return f'<label for="cc-category-{slug}">{name}</label>'


def script_name(slug: str, name: str) -> str:
    """The script's name for a category, as the page's config attribute escapes it."""
    return f"&quot;{slug}&quot;:&quot;{name}&quot;"


def edit_draft(categories: dict[str, Any]) -> None:
    """Rename and reword Analytics and add a Marketing category: saved, not published."""
    analytics = categories["analytics"]
    analytics.name = "Measurement"
    analytics.purpose = "Freshly worded purpose."
    analytics.save()
    CookieCategoryFactory(slug="marketing", name="Marketing", purpose="Shows ads.")


@pytest.fixture
def draft(categories: dict[str, Any]) -> dict[str, Any]:
    """The categories, with the draft edited (``edit_draft``)."""
    edit_draft(categories)
    return categories


def test_each_snapshot_keeps_its_categories_in_its_language(categories):
    analytics = categories["analytics"]
    analytics.purpose = "Counts visits."
    analytics.translations = {"af": {"name": "Analise", "purpose": "Tel besoeke."}}
    analytics.save()
    publish()
    english = serving.snapshot(2, "en")
    afrikaans = serving.snapshot(2, "af")
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


@needs_triggers
def test_the_database_refuses_to_rewrite_a_snapshots_categories(categories):
    """Migration 0007 made SQLite's trigger again, over the new column too (and 0008 made
    PostgreSQL's say why it refuses)."""
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Snapshot._base_manager.update(categories=[])
    assert all(Snapshot.objects.values_list("categories", flat=True))


def test_a_draft_edit_is_not_on_the_preferences_page_until_published(client, draft):
    html = get(client, PREFERENCES)
    assert label("analytics", "Analytics") in html
    assert script_name("analytics", "Analytics") in html
    for words in ("Measurement", "Freshly worded", "cc-category-marketing", "Marketing"):
        assert words not in html
    publish()
    html = get(client, PREFERENCES)
    assert label("analytics", "Measurement") in html
    purpose = (
        '<p class="cc-category__purpose" id="cc-purpose-analytics">Freshly worded purpose.</p>'
    )
    assert purpose in html
    assert label("marketing", "Marketing") in html
    assert script_name("marketing", "Marketing") in html
    assert "Analytics" not in html


def test_the_banners_script_names_only_published_categories(client, draft):
    html = get(client, "/t/")
    assert script_name("analytics", "Analytics") in html
    assert "Measurement" not in html and "marketing" not in html
    publish()
    html = get(client, "/t/")
    assert script_name("analytics", "Measurement") in html
    assert script_name("marketing", "Marketing") in html


def test_the_checkboxes_are_the_visitors_own(client, draft):
    client.post(CONSENT, {"action": "custom", "categories": ["analytics"]})
    html = get(client, PREFERENCES)
    assert 'value="analytics" checked' in html
    assert 'value="functional">' in html  # refused, so unchecked
    assert 'value="necessary" checked disabled' in html


def test_a_category_deleted_from_the_draft_is_offered_until_published(client, draft):
    """The page offers what the consent endpoint accepts: the published categories."""
    publish()
    draft["analytics"].cookies.all().delete()
    draft["analytics"].delete()
    html = get(client, PREFERENCES)
    assert label("analytics", "Measurement") in html
    publish()
    html = get(client, PREFERENCES)
    assert "cc-category-analytics" not in html
    assert label("marketing", "Marketing") in html


def test_a_receipt_keeps_the_names_of_its_own_version(client, categories):
    """A record given under version 1 is named as version 1 named it, after draft edits and
    after the publish of version 2; a record given under version 2 as version 2 does."""
    client.post(CONSENT, {"action": "custom", "categories": ["functional"]})
    edit_draft(categories)
    for n in range(2):
        html = get(client, RECEIPT)
        assert "<dt>Categories refused</dt><dd>Analytics</dd>" in html
        assert "Version 1," in html
        assert "Measurement" not in html and "Marketing" not in html
        CookiePolicy.objects.filter(is_current=True).update(introduction=f"Edition {n}.")
        publish()
    client.post(CONSENT, {"action": "custom", "categories": ["functional"]})
    html = get(client, RECEIPT)
    assert "<dt>Categories refused</dt><dd>Measurement, Marketing</dd>" in html
    assert "Version 3," in html


def test_a_receipt_names_a_category_its_version_did_not(client, draft):
    """The consent endpoint decided over the live categories before it offered only the
    published ones, so an older record can hold one its version did not name: the receipt
    lists it, under the name the latest version gives it."""
    publish()
    old = ConsentRecordFactory(
        published_version=PublishedVersion.objects.get(number=1),
        language="en",
        granted=["functional"],
        refused=["analytics", "marketing"],
    )
    client.cookies[CONSENT_COOKIE] = Decision(
        frozenset(["functional"]), 1, int(time.time()), "custom", str(old.consent_id)
    ).sign()
    html = get(client, RECEIPT)
    assert "<dt>Categories refused</dt><dd>Analytics, Marketing</dd>" in html


@pytest.mark.usefixtures("by_accept_language")
def test_an_afrikaans_visitor_gets_the_afrikaans_names(client, categories):
    analytics = categories["analytics"]
    analytics.translations = {"af": {"name": "Analise", "purpose": "Tel besoeke."}}
    analytics.save()
    publish()
    analytics.translations = {"af": {"name": "Meting", "purpose": "Nuwe woorde."}}
    analytics.save()
    html = get(client, PREFERENCES, "af")
    assert label("analytics", "Analise") in html
    assert '<p class="cc-category__purpose" id="cc-purpose-analytics">Tel besoeke.</p>' in html
    assert script_name("analytics", "Analise") in html
    assert "Meting" not in html and "Nuwe woorde" not in html
    assert label("analytics", "Analytics") in get(client, PREFERENCES, "en")
    client.post(CONSENT, {"action": "reject_all"}, headers={"accept-language": "af"})
    assert ConsentRecord.objects.get().language == "af"
    # The receipt names them in the language the choice was made in, whoever reads it.
    assert "Analise" in get(client, RECEIPT, "en")
    publish()
    assert label("analytics", "Meting") in get(client, PREFERENCES, "af")
    assert "Analise" in get(client, RECEIPT, "af")  # the record's own version


def test_the_published_categories_cost_no_query_once_warm(client, draft, django_assert_num_queries):
    publish()
    get(client, PREFERENCES)
    with django_assert_num_queries(0):
        html = get(client, PREFERENCES)
    assert label("marketing", "Marketing") in html


def test_nothing_published_shows_only_the_strictly_necessary_categories(client, draft):
    """Nothing optional is offered before the first publish (docs/publishing.md)."""
    from tests.helpers import unpublish_everything

    unpublish_everything()
    html = get(client, PREFERENCES)
    assert 'value="necessary" checked disabled' in html
    assert "cc-category-analytics" not in html and "cc-category-marketing" not in html
    assert "Measurement" not in html


def test_nothing_published_the_cookie_table_lists_what_the_preferences_page_does(client, draft):
    """Before the first publish the table listed every draft category and cookie, optional and
    new ones too: now the draft's strictly necessary categories and their cookies only, and
    no contact details the draft has not published."""
    from django.template import Context, Template

    from tests.factories import CookieFactory
    from tests.helpers import unpublish_everything

    unpublish_everything()
    CookieFactory(category=draft["necessary"], name="_draft_necessary")
    CookieFactory(category=CookieCategoryFactory(slug="marketing"), name="_draft_tracker")
    CookiePolicy.objects.update(contact_organisation="Draft Org")
    table = Template("{% load cookieconsent %}{% cookieconsent_cookie_table %}").render(Context())
    preferences = get(client, PREFERENCES)
    for shown in ("Strictly necessary", "Security"):
        assert shown in table and shown in preferences
    for hidden in ("Functional", "Measurement", "Marketing"):
        assert hidden not in table and hidden not in preferences
    assert "_draft_necessary" in table and "session" in table
    assert "_draft_tracker" not in table and "_stat" not in table
    assert "Draft Org" not in table
