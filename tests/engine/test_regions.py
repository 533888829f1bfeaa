"""Consent by region: the region from configured headers or a resolver, the regime its rules
give, and what the visitor gets under each, through the middleware, the banner, the consent
endpoint and the records."""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import re

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.core.exceptions import ValidationError
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from cookieconsent import publishing
from cookieconsent.console import stats
from cookieconsent.engine import regions
from cookieconsent.engine.consent import Consent
from cookieconsent.engine.regions import region_of
from cookieconsent.engine.registry import get_registry
from cookieconsent.middleware import CookieConsentMiddleware
from cookieconsent.models import (
    Action,
    ConsentRecord,
    Cookie,
    CookieCategory,
    CookiePolicy,
    DailyDecisions,
    Regime,
    RegionRule,
)
from cookieconsent.publishing import serve as serving
from cookieconsent.regimes import (
    GROUPS,
    NOTICE,
    OPT_IN,
    OPT_OUT,
    compile_rules,
    normalise,
    region_name,
    rule_region,
    validate_rule_region,
)
from cookieconsent.testing import CONSENT_COOKIE, consent_cookie, cookies_expired, cookies_set
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

CONSENT = "/cookies/consent/"
STATUS = "/cookies/status/"
HEADER = "CF-IPCountry"
SUB_HEADER = "CF-Region-Code"
OPTIONAL = ["functional_c", "analytics_c", "ads_c"]
#: Every cookie /t/set/ tries, with the example's `_stat` that rides on every HTML response.
ALL_SET = {"necessary_c", "functional_c", "analytics_c", "_stat", "ads_c"}


def visitor(region: str | None = None, **extra: str) -> Client:
    """A client whose every request carries the CDN's country header."""
    if region is not None:
        extra["HTTP_CF_IPCOUNTRY"] = region
    return Client(**extra)


def first_cookies(client: Client) -> set[str]:
    return cookies_set(client.get("/t/set/", {"c": ["necessary_c", *OPTIONAL]}))


def config_of(page: str) -> dict[str, object]:
    match = re.search(r'data-cookieconsent-config="([^"]*)"', page)
    assert match is not None, page
    return json.loads(html.unescape(match.group(1)))  # type: ignore[no-any-return]


@pytest.fixture
def region_settings(settings):
    settings.COOKIECONSENT = {
        "REGION_HEADER": HEADER,
        "REGION_SUBDIVISION_HEADER": SUB_HEADER,
        "TRUST_REGION_HEADER": True,
    }


@pytest.fixture
def regimes(categories, region_settings) -> dict[str, CookieCategory]:
    """Rules like the example's (opt-in for the EEA, GB, ZA, BR; opt-out for the US), plus
    notice for Canada, opt-in for US-TX, and an Advertising category that stays opt-in,
    published as version 2."""
    policy = CookiePolicy.current()
    assert policy is not None
    for region, regime in [
        ("EEA", OPT_IN),
        ("GB", OPT_IN),
        ("ZA", OPT_IN),
        ("BR", OPT_IN),
        ("US", OPT_OUT),
        ("US-TX", OPT_IN),
        ("CA", NOTICE),
    ]:
        RegionRule.objects.update_or_create(
            policy=policy, region=region, defaults={"regime": regime}
        )
    ads, _ = CookieCategory.objects.get_or_create(
        slug="advertising",
        defaults={"name": "Advertising", "order": 9, "opt_in_everywhere": True},
    )
    Cookie.objects.get_or_create(name="ads_c", defaults={"category": ads})
    publishing.publish(policy)  # Advertising is offered once published
    get_registry()
    return {**categories, "advertising": ads}


# -- region codes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("DE", "DE"),
        (" de ", "DE"),
        ("us-ca", "US-CA"),
        ("GB-ENG", "GB-ENG"),
        ("XK", "XK"),  # Kosovo: user-assigned, but CDNs send it for a real place
        ("XX", None),  # Cloudflare: unknown
        ("T1", None),  # Cloudflare: Tor
        ("A1", None),  # anonymous proxy
        ("ZZ", None),
        ("EU", None),  # a group, not where anyone is
        ("zz<script>", None),
        ("DEU", None),
        ("D", None),
        ("US-CALIF", None),
        ("", None),
        (None, None),
        (49, None),
    ],
)
def test_normalise(value, code):
    assert normalise(value) == code


@pytest.mark.parametrize("value", ["ß", "ßß", "ﬀ", "ﬆ", "\u0131", "\u0131e"])
def test_letters_whose_capitals_are_ascii_are_no_code(value):
    """Unicode's capitals of these are ASCII (``ß`` → ``SS``, South Sudan): a value is shaped
    like a code in ASCII or not at all (docs/regions.md)."""
    assert normalise(value) is None


@pytest.mark.parametrize("value", ["ß", "ﬆ", "\u0131e"])
def test_rule_regions_of_other_letters_are_refused_not_capitalised(value):
    with pytest.raises(ValidationError, match="is not a region code"):
        validate_rule_region(value)
    assert not rule_region(value).isascii()
    assert region_name(value) == ""


@pytest.mark.parametrize("value", ["DE", "us-ca", "EU", "EEA", "eea"])
def test_rule_regions_accept_countries_subdivisions_and_groups(value):
    validate_rule_region(value)


@pytest.mark.parametrize("value", ["XX", "Germany", "U$", "EUR"])
def test_rule_regions_refuse_anything_else(value):
    with pytest.raises(ValidationError, match="is not a region code"):
        validate_rule_region(value)


def test_subdivision_beats_country_beats_group_and_the_rest_is_opt_in():
    table = compile_rules({"US-CA": OPT_IN, "US": OPT_OUT, "EU": NOTICE, "FR": OPT_IN}, frozenset())
    assert table.regime_for("US-CA") == OPT_IN
    assert table.regime_for("US-NY") == OPT_OUT
    assert table.regime_for("US") == OPT_OUT
    assert table.regime_for("DE") == NOTICE
    assert table.regime_for("DE-BY") == NOTICE
    assert table.regime_for("FR") == OPT_IN
    assert table.regime_for("JP") == OPT_IN
    assert table.regime_for(None) == OPT_IN
    assert not table.uniform


