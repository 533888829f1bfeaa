"""The banner, the settings link, the gate and the filter, as rendered HTML."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template import Context, Template, TemplateSyntaxError

from cookieconsent.publishing import publish
from cookieconsent.templatetags.cookieconsent import inert
from cookieconsent.testing import CONSENT_COOKIE, consent_cookie
from tests.helpers import unpublish_everything

pytestmark = pytest.mark.django_db


def render(source: str, request=None, **context) -> str:
    return Template("{% load cookieconsent %}" + source).render(
        Context({"request": request, **context})
    )


def test_banner_for_a_new_visitor(client, categories):
    html = client.get("/t/").content.decode()
    assert 'id="cookieconsent-banner"' in html
    assert 'role="region"' in html
    assert ">Accept all<" in html and ">Reject all<" in html and ">Customise<" in html
    assert "csrfmiddlewaretoken" not in html  # the endpoint checks the origin instead
    assert 'action="/cookies/consent/"' in html
    assert 'name="next" value="/t/"' in html
    assert 'href="/cookies/policy/"' in html


def test_accept_and_reject_have_equal_weight(client, categories):
    html = client.get("/t/").content.decode()
    assert '<button type="submit" name="action" value="accept_all" class="cc-button">' in html
    assert '<button type="submit" name="action" value="reject_all" class="cc-button">' in html


@pytest.mark.parametrize("published", [False, True])
def test_the_theme_setting_reaches_the_banner_preferences_and_script(
    client, categories, settings, published
):
    """``data-cc-theme`` says THEME on the banner (also one published before the setting
    changed) and the preferences; the script's configuration carries it for what it adds."""
    if not published:
        unpublish_everything()
    theme = 'data-cc-theme="{}"'
    assert theme.format("auto") in client.get("/t/").content.decode()
    settings.COOKIECONSENT = {"THEME": "dark"}
    html = client.get("/t/").content.decode()
    assert html.count(theme.format("dark")) == 1 and "__cookieconsent" not in html
    assert "&quot;theme&quot;:&quot;dark&quot;" in html
    preferences = client.get("/cookies/preferences/").content.decode()
    assert 'class="cc-preferences" id="cookieconsent-preferences"' in preferences
    assert theme.format("dark") in preferences


def test_no_banner_once_decided(client, categories):
    client.cookies[CONSENT_COOKIE] = consent_cookie(())
    assert 'id="cookieconsent-banner"' not in client.get("/t/").content.decode()


def test_banner_returns_for_renewal(client, categories):
    from cookieconsent.models import CookiePolicy

    client.cookies[CONSENT_COOKIE] = consent_cookie({"analytics"})
    publish(CookiePolicy.current(), reconsent=True)
    html = client.get("/t/").content.decode()
    assert 'id="cookieconsent-banner"' in html
    assert "Please choose again" in html


def test_banner_vary_cookie(client, categories):
    assert "Cookie" in client.get("/t/")["Vary"]


def test_banner_without_request_renders_nothing(categories):
    assert render("{% cookieconsent_banner %}") == ""


def test_settings_link(categories):
    html = render("{% cookieconsent_settings_link %}")
    assert html == (
        '<a href="/cookies/preferences/" class="cc-settings-link" data-cookieconsent-open>'
        "Cookie settings</a>"
    )
    assert ">Manage<" in render('{% cookieconsent_settings_link "Manage" %}')


def test_the_settings_link_returns_to_the_page_it_is_on(client, categories):
    """It linked to the preferences without ``next``: saving there without JavaScript took
    the visitor to the home page, where the banner's Customise link returns."""
    html = client.get("/t/?a=1&b=2").content.decode()
    footer = html[html.index("</main>") :]
    assert 'href="/cookies/preferences/?next=/t/%3Fa%3D1%26b%3D2"' in footer
    prefs = client.get("/cookies/preferences/", {"next": "/t/?a=1&b=2"}).content.decode()
    assert 'name="next" value="/t/?a=1&amp;b=2"' in prefs
    saved = client.post("/cookies/consent/", {"action": "preferences", "next": "/t/?a=1&b=2"})
    assert saved["Location"] == "/t/?a=1&b=2"


