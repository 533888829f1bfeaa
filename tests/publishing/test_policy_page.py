"""The public policy page, and the Markdown staff type into it."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.test import override_settings
from django.urls import reverse

from cookieconsent.markup import render_markdown, sanitiser_changes
from cookieconsent.models import (
    Cookie,
    CookiePolicy,
    Party,
    PolicySection,
    PublishedVersion,
    Technology,
)
from cookieconsent.publishing import publish
from tests.factories import (
    CookieCategoryFactory,
    CookieFactory,
    CookiePolicyFactory,
    PolicySectionFactory,
    StaffFactory,
)
from tests.helpers import category_form, policy_form, unpublish_everything

pytestmark = pytest.mark.django_db

POLICY_URL = reverse("cookieconsent:policy")

ATTACKS = [
    '<script>alert("pwned")</script>',
    '<img src="x" onerror="alert(1)">',
    "[click](javascript:alert(2))",
    '<a href="javascript:alert(3)">click</a>',
    '<p onclick="alert(4)">hi</p>',
    '<iframe src="https://evil.example"></iframe>',
    "<style>body { display: none }</style>",
]


@pytest.fixture
def policy() -> CookiePolicy:
    """A current policy of this test's own, with three sections stored out of order."""
    CookiePolicy.objects.update(is_current=False)
    policy = CookiePolicyFactory(
        title="Test Cookie Policy",
        introduction="This policy explains *our* cookies.",
        last_updated=date(2025, 3, 9),
        contact_organisation="Acme & Sons",
        contact_address="1 Main Road, Cape Town",
        contact_email="privacy@acme.example",
    )
    PolicySectionFactory(policy=policy, order=30, heading="Contact us", body="Write to us.")
    PolicySectionFactory(
        policy=policy,
        order=20,
        heading="Cookies we use",
        body="The table lists them.",
        show_cookie_table=True,
    )
    PolicySectionFactory(policy=policy, order=10, heading="What cookies are", body="Small files.")
    return policy


def page(client) -> str:
    """The policy page once the current policy is published (with its own date), without the
    cells' data-label attributes (tested on their own)."""
    policy = CookiePolicy.current()
    assert policy is not None
    publish(policy, last_updated=policy.last_updated)
    response = client.get(POLICY_URL)
    assert response.status_code == 200
    return re.sub(r' data-label="[^"]*"', "", response.content.decode())


def table(html: str) -> str:
    return html[html.index('<table class="cc-table">') : html.index("</table>")]


def test_sections_in_order_with_numbers(client, policy):
    html = page(client)
    positions = [
        html.index(">1. What cookies are</h2>"),
        html.index(">2. Cookies we use</h2>"),
        html.index(">3. Contact us</h2>"),
    ]
    assert positions == sorted(positions)
    assert html.index("<p>Small files.</p>") < positions[1]


def test_title_date_and_introduction(client, policy):
    html = page(client)
    assert "<h1>Test Cookie Policy</h1>" in html
    assert 'Last updated <time datetime="2025-03-09">9 March 2025</time>' in html
    assert "<p>This policy explains <em>our</em> cookies.</p>" in html
    assert html.index("This policy explains") < html.index("1. What cookies are")


def test_contact_details_close_the_last_section(client, policy):
    html = page(client)
    contact = html.index('<address class="cc-policy__contact">')
    assert html.index("3. Contact us") < contact < html.index("</article>")
    assert html.rindex("</section>") > contact
    assert "Acme &amp; Sons" in html
    assert "1 Main Road, Cape Town" in html
    assert '<a href="mailto:privacy@acme.example">privacy@acme.example</a>' in html


def test_contact_details_without_sections(client):
    CookiePolicy.objects.update(is_current=False)
    CookiePolicyFactory(contact_email="solo@acme.example")
    html = page(client)
    assert '<a href="mailto:solo@acme.example">' in html


def test_no_contact_block_without_contact_details(client):
    CookiePolicy.objects.update(is_current=False)
    CookiePolicyFactory(contact_email="", contact_organisation="", contact_address="")
    assert "<address" not in page(client)


def test_the_table_follows_its_section(client, policy):
    html = page(client)
    table = html.index('<table class="cc-table">')
    assert html.index("The table lists them.") < table < html.index("3. Contact us")
    assert html.count('<table class="cc-table">') == 1


