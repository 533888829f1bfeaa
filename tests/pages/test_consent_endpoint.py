"""The consent endpoint: form posts, JSON, records, signals and bad input."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import get_script_prefix, reverse, set_script_prefix
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from cookieconsent.engine.choice import VISITOR_ACTIONS
from cookieconsent.engine.consent import Decision
from cookieconsent.middleware import CookieConsentMiddleware
from cookieconsent.models import ConsentRecord
from cookieconsent.proof.records import user_pk
from cookieconsent.publishing import publish
from cookieconsent.signals import consent_changed
from cookieconsent.testing import CONSENT_COOKIE, consent_cookie, cookies_expired, cookies_set
from cookieconsent.views import consent
from tests.factories import UserFactory
from tests.helpers import needs_triggers, unpublish_everything

pytestmark = pytest.mark.django_db

URL = "/cookies/consent/"


def test_url_name():
    assert reverse("cookieconsent:consent") == URL


def post(client: Client, **data):
    return client.post(URL, data)


def post_json(client: Client, body, **extra):
    return client.post(
        URL,
        json.dumps(body) if not isinstance(body, str) else body,
        content_type="application/json",
        **extra,
    )


def stored(client: Client) -> Decision:
    decision = Decision.unsign(client.cookies[CONSENT_COOKIE].value)
    assert decision is not None
    return decision


def test_accept_all_redirects_back_and_stores_everything(client, categories):
    response = post(client, action="accept_all", next="/workspace/")
    assert response.status_code == 302
    assert response["Location"] == "/workspace/"
    assert stored(client).granted == {"functional", "analytics"}
    record = ConsentRecord.objects.get()
    assert record.granted == ["analytics", "functional"]
    assert record.refused == []
    assert record.action == "accept_all"
    assert str(record.consent_id) == stored(client).consent_id
    assert record.page_url == "/workspace/"


def test_a_long_return_address_is_recorded_cut_to_the_column(client, categories):
    """Up to ``MAX_NEXT`` is accepted; the record keeps what its column holds."""
    next_url = "/" + "x" * 1000
    post(client, action="reject_all", next=next_url)
    assert ConsentRecord.objects.get().page_url == next_url[:500]


def test_reject_all(client, categories):
    post(client, action="reject_all")
    assert stored(client).granted == frozenset()
    record = ConsentRecord.objects.get()
    assert record.granted == [] and record.refused == ["analytics", "functional"]


def test_custom(client, categories):
    post(client, action="custom", categories=["functional"])
    assert stored(client).granted == {"functional"}
    assert ConsentRecord.objects.get().refused == ["analytics"]


def test_required_categories_in_a_post_are_harmless(client, categories):
    post(client, action="custom", categories=["necessary", "security"])
    assert stored(client).granted == frozenset()


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/x",
        "javascript:alert(1)",
        "http:///evil",
        "",
        "\\\\evil.example",
        "/\\evil.example",
        "http://testserver.evil.example/",
        "/a\x00b/",
        "/a\nLocation: //evil.example",
        "/a\x85b/",
    ],
)
def test_foreign_or_malformed_next_goes_home(client, categories, next_url):
    response = post(client, action="reject_all", next=next_url)
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("escaped", ["\\ud800", "\\udfff", "\\udc80x\\ud83d"])
def test_a_json_next_that_is_not_text_goes_home(client, categories, escaped):
    """JSON may escape a lone surrogate, which no UTF-8 (no address, no database) can hold."""
    response = post_json(client, '{"action": "reject_all", "next": "/a' + escaped + '"}')
    assert response.status_code == 200
    assert ConsentRecord.objects.get().page_url == "/"


@pytest.mark.parametrize("value", [["/x"], {"a": 1}, True, 12])
def test_a_json_next_that_is_no_string_is_no_address(client, categories, value):
    """It was recorded as Python's repr (``"['/x']"``)."""
    response = post_json(client, json.dumps({"action": "accept_all", "next": value}))
    assert response.status_code == 200
    assert ConsentRecord.objects.get().page_url == "/"


