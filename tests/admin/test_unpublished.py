"""What waits for Publish, in the admin: the notice and its count on every page of the app,
"nothing to publish", and the diff of the draft (or a version) against the version before."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from cookieconsent.models import (
    Cookie,
    CookieCategory,
    CookiePolicy,
    PublishedVersion,
    RegionRule,
)
from cookieconsent.publishing import diff as diffing
from tests.factories import UserFactory
from tests.helpers import publish_draft

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("categories")]

#: Every kind of page of the app's admin: lists, forms, its own pages.
PAGES = [
    "admin:cookieconsent_cookiepolicy_changelist",
    "admin:cookieconsent_cookiecategory_changelist",
    "admin:cookieconsent_cookiecategory_add",
    "admin:cookieconsent_cookie_changelist",
    "admin:cookieconsent_publishedversion_changelist",
    "admin:cookieconsent_consentrecord_changelist",
    "admin:cookieconsent_dailydecisions_changelist",
    "admin:cookieconsent_undeclaredcookie_changelist",
]
#: The app's index page, which no ModelAdmin serves.
APP_INDEX = reverse("admin:app_list", args=["cookieconsent"])
NOTICE = re.compile(r"(\d+) unpublished changes? · <a href=\"([^\"]+)\" class=\"cc-unpublished\">")
DIFF = reverse("admin:cookieconsent_publishedversion_diff")


def policy() -> CookiePolicy:
    current = CookiePolicy.current()
    assert current is not None
    return current


def publish_url() -> str:
    return reverse("admin:cookieconsent_cookiepolicy_publish", args=[policy().pk])


def three_changes() -> None:
    """The policy's words, a cookie and a regime: three items."""
    draft = policy()
    draft.introduction = "Reworded."
    draft.save()
    Cookie.objects.create(category=CookieCategory.objects.get(slug="analytics"), name="_new")
    RegionRule.objects.create(policy=draft, region="ZA", regime="notice")


def notices(html: str) -> list[tuple[str, str]]:
    return NOTICE.findall(html)


def with_permissions(*codenames: str) -> User:
    """Staff with only these permissions of the app."""
    user = UserFactory(is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="cookieconsent", codename__in=codenames)
    )
    return user


@pytest.mark.parametrize("name", [*PAGES, "app index"])
def test_every_page_counts_the_unpublished_changes(staff, name):
    url = APP_INDEX if name == "app index" else reverse(name)
    assert notices(staff.get(url).content.decode()) == []
    three_changes()
    assert notices(staff.get(url).content.decode()) == [("3", publish_url())]
    publish_draft()
    assert notices(staff.get(url).content.decode()) == []


def test_the_change_form_and_a_versions_page_count_them_too(staff):
    three_changes()
    for url in (
        reverse("admin:cookieconsent_cookiepolicy_change", args=[policy().pk]),
        reverse("admin:cookieconsent_publishedversion_change", args=[1]),
    ):
        assert notices(staff.get(url).content.decode()) == [("3", publish_url())], url


def test_one_change_is_one_and_each_item_counts(staff):
    analytics = CookieCategory.objects.get(slug="analytics")
    analytics.purpose = "Counts visits."
    analytics.save()
    page = staff.get(reverse("admin:cookieconsent_cookie_changelist")).content.decode()
    assert "1 unpublished change ·" in page
    for name in ("_a", "_b"):
        Cookie.objects.create(category=analytics, name=name)
    Cookie.objects.filter(name="_stat").delete()
    page = staff.get(reverse("admin:cookieconsent_cookie_changelist")).content.decode()
    assert "4 unpublished changes ·" in page
    # Moving a section counts: the page would change.
    policy().sections.filter(heading="Do Not Track").update(order=0)
    page = staff.get(reverse("admin:cookieconsent_cookie_changelist")).content.decode()
    assert "5 unpublished changes ·" in page


def test_staff_who_cannot_publish_are_sent_to_the_diff(viewer):
    three_changes()
    page = viewer.get(reverse("admin:cookieconsent_cookie_changelist")).content.decode()
    assert notices(page) == [("3", f"{DIFF}?old=1&amp;new=draft")]
    assert "Review</a>" in page and "Review and publish" not in page
    assert viewer.get(unescape(notices(page)[0][1])).status_code == 200


@pytest.mark.parametrize(
    ("permissions", "page"),
    [
        (("view_consentrecord", "export_consentrecord"), "consentrecord_changelist"),
        (("view_dailydecisions",), "dailydecisions_changelist"),
    ],
)
def test_staff_who_may_neither_publish_nor_review_are_not_told_of_the_draft(
    client, permissions, page
):
    """The auditor's records, the statistics alone: a link to the diff would answer 403, and
    the count would tell of a draft they may not read. Allowed to read the versions too, they
    are sent to the diff, which answers them."""
    client.force_login(with_permissions(*permissions))
    three_changes()
    response = client.get(reverse(f"admin:cookieconsent_{page}"))
    assert response.status_code == 200
    assert "unpublished change" not in response.content.decode()
    assert client.get(DIFF, {"new": "draft"}).status_code == 403
    client.force_login(with_permissions(*permissions, "view_publishedversion"))
    page_html = client.get(reverse(f"admin:cookieconsent_{page}")).content.decode()
    assert notices(page_html) == [("3", f"{DIFF}?old=1&amp;new=draft")]
    assert client.get(unescape(notices(page_html)[0][1])).status_code == 200


