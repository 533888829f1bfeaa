"""The consent cookie's signature (``django.core.signing``'s format, through one cached signer) and
values that are signed but malformed, or dated in the future (issues 8 and 12)."""

from __future__ import annotations

import json
import time
import zlib

import pytest
from django.core import signing
from django.test import Client, override_settings
from django.utils.crypto import salted_hmac

from cookieconsent.engine.consent import (
    FUTURE_TOLERANCE,
    MAX_COOKIE_LENGTH,
    MAX_INFLATED,
    SALT,
    Consent,
    Decision,
    lifetime,
)
from cookieconsent.testing import CONSENT_COOKIE, consent_cookie

pytestmark = pytest.mark.django_db

OLD_KEY = "an-old-secret-key-that-was-rotated-out"


def payload(**overrides):
    data = {"g": ["analytics"], "v": 1, "t": int(time.time()), "a": "custom", "i": "abc"}
    data.update(overrides)
    return data


def sign_raw(text: str, key: str | None = None) -> str:
    """A TimestampSigner signature over any text, as if the payload were base64 JSON."""
    return signing.TimestampSigner(key=key, salt=SALT).sign(text)


# -- Django's format --------------------------------------------------------------------------


def test_django_reads_what_we_sign(categories):
    value = consent_cookie({"functional"})
    data = signing.loads(value, salt=SALT)
    assert data["g"] == ["functional"]


@pytest.mark.parametrize("compress", [False, True])
def test_we_read_what_django_signs(categories, compress):
    value = signing.dumps(payload(g=["analytics"] * 40), salt=SALT, compress=compress)
    assert value.startswith(".") is compress
    decision = Decision.unsign(value)
    assert decision is not None and decision.granted == {"analytics"}


def test_same_bytes_as_django(categories):
    decision = Decision(frozenset({"functional"}), 3, 1_700_000_000, "custom", "id")
    ours = decision.sign()
    theirs = signing.dumps(signing.loads(ours, salt=SALT), salt=SALT)
    # The timestamps may differ by a second; everything before them may not.
    assert ours.split(":")[0] == theirs.split(":")[0]


def test_fallback_keys_verify_and_an_unknown_key_does_not(categories, settings):
    value = signing.dumps(payload(), salt=SALT, key=OLD_KEY)
    assert Decision.unsign(value) is None
    settings.SECRET_KEY_FALLBACKS = [OLD_KEY]
    assert Decision.unsign(value) is not None
    settings.SECRET_KEY_FALLBACKS = []
    assert Decision.unsign(value) is None


def test_rotation_new_key_verifies_old_cookie_through_fallback(categories, settings):
    with override_settings(SECRET_KEY=OLD_KEY):
        old = Decision(frozenset(), 1, int(time.time()), "reject_all", "x").sign()
    assert signing.loads(old, salt=SALT, key=OLD_KEY)["a"] == "reject_all"
    settings.SECRET_KEY_FALLBACKS = [OLD_KEY]
    assert Decision.unsign(old) is not None


def test_an_empty_fallback_is_not_a_key(categories, settings):
    # Django's Signer treats an empty fallback as the current key; a signature made with the
    # empty secret must not verify.
    text = f"{signing.b64_encode(json.dumps(payload()).encode()).decode()}:{signing.b62_encode(0)}"
    mac = salted_hmac(SALT + "signer", text, "", algorithm="sha256").digest()
    forged = f"{text}:{signing.b64_encode(mac).decode()}"
    settings.SECRET_KEY_FALLBACKS = [""]
    assert Decision.unsign(forged) is None
    with pytest.raises(signing.BadSignature):
        signing.loads(forged, salt=SALT)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda v: v[:-1] + ("A" if v[-1] != "A" else "B"),
        lambda v: ("f" if v[0] != "f" else "e") + v[1:],
        lambda v: v.rsplit(":", 1)[0],
        lambda v: v + "é",
        lambda v: v.rsplit(":", 1)[0] + ":é" + v.rsplit(":", 1)[1][1:],
        lambda v: v.replace(":", ";"),
    ],
    ids=["signature", "payload", "no-signature", "non-ascii-tail", "non-ascii-signature", "sep"],
)
def test_tampering_fails(categories, tamper):
    value = consent_cookie({"analytics"})
    assert Decision.unsign(value) is not None
    assert Decision.unsign(tamper(value)) is None


def test_another_salt_does_not_verify(categories):
    assert Decision.unsign(signing.dumps(payload(), salt="another")) is None


def test_a_new_secret_key_takes_effect_at_once(categories, settings):
    value = consent_cookie({"functional"})
    settings.SECRET_KEY = "a-second-brand-new-secret-key"
    assert Decision.unsign(value) is None
    assert Decision.unsign(consent_cookie({"functional"})) is not None


# -- signed but malformed: no decision, never a 500 -------------------------------------------

MALFORMED = {
    "bad-zlib": sign_raw("." + signing.b64_encode(b"this is not zlib data").decode()),
    "truncated-zlib": sign_raw(
        "." + signing.b64_encode(zlib.compress(json.dumps(payload()).encode())[:-4]).decode()
    ),
    "deep-json": sign_raw(
        "." + signing.b64_encode(zlib.compress(b"[" * 4000 + b"]" * 4000)).decode()
    ),
    "zip-bomb": sign_raw("." + signing.b64_encode(zlib.compress(b" " * 10_000_000)).decode()),
    "bad-base64": sign_raw("!!!!"),
    "not-json": sign_raw(signing.b64_encode(b"\xff\xfe{").decode()),
    "no-timestamp": signing.Signer(salt=SALT).sign(signing.b64_encode(b"{}").decode()),
    "huge-int": sign_raw(signing.b64_encode(b'{"t": 1' + b"0" * 5000 + b"}").decode()),
    "nan-time": signing.dumps(payload(t=float("nan")), salt=SALT),
    "float-time": signing.dumps(payload(t=1.5), salt=SALT),
    "granted-of-lists": signing.dumps(payload(g=[["a"]]), salt=SALT),
    "granted-dict": signing.dumps(payload(g={"analytics": 1}), salt=SALT),
    "payload-int": signing.dumps(3, salt=SALT),
    "payload-str": signing.dumps("g", salt=SALT),
}


