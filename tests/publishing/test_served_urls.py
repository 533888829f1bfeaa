"""The app's URLs in the published banner and preferences: kept as placeholders in the
snapshot and reversed for each request, with its script prefix (a site its server mounts at a
sub-path, ``SCRIPT_NAME``) and its language (``i18n_patterns``), whoever published."""

from __future__ import annotations

import html as entities
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.core.handlers.wsgi import WSGIHandler, get_script_name
from django.core.signals import request_started
from django.db import close_old_connections
from django.test import Client
from django.test.client import ClientHandler, RequestFactory
from django.urls import include, path, set_script_prefix
from django.utils import translation

from cookieconsent import publishing
from cookieconsent.admin.frames import frames
from cookieconsent.conf import get_config, reset_caches
from cookieconsent.models import ConsentRecord, CookiePolicy
from cookieconsent.publishing import render as rendering
from cookieconsent.publishing import serve as serving
from tests import views

pytestmark = pytest.mark.django_db

#: Where the server mounts the site (gunicorn's or mod_wsgi's SCRIPT_NAME).
MOUNT = "/shop"
SAME_ORIGIN = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}


def published_by_command() -> None:
    """A version published as ``manage.py cookieconsent_publish`` does: script prefix "/"."""
    set_script_prefix("/")
    publishing.publish(CookiePolicy.current(), reconsent=True)
    reset_caches()


def served(page: str, script_name: str = MOUNT) -> str:
    """``page`` as Django's WSGI handler serves it when the server mounts the site at
    ``script_name``. (Without closing the test's database connection at the start of the
    request, as the test client does not.)"""
    environ = RequestFactory().get(page).environ
    environ["SCRIPT_NAME"] = script_name
    request_started.disconnect(close_old_connections)
    try:
        return b"".join(WSGIHandler()(environ, lambda status, headers: None)).decode()
    finally:
        request_started.connect(close_old_connections)
        set_script_prefix("/")


class _MountedHandler(ClientHandler):
    """The test client's handler, taking the script prefix from ``SCRIPT_NAME`` as Django's
    ``WSGIHandler`` does."""

    def __call__(self, environ: dict[str, Any]) -> Any:
        set_script_prefix(get_script_name(environ))
        try:
            return super().__call__(environ)
        finally:
            set_script_prefix("/")


@pytest.fixture
def mounted() -> Client:
    """A test client for the site mounted at ``MOUNT``: paths are asked for below the mount,
    as the server passes them on."""
    client = Client(SCRIPT_NAME=MOUNT)
    client.handler = _MountedHandler(enforce_csrf_checks=False)
    return client


def links(page: str) -> dict[str, list[str]]:
    """The banner's form actions, policy links and Customise links, unescaped."""
    banner = page.split('id="cookieconsent-banner"', 1)[1].split("</section>", 1)[0]
    found = {
        "action": re.findall(r'<form method="post" action="([^"]*)"', banner),
        "policy": re.findall(r'class="cc-banner__text">[^\n]*<a href="([^"]*)">', banner),
        "customise": re.findall(r'<a href="([^"]*)" class="cc-button cc-button--quiet"', banner),
    }
    return {kind: [entities.unescape(url) for url in urls] for kind, urls in found.items()}


def config(page: str) -> dict[str, Any]:
    found = re.search(
        r'<section id="cookieconsent-banner"[^>]*data-cookieconsent-config="([^"]*)"', page
    )
    assert found is not None
    return json.loads(entities.unescape(found.group(1)))


# -- a site its server mounts at a sub-path -------------------------------------------------


def test_a_banner_published_by_the_command_under_a_server_mount(categories):
    published_by_command()
    page = served("/t/")
    assert 'action="/shop/cookies/consent/"' in page
    assert links(page) == {
        "action": ["/shop/cookies/consent/"],
        "policy": ["/shop/cookies/policy/"],
        "customise": ["/shop/cookies/preferences/?next=/shop/t/"],
    }
    assert "/cookies/" not in page.replace("/shop/cookies/", "")
    assert {k: v for k, v in config(page).items() if k.endswith("Url")} == {
        "consentUrl": "/shop/cookies/consent/",
        "statusUrl": "/shop/cookies/status/",
        "preferencesUrl": "/shop/cookies/preferences/",
    }


def test_a_page_without_a_mount_is_unchanged(client, categories):
    published_by_command()
    page = client.get("/t/?a=1&b=2").content.decode()
    assert links(page) == {
        "action": ["/cookies/consent/"],
        "policy": ["/cookies/policy/"],
        "customise": ["/cookies/preferences/?next=/t/%3Fa%3D1%26b%3D2"],
    }
    assert 'name="next" value="/t/?a=1&amp;b=2"' in page


