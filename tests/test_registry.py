"""The compiled registry: lookups, invalidation, and the stamp other processes watch."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from cookieconsent import registry as registry_module
from cookieconsent.models import Cookie, CookieCategory, Technology
from cookieconsent.registry import STAMP_KEY, Registry, Rule, build, get_registry

pytestmark = pytest.mark.django_db


def test_exact_prefix_and_general_patterns(categories):
    analytics = categories["analytics"]
    Cookie.objects.create(category=analytics, name="_gcl_*_id")
    Cookie.objects.create(category=categories["functional"], name="_ga_special")
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
    registry = get_registry()
    assert registry.lookup("_ga_fn_1").slug == "functional"
    assert registry.lookup("_ga_other").slug == "analytics"


def test_storage_keys_are_not_cookies(categories):
    registry = get_registry()
    assert registry.lookup("ui") is None
    assert ("functional", "local_storage", "ui") in {
        (k.slug, k.technology, k.name) for k in registry.storage_keys
    }


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


def test_memo_is_bounded():
    registry = Registry()
    for n in range(registry_module._MEMO_LIMIT + 10):
        registry.lookup(f"c{n}")
    assert len(registry._memo) == 10


def test_suffix_patterns(categories):
    Cookie.objects.create(category=categories["functional"], name="*_pref")
    Cookie.objects.create(category=categories["analytics"], name="*_xpref")
    registry = get_registry()
    assert registry.lookup("theme_pref").slug == "functional"
    assert registry.lookup("a_xpref").slug == "analytics"  # the longest suffix wins
    assert registry.lookup("_pref_not") is None


def test_saving_a_cookie_rebuilds_this_process_at_once(categories):
    assert get_registry().lookup("_stat").slug == "analytics"
    stat = Cookie.objects.get(name="_stat", technology=Technology.HTTP_COOKIE)
    stat.category = categories["functional"]
    stat.save()
    assert get_registry().lookup("_stat").slug == "functional"


def test_commit_bumps_the_stamp_for_other_processes(categories, django_capture_on_commit_callbacks):
    get_registry()
    before = cache.get(STAMP_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        categories["analytics"].save()
    assert cache.get(STAMP_KEY) != before


def test_another_process_change_seen_after_the_staleness_window(categories, settings, monkeypatch):
    settings.COOKIECONSENT = {"REGISTRY_STALENESS": 5}
    now = [1000.0]
    monkeypatch.setattr(registry_module.time, "monotonic", lambda: now[0])
    first = get_registry()
    # Another process changed the table: simulate its committed change and its stamp.
    Cookie.objects.filter(name="_stat").update(category=categories["functional"])
    cache.set(STAMP_KEY, "from-another-process", None)
    now[0] += 4
    assert get_registry() is first  # within the window: no cache read, no query
    now[0] += 2
    second = get_registry()
    assert second is not first
    assert second.lookup("_stat").slug == "functional"
    assert second.stamp == "from-another-process"


def test_unchanged_stamp_keeps_the_registry(
    categories, settings, monkeypatch, django_assert_num_queries
):
    settings.COOKIECONSENT = {"REGISTRY_STALENESS": 1}
    now = [50.0]
    monkeypatch.setattr(registry_module.time, "monotonic", lambda: now[0])
    first = get_registry()
    now[0] += 10
    with django_assert_num_queries(0):
        assert get_registry() is first


async def test_async_refresh_runs_in_a_thread(categories):
    warm = get_registry()
    assert await registry_module.aget_registry() is warm
    warm.check_after = 0  # due for a check
    assert await registry_module.aget_registry() is warm
