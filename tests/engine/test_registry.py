"""The compiled registry: lookups, invalidation, and the database stamp every process reads."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from django.db import connection, connections, models, transaction
from django.db.models import F
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from cookieconsent.conf import reset_caches
from cookieconsent.engine import registry as registry_module
from cookieconsent.engine.registry import (
    Registry,
    Rule,
    build,
    get_registry,
    invalidate,
    read_generation,
)
from cookieconsent.models import (
    Cookie,
    CookieCategory,
    PublishedVersion,
    RegistryStamp,
    Snapshot,
    Technology,
)
from cookieconsent.models.content import draft_content
from tests.helpers import publish_draft

pytestmark = pytest.mark.django_db
#: Tests whose transactions really commit. serialized_rollback restores the seed data after the
#: flush, and keeps the flush from recreating content types (see tests/test_browser.py).
committing = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_exact_prefix_and_general_patterns(categories):
    analytics = categories["analytics"]
    Cookie.objects.create(category=analytics, name="_gcl_*_id")
    Cookie.objects.create(category=categories["functional"], name="_ga_special")
    publish_draft()
    registry = get_registry()
    assert registry.lookup("_stat").slug == "analytics"
    assert registry.lookup("_ga_XYZ").slug == "analytics"
    assert registry.lookup("_ga_special").slug == "functional"  # an exact name beats a pattern
    assert registry.lookup("_gcl_abc_id").slug == "analytics"
    assert registry.lookup("_gcl_abc_idx") is None
    assert registry.lookup("nothing") is None
    assert registry.lookup("nothing") is None  # memoised miss


def test_longest_prefix_wins(categories):
    Cookie.objects.create(category=categories["functional"], name="_ga_fn_*")
    publish_draft()
    registry = get_registry()
    assert registry.lookup("_ga_fn_1").slug == "functional"
    assert registry.lookup("_ga_other").slug == "analytics"


def test_storage_keys_are_not_cookies(categories):
    registry = get_registry()
    assert registry.lookup("ui") is None
    assert ("functional", "local_storage", "ui") in {
        (k.slug, k.technology, k.name) for k in registry.storage_keys
    }


def test_a_storage_key_is_looked_up_by_its_name_or_pattern(categories):
    Cookie.objects.create(
        name="ajs_*", technology="local_storage", category=categories["analytics"]
    )
    Cookie.objects.create(name="a?c*", technology="local_storage", category=categories["necessary"])
    publish_draft()
    registry = get_registry()
    assert registry.storage_key("local_storage", "ui").slug == "functional"
    assert registry.storage_key("session_storage", "ui") is None
    assert registry.storage_key("local_storage", "ajs_user").slug == "analytics"
    assert registry.storage_key("local_storage", "a?c1").slug == "necessary"
    assert registry.storage_key("local_storage", "abc1") is None  # "?" is not a wildcard


def test_categories_and_required(categories):
    registry = get_registry()
    assert [c.slug for c in registry.categories][:4] == [
        "necessary",
        "security",
        "functional",
        "analytics",
    ]
    assert registry.required_slugs == {"necessary", "security"}
    assert registry.optional_slugs == {"functional", "analytics"}
    assert registry.category("analytics").name == "Analytics"
    assert registry.category("nope") is None


def test_django_cookies_fall_back_to_a_builtin_category(db):
    CookieCategory.objects.filter(required=True).update(required=False)
    registry = build()
    assert registry.lookup("django_language") == Rule("necessary", True)


def test_suffix_patterns(categories):
    Cookie.objects.create(category=categories["functional"], name="*_pref")
    Cookie.objects.create(category=categories["analytics"], name="*_x_pref")
    publish_draft()
    registry = get_registry()
    assert registry.lookup("theme_pref").slug == "functional"
    # "a_x_pref" ends with both "_pref" and "_x_pref": the longest suffix wins
    assert registry.lookup("a_x_pref").slug == "analytics"
    assert registry.lookup("_pref_not") is None


def test_the_consent_cookie_stays_strictly_necessary_whatever_the_table_says(categories):
    """Declared in an optional category, a refusal could never be remembered."""
    Cookie.objects.update_or_create(
        name="cookieconsent",
        technology=Technology.HTTP_COOKIE,
        defaults={"category": categories["functional"]},
    )
    Cookie.objects.create(category=categories["analytics"], name="cookie*")
    publish_draft()
    rule = get_registry().lookup("cookieconsent")
    assert rule is not None and rule.required and rule.slug == "necessary"
    assert get_registry().lookup("cookiejar").slug == "analytics"


def test_the_consent_cookie_is_refused_in_an_optional_category(categories):
    cookie = Cookie(category=categories["functional"], name="cookieconsent")
    with pytest.raises(ValidationError) as caught:
        cookie.clean()
    assert "cannot be declared in an optional category" in caught.value.message_dict["name"][0]
    Cookie(category=categories["necessary"], name="cookieconsent").clean()
    Cookie(
        category=categories["functional"], name="cookieconsent", technology="local_storage"
    ).clean()  # a storage key of that name is no cookie


@override_settings(COOKIECONSENT={"COOKIE_NAME": "cc"})
def test_a_renamed_consent_cookie_stays_strictly_necessary(categories):
    Cookie.objects.create(category=categories["analytics"], name="cc")
    assert get_registry().lookup("cc").required


def test_the_registry_is_a_frozen_snapshot(categories):
    registry = get_registry()
    with pytest.raises(AttributeError):
        registry.policy_version = 99  # type: ignore[misc]
    assert not hasattr(registry, "banners") and not hasattr(registry, "text_hashes")


# -- the generation in the database -------------------------------------------------------------


def another_process_changes_the_table(categories: dict[str, CookieCategory]) -> None:
    """What this process sees of another process's committed publish of a change: new rows,
    a new version and a raised generation, and none of its own signals."""
    Cookie.objects.filter(name="_stat").update(category=categories["functional"])
    live = PublishedVersion.objects.latest()
    PublishedVersion.objects.bulk_create(
        [
            PublishedVersion(
                number=live.number + 1,
                policy=live.policy,
                last_updated=live.last_updated,
                content=draft_content(),
            )
        ]
    )
    RegistryStamp.objects.update(generation=F("generation") + 1)


def test_publishing_a_cookie_rebuilds_this_process_at_once(categories):
    assert get_registry().lookup("_stat").slug == "analytics"
    stat = Cookie.objects.get(name="_stat", technology=Technology.HTTP_COOKIE)
    stat.category = categories["functional"]
    stat.save()
    assert get_registry().lookup("_stat").slug == "analytics"  # a draft, until published
    publish_draft()
    assert get_registry().lookup("_stat").slug == "functional"


@committing
def test_a_save_raises_the_generation_in_its_own_transaction(categories):
    before = read_generation()
    with transaction.atomic():
        categories["analytics"].save()
        assert read_generation() == before + 1  # before the commit, in the same transaction
    assert get_registry().generation == before + 1


@committing
def test_a_rolled_back_change_leaves_the_generation(categories):
    before = read_generation()
    with pytest.raises(RuntimeError), transaction.atomic():
        categories["analytics"].save()
        raise RuntimeError
    assert read_generation() == before


@committing
def test_many_saves_in_one_transaction_wait_for_one_publish(categories):
    before = read_generation()
    with transaction.atomic():
        for n in range(50):
            Cookie.objects.create(category=categories["analytics"], name=f"bulk{n}")
        categories["analytics"].save()
    assert read_generation() > before  # every process reads the table again
    assert get_registry().lookup("bulk49") is None  # a draft, until published
    publish_draft()
    assert get_registry().lookup("bulk49").slug == "analytics"


@committing
def test_a_rolled_back_savepoint_takes_its_bump_with_it(categories):
    before = read_generation()
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            categories["analytics"].save()
            raise RuntimeError
        assert read_generation() == before
        categories["functional"].save()  # bumps again: the first bump was rolled back
    assert read_generation() == before + 1


@committing
def test_the_stamp_row_is_created_when_missing(categories):
    RegistryStamp.objects.all().delete()
    assert read_generation() == 0
    invalidate()
    assert read_generation() == 1
    invalidate()
    assert read_generation() == 2


def test_a_rolled_back_change_is_dropped_within_the_staleness_window(categories, registry_clock):
    """Built inside the transaction that changed the table, a registry may hold rows that are
    then rolled back; the generation it read is rolled back too, so the next check replaces
    it."""
    reset_caches()
    get_registry()
    with pytest.raises(RuntimeError), transaction.atomic():
        another_process_changes_the_table(categories)
        registry_clock.advance(3600)
        assert get_registry().lookup("_stat").slug == "functional"
        raise RuntimeError
    registry_clock.advance(10)
    assert get_registry().lookup("_stat").slug == "analytics"


def test_another_process_change_is_seen_after_the_staleness_window(
    categories, settings, registry_clock, django_assert_num_queries
):
    settings.COOKIECONSENT = {"REGISTRY_STALENESS": 5}
    first = get_registry()
    another_process_changes_the_table(categories)
    registry_clock.advance(4)
    with django_assert_num_queries(0):
        assert get_registry() is first  # within the window: no query
    registry_clock.advance(2)
    second = get_registry()
    assert second is not first
    assert second.lookup("_stat").slug == "functional"
    assert second.generation == first.generation + 1
    assert second.stamp != first.stamp


def test_an_unchanged_generation_keeps_the_registry_for_one_query(
    categories, settings, registry_clock, django_assert_num_queries
):
    settings.COOKIECONSENT = {"REGISTRY_STALENESS": 1}
    first = get_registry()
    registry_clock.advance(10)
    with CaptureQueriesContext(connection) as queries:
        assert get_registry() is first
    # (in a savepoint here, as the test runs in a transaction)
    assert [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]] == [
        q["sql"] for q in queries if "registrystamp" in q["sql"]
    ]
    assert len([q for q in queries if "registrystamp" in q["sql"]]) == 1
    with django_assert_num_queries(0):
        assert get_registry() is first


def test_a_database_outage_keeps_the_last_good_registry_and_recovers(
    categories, registry_clock, caplog
):
    """The stamp's table cannot be read (renamed away, as good as a dropped connection):
    the last good registry keeps serving, the outage is logged, and the first check after
    the table is back sees the change made meanwhile."""
    reset_caches()
    first = get_registry()
    with stamp_table_away():
        registry_clock.advance(10)
        with caplog.at_level(logging.WARNING, logger="cookieconsent"):
            assert get_registry() is first
    assert "cannot read the cookie table" in caplog.text
    another_process_changes_the_table(categories)
    assert get_registry() is first  # the outage did not make it check on every request
    registry_clock.advance(10)
    assert get_registry().lookup("_stat").slug == "functional"


def test_no_registry_and_no_database_is_an_error(db):
    from django.db import DatabaseError

    with stamp_table_away(), pytest.raises(DatabaseError), transaction.atomic():
        get_registry()


@contextmanager
def table_away(model: type[models.Model]) -> Iterator[None]:
    """``model``'s table renamed away (as good as a lost connection), and back afterwards:
    MySQL and MariaDB do not take a rename back with the test's transaction."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {quote('cc_table_away')}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {quote('cc_table_away')} RENAME TO {table}")


