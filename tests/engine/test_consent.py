"""The signed consent cookie and the Consent object."""

from __future__ import annotations

import pytest
from django.core import signing
from django.test import override_settings

from cookieconsent.conf import reset_caches
from cookieconsent.engine.consent import MAX_COOKIE_LENGTH, SALT, Consent, Decision, get_consent
from cookieconsent.models import CookiePolicy
from cookieconsent.publishing import publish
from cookieconsent.testing import consent_cookie

pytestmark = pytest.mark.django_db


def test_decision_round_trips(categories):
    value = consent_cookie({"functional"}, action="custom")
    decision = Decision.unsign(value)
    assert decision is not None
    assert decision.granted == {"functional"}
    assert decision.action == "custom"


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "garbage",
        "x" * (MAX_COOKIE_LENGTH + 1),
        signing.dumps({"g": ["analytics"]}, salt="another-salt"),
        signing.dumps({"g": "analytics", "v": 1, "t": 1, "a": "custom", "i": "x"}, salt=SALT),
        signing.dumps({"g": [1], "v": 1, "t": 1, "a": "custom", "i": "x"}, salt=SALT),
        signing.dumps({"g": [], "v": "1", "t": 1, "a": "custom", "i": "x"}, salt=SALT),
        signing.dumps({"g": [], "v": 1, "t": True, "a": "custom", "i": "x"}, salt=SALT),
        signing.dumps({"g": [], "v": 1, "t": 1, "a": 3, "i": "x"}, salt=SALT),
        signing.dumps({"g": [], "v": 1, "t": 1, "a": "custom", "i": None}, salt=SALT),
        signing.dumps(["not", "a", "dict"], salt=SALT),
        signing.dumps({"v": 1}, salt=SALT),
    ],
    ids=[
        "none",
        "empty",
        "garbage",
        "oversized",
        "wrong-salt",
        "categories-not-list",
        "category-not-str",
        "version-not-int",
        "time-bool",
        "action-not-str",
        "id-not-str",
        "not-a-dict",
        "missing-keys",
    ],
)
def test_bad_values_mean_no_decision(categories, value):
    assert Decision.unsign(value) is None
    consent = Consent(value)
    assert not consent.is_decided
    assert consent.categories == {"necessary", "security"}


def test_tampered_value_is_no_decision(categories):
    value = consent_cookie({"functional"})
    payload, signature = value.rsplit(":", 1)
    tampered = consent_cookie({"functional", "analytics"}).rsplit(":", 1)[0] + ":" + signature
    assert Decision.unsign(tampered) is None
    assert Decision.unsign(payload + ":" + signature[::-1]) is None


def test_required_categories_always_allowed(categories):
    consent = Consent(None)
    assert consent.allows("necessary")
    assert consent.allows("security")
    assert not consent.allows("functional")
    assert not consent.allows("analytics")
    assert not consent.allows("no-such-category")


def test_granted_categories_allowed(categories):
    consent = Consent(consent_cookie({"functional"}))
    assert consent.is_decided
    assert not consent.needs_renewal
    assert consent.allows("functional")
    assert not consent.allows("analytics")
    assert consent.categories == {"necessary", "security", "functional"}


def test_unknown_granted_slug_is_ignored(categories):
    consent = Consent(consent_cookie({"functional", "marketing"}))
    assert consent.categories == {"necessary", "security", "functional"}


def test_consent_expires_after_max_age(categories):
    year = 365 * 24 * 3600
    assert Consent(consent_cookie({"analytics"}, age=year - 60)).is_decided
    old = Consent(consent_cookie({"analytics"}, age=year + 60))
    assert not old.is_decided
    assert old.needs_renewal
    assert not old.allows("analytics")


def test_refusal_expires_sooner(categories):
    half_year = 182 * 24 * 3600
    assert Consent(consent_cookie((), age=half_year - 60)).is_decided
    assert Consent(consent_cookie((), age=half_year + 60)).needs_renewal
    # the same age is fine for a decision that granted something
    assert Consent(consent_cookie({"functional"}, age=half_year + 60)).is_decided


def test_a_consent_to_categories_no_longer_offered_lives_as_a_refusal(categories):
    """What a decision grants now decides its lifetime: one that granted only a category the
    site no longer offers grants nothing, so it is asked again after ``REFUSAL_MAX_AGE``."""
    half_year = 182 * 24 * 3600
    assert Consent(consent_cookie({"marketing"}, age=half_year - 60)).is_decided
    gone = Consent(consent_cookie({"marketing"}, age=half_year + 60))
    assert gone.needs_renewal
    assert not gone.is_decided
    assert Consent(consent_cookie({"marketing", "functional"}, age=half_year + 60)).is_decided


@override_settings(COOKIECONSENT={"CONSENT_MAX_AGE": 60, "REFUSAL_MAX_AGE": 30})
def test_max_ages_are_settings(categories):
    assert Consent(consent_cookie({"functional"}, age=61)).needs_renewal
    assert Consent(consent_cookie((), age=31)).needs_renewal
    assert Consent(consent_cookie((), age=29)).is_decided


def test_republished_policy_marked_consent_again_needs_renewal(categories):
    value = consent_cookie({"analytics"})
    policy = CookiePolicy.current()
    policy.introduction = "Reworded."
    policy.save()
    publish(policy, reconsent=False)
    assert Consent(value).is_decided  # a new version alone does not ask again
    publish(policy, reconsent=True)
    consent = Consent(value)
    assert consent.needs_renewal
    assert not consent.is_decided
    assert not consent.allows("analytics")