def test_the_snapshot_holds_no_url_whoever_published(categories):
    """Published from the admin of a mounted site (script prefix /shop): the snapshot holds
    the same placeholders, and a process serving the site unmounted links to its own URLs."""
    set_script_prefix(MOUNT + "/")
    try:
        version = publishing.publish(CookiePolicy.current(), reconsent=True)
    finally:
        set_script_prefix("/")
    reset_caches()
    for snapshot in version.snapshots.all():
        for stored in [*snapshot.banner.values(), snapshot.preferences_html]:
            assert "/cookies/" not in stored
            assert rendering.CONSENT_URL in stored and rendering.POLICY_URL in stored
        assert rendering.PREFERENCES_URL in snapshot.banner["ask:opt-in"]
    assert links(served("/t/", script_name=""))["action"] == ["/cookies/consent/"]


def test_publishing_again_from_elsewhere_has_nothing_to_publish(categories):
    """Whether the draft differs from the live version does not depend on who asks: the
    command and a mounted admin render the same snapshot."""
    published_by_command()
    set_script_prefix(MOUNT + "/")
    try:
        with pytest.raises(publishing.NothingToPublish):
            publishing.publish(CookiePolicy.current())
    finally:
        set_script_prefix("/")


def test_one_process_serves_each_mount_its_own_urls(client, categories):
    """The banner a process keeps is kept per script prefix: a request under the mount after
    one without it (or the other way round) gets its own URLs."""
    published_by_command()
    assert links(client.get("/t/").content.decode())["action"] == ["/cookies/consent/"]
    assert links(served("/t/"))["action"] == ["/shop/cookies/consent/"]
    assert links(client.get("/t/").content.decode())["action"] == ["/cookies/consent/"]


def test_the_form_posted_without_javascript_under_the_mount(mounted, categories):
    """A visitor without JavaScript posts the served banner's form: the post reaches the
    consent endpoint under the mount, which records the choice and sends the visitor back to
    the page; the banner is gone there."""
    published_by_command()
    page = mounted.get("/t/").content.decode()
    (action,) = links(page)["action"]
    assert action.startswith(MOUNT + "/")
    (back,) = re.findall(r'name="next" value="([^"]*)"', page)
    assert back == "/shop/t/"
    response = mounted.post(
        action.removeprefix(MOUNT),
        {"action": "reject_all", "next": entities.unescape(back)},
        headers=SAME_ORIGIN,
    )
    assert response.status_code == 302
    assert response["Location"] == "/shop/t/"
    assert get_config()["COOKIE_NAME"] in response.cookies
    record = ConsentRecord.objects.order_by("-pk").first()
    assert record is not None and record.page_url == "/shop/t/" and record.action == "reject_all"
    after = mounted.get("/t/").content.decode()
    assert 'id="cookieconsent-banner"' not in after


def test_customise_under_the_mount(mounted, categories):
    """The Customise link leads to the preferences page under the mount, whose form posts to
    the consent endpoint there and whose policy link stays on the site."""
    published_by_command()
    (customise,) = links(mounted.get("/t/").content.decode())["customise"]
    assert customise == "/shop/cookies/preferences/?next=/shop/t/"
    preferences = mounted.get(customise.removeprefix(MOUNT)).content.decode()
    assert '<form method="post" action="/shop/cookies/consent/"' in preferences
    assert '<a href="/shop/cookies/policy/">Read our Cookie Policy' in preferences
    assert 'name="next" value="/shop/t/"' in preferences
    panel = re.search(
        r'id="cookieconsent-preferences" data-cookieconsent-config="([^"]*)"', preferences
    )
    assert panel is not None
    assert json.loads(entities.unescape(panel.group(1)))["consentUrl"] == "/shop/cookies/consent/"


def test_the_admin_shows_the_snapshot_with_its_own_urls(categories):
    """The admin's frames fill the placeholders as the admin's request reverses the URLs."""
    published_by_command()
    shown = serving.current("en")
    set_script_prefix(MOUNT + "/")
    try:
        shown_frames = frames(shown)
    finally:
        set_script_prefix("/")
    banner, preferences = (entities.unescape(frame) for _title, frame in shown_frames[:2])
    assert 'action="/shop/cookies/consent/"' in banner
    assert '<a href="/shop/cookies/policy/">' in banner
    assert 'action="/shop/cookies/consent/"' in preferences
    for frame in (banner, preferences):
        assert "cookieconsent-consent-url" not in frame
        assert "cookieconsent-policy-url" not in frame


# -- placeholders nobody else can write -----------------------------------------------------