def stamp_table_away() -> contextlib.AbstractContextManager[None]:
    """The registry's stamp table renamed away."""
    return table_away(RegistryStamp)


@pytest.mark.parametrize("model", [PublishedVersion, Snapshot], ids=["build", "prepare"])
def test_a_failed_read_leaves_the_callers_transaction_usable(
    model, categories, registry_clock, caplog
):
    """A request under ATOMIC_REQUESTS finds the registry due and the database changed, but
    the build (or the snapshots read as it is built) fails: the last good registry (or the new
    one) serves, and the request's transaction still answers. (PostgreSQL refuses every query
    of a transaction after an error, unless the failed read was in a savepoint.)"""
    reset_caches()
    first = get_registry()
    another_process_changes_the_table(categories)
    registry_clock.advance(10)
    with table_away(model), transaction.atomic():
        with caplog.at_level(logging.WARNING, logger="cookieconsent"):
            registry = get_registry()
        assert CookieCategory.objects.filter(slug="functional").exists()
    assert "cookieconsent: " in caplog.text
    if model is PublishedVersion:
        assert registry is first
    else:
        assert registry.lookup("_stat").slug == "functional"


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
)
def test_an_unreachable_cache_does_not_take_the_site_down(client, categories):
    """The registry needs no cache: its stamp is in the database."""
    reset_caches()
    response = client.get("/t/set/?c=analytics_c&c=necessary_c")
    assert response.status_code == 200
    assert "necessary_c" in response.cookies and "analytics_c" not in response.cookies
    assert client.get("/admin/login/").status_code == 200
    assert get_registry().lookup("_stat").slug == "analytics"


