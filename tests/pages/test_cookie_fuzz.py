"""Hostile consent cookies, generated: none makes a 500 or lets a refused cookie through; and
the ``next`` values known to fool redirect checks never leave the site. (POST bodies are
fuzzed in test_consent_fuzz.py, patterns in test_patterns.py, gates in test_gating.py.)"""

from __future__ import annotations

import zlib
from typing import Any

import pytest
from django.core import signing
from django.test import Client
from django.utils.http import url_has_allowed_host_and_scheme
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cookieconsent.engine.consent import SALT
from cookieconsent.testing import CONSENT_COOKIE, cookies_set

pytestmark = pytest.mark.django_db

URL = "/cookies/consent/"
# Each example runs a request or two; enough of them to find the shapes that matter, few
# enough to keep the suite quick. The fixtures hold for every example.
EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=30,
)
# Payloads shaped like the real one, with every field free to be wrong.
decision_like = st.fixed_dictionaries(
    {},
    optional={
        "g": json_values | st.lists(st.sampled_from(["analytics", "functional", "x"])),
        "v": json_values,
        "t": json_values | st.integers(min_value=-(2**70), max_value=2**70),
        "a": json_values,
        "i": json_values,
    },
)


# What a Cookie header can carry: visible ASCII and spaces, no ";" (which ends a cookie).
cookie_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters=";"),
    max_size=3000,
)


def page_with(cookie: str) -> Any:
    client = Client()
    client.cookies[CONSENT_COOKIE] = cookie
    return client.get("/t/set/")


@EXAMPLES
@given(value=cookie_text | st.just("x" * 5000))
def test_any_consent_cookie_is_no_decision_and_no_500(categories, value):
    response = page_with(value)
    assert response.status_code == 200
    assert cookies_set(response) == {"necessary_c"}


def signed(payload: str) -> str:
    """``payload`` signed as the consent cookie is, whatever it holds."""
    return signing.TimestampSigner(salt=SALT).sign(payload)


@pytest.mark.parametrize(
    "value",
    [
        # The "compressed" flag with data that is not zlib.
        signed("." + signing.b64_encode(b"not zlib at all").decode()),
        # JSON nested deeper than the parser's recursion limit (compressed, it is small).
        signed("." + signing.b64_encode(zlib.compress(b"[" * 50_000 + b"]" * 50_000)).decode()),
        # Not base64, not UTF-8, not JSON.
        signed("!!!"),
        signed(signing.b64_encode(b"\xff\xfe").decode()),
        signed(signing.b64_encode(b"{").decode()),
        signed(signing.b64_encode(b'{"g": ["analytics"], "t": 1e999}').decode()),
    ],
    ids=["bad-zlib", "deep-json", "not-base64", "not-utf8", "bad-json", "huge-number"],
)
def test_a_signed_but_unreadable_cookie_is_no_decision(categories, value):
    response = page_with(value)
    assert response.status_code == 200
    assert cookies_set(response) == {"necessary_c"}


@EXAMPLES
@given(payload=decision_like | json_values, compress=st.booleans())
def test_a_signed_but_malformed_cookie_never_gives_a_500(categories, payload, compress):
    try:
        value = signing.dumps(payload, salt=SALT, compress=compress)
    except (TypeError, ValueError):  # not JSON-serialisable: no cookie could hold it
        return
    response = page_with(value)
    assert response.status_code == 200
    # Whatever it says, nothing but a well-formed grant of "analytics" lets it through.
    if "analytics_c" in cookies_set(response):
        assert isinstance(payload, dict) and "analytics" in payload["g"]


@pytest.mark.parametrize(
    "next_url",
    [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/%2F%2Fevil.example",
        " https://evil.example",
        "http:evil.example",
        "/ok/?x=&cookieconsent-next;",
        "\x00",
        "/\t/evil.example",
    ],
)
def test_the_redirect_never_leaves_the_site(categories, next_url):
    response = Client().post(URL, {"action": "reject_all", "next": next_url})
    assert response.status_code == 302
    location = response["Location"]
    assert url_has_allowed_host_and_scheme(location, allowed_hosts={"testserver"})
    assert not location.startswith(("//", "/\\", "\\"))