def test_rules_that_all_say_opt_in_are_uniform():
    assert compile_rules({"EU": OPT_IN, "ZA": OPT_IN}, frozenset()).uniform
    assert compile_rules({}, frozenset()).regime_for("US") == OPT_IN


# -- the visitor's region ---------------------------------------------------------------------


def test_no_header_is_trusted_unless_configured(rf: RequestFactory, settings):
    settings.COOKIECONSENT = {}
    assert region_of(rf.get("/", HTTP_CF_IPCOUNTRY="US")) is None


def test_a_header_is_not_read_unless_the_site_trusts_it(rf: RequestFactory, regimes, settings):
    """Anyone can send ``CF-IPCountry: US``: configured but not trusted, the headers are not
    read (the region is unknown, so opt-in), nor remembered, nor varied on."""
    settings.COOKIECONSENT = {"REGION_HEADER": HEADER, "REGION_SUBDIVISION_HEADER": SUB_HEADER}
    assert region_of(rf.get("/", HTTP_CF_IPCOUNTRY="US", HTTP_CF_REGION_CODE="CA")) is None
    assert regions.vary_headers() == ()
    for region in ("US", "CA", "DE"):
        response = visitor(region).get("/t/set/", {"c": ["necessary_c", *OPTIONAL]})
        assert cookies_set(response) == {"necessary_c"}
        assert HEADER not in response.get("Vary", "")
    # One memo entry for every visitor: the untrusted header is not part of its key.
    status = visitor("US").get(STATUS).json()
    assert (status["region"], status["regime"]) == (None, OPT_IN)
    settings.COOKIECONSENT = {**settings.COOKIECONSENT, "TRUST_REGION_HEADER": True}
    assert region_of(rf.get("/", HTTP_CF_IPCOUNTRY="US", HTTP_CF_REGION_CODE="CA")) == "US-CA"
    assert visitor("US").get(STATUS).json()["regime"] == OPT_OUT


def test_the_configured_headers(rf: RequestFactory, region_settings):
    assert region_of(rf.get("/", HTTP_CF_IPCOUNTRY="us")) == "US"
    assert region_of(rf.get("/", HTTP_CF_IPCOUNTRY="US", HTTP_CF_REGION_CODE="CA")) == "US-CA"
    assert region_of(rf.get("/", HTTP_CF_IPCOUNTRY="US", HTTP_CF_REGION_CODE="us-ca")) == "US-CA"
    # a malformed subdivision leaves the country; a malformed country leaves nothing
    assert region_of(rf.get("/", HTTP_CF_IPCOUNTRY="US", HTTP_CF_REGION_CODE="<b>")) == "US"
    assert region_of(rf.get("/", HTTP_CF_IPCOUNTRY="XX", HTTP_CF_REGION_CODE="CA")) is None
    assert region_of(rf.get("/", HTTP_CF_IPCOUNTRY="US-CA")) is None
    assert region_of(rf.get("/")) is None


def test_header_values_of_other_letters_are_unknown(rf: RequestFactory, region_settings):
    """A WSGI server hands a header's bytes over as Latin-1: the byte 0xDF is ``ß``."""
    assert region_of(rf.get("/", HTTP_CF_IPCOUNTRY="\xdf")) is None
    assert region_of(rf.get("/", HTTP_CF_IPCOUNTRY="US", HTTP_CF_REGION_CODE="\xdf")) == "US"
    assert region_of(rf.get("/", HTTP_CF_IPCOUNTRY="US", HTTP_CF_REGION_CODE="ﬆ")) == "US"


def resolve_from_query(request: HttpRequest) -> str | None:
    return request.GET.get("where")


def broken_resolver(request: HttpRequest) -> str | None:
    raise OSError("no GeoIP database")


def test_the_resolver_is_asked_first_then_the_header(rf: RequestFactory, settings):
    settings.COOKIECONSENT = {
        "REGION_RESOLVER": "tests.engine.test_regions.resolve_from_query",
        "REGION_HEADER": HEADER,
        "TRUST_REGION_HEADER": True,
    }
    assert region_of(rf.get("/?where=br", HTTP_CF_IPCOUNTRY="US")) == "BR"
    assert region_of(rf.get("/?where=<x>", HTTP_CF_IPCOUNTRY="US")) == "US"
    assert region_of(rf.get("/?where=ß", HTTP_CF_IPCOUNTRY="US")) == "US"
    assert region_of(rf.get("/")) is None


def test_a_failing_resolver_means_unknown_not_an_error(rf: RequestFactory, settings, caplog):
    settings.COOKIECONSENT = {"REGION_RESOLVER": "tests.engine.test_regions.broken_resolver"}
    with caplog.at_level(logging.WARNING, logger="cookieconsent"):
        assert region_of(rf.get("/")) is None
    assert "REGION_RESOLVER failed" in caplog.text


def resolver_that_queries(request: HttpRequest) -> str | None:
    """A country kept on the user's account, say."""
    from django.contrib.auth.models import User

    User.objects.exists()
    return "US"


def test_a_resolver_that_queries_under_asgi_is_named_in_the_log(rf, regimes, settings, caplog):
    """Django refuses the query on the event loop: the region is unknown (opt-in), and the log
    says why rather than only that the resolver failed."""
    from asgiref.sync import async_to_sync

    from cookieconsent.middleware import CookieConsentMiddleware

    settings.COOKIECONSENT = {"REGION_RESOLVER": "tests.engine.test_regions.resolver_that_queries"}

    async def page(request):
        response = HttpResponse("page")
        response.set_cookie("analytics_c", "1")
        return response

    def sync_page(request):
        response = HttpResponse("page")
        response.set_cookie("analytics_c", "1")
        return response

    # Under WSGI the query is fine: the visitor is in the US, opt-out.
    assert "analytics_c" in cookies_set(CookieConsentMiddleware(sync_page)(rf.get("/")))
    with caplog.at_level(logging.WARNING, logger="cookieconsent"):
        response = async_to_sync(CookieConsentMiddleware(page))(rf.get("/"))
    assert "analytics_c" not in cookies_set(response)
    assert "queried the database during an async request" in caplog.text