@committing  # the check runs in a worker thread, on its own database connection
async def test_async_refresh_runs_in_a_thread(categories, registry_clock):
    warm = get_registry()
    assert await registry_module.aget_registry() is warm
    registry_clock.advance(3600)  # due for a check
    assert await registry_module.aget_registry() is warm
    await sync_to_async(connections.close_all, thread_sensitive=True)()


# -- threads ------------------------------------------------------------------------------------


def run_threads(count: int, target) -> list[object]:
    results: list[object] = [None] * count

    def run(i: int) -> None:
        try:
            results[i] = target()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return results


@committing
def test_cold_threads_build_once(categories, monkeypatch):
    reset_caches()
    builds, reads = [], []

    def counting_build(generation: int = 0) -> Registry:
        builds.append(generation)
        time.sleep(0.05)  # long enough for every thread to arrive while one builds
        return build(generation)

    def counting_read() -> int:
        reads.append(1)
        return read_generation()

    monkeypatch.setattr(registry_module, "build", counting_build)
    monkeypatch.setattr(registry_module, "read_generation", counting_read)
    results = run_threads(8, get_registry)
    assert len(builds) == 1
    assert len(reads) == 1  # the others found it built when they got the lock
    assert len({id(r) for r in results}) == 1


@committing
def test_a_build_overtaken_by_a_change_is_not_kept(categories, monkeypatch):
    """A thread builds from the old generation; meanwhile staff save a change and it commits.
    The stale build must not be swapped in after the change dropped the registry."""
    reset_caches()
    built, release = threading.Event(), threading.Event()
    made: list[Registry] = []

    def slow_build(generation: int = 0) -> Registry:
        registry = build(generation)
        if threading.current_thread() is not threading.main_thread():
            made.append(registry)
            built.set()
            release.wait(10)
        return registry

    monkeypatch.setattr(registry_module, "build", slow_build)
    worker = threading.Thread(target=lambda: run_threads(1, get_registry))
    worker.start()
    assert built.wait(10)
    stat = Cookie.objects.get(name="_stat")
    stat.category = categories["functional"]
    stat.save()  # commits: raises the generation and drops this process's registry
    release.set()
    worker.join(10)
    fresh = get_registry()
    assert fresh is not made[0]
    assert fresh.generation == read_generation() > made[0].generation


