#!/usr/bin/env python
"""``make load``: consent POSTs from many concurrent visitors against the fluxems site served by
gunicorn (four sync workers) on a fresh PostgreSQL database and Redis.

Each visit is a new visitor: a page view (the banner), a consent POST as a browser sends it
(accept all, reject all, or a custom choice; no CSRF token, the endpoint checks the origin
headers), and a second page view
with the consent cookie. Every POST must answer 2xx or 3xx, and the database must hold exactly
one ConsentRecord per POST: the consent ids in the visitors' cookies and in the table are the
same set, none lost, none doubled; and ``cookieconsent_verify`` must find them one valid hash
chain. Loopback only; the database is created for the run and
dropped after it.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.servers import Browser, Site, fresh_site

ACTIONS = ("accept_all", "reject_all", "custom")
OPTIONAL = ("functional", "analytics")
CONSENT_COOKIE = "cookieconsent"


@dataclass
class Result:
    posts: int
    clients: int
    seconds: float = 0.0
    post_latency: list[float] = field(default_factory=list)
    page_latency: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    sent: Counter[str] = field(default_factory=Counter)
    cookie_ids: list[str] = field(default_factory=list)
    records: int = 0
    distinct_records: int = 0
    stored: Counter[str] = field(default_factory=Counter)
    missing: set[str] = field(default_factory=set)
    unexpected: set[str] = field(default_factory=set)
    #: ``manage.py cookieconsent_verify`` on the records the run wrote: "" if it failed.
    chain: str = ""

    @property
    def ok(self) -> bool:
        return (
            not self.failures
            and self.records == self.distinct_records == self.posts
            and len(set(self.cookie_ids)) == len(self.cookie_ids) == self.posts
            and not self.missing
            and not self.unexpected
            and self.stored == self.sent
            and bool(self.chain)
        )


def consent_id(value: str) -> str:
    """The consent id inside a signed consent cookie (its payload is base64 JSON)."""
    payload = value.split(":", 1)[0]
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(data["i"])


def visit(port: int, rng: random.Random, result: Result, lock: threading.Lock) -> None:
    browser = Browser(port)
    try:
        started = time.perf_counter()
        page = browser.get("/")
        page_time = time.perf_counter() - started
        if page.status != 200:
            raise RuntimeError(f"GET / answered {page.status}")
        action = rng.choice(ACTIONS)
        data = [
            ("action", action),
            ("next", "/"),
        ]
        if action == "custom":
            data += [("categories", slug) for slug in OPTIONAL if rng.random() < 0.5]
        started = time.perf_counter()
        posted = browser.post("/cookies/consent/", data)
        post_time = time.perf_counter() - started
        if not 200 <= posted.status < 400:
            raise RuntimeError(f"POST answered {posted.status}: {posted.text[:200]}")
        value = posted.set_cookies.get(CONSENT_COOKIE)
        if value is None:
            raise RuntimeError("POST set no consent cookie")
        started = time.perf_counter()
        after = browser.get("/")
        after_time = time.perf_counter() - started
        if after.status != 200 or "cookieconsent-banner" in after.text:
            raise RuntimeError(f"page after the decision: {after.status}, banner still shown?")
        with lock:
            result.post_latency.append(post_time)
            result.page_latency += [page_time, after_time]
            result.sent[action] += 1
            result.cookie_ids.append(consent_id(value))
    except Exception as exc:  # every failure is counted and reported
        with lock:
            result.failures.append(f"{type(exc).__name__}: {exc}")
    finally:
        browser.close()


def drive(port: int, posts: int, clients: int, seed: int = 5) -> Result:
    result = Result(posts=posts, clients=clients)
    lock = threading.Lock()
    shares = [posts // clients + (1 if i < posts % clients else 0) for i in range(clients)]

    def client(n: int, share: int) -> None:
        rng = random.Random(seed * 1000 + n)
        for _ in range(share):
            visit(port, rng, result, lock)

    threads = [threading.Thread(target=client, args=(n, s)) for n, s in enumerate(shares)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


def verify(site: Site, result: Result) -> None:
    rows = site.sql("SELECT consent_id::text, action FROM cookieconsent_consentrecord")
    result.records = len(rows)
    stored_ids = {str(row[0]) for row in rows}
    result.distinct_records = len(stored_ids)
    result.stored = Counter(str(row[1]) for row in rows)
    cookie_ids = set(result.cookie_ids)
    result.missing = cookie_ids - stored_ids
    result.unexpected = stored_ids - cookie_ids
    # Every record joined the one hash chain, in turn, however many workers wrote at once.
    try:
        result.chain = site.manage("cookieconsent_verify").strip()
    except RuntimeError as exc:
        result.failures.append(str(exc))


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def report(result: Result) -> None:
    requests = len(result.post_latency) + len(result.page_latency)
    print(f"\n{result.posts} consent POSTs from {result.clients} clients in {result.seconds:.1f} s")
    print(f"  throughput: {result.posts / result.seconds:7.1f} POSTs/s, "
          f"{requests / result.seconds:7.1f} requests/s (POSTs and page views)")  # fmt: skip
    for label, values in (
        ("consent POST", result.post_latency),
        ("page view", result.page_latency),
    ):
        if values:
            print(
                f"  {label:<13} n={len(values):<5} p50 {ms(statistics.median(values))}  "
                f"p99 {ms(percentile(values, 99))}  max {ms(max(values))}"
            )
    print(f"  sent:   {dict(sorted(result.sent.items()))}")
    print(f"  stored: {dict(sorted(result.stored.items()))}")
    print(
        f"  ConsentRecord rows: {result.records} ({result.distinct_records} distinct consent ids); "
        f"consent cookies: {len(result.cookie_ids)} ({len(set(result.cookie_ids))} distinct); "
        f"lost: {len(result.missing)}, unexpected: {len(result.unexpected)}"
    )
    print(f"  chain: {result.chain or 'DOES NOT VERIFY'}")
    if result.failures:
        print(f"  FAILURES: {len(result.failures)}, e.g. {Counter(result.failures).most_common(3)}")
    print(
        "  OK: every POST answered 2xx/3xx and is stored exactly once" if result.ok else "  FAILED"
    )


def run(posts: int = 2000, clients: int = 50, workers: int = 4, quiet: bool = False) -> Result:
    with fresh_site(prefix="cookieconsent_load") as site:
        port = site.serve("gunicorn", workers=workers)
        if not quiet:
            print(f"gunicorn, {workers} sync workers, on {site.database} (PostgreSQL) and Redis")
        # Every worker compiles its registry on its first request; warm them before timing.
        for _ in range(workers * 4):
            with Browser(port) as warm:
                warm.get("/")
        result = drive(port, posts, clients)
        verify(site, result)
    if not quiet:
        report(result)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 500 or not 1 <= args.posts <= 20_000:
        parser.error("keep it bounded: 1-500 clients, 1-20,000 posts")
    result = run(args.posts, args.clients, args.workers)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
