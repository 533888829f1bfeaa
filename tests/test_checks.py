"""System checks: settings and middleware."""

from __future__ import annotations

import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.checks import WARNING, CheckMessage
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import models
from django.test import Client, override_settings
from django.urls import reverse
from markdown.extensions.toc import TocExtension

from cookieconsent.checks import (
    MIDDLEWARE_PATH,
    check_deploy,
    check_middleware,
    check_regions,
    check_settings,
)
from cookieconsent.conf import DAY, LONGEST, SETTINGS
from cookieconsent.middleware import CookieConsentMiddleware
from cookieconsent.models import ConsentRecord
from tests.helpers import check_error_codes


def test_defaults_pass():
    assert check_error_codes({}) == []


@pytest.mark.parametrize(
    ("value", "codes"),
    [
        ([], ["cookieconsent.E001"]),
        ({"COOKIE_NAM": "x"}, ["cookieconsent.E002"]),
        ({"COOKIE_NAME": 3}, ["cookieconsent.E003"]),
        ({"CONSENT_MAX_AGE": "1 year"}, ["cookieconsent.E003"]),
        ({"CONSENT_MAX_AGE": True}, ["cookieconsent.E003"]),
        ({"HONOUR_GPC": "yes"}, ["cookieconsent.E003"]),
        ({"COOKIE_DOMAIN": 1}, ["cookieconsent.E003"]),
        ({"UNDECLARED_COOKIES": "maybe"}, ["cookieconsent.E004"]),
        ({"COOKIE_SAMESITE": "lax"}, ["cookieconsent.E004"]),
        ({"THEME": "Dark"}, ["cookieconsent.E004"]),
        ({"THEME": None}, ["cookieconsent.E003"]),
        ({"GOOGLE_CONSENT_MODE": {"analytics": ["analytic_storage"]}}, ["cookieconsent.E006"]),
        ({"GOOGLE_CONSENT_MODE": {"analytics": "analytics_storage"}}, ["cookieconsent.E006"]),
        ({"GOOGLE_CONSENT_MODE": ["analytics_storage"]}, ["cookieconsent.E003"]),
        ({"GOOGLE_CONSENT_MODE": {"analytics": [["analytics_storage"]]}}, ["cookieconsent.E006"]),
        ({"GOOGLE_CONSENT_MODE": {"analytics": [None]}}, ["cookieconsent.E006"]),
    ],
)
def test_bad_settings(value, codes):
    assert check_error_codes(value) == codes


@pytest.mark.parametrize(
    ("value", "codes"),
    [
        ({"CONSENT_MAX_AGE": 0}, ["cookieconsent.E010"]),
        ({"CONSENT_MAX_AGE": -1}, ["cookieconsent.E010"]),
        ({"REFUSAL_MAX_AGE": 0}, ["cookieconsent.E010"]),
        ({"CONSENT_MAX_AGE": -5, "REFUSAL_MAX_AGE": -5}, ["cookieconsent.E010"] * 2),
        ({"CONSENT_MAX_AGE": 1, "REFUSAL_MAX_AGE": 3600}, []),
        ({"COOKIE_NAME": "a b"}, ["cookieconsent.E011"]),
        ({"COOKIE_NAME": ""}, ["cookieconsent.E011"]),
        ({"COOKIE_NAME": "consent;x"}, ["cookieconsent.E011"]),
        ({"COOKIE_NAME": "Expires"}, ["cookieconsent.E011"]),  # an attribute's name
        ({"COOKIE_NAME": "site_consent-v2"}, []),
        ({"USER_AGENT_MAX_LENGTH": -1}, ["cookieconsent.E043"]),
        ({"USER_AGENT_MAX_LENGTH": 501}, ["cookieconsent.E043"]),
        ({"USER_AGENT_MAX_LENGTH": 0}, []),
        ({"USER_AGENT_MAX_LENGTH": 500}, []),
        ({"COOKIE_SAMESITE": "None"}, ["cookieconsent.W007"]),
        ({"COOKIE_SAMESITE": "None", "COOKIE_SECURE": True}, []),
        ({"COOKIE_SAMESITE": "Strict"}, []),
    ],
)
def test_consent_cookie_settings_no_browser_or_record_can_take(value, codes):
    assert check_error_codes(value) == codes


