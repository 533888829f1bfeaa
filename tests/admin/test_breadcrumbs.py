"""The app's own admin pages (Publish, a version, the diff, Statistics, Declare) write their
breadcrumbs as the admin of the installed Django writes its own: ``<div class="breadcrumbs">``
with ``&rsaquo;`` between the links up to Django 5.2, an ``<ol class="breadcrumbs">`` of
``<li>`` from Django 6.0, whose stylesheet styles nothing else (the trail was plain text at the
top left of the page)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from cookieconsent.models import CookieCategory, CookiePolicy, PublishedVersion, UndeclaredCookie

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("categories")]

_TRAIL = re.compile(r'<(ol|div) class="breadcrumbs">(.*?)</\1>', re.DOTALL)


def trail(html: str) -> tuple[str, list[str]]:
    """The breadcrumbs' element and the text of each crumb."""
    match = _TRAIL.search(html)
    assert match is not None, "no breadcrumbs"
    element, inner = match.groups()
    if element == "ol":
        crumbs = re.findall(r"<li[^>]*>(.*?)</li>", inner, re.DOTALL)
    else:
        crumbs = inner.split("&rsaquo;")
    return element, [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in crumbs]


def djangos_own(staff: Client) -> str:
    """The element Django's own change form puts its breadcrumbs in."""
    category = CookieCategory.objects.first()
    assert category is not None
    url = reverse("admin:cookieconsent_cookiecategory_change", args=[category.pk])
    element, crumbs = trail(staff.get(url).content.decode())
    assert crumbs[0] == "Home"
    return element


def page(staff: Client, name: str) -> str:
    policy = CookiePolicy.current()
    assert policy is not None
    if name == "declare":
        found = UndeclaredCookie.objects.create(name="x", source="response", example_path="/")
        url = reverse("admin:cookieconsent_undeclaredcookie_changelist")
        response = staff.post(url, {"action": "declare", "_selected_action": [found.pk]})
    else:
        url = {
            "publish": reverse("admin:cookieconsent_cookiepolicy_publish", args=[policy.pk]),
            "version": reverse(
                "admin:cookieconsent_publishedversion_change",
                args=[PublishedVersion.objects.get(number=1).pk],
            ),
            "diff": reverse("admin:cookieconsent_publishedversion_diff") + "?old=1&new=draft",
            "statistics": reverse("admin:cookieconsent_dailydecisions_changelist"),
        }[name]
        response = staff.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("name", "last"),
    [
        ("publish", "Publish"),
        ("version", "Version 1 of"),
        ("diff", "Unpublished changes: the draft compared with version 1"),
        ("statistics", "Consent statistics"),
        ("declare", "Declare undeclared cookies"),
    ],
)
def test_the_apps_pages_write_breadcrumbs_as_the_admin_does(staff, name, last):
    html = page(staff, name)
    element, crumbs = trail(html)
    assert element == djangos_own(staff)
    assert crumbs[:2] == ["Home", "Cookie consent"]
    assert crumbs[-1].startswith(last), crumbs
    if element == "ol":  # the page the user is on is said to be, as Django's own
        assert re.search(r'<li aria-current="page">[^<]*</li>\s*</ol>', html)