def test_without_a_current_policy_the_notice_says_nothing_can_be_published(staff, settings):
    """Between unticking one policy and ticking another there is no draft: no count, and no
    link to a diff that cannot answer."""
    three_changes()
    CookiePolicy.objects.update(is_current=False)
    for url in (reverse("admin:cookieconsent_cookiecategory_changelist"), APP_INDEX):
        html = staff.get(url).content.decode()
        assert notices(html) == []
        assert (
            "No cookie policy is current: visitors still see version 1, and nothing can be "
            "published until a policy is marked current."
        ) in html
    settings.DEBUG = True  # the page that says why
    response = staff.get(DIFF, {"new": "draft"})
    assert response.status_code == 404
    assert "No cookie policy is current: there is no draft to compare." in unescape(
        response.content.decode()
    )


def test_counting_costs_the_same_few_queries_however_big_the_table(
    staff, django_assert_max_num_queries
):
    analytics = CookieCategory.objects.get(slug="analytics")
    Cookie.objects.bulk_create(Cookie(category=analytics, name=f"_n{n}") for n in range(200))
    with django_assert_max_num_queries(6):
        live, changes = diffing.unpublished()
    assert live is not None and len(changes) == 200


# -- nothing to publish -------------------------------------------------------------------------


def test_an_unchanged_draft_is_nothing_to_publish(staff):
    page = staff.get(publish_url()).content.decode()
    assert "Nothing to publish: the draft is the same as version 1" in page
    response = staff.post(publish_url(), {"last_updated": "2026-08-01"})
    assert response.status_code == 200
    assert "Nothing to publish: the draft is the same as version 1" in response.content.decode()
    assert PublishedVersion.objects.count() == 1
    # Asking every visitor again is a reason of its own.
    response = staff.post(publish_url(), {"last_updated": "2026-08-01", "reconsent": "on"})
    assert response.status_code == 302
    assert PublishedVersion.objects.get(number=2).reconsent


def test_a_changed_draft_is_something_to_publish(staff):
    assert "Nothing to publish" in staff.get(publish_url()).content.decode()
    three_changes()
    page = staff.get(publish_url()).content.decode()
    assert "Nothing to publish" not in page
    response = staff.post(publish_url(), {"last_updated": "2026-08-01"})
    assert response.status_code == 302
    assert PublishedVersion.objects.count() == 2


def test_a_change_of_template_is_something_to_publish(staff, settings):
    """The draft's data is unchanged, but what visitors would be shown is not."""
    from pathlib import Path

    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "DIRS": [Path(__file__).parent.parent / "templates" / "custom_banner"],
        }
    ]
    assert "Nothing to publish" not in staff.get(publish_url()).content.decode()
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": []}]
    assert "Nothing to publish" in staff.get(publish_url()).content.decode()


# -- the diff -----------------------------------------------------------------------------------


def test_the_publish_page_shows_what_changes(staff):
    three_changes()
    page = staff.get(publish_url()).content.decode()
    assert "Compared with version 1" in page
    assert '<th scope="row">_new</th><td>added</td>' in page
    assert '<th scope="row">ZA</th><td>added</td>' in page
    assert "<del>How this site uses cookies</del><ins>Reworded</ins>." in page


def test_the_draft_diff_lists_changes_in_tables_and_the_text_word_by_word(staff):
    draft = policy()
    draft.introduction = "How this site uses a few cookies."
    draft.save()
    stat = Cookie.objects.get(name="_stat")
    stat.category = CookieCategory.objects.get(slug="functional")
    stat.save()
    functional = CookieCategory.objects.get(slug="functional")
    functional.required = True
    functional.save()
    CookieCategory.objects.create(slug="ads", name="Advertising")
    page = staff.get(DIFF, {"new": "draft"}).content.decode()
    assert "Unpublished changes: the draft compared with version 1" in page
    # A table per kind: categories, then cookies.
    captions = re.findall(r"<caption>([^<]*)</caption>", page)
    assert captions == ["Policy", "Category", "Cookie"]
    assert "<strong>Strictly necessary:</strong> <del>no</del><ins>yes</ins>" in page
    assert '<th scope="row">Advertising</th><td>added</td>' in page
    assert "<strong>Category:</strong> <del>Analytics</del><ins>Functional</ins>" in page
    # The words visitors read: a changed word, not a whole line, and no line cut mid-word.
    assert "How this site uses <ins>a few </ins>cookies." in page
    assert "diff_next" not in page and "nowrap" not in page


def test_the_diff_escapes_what_staff_wrote(staff):
    draft = policy()
    draft.title = "<script>alert('title')</script>"
    draft.save()
    Cookie.objects.create(
        category=CookieCategory.objects.get(slug="analytics"),
        name="_x",
        purpose='<img src=x onerror="alert(1)">',
    )
    page = staff.get(DIFF, {"new": "draft"}).content.decode()
    assert "<script>alert(" not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in page