@pytest.mark.parametrize("next_url", ["/pricing/?plan=pro#faq", "http://testserver/pricing/"])
def test_a_next_on_this_site_is_kept(client, categories, next_url):
    response = post(client, action="reject_all", next=next_url)
    assert response["Location"] == next_url


def test_a_next_on_this_site_over_https_may_not_drop_to_http(client, categories):
    """A choice posted over HTTPS never sends the visitor back over plain HTTP, even to this
    host; the same address over HTTPS is kept."""
    for scheme, expected in (("http", "/"), ("https", "https://testserver/pricing/")):
        data = {"action": "reject_all", "next": f"{scheme}://testserver/pricing/"}
        response = client.post(URL, data, secure=True)
        assert response.status_code == 302
        assert response["Location"] == expected


def test_unknown_slug_is_a_clear_400_and_saves_nothing(client, categories):
    response = post(client, action="custom", categories=["functional", "marketing"])
    assert response.status_code == 400
    assert "Unknown cookie category" in response.content.decode()
    assert "marketing" in response.content.decode()
    assert not ConsentRecord.objects.exists()
    assert CONSENT_COOKIE not in response.cookies


def test_unknown_action_is_a_400(client, categories):
    response = post(client, action="sell_everything")
    assert response.status_code == 400
    assert "Unknown action" in response.content.decode()
    response = post(client)
    assert response.status_code == 400