@pytest.mark.parametrize(
    ("value", "codes"),
    [
        ({"COOKIE_NAME": "__Host-cookieconsent"}, ["cookieconsent.E013"]),
        ({"COOKIE_NAME": "__Secure-cookieconsent"}, ["cookieconsent.E013"]),
        ({"COOKIE_NAME": "__secure-cc"}, ["cookieconsent.E013"]),  # browsers match any case
        ({"COOKIE_NAME": "__Host-cc", "COOKIE_SECURE": True}, []),
        ({"COOKIE_NAME": "__Host-cc", "COOKIE_SECURE": True, "COOKIE_DOMAIN": ""}, []),
        (
            {"COOKIE_NAME": "__Host-cc", "COOKIE_SECURE": True, "COOKIE_DOMAIN": ".example.com"},
            ["cookieconsent.E014"],
        ),
        (
            {"COOKIE_NAME": "__HOST-cc", "COOKIE_SECURE": True, "COOKIE_PATH": "/shop/"},
            ["cookieconsent.E014"],
        ),
        (
            {"COOKIE_NAME": "__Host-cc", "COOKIE_DOMAIN": ".example.com"},
            ["cookieconsent.E013", "cookieconsent.E014"],
        ),
        (
            {
                "COOKIE_NAME": "__Secure-cc",
                "COOKIE_SECURE": True,
                "COOKIE_DOMAIN": ".example.com",
                "COOKIE_PATH": "/shop/",
            },
            [],
        ),
        ({"COOKIE_PATH": ""}, ["cookieconsent.E015"]),  # no Path: the consent URL's folder
        ({"COOKIE_PATH": "cookies"}, ["cookieconsent.E015"]),  # ignored by browsers: the same
        ({"COOKIE_PATH": "/a;b"}, ["cookieconsent.E015"]),
        ({"COOKIE_PATH": "/a\nb"}, ["cookieconsent.E015"]),
        ({"COOKIE_PATH": "/shop/"}, []),
        ({"COOKIE_DOMAIN": ".example.com"}, []),
        ({"COOKIE_DOMAIN": "xn--bcher-kva.example"}, []),
        ({"COOKIE_DOMAIN": "localhost"}, []),
        ({"COOKIE_DOMAIN": "example.com; Secure"}, ["cookieconsent.E016"]),  # an attribute
        ({"COOKIE_DOMAIN": "example.com\nX-Evil: 1"}, ["cookieconsent.E016"]),  # a header
        ({"COOKIE_DOMAIN": "bücher.example"}, ["cookieconsent.E016"]),
        ({"COOKIE_DOMAIN": "example.com:8000"}, ["cookieconsent.E016"]),  # refused
        ({"COOKIE_DOMAIN": "."}, ["cookieconsent.E016"]),
        ({"CONSENT_MAX_AGE": 400 * DAY, "REFUSAL_MAX_AGE": 400 * DAY}, []),
        ({"CONSENT_MAX_AGE": 400 * DAY + 1}, ["cookieconsent.W008"]),
        ({"REFUSAL_MAX_AGE": 2 * 365 * DAY}, ["cookieconsent.W008"]),
        ({"CONSENT_MAX_AGE": 10**12}, ["cookieconsent.E012"]),
        ({"REFUSAL_MAX_AGE": 10**400}, ["cookieconsent.E012"]),
    ],
)
def test_a_consent_cookie_browsers_refuse_or_cut_short(value, codes):
    """No visitor's choice would be kept (the banner never goes away), or a POST would fail."""
    assert check_error_codes(value) == codes


@pytest.mark.django_db
def test_the_longest_lifetime_the_checks_take_can_be_set(categories):
    """The bound is where it works: a cookie with that lifetime goes out, one second longer
    is refused (far longer, every consent POST failed on a date past the year 9999)."""
    longest = {"CONSENT_MAX_AGE": LONGEST, "REFUSAL_MAX_AGE": LONGEST}
    assert check_error_codes(longest) == ["cookieconsent.W008"] * 2
    assert check_error_codes({"CONSENT_MAX_AGE": LONGEST + 1}) == ["cookieconsent.E012"]
    with override_settings(COOKIECONSENT=longest):
        for action in ("accept_all", "reject_all"):
            response = Client().post(reverse("cookieconsent:consent"), {"action": action})
            assert response.status_code == 302, action


