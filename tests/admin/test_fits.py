"""The admin fits and explains: short values in the lists, the consent rate on the Statistics
page, the policy form folded and explained, region names, previews in the site's layout."""

from __future__ import annotations

import datetime as dt
from html import unescape
from html.parser import HTMLParser

import pytest
from django.test import override_settings
from django.utils import timezone

from cookieconsent.models import (
    BannersShown,
    CookiePolicy,
    PublishedVersion,
    RegionRule,
    UndeclaredCookie,
)
from tests.factories import ConsentRecordFactory
from tests.helpers import admin_url, policy_form
from tests.test_newcomer import SITE_BASE

pytestmark = pytest.mark.django_db

STATS = "/admin/cookieconsent/dailydecisions/"


def site_templates(**site: str) -> list[dict[str, object]]:
    """TEMPLATES with the site's own templates in memory, and the apps' (the admin's too)."""
    return [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [
                    ("django.template.loaders.locmem.Loader", site),
                    "django.template.loaders.app_directories.Loader",
                ],
                "context_processors": [
                    "django.template.context_processors.request",
                    "django.contrib.auth.context_processors.auth",
                    "django.contrib.messages.context_processors.messages",
                ],
            },
        }
    ]


def current() -> CookiePolicy:
    policy = CookiePolicy.current()
    assert policy is not None
    return policy


# -- the lists -----------------------------------------------------------------------------------


def test_records_list_shows_short_ids_category_names_and_compact_dates(staff, categories):
    record = ConsentRecordFactory(
        granted=["functional", "analytics"],
        refused=[],
        created_at=timezone.make_aware(dt.datetime(2026, 3, 4, 5, 6)),
    )
    html = staff.get(admin_url("consentrecord", "changelist")).content.decode()
    full = str(record.consent_id)
    # The whole ID is in the page (selecting it copies it) and in the tooltip; the stylesheet
    # shows its first 8 characters.
    assert f'<code class="cc-clip cc-clip--id" title="{full}">{full}</code>' in html
    assert "cookieconsent/admin-lists.css" in html
    assert "Functional, Analytics" in html
    assert '["functional", "analytics"]' not in unescape(html)
    assert "<span>2026-03-04</span> <span>05:06</span>" in html


def test_versions_list_shows_compact_dates_and_who_published(staff, categories):
    html = staff.get(admin_url("publishedversion", "changelist")).content.decode()
    assert '<time datetime="2026-06-01">2026-06-01</time>' in html
    assert 'title="tests">tests</span>' in html  # published by, cut to its column


def test_undeclared_list_cuts_the_example_page(staff, no_earlier_sightings):
    path = "/workspace/projects/12/boards/a-long-board-name/cards/?q=1"
    UndeclaredCookie.objects.create(name="_hjSessionUser_1", source="response", example_path=path)
    html = staff.get(admin_url("undeclaredcookie", "changelist")).content.decode()
    assert f'<span class="cc-clip" title="{path}">{path}</span>' in unescape(html)


# -- the Statistics page ---------------------------------------------------------------------


def test_statistics_show_the_consent_rate(staff, categories):
    today = timezone.localdate()
    for action in ("accept_all", "reject_all", "gpc"):
        ConsentRecordFactory(action=action)
    BannersShown.objects.create(day=today, shown=8)
    html = unescape(staff.get(STATS).content.decode())
    # Two decisions visitors made (GPC is the browser's) for eight banners.
    assert "Consent rate: 25%, 2 decisions for 8 banners shown." in html
    assert "<td>8</td><td>25%</td></tr>" in html  # today's row
    assert "Banners shown" in html and "What the figures mean" in html


def test_statistics_explain_the_actions(staff, categories):
    html = unescape(staff.get(STATS).content.decode())
    assert "<dt>Custom choice</dt><dd>One category allowed from a placeholder" in html
    assert "<dt>Preferences page</dt><dd>Categories chosen one by one" in html
    assert "Consent rate: no banner counted in this period yet." in html


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_statistics_write_this_process_counts_first(staff, categories):
    from cookieconsent.console import shown

    shown.counter.count()
    staff.get(STATS)
    assert BannersShown.objects.get().shown == 1


def test_statistics_name_the_regions(staff, categories):
    ConsentRecordFactory(region="US-CA")
    html = staff.get(STATS).content.decode()
    assert "US-CA — California, United States" in html


# -- the policy form -------------------------------------------------------------------------


def test_policy_form_is_folded_and_explains_current(staff, categories):
    html = staff.get(admin_url("cookiepolicy", "change", current().pk)).content.decode()
    assert "the only one that can be published" in html  # "Current" explained
    assert html.count("<details") >= 4  # banner, contact, published, regional regimes


def test_region_rules_are_named(staff, categories):
    RegionRule.objects.create(policy=current(), region="US-CA", regime="opt-out")
    html = staff.get(admin_url("cookiepolicy", "change", current().pk)).content.decode()
    assert "California, United States" in html


