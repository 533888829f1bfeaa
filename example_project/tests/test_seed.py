"""The fluxems data migration: the seed Cookie Policy, its categories and cookies."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from cookieconsent.models import Cookie, CookieCategory, CookiePolicy, Technology
from cookieconsent.translation import languages

HEADINGS = [
    "What cookies are",
    "How we use them",
    "Cookies we use",
    "Similar technologies",
    "Third-party cookies",
    "Managing cookies",
    "Do Not Track",
    "Changes & contact",
]
CATEGORIES = [
    ("necessary", "Strictly necessary", True),
    ("security", "Security", True),
    ("functional", "Functional", False),
    ("analytics", "Analytics", False),
]
COOKIES = {
    "femstd": "necessary",
    "csrftoken": "necessary",
    "session": "security",
    "prefs": "functional",
    "_stat": "analytics",
}
EMAIL = "support@entrebyte.com"

pytestmark = pytest.mark.django_db


def seeded_policy() -> CookiePolicy:
    policy = CookiePolicy.current()
    assert policy is not None
    return policy


def test_policy():
    policy = seeded_policy()
    assert policy.title == "Cookie Policy"
    version = policy.published_versions.get()
    assert (version.number, version.last_updated, version.reconsent) == (1, date(2026, 6, 1), True)
    published = version.snapshots.values_list("language", flat=True)
    assert sorted(published) == sorted(languages())
    assert policy.last_updated == date(2026, 6, 1)
    assert policy.contact_organisation == "fluxems by Entrebyte Technologies"
    assert policy.contact_address == "Johannesburg, South Africa"
    assert policy.contact_email == EMAIL
    assert policy.introduction.startswith("This Cookie Policy explains how fluxems uses cookies")


def test_sections_in_order():
    sections = list(seeded_policy().sections.all())
    assert [s.heading for s in sections] == HEADINGS
    assert [s.heading for s in sections if s.show_cookie_table] == ["Cookies we use"]
    assert "| femstd |" not in sections[2].body  # the table comes from the data, not the text
    assert "local storage" in sections[3].body
    # The contact details are the policy's own, printed once after the last section.
    assert sections[7].body.endswith("Questions can be sent to:")


def test_categories_in_order():
    seeded = [(c.slug, c.name, c.required) for c in CookieCategory.objects.all()]
    assert seeded == CATEGORIES
    assert all(c.purpose for c in CookieCategory.objects.all())


def test_cookies_in_their_categories():
    found = {
        c.name: c
        for c in Cookie.objects.select_related("category").filter(technology=Technology.HTTP_COOKIE)
    }
    assert {name: found[name].category.slug for name in COOKIES} == COOKIES
    assert found["femstd"].http_only
    assert found["femstd"].lifetime == timedelta(days=14)
    assert found["session"].http_only
    assert found["session"].lifetime is None
    assert found["prefs"].lifetime == found["_stat"].lifetime == timedelta(days=365)
    assert all(c.purpose for c in found.values())


def test_similar_technologies():
    ui = Cookie.objects.get(name="fluxems.ui")
    assert (ui.technology, ui.category.slug) == (Technology.LOCAL_STORAGE, "functional")
    store = Cookie.objects.get(technology=Technology.SERVER_SESSION)
    assert store.category.slug == "necessary"
    assert "session" in store.purpose


def test_seeded_names_are_valid():
    for cookie in Cookie.objects.all():
        cookie.full_clean()


def test_policy_page_shows_the_seed(client):
    response = client.get(reverse("cookieconsent:policy"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 June 2026" in html
    for number, heading in enumerate(HEADINGS, start=1):
        assert f"{number}. {heading}".replace("&", "&amp;") in html
    for _slug, name, _required in CATEGORIES:
        assert name in html
    for name in [*COOKIES, "fluxems.ui"]:
        assert f'<td data-label="Name">{name}</td>' in html


def test_policy_page_is_in_the_site_layout(client):
    html = client.get(reverse("cookieconsent:policy")).content.decode()
    assert "<title>Cookie Policy · fluxems</title>" in html
    assert 'class="site-header"' in html
    assert "cc-settings-link" in html


def test_policy_page_shows_the_text_and_contact(client):
    html = client.get(reverse("cookieconsent:policy")).content.decode()
    assert "This Cookie Policy explains how fluxems uses cookies" in html
    assert "we do not currently respond to such signals" in html
    assert EMAIL in html


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migration_reverses_and_reapplies():
    call_command("migrate", "fluxems", "zero", verbosity=0)
    assert not CookiePolicy.objects.exists()
    assert not CookieCategory.objects.exists()
    assert not Cookie.objects.exists()

    call_command("migrate", "fluxems", verbosity=0)
    assert [s.heading for s in seeded_policy().sections.all()] == HEADINGS
    assert seeded_policy().translations["af"]["title"] == "Koekiebeleid"
    assert CookieCategory.objects.get(slug="analytics").translations["af"]["name"] == "Analise"
    assert [c.slug for c in CookieCategory.objects.all()] == [c[0] for c in CATEGORIES]
    assert set(COOKIES) <= set(Cookie.objects.values_list("name", flat=True))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reverse_keeps_what_the_site_added():
    functional = CookieCategory.objects.get(slug="functional")
    Cookie.objects.create(category=functional, name="theme")
    call_command("migrate", "fluxems", "zero", verbosity=0)
    assert list(CookieCategory.objects.values_list("slug", flat=True)) == ["functional"]
    assert list(Cookie.objects.values_list("name", flat=True)) == ["theme"]
    Cookie.objects.all().delete()
    call_command("migrate", "fluxems", verbosity=0)


def test_policy_page_gives_the_contact_details_once(client):
    """Section 8 ends by leading into the contact block instead of repeating it."""
    html = client.get(reverse("cookieconsent:policy")).content.decode()
    assert html.count("Johannesburg, South Africa") == 1
    assert html.count(">support@entrebyte.com</a>") == 1
    section = html[html.index("8. Changes &amp; contact") :]
    assert section.index("Questions can be sent to:") < section.index("<address")


def test_afrikaans_for_everything_the_visitor_reads():
    policy = seeded_policy()
    assert set(policy.translations["af"]) == {
        "title",
        "introduction",
        "banner_title",
        "banner_message",
    }
    for section in policy.sections.all():
        assert set(section.translations["af"]) == {"heading", "body"}, section
    for category in CookieCategory.objects.all():
        assert set(category.translations["af"]) == {"name", "purpose"}, category
    for cookie in Cookie.objects.all():
        assert cookie.translations["af"]["purpose"], cookie