@pytest.mark.parametrize(
    ("value", "codes"),
    [
        (timedelta(days=400 * 365), []),
        (LONGEST, []),
        (LONGEST + 1, ["cookieconsent.E045"]),
        (10**11, ["cookieconsent.E045"]),
        (timedelta.max, ["cookieconsent.E045"]),
    ],
)
def test_a_retention_longer_than_the_purge_can_reach_back(value, codes):
    assert check_error_codes({"RECORD_RETENTION": value}) == codes


@pytest.mark.django_db
def test_the_longest_retention_the_checks_take_can_be_purged(categories):
    """Longer, manage.py cookieconsent_purge failed with an OverflowError."""
    assert check_error_codes({"RECORD_RETENTION": timedelta(seconds=LONGEST + 1)}) == [
        "cookieconsent.E045"
    ]
    with override_settings(COOKIECONSENT={"RECORD_RETENTION": timedelta(seconds=LONGEST)}):
        call_command("cookieconsent_purge", "--dry-run", stdout=StringIO())


@pytest.mark.parametrize(
    ("extensions", "codes"),
    [
        (["tables", "markdown.extensions.toc", TocExtension()], []),
        (["tabels"], ["cookieconsent.E030"]),  # ModuleNotFoundError
        (["markdown.extensions"], ["cookieconsent.E030"]),  # a module with no extension
        (["tables", 3], ["cookieconsent.E030"]),  # not an extension at all
    ],
)
def test_markdown_extensions_that_do_not_load(extensions, codes):
    """Publishing renders the policy with them: one that does not load failed every
    publication (the admin's Publish page answered 500)."""
    assert check_error_codes({"MARKDOWN_EXTENSIONS": extensions}) == codes


def test_a_markdown_extension_that_does_not_load_is_named():
    with override_settings(COOKIECONSENT={"MARKDOWN_EXTENSIONS": ["tables", "tabels"]}):
        [error] = check_settings()
    assert "'tabels'" in error.msg and "No module named 'tabels'" in error.msg


def test_a_base_template_that_does_not_compile(settings):
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {
                            "broken.html": "{% block content %}",
                            "fine.html": "{% block x %}{% endblock %}",
                        },
                    )
                ]
            },
        }
    ]
    assert check_error_codes({"BASE_TEMPLATE": "fine.html"}) == []
    with override_settings(COOKIECONSENT={"BASE_TEMPLATE": "broken.html"}):
        [error] = check_settings()
    assert error.id == "cookieconsent.E008"
    assert "TemplateSyntaxError" in error.msg


def test_the_user_agent_limit_is_the_record_column():
    """The check and the record both read the column's length (500) from the model."""
    column = ConsentRecord._meta.get_field("user_agent").max_length
    assert check_error_codes({"USER_AGENT_MAX_LENGTH": column}) == []
    assert check_error_codes({"USER_AGENT_MAX_LENGTH": column + 1}) == ["cookieconsent.E043"]
    with override_settings(COOKIECONSENT={"USER_AGENT_MAX_LENGTH": column + 1}):
        [error] = check_settings()
    assert f"from 0 to {column}" in error.msg


def test_django_cookies_left_to_the_table_warns():
    assert check_error_codes({"DECLARE_DJANGO_COOKIES": False}) == ["cookieconsent.W003"]


def test_good_consent_mode_and_values():
    assert (
        check_error_codes(
            {
                "GOOGLE_CONSENT_MODE": {"analytics": ["analytics_storage"]},
                "COOKIE_DOMAIN": ".example.com",
                "REGISTRY_STALENESS": 0.5,
                "COOKIE_SAMESITE": None,
                "UNDECLARED_COOKIES": "allow",
            }
        )
        == []
    )


def test_error_message_names_the_key():
    with override_settings(COOKIECONSENT={"COOKIE_NAM": "x"}):
        [error] = check_settings()
    assert "'COOKIE_NAM'" in error.msg and "COOKIE_NAME" in error.hint


def test_middleware_missing(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE_PATH]
    assert [w.id for w in check_middleware()] == ["cookieconsent.W001"]


def test_middleware_below_cookie_setters(settings):
    rest = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE_PATH]
    settings.MIDDLEWARE = [*rest, MIDDLEWARE_PATH]
    [warning] = check_middleware()
    assert warning.id == "cookieconsent.W002"
    assert "SessionMiddleware" in warning.msg


def test_middleware_in_place(settings):
    assert check_middleware() == []


