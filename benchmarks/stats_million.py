#!/usr/bin/env python
"""The Statistics page, and a search by consent ID, with 1,000,000 consent records on
PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench python benchmarks/stats_million.py

Creates the records (once; reused while the count matches) spread over the last 120 days, with
their daily counts, then times the Statistics page as a signed-in superuser through Django's
test client, against a bare Django view in the same run: short interleaved rounds, medians.
It prints the page's queries with PostgreSQL's plan for each, to show how they are indexed.
The target is at most 1 s per page; nothing is asserted.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    sys.exit(
        "Set DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1/cc_bench"
    )

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from cookieconsent.models import (  # noqa: E402
    ConsentRecord,
    CookieCategory,
    CountedDay,
    DailyCategoryChoices,
    DailyDecisions,
)

DAYS = 120


def populate(n: int) -> None:
    """``n`` records over the last DAYS days, written by PostgreSQL itself, then the counts of
    every day before today, counted from them in SQL (as ``manage.py cookieconsent_count``
    leaves them: today is counted from its records by the page)."""
    print(f"Creating {n:,} consent records and their daily counts ...", flush=True)
    started = time.perf_counter()
    records = ConsentRecord._meta.db_table
    tz = settings.TIME_ZONE
    with connection.cursor() as cursor:
        for model in (ConsentRecord, DailyDecisions, DailyCategoryChoices, CountedDay):
            cursor.execute(f"TRUNCATE {model._meta.db_table}")
        # action: accept_all 55 %, reject_all 30 %, custom 10 % (each optional category
        # granted with p = 0.5), gpc 5 %; the policy version changes 60 and 20 days ago.
        cursor.execute(
            f"""
            INSERT INTO {records} (consent_id, created_at, policy_version, snapshot_hash, granted,
                                   refused, action, page_url, ip_hash, user_agent, user_pk,
                                   language, region, regime)
            SELECT gen_random_uuid(), t, 1 + (t > now() - interval '60 days')::int
                       + (t > now() - interval '20 days')::int,
                   repeat('0', 64), g, r, a, '/', md5(i::text) || md5(i::text || 'x'),
                   'Mozilla/5.0 (benchmark)', '', 'en', '', 'opt-in'
            FROM (
                SELECT i, t, a,
                    CASE a WHEN 'accept_all' THEN '["analytics", "functional"]'::jsonb
                           WHEN 'custom' THEN (CASE WHEN c < 0.5 THEN '["functional"]'
                                                    ELSE '[]' END)::jsonb
                           ELSE '[]'::jsonb END AS g,
                    CASE a WHEN 'accept_all' THEN '[]'::jsonb
                           WHEN 'custom' THEN (CASE WHEN c < 0.5 THEN '["analytics"]'
                                                    ELSE '["analytics", "functional"]' END)::jsonb
                           ELSE '["analytics", "functional"]'::jsonb END AS r
                FROM (
                    SELECT i, now() - random() * interval '{DAYS} days' AS t, random() AS c,
                        CASE WHEN x < 0.55 THEN 'accept_all' WHEN x < 0.85 THEN 'reject_all'
                             WHEN x < 0.95 THEN 'custom' ELSE 'gpc' END AS a
                    FROM (SELECT i, random() AS x FROM generate_series(1, %s) AS i) s
                ) u
            ) v
            """,
            [n],
        )
        day = f"(created_at AT TIME ZONE '{tz}')::date"
        today = timezone.localdate()
        over = f"{records} WHERE {day} < %s"
        cursor.execute(
            f"""
            INSERT INTO {DailyDecisions._meta.db_table}
                (day, action, policy_version, region, decisions)
            SELECT {day}, action, policy_version, '', count(*) FROM {over}
            GROUP BY 1, 2, 3
            """,
            [today],
        )
        cursor.execute(
            f"""
            INSERT INTO {DailyCategoryChoices._meta.db_table}
                (day, category, policy_version, region, granted, refused)
            SELECT d, slug, v, '', sum(g), sum(r) FROM (
                SELECT {day} AS d, policy_version AS v, jsonb_array_elements_text(granted)
                       AS slug, 1 AS g, 0 AS r FROM {over}
                UNION ALL
                SELECT {day}, policy_version, jsonb_array_elements_text(refused), 0, 1
                FROM {over}
            ) e GROUP BY 1, 2, 3
            """,
            [today, today],
        )
        cursor.execute(
            f"""
            INSERT INTO {CountedDay._meta.db_table} (day, counted_at)
            SELECT DISTINCT {day}, now() FROM {over}
            """,
            [today],
        )
        cursor.execute("ANALYZE")
    print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)


def roll_up_from_nothing() -> None:
    with connection.cursor() as cursor:
        for model in (DailyDecisions, DailyCategoryChoices, CountedDay):
            cursor.execute(f"TRUNCATE {model._meta.db_table}")
    started = time.perf_counter()
    said = io.StringIO()
    call_command("cookieconsent_count", stdout=said)
    took = time.perf_counter() - started
    records = ConsentRecord.objects.count()
    print(f"{said.getvalue().strip()} ({records:,} records, {took:.1f} s)")
    started = time.perf_counter()
    said = io.StringIO()
    call_command("cookieconsent_count", stdout=said)
    took = time.perf_counter() - started
    print(f"A second roll-up: {said.getvalue().strip()} ({took * 1000:.1f} ms)")
    # The benchmark's own state again: today is counted by the page, not the tables.
    populate(ConsentRecord.objects.count())


def rounds(client: Client, urls: dict[str, str], n: int) -> dict[str, list[float]]:
    """Each URL once per round, in an order that rotates every round."""
    times: dict[str, list[float]] = {name: [] for name in urls}
    names = list(urls)
    for r in range(n):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            started = time.perf_counter()
            response = client.get(urls[name])
            times[name].append(time.perf_counter() - started)
            assert response.status_code == 200, (name, response.status_code)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument(
        "--roll-up",
        action="store_true",
        help="time counting every day from the records, with no counts yet (an upgrade from a "
        "release without them), then a second roll-up with nothing to do",
    )
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    for order, (slug, name) in enumerate(
        [("functional", "Functional"), ("analytics", "Analytics")]
    ):
        CookieCategory.objects.get_or_create(slug=slug, defaults={"name": name, "order": order})
    if ConsentRecord.objects.count() != args.records or not CountedDay.objects.exists():
        populate(args.records)
    if args.roll_up:
        roll_up_from_nothing()
        return
    print(
        f"{ConsentRecord.objects.count():,} records; {DailyDecisions.objects.count():,} rows of "
        f"daily decisions, {DailyCategoryChoices.objects.count():,} of category choices."
    )
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True}
    )
    setup_test_environment()
    with override_settings(ROOT_URLCONF="benchmarks.console_urls", ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(user)
        stats = "/admin/cookieconsent/dailydecisions/"
        records = "/admin/cookieconsent/consentrecord/"
        found = ConsentRecord.objects.order_by("?").values_list("pk", "consent_id")[:1].get()
        urls = {
            "Consent records, search by consent ID": records + f"?q={found[1]}",
            "Consent record, its page": records + f"{found[0]}/change/",
            "bare Django view": "/bare/",
            "Statistics, last 30 days per day": stats + "?period=30&by=day",
            "Statistics, last 90 days per day": stats + "?period=90&by=day",
            "Statistics, last 90 days per week": stats + "?period=90&by=week",
            "Statistics, 120 days per day (dates)": stats
            + f"?period=dates&since={timezone.localdate() - timedelta(days=119)}"
            f"&until={timezone.localdate()}&by=day",
        }
        rounds(client, urls, 3)  # warm-up
        times = rounds(client, urls, args.rounds)
        bare = statistics.median(times["bare Django view"])
        print(f"\nMedians of {args.rounds} interleaved rounds (target: at most 1 s per page):")
        for name, values in times.items():
            median = statistics.median(values)
            print(f"  {name:<40} {median * 1000:8.1f} ms   {median / bare:7.1f} x bare")
        with CaptureQueriesContext(connection) as captured:
            client.get(urls["Statistics, last 90 days per day"])
    print(
        f"\nThe 90-day page makes {len(captured)} queries; those on the counts, with their plans:"
    )
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if "cookieconsent_daily" not in sql:
                continue
            print("\n  " + sql[:300] + (" ..." if len(sql) > 300 else ""))
            cursor.execute("EXPLAIN ANALYZE " + sql)
            for (line,) in cursor.fetchall():
                print("    " + line)
    print(
        "\nThe page reads the daily counts of the days that are over (one row per day x "
        "action x policy version x region, and per day x category x version x region) and "
        "counts today from today's records. Every query on the counts filters on `day`, the "
        "first column of the index behind each table's unique constraint; while the tables "
        "hold a few hundred rows PostgreSQL rightly prefers a sequential scan, and uses that "
        "index once years of counts make it worth it."
    )


if __name__ == "__main__":
    main()
