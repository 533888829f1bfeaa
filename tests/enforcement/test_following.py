"""Consent that follows the signed-in user (``CONSENT_FOLLOWS_USER``): a decision made on one
browser while signed in is applied on the first page of another browser once the user signs in
there, unless that browser holds a later decision of its own."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.cache import SessionStore as CacheSession
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.db import connection, connections
from django.http import HttpResponse
from django.test import AsyncClient, Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import include
from django.urls import path as route
from django.utils import timezone

from cookieconsent import publishing
from cookieconsent.engine import following
from cookieconsent.engine.consent import Decision
from cookieconsent.engine.registry import get_registry
from cookieconsent.middleware import CookieConsentMiddleware
from cookieconsent.models import Action, ConsentRecord, CookiePolicy, Regime, RegionRule
from cookieconsent.testing import CONSENT_COOKIE, consent_cookie, cookies_expired, cookies_set
from tests.factories import ConsentRecordFactory, UserFactory
from tests.helpers import check_error_codes, guards_lifted

pytestmark = pytest.mark.django_db

FOLLOW = {"CONSENT_FOLLOWS_USER": True}
CONSENT = "/cookies/consent/"
BANNER = 'id="cookieconsent-banner"'


@pytest.fixture(autouse=True)
def empty_cache():
    """The users' cached decisions must not outlive a test: primary keys come back."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def follow(settings):
    settings.COOKIECONSENT = FOLLOW


def decide(user, *categories: str) -> ConsentRecord:
    """Browser A: the user signs in and chooses these categories."""
    browser = Client()
    browser.force_login(user)
    browser.post(CONSENT, {"action": "custom", "categories": list(categories)})
    return ConsentRecord.objects.get(user_pk=str(user.pk), granted=sorted(categories))


def signed_in(user, **cookies: str) -> Client:
    """Browser B, holding these cookies from before, signs in."""
    browser = Client()
    for name, value in cookies.items():
        browser.cookies[name] = value
    browser.force_login(user)
    return browser


def written(response) -> Decision | None:
    """The decision in the consent cookie a response writes."""
    morsel = response.cookies.get(CONSENT_COOKIE)
    return Decision.unsign(morsel.value) if morsel is not None else None


def record_queries(queries: CaptureQueriesContext) -> list[str]:
    """The queries of the consent records (the user's latest decision) among ``queries``."""
    return [q["sql"] for q in queries if ConsentRecord._meta.db_table in q["sql"]]


def test_the_users_decision_is_applied_on_their_next_browser(follow, categories):
    user = UserFactory()
    record = decide(user, "functional")
    browser = signed_in(user, _stat="1", prefs="dark")

    page = browser.get("/t/")

    decision = written(page)
    assert decision is not None
    assert decision.granted == {"functional"}
    assert decision.consent_id == str(record.consent_id)
    assert BANNER not in page.content.decode()
    # Analytics was refused on browser A: its counter is expired here and not set again.
    assert "_stat" in cookies_expired(page)
    assert "prefs" not in cookies_expired(page)
    assert "private" in page["Cache-Control"] and "Cookie" in page["Vary"]
    # Written once: the browser holds the decision now.
    again = browser.get("/t/")
    assert CONSENT_COOKIE not in again.cookies and BANNER not in again.content.decode()


def test_an_accepted_category_is_allowed_on_the_first_page(follow, categories):
    user = UserFactory()
    decide(user, "functional", "analytics")
    page = signed_in(user).get("/t/set/")
    assert {"_stat", "analytics_c", "functional_c", CONSENT_COOKIE} <= cookies_set(page)


def test_the_first_page_after_a_real_sign_in(follow, categories):
    """Through the session a sign-in writes: the next request is the first signed-in one."""
    user = UserFactory()
    decide(user, "analytics")
    browser = Client()
    assert BANNER in browser.get("/t/").content.decode()
    assert browser.login(username=user.username, password="pw")
    assert "_stat" in cookies_set(browser.get("/t/"))


def test_the_later_decision_wins(follow, categories):
    user = UserFactory()
    record = ConsentRecordFactory(
        user_pk=str(user.pk),
        granted=["analytics"],
        action=Action.CUSTOM,
        created_at=timezone.now() - timedelta(hours=1),
    )
    # This browser decided after the user did: it keeps its own decision.
    newer = signed_in(user, **{CONSENT_COOKIE: consent_cookie({"functional"})})
    page = newer.get("/t/set/")
    assert CONSENT_COOKIE not in page.cookies
    assert "analytics_c" not in cookies_set(page) and "functional_c" in cookies_set(page)
    # This one decided before: the user's decision replaces its own.
    older = signed_in(user, **{CONSENT_COOKIE: consent_cookie({"functional"}, age=7200)})
    page = older.get("/t/set/")
    assert written(page).consent_id == str(record.consent_id)
    assert "analytics_c" in cookies_set(page) and "functional_c" not in cookies_set(page)