@pytest.mark.django_db  # Django 6.1's check command also runs the database checks
def test_checks_are_registered():
    with (
        override_settings(COOKIECONSENT={"COOKIE_NAM": "x"}),
        pytest.raises(SystemCheckError, match=r"cookieconsent\.E002"),
    ):
        call_command("check")


def region_error_codes(value: dict[str, object]) -> list[str]:
    with override_settings(COOKIECONSENT=value):
        return [e.id for e in check_regions()]


@pytest.mark.parametrize(
    ("value", "codes"),
    [
        ({}, []),
        (
            {
                "REGION_HEADER": "CF-IPCountry",
                "REGION_SUBDIVISION_HEADER": "CF-Region",
                "TRUST_REGION_HEADER": True,
            },
            [],
        ),
        ({"REGION_HEADER": "CloudFront-Viewer-Country", "TRUST_REGION_HEADER": True}, []),
        ({"REGION_RESOLVER": "tests.engine.test_regions.resolve_from_query"}, []),
        ({"TRUST_REGION_HEADER": True}, []),
        (
            {"REGION_HEADER": "HTTP_CF_IPCOUNTRY", "TRUST_REGION_HEADER": True},
            ["cookieconsent.E020"],
        ),
        ({"REGION_HEADER": "CF IPCountry", "TRUST_REGION_HEADER": True}, ["cookieconsent.E020"]),
        (
            {"REGION_HEADER": "X", "REGION_SUBDIVISION_HEADER": "a_b", "TRUST_REGION_HEADER": True},
            ["cookieconsent.E020"],
        ),
        (
            {"REGION_SUBDIVISION_HEADER": "CF-Region", "TRUST_REGION_HEADER": True},
            ["cookieconsent.E022"],
        ),
        ({"REGION_RESOLVER": "tests.nowhere.resolve"}, ["cookieconsent.E021"]),
        ({"REGION_RESOLVER": "tests.engine.test_regions.HEADER"}, ["cookieconsent.E021"]),
        # "" is unset, as at run time (and as W020 and E022 take it)
        ({"REGION_HEADER": "", "TRUST_REGION_HEADER": True}, []),
        ({"REGION_HEADER": "", "REGION_SUBDIVISION_HEADER": ""}, []),
        ({"REGION_RESOLVER": ""}, []),
        (
            {"REGION_HEADER": "", "REGION_SUBDIVISION_HEADER": "CF-Region"},
            ["cookieconsent.W020", "cookieconsent.E022"],
        ),
    ],
)
def test_region_settings(value, codes):
    assert region_error_codes(value) == codes


@pytest.mark.parametrize(
    "value",
    [
        {"REGION_HEADER": "CF-IPCountry"},
        {"REGION_HEADER": "CF-IPCountry", "REGION_SUBDIVISION_HEADER": "CF-Region-Code"},
        {"REGION_HEADER": "CF-IPCountry", "TRUST_REGION_HEADER": False},
        {
            "REGION_HEADER": "CF-IPCountry",
            "REGION_RESOLVER": "tests.engine.test_regions.resolve_from_query",
        },
    ],
)
def test_a_region_header_without_trust_is_reported(value):
    """The header would be ignored (docs/regions.md): say so rather than let the site believe
    it has regions."""
    [warning] = [e for e in _region_checks(value) if e.id == "cookieconsent.W020"]
    assert warning.level == WARNING
    assert "TRUST_REGION_HEADER" in warning.msg and "not read" in warning.msg


def _region_checks(value: dict[str, object]) -> list[CheckMessage]:
    with override_settings(COOKIECONSENT=value):
        return list(check_regions())


def test_region_settings_of_the_wrong_type():
    assert check_error_codes({"REGION_HEADER": ["CF-IPCountry"]}) == ["cookieconsent.E003"]
    assert region_error_codes({"REGION_HEADER": ["CF-IPCountry"]}) == []


