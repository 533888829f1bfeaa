#!/usr/bin/env python
"""``cookieconsent_verify`` over 1,000,000 chained consent records on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_verify python benchmarks/verify.py

Migrates the database, then (unless it already holds that many chained records) empties the
consent log and writes the records with ``COPY``, computing the chain in Python with the
app's own ``digest()``, as appends would have, and sets the chain's head. Then times
``manage.py cookieconsent_verify`` in a fresh process and reads its peak resident memory.
The target is at most 30 s; nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    sys.exit(
        "Set DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1/cc_verify"
    )

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from cookieconsent.models import ChainCheckpoint, ChainHead, ConsentRecord  # noqa: E402
from cookieconsent.models.chain import GENESIS, HASHED, digest  # noqa: E402

COLUMNS = (*HASHED, "chain_prev", "chain_hash")
ACTIONS = ("accept_all", "reject_all", "custom", "gpc")


def populate(n: int) -> None:
    """``n`` records over the last 120 days, chained in order, written with COPY."""
    print(f"Writing {n:,} chained consent records with COPY ...", flush=True)
    started = time.perf_counter()
    rng = random.Random(5)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=120)
    step = dt.timedelta(days=120) / n
    table = ConsentRecord._meta.db_table
    prev = GENESIS
    with connection.cursor() as cursor:
        for model in (ConsentRecord, ChainCheckpoint):
            cursor.execute(f"TRUNCATE {model._meta.db_table} RESTART IDENTITY")
    # The head is set once, below: moved by the trigger for each row of one COPY, its row would
    # be rewritten a million times in one transaction (and each UPDATE walks the dead ones).
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_chain")
    raw = connection.connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy,
    ):
        for i in range(n):
            action = rng.choice(ACTIONS)
            granted = ["analytics", "functional"] if action == "accept_all" else []
            refused = [] if granted else ["analytics", "functional"]
            values = (
                action,
                uuid.UUID(int=rng.getrandbits(128), version=4),
                start + step * i,
                granted,
                f"{i:064x}",
                "en",
                "/",
                1,
                refused,
                "opt-in",
                "",
                "0" * 64,
                "Mozilla/5.0 (benchmark)",
                "",
            )
            link = prev
            prev = digest(values, link)
            copy.write_row(
                [*values[:3], json.dumps(granted), *values[4:8], json.dumps(refused),
                 *values[9:], link, prev]
            )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_chain")
    last = ConsentRecord.objects.order_by("-pk").values_list("pk", flat=True).first()
    ChainHead.objects.update_or_create(id=1, defaults={"hash": prev, "record_pk": last})
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
    print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    have = ConsentRecord.objects.exclude(chain_hash=None).count()
    if have != args.records or ConsentRecord.objects.count() != have:
        populate(args.records)
    connection.close()
    started = time.perf_counter()
    with subprocess.Popen(
        [sys.executable, "-m", "django", "cookieconsent_verify", "--settings=tests.settings"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        out, err = process.stdout.read(), process.stderr.read()
        # Reaped here, not by Popen: wait4 gives that very process's peak memory.
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    print(out.strip() or err.strip())
    # Its CPU time too: on a shared machine the wall clock also counts other work's turns.
    cpu = usage.ru_utime + usage.ru_stime
    peak = f", {cpu:.1f} s of CPU, peak {usage.ru_maxrss / 1024:.0f} MiB"
    print(
        f"cookieconsent_verify over {args.records:,} records: {seconds:.1f} s "
        f"(target ≤ 30 s){peak}, exit status {process.returncode}"
    )


if __name__ == "__main__":
    main()