def test_gpc_from_undecided_visitor_is_a_refusal(categories):
    consent = Consent(None, {"HTTP_SEC_GPC": "1"})
    assert consent.is_decided
    assert consent.signal == "gpc"
    assert not consent.allows("analytics")
    assert consent.categories == {"necessary", "security"}


def test_explicit_choice_beats_gpc(categories):
    consent = Consent(consent_cookie({"analytics"}), {"HTTP_SEC_GPC": "1"})
    assert consent.allows("analytics")
    assert consent.signal is None


@override_settings(COOKIECONSENT={"HONOUR_GPC": False})
def test_gpc_can_be_ignored(categories):
    assert not Consent(None, {"HTTP_SEC_GPC": "1"}).is_decided


def test_dnt_is_not_honoured_by_default(categories):
    assert not Consent(None, {"HTTP_DNT": "1"}).is_decided


@override_settings(COOKIECONSENT={"HONOUR_DNT": True})
def test_dnt_honoured_when_asked(categories):
    consent = Consent(None, {"HTTP_DNT": "1"})
    assert consent.is_decided
    assert consent.signal == "dnt"


def test_accessed_only_by_public_questions(categories):
    consent = Consent(consent_cookie({"functional"}))
    assert consent._allows("functional")
    assert not consent._accessed
    consent.allows("functional")
    assert consent._accessed


@pytest.mark.parametrize("name", sorted(n for n in dir(Consent) if not n.startswith("_")))
def test_every_public_question_marks_the_consent_as_read(categories, name):
    """A view that asks anything of ``request.cookie_consent`` gets ``Vary: Cookie``: every
    public way to ask marks the consent; the middleware's own ways are private."""
    consent = Consent(consent_cookie({"functional"}))
    attribute = getattr(consent, name)
    if callable(attribute):
        attribute(*(["functional"] if name == "allows" else []))
    assert consent._accessed, name


def test_as_dict(categories):
    consent = Consent(consent_cookie({"functional"}, action="custom"))
    state = consent.as_dict()
    assert state["decided"] is True
    assert state["categories"] == ["functional", "necessary", "security"]
    assert state["action"] == "custom"
    assert state["consent_id"] == consent.consent_id
    empty = Consent(None).as_dict()
    assert empty["decided"] is False and empty["consent_id"] is None


def test_get_consent_without_middleware(rf, categories):
    request = rf.get("/", HTTP_COOKIE="cookieconsent=" + consent_cookie({"analytics"}))
    consent = get_consent(request)
    assert consent.allows("analytics")
    assert get_consent(request) is consent


def test_categories_no_longer_offered_allow_nothing(categories):
    for n in range(3):
        consent = Consent(consent_cookie({f"gone{n}", "functional"}))
        assert consent._allowed_now() == {"necessary", "security", "functional"}
        assert consent.decision is not None
        assert consent.decision.granted == {f"gone{n}", "functional"}


def test_a_new_secret_key_invalidates_remembered_cookies(categories, settings):
    value = consent_cookie({"functional"})
    assert Decision.unsign(value) is not None
    settings.SECRET_KEY = "a-brand-new-secret-key-for-this-test"
    assert Decision.unsign(value) is None


YEAR = 365 * 24 * 3600


@pytest.mark.parametrize(
    ("granted", "kwargs"),
    [
        ({"functional", "analytics"}, {}),
        ({"functional"}, {"age": YEAR - 60}),
        ({"functional"}, {"age": YEAR + 60}),  # expired
        ((), {"age": YEAR // 2 - 60}),  # a refusal, within its shorter lifetime
        ((), {"age": YEAR // 2 + 60}),  # a refusal, expired
        ({"analytics"}, {"age": -200}),  # a little in the future: clocks drift
        ({"analytics"}, {"age": -400}),  # too far in the future
        ({"analytics"}, {"version": 0}),  # given before the policy asked again
        ({"analytics"}, {"action": "dismiss"}),  # dismissing, under opt-in
        ({"marketing", "necessary"}, {}),  # categories that are not (optional ones) now
    ],
)
def test_a_remembered_verdict_is_the_verdict_worked_out_afresh(categories, granted, kwargs):
    """A consent cookie's verdict is remembered per registry: the answers from the memo are
    those worked out from the cookie itself."""
    value = consent_cookie(granted, **kwargs)

    def answers() -> tuple[object, ...]:
        consent = Consent(value)
        return consent.categories, consent.decision, consent.needs_renewal, consent.is_decided

    afresh = answers()
    assert answers() == afresh  # from the memo
    reset_caches()
    assert answers() == afresh


def test_the_memoised_verdict_of_a_tampered_cookie_is_no_decision(categories):
    value = consent_cookie({"analytics"})[:-2] + "xx"
    for _ in range(2):
        consent = Consent(value)
        assert consent._allowed_now() == consent._registry.required_slugs
        assert consent.decision is None


def test_an_oversized_consent_cookie_is_neither_judged_nor_remembered(categories):
    value = consent_cookie({"analytics"}) + "x" * MAX_COOKIE_LENGTH
    consent = Consent(value)
    assert consent._allowed_now() == consent._registry.required_slugs
    assert consent.decision is None