# -- what the visitor gets, by regime ---------------------------------------------------------

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("region", ["DE", "ZA", "GB", "NO", "US-TX", "JP", None])
def test_opt_in_regions_and_unknown_get_nothing_optional_before_a_choice(regimes, region):
    client = visitor(region)
    assert first_cookies(client) == {"necessary_c"}
    page = client.get("/t/").content.decode()
    assert "Accept all" in page and "Do not sell" not in page


@pytest.mark.parametrize("region", ["XX", "T1", "zz<script>", "ZZ"])
def test_malformed_or_unknown_codes_are_opt_in_and_never_reflected(regimes, region):
    client = visitor(region)
    assert first_cookies(client) == {"necessary_c"}
    page = client.get("/t/").content.decode()
    assert "Accept all" in page
    assert "<script>" not in page and "zz&lt;" not in page and '"region":' not in page
    status = client.get(STATUS).json()
    assert status["region"] is None and status["regime"] == OPT_IN


def test_opt_out_allows_optional_categories_until_the_visitor_objects(regimes):
    client = visitor("US")
    first = client.get("/t/set/", {"c": ["necessary_c", *OPTIONAL]})
    # opt-in everywhere: Advertising waits for consent even here
    assert cookies_set(first) == {"necessary_c", "functional_c", "analytics_c", "_stat"}
    assert HEADER in first["Vary"]
    page = client.get("/t/").content.decode()
    assert "Do not sell or share my information" in page
    assert "Cookie settings" in page and "Accept all" not in page
    assert 'aria-labelledby="cc-banner-title-opt-out"' in page
    assert 'id="cc-banner-title-opt-out"' in page

    objection = client.post(CONSENT, {"action": "reject_all", "next": "/t/"})
    assert objection.status_code == 302
    assert {"functional_c", "analytics_c", "_stat"} <= cookies_expired(objection)
    record = ConsentRecord.objects.get()
    assert (record.action, record.region, record.regime) == (Action.REJECT_ALL, "US", OPT_OUT)
    assert record.granted == []
    assert first_cookies(client) == {"necessary_c"}
    assert "Do not sell" not in client.get("/t/").content.decode()


def test_gpc_is_an_objection_under_opt_out(regimes):
    client = visitor("US", HTTP_SEC_GPC="1")
    assert first_cookies(client) == {"necessary_c"}
    assert client.get(STATUS).json()["action"] == "gpc"


def _analytics_live(page: str) -> bool:
    """Whether the home page's gated analytics script would run."""
    return '<script src="/static/tests/analytics.js">' in page


@pytest.mark.parametrize("region", ["US", "CA"])
def test_a_dismissal_never_outranks_gpc(regimes, region):
    """A visitor who pressed OK on the notice and later sends GPC objects from then on: no
    optional cookie, the ones held are expired, the gated script is inert."""
    client = visitor(region)
    client.post(CONSENT, {"action": "dismiss"})
    assert "_stat" in first_cookies(client)
    client.defaults["HTTP_SEC_GPC"] = "1"
    response = client.get("/t/set/", {"c": ["necessary_c", *OPTIONAL]})
    assert cookies_set(response) == {"necessary_c"}
    assert {"functional_c", "analytics_c", "_stat"} <= cookies_expired(response)
    home = client.get("/")
    assert "_stat" not in cookies_set(home)
    assert not _analytics_live(home.content.decode())
    assert config_of(home.content.decode())["state"]["categories"] == ["necessary", "security"]
    status = client.get(STATUS).json()
    assert status["action"] == "gpc" and status["categories"] == ["necessary", "security"]
    # An explicit choice still wins over the signal.
    client.post(CONSENT, {"action": "accept_all"})
    assert "_stat" in first_cookies(client)


@pytest.mark.parametrize("region", ["US", "CA"])
def test_a_dismissal_sent_with_gpc_grants_nothing(regimes, region):
    client = visitor(region, HTTP_SEC_GPC="1")
    client.post(CONSENT, {"action": "dismiss"})
    record = ConsentRecord.objects.get()
    assert (record.action, record.granted) == (Action.DISMISS, [])
    assert {"analytics", "functional"} <= set(record.refused)
    del client.defaults["HTTP_SEC_GPC"]
    assert first_cookies(client) == {"necessary_c"}


@pytest.mark.parametrize(
    ("region", "path"),
    [("US", "/t/set/"), ("CA", "/t/set/"), ("US", "/"), ("CA", "/"), ("DE", "/"), (None, "/")],
)
def test_a_response_that_depends_on_the_signal_varies_on_it(regimes, region, path):
    """A page or a cookie let through that GPC would have changed says ``Vary: Sec-GPC`` in
    every regime, or a shared cache could hand one visitor's page to another."""
    for extra in ({}, {"HTTP_SEC_GPC": "1"}):
        response = visitor(region, **extra).get(path, {"c": ["necessary_c", *OPTIONAL]})
        assert "Sec-GPC" in response["Vary"], (region, path, extra)
    dismissed = visitor(region)
    if region in ("US", "CA"):
        dismissed.post(CONSENT, {"action": "dismiss"})
        response = dismissed.get(path, {"c": ["necessary_c", *OPTIONAL]})
        assert "Sec-GPC" in response["Vary"]