def test_the_settings_link_on_the_preferences_page_keeps_where_it_returns(
    client, categories, settings
):
    """Not the preferences page itself, nested in its own address."""
    settings.COOKIECONSENT = {"BASE_TEMPLATE": "tests/layout.html"}
    html = client.get("/cookies/preferences/", {"next": "/t/"}).content.decode()
    footer = html[html.index("<footer>") :]
    assert 'href="/cookies/preferences/?next=/t/"' in footer


def test_the_settings_link_is_the_same_for_every_visitor_in_cache_safe_mode(
    client, categories, settings
):
    settings.COOKIECONSENT = {"CACHE_SAFE": True}
    links = set()
    for cookies in ({}, {CONSENT_COOKIE: consent_cookie({"analytics"})}):
        client.cookies.clear()
        for name, value in cookies.items():
            client.cookies[name] = value
        html = client.get("/t/?a=1", HTTP_SEC_GPC="1").content.decode()
        links.add(re.search(r'<a href="([^"]*)" class="cc-settings-link"', html)[1])
    assert links == {"/cookies/preferences/?next=/t/%3Fa%3D1"}


def test_filter(rf, categories):
    request = rf.get("/")
    request.COOKIES[CONSENT_COOKIE] = consent_cookie({"analytics"})
    source = '{% if request|consent_allows:"analytics" %}yes{% else %}no{% endif %}'
    assert render(source, request) == "yes"
    assert render(source.replace("analytics", "functional"), request) == "no"
    assert render(source, None) == "no"


GATED = (
    '{% consent_gate "analytics" %}<script src="/a.js"></script>'
    '<script type="module">go()</script><iframe src="https://video.example/1"></iframe>'
    "{% endconsent_gate %}"
)


def test_gate_renders_live_when_allowed(rf, categories):
    request = rf.get("/")
    request.COOKIES[CONSENT_COOKIE] = consent_cookie({"analytics"})
    html = render(GATED, request)
    assert (
        html
        == '<script src="/a.js"></script><script type="module">go()</script><iframe src="https://video.example/1"></iframe>'
    )


def test_gate_renders_inert_otherwise(rf, categories):
    html = render(GATED, rf.get("/"))
    assert '<script type="text/plain" data-cookieconsent="analytics" src="/a.js">' in html
    assert (
        '<script type="text/plain" data-cookieconsent="analytics" data-type="module">go()</script>'
        in html
    )
    assert ' src="https://video.example' not in html
    assert 'data-cookieconsent-src="https://video.example/1"' in html
    assert '<iframe data-cookieconsent="analytics"' in html


@pytest.mark.parametrize(
    "text", ["<p>a <![b</p>", "".join(map(chr, range(0xE000, 0xF900)))], ids=["<![b", "pua"]
)
def test_a_gate_whatever_its_content_renders_and_stays_inert(rf, categories, text):
    """``<![b`` (Python 3.11's tokenizer gives up on it) or every private-use character in a
    gate's content made the page a 500; now it renders, and nothing in it is live."""
    html = render(
        '{% consent_gate "analytics" %}<img src="/p.gif">{{ text|safe }}{% endconsent_gate %}',
        rf.get("/"),
        text=text,
    )
    assert ' src="/p.gif"' not in html
    assert 'data-cookieconsent-src="/p.gif"' in html or html.startswith("&lt;img")


@pytest.mark.parametrize("arguments", ["", ' "analytics" "marketing"'])
def test_gate_needs_one_argument(arguments):
    """Neither none nor two: a second category would be ignored without a word."""
    with pytest.raises(TemplateSyntaxError, match="one argument"):
        Template(
            f"{{% load cookieconsent %}}{{% consent_gate{arguments} %}}{{% endconsent_gate %}}"
        )


