"""Declarations that would hand cookies to the wrong category are refused, in ``full_clean()``
and in the admin: broad patterns in a strictly necessary category, and the site's own
necessary cookies in an optional one."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.test import override_settings

from cookieconsent.models import Cookie, Technology
from cookieconsent.models.cookies import check_declaration
from tests.factories import CookieCategoryFactory, UserFactory
from tests.helpers import admin_url as url
from tests.helpers import category_form, cookie_form

pytestmark = pytest.mark.django_db


def staff_with(client, *codenames: str) -> None:
    """Signs ``client`` in as staff with only these permissions."""
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)


TOO_BROAD = "is too broad for a strictly necessary category"
NECESSARY = "cannot be declared in an optional category"


@pytest.mark.parametrize("name", ["_*", "*", "s*", "*id", "_g*", "*_session", "_gat*", "__ut*"])
def test_broad_patterns_are_refused_in_a_required_category(name):
    category = CookieCategoryFactory(required=True)
    with pytest.raises(ValidationError) as info:
        Cookie(category=category, name=name).full_clean()
    assert any(TOO_BROAD in m for m in info.value.messages), info.value.messages


def test_the_message_names_what_the_pattern_would_swallow():
    with pytest.raises(ValidationError) as info:
        check_declaration("_g*", required=True)
    assert "_ga" in info.value.messages[0]
    assert "at least 4 literal characters" in info.value.messages[0]


@pytest.mark.parametrize("name", ["sessionid_*", "femstd_*", "csrf_*_token", "exact_name"])
def test_narrow_patterns_and_names_are_accepted_in_a_required_category(name):
    Cookie(category=CookieCategoryFactory(required=True), name=name).full_clean()


@pytest.mark.parametrize("name", ["_*", "s*", "_gid_*"])
def test_broad_patterns_are_fine_in_an_optional_category(name):
    Cookie(category=CookieCategoryFactory(required=False), name=name).full_clean()


def test_local_storage_keys_are_not_cookie_patterns():
    category = CookieCategoryFactory(required=True)
    Cookie(category=category, name="app_*", technology=Technology.LOCAL_STORAGE).full_clean()


@pytest.mark.parametrize(
    "name", ["cookieconsent", "femstd", "csrftoken", "django_language", "messages", "csrf*"]
)
def test_necessary_cookies_are_refused_in_an_optional_category(name):
    category = CookieCategoryFactory(required=False)
    with pytest.raises(ValidationError) as info:
        Cookie(category=category, name=name).full_clean()
    assert any(NECESSARY in m for m in info.value.messages), info.value.messages


@override_settings(COOKIECONSENT={"COOKIE_NAME": "cc_choice"}, CSRF_COOKIE_NAME="xsrf")
def test_the_names_follow_the_settings():
    category = CookieCategoryFactory(required=False)
    for name in ("cc_choice", "xsrf"):
        with pytest.raises(ValidationError):
            Cookie(category=category, name=name).full_clean()
    Cookie(category=category, name="csrftoken").clean()  # no longer Django's name


def test_necessary_cookies_are_accepted_in_a_required_category():
    Cookie(category=CookieCategoryFactory(required=True), name="csrftoken_2").full_clean()


def test_cookie_admin_refuses_with_the_message(staff):
    category = CookieCategoryFactory(required=True)
    response = staff.post(url("cookie", "add"), cookie_form(category, name="_*"))
    assert response.status_code == 200
    assert TOO_BROAD in response.content.decode()
    assert not Cookie.objects.filter(name="_*").exists()


def test_category_page_refuses_a_broad_pattern_in_its_inline(staff):
    data = category_form(slug="dec-need", name="Need", required="on", rows=[{"name": "x*"}])
    response = staff.post(url("cookiecategory", "add"), data)
    assert response.status_code == 200
    assert TOO_BROAD in response.content.decode()


def test_making_a_category_required_checks_its_cookies(staff):
    category = CookieCategoryFactory(slug="dec-opt", required=False)
    Cookie.objects.create(category=category, name="ab*")
    response = staff.post(
        url("cookiecategory", "change", category.pk), category_form(category, required="on")
    )
    assert response.status_code == 200
    assert TOO_BROAD in response.content.decode()
    category.refresh_from_db()
    assert not category.required


def test_category_page_refuses_the_consent_cookie_in_an_optional_category(staff):
    data = category_form(slug="dec-ads", name="Ads", rows=[{"name": "cookieconsent"}])
    response = staff.post(url("cookiecategory", "add"), data)
    assert response.status_code == 200
    assert NECESSARY in response.content.decode()


def test_a_cookie_by_category_id_is_checked_against_the_stored_category():
    category = CookieCategoryFactory(required=True)
    with pytest.raises(ValidationError):
        Cookie(category_id=category.pk, name="_*").clean()


@pytest.mark.parametrize("inline", ["none", "view-only"])
def test_a_category_made_required_without_the_cookie_inline_is_still_checked(client, inline):
    """Staff who may change categories but not cookies get no inline (or a read-only one),
    so nothing checked the cookies: a category holding ``_hjSessionUser_*`` became strictly
    necessary, and Hotjar's cookies went out without consent."""
    category = CookieCategoryFactory(slug="dec-stats", required=False)
    Cookie.objects.create(category=category, name="_hjSessionUser_*")
    codenames = ["view_cookiecategory", "change_cookiecategory"]
    if inline == "view-only":
        codenames.append("view_cookie")
    staff_with(client, *codenames)
    data = category_form(category, required="on")
    if inline == "view-only":  # the read-only inline's management form, as the page has it
        data.update(
            {
                "cookies-TOTAL_FORMS": 1,
                "cookies-INITIAL_FORMS": 1,
                "cookies-MIN_NUM_FORMS": 0,
                "cookies-MAX_NUM_FORMS": 1000,
            }
        )
    response = client.post(url("cookiecategory", "change", category.pk), data)
    assert response.status_code == 200
    assert TOO_BROAD in response.content.decode()
    category.refresh_from_db()
    assert not category.required


def test_a_necessary_category_holding_django_cookies_stays_necessary(client):
    category = CookieCategoryFactory(slug="dec-need", required=True)
    Cookie.objects.create(category=category, name="csrftoken")
    with pytest.raises(ValidationError) as info:
        category.check_saved_cookies(required=False)
    assert any(NECESSARY in m for m in info.value.messages)
    staff_with(client, "view_cookiecategory", "change_cookiecategory")
    data = category_form(category)
    del data["required"]
    response = client.post(url("cookiecategory", "change", category.pk), data)
    assert response.status_code == 200
    assert NECESSARY in response.content.decode()
    category.refresh_from_db()
    assert category.required


@pytest.mark.parametrize("fix", ["rename", "delete"])
def test_a_save_that_fixes_its_cookies_while_changing_the_flag_is_taken(staff, fix):
    """The inline's rows are what will be saved: a category made strictly necessary while its
    broad pattern is renamed (or deleted) in the same save is fine; a check of the saved
    cookies refused it."""
    category = CookieCategoryFactory(slug="dec-fix", required=False)
    Cookie.objects.create(category=category, name="_hjSessionUser_*")
    data = category_form(category, required="on")
    if fix == "rename":
        data["cookies-0-name"] = "sessionid_x"
    else:
        data["cookies-0-DELETE"] = "on"
    response = staff.post(url("cookiecategory", "change", category.pk), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    category.refresh_from_db()
    assert category.required
    assert not Cookie.objects.filter(name="_hjSessionUser_*").exists()