def test_an_unmatchable_subdivision_rule_is_warned_about(staff, categories, settings):
    RegionRule.objects.create(policy=current(), region="US-CA", regime="opt-out")
    url = admin_url("cookiepolicy", "change", current().pk)
    assert "No visitor can match the rules for US-CA" in staff.get(url).content.decode()
    settings.COOKIECONSENT = {
        "REGION_HEADER": "CF-IPCountry",
        "REGION_SUBDIVISION_HEADER": "CF-Region-Code",
        "TRUST_REGION_HEADER": True,
    }
    assert "No visitor can match" not in staff.get(url).content.decode()


def test_a_subdivision_iso_3166_does_not_list_is_refused(staff, categories):
    policy = current()
    data = policy_form(
        policy,
        **{
            "region_rules-TOTAL_FORMS": "1",
            "region_rules-0-region": "US-ZZ",
            "region_rules-0-regime": "opt-out",
        },
    )
    response = staff.post(admin_url("cookiepolicy", "change", policy.pk), data)
    assert response.status_code == 200
    assert "is not a subdivision of United States in ISO 3166-2" in unescape(
        response.content.decode()
    )
    assert not RegionRule.objects.filter(region="US-ZZ").exists()


# -- the Publish page's previews ---------------------------------------------------------------


def test_publish_previews_are_in_the_sites_layout(staff, categories):
    url = admin_url("cookiepolicy", "publish", current().pk)
    with override_settings(
        TEMPLATES=site_templates(**{"site.html": SITE_BASE}),
        COOKIECONSENT={"BASE_TEMPLATE": "site.html"},
    ):
        html = unescape(staff.get(url).content.decode())
    assert html.count('<nav id="site-nav">') == 3  # banner, preferences, policy page
    assert "cookieconsent.min.css" in html


def test_publish_previews_fall_back_to_the_bare_page(staff, categories, caplog):
    # A layout that cannot render without the site's request or context (here: a bad URL).
    broken = "<nav id='site-nav'>{% url 'no-such-view' %}</nav>{% block content %}{% endblock %}"
    url = admin_url("cookiepolicy", "publish", current().pk)
    with override_settings(
        TEMPLATES=site_templates(**{"site.html": SITE_BASE, "broken.html": broken}),
        COOKIECONSENT={"BASE_TEMPLATE": "broken.html"},
    ):
        html = unescape(staff.get(url).content.decode())
    assert '<main id="content">' in html and "<nav id='site-nav'>" not in html
    assert "The preview could not use BASE_TEMPLATE 'broken.html'" in caplog.text


#: The tutorial's layout: {% cookieconsent_head %} in its <head>, as every site's has.
SITE_BASE_WITH_HEAD = (
    "{% load cookieconsent %}<!doctype html>"
    '<html lang="en"><head><title>{% block title %}{% endblock %} · My site</title>'
    "{% cookieconsent_head %}</head>"
    '<body><nav id="site-nav"><a href="/">Home</a></nav>'
    "<main>{% block content %}{% endblock %}</main></body></html>"
)


class _Frames(HTMLParser):
    """The ``srcdoc`` of every ``<iframe>`` of a page, as a browser reads the attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.documents: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "iframe":
            self.documents.append(dict(attrs).get("srcdoc") or "")


def frame_documents(html: str) -> list[str]:
    parser = _Frames()
    parser.feed(html)
    return parser.documents


@pytest.mark.parametrize("page", ["publish", "version"])
def test_previews_in_a_layout_with_the_head_tag_are_whole_pages(staff, categories, page):
    """The layout's page, rendered safe, went into ``srcdoc`` unescaped: its first quote
    (``lang="en"``) ended the attribute, and every frame was blank."""
    url = (
        admin_url("cookiepolicy", "publish", current().pk)
        if page == "publish"
        else admin_url("publishedversion", "change", PublishedVersion.objects.get().pk)
    )
    with override_settings(
        TEMPLATES=site_templates(**{"site.html": SITE_BASE_WITH_HEAD}),
        COOKIECONSENT={"BASE_TEMPLATE": "site.html"},
    ):
        documents = frame_documents(staff.get(url).content.decode())
    assert len(documents) == 3  # banner, preferences, policy page
    for document in documents:
        assert '<nav id="site-nav">' in document
        assert "cookieconsent.min.css" in document
        assert document.rstrip().endswith("</html>")


def test_a_version_is_shown_in_the_sites_layout_too(staff, categories):
    version = PublishedVersion.objects.get()
    with override_settings(
        TEMPLATES=site_templates(**{"site.html": SITE_BASE}),
        COOKIECONSENT={"BASE_TEMPLATE": "site.html"},
    ):
        html = unescape(
            staff.get(admin_url("publishedversion", "change", version.pk)).content.decode()
        )
    assert '<nav id="site-nav">' in html
