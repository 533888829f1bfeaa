"""The consent endpoint decides over the published version the visitor was shown: a category
added in the draft can be neither granted nor refused, nor allowed by a regime's default, until
it is published; records list only published categories."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from cookieconsent import publishing
from cookieconsent.engine.registry import CategoryInfo, Registry, get_registry
from cookieconsent.models import ConsentRecord, CookiePolicy
from cookieconsent.testing import CONSENT_COOKIE, consent_cookie, cookies_set
from tests.factories import CookieCategoryFactory, CookieFactory
from tests.helpers import unpublish_everything

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("categories")]

CONSENT = "/cookies/consent/"
#: What the ``categories`` fixture publishes as optional.
PUBLISHED = ["analytics", "functional"]
#: Every cookie of /t/set/ these tests look at, with the draft category's own.
COOKIES = ["necessary_c", "functional_c", "analytics_c", "marketing_c"]
#: What a visitor who accepted every published category gets (``_stat`` rides on every page).
ACCEPTED = {"necessary_c", "functional_c", "analytics_c", "_stat"}


@pytest.fixture
def marketing(categories: dict[str, Any]) -> None:
    """An optional Marketing category with a cookie, saved in the draft and not published."""
    category = CookieCategoryFactory(slug="marketing", name="Marketing")
    CookieFactory(category=category, name="marketing_c")


def publish() -> None:
    policy = CookiePolicy.current()
    assert policy is not None
    publishing.publish(policy)


def post_json(client: Client, body: dict[str, Any], **extra: Any) -> Any:
    return client.post(CONSENT, json.dumps(body), content_type="application/json", **extra)


def record() -> ConsentRecord:
    return ConsentRecord.objects.latest("created_at", "pk")


def first_cookies(client: Client) -> set[str]:
    return cookies_set(client.get("/t/set/", {"c": COOKIES}))


# -- the endpoint -----------------------------------------------------------------------------


@pytest.mark.usefixtures("marketing")
def test_accept_all_grants_only_the_published_categories(client):
    response = post_json(client, {"action": "accept_all"})
    assert response.status_code == 200
    assert "marketing" not in response.json()["categories"]
    assert (record().granted, record().refused) == (PUBLISHED, [])


@pytest.mark.usefixtures("marketing")
def test_reject_all_refuses_only_the_published_categories(client):
    client.post(CONSENT, {"action": "reject_all"})
    assert (record().granted, record().refused) == ([], PUBLISHED)


@pytest.mark.usefixtures("marketing")
def test_a_custom_choice_refuses_only_the_published_categories(client):
    client.post(CONSENT, {"action": "custom", "categories": ["functional"]})
    assert (record().granted, record().refused) == (["functional"], ["analytics"])


@pytest.mark.usefixtures("marketing")
@pytest.mark.parametrize("action", ["custom", "preferences"])
def test_a_draft_only_slug_is_an_unknown_category(client, action):
    response = client.post(CONSENT, {"action": action, "categories": ["functional", "marketing"]})
    assert response.status_code == 400
    assert "Unknown cookie category: “marketing”." in response.content.decode()
    response = post_json(client, {"action": action, "categories": ["marketing"]})
    assert response.status_code == 400
    assert response.json() == {"error": "Unknown cookie category: “marketing”."}
    assert not ConsentRecord.objects.exists()
    assert CONSENT_COOKIE not in response.cookies


@pytest.mark.usefixtures("marketing")
def test_required_slugs_are_still_accepted_and_change_nothing(client):
    """The script posts every category it allows, required ones included: the published
    ones; a required category of the draft is as unknown as an optional one."""
    CookieCategoryFactory(slug="fraud", name="Fraud prevention", required=True)  # draft only
    response = post_json(client, {"action": "custom", "categories": ["necessary", "security"]})
    assert response.status_code == 200
    assert (record().granted, record().refused) == ([], PUBLISHED)
    response = post_json(client, {"action": "custom", "categories": ["necessary", "fraud"]})
    assert response.status_code == 400


@pytest.mark.usefixtures("marketing")
def test_once_published_the_category_is_granted_and_refused(client):
    publish()
    post_json(client, {"action": "accept_all"})
    assert record().granted == ["analytics", "functional", "marketing"]
    client.post(CONSENT, {"action": "custom", "categories": ["marketing"]})
    assert (record().granted, record().refused) == (["marketing"], PUBLISHED)


def test_a_published_category_deleted_since_cannot_be_granted_once_published(client, categories):
    categories["analytics"].cookies.all().delete()
    categories["analytics"].delete()
    post_json(client, {"action": "accept_all"})
    assert (record().granted, record().refused) == (PUBLISHED, [])  # what visitors were shown
    publish()
    post_json(client, {"action": "accept_all"})
    assert (record().granted, record().refused) == (["functional"], [])
    response = post_json(client, {"action": "custom", "categories": ["analytics"]})
    assert response.status_code == 400


def test_a_published_category_made_required_is_not_offered_as_optional(client, categories):
    """Required once published: always allowed, so neither granted nor refused."""
    categories["analytics"].required = True
    categories["analytics"].save()
    client.post(CONSENT, {"action": "reject_all"})
    assert (record().granted, record().refused) == ([], PUBLISHED)  # a draft, until published
    assert "analytics_c" not in first_cookies(client)
    publish()
    client.post(CONSENT, {"action": "reject_all"})
    assert (record().granted, record().refused) == ([], ["functional"])
    assert "analytics_c" in first_cookies(client)


def test_a_published_required_category_made_optional_is_offered_once_published(client, categories):
    """Shown as always on, it stays so until published as optional; then it is a choice."""
    categories["security"].required = False
    categories["security"].save()
    client.post(CONSENT, {"action": "reject_all"})
    assert (record().granted, record().refused) == ([], PUBLISHED)
    assert "session" in cookies_set(client.get("/t/set/", {"c": ["session"]}))
    publish()
    client.post(CONSENT, {"action": "reject_all"})
    assert "session" not in cookies_set(client.get("/t/set/", {"c": ["session"]}))
    client.post(CONSENT, {"action": "accept_all"})
    assert record().granted == ["analytics", "functional", "security"]
    assert "session" in cookies_set(client.get("/t/set/", {"c": ["session"]}))


@pytest.mark.usefixtures("marketing")
def test_with_nothing_published_no_optional_category_is_offered(client):
    """Nobody was shown one: "Accept all" grants nothing, and only the draft's strictly
    necessary cookies are set."""
    unpublish_everything()
    post_json(client, {"action": "accept_all"})
    assert (record().granted, record().refused) == ([], [])
    response = client.post(CONSENT, {"action": "custom", "categories": ["analytics"]})
    assert response.status_code == 400
    assert first_cookies(client) == {"necessary_c"}


def test_with_nothing_published_every_region_is_opt_in(settings):
    """A regime saved in the draft is nobody's until published: before the first publish a
    visitor from a region the draft makes opt-out is asked, like everyone else."""
    settings.COOKIECONSENT = {"REGION_HEADER": "CF-IPCountry", "TRUST_REGION_HEADER": True}
    policy = CookiePolicy.current()
    assert policy is not None
    policy.region_rules.create(region="US", regime="opt-out")
    unpublish_everything()
    client = Client(HTTP_CF_IPCOUNTRY="US")
    assert client.get("/cookies/status/").json()["regime"] == "opt-in"
    page = client.get("/t/").content.decode()
    assert "Accept all" in page and "Do not sell" not in page
    publish()
    assert client.get("/cookies/status/").json()["regime"] == "opt-out"


@pytest.mark.usefixtures("marketing")
def test_every_box_of_the_preferences_page_is_a_category_the_endpoint_accepts(client):
    """The page (and the dialog the script opens from it) is rendered from the snapshot: it
    offers no draft category, and all its boxes ticked post without a refusal."""
    html = client.get("/cookies/preferences/").content.decode()
    boxes = re.findall(r'name="categories" value="([^"]+)"', html)
    assert boxes == ["necessary", "security", "functional", "analytics"]
    response = client.post(CONSENT, {"action": "preferences", "categories": boxes})
    assert response.status_code == 302
    assert (record().granted, record().refused) == (PUBLISHED, [])


# -- enforcement ------------------------------------------------------------------------------


@pytest.mark.usefixtures("marketing")
def test_a_draft_categorys_cookie_never_reaches_a_visitor_until_published(client):
    accepted = client.post(CONSENT, {"action": "accept_all", "next": "/t/set/"})
    assert accepted.status_code == 302
    assert first_cookies(client) == ACCEPTED
    publish()
    # Nobody consented to Marketing yet: accepting before does not cover it.
    assert first_cookies(client) == ACCEPTED
    client.post(CONSENT, {"action": "accept_all"})
    assert first_cookies(client) == {*ACCEPTED, "marketing_c"}


@pytest.mark.usefixtures("marketing")
def test_enforcing_the_published_categories_costs_no_query_once_warm(
    client, django_assert_num_queries
):
    client.post(CONSENT, {"action": "accept_all"})
    first_cookies(client)
    with django_assert_num_queries(0):
        assert first_cookies(client) == ACCEPTED


@pytest.mark.usefixtures("marketing")
def test_a_decision_that_granted_a_draft_category_does_not_allow_it(client):
    """A consent cookie written before the endpoint offered only published categories."""
    client.cookies[CONSENT_COOKIE] = consent_cookie(["analytics", "marketing"])
    assert first_cookies(client) == {"necessary_c", "analytics_c", "_stat"}
    assert "marketing" not in client.get("/cookies/status/").json()["categories"]
    publish()
    assert first_cookies(client) == {"necessary_c", "analytics_c", "_stat", "marketing_c"}


@pytest.fixture
def notice(settings: Any, categories: dict[str, Any]) -> None:
    """Every visitor under the notice regime, published: optional categories allowed until
    they object."""
    settings.COOKIECONSENT = {"REGION_HEADER": "CF-IPCountry", "TRUST_REGION_HEADER": True}
    policy = CookiePolicy.current()
    assert policy is not None
    policy.region_rules.create(region="CA", regime="notice")
    publish()


@pytest.mark.usefixtures("notice", "marketing")
def test_a_regimes_default_leaves_out_a_draft_category():
    client = Client(HTTP_CF_IPCOUNTRY="CA")
    assert get_registry().regime_default("notice") == frozenset(PUBLISHED)
    assert first_cookies(client) == ACCEPTED
    client.post(CONSENT, {"action": "dismiss"})
    assert (record().granted, record().refused) == (PUBLISHED, [])
    assert first_cookies(client) == ACCEPTED
    publish()
    assert first_cookies(Client(HTTP_CF_IPCOUNTRY="CA")) == {*ACCEPTED, "marketing_c"}


# -- the registry -----------------------------------------------------------------------------


@pytest.mark.usefixtures("marketing")
def test_the_registry_offers_the_published_optional_categories(categories):
    registry = get_registry()
    assert registry.optional_slugs == {"analytics", "functional"}
    assert registry.offered_slugs == {"analytics", "functional"}
    categories["functional"].cookies.all().delete()
    categories["functional"].delete()
    assert get_registry().offered_slugs == {"analytics", "functional"}  # a draft
    publish()
    assert get_registry().offered_slugs == {"analytics", "marketing"}


def test_the_registry_offers_its_optional_categories():
    infos = (CategoryInfo("necessary", "", "", True), CategoryInfo("analytics", "", "", False))
    assert Registry(categories=infos).offered_slugs == {"analytics"}


def test_with_nothing_published_the_registry_offers_nothing(categories):
    unpublish_everything()
    registry = get_registry()
    assert registry.required_slugs == {"necessary", "security"}
    assert registry.offered_slugs == set()
    assert registry.lookup("analytics_c") is not None  # declared: blocked, not undeclared
    assert registry.lookup("necessary_c").required