def test_an_explicit_choice_does_not_vary_on_the_signal(regimes):
    client = visitor("US")
    client.post(CONSENT, {"action": "accept_all"})
    response = client.get("/t/set/", {"c": ["necessary_c", *OPTIONAL]})
    assert "_stat" in cookies_set(response)
    assert "Sec-GPC" not in response["Vary"]


def test_the_signal_header_is_not_named_when_it_is_not_honoured(regimes, settings):
    settings.COOKIECONSENT = {**settings.COOKIECONSENT, "HONOUR_GPC": False}
    response = visitor("US").get("/")
    assert "Cookie" in response["Vary"] and "Sec-GPC" not in response["Vary"]


def test_notice_allows_optional_categories_and_can_be_dismissed(regimes):
    client = visitor("CA")
    assert first_cookies(client) == {"necessary_c", "functional_c", "analytics_c", "_stat"}
    page = client.get("/t/").content.decode()
    assert "Cookies on this site" in page and 'value="dismiss"' in page
    assert "Accept all" not in page and "Do not sell" not in page
    assert "/cookies/policy/" in page and "/cookies/preferences/" in page

    dismissed = client.post(CONSENT, {"action": "dismiss", "next": "/t/"})
    assert dismissed.status_code == 302
    record = ConsentRecord.objects.get()
    assert (record.action, record.region, record.regime) == ("dismiss", "CA", NOTICE)
    assert sorted(record.granted) == ["analytics", "functional"]
    assert "advertising" in record.refused
    assert 'id="cookieconsent-banner"' not in client.get("/t/").content.decode()
    assert first_cookies(client) == {"necessary_c", "functional_c", "analytics_c", "_stat"}


