"""The app's admin on a site's own ``AdminSite`` (``admin.AdminSite(name="staff")`` at
/staff/): every page answers, and every link and redirect the app makes leads to the site the
user is on, whether the default ``admin`` site has the app's pages too (``both``) or not
(``staff-only``, where a link to /admin/ could not even be made)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.http import HttpResponse
from django.test import Client

from cookieconsent.admin import records
from cookieconsent.models import (
    ConsentRecord,
    Cookie,
    CookieCategory,
    CookiePolicy,
    PublishedVersion,
    UndeclaredCookie,
)
from cookieconsent.proof.receipt import NotAsWritten
from tests.admin.staff_site_urls import APP_ADMINS
from tests.factories import ConsentRecordFactory, CookiePolicyFactory
from tests.helpers import publish_draft, unpublish_everything

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("categories", "urlconf")]

#: The app's pages on the staff site.
STAFF = "/staff/cookieconsent/"
_LINK = re.compile(r'\b(?:href|action|src)="([^"]*)"')


@pytest.fixture(
    params=["tests.admin.staff_site_urls", "tests.admin.both_sites_urls"],
    ids=["staff-only", "both"],
)
def urlconf(request: pytest.FixtureRequest, settings: Any) -> str:
    settings.ROOT_URLCONF = request.param
    return str(request.param)


def test_the_staff_site_has_every_page_of_the_app():
    """The app's admin classes, imported one by one: as many as the app registers."""
    app = apps.get_app_config("cookieconsent").get_models()
    assert set(APP_ADMINS) == {model for model in app if admin.site.is_registered(model)}
    for model, model_admin in APP_ADMINS.items():
        assert type(admin.site.get_model_admin(model)) is model_admin


def policy() -> CookiePolicy:
    current = CookiePolicy.current()
    assert current is not None
    return current


def version(number: int) -> PublishedVersion:
    return PublishedVersion.objects.get(number=number)


def reword() -> None:
    """A change to the draft: the app's pages then say there is something to publish."""
    draft = policy()
    draft.introduction += " Reworded."
    draft.save()


def links(response: HttpResponse) -> list[str]:
    """Every URL the page links to, submits to or loads."""
    return [unescape(url) for url in _LINK.findall(response.content.decode())]


def on_staff(client: Client, url: str, data: dict[str, object] | None = None) -> list[str]:
    """The page at ``url`` (posted ``data`` if given): answered, and with no link to the
    default admin site; its links."""
    response = client.get(url) if data is None else client.post(url, data)
    assert response.status_code == 200, url
    found = links(response)
    assert [link for link in found if link.startswith("/admin/")] == [], url
    return found


def the_pages() -> list[str]:
    """A page of every kind the app's admin has."""
    pk = policy().pk
    record = ConsentRecordFactory(published_version=version(1), language="en")
    return [
        STAFF,
        *(
            f"{STAFF}{model._meta.model_name}/"
            for model in (CookiePolicy, CookieCategory, Cookie, PublishedVersion, ConsentRecord)
        ),
        f"{STAFF}dailydecisions/",
        f"{STAFF}undeclaredcookie/",
        f"{STAFF}cookiepolicy/add/",
        f"{STAFF}cookiecategory/add/",
        f"{STAFF}cookie/add/",
        f"{STAFF}cookiepolicy/{pk}/change/",
        f"{STAFF}cookiepolicy/{pk}/publish/",
        f"{STAFF}publishedversion/{version(1).pk}/change/",
        f"{STAFF}publishedversion/diff/?old=1&new=draft",
        f"{STAFF}consentrecord/{record.pk}/change/",
        f"{STAFF}cookiecategory/{CookieCategory.objects.get(slug='analytics').pk}/change/",
    ]


def test_every_page_of_the_app_answers_and_links_within_its_site(staff):
    """The reproduction: on the staff-only site, each page was a 500 (``NoReverseMatch`` for
    ``cookieconsent_cookiepolicy_publish``), the notice of unpublished changes being made on
    every page."""
    reword()
    for url in the_pages():
        on_staff(staff, url)


def test_with_nothing_published_every_page_answers(staff):
    unpublish_everything()
    for url in (STAFF, f"{STAFF}cookiepolicy/", f"{STAFF}cookiepolicy/{policy().pk}/change/"):
        assert f"{STAFF}cookiepolicy/{policy().pk}/publish/" in on_staff(staff, url)


