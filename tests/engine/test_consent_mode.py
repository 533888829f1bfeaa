"""Google Consent Mode v2: ``{% cookieconsent_consent_mode %}`` emits this visitor's defaults,
as a nonced inline script or a static script reading a ``data-`` attribute."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.template import Context, Template
from django.test import override_settings

from cookieconsent.templatetags.cookieconsent import CONSENT_MODE_TYPES
from cookieconsent.testing import CONSENT_COOKIE, consent_cookie

pytestmark = pytest.mark.django_db

MAPPING = {
    "necessary": ["security_storage"],
    "functional": ["functionality_storage", "personalization_storage"],
    "analytics": ["analytics_storage"],
}
CONSENT_MODE = override_settings(COOKIECONSENT={"GOOGLE_CONSENT_MODE": MAPPING})
CACHE_SAFE_CONSENT_MODE = override_settings(
    COOKIECONSENT={"GOOGLE_CONSENT_MODE": MAPPING, "CACHE_SAFE": True}
)
STATIC_TAG = re.compile(
    r'<script src="/static/cookieconsent/consent-mode\.js" '
    r'data-cookieconsent-consent-mode="([^"]*)"></script>'
)
INLINE_TAG = re.compile(r'<script nonce="([^"]*)">(.*?)</script>', re.DOTALL)


def defaults_in(page: str) -> dict[str, object]:
    match = STATIC_TAG.search(page)
    assert match is not None, page
    return json.loads(html.unescape(match.group(1)))  # type: ignore[no-any-return]


def render(source: str, request, **context) -> str:
    return Template("{% load cookieconsent %}" + source).render(
        Context({"request": request, **context})
    )


def test_nothing_without_the_setting(client, categories):
    page = client.get("/").content.decode()
    assert "consent-mode" not in page and "gtag" not in page


@CONSENT_MODE
def test_new_visitor_gets_everything_optional_denied(client, categories):
    page = client.get("/").content.decode()
    defaults = defaults_in(page)
    assert set(defaults) == set(CONSENT_MODE_TYPES)
    # Required categories are always allowed; types no category grants stay denied.
    assert defaults["security_storage"] == "granted"
    assert {v for k, v in defaults.items() if k != "security_storage"} == {"denied"}
    # In <head>, before the site's scripts.
    assert page.index("consent-mode.js") < page.index("</head>")
    assert page.index("consent-mode.js") < page.index("cookieconsent.min.js")


@CONSENT_MODE
def test_defaults_follow_the_visitors_choice(client, categories):
    client.cookies[CONSENT_COOKIE] = consent_cookie({"analytics"})
    defaults = defaults_in(client.get("/").content.decode())
    assert defaults["analytics_storage"] == "granted"
    assert defaults["functionality_storage"] == "denied"
    assert defaults["ad_storage"] == "denied"
    assert "wait_for_update" not in defaults


@CONSENT_MODE
def test_defaults_after_accept_all_through_the_endpoint(client, categories):
    client.post("/cookies/consent/", {"action": "accept_all"})
    defaults = defaults_in(client.get("/").content.decode())
    assert defaults["analytics_storage"] == defaults["personalization_storage"] == "granted"
    assert defaults["ad_user_data"] == defaults["ad_personalization"] == "denied"


@CONSENT_MODE
def test_page_varies_on_cookie(client, categories):
    assert "Cookie" in client.get("/")["Vary"]


@CONSENT_MODE
def test_inline_with_a_nonce_from_the_context(rf, categories):
    out = render("{% cookieconsent_consent_mode %}", rf.get("/"), csp_nonce="abc123")
    match = INLINE_TAG.fullmatch(out)
    assert match is not None, out
    assert match.group(1) == "abc123"
    code = match.group(2)
    assert code.startswith("window.dataLayer=window.dataLayer||[];function gtag(){")
    defaults = json.loads(code[code.index('"default",') + 10 : -2])
    assert defaults["analytics_storage"] == "denied"


@CONSENT_MODE
def test_inline_with_django_csps_request_nonce(rf, categories):
    request = rf.get("/")
    request.csp_nonce = "fromrequest"
    out = render("{% cookieconsent_consent_mode %}", request)
    assert out.startswith('<script nonce="fromrequest">')


@CONSENT_MODE
def test_static_script_without_a_nonce(rf, categories):
    out = render("{% cookieconsent_consent_mode %}", rf.get("/"))
    assert STATIC_TAG.fullmatch(out)
    assert finders.find("cookieconsent/consent-mode.js")


@override_settings(
    COOKIECONSENT={"GOOGLE_CONSENT_MODE": {"analytics": ["analytics_storage", "ad_storage"]}}
)
def test_a_type_granted_by_any_allowed_category(rf, categories):
    request = rf.get("/")
    request.COOKIES[CONSENT_COOKIE] = consent_cookie({"analytics"})
    out = render("{% cookieconsent_consent_mode %}", request)
    defaults = json.loads(html.unescape(STATIC_TAG.fullmatch(out).group(1)))
    assert defaults["ad_storage"] == defaults["analytics_storage"] == "granted"
    assert defaults["security_storage"] == "denied"  # no category maps it


@CACHE_SAFE_CONSENT_MODE
def test_cache_safe_defaults_are_the_same_for_everyone(client, categories):
    first = defaults_in(client.get("/").content.decode())
    client.cookies[CONSENT_COOKIE] = consent_cookie({"analytics", "functional"})
    second = defaults_in(client.get("/").content.decode())
    assert first == second
    assert second["analytics_storage"] == "denied"
    assert second["security_storage"] == "granted"
    assert second["wait_for_update"] == 500


@CONSENT_MODE
def test_the_script_gets_the_mapping_for_updates(client, categories):
    page = client.get("/").content.decode()
    match = re.search(r'data-cookieconsent-config="([^"]*)"', page)
    assert match is not None
    config = json.loads(html.unescape(match.group(1)))
    assert config["consentMode"]["analytics_storage"] == ["analytics"]
    assert config["consentMode"]["functionality_storage"] == ["functional"]
    assert config["consentMode"]["ad_storage"] == []


def test_no_mapping_in_the_scripts_config_without_the_setting(client, categories):
    page = client.get("/").content.decode()
    config = json.loads(html.unescape(re.search(r'data-cookieconsent-config="([^"]*)"', page)[1]))
    assert "consentMode" not in config


@CONSENT_MODE
def test_without_a_request_everything_is_denied(categories):
    out = render("{% cookieconsent_consent_mode %}", None)
    defaults = json.loads(html.unescape(STATIC_TAG.fullmatch(out).group(1)))
    assert set(defaults.values()) == {"denied"}


# -- Microsoft UET and Clarity, from the same mapping ------------------------------------------

ADS_MAPPING = {**MAPPING, "functional": ["ad_storage"]}
MICROSOFT = override_settings(
    COOKIECONSENT={"GOOGLE_CONSENT_MODE": ADS_MAPPING, "MICROSOFT_CONSENT_MODE": ["uet", "clarity"]}
)
MICROSOFT_TAG = re.compile(
    r'<script src="/static/cookieconsent/consent-mode\.js" '
    r'data-cookieconsent-consent-mode="([^"]*)" data-cookieconsent-microsoft="([^"]*)"></script>'
)


@MICROSOFT
def test_the_static_script_names_the_microsoft_tags(client, categories):
    client.cookies[CONSENT_COOKIE] = consent_cookie({"analytics"})
    match = MICROSOFT_TAG.search(client.get("/").content.decode())
    assert match is not None
    assert match.group(2) == "uet clarity"
    defaults = json.loads(html.unescape(match.group(1)))
    # What consent-mode.js tells UET (ad_storage) and Clarity (both).
    assert (defaults["ad_storage"], defaults["analytics_storage"]) == ("denied", "granted")


@override_settings(
    COOKIECONSENT={"GOOGLE_CONSENT_MODE": ADS_MAPPING, "MICROSOFT_CONSENT_MODE": ["clarity"]}
)
def test_only_the_named_tags(rf, categories):
    out = render("{% cookieconsent_consent_mode %}", rf.get("/"))
    assert MICROSOFT_TAG.fullmatch(out).group(2) == "clarity"


@MICROSOFT
def test_inline_tells_uet_and_clarity(rf, categories):
    request = rf.get("/")
    request.COOKIES[CONSENT_COOKIE] = consent_cookie({"functional"})
    out = render("{% cookieconsent_consent_mode %}", request, csp_nonce="n")
    code = INLINE_TAG.fullmatch(out).group(2)
    assert '(window.uetq=window.uetq||[]).push("consent","default",{ad_storage:"granted"});' in code
    assert 'clarity("consentv2",{ad_Storage:"granted",analytics_Storage:"denied"});' in code
    # Clarity's own snippet finds the queue and keeps it.
    assert "window.clarity=window.clarity||function(){(clarity.q=clarity.q||[])" in code


@MICROSOFT
def test_the_script_is_told_which_microsoft_tags_to_update(client, categories):
    page = client.get("/").content.decode()
    config = json.loads(html.unescape(re.search(r'data-cookieconsent-config="([^"]*)"', page)[1]))
    assert config["microsoft"] == ["uet", "clarity"]
    assert config["consentMode"]["ad_storage"] == ["functional"]


def test_microsoft_tags_only_when_named_and_mapped(client, categories):
    with CONSENT_MODE:  # mapped, none named
        page = client.get("/").content.decode()
        assert STATIC_TAG.search(page) and "data-cookieconsent-microsoft" not in page
        assert '"microsoft"' not in html.unescape(page)
    with override_settings(COOKIECONSENT={"MICROSOFT_CONSENT_MODE": ["uet"]}):  # not mapped
        page = client.get("/").content.decode()
        assert "consent-mode" not in page and '"microsoft"' not in html.unescape(page)
    with MICROSOFT:
        assert MICROSOFT_TAG.search(client.get("/").content.decode())