def test_a_later_decision_of_the_user_wins_and_reaches_a_browser_already_signed_in(
    follow, categories
):
    user = UserFactory()
    old = consent_cookie({"functional"}, age=3600)
    browser = signed_in(user, **{CONSENT_COOKIE: old})
    assert CONSENT_COOKIE not in browser.get("/t/").cookies  # nothing to follow yet (cached)

    record = decide(user, "analytics")
    page = browser.get("/t/set/")

    assert written(page).consent_id == str(record.consent_id)
    assert {"analytics_c", "_stat"} <= cookies_set(page)
    assert "functional_c" not in cookies_set(page)


DAY = 24 * 60 * 60


def _later_withdrawal(user, kind: str) -> None:
    """The user's latest decision, made on another browser 190 days ago, which no longer counts
    here: a refusal, expired (``REFUSAL_MAX_AGE``: 182 days), or a dismissal, which is no
    consent under opt-in."""
    action, granted = (
        (Action.REJECT_ALL, []) if kind == "expired" else (Action.DISMISS, ["analytics"])
    )
    ConsentRecordFactory(
        user_pk=str(user.pk),
        granted=granted,
        action=action,
        created_at=timezone.now() - timedelta(days=190),
    )


def _earlier_consent() -> str:
    """This browser's own consent to analytics, 200 days ago: still within its lifetime."""
    return consent_cookie({"analytics", "functional"}, age=200 * DAY, action=Action.ACCEPT_ALL)


@pytest.mark.parametrize("kind", ["expired", "dismissal"])
def test_a_later_decision_that_no_longer_counts_still_supersedes_an_earlier_one(
    follow, categories, settings, kind
):
    """The latest wins even when it no longer counts: the browser's own earlier consent does
    not count again. The visitor is asked, as when their own decision goes stale, and the
    superseded consent cookie is expired, so that it does not count once they sign out."""
    user = UserFactory()
    _later_withdrawal(user, kind)
    browser = signed_in(user, _stat="1", **{CONSENT_COOKIE: _earlier_consent()})

    page = browser.get("/t/set/", {"c": ["analytics_c", "functional_c"]})

    assert not {"analytics_c", "functional_c"} & cookies_set(page)
    assert {"_stat", CONSENT_COOKIE} <= cookies_expired(page)
    assert "private" in page["Cache-Control"] and "Cookie" in page["Vary"]
    assert BANNER in browser.get("/t/").content.decode()
    # Signed out, the browser keeps its cookies but the session: nothing of the old consent.
    del browser.cookies[settings.SESSION_COOKIE_NAME]
    assert "analytics_c" not in cookies_set(browser.get("/t/set/", {"c": ["analytics_c"]}))
    assert BANNER in browser.get("/t/").content.decode()


def test_an_earlier_consent_superseded_by_a_decision_that_no_longer_counts_asks_again(
    follow, categories
):
    """The page is told what the browser would be told had its own decision gone stale."""
    user = UserFactory()
    _later_withdrawal(user, "expired")
    browser = signed_in(user, **{CONSENT_COOKIE: _earlier_consent()})
    state = browser.get("/cookies/status/").json()
    assert (state["decided"], state["needs_renewal"]) == (False, True)
    assert state["categories"] == ["necessary", "security"]


def test_a_decision_made_on_this_browser_becomes_the_users(follow, categories):
    user = UserFactory()
    decide(user, "analytics")
    browser = signed_in(user)
    browser.post(CONSENT, {"action": "reject_all"})
    latest = ConsentRecord.objects.filter(user_pk=str(user.pk)).first()
    assert latest.action == Action.REJECT_ALL
    other = signed_in(user).get("/t/set/")
    assert written(other).consent_id == str(latest.consent_id)
    assert "analytics_c" not in cookies_set(other)


def test_a_decision_before_a_reconsent_version_is_not_followed(follow, categories):
    user = UserFactory()
    decide(user, "analytics")
    assert "analytics_c" in cookies_set(signed_in(user).get("/t/set/"))
    publishing.publish(CookiePolicy.current(), reconsent=True)
    page = signed_in(user).get("/t/set/")
    assert CONSENT_COOKIE not in page.cookies
    assert "analytics_c" not in cookies_set(page)
    assert BANNER in signed_in(user).get("/t/").content.decode()