@pytest.mark.parametrize(
    "url",
    [
        "",  # the app's index: its template asks for the notice
        "cookiepolicy/",  # a list, add or change page (PublishReminderMixin)
        "cookie/add/",
        "cookiepolicy/{policy}/change/",
        "dailydecisions/",  # the Statistics page asks for it itself
        "publishedversion/{version}/change/",  # as does a published version's page
    ],
    ids=["index", "list", "add", "change", "statistics", "version"],
)
def test_the_notice_of_unpublished_changes_leads_to_publish_on_this_site(staff, url):
    reword()
    url = STAFF + url.format(policy=policy().pk, version=version(1).pk)
    assert f"{STAFF}cookiepolicy/{policy().pk}/publish/" in on_staff(staff, url)


def test_the_notice_leads_view_only_staff_to_the_changes_on_this_site(viewer):
    reword()
    assert f"{STAFF}publishedversion/diff/?old=1&new=draft" in on_staff(viewer, STAFF)


def test_publishing_leads_to_the_new_version_on_this_site(staff):
    reword()
    url = f"{STAFF}cookiepolicy/{policy().pk}/publish/"
    response = staff.post(url, {"last_updated": "2026-08-01"})
    assert response.status_code == 302
    assert response["Location"] == f"{STAFF}publishedversion/{version(2).pk}/change/"
    on_staff(staff, response["Location"])


def test_publishing_a_policy_that_is_not_current_leads_back_to_it_on_this_site(staff):
    other = CookiePolicyFactory(title="Old policy", is_current=False)
    response = staff.get(f"{STAFF}cookiepolicy/{other.pk}/publish/")
    assert response.status_code == 302
    assert response["Location"] == f"{STAFF}cookiepolicy/{other.pk}/change/"


def test_the_versions_link_to_their_changes_on_this_site(staff):
    reword()
    publish_draft()
    assert f"{STAFF}publishedversion/diff/?old=1&new=2" in on_staff(
        staff, f"{STAFF}publishedversion/"
    )
    page = on_staff(staff, f"{STAFF}publishedversion/{version(2).pk}/change/")
    assert f"{STAFF}publishedversion/diff/" in page  # "Compare with version"
    on_staff(staff, f"{STAFF}publishedversion/diff/?old=1&new=2")


def test_a_records_links_stay_on_this_site(staff):
    record = ConsentRecordFactory(published_version=version(1), language="en")
    page = on_staff(staff, f"{STAFF}consentrecord/{record.pk}/change/")
    saw = f"{STAFF}publishedversion/{version(1).pk}/change/?language=en&regime=opt-in"
    assert saw in page
    assert f"{STAFF}consentrecord/{record.pk}/receipt/" in page
    on_staff(staff, saw)


def test_a_receipt_that_cannot_be_given_leads_back_to_the_record_on_this_site(staff, monkeypatch):
    def not_as_written(record: ConsentRecord) -> dict[str, object]:
        raise NotAsWritten

    monkeypatch.setattr(records, "receipt", not_as_written)
    record = ConsentRecordFactory()
    response = staff.get(f"{STAFF}consentrecord/{record.pk}/receipt/")
    assert response.status_code == 302
    assert response["Location"] == f"{STAFF}consentrecord/{record.pk}/change/"


def test_the_declare_page_offers_to_add_a_category_on_this_site(staff):
    found = UndeclaredCookie.objects.create(name="keepme", source="response", example_path="/x/")
    Cookie.objects.all().delete()
    CookieCategory.objects.all().delete()
    page = on_staff(
        staff, f"{STAFF}undeclaredcookie/", {"action": "declare", "_selected_action": [found.pk]}
    )
    assert f"{STAFF}cookiecategory/add/" in page


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("cookiepolicy/{policy}/publish/", None),
        ("publishedversion/{version}/change/", None),
        ("publishedversion/diff/?old=1&new=draft", None),
        ("dailydecisions/", None),
        ("undeclaredcookie/", {"action": "declare"}),
    ],
    ids=["publish", "version", "diff", "statistics", "declare"],
)
def test_the_apps_own_pages_tell_their_templates_the_site(staff, url, data):
    """As Django's own admin views do (``request.current_app``): ``{% url 'admin:...' %}``
    in their templates then names this site whatever the request's resolver says."""
    reword()
    if data is not None:
        found = UndeclaredCookie.objects.create(name="x", source="response", example_path="/")
        data = {**data, "_selected_action": [found.pk]}
    url = STAFF + url.format(policy=policy().pk, version=version(1).pk)
    response = staff.get(url) if data is None else staff.post(url, data)
    assert response.status_code == 200
    assert response.wsgi_request.current_app == "staff"
