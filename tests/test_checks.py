"""System checks: settings and middleware."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from cookieconsent.checks import MIDDLEWARE_PATH, check_middleware, check_settings


def check_error_codes(settings_value: object) -> list[str]:
    with override_settings(COOKIECONSENT=settings_value):
        return [e.id for e in check_settings()]


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
        ({"GOOGLE_CONSENT_MODE": {"analytics": ["analytic_storage"]}}, ["cookieconsent.E006"]),
        ({"GOOGLE_CONSENT_MODE": {"analytics": "analytics_storage"}}, ["cookieconsent.E006"]),
        ({"GOOGLE_CONSENT_MODE": ["analytics_storage"]}, ["cookieconsent.E003"]),
    ],
)
def test_bad_settings(value, codes):
    assert check_error_codes(value) == codes


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