@pytest.mark.parametrize("language", ["en", "af"])
def test_the_unknown_action_message_names_every_action_the_endpoint_accepts(
    client, categories, language
):
    with translation.override(language):
        response = post_json(client, {"action": "sell_everything"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error.startswith("Onbekende aksie" if language == "af" else "Unknown action")
    named = set(re.findall(r"[a-z_]+", error.split(":", 1)[1]))
    assert not VISITOR_ACTIONS - named, error


def test_too_many_categories(client, categories):
    response = post(client, action="custom", categories=["functional"] * 51)
    assert response.status_code == 400
    assert not ConsentRecord.objects.exists()


def test_get_is_not_allowed(client, categories):
    assert client.get(URL).status_code == 405


@pytest.mark.parametrize(
    "url",
    [
        "/cookies/status/",
        "/cookies/policy/",
        "/cookies/policy/v1/",
        "/cookies/policy/v9/",
        "/cookies/preferences/",
        "/cookies/preferences/receipt/",
    ],
)
def test_every_page_answers_head_as_it_answers_get(client, categories, url):
    """A link checker or monitor asks with HEAD: the page's status and headers, no body."""
    post(client, action="accept_all")
    got, head = client.get(url), client.head(url)
    assert got.status_code in (200, 404)
    assert head.status_code == got.status_code
    assert head["Content-Type"] == got["Content-Type"]
    assert head.get("Vary") == got.get("Vary")
    assert head.content == b""


def test_missing_csrf_token_is_refused(categories):
    client = Client(enforce_csrf_checks=True)
    response = client.post(URL, {"action": "accept_all"})
    assert response.status_code == 403
    assert not ConsentRecord.objects.exists()


def test_json_answers_json(client, categories):
    response = post_json(client, {"action": "custom", "categories": ["analytics"]})
    assert response.status_code == 200
    state = response.json()
    assert state["decided"] is True
    assert state["categories"] == ["analytics", "necessary", "security"]
    assert state["consent_id"] == str(ConsentRecord.objects.get().consent_id)


def test_form_post_asking_for_json(client, categories):
    response = client.post(URL, {"action": "reject_all"}, HTTP_ACCEPT="application/json")
    assert response.json()["categories"] == ["necessary", "security"]


@pytest.mark.parametrize(
    "accept", ["application/json, text/plain, */*", "text/html;q=0.9, application/json"]
)
def test_a_client_accepting_json_among_other_types_gets_json(client, categories, accept):
    """Script clients name JSON among several types (axios sends the first): the new state, and
    an error, come back as JSON all the same."""
    response = client.post(URL, {"action": "reject_all"}, HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response.json()["categories"] == ["necessary", "security"]
    response = client.post(URL, {"action": "nope"}, HTTP_ACCEPT=accept)
    assert response.status_code == 400
    assert "Unknown action" in response.json()["error"]


@pytest.mark.parametrize(
    "accept",
    [
        "application/json;q=0, text/html",
        "text/html, application/json;q=0.5",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "application/json-seq, text/html",
    ],
)
def test_a_client_refusing_or_preferring_html_to_json_gets_the_page(client, categories, accept):
    """JSON named but refused (``q=0``), or ranked below HTML, is not asked for: the form's
    answers, a redirect and the error page."""
    response = client.post(URL, {"action": "reject_all", "next": "/shop/"}, HTTP_ACCEPT=accept)
    assert (response.status_code, response["Location"]) == (302, "/shop/")
    response = client.post(URL, {"action": "nope"}, HTTP_ACCEPT=accept)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "Unknown action" in response.content.decode()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ({"action": "custom", "categories": "analytics"}, "list of category slugs"),
        ({"action": "custom", "categories": [1]}, "list of category slugs"),
        ({"action": "custom", "categories": ["nope"]}, "Unknown cookie category"),
        ({"action": "custom", "categories": [], "pad": "x" * 20_000}, "too large"),
        ({"action": "reject_all", "next": "/" + "x" * 2000}, "return address is too long"),
        ({"action": ["accept_all"]}, "Unknown action"),
        ("[" * 5000 + "]" * 5000, "nested too deeply"),
        ('{"action": "custom", "categories": ' + "[" * 4000 + "]" * 4000 + "}", "nested"),
    ],
)
def test_bad_json_is_a_clear_400(client, categories, body, message):
    response = post_json(client, body)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not ConsentRecord.objects.exists()


@pytest.mark.parametrize("length", ["abc", "-5", "1e3", "\u00b2\u00b3"])
def test_json_with_a_content_length_that_is_no_number_is_a_clear_400(client, categories, length):
    response = client.generic(
        "POST",
        URL,
        json.dumps({"action": "accept_all"}),
        content_type="application/json",
        HTTP_ACCEPT="application/json",
        CONTENT_LENGTH=length,
    )
    assert response.status_code == 400
    assert "Content-Length of the request is not a number" in response.json()["error"]
    assert not ConsentRecord.objects.exists()


@pytest.mark.parametrize("over", ["a byte", "thousands of digits"])
def test_a_json_body_announced_over_the_limit_is_refused_before_it_is_read(
    client, categories, over
):
    """The Content-Length alone decides: the body is never read (the test client's payload
    fails a read past the bytes it was given), and nothing is recorded. A length of more
    digits than int() reads is too large, not an error of Python's."""
    from cookieconsent.views import MAX_JSON_BODY

    response = client.generic(
        "POST",
        URL,
        json.dumps({"action": "accept_all"}),
        content_type="application/json",
        CONTENT_LENGTH=str(MAX_JSON_BODY + 1) if over == "a byte" else "9" * 5000,
    )
    assert response.status_code == 400
    assert "too large" in response.json()["error"]
    assert not ConsentRecord.objects.exists()


def test_a_json_body_of_exactly_the_limit_is_read_and_a_byte_more_is_refused(client, categories):
    from cookieconsent.views import MAX_JSON_BODY

    def body(size: int) -> str:
        padding = size - len(json.dumps({"action": "reject_all", "pad": ""}))
        return json.dumps({"action": "reject_all", "pad": "x" * padding})

    assert len(body(MAX_JSON_BODY).encode()) == MAX_JSON_BODY
    assert post_json(client, body(MAX_JSON_BODY)).status_code == 200
    response = post_json(client, body(MAX_JSON_BODY + 1))
    assert response.status_code == 400
    assert "too large" in response.json()["error"]
    assert ConsentRecord.objects.count() == 1


@pytest.mark.parametrize("content_length", [True, False])
def test_a_json_body_over_djangos_limit_is_a_clear_400(
    client, categories, settings, content_length
):
    """Beyond DATA_UPLOAD_MAX_MEMORY_SIZE, below the endpoint's own limit, or sent in chunks
    under ASGI without a Content-Length: said as for a form (Django answered with its bare 400
    page)."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"action": "custom", "categories": [], "pad": "x" * 2000})
    if content_length:
        response = post_json(client, body)
    else:
        token = b"abcdefghijklmnopqrstuvwxyzABCDEF"  # a CSRF cookie and its header, as a page sends
        headers = [
            (b"content-type", b"application/json"),
            (b"host", b"testserver"),
            (b"cookie", b"csrftoken=" + token),
            (b"x-csrftoken", token),
        ]
        scope = {"type": "http", "method": "POST", "path": URL, "headers": headers}
        request = ASGIRequest(scope, io.BytesIO(body.encode()))
        response = CookieConsentMiddleware(consent)(request)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["error"] == "The request is too large."
    assert not ConsentRecord.objects.exists()


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("charset", ["latin-1", "utf-16", "utf8"])
@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_a_form_in_another_charset_than_utf8_is_a_clear_400(
    categories, settings, debug, charset, accept
):
    """Django refuses such a form whenever it is read, its own error pages included (the debug
    page, and the CSRF check of the 400 page for a visitor holding a CSRF cookie): a 500, had
    the endpoint let the error through."""
    settings.DEBUG = debug
    browser = Client(enforce_csrf_checks=True)
    browser.cookies["csrftoken"] = "abcdefghijklmnopqrstuvwxyzABCDEF"
    response = browser.generic(
        "POST",
        URL,
        "action=reject_all",
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
        HTTP_ORIGIN="http://testserver",
        HTTP_ACCEPT=accept,
    )
    assert response.status_code == 400
    assert "The form must be sent in UTF-8." in response.content.decode()
    assert not ConsentRecord.objects.exists()


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
@pytest.mark.parametrize(
    ("limits", "data"),
    [
        ({"DATA_UPLOAD_MAX_MEMORY_SIZE": 1000}, {"categories": ["x" * 2000]}),
        ({"DATA_UPLOAD_MAX_NUMBER_FIELDS": 10}, {"categories": [f"c{n}" for n in range(20)]}),
        (
            {"DATA_UPLOAD_MAX_NUMBER_FILES": 2},
            {f"f{n}": SimpleUploadedFile(f"f{n}.txt", b"x") for n in range(3)},
        ),
    ],
    ids=["too-many-bytes", "too-many-fields", "too-many-files"],
)
def test_an_oversized_form_is_refused_with_the_endpoints_own_message(
    client, categories, settings, accept, limits, data
):
    """Django's limits for a form, said as the endpoint says its own limit for a JSON body
    (Django answered with its bare 400 page)."""
    for name, value in limits.items():
        setattr(settings, name, value)
    response = client.post(
        URL, {"action": "custom", **data}, HTTP_SEC_FETCH_SITE="same-origin", HTTP_ACCEPT=accept
    )
    assert response.status_code == 400
    assert "The request is too large." in response.content.decode()
    assert not ConsentRecord.objects.exists()


def test_oversized_or_tampered_consent_cookie_is_no_decision(client, categories):
    client.cookies[CONSENT_COOKIE] = "x" * 10_000
    response = client.get("/t/")
    assert response.status_code == 200
    assert 'id="cookieconsent-banner"' in response.content.decode()
    client.cookies[CONSENT_COOKIE] = consent_cookie({"analytics"})[:-3] + "abc"
    response = client.get("/t/set/")
    assert response.status_code == 200
    assert "analytics_c" not in cookies_set(response)


def test_each_decision_leaves_exactly_one_record(client, categories):
    post(client, action="accept_all")
    post(client, action="reject_all")
    post(client, action="custom", categories=["functional"])
    assert ConsentRecord.objects.count() == 3
    assert len(set(ConsentRecord.objects.values_list("consent_id", flat=True))) == 3


def test_record_holds_the_proof(client, categories):
    user = UserFactory()
    client.force_login(user)
    long_agent = "A" * 1000
    post_json(
        client,
        {"action": "accept_all", "next": "/workspace/"},
        HTTP_USER_AGENT=long_agent,
        REMOTE_ADDR="203.0.113.7",
    )
    record = ConsentRecord.objects.get()
    assert record.user_pk == str(user.pk)
    assert record.policy_version == 1
    shown = record.published_version.snapshots.get(language="en")
    assert (record.language, record.snapshot_hash) == ("en", shown.hash)
    assert record.ip_hash and "203.0.113.7" not in record.ip_hash and len(record.ip_hash) == 64
    assert record.user_agent == "A" * 300
    assert record.created_at is not None


def test_ip_hash_is_stable_and_salted(client, categories, settings):
    client.post(URL, {"action": "reject_all"}, REMOTE_ADDR="198.51.100.1")
    client.post(URL, {"action": "reject_all"}, REMOTE_ADDR="198.51.100.1")
    first, second = ConsentRecord.objects.values_list("ip_hash", flat=True)
    assert first == second
    settings.COOKIECONSENT = {"IP_HASH_SALT": "another"}
    client.post(URL, {"action": "reject_all"}, REMOTE_ADDR="198.51.100.1")
    assert ConsentRecord.objects.order_by("-pk").first().ip_hash != first


def test_a_nul_in_the_user_agent_is_dropped_not_a_500(client, categories):
    response = client.post(URL, {"action": "reject_all"}, HTTP_USER_AGENT="Mozilla\x00/5.0")
    assert response.status_code == 302
    assert ConsentRecord.objects.get().user_agent == "Mozilla/5.0"


def test_a_nul_in_the_session_cookie_is_no_session_not_a_500(categories):
    """Django's cookie parser decodes a quoted "\\000" to a NUL, which PostgreSQL refuses in
    the session table's query: the record does not ask who the visitor is."""
    client = Client(HTTP_COOKIE=f'{django_settings.SESSION_COOKIE_NAME}="\\000aaaaaaaaaaaa"')
    with CaptureQueriesContext(connection) as queries:
        response = post(client, action="reject_all")
    assert response.status_code == 302
    assert ConsentRecord.objects.get().user_pk == ""
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"]]


def test_the_ip_hash_is_djangos_salted_hmac_of_the_address(client, categories, settings):
    settings.COOKIECONSENT = {"IP_HASH_SALT": "pepper"}
    client.post(URL, {"action": "reject_all"}, REMOTE_ADDR="198.51.100.1")
    expected = hmac.new(b"pepper", b"198.51.100.1", hashlib.sha256).hexdigest()
    assert ConsentRecord.objects.get().ip_hash == expected


def test_an_anonymous_visitors_user_is_not_loaded(rf, categories):
    def never(*args: object) -> None:
        raise AssertionError("request.user was loaded")

    request = rf.post("/cookies/consent/")
    request.user = SimpleLazyObject(never)
    assert user_pk(request) == ""
    request.COOKIES[django_settings.SESSION_COOKIE_NAME] = "abc"  # a session: it may be a user
    with pytest.raises(AssertionError, match="was loaded"):
        user_pk(request)
    signed_in = UserFactory()
    request.user = SimpleLazyObject(lambda: signed_in)
    assert user_pk(request) == str(signed_in.pk)
    request = rf.post("/cookies/consent/")
    request.user = signed_in  # set by a token middleware, not lazily
    assert user_pk(request) == str(signed_in.pk)
    assert user_pk(rf.post("/cookies/consent/")) == ""  # no authentication middleware


def test_text_hash_changes_with_the_published_policy_only(client, categories):
    from cookieconsent.models import CookiePolicy, PolicySection

    post(client, action="reject_all")
    policy = CookiePolicy.current()
    PolicySection.objects.create(policy=policy, heading="New", body="We changed.")
    post(client, action="reject_all")
    publish(policy)
    post(client, action="reject_all")
    hashes = list(ConsentRecord.objects.order_by("pk").values_list("snapshot_hash", flat=True))
    assert hashes[0] == hashes[1] != hashes[2]


def test_signal_fires_with_the_change(client, categories):
    received = []

    def receiver(**kwargs):
        received.append(kwargs)

    consent_changed.connect(receiver)
    try:
        client.cookies[CONSENT_COOKIE] = consent_cookie({"analytics"})
        post(client, action="custom", categories=["functional"])
    finally:
        consent_changed.disconnect(receiver)
    assert len(received) == 1
    event = received[0]
    assert event["granted"] == {"functional"}
    assert event["refused"] == {"analytics"}
    assert event["previous"] == {"necessary", "security", "analytics"}
    assert isinstance(event["record"], ConsentRecord)


def test_reject_expires_cookies_on_the_same_response(client, categories):
    client.cookies["_stat"] = "3"
    client.cookies["prefs"] = "acme"
    response = post(client, action="reject_all")
    assert cookies_expired(response) == {"_stat", "prefs"}


def test_consent_cookie_attributes(client, categories, settings):
    settings.COOKIECONSENT = {
        "COOKIE_NAME": "cc",
        "COOKIE_DOMAIN": ".example.com",
        "COOKIE_SECURE": True,
        "COOKIE_SAMESITE": "Strict",
    }
    response = post(client, action="accept_all")
    morsel = response.cookies["cc"]
    assert morsel["domain"] == ".example.com"
    assert morsel["secure"] is True
    assert morsel["samesite"] == "Strict"
    assert morsel["max-age"] == 365 * 24 * 3600
    response = post(client, action="reject_all")
    assert response.cookies["cc"]["max-age"] == 182 * 24 * 3600


def test_status_endpoint(client, categories):
    response = client.get("/cookies/status/")
    assert response.json()["decided"] is False
    assert "no-store" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]
    post(client, action="accept_all")
    assert client.get("/cookies/status/").json()["categories"] == [
        "analytics",
        "functional",
        "necessary",
        "security",
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # autocommit, as served
@needs_triggers
def test_a_warm_consent_post_writes_the_record_and_nothing_else(
    client, categories, django_assert_num_queries
):
    post(client, action="accept_all")  # reads the published snapshot once
    # The chain head's hash, then the record's INSERT, whose trigger moves the head: no
    # transaction, no lock, no counter row for POSTs to queue on (the day is counted once it
    # is over).
    with django_assert_num_queries(2) as captured:
        post(client, action="reject_all")
    read, insert = (q["sql"] for q in captured.captured_queries)
    assert read.startswith('SELECT hash FROM "cookieconsent_chainhead"')
    assert insert.startswith('INSERT INTO "cookieconsent_consentrecord"')


def test_status_sets_no_cookie(client, categories):
    # The consent POST needs no CSRF token, so nothing hands one out.
    assert not client.get("/cookies/status/").cookies


def test_a_decision_without_a_published_policy_or_an_address_is_still_recorded(client, categories):
    unpublish_everything()
    response = client.post(URL, {"action": "reject_all"}, REMOTE_ADDR="")
    assert response.status_code == 302
    record = ConsentRecord.objects.get()
    assert record.ip_hash == ""
    assert record.policy_version == 0
    assert (record.published_version, record.language, record.snapshot_hash) == (None, "", "")


def test_brackets_inside_strings_do_not_count_as_nesting(client, categories):
    response = post_json(client, {"action": "reject_all", "next": "/" + "[{" * 100})
    assert response.status_code == 200
    # Nor after an escaped quote or backslash, which does not end the string.
    response = post_json(client, {"action": "reject_all", "next": '/"\\' + "[{" * 100})
    assert response.status_code == 200


def test_nesting_is_refused_past_the_limit_on_every_python(client, categories):
    from cookieconsent.views import MAX_JSON_DEPTH

    ok = {
        "action": "reject_all",
        "x": json.loads("[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)),
    }
    assert post_json(client, ok).status_code == 200
    deep = '{"action": "reject_all", "x": ' + "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH + "}"
    response = post_json(client, deep)
    assert response.status_code == 400 and "nested too deeply" in response.json()["error"]


def test_nesting_exactly_at_the_limit_is_read_however_many_brackets_beside_it(client, categories):
    """Depth counts, not brackets: a body nested exactly ``MAX_JSON_DEPTH`` deep (the object
    is the first level) with more brackets beside it than the limit is read."""
    from cookieconsent.views import MAX_JSON_DEPTH

    deepest = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    body = '{"action": "reject_all", "x": ' + deepest + ', "y": [[], {}]}'
    assert body.count("[") + body.count("{") > MAX_JSON_DEPTH
    assert post_json(client, body).status_code == 200


def test_a_file_posted_with_a_choice_is_neither_kept_nor_written(
    client, categories, settings, tmp_path
):
    """A multipart form may carry files (Django would write any beyond
    ``FILE_UPLOAD_MAX_MEMORY_SIZE`` to a temporary file, whatever
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` says): the choice is recorded, the file is read past."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    seen = []

    def look(sender, request, **kwargs):
        seen.append((dict(request.FILES), list(tmp_path.iterdir())))

    consent_changed.connect(look)
    try:
        upload = SimpleUploadedFile("big.bin", b"x" * 100_000)
        response = client.post(URL, {"action": "accept_all", "next": "/t/", "f": upload})
    finally:
        consent_changed.disconnect(look)
    assert response.status_code == 302 and response["Location"] == "/t/"
    assert ConsentRecord.objects.get().action == "accept_all"
    assert seen == [({}, [])]


def reads_the_body(get_response):
    """A site's middleware that reads the form before any view."""

    def middleware(request):
        request.POST  # noqa: B018
        return get_response(request)

    return middleware


def test_a_choice_whose_body_a_middleware_read_first_is_recorded(client, categories, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.reads_the_body"]
    upload = SimpleUploadedFile("small.bin", b"x" * 10)
    response = client.post(URL, {"action": "reject_all", "f": upload})
    assert response.status_code == 302
    assert ConsentRecord.objects.get().action == "reject_all"


@pytest.fixture
def mounted_at_shop():
    """The site under ``/shop``, as Django's handlers set the prefix from FORCE_SCRIPT_NAME
    (the test client does not)."""
    before = get_script_prefix()
    with override_settings(FORCE_SCRIPT_NAME="/shop"):
        set_script_prefix("/shop")
        try:
            yield
        finally:
            set_script_prefix(before)


@pytest.mark.parametrize("given", [{}, {"next": "https://evil.example/"}, {"next": "/a\x00"}])
def test_home_under_a_sub_path_is_its_prefix(client, categories, mounted_at_shop, given):
    """A POST without a usable ``next`` went to ``/``, off a site mounted under ``/shop``."""
    response = client.post(
        URL, {"action": "reject_all", **given}, HTTP_SEC_FETCH_SITE="same-origin"
    )
    assert response.status_code == 302
    assert response["Location"] == "/shop/"


def test_the_preferences_page_without_next_returns_under_the_sub_path(
    client, categories, mounted_at_shop
):
    """``{% cookieconsent_settings_link %}`` links to the page without ``next``: saving there
    without JavaScript went to ``/``."""
    page = client.get("/cookies/preferences/").content.decode()
    assert 'action="/shop/cookies/consent/"' in page
    assert 'name="next" value="/shop/"' in page


# -- the page a refused choice is refused on ----------------------------------------------------


@pytest.fixture
def site_layout(settings):
    """The app's pages in a layout of the site's with the banner and the settings link."""
    settings.COOKIECONSENT = {"BASE_TEMPLATE": "tests/layout.html"}


def returns_to(html: str) -> dict[str, list[str]]:
    """Where each way out of the page leads a visitor: the banner's forms (``next``), its
    Customise link, the error's link back to the settings, the footer's settings link."""
    return {
        "forms": re.findall(r'name="next" value="([^"]*)"', html),
        "links": re.findall(r'href="/cookies/preferences/\?next=([^"]*)"', html),
    }


def test_a_refused_choice_returns_the_visitor_to_the_page_they_chose_on(
    client, categories, site_layout
):
    """The page of a refused choice offered the banner again with ``next`` its own address,
    the consent endpoint: choosing there sent the visitor on to a 405."""
    response = post(client, action="dismiss", next="/t/?a=1")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Back to cookie settings" in html and 'id="cookieconsent-banner"' in html
    # The banner's form, its Customise link, the way back and the footer's link.
    assert returns_to(html) == {"forms": ["/t/?a=1"], "links": ["/t/%3Fa%3D1"] * 3}
    again = post(client, action="reject_all", next="/t/?a=1")
    assert again.status_code == 302 and again["Location"] == "/t/?a=1"


@pytest.mark.parametrize(
    "data", [{"action": "dismiss"}, {"action": "dismiss", "next": "/" + "a" * 2001}]
)
def test_a_refused_choice_without_a_usable_next_returns_home(client, categories, site_layout, data):
    html = client.post(URL, data).content.decode()
    assert returns_to(html) == {"forms": ["/"], "links": ["/"] * 3}


def test_an_unreadable_choice_returns_home(client, categories, site_layout):
    response = client.post(URL, b"\xff", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert returns_to(response.content.decode()) == {"forms": ["/"], "links": ["/"] * 3}


def test_a_refused_dismissal_speaks_the_visitors_words(client, categories):
    """It named the API's actions ("choose accept_all, reject_all or custom")."""
    for language in ("en", "af"):
        with translation.override(language):
            message = post_json(client, {"action": "dismiss"}).json()["error"]
        assert not re.search(r"accept_all|reject_all|custom", message), message
    assert message.startswith("Daar is geen kennisgewing")


@pytest.mark.parametrize(
    "next_url",
    [
        "/cookies/consent/",
        "/cookies/consent/?action=accept_all",
        "http://testserver/cookies/consent/",
        "/cookies/%63onsent/",
        # Browsers drop dot segments, and APPEND_SLASH redirects to the slash: each led there.
        "/cookies/./consent/",
        "/t/../cookies/consent/",
        "/cookies/consent",
    ],
)
def test_the_consent_endpoint_is_never_where_a_visitor_returns(client, categories, next_url):
    """It answers a GET with 405."""
    response = post(client, action="reject_all", next=next_url)
    assert response.status_code == 302 and response["Location"] == "/"
    page = client.get("/cookies/preferences/", {"next": next_url}).content.decode()
    assert 'name="next" value="/"' in page


def test_the_consent_endpoint_under_a_sub_path_is_never_where_a_visitor_returns(
    client, categories, mounted_at_shop
):
    response = post(client, action="reject_all", next="/shop/cookies/consent/")
    assert response["Location"] == "/shop/"
    assert post(client, action="reject_all", next="/shop/t/")["Location"] == "/shop/t/"


# -- LoginRequiredMiddleware ----------------------------------------------------------------------


@pytest.fixture
def login_required(settings):
    """Every view needs a signed-in user unless it says otherwise (Django 5.1+)."""
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "django.contrib.auth.middleware.LoginRequiredMiddleware",
    ]


def test_an_anonymous_visitor_chooses_and_reads_the_policy_under_login_required_middleware(
    client, categories, login_required
):
    """None of the app's views was marked ``login_not_required``: the banner's choice, the
    status, the preferences and the policy all sent the visitor to sign in."""
    assert client.get("/t/")["Location"].startswith(django_settings.LOGIN_URL)  # it is on
    response = post(client, action="accept_all", next="/t/")
    assert response.status_code == 302 and response["Location"] == "/t/"
    assert post_json(client, {"action": "reject_all"}).status_code == 200
    for url in (
        "/cookies/status/",
        "/cookies/preferences/",
        "/cookies/policy/",
        "/cookies/policy/v1/",
        "/cookies/preferences/receipt/",
    ):
        assert client.get(url).status_code == 200, url
    # A refused choice is said, not sent to sign in.
    assert post(client, action="nonsense").status_code == 400


def test_every_view_the_app_serves_is_open_to_anonymous_visitors():
    """Whatever ``cookieconsent.urls`` serves is a visitor's: a view added later must say so
    too."""
    from cookieconsent import urls

    closed = [p.name for p in urls.urlpatterns if getattr(p.callback, "login_required", True)]
    assert closed == []