def signed_of_length(length: int) -> str:
    """What ``signing.dumps()`` writes for a decision, compressed or not, exactly ``length``
    characters long: its consent ID padded with digits that zlib does not shrink away."""
    digits = "".join(str(n * 7919 % 10007) for n in range(length))
    for compress in (False, True):
        for size in range(len(digits)):
            value = signing.dumps(payload(i=digits[:size]), salt=SALT, compress=compress)
            if len(value) == length:
                return value
            if len(value) > length:
                break
    raise AssertionError(f"no signed decision is {length} characters long")


def test_a_consent_cookie_of_the_longest_length_is_read_and_a_longer_one_is_not(categories):
    """``MAX_COOKIE_LENGTH`` is the longest value still looked at: not one character less."""
    longest = signed_of_length(MAX_COOKIE_LENGTH)
    assert Decision.unsign(longest) is not None
    assert Consent(longest).allows("analytics")
    too_long = signed_of_length(MAX_COOKIE_LENGTH + 1)
    assert signing.loads(too_long, salt=SALT)["g"] == ["analytics"]  # a valid signature
    assert Decision.unsign(too_long) is None
    assert not Consent(too_long).allows("analytics")


def test_a_compressed_decision_reads_up_to_its_bound_and_not_beyond(categories):
    """A payload that zlib shrinks below the cookie's length cap but that would inflate past
    MAX_INFLATED is no decision: a key holder cannot make every request inflate megabytes."""

    def compressed(consent_id: str) -> str:
        value = signing.dumps(payload(i=consent_id), salt=SALT, compress=True)
        assert value.startswith(".") and len(value) <= MAX_COOKIE_LENGTH
        return value

    fits = "a" * (MAX_INFLATED - len(json.dumps(payload(i=""), separators=(",", ":"))))
    assert Decision.unsign(compressed(fits)).consent_id == fits
    assert Decision.unsign(compressed(fits + "a")) is None
    assert Decision.unsign(compressed("a" * 1_000_000)) is None


@pytest.mark.parametrize("value", MALFORMED.values(), ids=MALFORMED.keys())
def test_signed_but_malformed_is_no_decision(categories, value):
    assert Decision.unsign(value) is None
    assert not Consent(value).is_decided


@pytest.mark.parametrize("value", MALFORMED.values(), ids=MALFORMED.keys())
def test_signed_but_malformed_pages_answer(categories, value):
    client = Client()
    client.cookies[CONSENT_COOKIE] = value
    response = client.get("/t/set/?c=analytics_c")
    assert response.status_code == 200
    assert "analytics_c" not in response.cookies


# -- decision times ---------------------------------------------------------------------------


def test_a_decision_from_the_far_future_is_no_decision(categories):
    ten_years = 10 * 365 * 24 * 3600
    consent = Consent(consent_cookie({"analytics"}, age=-ten_years))
    assert not consent.is_decided
    assert not consent.needs_renewal
    assert not consent.allows("analytics")


def test_a_little_clock_skew_is_tolerated(categories):
    assert Consent(consent_cookie({"analytics"}, age=-(FUTURE_TOLERANCE - 60))).is_decided
    assert not Consent(consent_cookie({"analytics"}, age=-(FUTURE_TOLERANCE + 60))).is_decided


def test_the_clock_skew_tolerated_is_five_minutes(categories):
    """As the documentation says: a decision dated more than five minutes ahead is no
    decision (a longer tolerance would let a cookie outlive CONSENT_MAX_AGE by as much)."""
    assert Consent(consent_cookie({"analytics"}, age=-4 * 60)).is_decided
    assert not Consent(consent_cookie({"analytics"}, age=-6 * 60)).allows("analytics")


def test_a_future_dated_decision_under_an_old_policy_needs_no_renewal(categories):
    """Dated in the future it is no decision at all, not a stale one: there is nothing to
    renew, even when the policy has asked for consent again since its version."""
    ten_years = 10 * 365 * 24 * 3600
    assert Consent(consent_cookie({"analytics"}, version=0)).needs_renewal
    consent = Consent(consent_cookie({"analytics"}, version=0, age=-ten_years))
    assert not consent.needs_renewal
    assert not consent.is_decided


@override_settings(COOKIECONSENT={"CONSENT_MAX_AGE": 100, "REFUSAL_MAX_AGE": 50})
def test_one_lifetime_rule_for_the_cookie_and_the_check(categories, rf):
    from django.http import HttpResponse

    from cookieconsent.engine.consent import set_consent_cookie

    assert lifetime(frozenset({"analytics"})) == 100
    assert lifetime(frozenset()) == 50
    for granted in ({"analytics"}, set()):
        decision = Decision(frozenset(granted), 1, int(time.time()), "custom", "x")
        response = HttpResponse()
        set_consent_cookie(response, decision)
        max_age = response.cookies[CONSENT_COOKIE]["max-age"]
        assert max_age == lifetime(decision.granted)
        assert Consent(consent_cookie(granted, age=max_age - 5)).is_decided
        assert Consent(consent_cookie(granted, age=max_age + 5)).needs_renewal