@pytest.mark.parametrize(("action", "followed"), [(Action.CUSTOM, True), (Action.DISMISS, False)])
def test_a_dismissal_is_not_followed_where_it_is_no_consent(follow, categories, action, followed):
    """The one rule for stored decisions holds for a followed one: a dismissed notice is no
    consent under opt-in (and never outranks a browser signal, tests/engine/test_regions.py)."""
    user = UserFactory()
    ConsentRecordFactory(user_pk=str(user.pk), granted=["analytics"], action=action)
    page = signed_in(user).get("/t/set/")
    assert (CONSENT_COOKIE in page.cookies) is followed
    assert ("analytics_c" in cookies_set(page)) is followed


@pytest.mark.parametrize(
    ("action", "gpc", "followed"),
    [
        (Action.DISMISS, False, True),  # dismissing the opt-out notice keeps what it allows
        (Action.DISMISS, True, False),  # but never outranks a signal
        (Action.ACCEPT_ALL, True, True),  # an explicit choice does, as anywhere
    ],
)
def test_a_followed_dismissal_never_outranks_gpc(categories, settings, action, gpc, followed):
    settings.COOKIECONSENT = {
        **FOLLOW,
        "REGION_HEADER": "CF-IPCountry",
        "TRUST_REGION_HEADER": True,
    }
    policy = CookiePolicy.current()
    RegionRule.objects.create(policy=policy, region="US", regime=Regime.OPT_OUT)
    publishing.publish(policy)
    user = UserFactory()
    ConsentRecordFactory(
        user_pk=str(user.pk),
        policy_version=2,
        granted=["analytics", "functional"],
        action=action,
        regime=Regime.OPT_OUT,
    )
    headers = {"HTTP_CF_IPCOUNTRY": "US", **({"HTTP_SEC_GPC": "1"} if gpc else {})}
    page = signed_in(user).get("/t/set/", **headers)
    assert (CONSENT_COOKIE in page.cookies) is followed
    assert ("analytics_c" in cookies_set(page)) is followed


def test_a_followed_dismissal_never_allows_a_category_made_opt_in_everywhere(categories, settings):
    """What a followed dismissal allows is worked out as for any stored one: not a category
    published as opt-in everywhere since; the rest of what it allowed, still."""
    settings.COOKIECONSENT = {
        **FOLLOW,
        "REGION_HEADER": "CF-IPCountry",
        "TRUST_REGION_HEADER": True,
    }
    policy = CookiePolicy.current()
    RegionRule.objects.create(policy=policy, region="US", regime=Regime.OPT_OUT)
    categories["analytics"].opt_in_everywhere = True
    categories["analytics"].save()
    publishing.publish(policy)
    user = UserFactory()
    ConsentRecordFactory(
        user_pk=str(user.pk),
        policy_version=2,
        granted=["analytics", "functional"],
        action=Action.DISMISS,
        regime=Regime.OPT_OUT,
    )
    page = signed_in(user, _stat="1").get(
        "/t/set/", {"c": ["functional_c", "analytics_c"]}, HTTP_CF_IPCOUNTRY="US"
    )
    assert written(page).action == Action.DISMISS
    assert "functional_c" in cookies_set(page) and "analytics_c" not in cookies_set(page)
    assert "_stat" in cookies_expired(page)


def test_signing_out_changes_nothing(follow, categories):
    user = UserFactory()
    decide(user, "analytics")
    browser = signed_in(user)
    held = browser.get("/t/").cookies[CONSENT_COOKIE].value
    browser.logout()  # the test client forgets every cookie; a browser keeps all but the session
    browser.cookies[CONSENT_COOKIE] = held
    page = browser.get("/t/set/")
    assert CONSENT_COOKIE not in page.cookies
    assert "analytics_c" in cookies_set(page)


def test_off_by_default(categories):
    user = UserFactory()
    decide(user, "analytics")
    page = signed_in(user).get("/t/set/")
    assert CONSENT_COOKIE not in page.cookies
    assert "analytics_c" not in cookies_set(page)
    assert BANNER in signed_in(user).get("/t/").content.decode()
    with override_settings(COOKIECONSENT=FOLLOW):
        assert "analytics_c" in cookies_set(signed_in(user).get("/t/set/"))


# -- what it costs ------------------------------------------------------------------------


def test_no_query_unless_signed_in_and_one_once_cached(
    follow, categories, django_assert_num_queries
):
    """A visitor without a session costs nothing; a signed-in page costs the session (which
    most signed-in pages read anyway) and, until it is cached, the user's latest record."""
    anonymous = Client()
    anonymous.get("/t/set/")  # the undeclared cookie reported (once per process)
    user = UserFactory()
    decide(user, "analytics")
    for path in ("/", "/t/set/"):
        with django_assert_num_queries(0):
            anonymous.get(path)
    browser = signed_in(user)
    cache.clear()
    with django_assert_num_queries(2):  # the session, and the user's latest record
        first = browser.get("/t/")
    assert CONSENT_COOKIE in first.cookies
    with django_assert_num_queries(1):  # the session: the user's decision is cached
        browser.get("/t/")