def test_the_table_lists_every_cookie(client, policy):
    category = CookieCategoryFactory(
        slug="pol-ads", name="Advertising", purpose="Shows you ads.", order=99
    )
    CookieFactory(
        category=category,
        name="_ad_*",
        purpose="Counts ad views.",
        party=Party.THIRD,
        provider="AdCo",
        lifetime=timedelta(days=30),
        technology=Technology.HTTP_COOKIE,
    )
    CookieFactory(
        category=category,
        name="pol_store",
        purpose="Remembers a choice.",
        technology=Technology.LOCAL_STORAGE,
    )
    html = table(page(client))
    for cookie in Cookie.objects.all():
        assert re.search(rf"<td>{re.escape(cookie.name)}[< ]", html), cookie.name
    row = html[html.index("<td>_ad_*") :]
    row = row[: row.index("</tr>")]
    assert "(a pattern: * stands for any characters)" in row
    assert "<td>Counts ad views.</td>" in row
    assert "AdCo<br>Third-party" in row
    assert "<td>1 month</td>" in row
    assert "<td>HTTP cookie</td>" in row
    store = html[html.index("<td>pol_store</td>") :]
    store = store[: store.index("</tr>")]
    assert "<td>Session</td>" in store
    assert "<td>Local storage</td>" in store
    # A first-party cookie without a provider is the site's own: named by its organisation.
    assert "<td>Acme &amp; Sons</td>" in store
    # The category heads its rows in a row of its own, across the table, not down its side.
    group = html[: html.index('name">Advertising</span>')]
    assert group.endswith('<th scope="rowgroup" colspan="5">\n<span class="cc-table__category-')
    assert "rowspan" not in html
    assert '<p class="cc-table__category-purpose">Shows you ads.</p>' in html


def test_the_provider_of_a_first_party_cookie_is_the_site(client, policy):
    """The Provider column names who sets each cookie: the site's own cookies by the policy's
    contact organisation (the site's name), "First-party" only while the policy names none."""
    category = CookieCategoryFactory(slug="pol-own", name="Own", order=98)
    CookieFactory(category=category, name="pol_own", party=Party.FIRST)
    CookieFactory(category=category, name="pol_ga", party=Party.FIRST, provider="Google")
    CookieFactory(category=category, name="pol_third", party=Party.THIRD)

    def provider_cell(html: str, name: str) -> str:
        row = html[html.index(f"<td>{name}</td>") :]
        return row.split("\n")[2]

    html = table(page(client))
    assert provider_cell(html, "pol_own") == "<td>Acme &amp; Sons</td>"
    assert provider_cell(html, "pol_ga") == "<td>Google<br>First-party</td>"
    assert provider_cell(html, "pol_third") == "<td>Third-party</td>"
    version = PublishedVersion.objects.latest("number")
    rows = {row[1]: row[3] for row in version.snapshots.get(language="en").table_rows}
    assert (rows["pol_own"], rows["pol_ga"]) == ("Acme & Sons", "Google · First-party")

    policy.contact_organisation = ""
    policy.save()
    html = table(page(client))
    assert provider_cell(html, "pol_own") == "<td>First-party</td>"


def test_the_table_marks_required_categories(client, policy):
    CookieCategoryFactory(slug="pol-need", name="Needed here", required=True)
    CookieCategoryFactory(slug="pol-opt", name="Optional here", required=False)
    html = table(page(client))
    needed = html[html.index('name">Needed here</span>') :]
    assert needed.index("(Always on)") < needed.index("</th>")
    optional = html[html.index('name">Optional here</span>') :]
    assert "Always on" not in optional[: optional.index("</th>")]
    # A category without cookies still says so, instead of an empty group.
    assert "No cookies in this category." in optional


def test_the_table_is_accessible(client, policy):
    html = page(client)
    assert '<caption id="cc-cookie-table-caption">' in html
    assert 'aria-labelledby="cc-cookie-table-caption"' in html
    for column in ["Name", "Purpose", "Provider", "Lifetime", "Technology"]:
        assert f'<th scope="col">{column}</th>' in html
    # Each cell names its column, for the narrow-screen layout that hides the header row.
    CookieFactory(name="pol_labelled")
    publish(CookiePolicy.current())
    raw = client.get(POLICY_URL).content.decode()
    assert '<td data-label="Lifetime">' in raw


