"""Text in the visitor's language: the policy, its sections, categories, cookie purposes and
the banner, with a fallback to the default language; edited per language in the admin."""

from __future__ import annotations

import re

import pytest
from django.conf import global_settings, settings
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from cookieconsent import publishing
from cookieconsent.models import Cookie, CookieCategory, CookiePolicy, PolicySection
from cookieconsent.publishing import serve as serving
from cookieconsent.translation import lookup
from cookieconsent.translation import translatable_languages as languages
from tests.factories import (
    CookieFactory,
    CookiePolicyFactory,
    PolicySectionFactory,
)
from tests.helpers import admin_url as url
from tests.helpers import category_form, policy_form

pytestmark = pytest.mark.django_db

LANGUAGES = [("en", "English"), ("af", "Afrikaans"), ("de", "Deutsch")]
LOCALE = [
    *settings.MIDDLEWARE[:3],
    "django.middleware.locale.LocaleMiddleware",
    *settings.MIDDLEWARE[3:],
]
in_languages = override_settings(LANGUAGES=LANGUAGES, MIDDLEWARE=LOCALE)


def get(client: Client, path: str, language: str) -> str:
    return client.get(path, headers={"accept-language": language}).content.decode()


# -- the lookup ---------------------------------------------------------------------------


TEXTS = {"af": {"name": "Analise", "purpose": ""}, "pt": {"name": "Análise"}}


@pytest.mark.parametrize(
    ("language", "field", "expected"),
    [
        ("af", "name", "Analise"),
        ("pt-br", "name", "Análise"),  # the base language stands in for a regional one
        ("PT-BR", "name", "Análise"),  # as a ?language= or an Accept-Language may spell it
        ("AF", "name", "Analise"),
        ("de", "name", "Analytics"),  # no German: the default language's column
        ("en", "name", "Analytics"),
        ("en-gb", "name", "Analytics"),
        ("af", "purpose", "Counts visits"),  # an empty translation counts as none
    ],
)
def test_lookup(language, field, expected):
    default = {"name": "Analytics", "purpose": "Counts visits"}[field]
    assert lookup(TEXTS, field, default, language) == expected


def test_the_default_languages_text_is_its_column_whatever_the_translations_hold():
    """A leftover under the default language's code (a site that changed ``LANGUAGE_CODE``)
    never stands in for the column that staff edit."""
    stale = {"en": {"name": "Old name"}, "af": {"name": "Analise"}}
    assert lookup(stale, "name", "Analytics", "en") == "Analytics"
    assert lookup(stale, "name", "Analytics", "en-gb") == "Analytics"


def test_lookup_uses_the_active_language():
    with translation.override("af"):
        assert lookup(TEXTS, "name", "Analytics") == "Analise"


def test_languages_are_the_sites_own_less_the_default():
    with override_settings(LANGUAGES=global_settings.LANGUAGES):
        assert languages() == []  # Django's hundred-language default list is not offered
    with override_settings(LANGUAGES=LANGUAGES):
        assert languages() == [("af", "Afrikaans"), ("de", "Deutsch")]


def test_i18n_on_models():
    category = CookieCategory(name="Analytics", translations={"af": {"name": "Analise"}})
    with translation.override("af"):
        assert category.i18n.name == "Analise"
        assert category.i18n.get("name", "en") == "Analytics"
    with pytest.raises(AttributeError):
        category.i18n.slug  # noqa: B018 (not a translated field)
    assert CookieCategory.i18n.fields == ("name", "purpose")


# -- the public pages ---------------------------------------------------------------------------


@pytest.fixture
def bilingual(db: None) -> CookiePolicy:
    """A current policy, a section with the cookie table, a category and a cookie, each
    with Afrikaans."""
    CookiePolicy.objects.update(is_current=False)
    policy = CookiePolicyFactory(
        title="Cookie Policy",
        introduction="This policy explains our cookies.",
        translations={
            "af": {
                "title": "Koekiebeleid",
                "introduction": "Hierdie beleid verduidelik ons koekies.",
                "banner_title": "Koekie-toestemming",
                "banner_message": "Ons tel besoeke met jou toestemming.",
            }
        },
    )
    PolicySectionFactory(
        policy=policy,
        heading="What cookies are",
        body="Small *files*.",
        show_cookie_table=True,
        translations={"af": {"heading": "Wat koekies is", "body": "Klein *lêers*."}},
    )
    category, _ = CookieCategory.objects.update_or_create(
        slug="analytics",
        defaults={
            "name": "Analytics",
            "purpose": "Counts visits.",
            "translations": {"af": {"name": "Analise", "purpose": "Tel besoeke."}},
        },
    )
    CookieFactory(
        category=category,
        name="tr_stat",
        purpose="Counts a visit.",
        translations={"af": {"purpose": "Tel 'n besoek."}},
    )
    return policy


def published(policy: CookiePolicy) -> CookiePolicy:
    """``policy`` published in the site's languages: visitors see what is published."""
    publishing.publish(policy)
    return policy