def test_a_decision_cached_before_its_record_is_committed_is_dropped_at_the_commit(
    follow, categories, django_capture_on_commit_callbacks
):
    """Deciding drops the user's cached decision at once and again once the record is
    committed: a page of theirs served in between, which read the database before the commit
    (in another process, the decision before this one), does not leave what it read cached
    for ``CACHE_TIMEOUT``. The next page reads the records again."""
    user = UserFactory()
    decide(user, "analytics")
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(user).post(CONSENT, {"action": "reject_all"})
        with CaptureQueriesContext(connection) as between:
            signed_in(user).get("/t/")
        assert len(record_queries(between)) == 1  # read, and cached
    browser = signed_in(user)
    with CaptureQueriesContext(connection) as after:
        page = browser.get("/t/set/")
    assert len(record_queries(after)) == 1
    assert "analytics_c" not in cookies_set(page)


def test_a_decision_read_before_a_withdrawal_and_cached_after_it_is_not_taken(
    follow, categories, monkeypatch
):
    """A page read the user's accept-all from the database; before it cached it, the user
    withdrew on another browser (recorded, committed, the cache entry dropped); then the page
    cached what it had read. A browser signing in later took the withdrawn grant over for
    ``CACHE_TIMEOUT``, even with a cache every process shares."""
    user = UserFactory()
    decide(user, "analytics")
    read = following._decision

    def withdrawn_meanwhile(row):
        decision = read(row)
        monkeypatch.setattr(following, "_decision", read)
        signed_in(user).post(CONSENT, {"action": "reject_all"})
        return decision

    monkeypatch.setattr(following, "_decision", withdrawn_meanwhile)
    assert "analytics_c" in cookies_set(signed_in(user).get("/t/set/"))  # what it read
    assert "analytics_c" not in cookies_set(signed_in(user).get("/t/set/"))


def test_a_generation_that_expired_meanwhile_does_not_bring_a_withdrawn_grant_back(
    follow, categories, monkeypatch, django_capture_on_commit_callbacks
):
    """As above, with the user's generation expiring (or evicted) between the page's read and
    the withdrawal: counted up from 1 again, the withdrawal gave it the number the page had
    read, and the page's entry was taken."""
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        decide(user, "analytics")
    key, generation_key = following._keys(str(user.pk))
    cache.delete(key)
    read = following._decision

    def withdrawn_meanwhile(row):
        decision = read(row)
        monkeypatch.setattr(following, "_decision", read)
        cache.delete(generation_key)
        with django_capture_on_commit_callbacks(execute=True):
            signed_in(user).post(CONSENT, {"action": "reject_all"})
        return decision

    monkeypatch.setattr(following, "_decision", withdrawn_meanwhile)
    assert "analytics_c" in cookies_set(signed_in(user).get("/t/set/"))  # what it read
    assert "analytics_c" not in cookies_set(signed_in(user).get("/t/set/"))


def test_an_entry_of_another_shape_is_read_again_without_a_warning(follow, categories, caplog):
    """What an earlier checkout cached under the key, say: no warning and query per request."""
    user = UserFactory()
    browser = signed_in(user)
    key, _generation_key = following._keys(str(user.pk))
    cache.set(key, (), 300)
    with CaptureQueriesContext(connection) as queries:
        browser.get("/t/")
        browser.get("/t/")
    assert "could not use the cache" not in caplog.text
    assert len(record_queries(queries)) == 1


def test_a_session_cookie_holding_a_nul_is_no_session(
    follow, categories, django_assert_num_queries
):
    """Django's cookie parser decodes a quoted "\\000" to a NUL, which PostgreSQL refuses in
    the session table's query: no store holds such a key, so it is not looked up."""
    browser = Client(HTTP_COOKIE=f'{django_settings.SESSION_COOKIE_NAME}="\\000aaaaaaaaaaaa"')
    with django_assert_num_queries(0):
        page = browser.get("/t/")
    assert page.status_code == 200 and BANNER in page.content.decode()


class BrokenCache(BaseCache):
    """A cache that is down, as an unreachable Redis is."""

    def __init__(self, location: str, params: dict) -> None:
        super().__init__(params)

    def get(self, key, default=None, version=None):
        raise ConnectionError("the cache is down")

    set = delete = get  # type: ignore[assignment]