def test_text_is_escaped_outside_markdown(client, policy):
    policy.sections.filter(order=10).update(heading="<b>Bold</b> heading")
    CookieCategoryFactory(slug="pol-esc", name="<i>Italic</i>", purpose="<script>bad()</script>")
    html = page(client)
    assert "&lt;b&gt;Bold&lt;/b&gt; heading" in html
    assert "&lt;i&gt;Italic&lt;/i&gt;" in html
    assert "<script>bad()" not in html


@pytest.mark.parametrize("attack", ATTACKS)
def test_no_script_reaches_the_page(client, policy, attack):
    policy.introduction = f"Intro.\n\n{attack}"
    policy.save()
    policy.sections.filter(order=10).update(body=f"Before.\n\n{attack}\n\nAfter.")
    html = page(client)
    assert "Before." in html and "After." in html
    for needle in ["alert(", "pwned", "onerror", "onclick", "javascript:", "evil.example"]:
        assert needle not in html
    assert "display: none" not in html


def test_nothing_published_is_404(client):
    unpublish_everything()
    response = client.get(POLICY_URL)
    assert response.status_code == 404
    assert "No cookie policy has been published yet." in response.content.decode()


def test_an_older_policy_is_not_shown(client, policy):
    CookiePolicyFactory(is_current=False, title="Withdrawn policy")
    assert "Withdrawn policy" not in page(client)


def test_editing_a_category_in_the_admin_changes_the_page_once_published(client, policy):
    category = CookieCategoryFactory(slug="pol-edit", name="Editable", purpose="Old words.")
    CookieFactory(category=category, name="pol_edit_c")
    assert "Old words." in page(client)
    client.force_login(StaffFactory())
    response = client.post(
        reverse("admin:cookieconsent_cookiecategory_change", args=[category.pk]),
        category_form(category, purpose="Brand new words."),
    )
    assert response.status_code == 302, response.content.decode()
    assert "Old words." in client.get(POLICY_URL).content.decode()
    html = page(client)
    assert "Brand new words." in html
    assert "Old words." not in html


# -- the Markdown itself --------------------------------------------------------------------


def test_markdown_basics():
    html = render_markdown("Some **bold**, *em* and `code`.\n\n> quoted\n\n1. one\n2. two")
    assert "<strong>bold</strong>" in html
    assert "<em>em</em>" in html
    assert "<code>code</code>" in html
    assert "<blockquote>" in html
    assert "<ol>\n<li>one</li>" in html


def test_empty_markdown():
    assert render_markdown("") == ""
    assert render_markdown("  \n ") == ""


def test_links_keep_href_and_title_and_get_rel():
    html = render_markdown('[Privacy](https://example.com/privacy "Our privacy policy")')
    assert html == (
        '<p><a href="https://example.com/privacy" title="Our privacy policy" '
        'rel="noopener noreferrer">Privacy</a></p>'
    )
    assert 'href="mailto:a@example.com"' in render_markdown("[mail](mailto:a@example.com)")
    assert 'href="/cookies/preferences/"' in render_markdown("[settings](/cookies/preferences/)")


def test_a_rel_in_the_text_is_replaced():
    html = render_markdown('<a href="https://example.com" rel="opener" target="_blank">x</a>')
    assert html == '<p><a href="https://example.com" rel="noopener noreferrer">x</a></p>'


def test_top_level_headings_sit_below_the_section_heading():
    html = render_markdown("# One\n\n## Two\n\n### Three\n\n#### Four")
    assert html == "<h3>One</h3>\n<h3>Two</h3>\n<h3>Three</h3>\n<h4>Four</h4>"


def test_markdown_tables_keep_their_alignment_only():
    html = render_markdown("| a | b |\n|:--|--:|\n| 1 | 2 |")
    assert '<th style="text-align:left">a</th>' in html
    assert '<td style="text-align:right">2</td>' in html
    html = render_markdown('<table><tr><td style="text-align:left;color:red">x</td></tr></table>')
    assert "color" not in html