def test_dismissing_where_there_is_no_notice_is_refused(regimes):
    client = visitor("DE")
    response = client.post(CONSENT, {"action": "dismiss"}, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert "no notice to dismiss" in response.json()["error"]
    assert not ConsentRecord.objects.exists()


def test_a_dismissed_notice_is_no_consent_in_an_opt_in_region(regimes):
    client = visitor("CA")
    client.post(CONSENT, {"action": "dismiss"})
    client.defaults["HTTP_CF_IPCOUNTRY"] = "DE"
    assert first_cookies(client) == {"necessary_c"}
    assert "Accept all" in client.get("/t/").content.decode()


@pytest.mark.parametrize("region", ["US", "CA"])
def test_a_dismissal_never_allows_a_category_made_opt_in_everywhere_since(regimes, region):
    """A dismissal is no consent: once staff publish a category as opt-in everywhere, it waits
    for consent from those who dismissed too, as from a visitor who has not decided. What else
    the dismissal allowed stays allowed, and an explicit choice keeps what it granted."""
    dismissed, accepted = visitor(region), visitor(region)
    dismissed.post(CONSENT, {"action": "dismiss"})
    accepted.post(CONSENT, {"action": "accept_all"})
    assert {"analytics_c", "_stat"} <= first_cookies(dismissed)
    CookieCategory.objects.filter(slug="analytics").update(opt_in_everywhere=True)
    publishing.publish(CookiePolicy.current())
    get_registry()
    assert "analytics_c" not in first_cookies(visitor(region))

    response = dismissed.get("/t/set/", {"c": ["necessary_c", *OPTIONAL]})
    assert cookies_set(response) == {"necessary_c", "functional_c"}
    assert {"analytics_c", "_stat"} <= cookies_expired(response)
    home = dismissed.get("/").content.decode()
    assert not _analytics_live(home) and 'id="cookieconsent-banner"' not in home
    status = dismissed.get(STATUS).json()
    assert status["action"] == "dismiss" and "analytics" not in status["categories"]
    assert "functional" in status["categories"]
    assert first_cookies(accepted) == ALL_SET


@pytest.mark.parametrize(
    ("decided_in", "action", "moves_to", "expected"),
    [
        ("DE", "accept_all", "US", ALL_SET),
        ("DE", "reject_all", "US", {"necessary_c"}),
        ("US", "reject_all", "CA", {"necessary_c"}),
        ("US", "accept_all", "DE", ALL_SET),
    ],
)
def test_an_explicit_choice_wins_everywhere_and_moves_with_the_visitor(
    regimes, decided_in, action, moves_to, expected
):
    client = visitor(decided_in)
    client.post(CONSENT, {"action": action})
    client.defaults["HTTP_CF_IPCOUNTRY"] = moves_to
    response = client.get("/t/set/", {"c": ["necessary_c", *OPTIONAL]})
    assert cookies_set(response) == expected
    assert 'id="cookieconsent-banner"' not in client.get("/t/").content.decode()
    # a decided visitor's cookies do not depend on the region
    assert HEADER not in response.get("Vary", "")


def test_a_custom_choice_in_opt_out_grants_only_what_it_names(regimes):
    client = visitor("US")
    client.post(CONSENT, {"action": "custom", "categories": ["functional"]})
    assert first_cookies(client) == {"necessary_c", "functional_c"}
    record = ConsentRecord.objects.get()
    assert record.regime == OPT_OUT and record.action == "custom"


def test_records_in_opt_in_regions_and_of_unknown_visitors(regimes):
    visitor("ZA").post(CONSENT, {"action": "accept_all"})
    visitor().post(CONSENT, {"action": "reject_all"})
    rows = ConsentRecord.objects.order_by("created_at", "pk").values_list("region", "regime")
    assert list(rows) == [("ZA", OPT_IN), ("", OPT_IN)]


def test_a_subdivision_rule_beats_its_country(regimes):
    client = visitor("US", HTTP_CF_REGION_CODE="TX")
    assert first_cookies(client) == {"necessary_c"}
    assert client.get(STATUS).json()["region"] == "US-TX"


def test_the_record_names_its_regime_and_the_snapshot_holds_its_wording(regimes):
    visitor("US").post(CONSENT, {"action": "reject_all"})
    visitor("DE").post(CONSENT, {"action": "reject_all"})
    visitor("CA").post(CONSENT, {"action": "dismiss"})
    records = {r.regime: r for r in ConsentRecord.objects.all()}
    assert set(records) == {OPT_IN, OPT_OUT, "notice"}
    # Every record cites the published snapshot, which holds each regime's banner as shown.
    shown = serving.snapshot(records[OPT_OUT].policy_version)
    assert {r.snapshot_hash for r in records.values()} == {shown.hash}
    assert "Do not sell or share my information" in shown.banner[f"ask:{OPT_OUT}"]
    assert "Do not sell or share my information" not in shown.banner[f"ask:{OPT_IN}"]


# -- request.cookie_consent, Vary, Consent Mode, cache-safe -----------------------------------


def test_request_cookie_consent_tells_region_and_regime(rf, regimes):
    request = rf.get("/", HTTP_CF_IPCOUNTRY="US", HTTP_CF_REGION_CODE="NY")
    consent = Consent._for_request(request)
    assert (consent.region, consent.regime) == ("US-NY", OPT_OUT)
    assert consent._region_read and consent._accessed


def test_without_rules_the_region_is_not_even_looked_up(client, categories, region_settings):
    RegionRule.objects.all().delete()
    response = client.get("/t/set/", headers={HEADER: "US"})
    assert cookies_set(response) == {"necessary_c"}
    assert HEADER not in response.get("Vary", "")


def test_a_page_that_asks_for_the_region_varies_on_its_headers(regimes):
    response = visitor("DE").get("/t/")
    assert HEADER in response["Vary"] and SUB_HEADER in response["Vary"]
    assert "Cookie" in response["Vary"]


def _undecided(request: HttpRequest) -> Consent:
    consent = Consent._for_request(request)
    consent._allowed_now()
    return consent


def test_an_undecided_visitor_like_an_earlier_one_gets_what_the_first_got(rf, regimes):
    first = _undecided(rf.get("/", HTTP_CF_IPCOUNTRY="US", HTTP_CF_REGION_CODE="NY"))
    # The next visitor with the same headers is answered from the memo: the same categories,
    # and the region is known to have been read (for Vary) and what it was.
    again = _undecided(rf.get("/", HTTP_CF_IPCOUNTRY="US", HTTP_CF_REGION_CODE="NY"))
    assert again._allowed_now() == first._allowed_now() >= {"necessary", "analytics"}
    assert again._region_read and not again._accessed
    assert (again.region, again.regime) == ("US-NY", OPT_OUT)
    response = visitor("US").get("/t/set/", {"c": ["necessary_c", *OPTIONAL]})
    assert HEADER in response["Vary"]


def test_another_signal_or_region_is_not_answered_from_the_memo(rf, regimes, settings):
    settings.COOKIECONSENT = {**settings.COOKIECONSENT, "HONOUR_DNT": True}
    assert "analytics" in _undecided(rf.get("/", HTTP_CF_IPCOUNTRY="US"))._allowed_now()
    for extra in ({"HTTP_SEC_GPC": "1"}, {"HTTP_DNT": "1"}, {"HTTP_CF_REGION_CODE": "TX"}):
        consent = _undecided(rf.get("/", HTTP_CF_IPCOUNTRY="US", **extra))
        assert "analytics" not in consent._allowed_now()
    assert "analytics" not in _undecided(rf.get("/", HTTP_CF_IPCOUNTRY="DE"))._allowed_now()


def test_a_remembered_visitor_does_not_vary_on_a_region_nothing_depends_on(
    categories, region_settings
):
    RegionRule.objects.all().delete()
    for _ in range(2):  # the second from the memo
        response = visitor("US").get("/t/set/", {"c": ["necessary_c", *OPTIONAL]})
        assert cookies_set(response) == {"necessary_c"}
        assert HEADER not in response.get("Vary", "")


def test_a_resolvers_answer_is_never_remembered(rf, regimes, settings):
    settings.COOKIECONSENT = {
        "REGION_RESOLVER": "tests.engine.test_regions.resolve_from_query",
        "REGION_HEADER": HEADER,
        "TRUST_REGION_HEADER": True,
    }
    us = _undecided(rf.get("/?where=US", HTTP_CF_IPCOUNTRY="DE"))
    de = _undecided(rf.get("/?where=DE", HTTP_CF_IPCOUNTRY="DE"))
    assert "analytics" in us._allowed_now() and "analytics" not in de._allowed_now()
    assert (us.region, de.region) == ("US", "DE")


@pytest.mark.parametrize("where", ["DE", "US"])
def test_a_resolver_without_headers_adds_no_empty_vary(client, regimes, settings, where):
    """The region came from the resolver alone: no request header to vary on. A response
    that depends on nothing else gets no ``Vary`` at all, not an empty one."""
    settings.COOKIECONSENT = {"REGION_RESOLVER": "tests.engine.test_regions.resolve_from_query"}
    response = client.get("/t/set/", {"where": where, "c": ["analytics_c"]})
    assert ("analytics_c" in cookies_set(response)) == (where == "US")
    if where == "US":  # the cookie it let through depends on the consent (and on GPC)
        assert response["Vary"] == "Cookie, Sec-GPC"
    else:
        assert not response.has_header("Vary")


def test_long_or_made_up_header_values_are_answered_like_any(rf, regimes):
    required = get_registry().required_slugs
    long = _undecided(rf.get("/", HTTP_CF_IPCOUNTRY="US", HTTP_CF_REGION_CODE="x" * 17))
    assert "analytics" in long._allowed_now()
    for i in range(2000):
        assert _undecided(rf.get("/", HTTP_CF_IPCOUNTRY=f"Q{i}"))._allowed_now() == required


def test_the_status_endpoint_answers_for_the_visitors_region(regimes):
    us = visitor("US").get(STATUS)
    assert us.json()["regime"] == OPT_OUT and us.json()["region"] == "US"
    assert {"analytics", "functional"} <= set(us.json()["categories"])
    assert "advertising" not in us.json()["categories"]
    assert HEADER in us["Vary"]
    de = visitor("DE").get(STATUS).json()
    assert de["regime"] == OPT_IN and "analytics" not in de["categories"]


def test_cache_safe_banner_carries_every_variant_hidden(regimes, settings):
    settings.COOKIECONSENT = {**settings.COOKIECONSENT, "CACHE_SAFE": True}
    page = visitor("US").get("/t/").content.decode()
    for regime in (OPT_IN, OPT_OUT, NOTICE):
        assert f'data-cookieconsent-regime="{regime}" hidden' in page
    assert page == visitor("DE").get("/t/").content.decode()


def test_a_cache_safe_page_carries_every_regimes_banner_hidden(
    categories, region_settings, settings
):
    settings.COOKIECONSENT = {**settings.COOKIECONSENT, "CACHE_SAFE": True}
    page = visitor("US").get("/t/").content.decode()
    # The page is shared: the same bytes for every region; the script shows the visitor's.
    assert page == visitor("DE").get("/t/").content.decode()
    for regime in (OPT_IN, OPT_OUT, "notice"):
        assert f'data-cookieconsent-regime="{regime}" hidden' in page


def test_consent_mode_defaults_follow_the_regime(regimes, settings):
    settings.COOKIECONSENT = {
        **settings.COOKIECONSENT,
        "GOOGLE_CONSENT_MODE": {"analytics": ["analytics_storage"], "advertising": ["ad_storage"]},
    }

    def defaults(client: Client) -> dict[str, str]:
        page = client.get("/").content.decode()
        match = re.search(r'data-cookieconsent-consent-mode="([^"]*)"', page)
        assert match is not None
        return json.loads(html.unescape(match.group(1)))  # type: ignore[no-any-return]

    us = defaults(visitor("US"))
    assert us["analytics_storage"] == "granted" and us["ad_storage"] == "denied"
    assert defaults(visitor("DE"))["analytics_storage"] == "denied"
    assert defaults(visitor("US", HTTP_SEC_GPC="1"))["analytics_storage"] == "denied"


def test_the_script_learns_the_regime(regimes):
    state = config_of(visitor("US").get("/t/").content.decode())["state"]
    assert isinstance(state, dict)
    assert state["regime"] == OPT_OUT and state["decided"] is False


# -- compiled with the registry ---------------------------------------------------------------


def test_no_query_per_request_with_regimes(regimes, django_assert_num_queries):
    client = visitor("US")
    client.get("/t/")
    with django_assert_num_queries(0):
        assert "analytics_c" in first_cookies(client)
        client.get("/t/")


def test_editing_a_rule_takes_effect_once_published(regimes):
    client = visitor("US")
    assert "analytics_c" in first_cookies(client)
    RegionRule.objects.filter(region="US").update(regime=OPT_IN)
    rule = RegionRule.objects.get(region="US")
    rule.save()
    assert "analytics_c" in first_cookies(client)  # a draft: visitors were not told yet
    publishing.publish(CookiePolicy.objects.get(is_current=True))
    assert first_cookies(client) == {"necessary_c"}
    RegionRule.objects.filter(region="US").update(regime=OPT_OUT)
    publishing.publish(CookiePolicy.objects.get(is_current=True))
    assert "analytics_c" in first_cookies(client)
    RegionRule.objects.get(region="US").delete()
    assert "analytics_c" in first_cookies(client)
    publishing.publish(CookiePolicy.objects.get(is_current=True))
    assert first_cookies(client) == {"necessary_c"}


def test_rules_of_a_policy_that_is_not_current_do_not_count(regimes):
    old = CookiePolicy.objects.create(title="Old", is_current=False)
    RegionRule.objects.create(policy=old, region="DE", regime=NOTICE)
    assert first_cookies(visitor("DE")) == {"necessary_c"}


def test_rule_str_and_region_saved_upper_case(regimes):
    rule = RegionRule.objects.create(
        policy=CookiePolicy.current(), region="mx", regime=Regime.NOTICE
    )
    assert rule.region == "MX" and str(rule) == "MX: notice"
    assert GROUPS["EEA"][-3:] == ("IS", "LI", "NO")


# -- async, as in sync ------------------------------------------------------------------------


def _setter(*names: str):  # type: ignore[no-untyped-def]
    async def get_response(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("ok")
        for name in names:
            response.set_cookie(name, "v")
        return response

    return get_response


@pytest.mark.parametrize(
    ("region", "gpc", "expected"),
    [
        ("US", "", {"necessary_c", "functional_c", "analytics_c"}),
        ("US", "1", {"necessary_c"}),
        ("CA", "", {"necessary_c", "functional_c", "analytics_c"}),
        ("DE", "", {"necessary_c"}),
        ("XX", "", {"necessary_c"}),
        ("zz<script>", "", {"necessary_c"}),
    ],
)
async def test_driven_directly_async_and_sync_alike(rf, regimes, region, gpc, expected):
    names = ("necessary_c", *OPTIONAL)
    request = rf.get("/", HTTP_CF_IPCOUNTRY=region, HTTP_SEC_GPC=gpc)
    response = await CookieConsentMiddleware(_setter(*names))(request)
    assert cookies_set(response) == expected
    # GPC answers before the region is asked: the response does not depend on it
    assert (HEADER in response.get("Vary", "")) is (gpc == "")
    assert request.cookie_consent.regime == (
        OPT_OUT if region == "US" else NOTICE if region == "CA" else OPT_IN
    )

    def sync_view(request: HttpRequest) -> HttpResponse:
        return async_to_sync(_setter(*names))(request)

    sync_response = await sync_to_async(CookieConsentMiddleware(sync_view))(
        rf.get("/", HTTP_CF_IPCOUNTRY=region, HTTP_SEC_GPC=gpc)
    )
    assert cookies_set(sync_response) == expected


async def test_async_objection_expires_at_once(rf, regimes):
    request = rf.get("/", HTTP_CF_IPCOUNTRY="US", HTTP_COOKIE="analytics_c=1; functional_c=1")
    request.COOKIES[CONSENT_COOKIE] = consent_cookie(action="reject_all")
    response = await CookieConsentMiddleware(_setter("analytics_c"))(request)
    assert cookies_set(response) == set()
    assert cookies_expired(response) == {"analytics_c", "functional_c"}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_async_client_opt_out_visit_and_objection(regimes):
    client = AsyncClient()
    us = {HEADER: "US"}
    first = await client.get("/t/async/", {"c": ["necessary_c", *OPTIONAL]}, headers=us)
    assert cookies_set(first) == {"necessary_c", "functional_c", "analytics_c", "_stat"}
    posted = await client.post(CONSENT, {"action": "reject_all"}, headers=us)
    assert posted.status_code == 302
    again = await client.get("/t/async/", {"c": ["necessary_c", *OPTIONAL]}, headers=us)
    assert cookies_set(again) == {"necessary_c"}
    record = await ConsentRecord.objects.aget()
    assert (record.region, record.regime) == ("US", OPT_OUT)
    await sync_to_async(connections.close_all)()


# -- the admin --------------------------------------------------------------------------------


def _policy_form(**rules: str) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Cookie Policy",
        "introduction": "",
        "is_current": "on",
        "last_updated": "2026-02-03",
        "sections-TOTAL_FORMS": 0,
        "sections-INITIAL_FORMS": 0,
        "region_rules-TOTAL_FORMS": len(rules),
        "region_rules-INITIAL_FORMS": 0,
    }
    for i, (region, regime) in enumerate(rules.items()):
        data[f"region_rules-{i}-region"] = region
        data[f"region_rules-{i}-regime"] = regime
    return data


def test_staff_set_regimes_inline_on_the_policy(client, categories, region_settings):
    client.force_login(StaffFactory())
    policy = CookiePolicy.current()
    assert policy is not None
    policy.region_rules.all().delete()  # the example's own, from its data migration
    change = reverse("admin:cookieconsent_cookiepolicy_change", args=[policy.pk])
    assert "regional regimes" in client.get(change).content.decode().lower()
    response = client.post(change, _policy_form(eea="opt-in", US="opt-out"))
    assert response.status_code == 302
    assert dict(policy.region_rules.values_list("region", "regime")) == {
        "EEA": OPT_IN,
        "US": OPT_OUT,
    }
    # the saved rules are a draft, in force once published
    assert first_cookies(visitor("US")) == {"necessary_c"}
    publishing.publish(policy)
    assert "analytics_c" in first_cookies(visitor("US"))


def test_the_admin_explains_a_bad_region(client, categories):
    client.force_login(StaffFactory())
    policy = CookiePolicy.current()
    assert policy is not None
    change = reverse("admin:cookieconsent_cookiepolicy_change", args=[policy.pk])
    before = list(RegionRule.objects.values_list("region", "regime"))
    response = client.post(change, _policy_form(XX="opt-out"))
    assert response.status_code == 200
    assert "is not a region code" in response.content.decode()
    assert list(RegionRule.objects.values_list("region", "regime")) == before


# -- statistics ----------------------------------------------------------------------------


def test_decisions_are_counted_by_region_and_the_statistics_split_them(staff, regimes):
    visitor("US").post(CONSENT, {"action": "reject_all"})
    visitor("DE").post(CONSENT, {"action": "accept_all"})
    visitor("DE").post(CONSENT, {"action": "accept_all"})
    html = staff.get("/admin/cookieconsent/dailydecisions/").content.decode()
    assert "By region" in html
    split = html[html.index("By region") :]
    assert "US" in split and "DE" in split
    stats.roll_up(timezone.now() + dt.timedelta(days=1, hours=1))
    counts = dict(DailyDecisions.objects.values_list("region", "decisions"))
    assert counts == {"US": 1, "DE": 2}


# -- "Opt-Out Request Honored" (CCPA regulations §7025(c)(6)) ---------------------------------

HONORED = "Opt-Out Request Honored"


def test_an_honoured_opt_out_signal_is_displayed(regimes):
    client = visitor("US", HTTP_SEC_GPC="1")
    home = client.get("/")
    page = home.content.decode()
    # Where the notice would be, and beside the cookie-settings link.
    assert page.count(HONORED) == 2
    assert 'class="cc-opt-out-honored" role="status"' in page
    assert 'id="cookieconsent-banner"' not in page
    assert "Sec-GPC" in home["Vary"]
    assert HONORED in client.get("/cookies/preferences/").content.decode()


@pytest.mark.parametrize(
    ("region", "extra"),
    [
        ("US", {}),  # no signal
        ("DE", {"HTTP_SEC_GPC": "1"}),  # opt-in: nothing to opt out of
        ("CA", {"HTTP_SEC_GPC": "1"}),  # notice
        (None, {"HTTP_SEC_GPC": "1"}),  # unknown: opt-in
    ],
)
def test_no_opt_out_is_displayed_where_none_was_honoured(regimes, region, extra):
    client = visitor(region, **extra)
    assert HONORED not in client.get("/").content.decode()
    assert HONORED not in client.get("/cookies/preferences/").content.decode()


def test_an_honoured_opt_out_is_not_counted_as_a_banner_shown(regimes):
    """Where the notice would be the tag says the opt-out was honoured: nobody was asked, so
    the console's "banners shown" does not count it; an undecided visitor is counted."""
    from cookieconsent.console import shown

    assert HONORED in visitor("US", HTTP_SEC_GPC="1").get("/").content.decode()
    assert shown.counter.pending() == {}
    visitor("DE").get("/")
    assert sum(shown.counter.pending().values()) == 1


def test_an_explicit_choice_outranks_the_signal_and_nothing_is_displayed(regimes):
    client = visitor("US", HTTP_SEC_GPC="1")
    client.post(CONSENT, {"action": "accept_all"})
    assert HONORED not in client.get("/").content.decode()


def test_the_honoured_opt_out_is_said_in_the_visitors_language(regimes, rf):
    from django.template import engines
    from django.utils import translation

    request = rf.get("/", HTTP_CF_IPCOUNTRY="US", HTTP_SEC_GPC="1")
    template = engines["django"].from_string(
        "{% load cookieconsent %}{% cookieconsent_banner %}{% cookieconsent_settings_link %}"
    )
    with translation.override("af"):
        assert template.render({}, request).count("Afmeldversoek nagekom") == 2


@pytest.mark.parametrize(
    ("region", "sentence"),
    [
        ("US", "We use optional cookies for Functional, Analytics and Advertising."),
        ("CA", "optional cookies for Functional, Analytics and Advertising."),
    ],
)
def test_the_notices_name_the_published_optional_categories(regimes, region, sentence):
    assert sentence in visitor(region).get("/t/").content.decode()


# -- names and codes from ISO 3166 (pycountry) -------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("US-ZZ", "is not a subdivision of United States in ISO 3166-2"),
        ("DE-XX", "is not a subdivision of Germany"),
        ("QA-ZZZ", "is not a subdivision of Qatar"),
        ("YY", "is not a country in ISO 3166-1"),
    ],
)
def test_rule_regions_must_be_in_iso_3166(value, message):
    with pytest.raises(ValidationError, match=message):
        validate_rule_region(value)