def test_the_versions_list_links_each_version_to_the_one_before(staff):
    three_changes()
    publish_draft()
    page = staff.get(reverse("admin:cookieconsent_publishedversion_changelist")).content.decode()
    assert (
        f'<a href="{DIFF}?old=1&amp;new=2" title="Compare with version 1">What changed</a>' in page
    )
    assert "Compare with version 0" not in page
    diff = staff.get(DIFF, {"old": 1, "new": 2}).content.decode()
    assert "Changes from version 1 to version 2" in diff
    assert '<th scope="row">_new</th><td>added</td>' in diff


def test_a_draft_diff_without_a_published_version_is_not_found(staff):
    from tests.helpers import unpublish_everything

    assert staff.get(DIFF, {"new": "draft"}).status_code == 200
    unpublish_everything()
    assert staff.get(DIFF, {"new": "draft"}).status_code == 404
    assert staff.get(DIFF, {"new": "draft", "old": "x"}).status_code == 404


def test_a_draft_diff_against_a_version_that_does_not_exist_is_not_found(staff):
    assert staff.get(DIFF, {"new": "draft", "old": 1}).status_code == 200
    assert staff.get(DIFF, {"new": "draft", "old": "x"}).status_code == 404
    assert staff.get(DIFF, {"new": "draft", "old": 7}).status_code == 404


def test_text_diff_keeps_unchanged_paragraphs_short():
    old = "\n".join(f"Paragraph {n}." for n in range(10))
    new = old.replace("Paragraph 5.", "Paragraph five.")
    html = diffing.text_diff(old, new)
    assert '<p class="cc-diff__changed">Paragraph <del>5</del><ins>five</ins>.</p>' in html
    assert html.count('class="cc-diff__same"') == 2  # one paragraph either side
    assert html.count('class="cc-diff__gap"') == 2
    assert diffing.text_diff(old, old) == ""
    added = diffing.text_diff("One.", "One.\nTwo & three.")
    assert '<p class="cc-diff__added"><ins>Two &amp; three.</ins></p>' in added


@pytest.mark.parametrize("page", ["change", "changelist", "add"])
def test_a_refused_page_tells_nothing_of_the_draft(client, page):
    """Staff without permission on the policy got a 403, and the next page they opened told
    them of its draft: the pending changes and a subdivision rule no visitor can match."""
    policy = CookiePolicy.current()
    RegionRule.objects.create(policy=policy, region="US-CA", regime="opt-out")
    user = UserFactory(is_staff=True)
    client.force_login(user)  # staff, with no permission in the app
    args = (policy.pk,) if page == "change" else ()
    refused = client.get(reverse(f"admin:cookieconsent_cookiepolicy_{page}", args=args))
    assert refused.status_code == 403
    html = client.get(reverse("admin:index")).content.decode()
    assert "US-CA" not in html
    assert "unpublished change" not in html


def test_the_preview_of_a_draft_with_nothing_to_publish_shows_the_date_asked_for(staff):
    """Shown again after “Nothing to publish”, the preview is dated as staff asked, not today."""
    response = staff.post(publish_url(), {"last_updated": "2026-08-01"})
    html = response.content.decode()
    assert "Nothing to publish" in html
    assert "1 August 2026" in html


def test_the_notice_is_said_once_on_the_page_a_post_leads_to(staff):
    """A POST (an action on a list) does not queue the notice: the page it leads to says it,
    once."""
    from cookieconsent.models import UndeclaredCookie

    three_changes()
    found = UndeclaredCookie.objects.create(name="_hjid", source="response", example_path="/x/")
    response = staff.post(
        reverse("admin:cookieconsent_undeclaredcookie_changelist"),
        {"action": "dismiss", "_selected_action": [found.pk]},
        follow=True,
    )
    assert notices(response.content.decode()) == [("3", publish_url())]


@pytest.mark.parametrize(
    "query",
    [
        {"bogus": "1"},  # redirected to ?e=1
        {"created_at__year": "2026", "created_at__month": "2", "created_at__day": "30"},
    ],
)
def test_the_notice_is_said_once_on_the_page_a_list_redirects_to(staff, query):
    """A list that redirects (to ``?e=1``) queued the notice before redirecting, and the page
    it led to said it twice."""
    three_changes()
    response = staff.get(
        reverse("admin:cookieconsent_consentrecord_changelist"), query, follow=True
    )
    assert response.redirect_chain
    assert notices(response.content.decode()) == [("3", publish_url())]


def test_a_page_that_shows_no_messages_leaves_no_notice_for_the_next(staff):
    """The bare “Database error” page of a list shows no messages: a notice queued there was
    said twice on the next page."""
    three_changes()
    cookies = reverse("admin:cookieconsent_cookie_changelist")
    assert "Database error" in staff.get(cookies, {"bogus": "1", "e": "1"}).content.decode()
    assert notices(staff.get(cookies).content.decode()) == [("3", publish_url())]
