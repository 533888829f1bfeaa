"""Whatever a consent POST carries, the answer is a decision or a clear 4xx: never a 500, and
a record only for a valid choice."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils.encoding import iri_to_uri
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cookieconsent.models import ConsentRecord

pytestmark = pytest.mark.django_db

URL = "/cookies/consent/"
FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SLUGS = ["necessary", "functional", "analytics", "marketing", "", "x" * 300]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.sampled_from(SLUGS),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
bodies = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "action": st.sampled_from(["accept_all", "reject_all", "custom", "x", ""])
            | json_values,
            "categories": st.lists(st.sampled_from(SLUGS), max_size=60) | json_values,
            "next": st.sampled_from(["/", "//evil.example", "/t/?a=1", "x" * 3000]) | json_values,
        },
    ).map(json.dumps),
    json_values.map(json.dumps),
    st.text(max_size=200),
    st.integers(1, 3000).map(lambda n: "[" * n + "]" * n),
)


@FUZZ
@given(body=bodies)
def test_any_json_body(categories, body):
    before = ConsentRecord.objects.count()
    response = Client().post(URL, body, content_type="application/json")
    assert response.status_code in (200, 400), body
    assert ConsentRecord.objects.count() == before + (response.status_code == 200)
    if response.status_code == 400 and body:  # an empty body is sent without a content type
        assert response.json()["error"]


@FUZZ
@given(
    action=st.sampled_from(["accept_all", "reject_all", "custom", "preferences", "", "nope"]),
    categories_=st.lists(st.sampled_from(SLUGS), max_size=60),
    next_url=st.text(max_size=300),
)
def test_any_form_post(categories, action, categories_, next_url):
    response = Client().post(URL, {"action": action, "categories": categories_, "next": next_url})
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        location = response["Location"]
        assert location in (iri_to_uri(next_url), "/")
        assert not location.startswith("//")