def test_region_labels_name_the_place():
    from django.utils import translation

    from cookieconsent.regimes import region_label

    assert region_label("ZA") == "ZA — South Africa"
    assert region_label("US-CA") == "US-CA — California, United States"
    assert region_label("EU") == "EU — European Union"
    assert region_label("XK") == "XK — Kosovo"
    assert region_label("A1") == "A1"  # not a place: the code alone
    with translation.override("af"):
        assert region_label("ZA") == "ZA — Suid-Afrika"


# -- a refusal outlives its cookie's verdict --------------------------------------------------


def test_an_opt_out_refusal_holds_after_a_publish_that_asks_again(regimes):
    """“Do not sell or share” pressed, then staff publish asking everyone again: the visitor
    is asked, and until they answer their refusal holds. The regime's default (everything)
    had let it all through, with no choice and no record."""
    client = visitor("US")
    client.post(CONSENT, {"action": "reject_all"})
    assert first_cookies(client) == {"necessary_c"}
    policy = CookiePolicy.current()
    assert policy is not None
    publishing.publish(policy, reconsent=True)
    assert first_cookies(client) == {"necessary_c"}
    response = client.get("/t/")
    assert b"cookieconsent-banner" in response.content  # asked again


def test_an_expired_refusal_still_refuses_and_expired_grants_do_not_count(regimes):
    """A consent cookie kept past its lifetime (the site shortened it, say): what it refused
    stays refused; what it granted needs consent again where consent is asked for."""
    client = visitor("US")
    old = 400 * 24 * 3600  # past every lifetime
    client.cookies[CONSENT_COOKIE] = consent_cookie((), age=old, action="reject_all")
    assert first_cookies(client) == {"necessary_c"}
    granted = consent_cookie(("analytics", "functional"), age=old)
    client.cookies[CONSENT_COOKIE] = granted
    assert first_cookies(client) >= {"necessary_c", "analytics_c", "functional_c"}  # default
    germany = visitor("DE")
    germany.cookies[CONSENT_COOKIE] = granted
    assert first_cookies(germany) == {"necessary_c"}


