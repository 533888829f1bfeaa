"""The admin, through the client as a staff user: policies and their sections, categories and
their cookies, and consent records that can be read but never changed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from cookieconsent.models import (
    ConsentRecord,
    Cookie,
    CookieCategory,
    CookiePolicy,
    PolicySection,
    RegionRule,
    Technology,
)
from tests.factories import (
    ConsentRecordFactory,
    CookieCategoryFactory,
    CookieFactory,
    CookiePolicyFactory,
    PolicySectionFactory,
)
from tests.helpers import admin_url as url
from tests.helpers import category_form, cookie_form, policy_form

pytestmark = pytest.mark.django_db

DUPLICATE = "This name is already declared; a cookie can belong to one category only."
BAD_NAME = "is not a valid cookie name or pattern"
BAD_PATTERN = "is not a usable pattern"
#: The first error of each of a form's error lists.
ERRORS = re.compile(r'<ul class="errorlist[^"]*"[^>]*><li>(.*?)</li>')


# -- every page loads -----------------------------------------------------------------------


@pytest.mark.parametrize("model", ["cookiepolicy", "cookiecategory", "cookie", "consentrecord"])
def test_changelists_load(staff, model):
    assert staff.get(url(model, "changelist")).status_code == 200


LISTS = [
    "cookiepolicy",
    "cookiecategory",
    "cookie",
    "publishedversion",
    "consentrecord",
    "undeclaredcookie",
]


@pytest.mark.usefixtures("categories")
@pytest.mark.parametrize("model", LISTS)
@pytest.mark.parametrize("query", ["name=%00", "action=a%00b", "%00=1", "q=%00"])
def test_a_nul_in_a_lists_address_is_a_bad_request(staff, model, query):
    """Django's admin makes unknown parameters lookups, and PostgreSQL cannot compare text
    holding a NUL: a 400 that says so, not a server error (CI runs this on PostgreSQL too)."""
    response = staff.get(f"{url(model, 'changelist')}?{query}")
    assert response.status_code == 400
    assert staff.get(f"{url(model, 'changelist')}?name=a").status_code in (200, 302)


@pytest.mark.usefixtures("categories")
@pytest.mark.parametrize("query", ["q=alice%00", "action__exact=a%00", "user_pk=%00"])
def test_a_nul_in_an_exports_address_is_a_bad_request(staff, query):
    """The export takes the list's filters, so it refuses what the list refuses: Django's
    search form drops a search it cannot take, and the whole log went out instead."""
    ConsentRecordFactory(user_pk="alice")
    ConsentRecordFactory(user_pk="bob")
    export = f"{url('consentrecord', 'changelist')}export/"
    response = staff.get(f"{export}?format=csv&{query}")
    assert response.status_code == 400
    assert not getattr(response, "streaming", False)
    assert staff.get(f"{export}?format=csv&q=alice").status_code == 200


def test_a_nul_in_an_autocomplete_search_is_a_bad_request(staff, categories):
    """The cookie form's category widget searches the categories' admin (a server error on
    PostgreSQL)."""
    autocomplete = reverse("admin:autocomplete")
    query = {"app_label": "cookieconsent", "model_name": "cookie", "field_name": "category"}
    assert staff.get(autocomplete, {**query, "term": "a\x00"}).status_code == 400
    assert staff.get(autocomplete, {**query, "term": "ana"}).status_code == 200


@pytest.mark.parametrize("model", ["cookiepolicy", "cookiecategory", "cookie"])
def test_add_forms_load(staff, model):
    assert staff.get(url(model, "add")).status_code == 200


def test_change_forms_load(staff):
    policy = CookiePolicyFactory(is_current=False)
    cookie = CookieFactory()
    record = ConsentRecordFactory()
    for model, pk in [
        ("cookiepolicy", policy.pk),
        ("cookiecategory", cookie.category.pk),
        ("cookie", cookie.pk),
        ("consentrecord", record.pk),
    ]:
        assert staff.get(url(model, "change", pk)).status_code == 200


def test_the_admin_needs_staff(client):
    response = client.get(url("cookie", "changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# -- policies -------------------------------------------------------------------------------


def test_policy_form_shows_sections_in_order_and_versions_read_only(staff):
    policy = CookiePolicyFactory(is_current=False)
    PolicySectionFactory(policy=policy, order=2, heading="Zeta heading")
    PolicySectionFactory(policy=policy, order=1, heading="Alpha heading")
    html = staff.get(url("cookiepolicy", "change", policy.pk)).content.decode()
    assert html.index("Alpha heading") < html.index("Zeta heading")
    assert 'name="sections-0-show_cookie_table"' in html
    # Publishing sets the date: shown, not offered as an input.
    assert 'name="last_updated"' not in html
    assert "Latest published version" in html
    assert "View on site" in html


def test_view_on_site_goes_to_the_policy_page(staff):
    policy = CookiePolicyFactory(is_current=False)
    response = staff.get(url("cookiepolicy", "change", policy.pk))
    link = response.context["adminform"].form.instance.get_absolute_url()
    assert link == reverse("cookieconsent:policy")


def test_saving_a_policy_with_sections(staff):
    CookiePolicy.objects.update(is_current=False)
    data = {
        "title": "Our cookies",
        "introduction": "Hello.",
        "is_current": "on",
        "last_updated": "2026-02-03",
        "contact_organisation": "Example",
        "contact_address": "Somewhere",
        "contact_email": "hi@example.com",
        "sections-TOTAL_FORMS": 2,
        "region_rules-TOTAL_FORMS": 0,
        "region_rules-INITIAL_FORMS": 0,
        "sections-INITIAL_FORMS": 0,
        "sections-MIN_NUM_FORMS": 0,
        "sections-MAX_NUM_FORMS": 1000,
        "sections-0-order": 1,
        "sections-0-heading": "What",
        "sections-0-body": "Text.",
        "sections-1-order": 2,
        "sections-1-heading": "Which",
        "sections-1-body": "",
        "sections-1-show_cookie_table": "on",
    }
    response = staff.post(url("cookiepolicy", "add"), data)
    assert response.status_code == 302, response.content.decode()
    policy = CookiePolicy.current()
    assert policy is not None and policy.title == "Our cookies"
    assert [(s.heading, s.show_cookie_table) for s in policy.sections.all()] == [
        ("What", False),
        ("Which", True),
    ]


def test_a_second_current_policy_is_refused(staff):
    if CookiePolicy.current() is None:
        CookiePolicyFactory()
    data = {
        "title": "Another",
        "is_current": "on",
        "last_updated": "2026-02-03",
        "sections-TOTAL_FORMS": 0,
        "region_rules-TOTAL_FORMS": 0,
        "region_rules-INITIAL_FORMS": 0,
        "sections-INITIAL_FORMS": 0,
        "sections-MIN_NUM_FORMS": 0,
        "sections-MAX_NUM_FORMS": 1000,
    }
    response = staff.post(url("cookiepolicy", "add"), data)
    assert response.status_code == 200
    assert "Only one cookie policy can be current." in response.content.decode()
    assert not CookiePolicy.objects.filter(title="Another").exists()


def test_policy_sections_are_editable_inline(staff):
    policy = CookiePolicyFactory(is_current=False)
    section = PolicySectionFactory(policy=policy, heading="Before", order=1)
    data = {
        "title": policy.title,
        "introduction": "",
        "last_updated": str(policy.last_updated),
        "contact_organisation": "",
        "contact_address": "",
        "contact_email": "",
        "sections-TOTAL_FORMS": 1,
        "region_rules-TOTAL_FORMS": 0,
        "region_rules-INITIAL_FORMS": 0,
        "sections-INITIAL_FORMS": 1,
        "sections-MIN_NUM_FORMS": 0,
        "sections-MAX_NUM_FORMS": 1000,
        "sections-0-id": section.pk,
        "sections-0-policy": policy.pk,
        "sections-0-order": 1,
        "sections-0-heading": "After",
        "sections-0-body": "Body.",
        "sections-0-show_cookie_table": "on",
    }
    response = staff.post(url("cookiepolicy", "change", policy.pk), data)
    assert response.status_code == 302, response.content.decode()
    section = PolicySection.objects.get(pk=section.pk)
    assert (section.heading, section.show_cookie_table) == ("After", True)


def test_policy_search(staff):
    CookiePolicyFactory(is_current=False, title="Findable policy")
    CookiePolicyFactory(is_current=False, title="Hidden policy")
    html = staff.get(url("cookiepolicy", "changelist"), {"q": "findable"}).content.decode()
    assert "Findable policy" in html
    assert "Hidden policy" not in html


# -- categories and cookies -----------------------------------------------------------------


def test_adding_a_category_with_an_inline_cookie(staff):
    data = category_form(
        slug="adm-marketing",
        name="Marketing",
        purpose="Ads.",
        rows=[
            {
                "name": "_mk_*",
                "purpose": "Counts ad clicks.",
                "party": "third",
                "provider": "AdCo",
                "lifetime": "90 00:00:00",
                "http_only": "on",
            }
        ],
    )
    response = staff.post(url("cookiecategory", "add"), data)
    assert response.status_code == 302, response.content.decode()
    category = CookieCategory.objects.get(slug="adm-marketing")
    cookie = category.cookies.get()
    assert (cookie.name, cookie.party, cookie.provider) == ("_mk_*", "third", "AdCo")
    assert cookie.lifetime == timedelta(days=90)
    assert cookie.http_only


def test_editing_a_category_keeps_and_changes_its_cookies(staff):
    cookie = CookieFactory(name="adm_keep", purpose="Old purpose.")
    category = cookie.category
    data = category_form(category, purpose="New category purpose.")
    data["cookies-0-purpose"] = "New cookie purpose."
    response = staff.post(url("cookiecategory", "change", category.pk), data)
    assert response.status_code == 302, response.content.decode()
    category.refresh_from_db()
    cookie.refresh_from_db()
    assert category.purpose == "New category purpose."
    assert cookie.purpose == "New cookie purpose."


def test_category_form_prepopulates_the_slug(staff):
    html = staff.get(url("cookiecategory", "add")).content.decode().replace("&quot;", '"')
    assert '"id": "#id_slug", "name": "slug", "dependency_ids": ["#id_name"]' in html


def test_category_list_filter_and_search(staff):
    CookieCategoryFactory(slug="adm-req", name="Required one", required=True)
    CookieCategoryFactory(slug="adm-opt", name="Optional one", required=False)
    html = staff.get(url("cookiecategory", "changelist"), {"required__exact": "1"}).content
    assert b"Required one" in html and b"Optional one" not in html
    html = staff.get(url("cookiecategory", "changelist"), {"q": "optional"}).content
    assert b"Optional one" in html and b"Required one" not in html


def test_cookie_changelist_columns_filter_and_search(staff):
    CookieFactory(
        name="adm_findme",
        technology=Technology.LOCAL_STORAGE,
        party="third",
        provider="Provider Inc",
        lifetime=timedelta(days=365),
    )
    CookieFactory(name="adm_other")
    CookieFactory(name="adm_findme_too", lifetime=timedelta(minutes=90))
    html = staff.get(url("cookie", "changelist"), {"q": "findme"}).content.decode()
    assert "adm_findme" in html and "adm_other" not in html
    for text in ["Local storage", "Third-party", "Provider Inc", "1 year", "90 minutes"]:
        assert text in html
    html = staff.get(
        url("cookie", "changelist"), {"technology__exact": Technology.LOCAL_STORAGE}
    ).content.decode()
    assert "adm_findme" in html and "adm_other" not in html


def test_inline_duplicate_of_a_cookie_in_another_category_is_refused(staff):
    CookieFactory(name="adm_taken", category=CookieCategoryFactory(slug="adm-first"))
    data = category_form(slug="adm-second", name="Second", rows=[{"name": "adm_taken"}])
    response = staff.post(url("cookiecategory", "add"), data)
    assert response.status_code == 200
    assert DUPLICATE in response.content.decode()
    assert not CookieCategory.objects.filter(slug="adm-second").exists()
    assert Cookie.objects.filter(name="adm_taken").count() == 1


def test_two_duplicate_rows_in_one_form_are_refused(staff):
    data = category_form(
        slug="adm-twice", name="Twice", rows=[{"name": "adm_twice"}, {"name": "adm_twice"}]
    )
    response = staff.post(url("cookiecategory", "add"), data)
    assert response.status_code == 200
    assert DUPLICATE in response.content.decode()
    assert not Cookie.objects.filter(name="adm_twice").exists()


def test_a_new_row_duplicating_a_saved_cookie_of_the_same_category_is_refused(staff):
    cookie = CookieFactory(name="adm_mine")
    data = category_form(cookie.category, rows=[{"name": "adm_mine"}])
    response = staff.post(url("cookiecategory", "change", cookie.category.pk), data)
    assert response.status_code == 200
    assert DUPLICATE in response.content.decode()
    assert Cookie.objects.filter(name="adm_mine").count() == 1


def test_the_same_name_with_another_technology_is_accepted(staff):
    data = category_form(
        slug="adm-both",
        name="Both",
        rows=[
            {"name": "adm_both"},
            {"name": "adm_both", "technology": Technology.LOCAL_STORAGE},
        ],
    )
    response = staff.post(url("cookiecategory", "add"), data)
    assert response.status_code == 302, response.content.decode()
    assert Cookie.objects.filter(name="adm_both").count() == 2


def test_cookie_admin_refuses_a_duplicate(staff):
    CookieFactory(name="adm_single")
    data = cookie_form(CookieCategoryFactory(), name="adm_single")
    response = staff.post(url("cookie", "add"), data)
    assert response.status_code == 200
    assert DUPLICATE in response.content.decode()
    assert Cookie.objects.filter(name="adm_single").count() == 1


def test_cookie_admin_saves_a_cookie(staff):
    category = CookieCategoryFactory()
    response = staff.post(url("cookie", "add"), cookie_form(category, name="adm_new"))
    assert response.status_code == 302, response.content.decode()
    assert Cookie.objects.get(name="adm_new").category == category


def test_the_cookie_forms_keep_a_storage_keys_spaces_and_strip_a_cookies(staff):
    """A storage key may have spaces around it (the inbox's Declare keeps them); saved from
    either admin form it lost them, and stopped matching the key the site stores. A cookie's
    name never has them: browsers drop them."""
    key = CookieFactory(name=" theme ", technology=Technology.LOCAL_STORAGE, purpose="Old.")
    category = key.category
    data = category_form(category, rows=[{"name": " tracker ", "lifetime": "1 year"}])
    data["cookies-0-purpose"] = "Via the category."
    response = staff.post(url("cookiecategory", "change", category.pk), data)
    assert response.status_code == 302, response.content.decode()
    key.refresh_from_db()
    assert (key.name, key.purpose) == (" theme ", "Via the category.")
    assert category.cookies.filter(name="tracker").exists()
    form = cookie_form(category, name=" theme ", technology=Technology.LOCAL_STORAGE)
    response = staff.post(url("cookie", "change", key.pk), {**form, "purpose": "Alone."})
    assert response.status_code == 302, response.content.decode()
    key.refresh_from_db()
    assert (key.name, key.purpose) == (" theme ", "Alone.")
    response = staff.post(url("cookie", "add"), cookie_form(category, name="  adm_spaced "))
    assert response.status_code == 302, response.content.decode()
    assert Cookie.objects.filter(name="adm_spaced").exists()


@pytest.mark.parametrize("category", ["abc", "\x00", "99999999999999999999999", "-1", "1.5"])
def test_a_category_that_is_no_key_is_a_form_error(staff, category):
    """Django's autocomplete widget would look it up to show it, and fail."""
    form = {**cookie_form(CookieCategoryFactory(), name="adm_bad"), "category": category}
    response = staff.post(url("cookie", "add"), form)
    assert response.status_code == 200
    errors = re.findall(
        r'<ul class="errorlist[^"]*"[^>]*><li>(.*?)</li>', response.content.decode()
    )
    assert errors and errors[0].startswith(("Select a valid choice", "Null characters")), errors
    assert not Cookie.objects.filter(name="adm_bad").exists()


@pytest.mark.parametrize(
    ("name", "message"), [("**", BAD_PATTERN), ("*", BAD_PATTERN), ("a b", BAD_NAME)]
)
def test_cookie_admin_refuses_a_bad_pattern(staff, name, message):
    response = staff.post(url("cookie", "add"), cookie_form(CookieCategoryFactory(), name=name))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Cookie.objects.filter(name=name).exists()


@pytest.mark.parametrize(
    ("name", "message"), [("**", BAD_PATTERN), ("*", BAD_PATTERN), ("a b", BAD_NAME)]
)
def test_inline_refuses_a_bad_pattern(staff, name, message):
    data = category_form(slug="adm-bad", name="Bad", rows=[{"name": name}])
    response = staff.post(url("cookiecategory", "add"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CookieCategory.objects.filter(slug="adm-bad").exists()


# -- consent records ------------------------------------------------------------------------


def test_records_can_be_listed_searched_and_filtered(staff):
    mine = ConsentRecordFactory(action="accept_all", policy_version=7, granted=["analytics"])
    other = ConsentRecordFactory(policy_version=8)
    html = staff.get(url("consentrecord", "changelist"), {"q": str(mine.consent_id)}).content
    assert str(mine.consent_id).encode() in html
    assert str(other.consent_id).encode() not in html
    html = staff.get(url("consentrecord", "changelist"), {"policy_version__exact": "8"}).content
    assert str(other.consent_id).encode() in html
    assert str(mine.consent_id).encode() not in html
    html = staff.get(url("consentrecord", "changelist"), {"action__exact": "accept_all"}).content
    assert str(mine.consent_id).encode() in html
    assert str(other.consent_id).encode() not in html


@pytest.mark.parametrize(
    "user_pk",
    [
        "5e14a3f0-7c1d-4b7e-9a35-1f0c2d3e4b5a",  # a UUID primary key: no consent ID
        "maria.fernanda.oliveira-santos@postgraduate.engineering.university-example.ac.za",
    ],
    ids=["uuid", "long-email"],
)
def test_staff_find_a_users_records_whatever_their_primary_key(staff, user_pk):
    """A user ID shaped like a UUID was taken for a consent ID only (none found), and one over
    64 characters did not fit the column (every consent POST by that user failed on
    PostgreSQL) nor the search."""
    theirs = [ConsentRecordFactory(user_pk=user_pk) for _ in range(2)]
    other = ConsentRecordFactory(user_pk="someone-else")
    response = staff.get(url("consentrecord", "changelist"), {"q": user_pk})
    assert response.context["cl"].result_count == 2
    html = response.content.decode()
    assert all(str(r.consent_id) in html for r in theirs)
    assert str(other.consent_id) not in html


def test_records_have_a_date_hierarchy_and_no_actions(staff):
    ConsentRecordFactory()
    html = staff.get(url("consentrecord", "changelist")).content.decode()
    assert "?created_at__year=" in html
    assert "delete_selected" not in html
    assert 'name="action"' not in html


def test_a_record_is_shown_read_only(staff):
    record = ConsentRecordFactory(granted=["analytics"])
    html = staff.get(url("consentrecord", "change", record.pk)).content.decode()
    assert str(record.consent_id) in html
    assert 'name="_save"' not in html
    assert 'name="granted"' not in html


def test_records_cannot_be_added_changed_or_deleted(staff):
    record = ConsentRecordFactory()
    assert staff.get(url("consentrecord", "add")).status_code == 403
    assert staff.post(url("consentrecord", "add"), {"policy_version": 1}).status_code == 403
    response = staff.post(url("consentrecord", "change", record.pk), {"policy_version": 9})
    assert response.status_code == 403
    assert staff.get(url("consentrecord", "delete", record.pk)).status_code == 403
    assert staff.post(url("consentrecord", "delete", record.pk), {"post": "yes"}).status_code == 403
    response = staff.post(
        url("consentrecord", "changelist"),
        {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"},
    )
    assert response.status_code == 200
    assert ConsentRecord.objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize(
    ("saved", "rows"),
    [(["DE"], ["de"]), (["DE"], [" de "]), ([], ["de", "DE"])],
    ids=["clashes-with-a-saved-rule", "with-spaces", "two-new-rows"],
)
@pytest.mark.usefixtures("categories")
def test_a_region_written_in_another_case_is_the_same_region(staff, saved, rows):
    """A code is stored in capitals: “de” beside a rule for “DE” is the form's error (it was
    an IntegrityError: the uniqueness checks compared the code as typed)."""
    policy = CookiePolicy.current()
    kept = [RegionRule.objects.create(policy=policy, region=r, regime="opt-out") for r in saved]
    data = policy_form(policy)
    data.update({"region_rules-TOTAL_FORMS": len(kept) + len(rows)})
    data.update({"region_rules-INITIAL_FORMS": len(kept)})
    for i, rule in enumerate(kept):
        data.update(
            {
                f"region_rules-{i}-id": rule.pk,
                f"region_rules-{i}-policy": policy.pk,
                f"region_rules-{i}-region": rule.region,
                f"region_rules-{i}-regime": rule.regime,
            }
        )
    for i, region in enumerate(rows, start=len(kept)):
        data.update({f"region_rules-{i}-region": region, f"region_rules-{i}-regime": "notice"})
    response = staff.post(url("cookiepolicy", "change", policy.pk), data)
    assert response.status_code == 200
    assert "already has a regime" in response.content.decode() or (
        "Please correct the duplicate data for region" in response.content.decode()
    )
    assert sorted(policy.region_rules.values_list("region", flat=True)) == saved


def test_a_region_in_lower_case_is_stored_in_capitals(staff, categories):
    policy = CookiePolicy.current()
    data = policy_form(policy)
    data.update(
        {
            "region_rules-TOTAL_FORMS": 1,
            "region_rules-0-region": " us-ca ",
            "region_rules-0-regime": "opt-out",
        }
    )
    response = staff.post(url("cookiepolicy", "change", policy.pk), data)
    assert response.status_code == 302
    assert list(policy.region_rules.values_list("region", flat=True)) == ["US-CA"]


def test_a_lifetime_too_long_is_the_forms_error(staff, categories):
    form = cookie_form(categories["analytics"], name="bigone", lifetime="3000000 years")
    response = staff.post(url("cookie", "add"), form)
    assert response.status_code == 200
    assert "A lifetime can be at most 100 years." in response.content.decode()
    assert not Cookie.objects.filter(name="bigone").exists()