class FullCache(BaseCache):
    """A cache that reads but refuses every write, as a full memcached may."""

    def __init__(self, location: str, params: dict) -> None:
        super().__init__(params)

    def get(self, key, default=None, version=None):
        return default

    def set(self, key, value, timeout=None, version=None):
        raise ConnectionError("the cache is full")

    delete = set  # type: ignore[assignment]


DOWN = pytest.mark.parametrize("down", ["BrokenCache", "FullCache"])


@DOWN
def test_a_cache_that_is_down_costs_a_query_not_an_error(
    follow, categories, settings, caplog, down
):
    user = UserFactory()
    decide(user, "analytics")
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.{down}"}}
    browser = signed_in(user)
    page = browser.get("/t/set/")
    assert page.status_code == 200 and "analytics_c" in cookies_set(page)
    assert browser.post(CONSENT, {"action": "reject_all"}).status_code == 302
    assert "could not use the cache" in caplog.text


def test_the_latest_record_is_found_through_its_index(categories):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    query = following._latest_row("42")
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "cookieconsent_record_user" in plan and "TEMP B-TREE" not in plan


async def asks(request):
    """An async page that asks the consent, and sets an Analytics cookie."""
    response = HttpResponse(str(request.cookie_consent.allows("analytics")))
    response.set_cookie("analytics_c", "1")
    return response


#: ``@pytest.mark.urls("tests.enforcement.test_following")``: the tests' site and ``asks``.
urlpatterns = [route("asks/", asks), route("", include("tests.urls"))]


# -- async --------------------------------------------------------------------------------


@pytest.fixture
def cached_session(categories, settings):
    """A user whose latest decision is cached, and a session naming them in the cache: the
    async path then needs no query."""
    settings.COOKIECONSENT = FOLLOW
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    user = UserFactory()
    record = ConsentRecordFactory(
        user_pk=str(user.pk), granted=["functional"], action=Action.CUSTOM
    )
    following.latest(str(user.pk))
    get_registry()  # compiled again after the settings changed
    session = CacheSession()
    session[SESSION_KEY] = str(user.pk)
    session.save()
    return session.session_key, record


async def test_async_middleware_applies_the_users_cached_decision(rf, cached_session):
    session_key, record = cached_session

    async def page(request):
        assert not request.cookie_consent.allows("analytics")
        response = HttpResponse("page")
        response.set_cookie("functional_c", "1")
        return response

    request = rf.get("/")
    request.COOKIES.update({django_settings.SESSION_COOKIE_NAME: session_key, "analytics_c": "1"})
    response = await CookieConsentMiddleware(SessionMiddleware(page))(request)
    assert written(response).consent_id == str(record.consent_id)
    assert "functional_c" in cookies_set(response)
    assert "analytics_c" in cookies_expired(response)


@pytest.mark.parametrize("kind", ["expired", "dismissal"])
def test_async_middleware_a_later_decision_that_no_longer_counts_supersedes_an_earlier_one(
    rf, categories, settings, kind
):
    """As on the sync path: the browser's own earlier consent does not count again, and its
    consent cookie is expired."""
    settings.COOKIECONSENT = FOLLOW
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    user = UserFactory()
    _later_withdrawal(user, kind)
    following.latest(str(user.pk))  # cached: the async path then needs no query
    session = CacheSession()
    session[SESSION_KEY] = str(user.pk)
    session.save()
    request = rf.get("/")
    request.COOKIES.update(
        {
            django_settings.SESSION_COOKIE_NAME: session.session_key,
            CONSENT_COOKIE: _earlier_consent(),
            "_stat": "1",
        }
    )

    response = async_to_sync(CookieConsentMiddleware(SessionMiddleware(_analytics_page)))(request)

    assert "analytics_c" not in cookies_set(response)
    assert {"_stat", CONSENT_COOKIE} <= cookies_expired(response)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@override_settings(COOKIECONSENT=FOLLOW)
async def test_async_client_first_page_after_sign_in(categories):
    user = await sync_to_async(UserFactory)()
    await sync_to_async(decide)(user, "analytics")
    browser = AsyncClient()
    await browser.aforce_login(user)
    page = await browser.get("/t/async/", {"c": ["analytics_c"]})
    assert {CONSENT_COOKIE, "analytics_c", "_stat"} <= cookies_set(page)
    again = await browser.get("/t/async/", {"c": ["analytics_c"]})
    assert CONSENT_COOKIE not in again.cookies and "analytics_c" in cookies_set(again)
    await sync_to_async(connections.close_all)()


def _signed_cookie_session(user) -> str:
    """A session naming ``user``, held whole in its cookie (``signed_cookies``): read on the
    async path without a store."""
    from django.contrib.sessions.backends.signed_cookies import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session.save()
    return session.session_key