def test_unknown_tags_are_dropped_but_their_text_kept():
    assert render_markdown("<div><span>kept</span></div>") == "kept"


@override_settings(COOKIECONSENT={"MARKDOWN_EXTENSIONS": []})
def test_markdown_extensions_come_from_the_setting():
    assert "<table>" not in render_markdown("| a | b |\n|---|---|\n| 1 | 2 |")


# -- the sanitiser's changes are reported to staff -------------------------------------------


def admin_post(client, policy, **fields):
    client.force_login(StaffFactory())
    return client.post(
        reverse("admin:cookieconsent_cookiepolicy_change", args=[policy.pk]),
        policy_form(policy, **fields),
        follow=True,
    )


def warnings(response) -> list[str]:
    """The sanitiser's warnings (not the reminder that nothing is published yet)."""
    return [
        str(m)
        for m in response.context["messages"]
        if m.level_tag == "warning" and "has been published yet" not in str(m)
    ]


def test_saving_a_script_warns_what_was_removed(client, policy):
    response = admin_post(
        client,
        policy,
        introduction="Hello.\n\n<script>alert(1)</script>",
        **{"sections-0-body": 'See [this](javascript:alert(2)) and <p onclick="x()">that</p>.'},
    )
    (warning,) = warnings(response)
    assert "“Test Cookie Policy”, introduction: <script> removed with its content." in warning
    assert "link to “javascript:alert(2)” made inert" in warning
    assert "“onclick” removed from <p>" in warning
    policy.refresh_from_db()
    assert "<script>" in policy.introduction  # saved as typed; the page shows it sanitised
    assert "changed successfully" in response.content.decode()


@override_settings(LANGUAGES=[("en", "English"), ("af", "Afrikaans")])
def test_a_translation_is_checked_too(client, policy):
    response = admin_post(client, policy, introduction__af="<iframe src='x'></iframe>")
    (warning,) = warnings(response)
    assert "introduction (af): <iframe> removed" in warning


def test_a_style_block_is_reported_removed_with_its_content():
    """As a script is: staff learn that its rules are gone too, not only the tag."""
    text = "<style>body { display: none }</style>\n\nText."
    assert sanitiser_changes(text) == ["<style> removed with its content"]


def test_each_change_is_reported_once():
    text = "<script>a()</script>\n\n<script>b()</script>\n\n[x](javascript:1) and [y](javascript:1)"
    assert sanitiser_changes(text) == [
        "<script> removed with its content",
        "link to “javascript:1” made inert",
    ]


@pytest.mark.parametrize(
    "text", ["<p>See <![b</p>\n\n<script>x()</script>", "<p><![ CDATA[x]]></p>"]
)
def test_a_marked_section_the_parser_cannot_read_is_saved_and_reported(client, policy, text):
    """Python's HTML parser raised on "<![" with a keyword it does not know, after the save:
    the admin answered 500 and the save was rolled back. Browsers and the sanitiser read a
    bogus comment up to the next ">", which is dropped."""
    assert "<![" not in str(render_markdown(text))
    response = admin_post(client, policy, introduction=text)
    assert response.status_code == 200
    policy.refresh_from_db()
    assert policy.introduction == text
    if "script" in text:  # what follows it is still inspected
        [warning] = warnings(response)
        assert f"“{policy}”, introduction: <script> removed with its content." in warning


def test_clean_markdown_saves_without_a_warning(client, policy):
    response = admin_post(client, policy, introduction="[Our site](https://example.com), *hi*.")
    assert warnings(response) == []


@pytest.mark.parametrize("sections", [0, 2])
def test_a_policy_whose_sections_do_not_place_the_table_lists_the_cookies_after_them(
    client, categories, sections
):
    """A policy lists its cookies: with no section ticked to show the table (or no section at
    all, as in the tutorial), the table follows the text."""
    from cookieconsent.publishing import publish

    policy = CookiePolicy.current()
    assert policy is not None
    PolicySection.objects.filter(policy=policy).delete()
    for n in range(sections):
        PolicySection.objects.create(policy=policy, order=n, heading=f"Part {n}", body="Text.")
    publish(policy)
    page = client.get("/cookies/policy/").content.decode()
    assert page.count('<table class="cc-table">') == 1
    assert "_stat" in page