def test_a_resolver_whose_module_fails_to_import(tmp_path: Path, monkeypatch):
    """docs/regions.md's GeoIP2() example without a database raises on import: the check
    reports it rather than crash (manage.py check, migrate and runserver did)."""
    (tmp_path / "cc_geoip_resolver.py").write_text(
        "raise RuntimeError('GeoIP database not found')\n\ndef region(request):\n    return 'DE'\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "cc_geoip_resolver", raising=False)
    [error] = _region_checks({"REGION_RESOLVER": "cc_geoip_resolver.region"})
    assert error.id == "cookieconsent.E021"
    assert "RuntimeError: GeoIP database not found" in error.msg


@pytest.mark.django_db
def test_region_checks_are_registered():
    with (
        override_settings(COOKIECONSENT={"REGION_RESOLVER": "tests.nowhere.resolve"}),
        pytest.raises(SystemCheckError, match=r"cookieconsent\.E021"),
    ):
        call_command("check")


@pytest.mark.parametrize(
    ("value", "codes"),
    [
        (None, ["cookieconsent.E003"]),
        (-1, ["cookieconsent.E007"]),
        (float("nan"), ["cookieconsent.E007"]),
        (3600, ["cookieconsent.W004"]),
        (float("inf"), ["cookieconsent.W004"]),
        (LONGEST, ["cookieconsent.W004"]),
        (LONGEST + 1, ["cookieconsent.E007"]),
        pytest.param(10**400, ["cookieconsent.E007"], id="10**400"),  # no float: requests failed
        (0, []),
        (60, []),
    ],
)
def test_registry_staleness_that_defeats_the_promise(value, codes):
    assert check_error_codes({"REGISTRY_STALENESS": value}) == codes


def test_a_wrong_type_is_explained_by_the_settings_doc():
    with override_settings(COOKIECONSENT={"REGISTRY_STALENESS": None}):
        [error] = check_settings()
    assert "every process enforces a change within this time" in error.hint


def test_never_is_said_plainly():
    with override_settings(COOKIECONSENT={"REGISTRY_STALENESS": float("inf")}):
        [warning] = check_settings()
    assert "never" in warning.msg


def test_every_setting_is_checked_from_the_spec():
    """A key the spec knows is accepted with its default and refused with a wrong type."""
    for setting in SETTINGS:
        wrong = object()
        assert check_error_codes({setting.name: setting.default}) == [], setting.name
        assert check_error_codes({setting.name: wrong}) == ["cookieconsent.E003"], setting.name


def test_a_subclass_of_the_middleware_counts(settings):
    settings.MIDDLEWARE = [
        "tests.test_checks.SiteConsentMiddleware" if m == MIDDLEWARE_PATH else m
        for m in settings.MIDDLEWARE
    ]
    assert check_middleware() == []


def test_a_subclass_below_a_subclass_of_a_cookie_setter_is_reported(settings):
    rest = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE_PATH]
    settings.MIDDLEWARE = [
        "tests.test_checks.SiteSessionMiddleware",
        "tests.test_checks.SiteConsentMiddleware",
        *rest,
    ]
    [warning] = check_middleware()
    assert warning.id == "cookieconsent.W002"
    assert "SiteSessionMiddleware" in warning.msg


def test_unimportable_and_function_middleware_are_skipped(settings):
    settings.MIDDLEWARE = ["no.such.Middleware", "tests.test_checks.function_middleware"]
    assert [w.id for w in check_middleware()] == ["cookieconsent.W001"]


def test_deploy_check_wants_a_secure_cookie():
    with override_settings(COOKIECONSENT={}):
        assert [w.id for w in check_deploy()] == ["cookieconsent.W005"]
    with override_settings(COOKIECONSENT={"COOKIE_SECURE": True}):
        assert check_deploy() == []


@pytest.mark.django_db
def test_the_deploy_check_is_bound_to_check_deploy():
    out = StringIO()
    with override_settings(COOKIECONSENT={"COOKIE_SECURE": False}):
        call_command("check", "--deploy", stdout=out, stderr=out)
    assert "cookieconsent.W005" in out.getvalue()
    out = StringIO()
    with override_settings(COOKIECONSENT={"COOKIE_SECURE": False}):
        call_command("check", stdout=out, stderr=out)
    assert "cookieconsent.W005" not in out.getvalue()  # deploy only


class SiteConsentMiddleware(CookieConsentMiddleware):
    """A site's own subclass."""


class SiteSessionMiddleware(SessionMiddleware):
    """A site's own session middleware, which sets a cookie too."""


def function_middleware(get_response):  # type: ignore[no-untyped-def]
    return get_response


@pytest.mark.django_db
def test_until_a_version_is_published_check_warns():
    from cookieconsent.checks import check_published
    from cookieconsent.models import CookiePolicy
    from cookieconsent.publishing import publish
    from tests.helpers import unpublish_everything

    unpublish_everything()
    assert [m.id for m in check_published()] == ["cookieconsent.W030"]
    out = StringIO()
    call_command("check", stdout=out, stderr=out)
    assert "cookieconsent.W030" in out.getvalue() and "policy page answers 404" in out.getvalue()
    publish(CookiePolicy.current())
    assert check_published() == []


