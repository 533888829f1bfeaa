"""Issue 11 on the fluxems site, as a visitor sees it: its data migration's regimes, its
``CF-IPCountry`` header, the `_stat` canary, and the demo's region switcher."""

from __future__ import annotations

import importlib

import pytest
from django.test import Client

from cookieconsent.models import ConsentRecord, CookiePolicy
from cookieconsent.testing import cookies_expired, cookies_set

RULES = importlib.import_module("example_project.fluxems.migrations.0002_regimes").RULES

pytestmark = pytest.mark.django_db

CONSENT = "/cookies/consent/"


def from_(region: str | None, **extra: str) -> Client:
    if region is not None:
        extra["HTTP_CF_IPCOUNTRY"] = region
    return Client(**extra)


def test_the_migration_loads_the_examples_regimes(categories):
    policy = CookiePolicy.current()
    assert policy is not None
    assert dict(policy.region_rules.values_list("region", "regime")) == dict(RULES)


@pytest.mark.parametrize("region", ["ZA", "DE", "GB", "BR", "FR", None])
def test_opt_in_regions_get_no_stat_before_a_choice_and_the_opt_in_banner(categories, region):
    client = from_(region)
    home = client.get("/")
    assert "_stat" not in home.cookies
    page = home.content.decode()
    assert "Accept all" in page and "Reject all" in page and "Do not sell" not in page


def test_us_gets_stat_at_once_and_the_opt_out_notice(categories):
    client = from_("US")
    home = client.get("/")
    assert "_stat" in cookies_set(home)
    assert "CF-IPCountry" in home["Vary"]
    page = home.content.decode()
    assert "Do not sell or share my information" in page and "Cookie settings" in page
    assert "Accept all" not in page

    objection = client.post(CONSENT, {"action": "reject_all", "next": "/"})
    assert "_stat" in cookies_expired(objection)
    record = ConsentRecord.objects.get()
    assert (record.action, record.region, record.regime) == ("reject_all", "US", "opt-out")
    again = client.get("/")
    assert "_stat" not in cookies_set(again)
    assert 'id="cookieconsent-banner"' not in again.content.decode()


def test_a_us_do_not_sell_holds_the_stat_canary_back_after_a_publish_that_asks_again(categories):
    """Staff publish asking every visitor again: the US visitor who said "Do not sell" is
    asked again, and until they answer `_stat` stays away (the opt-out default let it through,
    expired refusal or not)."""
    from cookieconsent.publishing import publish

    client = from_("US")
    client.get("/")
    client.post(CONSENT, {"action": "reject_all", "next": "/"})
    policy = CookiePolicy.current()
    assert policy is not None
    publish(policy, reconsent=True)
    again = client.get("/")
    assert "_stat" not in cookies_set(again)
    assert 'id="cookieconsent-banner"' in again.content.decode()
    # OK on that notice keeps the refusal.
    client.post(CONSENT, {"action": "dismiss", "next": "/"})
    assert "_stat" not in cookies_set(client.get("/"))


def test_us_with_global_privacy_control_gets_no_stat(categories):
    home = from_("US", HTTP_SEC_GPC="1").get("/")
    assert "_stat" not in home.cookies


@pytest.mark.parametrize("region", ["XX", "zz<script>", "T1"])
def test_malformed_and_unknown_codes_are_opt_in_and_never_reflected(categories, region):
    home = from_(region).get("/")
    assert "_stat" not in home.cookies
    page = home.content.decode()
    assert "Accept all" in page
    assert "zz<script>" not in page and "zz&lt;script" not in page


def test_the_switcher_is_there_only_with_debug(categories, settings):
    assert "demo-region" not in Client().get("/").content.decode()
    assert Client().post("/demo/region/", {"region": "US"}).status_code == 404
    settings.DEBUG = True
    settings.COOKIECONSENT = {
        "REGION_HEADER": "CF-IPCountry",
        "TRUST_REGION_HEADER": True,
        "REGION_RESOLVER": "example_project.fluxems.regions.demo_region",
    }
    client = Client()
    assert 'id="demo-region"' in client.get("/").content.decode()
    switched = client.post("/demo/region/", {"region": "us", "next": "/workspace/"})
    assert switched.status_code == 302 and switched["Location"] == "/workspace/"
    home = client.get("/")
    assert "_stat" in cookies_set(home)
    assert "Now: US, opt-out" in home.content.decode()
    # back to the header, which says ZA
    client.post("/demo/region/", {"region": "", "next": "https://evil.example/"})
    client.cookies.pop("_stat", None)
    page = client.get("/", headers={"CF-IPCountry": "ZA"})
    assert "_stat" not in page.cookies and "Now: ZA, opt-in" in page.content.decode()


def test_the_demo_resolver_without_a_session(rf, settings):
    from example_project.fluxems.regions import demo_region

    settings.DEBUG = True
    assert demo_region(rf.get("/")) is None
