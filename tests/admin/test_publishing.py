"""Publishing in the admin: the “Publish…” page and its permission, the published versions,
their diff, and from a consent record what that visitor saw."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cookieconsent import publishing
from cookieconsent.models import ConsentRecord, CookiePolicy, PublishedVersion
from tests.factories import (
    ConsentRecordFactory,
    CookieFactory,
    CookiePolicyFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("categories")]


def policy() -> CookiePolicy:
    current = CookiePolicy.current()
    assert current is not None
    return current


def reword() -> None:
    """A change to the draft, so that there is something to publish."""
    draft = policy()
    draft.introduction += " Reworded."
    draft.save()


def publish_url(pk: int) -> str:
    return reverse("admin:cookieconsent_cookiepolicy_publish", args=[pk])


def test_the_change_form_offers_publish(staff):
    html = staff.get(reverse("admin:cookieconsent_cookiepolicy_change", args=[policy().pk])).content
    assert publish_url(policy().pk).encode() in html
    assert b"Publish\xe2\x80\xa6" in html


def test_the_publish_page_previews_the_draft(staff):
    draft = policy()
    draft.introduction = "Words only in the draft."
    draft.save()
    response = staff.get(publish_url(draft.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert "version 2" in html
    assert 'name="last_updated"' in html and 'name="reconsent"' in html
    assert "Words only in the draft." in unescape(html)  # inside the preview's srcdoc
    assert 'sandbox title="Policy page"' in html
    assert not PublishedVersion.objects.filter(number=2).exists()


def test_publishing_from_the_admin(staff):
    response = staff.post(
        publish_url(policy().pk), {"last_updated": "2026-08-01", "reconsent": "on"}, follow=True
    )
    version = PublishedVersion.objects.get(number=2)
    assert (version.last_updated, version.reconsent) == (date(2026, 8, 1), True)
    assert version.published_by.startswith("user")
    assert response.redirect_chain[-1][0] == reverse(
        "admin:cookieconsent_publishedversion_change", args=[version.pk]
    )
    assert "Visitors will be asked to consent again." in response.content.decode()


def test_a_bad_date_publishes_nothing(staff):
    response = staff.post(publish_url(policy().pk), {"last_updated": "2026-02-31"})
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()
    assert PublishedVersion.objects.count() == 1


def test_a_policy_that_is_not_current_is_not_published(staff):
    """The live text would come from one policy and the regimes from another."""
    other = CookiePolicyFactory(title="Old policy", is_current=False)
    change = reverse("admin:cookieconsent_cookiepolicy_change", args=[other.pk])
    assert publish_url(other.pk).encode() not in staff.get(change).content
    for response in (
        staff.get(publish_url(other.pk), follow=True),
        staff.post(publish_url(other.pk), {"last_updated": "2026-08-01"}, follow=True),
    ):
        assert response.redirect_chain == [(change, 302)]
        assert "“Old policy” is not the current cookie policy" in response.content.decode()
    assert PublishedVersion.objects.count() == 1


@pytest.mark.usefixtures("by_accept_language")
def test_a_policy_that_is_not_current_is_refused_in_the_admins_language(staff):
    other = CookiePolicyFactory(title="Ou beleid", is_current=False)
    for response in (
        staff.get(publish_url(other.pk), follow=True, headers={"accept-language": "af"}),
        staff.post(
            publish_url(other.pk),
            {"last_updated": "2026-08-01"},
            follow=True,
            headers={"accept-language": "af"},
        ),
    ):
        html = response.content.decode()
        assert 'lang="af"' in html
        assert "“Ou beleid” is nie die huidige koekiebeleid nie" in html
        assert "is not the current cookie policy" not in html
    assert PublishedVersion.objects.count() == 1


@pytest.mark.parametrize("object_id", ["abc", "999999", "1.5"])
def test_publishing_a_policy_that_does_not_exist_is_a_404(staff, object_id):
    url = f"/admin/cookieconsent/cookiepolicy/{object_id}/publish/"
    assert staff.get(url).status_code == 404
    assert staff.post(url, {"last_updated": "2026-08-01"}).status_code == 404
    assert PublishedVersion.objects.count() == 1


def test_view_only_staff_cannot_publish(viewer):
    """#8, defect 4: publishing needs its own permission."""
    pk = policy().pk
    html = viewer.get(reverse("admin:cookieconsent_cookiepolicy_change", args=[pk])).content
    assert publish_url(pk).encode() not in html
    assert viewer.get(publish_url(pk)).status_code == 403
    response = viewer.post(publish_url(pk), {"last_updated": "2026-08-01", "reconsent": "on"})
    assert response.status_code == 403
    changelist = viewer.get(reverse("admin:cookieconsent_cookiepolicy_changelist")).content
    assert b'name="action"' not in changelist
    assert PublishedVersion.objects.count() == 1


