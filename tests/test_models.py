"""The models: names and patterns, lifetimes, versions, the one current policy, and consent
records that cannot be changed."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from cookieconsent.models import (
    ConsentRecord,
    Cookie,
    CookieCategory,
    CookiePolicy,
    Technology,
    humanize_duration,
    validate_cookie_name,
)
from tests.factories import (
    ConsentRecordFactory,
    CookieCategoryFactory,
    CookieFactory,
    CookiePolicyFactory,
    PolicySectionFactory,
)

pytestmark = pytest.mark.django_db

# -- names and patterns ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["femstd", "_ga_*", "*_session", "_pk_id.*", "a.b-c", "x!#$%&'+-.^_`|~1", "a*b"]
)
def test_valid_names_and_patterns(value):
    validate_cookie_name(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("a b", "invalid_cookie_name"),
        ("", "invalid_cookie_name"),
        ("a;b", "invalid_cookie_name"),
        ("a=b", "invalid_cookie_name"),
        ("naïve", "invalid_cookie_name"),
        ("*", "invalid_cookie_pattern"),
        ("**", "invalid_cookie_pattern"),
        ("_ga**", "invalid_cookie_pattern"),
    ],
)
def test_invalid_names_and_patterns(value, code):
    with pytest.raises(ValidationError) as info:
        validate_cookie_name(value)
    assert info.value.code == code
    assert f"“{value}”" in info.value.messages[0]


def test_full_clean_runs_the_validator():
    cookie = CookieFactory.build(name="a b", category=CookieCategoryFactory())
    with pytest.raises(ValidationError) as info:
        cookie.full_clean()
    assert list(info.value.message_dict) == ["name"]
    assert "is not a valid cookie name or pattern" in info.value.message_dict["name"][0]


def test_is_pattern():
    assert Cookie(name="_ga_*").is_pattern
    assert not Cookie(name="_ga").is_pattern


# -- lifetimes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lifetime", "shown"),
    [
        (timedelta(days=365), "1 year"),
        (timedelta(days=730), "2 years"),
        (timedelta(days=30), "1 month"),
        (timedelta(days=180), "6 months"),
        (timedelta(days=400), "400 days"),
        (timedelta(days=14), "14 days"),
        (timedelta(days=1), "1 day"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=2, minutes=30), "2 hours"),
        (timedelta(minutes=5), "5 minutes"),
        (timedelta(minutes=1), "1 minute"),
        # Never "0 minutes": a cookie that lives a few seconds still lives.
        (timedelta(seconds=20), "1 minute"),
    ],
)
def test_humanize_duration(lifetime, shown):
    assert humanize_duration(lifetime) == shown
    assert Cookie(name="x", lifetime=lifetime).lifetime_display == shown


def test_no_lifetime_is_a_session_cookie():
    assert Cookie(name="x", lifetime=None).lifetime_display == "Session"


# -- policies -------------------------------------------------------------------------------


@pytest.fixture
def policy() -> CookiePolicy:
    CookiePolicy.objects.update(is_current=False)
    return CookiePolicyFactory(last_updated=date(2020, 1, 1))


def test_only_one_policy_is_current(policy):
    assert CookiePolicy.current() == policy
    second = CookiePolicyFactory.build(is_current=True)
    with pytest.raises(ValidationError) as info:
        second.validate_constraints()
    assert info.value.messages == ["Only one cookie policy can be current."]


def test_only_one_policy_is_current_in_the_database_too(policy):
    if not connection.features.supports_partial_indexes:
        pytest.skip(f"{connection.display_name} has no unique constraint with a condition")
    with pytest.raises(IntegrityError), transaction.atomic():
        CookiePolicyFactory(is_current=True)


def test_many_policies_may_be_not_current(policy):
    CookiePolicyFactory(is_current=False)
    CookiePolicyFactory(is_current=False)
    assert CookiePolicy.current() == policy


def test_no_current_policy():
    CookiePolicy.objects.update(is_current=False)
    assert CookiePolicy.current() is None


def test_sections_are_ordered(policy):
    PolicySectionFactory(policy=policy, order=2, heading="Last")
    PolicySectionFactory(policy=policy, order=0, heading="First")
    PolicySectionFactory(policy=policy, order=1, heading="Middle")
    assert [s.heading for s in policy.sections.all()] == ["First", "Middle", "Last"]


def test_markdown_properties(policy):
    policy.introduction = "We use *cookies*.<script>alert(1)</script>"
    assert policy.introduction_html == "<p>We use <em>cookies</em>.</p>"
    section = PolicySectionFactory.build(body="- **one**\n- two")
    assert section.body_html == "<ul>\n<li><strong>one</strong></li>\n<li>two</li>\n</ul>"


# -- cookies --------------------------------------------------------------------------------


def test_a_name_belongs_to_one_category():
    CookieFactory(name="dup_model", category=CookieCategoryFactory())
    again = CookieFactory.build(name="dup_model", category=CookieCategoryFactory())
    with pytest.raises(ValidationError) as info:
        again.validate_constraints()
    assert info.value.messages == [
        "This name is already declared; a cookie can belong to one category only."
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        again.save()


def test_the_same_name_may_be_used_by_another_technology():
    CookieFactory(name="same_name", technology=Technology.HTTP_COOKIE)
    other = CookieFactory(name="same_name", technology=Technology.LOCAL_STORAGE)
    other.full_clean()


def test_a_category_in_use_cannot_be_deleted():
    cookie = CookieFactory()
    with pytest.raises(ProtectedError):
        cookie.category.delete()


# -- consent records ------------------------------------------------------------------------


def test_a_consent_id_names_one_record():
    record = ConsentRecordFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsentRecordFactory(consent_id=record.consent_id)
    assert ConsentRecord.objects.count() == 1


def test_a_saved_record_cannot_be_saved_again():
    record = ConsentRecordFactory()
    record.granted = ["analytics"]
    with pytest.raises(TypeError, match="append-only"):
        record.save()
    assert ConsentRecord.objects.get(pk=record.pk).granted == []


def test_a_record_cannot_be_deleted():
    record = ConsentRecordFactory()
    with pytest.raises(TypeError, match="append-only"):
        record.delete()
    assert ConsentRecord.objects.filter(pk=record.pk).exists()


def test_records_cannot_be_updated_or_deleted_in_bulk():
    record = ConsentRecordFactory()
    with pytest.raises(TypeError, match="append-only"):
        ConsentRecord.objects.filter(pk=record.pk).update(granted=["analytics"])
    with pytest.raises(TypeError, match="append-only"):
        ConsentRecord.objects.all().delete()
    assert ConsentRecord.objects.get(pk=record.pk).granted == []


# -- __str__ --------------------------------------------------------------------------------


def test_str(policy):
    assert str(policy) == "Cookie Policy"
    assert str(PolicySectionFactory.build(heading="What cookies are")) == "What cookies are"
    assert str(CookieCategory(name="Analytics")) == "Analytics"
    assert str(Cookie(name="_ga_*")) == "_ga_*"
    record = ConsentRecordFactory()
    assert str(record) == f"{record.consent_id} (Reject all)"


# -- migrations -----------------------------------------------------------------------------


def test_migrations_are_complete():
    out = StringIO()
    call_command("makemigrations", "cookieconsent", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