async def _analytics_page(request):
    response = HttpResponse("page")
    response.set_cookie("analytics_c", "1")
    return response


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_async_middleware_reads_an_uncached_decision_once_and_caches_it(
    categories, settings, rf
):
    """Nothing cached (another process decided, or the cache was emptied): the async path
    reads the user's latest record, applies it, and keeps it for the next request."""
    settings.COOKIECONSENT = FOLLOW
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    user = await sync_to_async(UserFactory)()
    record = await sync_to_async(decide)(user, "analytics")
    await cache.aclear()
    request = rf.get("/")
    request.COOKIES[django_settings.SESSION_COOKIE_NAME] = _signed_cookie_session(user)
    response = await CookieConsentMiddleware(SessionMiddleware(_analytics_page))(request)
    assert written(response).consent_id == str(record.consent_id)
    assert "analytics_c" in cookies_set(response)
    assert await cache.aget(following._keys(str(user.pk))[0]) is not None
    await sync_to_async(connections.close_all)()


@DOWN
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_async_a_cache_that_is_down_costs_a_query_not_an_error(
    categories, settings, rf, caplog, down
):
    settings.COOKIECONSENT = FOLLOW
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    user = await sync_to_async(UserFactory)()
    record = await sync_to_async(decide)(user, "analytics")
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.{down}"}}
    request = rf.get("/")
    request.COOKIES[django_settings.SESSION_COOKIE_NAME] = _signed_cookie_session(user)
    response = await CookieConsentMiddleware(SessionMiddleware(_analytics_page))(request)
    assert written(response).consent_id == str(record.consent_id)
    assert "analytics_c" in cookies_set(response)
    assert "could not use the cache" in caplog.text
    await sync_to_async(connections.close_all)()


# -- sync and async alike: the view may sign someone in or out -----------------------------

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _db_session(user=None) -> str:
    """A database session naming ``user`` (as ``login()`` leaves it), or an anonymous one."""
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    if user is None:
        session["cart"] = 1
    else:
        session.update(
            {
                SESSION_KEY: str(user.pk),
                "_auth_user_backend": BACKEND,
                "_auth_user_hash": user.get_session_auth_hash(),
            }
        )
    session.create()
    return session.session_key


def _through(mode: str, act, session_key: str, *, sessions: bool = True):
    """A request holding ``session_key`` through ``CookieConsentMiddleware`` above Django's
    session and authentication middleware (without them, if not ``sessions``), to a view that
    does ``act(request)`` (sync) or awaits it (async) and sets ``analytics_c`` and
    ``functional_c``."""
    from asgiref.sync import async_to_sync
    from django.contrib.auth.middleware import AuthenticationMiddleware
    from django.test import RequestFactory

    def stack(view):
        return SessionMiddleware(AuthenticationMiddleware(view)) if sessions else view

    def answer() -> HttpResponse:
        response = HttpResponse("page")
        response.set_cookie("analytics_c", "1")
        response.set_cookie("functional_c", "1")
        return response

    request = RequestFactory().get("/")
    request.COOKIES[django_settings.SESSION_COOKIE_NAME] = session_key
    if mode == "sync":

        def view(request):
            act(request)
            return answer()

        return CookieConsentMiddleware(stack(view))(request)

    async def aview(request):
        await act(request, asynchronous=True)
        return answer()

    middleware = CookieConsentMiddleware(stack(aview))
    assert middleware.async_mode
    return async_to_sync(middleware)(request)


def _sign_in(user):
    from django.contrib.auth import alogin, login

    def act(request, asynchronous=False):
        return alogin(request, user, BACKEND) if asynchronous else login(request, user, BACKEND)

    return act


def _sign_out(request, asynchronous=False):
    from django.contrib.auth import alogout, logout

    return alogout(request) if asynchronous else logout(request)


def _look_at_the_user(request, asynchronous=False):
    async def look():
        await request.auser()

    return look() if asynchronous else request.user.is_authenticated


def _nothing(request, asynchronous=False):
    async def nothing():
        pass

    return nothing() if asynchronous else None


