#!/usr/bin/env python
"""Peak memory of exporting 1,000,000 consent records, against exporting a thousand.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench python benchmarks/export_million.py

Run ``benchmarks/stats_million.py`` first: it creates the records. Each export runs in a fresh
process (``manage.py cookieconsent_export``, and the admin's Export through the test client),
and its peak resident memory (``ru_maxrss``) is read when it ends. Constant memory means the
million-record export peaks where the thousand-record one does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    sys.exit("Set DATABASE_URL to the PostgreSQL database benchmarks/stats_million.py filled.")

ADMIN = """
import os, resource, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
import django; django.setup()
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.test.utils import setup_test_environment
setup_test_environment()
user = get_user_model().objects.get(username="bench")
with override_settings(ROOT_URLCONF="benchmarks.console_urls"):
    client = Client(); client.force_login(user)
    response = client.get("/admin/cookieconsent/consentrecord/export/", {"format": sys.argv[1],
        **({"created_at__gte": sys.argv[2]} if len(sys.argv) > 2 else {})})
    size = rows = 0
    for chunk in response.streaming_content:
        size += len(chunk); rows += chunk.count(b"\\n")
print(rows, size, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def child(args: list[str]) -> tuple[float, int, str]:
    """Run ``args``; seconds, peak RSS in KiB of that very process, and its stdout."""
    started = time.perf_counter()
    with subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
        stdout = process.stdout.read() if process.stdout else ""
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        sys.exit(f"{args[:3]} failed with status {process.returncode}")
    return time.perf_counter() - started, usage.ru_maxrss, stdout


def main() -> None:
    out = Path("/tmp/cookieconsent-export-bench")
    recent = subprocess.run(
        [
            PYTHON,
            "-c",
            "import datetime as d; print((d.datetime.now(d.timezone.utc) - "
            "d.timedelta(minutes=170)).isoformat(timespec='seconds'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print("Peak resident memory of each export process (ru_maxrss from wait4):\n")
    for label, extra in (("~1,000 records", ["--since", recent]), ("all records", [])):
        for fmt in ("csv", "jsonl"):
            target = out.with_suffix(f".{fmt}")
            seconds, peak, _ = child(
                [
                    PYTHON,
                    "manage.py",
                    "cookieconsent_export",
                    "--format",
                    fmt,
                    "--output",
                    str(target),
                    *extra,
                ]
            )
            with target.open("rb") as f:
                rows = sum(1 for _ in f) - (fmt == "csv")
            size = target.stat().st_size / 1e6
            print(
                f"  command, {fmt:<5} {label:<15} {rows:>9,} rows {size:8.1f} MB "
                f"{seconds:6.1f} s  peak {peak / 1024:6.1f} MiB"
            )
            target.unlink()
    for label, extra in (("~1,000 records", [recent.replace("T", " ")]), ("all records", [])):
        seconds, _, stdout = child([PYTHON, "-c", ADMIN, "csv", *extra])
        rows, size, peak = map(int, stdout.split())
        print(
            f"  admin,   csv   {label:<15} {rows - 1:>9,} rows {size / 1e6:8.1f} MB "
            f"{seconds:6.1f} s  peak {peak / 1024:6.1f} MiB"
        )


if __name__ == "__main__":
    main()