def unknown_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "is no category" in r.getMessage()]


def test_a_gate_or_filter_naming_no_category_says_so_once(rf, categories, caplog):
    """A typo in a slug leaves the content inert for everyone, even after "Accept all":
    the log says so, once per slug, naming the categories there are."""
    request = rf.get("/")
    request.COOKIES[CONSENT_COOKIE] = consent_cookie({"analytics", "functional"})
    for _ in range(2):
        html = render(
            '{% consent_gate "analytcs" %}<img src="/p.gif">{% endconsent_gate %}', request
        )
        assert 'data-cookieconsent-src="/p.gif"' in html
    assert render('{{ request|consent_allows:"analytcs" }}', request) == "False"
    warned = unknown_warnings(caplog)
    assert len(warned) == 1
    assert "'analytcs' is no category of the published version" in warned[0]
    assert "analytics, functional, necessary, security" in warned[0]
    # Known categories, allowed or refused, and required ones say nothing.
    render('{% consent_gate "analytics" %}x{% endconsent_gate %}', rf.get("/"))
    assert render('{{ request|consent_allows:"necessary" }}', rf.get("/")) == "True"
    assert len(unknown_warnings(caplog)) == 1


def test_a_gate_in_cache_safe_mode_also_says_so(rf, categories, caplog, settings):
    settings.COOKIECONSENT = {"CACHE_SAFE": True}
    render('{% consent_gate "nope" %}<img src="/p.gif">{% endconsent_gate %}', rf.get("/"))
    render('{% consent_gate "analytics" %}<img src="/p.gif">{% endconsent_gate %}', rf.get("/"))
    assert ["'nope'" in m for m in unknown_warnings(caplog)] == [True]


def test_inert_escapes_the_slug():
    assert 'data-cookieconsent="a&quot;b"' in inert("<script>x</script>", 'a"b')


def test_preferences_page(client, categories):
    html = client.get("/cookies/preferences/?next=/workspace/").content.decode()
    assert 'name="categories" value="functional"' in html
    assert 'id="cc-category-necessary" name="categories" value="necessary" checked disabled' in html
    assert 'name="next" value="/workspace/"' in html
    assert "Your consent ID" not in html
    client.post("/cookies/consent/", {"action": "custom", "categories": ["functional"]})
    html = client.get("/cookies/preferences/").content.decode()
    from cookieconsent.models import ConsentRecord

    assert str(ConsentRecord.objects.get().consent_id) in html
    assert 'value="functional" checked' in html
    assert 'value="analytics" checked' not in html


def test_preferences_withdrawal_expires_cookies(client, categories):
    client.post("/cookies/consent/", {"action": "accept_all"})
    client.cookies["_stat"] = "1"
    response = client.post("/cookies/consent/", {"action": "preferences", "categories": []})
    assert response.cookies["_stat"]["max-age"] == 0


def test_preferences_gpc_note(client, categories):
    html = client.get("/cookies/preferences/", HTTP_SEC_GPC="1").content.decode()
    assert "Global Privacy Control" in html


def test_gate_is_always_inert_in_cache_safe_mode(rf, categories, settings):
    settings.COOKIECONSENT = {"CACHE_SAFE": True}
    request = rf.get("/")
    request.COOKIES[CONSENT_COOKIE] = consent_cookie({"analytics"})
    html = render(GATED, request)
    assert '<script type="text/plain" data-cookieconsent="analytics" src="/a.js">' in html
    assert not hasattr(request, "cookie_consent")  # the shared page never asked


NESTED = (
    '{% consent_gate "analytics" %}{% consent_gate "functional" %}'
    '<iframe src="https://video.example/1"></iframe><script type="module" src="/m.js"></script>'
    "{% endconsent_gate %}{% endconsent_gate %}"
)