@pytest.mark.django_db
def test_on_a_database_without_a_policy_the_publish_check_says_nothing():
    """Nothing to publish, as on the database Django's test runner makes for the tests, which
    starts empty: every ``manage.py test`` of a site that had published warned that nothing
    was (the tutorial's last step). On any Django: since 6.0 a plain ``check`` names every
    database too."""
    from cookieconsent.checks import check_published
    from cookieconsent.models import CookiePolicy
    from tests.helpers import unpublish_everything

    unpublish_everything()
    CookiePolicy.objects.all().delete()
    assert check_published() == []
    for databases in ([], ["default"]):
        out = StringIO()
        call_command("check", *databases and ["--database", "default"], stdout=out, stderr=out)
        assert "cookieconsent.W030" not in out.getvalue()


def test_without_a_database_to_read_the_publish_check_says_nothing():
    """Before ``migrate``, or where the database may not be read (this test): no warning."""
    from cookieconsent.checks import check_published

    assert check_published() == []


@pytest.mark.django_db
def test_a_subdivision_rule_nothing_can_match_warns(settings):
    from cookieconsent.checks import check_subdivision_rules
    from cookieconsent.models import CookiePolicy, RegionRule

    policy = CookiePolicy.current()
    RegionRule.objects.create(policy=policy, region="US", regime="opt-out")
    # a country is matched by the country header, and a group (three letters) is no
    # subdivision: the countries it names are
    RegionRule.objects.create(policy=policy, region="EEA", regime="opt-in")
    assert check_subdivision_rules() == []
    RegionRule.objects.create(policy=policy, region="US-CA", regime="opt-in")
    [warning] = check_subdivision_rules()
    assert warning.id == "cookieconsent.W021" and "US-CA" in warning.msg
    assert "EEA" not in warning.msg
    out = StringIO()
    call_command("check", stdout=out, stderr=out)
    assert "cookieconsent.W021" in out.getvalue()
    settings.COOKIECONSENT = {
        "REGION_HEADER": "CF-IPCountry",
        "REGION_SUBDIVISION_HEADER": "CF-Region-Code",
        "TRUST_REGION_HEADER": True,
    }
    assert check_subdivision_rules() == []
    settings.COOKIECONSENT = {"REGION_RESOLVER": "tests.views.home"}  # may answer "US-CA"
    assert check_subdivision_rules() == []


def test_without_a_database_to_read_the_subdivision_check_says_nothing():
    from cookieconsent.checks import check_subdivision_rules

    assert check_subdivision_rules() == []


@pytest.mark.parametrize(
    ("value", "codes"),
    [
        ({"MICROSOFT_CONSENT_MODE": ["uet", "bing"]}, ["cookieconsent.E009"]),
        ({"MICROSOFT_CONSENT_MODE": "uet"}, ["cookieconsent.E003"]),
        ({"MICROSOFT_CONSENT_MODE": ["clarity"]}, ["cookieconsent.W006"]),
        (
            {
                "MICROSOFT_CONSENT_MODE": ["uet", "clarity"],
                "GOOGLE_CONSENT_MODE": {"analytics": ["analytics_storage"]},
            },
            [],
        ),
    ],
)
def test_microsoft_consent_mode(value, codes):
    assert check_error_codes(value) == codes


def test_the_default_user_model_fits_a_records_user_id():
    from cookieconsent.checks import check_user_model

    assert check_user_model() == []


@pytest.mark.parametrize(("field", "refused"), [
    (models.CharField(max_length=254), False),  # an e-mail address
    (models.CharField(max_length=255), False),
    (models.CharField(max_length=256), True),
    (models.UUIDField(), False),
    (models.BigAutoField(), False),
    (models.CharField(), True),  # no max_length: PostgreSQL and SQLite allow any length
    (models.TextField(), True),
])  # fmt: skip
def test_a_user_primary_key_longer_than_a_records_user_id_is_refused(field, refused):
    """A consent POST by such a user failed on PostgreSQL (a value too long for the column)."""
    from cookieconsent.checks import _user_pk_errors

    field.set_attributes_from_name("id")
    field.model = User
    assert [e.id for e in _user_pk_errors(field)] == (["cookieconsent.E044"] if refused else [])