def test_staff_words_cannot_hold_a_url_placeholder(client, categories):
    """A banner message or a category name holding a placeholder's text is printed as typed:
    escaping turns its "&" into "&amp;", so only the template's own placeholder is filled."""
    typed = " ".join([rendering.CONSENT_URL, rendering.POLICY_URL, rendering.PREFERENCES_URL])
    policy = CookiePolicy.current()
    policy.banner_message = f"Ask {typed}"
    policy.save()
    analytics = categories["analytics"]
    analytics.name = f"Analytics {rendering.POLICY_URL}"
    analytics.save()
    publishing.publish(policy, reconsent=True)
    reset_caches()
    snapshot = serving.current("en")
    assert snapshot.preferences_html.count(rendering.POLICY_URL) == 1  # the template's link
    assert snapshot.banner["ask:opt-in"].count(rendering.CONSENT_URL) == 1
    # Nor can a visitor's address: it is joined in after the URLs are filled.
    page = served("/t/?x=" + rendering.CONSENT_URL)
    assert "Ask " + typed.replace("&", "&amp;") in page
    assert 'name="next" value="/shop/t/?x=&amp;cookieconsent-consent-url;"' in page
    assert links(page) == {
        "action": ["/shop/cookies/consent/"],
        "policy": ["/shop/cookies/policy/"],
        "customise": [
            "/shop/cookies/preferences/?next=/shop/t/%3Fx%3D%26cookieconsent-consent-url%3B"
        ],
    }
    assert config(page)["categoryNames"]["analytics"] == f"Analytics {rendering.POLICY_URL}"


def test_staff_words_cannot_hold_any_placeholder(client, categories):
    """The page to return to, its query, the script's configuration, the theme and the CSRF
    token were plain words (``__cookieconsent_next__``): typed into the banner's message, they
    were filled with the visitor's address or the escaped configuration."""
    placeholders = [
        rendering.NEXT,
        rendering.NEXT_QUERY,
        rendering.CONFIG,
        rendering.THEME,
        rendering.CSRF,
        "__cookieconsent_next__",  # the old names, now plain words
        "__cookieconsent_config__",
    ]
    typed = " ".join(placeholders)
    policy = CookiePolicy.current()
    policy.banner_message = f"Ask {typed}"
    policy.save()
    publishing.publish(policy, reconsent=True)
    reset_caches()
    page = client.get("/t/?x=1").content.decode()
    assert "Ask " + typed.replace("&", "&amp;") in page
    assert page.count('name="next" value="/t/?x=1"') == 1
    snapshot = serving.current("en")
    assert snapshot.preferences_html.count(rendering.CSRF) == 1  # the template's own


# -- i18n_patterns ----------------------------------------------------------------------------

urlpatterns = i18n_patterns(
    path("t/", views.page, name="page"),
    path("cookies/", include("cookieconsent.urls")),
)
LOCALE = [
    *settings.MIDDLEWARE[:3],
    "django.middleware.locale.LocaleMiddleware",
    *settings.MIDDLEWARE[3:],
]


@pytest.fixture
def in_languages(settings) -> Iterator[None]:
    """The app's URLs and a page with the banner under a language prefix (/en/, /af/). The
    language the thread had is restored after: LocaleMiddleware leaves the request's active,
    and the admin's tests that followed were in Afrikaans."""
    settings.ROOT_URLCONF = __name__
    settings.MIDDLEWARE = LOCALE
    reset_caches()
    with translation.override(translation.get_language()):
        yield
    reset_caches()


@pytest.mark.parametrize("language", ["en", "af"])
def test_each_language_links_to_its_own_urls(client, categories, in_languages, language):
    published_by_command()
    page = client.get(f"/{language}/t/").content.decode()
    assert links(page) == {
        "action": [f"/{language}/cookies/consent/"],
        "policy": [f"/{language}/cookies/policy/"],
        "customise": [f"/{language}/cookies/preferences/?next=/{language}/t/"],
    }
    assert config(page)["consentUrl"] == f"/{language}/cookies/consent/"


def test_a_language_served_from_another_languages_snapshot(
    client, categories, in_languages, settings
):
    """A language added after the last publish is served the default language's snapshot (its
    words), with its own URLs: the banner's links keep the visitor in their language."""
    settings.LANGUAGES = [("en", "English")]
    published_by_command()
    settings.LANGUAGES = [("en", "English"), ("af", "Afrikaans")]
    reset_caches()
    page = client.get("/af/t/").content.decode()
    assert "Accept all" in page  # the English snapshot
    assert links(page) == {
        "action": ["/af/cookies/consent/"],
        "policy": ["/af/cookies/policy/"],
        "customise": ["/af/cookies/preferences/?next=/af/t/"],
    }


def test_a_language_under_a_mount(categories, in_languages):
    published_by_command()
    assert links(served("/af/t/")) == {
        "action": ["/shop/af/cookies/consent/"],
        "policy": ["/shop/af/cookies/policy/"],
        "customise": ["/shop/af/cookies/preferences/?next=/shop/af/t/"],
    }
