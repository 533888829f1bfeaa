"""Issue 3's promise, proven on the fluxems site by its Set-Cookie headers: `_stat` (Analytics)
and `prefs` (Functional) leave only with the visitor's consent, never on the first response."""

from __future__ import annotations

import pytest
from django.test import Client

from cookieconsent.models import ConsentRecord, CookiePolicy
from cookieconsent.publishing import publish
from cookieconsent.testing import cookies_expired, cookies_set

pytestmark = pytest.mark.django_db

CONSENT = "/cookies/consent/"


def visit(client: Client) -> set[str]:
    """Browse like a visitor: the home page, then choose a Workspace. The cookies set."""
    names = cookies_set(client.get("/"))
    names |= cookies_set(client.post("/workspace/", {"workspace": "sandbox"}))
    return names


def decide(client: Client, action: str, *categories: str):
    response = client.post(CONSENT, {"action": action, "categories": list(categories)})
    assert response.status_code == 302
    return response


def test_first_visit_carries_neither(client, categories):
    first = client.get("/")
    assert "_stat" not in first.cookies and "prefs" not in first.cookies
    assert not {"_stat", "prefs"} & visit(client)


@pytest.mark.parametrize("path", ["/", "/workspace/"])
def test_a_head_request_answers_and_carries_neither(client, categories, path):
    """What a monitor or a link checker sends: answered (not 405), and its headers are a
    first response's, without ``_stat`` or ``prefs``."""
    response = client.head(path)
    assert response.status_code == 200
    assert not {"_stat", "prefs"} & cookies_set(response)


def test_after_reject_neither_ever_appears_and_old_ones_expire(client, categories):
    client.cookies["_stat"] = "7"
    client.cookies["prefs"] = "acme-ops"
    response = decide(client, "reject_all")
    assert {"_stat", "prefs"} <= cookies_expired(response)
    for _ in range(3):
        assert not {"_stat", "prefs"} & visit(client)


def test_functional_only_sets_prefs_not_stat(client, categories):
    decide(client, "custom", "functional")
    names = visit(client)
    assert "prefs" in names
    assert "_stat" not in names


def test_accept_all_sets_both(client, categories):
    decide(client, "accept_all")
    assert {"_stat", "prefs"} <= visit(client)


def test_withdrawal_expires_them(client, categories):
    decide(client, "accept_all")
    visit(client)
    assert client.cookies["_stat"].value and client.cookies["prefs"].value
    response = client.post(CONSENT, {"action": "preferences", "categories": []})
    assert {"_stat", "prefs"} <= cookies_expired(response)
    assert not {"_stat", "prefs"} & visit(client)


@pytest.mark.parametrize("held", ["9" * 4301, "\u00b2", "-3"])
@pytest.mark.parametrize("decided", [False, True])
def test_a_visit_count_that_is_no_count_starts_again(client, categories, held, decided):
    """Whatever `_stat` a browser sends back (more digits than `int()` reads, a superscript
    digit, which `isdigit()` accepts), the page answers; with consent the count starts again."""
    if decided:
        decide(client, "accept_all")
    client.cookies["_stat"] = held
    client.raise_request_exception = False
    response = client.get("/")
    assert response.status_code == 200
    if decided:
        assert response.cookies["_stat"].value == "1"
    else:
        assert "_stat" in cookies_expired(response)


def test_gpc_without_a_choice_acts_as_a_refusal(categories):
    client = Client(HTTP_SEC_GPC="1")
    home = client.get("/")
    assert 'id="cookieconsent-banner"' not in home.content.decode()
    client.cookies["_stat"] = "1"
    response = client.get("/")
    assert "_stat" in cookies_expired(response)
    assert not {"_stat", "prefs"} & visit(client)
    # an explicit opt-in on the preferences page still counts
    client.post(CONSENT, {"action": "preferences", "categories": ["analytics"]})
    assert "_stat" in visit(client)


def test_republished_policy_marked_consent_again_brings_the_banner_back(client, categories):
    decide(client, "accept_all")
    assert 'id="cookieconsent-banner"' not in client.get("/").content.decode()
    publish(CookiePolicy.current(), reconsent=True)
    home = client.get("/")
    assert 'id="cookieconsent-banner"' in home.content.decode()
    assert "_stat" not in cookies_set(home)


def test_each_decision_leaves_exactly_one_record(client, categories):
    decide(client, "reject_all")
    decide(client, "custom", "functional")
    decide(client, "accept_all")
    assert list(
        ConsentRecord.objects.order_by("created_at", "pk").values_list("action", flat=True)
    ) == [
        "reject_all",
        "custom",
        "accept_all",
    ]