# -- a transaction's own registry ---------------------------------------------------------------


class Boom(Exception):
    pass


@committing
def test_a_rolled_back_publish_leaves_no_version_in_service(client, categories):
    """A site's own atomic block (or ATOMIC_REQUESTS) around a publish that rolls back: the
    registry the publish read inside it never served anyone, and goes with it."""
    Cookie.objects.create(
        name="new_c", technology=Technology.HTTP_COOKIE, category=categories["analytics"]
    )
    with pytest.raises(Boom), transaction.atomic():
        publish_draft()
        assert get_registry().policy_version == 2  # what the transaction sees
        raise Boom
    assert get_registry().policy_version == 1
    assert client.get("/cookies/policy/").status_code == 200
    client.post("/cookies/consent/", {"action": "accept_all", "next": "/t/"})
    from cookieconsent.models import ConsentRecord

    record = ConsentRecord.objects.get()
    assert record.policy_version == 1 and record.published_version.number == 1


def test_a_tests_registry_goes_with_its_rollback(categories, django_assert_num_queries):
    """A site's tests publish in Django's TestCase, whose every test is a transaction rolled
    back: the registry a test reads is its own, and the next test never sees it, with no
    reset_caches() between them. Read again, it costs no query."""
    assert get_registry().policy_version == 1
    with pytest.raises(Boom), transaction.atomic():  # a test's savepoint
        Cookie.objects.create(
            name="new_c", technology=Technology.HTTP_COOKIE, category=categories["analytics"]
        )
        publish_draft()
        mine = get_registry()
        assert mine.policy_version == 2 and mine.lookup("new_c") is not None
        with django_assert_num_queries(0):
            assert get_registry() is mine
        with pytest.raises(Boom), transaction.atomic():  # a savepoint inside it rolls back
            Cookie.objects.filter(name="new_c").delete()
            publish_draft()
            assert get_registry().lookup("new_c") is None
            raise Boom
        assert get_registry().lookup("new_c") is not None
        raise Boom
    after = get_registry()
    assert after.policy_version == 1 and after.lookup("new_c") is None


# -- caches derived from a registry --------------------------------------------------------------


def test_the_banner_and_the_hash_follow_the_next_publish(client, categories):
    from cookieconsent import publishing
    from cookieconsent.models import CookiePolicy
    from cookieconsent.publishing import serve as serving

    before = serving.current()
    assert before is not None
    assert "Analytics" in client.get("/t/").content.decode()
    categories["analytics"].name = "Measurement"
    categories["analytics"].save()
    # The banner and the script's configuration in it name the published categories.
    assert "Measurement" not in client.get("/t/").content.decode()
    assert serving.current().hash == before.hash
    publishing.publish(CookiePolicy.objects.get(is_current=True))
    assert "Measurement" in client.get("/t/").content.decode()
    assert serving.current().hash != before.hash
