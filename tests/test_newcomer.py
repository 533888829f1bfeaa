"""What a newcomer meets first: the one-tag head, the site's own layout for the app's pages,
and honest preferences text. (The demo's port and icon: example_project/tests/test_demo.py; the
whole path, replayed on a fresh ``startproject`` site: tests/test_tutorial.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.test import RequestFactory, override_settings
from django.utils import translation
from django.utils.translation import gettext

from cookieconsent.checks import check_settings
from cookieconsent.models import Cookie, CookieCategory
from tests.factories import CookieCategoryFactory
from tests.helpers import publish_draft

ROOT = Path(__file__).resolve().parent.parent
APP_TEMPLATES = ROOT / "cookieconsent" / "templates"
SITE_BASE = (
    "<!doctype html><title>{% block title %}{% endblock %} · My site</title>"
    '<nav id="site-nav"><a href="/">Home</a></nav>'
    "<main>{% block content %}{% endblock %}</main>"
)


def site_templates(**site: str) -> list[dict[str, object]]:
    """TEMPLATES with the site's own templates in memory and the app's from its folder."""
    return [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [],
            "OPTIONS": {
                "loaders": [
                    ("django.template.loaders.locmem.Loader", site),
                    ("django.template.loaders.filesystem.Loader", [str(APP_TEMPLATES)]),
                ],
                "context_processors": ["django.template.context_processors.request"],
            },
        }
    ]


# -- {% cookieconsent_head %} ------------------------------------------------------------------


def render_head() -> str:
    request = RequestFactory().get("/")
    return Template("{% load cookieconsent %}{% cookieconsent_head %}").render(
        Context({"request": request})
    )


def test_head_tag_emits_stylesheet_then_script(categories):
    html = render_head()
    stylesheet = '<link rel="stylesheet" href="/static/cookieconsent/cookieconsent.min.css">'
    assert html.startswith(stylesheet)
    assert '<script src="/static/cookieconsent/cookieconsent.min.js" defer' in html
    assert "consent-mode" not in html


def test_head_tag_puts_consent_mode_defaults_first(categories, settings):
    settings.COOKIECONSENT = {"GOOGLE_CONSENT_MODE": {"analytics": ["analytics_storage"]}}
    html = render_head()
    assert html.index("consent-mode.js") < html.index("cookieconsent.min.css")
    assert html.index("cookieconsent.min.css") < html.index("cookieconsent.min.js")


# -- BASE_TEMPLATE -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/cookies/policy/", "/cookies/preferences/"])
def test_pages_extend_the_base_template_the_setting_names(client, categories, path):
    with override_settings(
        TEMPLATES=site_templates(**{"site.html": SITE_BASE}),
        COOKIECONSENT={"BASE_TEMPLATE": "site.html"},
    ):
        html = client.get(path).content.decode()
    assert '<nav id="site-nav">' in html
    assert " · My site</title>" in html
    assert 'class="cc-' in html  # the page's own content, in the site's "content" block


def test_error_page_extends_the_base_template_too(client, categories):
    with override_settings(
        TEMPLATES=site_templates(**{"site.html": SITE_BASE}),
        COOKIECONSENT={"BASE_TEMPLATE": "site.html"},
    ):
        response = client.post("/cookies/consent/", {"action": "nonsense"})
    assert response.status_code == 400
    assert '<nav id="site-nav">' in response.content.decode()


def test_without_the_setting_the_pages_have_the_apps_own_layout(client, categories):
    with override_settings(TEMPLATES=site_templates(), COOKIECONSENT={}):
        html = client.get("/cookies/policy/").content.decode()
    assert '<main id="content">' in html
    assert 'href="/static/cookieconsent/cookieconsent.min.css"' in html


def test_a_base_template_no_loader_finds_is_a_check_error():
    with override_settings(COOKIECONSENT={"BASE_TEMPLATE": "nowhere/base.html"}):
        errors = check_settings()
    assert [e.id for e in errors] == ["cookieconsent.E008"]
    assert "'nowhere/base.html'" in errors[0].msg


def test_a_base_template_that_exists_passes_the_checks():
    with override_settings(COOKIECONSENT={"BASE_TEMPLATE": "tests/home.html"}):
        assert check_settings() == []
    call_command("check")


# -- the preferences page says only what is true -----------------------------------------------

ALWAYS_ON = "Strictly necessary cookies are always on"


def test_preferences_mention_strictly_necessary_cookies_only_when_declared(client, db):
    # Start from a site that declares no required category.
    Cookie.objects.all().delete()
    CookieCategory.objects.all().delete()
    CookieCategoryFactory(slug="analytics", name="Analytics", required=False)
    publish_draft()
    html = client.get("/cookies/preferences/").content.decode()
    assert "Choose which cookies we may use." in html
    assert ALWAYS_ON not in html
    CookieCategoryFactory(slug="necessary", name="Strictly necessary", required=True)
    publish_draft()
    html = client.get("/cookies/preferences/").content.decode()
    assert ALWAYS_ON in html


def test_preferences_sentences_are_translated():
    with translation.override("af"):
        assert gettext("Choose which cookies we may use.") == "Kies watter koekies ons mag gebruik."
        assert gettext(ALWAYS_ON + ": the site cannot work without them.").startswith(
            "Streng noodsaaklike koekies is altyd aan"
        )
        assert gettext("You can change your mind here at any time.").startswith("Jy kan")