@in_languages
def test_policy_page_in_afrikaans(client, bilingual):
    published(bilingual)
    html = get(client, reverse("cookieconsent:policy"), "af")
    assert "<h1>Koekiebeleid</h1>" in html
    assert "<p>Hierdie beleid verduidelik ons koekies.</p>" in html
    assert ">1. Wat koekies is</h2>" in html
    assert "<p>Klein <em>lêers</em>.</p>" in html
    assert 'class="cc-table__category-name">Analise</span>' in html
    assert '<p class="cc-table__category-purpose">Tel besoeke.</p>' in html
    assert "Tel &#x27;n besoek." in html
    assert "What cookies are" not in html


@in_languages
def test_policy_page_in_english_and_the_fallback(client, bilingual):
    published(bilingual)
    for language in ("en", "de"):
        html = get(client, reverse("cookieconsent:policy"), language)
        assert "<h1>Cookie Policy</h1>" in html
        assert ">1. What cookies are</h2>" in html
        assert 'class="cc-table__category-name">Analytics</span>' in html
        assert "Counts a visit." in html
        assert "Koekie" not in html


@in_languages
def test_banner_and_preferences_in_afrikaans(client, bilingual):
    published(bilingual)
    html = get(client, "/t/", "af")
    banner = html[html.index('id="cookieconsent-banner"') :]
    assert '<h2 class="cc-banner__title" id="cc-banner-title">Koekie-toestemming</h2>' in banner
    assert "Ons tel besoeke met jou toestemming." in banner
    html = get(client, reverse("cookieconsent:preferences"), "af")
    assert '<label for="cc-category-analytics">Analise</label>' in html
    assert '<p class="cc-category__purpose" id="cc-purpose-analytics">Tel besoeke.</p>' in html
    # The script's names for its placeholders, too.
    assert "&quot;analytics&quot;:&quot;Analise&quot;" in html


@in_languages
def test_the_banner_is_rendered_once_per_language(client, bilingual):
    assert "Koekie-toestemming" in get(client, "/t/", "af")
    assert "Koekie-toestemming" not in get(client, "/t/", "en")
    assert "Koekie-toestemming" in get(client, "/t/", "af")


def test_each_language_is_published_and_hashed_on_its_own(bilingual):
    number = publishing.publish(CookiePolicy.current()).number
    english = serving.snapshot(number, "en")
    afrikaans = serving.snapshot(number, "af")
    assert (english.language, afrikaans.language) == ("en", "af")
    assert english.hash != afrikaans.hash


# -- the admin ------------------------------------------------------------------------------


@override_settings(LANGUAGES=LANGUAGES)
def test_policy_admin_has_a_fieldset_per_language(staff, bilingual):
    policy = CookiePolicy.current()
    html = staff.get(url("cookiepolicy", "change", policy.pk)).content.decode()
    assert "Afrikaans (af)" in html and "Deutsch (de)" in html
    assert 'name="title__af" value="Koekiebeleid"' in html
    assert 'name="banner_message__de"' in html
    assert 'name="sections-0-heading__af" value="Wat koekies is"' in html


@override_settings(LANGUAGES=global_settings.LANGUAGES)
def test_no_language_fieldsets_without_languages(staff, bilingual):
    policy = CookiePolicy.current()
    html = staff.get(url("cookiepolicy", "change", policy.pk)).content.decode()
    assert "title__af" not in html


@override_settings(LANGUAGES=LANGUAGES)
def test_policy_admin_saves_translations_and_keeps_others(staff, bilingual):
    policy = CookiePolicy.current()
    policy.translations = {**policy.translations, "fr": {"title": "Politique"}}
    policy.save()
    data = policy_form(
        policy,
        title__af="Koekiebeleid (nuut)",
        title__de="Cookie-Richtlinie",
        banner_message__de="Wir verwenden Cookies.",
        **{"sections-0-heading__de": "Was Cookies sind"},
    )
    response = staff.post(url("cookiepolicy", "change", policy.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    policy.refresh_from_db()
    assert policy.translations["af"]["title"] == "Koekiebeleid (nuut)"
    assert policy.translations["af"]["banner_title"] == "Koekie-toestemming"
    assert policy.translations["de"] == {
        "title": "Cookie-Richtlinie",
        "banner_message": "Wir verwenden Cookies.",
    }
    assert policy.translations["fr"] == {"title": "Politique"}  # not offered, kept
    section = policy.sections.first()
    assert section.translations["de"] == {"heading": "Was Cookies sind"}
    assert section.translations["af"]["heading"] == "Wat koekies is"


@override_settings(LANGUAGES=LANGUAGES)
def test_category_admin_translates_names_and_cookie_purposes(staff):
    data = category_form(
        slug="tr-ads",
        name="Advertising",
        name__af="Advertensies",
        purpose__af="Wys advertensies.",
        rows=[{"name": "tr_ad", "purpose": "Counts ads.", "purpose__af": "Tel advertensies."}],
    )
    response = staff.post(url("cookiecategory", "add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    category = CookieCategory.objects.get(slug="tr-ads")
    assert category.translations == {"af": {"name": "Advertensies", "purpose": "Wys advertensies."}}
    assert Cookie.objects.get(name="tr_ad").translations == {"af": {"purpose": "Tel advertensies."}}
    with translation.override("af"):
        assert category.i18n.name == "Advertensies"


def test_sections_translate_their_markdown():
    section = PolicySection(body="*Hi*", translations={"af": {"body": "*Hallo*"}})
    with translation.override("af"):
        assert section.body_html == "<p><em>Hallo</em></p>"
    assert re.search("Hi", section.body_html)
