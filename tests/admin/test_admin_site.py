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

from cookieconsent.models import CookiePolicy, PublishedVersion
from tests.admin.staff_site_urls import APP_ADMINS
from tests.helpers import unpublish_everything

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