def test_the_publish_permission_alone_is_enough(client):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_cookiepolicy", "publish_cookiepolicy"])
    )
    client.force_login(user)
    reword()
    response = client.post(publish_url(policy().pk), {"last_updated": "2026-08-01"})
    assert response.status_code == 302
    assert PublishedVersion.objects.filter(number=2).exists()


def test_versions_are_listed_and_read_only(staff):
    reword()
    publishing.publish(policy())
    html = staff.get(reverse("admin:cookieconsent_publishedversion_changelist")).content.decode()
    assert "tests" in html and "2026" in html
    assert 'name="action"' not in html
    assert staff.get(reverse("admin:cookieconsent_publishedversion_add")).status_code == 403
    version = PublishedVersion.objects.get(number=1)
    delete = reverse("admin:cookieconsent_publishedversion_delete", args=[version.pk])
    assert staff.post(delete, {"post": "yes"}).status_code == 403


def test_a_version_is_shown_as_visitors_saw_it(staff):
    version = PublishedVersion.objects.get(number=1)
    page = reverse("admin:cookieconsent_publishedversion_change", args=[version.pk])
    english = staff.get(page).content.decode()
    afrikaans = staff.get(page, {"language": "af"}).content.decode()
    shown = version.snapshots.get(language="en")
    assert shown.hash in english
    assert "Accept all" in unescape(english) and "Aanvaar alles" in unescape(afrikaans)
    assert 'sandbox title="Banner"' in english
    assert '<a href="?language=af">af</a>' in english


@pytest.mark.parametrize("object_id", ["abc", "1.5", "99999999999999999999999", "-1"])
def test_a_version_that_cannot_exist_is_not_found(staff, object_id):
    page = f"/admin/cookieconsent/publishedversion/{object_id}/change/"
    assert staff.get(page).status_code == 404


def test_the_diff_between_two_versions(staff):
    draft = policy()
    draft.sections.filter(heading="Do Not Track").update(body="We now honour Do Not Track.")
    CookieFactory(name="_diffed")
    publishing.publish(draft)
    diff = reverse("admin:cookieconsent_publishedversion_diff")
    html = staff.get(diff, {"old": 2, "new": 1}).content.decode()
    assert "Changes from version 1 to version 2" in html
    assert "honour" in html
    assert "_diffed" in html
    same = staff.get(diff, {"old": 1, "new": 1}).content.decode()
    assert "The text did not change." in same
    assert "No part of the policy, category, cookie or regime changed." in same
    assert staff.get(diff, {"old": 1}).status_code == 404
    assert staff.get(diff, {"old": 1, "new": 7}).status_code == 404


def test_the_diff_needs_the_view_permission(client):
    client.force_login(UserFactory(is_staff=True))
    diff = reverse("admin:cookieconsent_publishedversion_diff")
    assert client.get(diff, {"old": 1, "new": 1}).status_code == 403


def test_a_record_opens_what_its_visitor_saw(staff, categories):
    staff.post("/cookies/consent/", {"action": "reject_all"})
    record = ConsentRecord.objects.get()
    draft = policy()
    draft.introduction = "Changed after the record."
    draft.save()
    publishing.publish(draft)
    html = staff.get(reverse("admin:cookieconsent_consentrecord_change", args=[record.pk]))
    link = reverse(
        "admin:cookieconsent_publishedversion_change", args=[record.published_version_id]
    )
    assert f'href="{link}?language=en&amp;regime=opt-in"' in html.content.decode()
    seen = unescape(staff.get(link, {"language": "en"}).content.decode())
    assert "Changed after the record." not in seen
    assert "How this site uses cookies." in seen