@pytest.mark.parametrize(
    ("cache_safe", "allowed", "waits_for"),
    [
        (True, {"functional"}, "functional analytics"),
        (False, set(), "functional analytics"),
        (False, {"functional"}, "analytics"),
        (False, {"analytics"}, "functional"),
    ],
)
def test_a_gate_inside_a_gate_waits_for_both_categories(
    rf, categories, settings, cache_safe, allowed, waits_for
):
    """The outer gate left an inner gate's inert iframe with the inner category alone (a
    visitor allowing functional but refusing analytics got it), and made the inner gate's
    inert script ``data-type="text/plain"``, so its own type was lost and it never ran. The
    marker now holds every category the content waits for; an inert script keeps its type."""
    settings.COOKIECONSENT = {"CACHE_SAFE": cache_safe}
    request = rf.get("/")
    request.COOKIES[CONSENT_COOKIE] = consent_cookie(allowed)
    assert render(NESTED, request) == (
        f'<iframe data-cookieconsent="{waits_for}" data-cookieconsent-src="https://video.example/1">'
        f'</iframe><script type="text/plain" data-cookieconsent="{waits_for}" data-type="module"'
        ' src="/m.js"></script>'
    )


def test_a_gate_inside_a_gate_is_live_once_both_are_allowed(rf, categories):
    request = rf.get("/")
    request.COOKIES[CONSENT_COOKIE] = consent_cookie({"functional", "analytics"})
    assert render(NESTED, request) == (
        '<iframe src="https://video.example/1"></iframe><script type="module" src="/m.js"></script>'
    )


def test_banner_in_afrikaans(client, categories):
    html = client.get("/t/", HTTP_ACCEPT_LANGUAGE="af").content.decode()
    assert "Aanvaar alles" not in html  # the test site has no LocaleMiddleware: English
    from django.utils import translation

    with translation.override("af"):
        html = client.get("/t/").content.decode()
    assert "Aanvaar alles" in html
    assert "Accept all" not in html


def test_cached_banner_is_filled_in_per_request(categories):
    from django.test import Client

    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    one = first.get("/t/?a=1&b=2")
    two = second.get("/t/")
    assert 'name="next" value="/t/?a=1&amp;b=2"' in one.content.decode()
    assert "?next=/t/%3Fa%3D1%26b%3D2" in one.content.decode()
    assert 'name="next" value="/t/"' in two.content.decode()
    assert "__cookieconsent" not in one.content.decode() + two.content.decode()
    # No token, so no CSRF cookie for a first visit; and the same bytes for every visitor.
    assert not one.cookies and not two.cookies
    assert Client().get("/t/").content == two.content
    response = second.post(
        "/cookies/consent/", {"action": "reject_all"}, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "query",
    [
        "?x=&cookieconsent-next;&next=/evil",
        "?x=&cookieconsent-next-query;",
        "?&cookieconsent-next;=&cookieconsent-next-query;",
    ],
)
def test_a_placeholder_in_the_address_is_filled_once(client, categories, query):
    """Defect 14: the visitor's address holding a placeholder's text fills nothing else."""
    from urllib.parse import quote

    from django.utils.html import escape

    path = "/t/" + query
    page = client.get(path).content.decode()
    # The banner's (the footer's settings link returns to the page too, quoted once).
    html = page[page.index('<section id="cookieconsent-banner"') : page.index("</section>")]
    assert re.findall(r'name="next" value="([^"]*)"', html) == [escape(path)]
    customise = re.findall(r'href="/cookies/preferences/\?next=([^"]*)"', html)
    assert customise == [escape(quote(path, safe="/"))]
    # The visitor's text appears where it was put, and nowhere else.
    assert html.count("cookieconsent-next") == 2 * query.count("cookieconsent-next")