def test_a_refusal_an_ok_kept_holds_once_the_ok_goes_stale(regimes):
    """The OK records the refusal it kept (granted nothing); when it went stale, a dismissal
    counted as no decision at all, and the regime's default let everything through again."""
    client = visitor("US")
    client.post(CONSENT, {"action": "reject_all"})
    client.post(CONSENT, {"action": "dismiss"})
    policy = CookiePolicy.current()
    assert policy is not None
    publishing.publish(policy, reconsent=True)
    assert first_cookies(client) == {"necessary_c"}
    expired = visitor("US")
    old = 400 * 24 * 3600  # past every lifetime
    expired.cookies[CONSENT_COOKIE] = consent_cookie((), age=old, action="dismiss")
    assert first_cookies(expired) == {"necessary_c"}


def test_ok_on_a_notice_left_open_in_another_tab_keeps_a_refusal(regimes):
    """A dismissal is no choice: it keeps what the regime allows, less what the visitor
    refused. It granted every optional category over a “Do not sell” made before."""
    client = visitor("US")
    client.post(CONSENT, {"action": "reject_all"})
    client.post(CONSENT, {"action": "dismiss"})
    assert first_cookies(client) == {"necessary_c"}
    latest = ConsentRecord.objects.order_by("-pk").first()
    assert latest is not None and (latest.action, latest.granted) == ("dismiss", [])


def test_the_banner_of_a_visitor_asked_again_carries_their_own_state(regimes):
    """The banner is rendered once and kept for every visitor it fits, with the undecided
    visitor's state for the script in it. Asked again under opt-out, a visitor who had refused
    allows less than one who had accepted: the second got the first one's banner, whose state
    let the script run what the server refuses them."""
    old = 400 * 24 * 3600  # past every lifetime
    accepted, refused = visitor("US"), visitor("US")
    accepted.cookies[CONSENT_COOKIE] = consent_cookie(("analytics", "functional"), age=old)
    refused.cookies[CONSENT_COOKIE] = consent_cookie((), age=old, action="reject_all")
    for client in (accepted, refused):
        page = client.get("/t/").content.decode()
        found = re.search(
            r'id="cookieconsent-banner"[^>]*data-cookieconsent-config="([^"]*)"', page
        )
        assert found is not None
        state = json.loads(html.unescape(found.group(1)))["state"]
        assert state["categories"] == client.get("/cookies/status/").json()["categories"]
    assert "analytics" not in state["categories"]
