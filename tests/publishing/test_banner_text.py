"""The banner's title and message belong to the policy: staff write them, the app's wording
stands in where they are left empty. And the banner stays off the preferences page."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import resolve, reverse
from django.utils import translation

from cookieconsent import publishing
from cookieconsent.models import CookiePolicy
from cookieconsent.models.policy import (
    DEFAULT_BANNER_MESSAGE,
    DEFAULT_BANNER_TITLE,
    ONLY_NECESSARY_MESSAGE,
    banner_text,
)
from cookieconsent.publishing import serve as serving
from tests.factories import CookiePolicyFactory

pytestmark = pytest.mark.django_db


def banner(client) -> str:
    html = client.get("/t/").content.decode()
    start = html.index('id="cookieconsent-banner"')
    return html[start : html.index("</section>", start)]


def test_the_defaults_when_staff_leave_them_empty(client, categories):
    html = banner(client)
    assert f'id="cc-banner-title">{DEFAULT_BANNER_TITLE}</h2>' in html
    names = {"names": "Functional and Analytics"}
    assert DEFAULT_BANNER_MESSAGE % names in html


def test_the_default_message_names_what_is_declared_and_published(client, categories):
    """It promised "preference and analytics cookies" whatever was declared: it names the
    optional categories of the published version."""
    assert "optional cookies for Functional and Analytics." in banner(client)
    categories["functional"].cookies.all().delete()
    categories["functional"].delete()
    assert "optional cookies for Functional and Analytics." in banner(client)  # until published
    publishing.publish(CookiePolicy.current())
    assert "optional cookies for Analytics." in banner(client)
    categories["analytics"].cookies.all().delete()
    categories["analytics"].delete()
    publishing.publish(CookiePolicy.current())
    assert ONLY_NECESSARY_MESSAGE in banner(client)


def test_the_defaults_are_translated(categories):
    with translation.override("af"):
        title, message = banner_text(None, categories.values())
        only_necessary = banner_text(None)[1]
    assert title == "Koekie-toestemming"
    assert message == (
        "Ons gebruik koekies om die webwerf te laat werk. Met jou toestemming gebruik ons ook "
        "opsionele koekies vir Functional en Analytics."
    )
    assert only_necessary == "Ons gebruik slegs die koekies wat die webwerf nodig het om te werk."


def test_a_site_with_only_analytics_says_so(client, categories):
    policy = CookiePolicy.current()
    policy.banner_title = "Counting visits"
    policy.banner_message = "With your consent we count visits to improve the site."
    policy.save()
    publishing.publish(policy)  # visitors see what is published
    html = banner(client)
    assert 'id="cc-banner-title">Counting visits</h2>' in html
    assert "With your consent we count visits to improve the site." in html
    assert "remember your preferences" not in html


def test_the_banner_text_is_escaped(client, categories):
    policy = CookiePolicy.current()
    policy.banner_message = "<b>bold</b>"
    policy.save()
    publishing.publish(policy)
    assert "&lt;b&gt;bold&lt;/b&gt;" in banner(client)


def test_editing_the_banner_text_changes_the_published_hash(categories):
    policy = CookiePolicy.current()
    before = serving.current("en")
    policy.banner_message = "Something else."
    policy.save()
    after = serving.snapshot(publishing.publish(policy).number, "en")
    assert after.hash != before.hash
    assert "Something else." in after.banner["ask:opt-in"]
    assert "Something else." not in before.banner["ask:opt-in"]


def test_the_banner_is_edited_in_the_policy_admin(admin_client):
    policy = CookiePolicyFactory(is_current=False)
    html = admin_client.get(
        reverse("admin:cookieconsent_cookiepolicy_change", args=[policy.pk])
    ).content.decode()
    assert 'name="banner_title"' in html and 'name="banner_message"' in html
    assert "Empty: “Cookie consent”" in html


# -- not on the preferences page --------------------------------------------------------------


def banner_on(rf, path: str) -> str:
    """The banner tag as a layout renders it on the page at ``path``."""
    request = rf.get(path)
    request.resolver_match = resolve(path)
    return Template("{% load cookieconsent %}{% cookieconsent_banner %}").render(
        Context({"request": request})
    )


def test_no_banner_on_the_preferences_page(rf, categories):
    assert banner_on(rf, reverse("cookieconsent:preferences")) == ""
    # The undecided visitor still gets it everywhere else, the policy page included.
    assert 'id="cookieconsent-banner"' in banner_on(rf, reverse("cookieconsent:policy"))
    assert 'id="cookieconsent-banner"' in banner_on(rf, "/t/")