def test_cached_banner_follows_staff_edits(client, categories):
    """The cached banner is rendered again when a publish changes the registry: what the
    script enforces (the storage keys it clears) and the category names, both once
    published."""
    from cookieconsent.models import CookiePolicy, Technology
    from tests.factories import CookieFactory

    assert "Analytics" in client.get("/t/").content.decode()
    analytics = categories["analytics"]
    analytics.name = "Usage statistics"
    analytics.save()
    CookieFactory(category=analytics, name="fresh_key", technology=Technology.LOCAL_STORAGE)
    html = client.get("/t/").content.decode()
    assert "fresh_key" not in html and "Usage statistics" not in html
    publish(CookiePolicy.current())
    html = client.get("/t/").content.decode()
    assert "fresh_key" in html and "Usage statistics" in html


def test_the_banner_shown_is_the_published_one_whatever_the_template(client, categories, settings):
    """The banner comes from the snapshot, rendered by the site's own banner.html: what the
    records' hash covers is what the visitor got."""
    from cookieconsent.models import CookiePolicy

    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "DIRS": [Path(__file__).parent.parent / "templates" / "custom_banner"],
        }
    ]
    before = client.get("/t/").content.decode()
    assert "A banner of the site's own" not in before
    publish(CookiePolicy.current())
    after = client.get("/t/").content.decode()
    assert "A banner of the site's own" in after


def test_inert_marks_iframes_whatever_their_case():
    html = inert('<IFRAME SRC="https://map.example/"></IFRAME>', "functional")
    assert html == (
        '<IFRAME data-cookieconsent="functional" data-cookieconsent-src="https://map.example/">'
        "</IFRAME>"
    )


def test_the_script_is_told_only_the_storage_it_can_clear(rf, categories):
    import json
    from html import unescape

    from cookieconsent.models import Cookie, CookiePolicy, Technology

    Cookie.objects.create(
        name="basket", technology=Technology.SERVER_SESSION, category=categories["functional"]
    )
    Cookie.objects.create(
        name="tab", technology=Technology.SESSION_STORAGE, category=categories["analytics"]
    )
    publish(CookiePolicy.current())
    html = render("{% cookieconsent_script %}", rf.get("/"))
    config = json.loads(unescape(re.search(r'data-cookieconsent-config="([^"]*)"', html)[1]))
    assert config["storageKeys"] == {
        "localStorage": [["functional", "ui"]],
        "sessionStorage": [["analytics", "tab"]],
    }


def test_each_category_box_is_described_by_its_purpose(client, categories):
    """A screen reader reads a category's purpose with its box (WCAG 1.3.1), and "Always on"
    with a required one's."""
    from cookieconsent.models import CookieCategory, CookiePolicy
    from cookieconsent.publishing import publish

    CookieCategory.objects.filter(slug="analytics").update(purpose="Counting visits.")
    CookieCategory.objects.filter(slug="necessary").update(purpose="Sign-in.")
    publish(CookiePolicy.current())
    html = client.get("/cookies/preferences/").content.decode()
    box = re.search(r'<input type="checkbox" id="cc-category-analytics"[^>]*>', html)
    assert box is not None and 'aria-describedby="cc-purpose-analytics"' in box.group(0)
    assert '<p class="cc-category__purpose" id="cc-purpose-analytics">Counting visits.</p>' in html
    required = re.search(r'<input type="checkbox" id="cc-category-necessary"[^>]*>', html)
    assert required is not None
    assert 'aria-describedby="cc-required-necessary cc-purpose-necessary"' in required.group(0)


def test_the_script_says_what_a_saved_choice_allows_in_the_visitors_language(categories):
    """The status message the script reads out after a choice: a template for the allowed
    categories' names, and the words for none, in English and Afrikaans."""
    from django.utils import translation

    from cookieconsent.publishing import script

    strings = script.config(None)["strings"]
    assert strings["saved"] == "Your choice is saved. Allowed: %s."
    assert strings["none"] == "no optional cookies"
    with translation.override("af"):
        strings = script.config(None)["strings"]
    assert strings["saved"] == "Jou keuse is gestoor. Toegelaat: %s."
    assert strings["none"] == "geen opsionele koekies nie"
