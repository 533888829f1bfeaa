"""Many processes on one PostgreSQL: a change published in the admin of one server process is
enforced by another within ``REGISTRY_STALENESS``, whatever ``CACHES`` holds (Redis, local
memory, the dummy cache, a Redis that is down), without a query per request; and a small run
of ``benchmarks/load.py``.

The servers are real: gunicorn (WSGI) for process A, uvicorn (ASGI) for process B, each serving
the fluxems example with ``benchmarks.mp_settings`` on a database created for the test and
dropped after it. Queries are counted by ``benchmarks.querycount``, which puts the number of
queries each request ran in an ``X-Queries`` header.

Skipped, with the reason, where PostgreSQL, Redis or the servers are missing; with
``COOKIECONSENT_REQUIRE_SERVICES=1`` (CI) they fail instead.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from benchmarks import load
from benchmarks.querycount import HEADER
from benchmarks.servers import (
    Browser,
    ServicesUnavailable,
    Site,
    check_services,
    csrf_token,
    form_fields,
    fresh_site,
)

STALENESS = 1.0
#: Time for the request that sees the change to travel, on a loaded CI machine.
SLACK = 1.0
STAFF = ("staff", "multi-process-test-pw")
#: Queries of a request that finds the registry due for a check and unchanged.
STAMP_READ = 1

pytestmark = pytest.mark.services


def require_services() -> None:
    try:
        check_services()
    except ServicesUnavailable as exc:
        if os.environ.get("COOKIECONSENT_REQUIRE_SERVICES") == "1":
            pytest.fail(f"COOKIECONSENT_REQUIRE_SERVICES=1 but {exc}")
        pytest.skip(str(exc))


#: Whatever CACHES holds, every process must learn of a change: the registry's stamp lives in
#: the database. Local memory and the dummy cache are per process (or nothing at all).
CACHE_URLS = {
    "redis": None,
    "locmem": "locmemcache://",
    "dummy": "dummycache://",
    "unreachable-redis": "redis://127.0.0.1:1/0",
}


@pytest.fixture(params=list(CACHE_URLS))
def site(request: pytest.FixtureRequest) -> Iterator[Site]:
    require_services()
    with fresh_site(staleness=STALENESS, cache_url=CACHE_URLS[request.param]) as site:
        yield site


def sign_in(port: int) -> Browser:
    staff = Browser(port)
    page = staff.get("/admin/login/?next=/admin/")
    assert page.status == 200, page.status
    response = staff.post(
        "/admin/login/?next=/admin/",
        {
            "csrfmiddlewaretoken": csrf_token(page.text),
            "username": STAFF[0],
            "password": STAFF[1],
            "next": "/admin/",
        },
    )
    assert response.status == 302, response.text[:500]
    return staff


def set_required(staff: Browser, category_id: int, required: bool) -> None:
    """Tick or untick "strictly necessary" on the category's change form, and save."""
    url = f"/admin/cookieconsent/cookiecategory/{category_id}/change/"
    page = staff.get(url)
    assert page.status == 200, f"{url} answered {page.status}"
    fields = [(k, v) for k, v in form_fields(page.text, "cookiecategory_form") if k != "required"]
    assert any(k == "slug" for k, _ in fields), "not the category change form"
    if required:
        fields.append(("required", "on"))
    saved = staff.post(url, [*fields, ("_save", "Save")])
    assert saved.status == 302, f"the admin refused the change:\n{saved.text[:2000]}"


def publish(site: Site, staff: Browser) -> None:
    """Publish the draft from the admin's Publish page, as staff do."""
    [(policy_id,)] = site.sql("SELECT id FROM cookieconsent_cookiepolicy WHERE is_current")
    url = f"/admin/cookieconsent/cookiepolicy/{policy_id}/publish/"
    page = staff.get(url)
    assert page.status == 200, f"{url} answered {page.status}"
    published = staff.post(
        url, {"csrfmiddlewaretoken": csrf_token(page.text), "last_updated": "2026-08-01"}
    )
    assert published.status == 302, f"the admin did not publish:\n{published.text[:2000]}"


def visitor_gets(port: int) -> tuple[set[str], int]:
    """A first-time visitor's home page: the cookies set, and the queries it took."""
    with Browser(port) as visitor:
        response = visitor.get("/")
    assert response.status == 200
    return set(response.set_cookies), int(response.header(HEADER) or -1)


def wait_until(port: int, stat_expected: bool) -> tuple[float, list[int]]:
    """Poll B with new visitors until ``_stat`` is (or is no longer) set; return how long it
    took and each request's query count."""
    started = time.monotonic()
    queries = []
    while True:
        cookies, count = visitor_gets(port)
        queries.append(count)
        elapsed = time.monotonic() - started
        if ("_stat" in cookies) is stat_expected:
            return elapsed, queries
        assert elapsed < STALENESS + SLACK, (
            f"process B still {'blocks' if stat_expected else 'lets through'} _stat "
            f"{elapsed:.2f} s after the change (staleness {STALENESS} s)"
        )
        time.sleep(0.05)


def test_a_change_in_one_process_is_enforced_by_another_within_the_staleness(site, request):
    site.manage(
        "createsuperuser", "--noinput", "--username", STAFF[0], "--email", "staff@example.com",
        env={"DJANGO_SUPERUSER_PASSWORD": STAFF[1]},
    )  # fmt: skip
    a, b = site.serve("gunicorn"), site.serve("uvicorn")
    [(analytics_id,)] = site.sql(
        "SELECT id FROM cookieconsent_cookiecategory WHERE slug = 'analytics'"
    )

    # The counter sees queries (a version never published is looked up in its table, then a
    # 404; the latest version's snapshots are read with the registry) ...
    with Browser(b) as reader:
        assert int(reader.get("/cookies/policy/v99/").header(HEADER) or 0) > 0
    # ... and an ordinary page in B runs none (or, once per staleness window, the one that
    # reads the registry's generation): the registry is compiled.
    for _ in range(5):
        cookies, queries = visitor_gets(b)
        # (No CSRF cookie either: the banner carries no token.)
        assert "_stat" not in cookies and "csrftoken" not in cookies
        assert queries <= STAMP_READ

    staff = sign_in(a)
    request.addfinalizer(staff.close)
    for required in (True, False):
        set_required(staff, analytics_id, required)
        assert site.sql(
            "SELECT required FROM cookieconsent_cookiecategory WHERE id = %s", analytics_id
        ) == [(required,)]
        publish(site, staff)  # a draft until then
        elapsed, queries = wait_until(b, stat_expected=required)
        print(f"B: required={required} enforced {elapsed:.2f} s after publishing; {queries}")
        # B rebuilt its registry once, on one request; every other request ran no query but
        # the generation's read.
        assert sum(1 for q in queries if q > STAMP_READ) == 1, queries
        assert elapsed <= STALENESS + SLACK
        for _ in range(5):
            cookies, count = visitor_gets(b)
            assert ("_stat" in cookies) is required
            assert count <= STAMP_READ


def test_load_smoke():
    """``make load`` in small: every consent POST answered and stored exactly once, and the
    records of concurrent POSTs form one hash chain that verifies."""
    require_services()
    result = load.run(posts=100, clients=10, workers=2, quiet=True)
    assert result.failures == []
    assert result.records == result.distinct_records == 100
    assert len(set(result.cookie_ids)) == 100
    assert not result.missing and not result.unexpected
    assert result.stored == result.sent
    assert "verifies: 100 records" in result.chain, result.chain
    assert result.ok
