#!/usr/bin/env python
"""The gzipped weight of what a visitor's browser downloads from cookieconsent: the script
and the stylesheet the page loads (``cookieconsent.min.js`` and ``cookieconsent.min.css``),
against their budgets (3 KB and 2 KB). ``python benchmarks/sizes.py`` (``make bench``) prints
them; ``tests/test_static_files.py`` holds the same budgets and fails the build over them."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "cookieconsent" / "static" / "cookieconsent"
#: File name → budget in bytes, gzipped.
BUDGETS = {
    "cookieconsent.min.js": 3 * 1024,
    "cookieconsent.min.css": 2 * 1024,
    "consent-mode.js": 1024,
}
#: Shipped for reading, not loaded by the page: its size is told, not judged.
SOURCES = ("cookieconsent.js", "cookieconsent.css")


def gzipped_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))


def main() -> int:
    over = 0
    for name, budget in BUDGETS.items():
        path = STATIC / name
        raw, packed = path.stat().st_size, gzipped_size(path)
        verdict = "ok" if packed <= budget else "OVER BUDGET"
        over += packed > budget
        print(f"{name:22} {raw:6} B raw  {packed:6} B gzipped  (budget {budget} B)  {verdict}")
    for name in SOURCES:
        path = STATIC / name
        raw, packed = path.stat().st_size, gzipped_size(path)
        print(f"{name:22} {raw:6} B raw  {packed:6} B gzipped  (the readable source)")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