def test_a_version_shown_under_an_unknown_regime_shows_the_opt_in_banner(staff):
    """``?regime=`` comes from a record's link; any other value shows the opt-in banner, as
    no value does, never an empty frame."""
    link = reverse("admin:cookieconsent_publishedversion_change", args=[1])

    def banner(regime: str) -> str:
        html = staff.get(link, {"language": "en", "regime": regime}).content.decode()
        found = re.search(r'<iframe class="cc-shown cc-shown--banner".*?</iframe>', html, re.S)
        assert found is not None
        return found.group()

    assert banner("bogus") == banner("opt-in") != banner("notice")


def test_a_record_from_before_any_publish_says_so(staff):
    record = ConsentRecordFactory()
    html = staff.get(reverse("admin:cookieconsent_consentrecord_change", args=[record.pk]))
    assert "Nothing was published when this decision was made." in html.content.decode()


def test_searching_a_consent_id_is_an_exact_indexed_lookup(staff):
    mine, other = ConsentRecordFactory(), ConsentRecordFactory(user_pk="42")
    changelist = reverse("admin:cookieconsent_consentrecord_changelist")
    with CaptureQueriesContext(connection) as queries:
        html = staff.get(changelist, {"q": f" {mine.consent_id} "}).content.decode()
    assert str(mine.consent_id) in html and str(other.consent_id) not in html
    searches = [q["sql"] for q in queries if "consentrecord" in q["sql"]]
    assert searches and not any("LIKE" in sql.upper() for sql in searches)
    # Nor is the whole log counted beside the result (a million rows on every search).
    counts = [sql for sql in searches if "COUNT(" in sql.upper()]
    assert counts and all("WHERE" in sql.upper() for sql in counts)
    # Anything that is not a UUID is a user's ID, exactly.
    html = staff.get(changelist, {"q": "42"}).content.decode()
    assert str(other.consent_id) in html and str(mine.consent_id) not in html
    html = staff.get(changelist, {"q": str(mine.consent_id)[:8]}).content.decode()
    assert str(mine.consent_id) not in html


def test_until_something_is_published_the_admin_says_so_with_the_way_to_publish(staff):
    from tests.helpers import unpublish_everything

    client = staff
    unpublish_everything()
    policy = CookiePolicy.current()
    assert policy is not None
    for url in (
        reverse("admin:cookieconsent_cookiepolicy_changelist"),
        reverse("admin:cookieconsent_cookiepolicy_change", args=[policy.pk]),
        reverse("admin:cookieconsent_cookiecategory_changelist"),
        reverse("admin:app_list", args=["cookieconsent"]),
    ):
        page = client.get(url).content.decode()
        assert "No cookie policy has been published yet" in page, url
        assert f'href="{publish_url(policy.pk)}"' in page, url
    publishing.publish(policy)
    page = client.get(reverse("admin:cookieconsent_cookiepolicy_changelist")).content.decode()
    assert "No cookie policy has been published yet" not in page


def test_staff_who_cannot_publish_are_told_what_is_missing(viewer):
    from tests.helpers import unpublish_everything

    unpublish_everything()
    page = viewer.get(reverse("admin:cookieconsent_cookiepolicy_changelist")).content.decode()
    assert "No cookie policy has been published yet" in page
    assert "/publish/" not in page


def test_the_publish_date_claims_no_format_the_date_picker_does_not_show(staff):
    """The help said YYYY-MM-DD beside a date picker that shows the browser's own format."""
    policy = CookiePolicy.current()
    page = staff.get(publish_url(policy.pk)).content.decode()
    assert 'type="date"' in page
    assert "YYYY-MM-DD" not in page
    assert "The date the policy page shows as “Last updated”." in page