@pytest.fixture
def two_users(follow, categories, settings):
    """Ann chose analytics, Bob (earlier) functional."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    ann, bob = UserFactory(), UserFactory()
    ConsentRecordFactory(user_pk=str(ann.pk), granted=["analytics"], action=Action.CUSTOM)
    ConsentRecordFactory(
        user_pk=str(bob.pk),
        granted=["functional"],
        action=Action.CUSTOM,
        created_at=timezone.now() - timedelta(minutes=5),
    )
    return ann, bob


MODES = pytest.mark.parametrize("mode", ["sync", "async"])


@MODES
def test_a_view_that_signs_the_user_in_follows_them_on_its_own_response(two_users, mode):
    ann, _bob = two_users
    response = _through(mode, _sign_in(ann), _db_session())
    assert sorted(written(response).granted) == ["analytics"]
    assert "analytics_c" in cookies_set(response) and "functional_c" not in cookies_set(response)


@MODES
def test_a_view_that_signs_the_user_out_follows_no_one(two_users, mode):
    ann, _bob = two_users
    response = _through(mode, _sign_out, _db_session(ann))
    assert written(response) is None
    assert not {"analytics_c", "functional_c"} & cookies_set(response)


@MODES
def test_a_view_that_signs_another_user_in_follows_the_new_one(two_users, mode):
    ann, bob = two_users
    response = _through(mode, _sign_in(bob), _db_session(ann))
    assert sorted(written(response).granted) == ["functional"]
    assert "functional_c" in cookies_set(response) and "analytics_c" not in cookies_set(response)


@MODES
def test_a_session_ended_by_a_changed_password_follows_no_one(two_users, mode):
    ann, _bob = two_users
    key = _db_session(ann)
    ann.set_password("changed")
    ann.save()
    response = _through(mode, _look_at_the_user, key)
    assert written(response) is None
    assert not {"analytics_c", "functional_c"} & cookies_set(response)


@MODES
def test_without_the_session_middleware_no_one_is_followed(two_users, mode):
    ann, _bob = two_users
    response = _through(mode, _nothing, _db_session(ann), sessions=False)
    assert written(response) is None


@MODES
def test_a_view_that_changes_no_one_follows_the_signed_in_user(
    two_users, mode, django_assert_num_queries
):
    ann, _bob = two_users
    key = _db_session(ann)
    _through(mode, _nothing, key)  # the user's decision cached
    # Async: the session read before the view (the view did not change it), no more.
    with django_assert_num_queries(1):
        response = _through(mode, _nothing, key)
    assert sorted(written(response).granted) == ["analytics"]


@MODES
def test_a_user_who_never_decided_costs_one_query_until_it_is_cached(two_users, mode):
    """That a signed-in user has no decision is cached like a decision: the next page does not
    ask the records again."""
    carol = UserFactory()
    key = _db_session(carol)
    with CaptureQueriesContext(connection) as first:
        response = _through(mode, _nothing, key)
    assert len(record_queries(first)) == 1 and written(response) is None
    with CaptureQueriesContext(connection) as second:
        response = _through(mode, _nothing, key)
    assert record_queries(second) == [] and written(response) is None


@MODES
def test_a_session_that_names_no_user_costs_no_query_for_a_decision(two_users, mode):
    """A visitor with a session who is not signed in (a cart, say) has no decision to follow:
    the records are not asked, not even once."""
    with CaptureQueriesContext(connection) as queries:
        response = _through(mode, _nothing, _db_session())
    assert record_queries(queries) == []
    assert written(response) is None
    assert "analytics_c" not in cookies_set(response)


def _then_ask(act):
    """``act``, then the page asks the consent (as its banner does) before the view returns."""

    def both(request, asynchronous=False):
        if not asynchronous:
            act(request)
            request.cookie_consent.allows("analytics")
            return None

        async def run():
            await act(request, asynchronous=True)
            request.cookie_consent.allows("analytics")

        return run()

    return both


@MODES
def test_a_view_that_signs_the_user_out_then_asks_follows_no_one(two_users, mode):
    ann, _bob = two_users
    response = _through(mode, _then_ask(_sign_out), _db_session(ann))
    assert written(response) is None
    assert not {"analytics_c", "functional_c"} & cookies_set(response)


@MODES
def test_a_view_that_signs_the_user_in_then_asks_follows_them(two_users, mode):
    ann, _bob = two_users
    response = _through(mode, _then_ask(_sign_in(ann)), _db_session())
    assert sorted(written(response).granted) == ["analytics"]
    assert "analytics_c" in cookies_set(response) and "functional_c" not in cookies_set(response)


@MODES
def test_a_view_that_signs_another_user_in_then_asks_follows_the_new_one(two_users, mode):
    ann, bob = two_users
    response = _through(mode, _then_ask(_sign_in(bob)), _db_session(ann))
    assert sorted(written(response).granted) == ["functional"]
    assert "functional_c" in cookies_set(response) and "analytics_c" not in cookies_set(response)


def _sign_in_by_hand(user):
    """A sign-in of the site's own: the user's key written into the session, and the session's
    key cycled first, as ``login()`` does."""

    def act(request, asynchronous=False):
        if not asynchronous:
            request.session.cycle_key()
            request.session[SESSION_KEY] = str(user.pk)
            return None

        async def run():
            await request.session.acycle_key()
            await request.session.aset(SESSION_KEY, str(user.pk))

        return run()

    return act


@MODES
def test_a_view_that_signs_another_user_in_by_hand_is_followed_for_the_new_one(two_users, mode):
    """Whether the view changed whom the session names is told by the session's key, which
    signing in and out change: not by what the view read or wrote."""
    ann, bob = two_users
    response = _through(mode, _sign_in_by_hand(bob), _db_session(ann))
    assert sorted(written(response).granted) == ["functional"]
    assert "functional_c" in cookies_set(response) and "analytics_c" not in cookies_set(response)


def _renew(request, asynchronous=False):
    """Has the session saved again, to renew its expiry, without reading it."""
    request.session.modified = True
    return _nothing(request, asynchronous)


@MODES
def test_a_view_that_renews_the_session_then_asks_follows_the_signed_in_user(two_users, mode):
    """The session is marked modified but was never read: it is not read on the event loop
    (where the query would be a server error) to find the user it still names."""
    ann, _bob = two_users
    response = _through(mode, _then_ask(_renew), _db_session(ann))
    assert sorted(written(response).granted) == ["analytics"]
    assert "analytics_c" in cookies_set(response) and "functional_c" not in cookies_set(response)


@MODES
def test_without_the_session_middleware_a_page_that_asks_follows_no_one(two_users, mode):
    ann, _bob = two_users
    response = _through(mode, _then_ask(_nothing), _db_session(ann), sessions=False)
    assert written(response) is None
    assert "analytics_c" not in cookies_set(response)


def test_under_the_async_stack_a_sync_view_that_signs_in_is_answered_for_the_new_user(
    two_users,
):
    """A sync view runs in a thread, where the user's decision can be read when the page asks:
    the page and the response follow the user it signed in, as on the sync path. (An async
    view asking on the event loop after signing someone in gets no followed decision during
    the view; its response follows them all the same.)"""
    from asgiref.sync import async_to_sync
    from django.contrib.auth import login
    from django.contrib.auth.middleware import AuthenticationMiddleware
    from django.test import RequestFactory

    ann, _bob = two_users
    seen = []

    def view(request):
        login(request, ann, BACKEND)
        seen.append(request.cookie_consent.allows("analytics"))
        response = HttpResponse("page")
        response.set_cookie("analytics_c", "1")
        return response

    middleware = CookieConsentMiddleware(
        SessionMiddleware(AuthenticationMiddleware(sync_to_async(view)))
    )
    assert middleware.async_mode
    request = RequestFactory().get("/")
    request.COOKIES[django_settings.SESSION_COOKIE_NAME] = _db_session()
    response = async_to_sync(middleware)(request)
    assert seen == [True]
    assert sorted(written(response).granted) == ["analytics"]
    assert "analytics_c" in cookies_set(response)


@pytest.mark.urls("tests.enforcement.test_following")
def test_under_wsgi_an_async_view_that_asks_is_no_server_error(follow, categories):
    """Django runs an async view on an event loop of its own under WSGI, where the user's
    decision cannot be read when its page asks: it is answered without following anyone, and
    its response follows the user all the same."""
    user = UserFactory()
    record = decide(user, "analytics")
    browser = signed_in(user)
    browser.raise_request_exception = False
    page = browser.get("/asks/")
    assert page.status_code == 200
    assert written(page).consent_id == str(record.consent_id)
    assert "analytics_c" in cookies_set(page)
    # From then on this browser holds the decision: its own page says so.
    assert browser.get("/asks/").content == b"True"


# -- the setting ----------------------------------------------------------------------------


def test_the_setting_is_checked():
    assert check_error_codes({"CONSENT_FOLLOWS_USER": "yes"}) == ["cookieconsent.E003"]
    assert check_error_codes(FOLLOW) == []


@pytest.mark.parametrize("now", [None, {"analytics": True}, ["analytics", 1]])
def test_a_latest_record_changed_below_the_orm_is_not_followed(follow, categories, now):
    """A user whose latest record's categories were rewritten in the database (JSON null, an
    object, not slugs) is followed by nothing: the page asks again, no server error."""
    user = UserFactory()
    record = decide(user, "analytics")
    with guards_lifted(ConsentRecord), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ConsentRecord._meta.db_table} SET granted = %s WHERE id = %s",
            [json.dumps(now), record.pk],
        )
    page = signed_in(user, _stat="1").get("/t/")
    assert page.status_code == 200
    assert BANNER in page.content.decode()
    assert written(page) is None
    assert "_stat" in cookies_expired(page)
