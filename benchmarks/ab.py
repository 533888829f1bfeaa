#!/usr/bin/env python
"""``python benchmarks/ab.py --rev REV [--against REV2]``: cookieconsent at one revision
against another (the working tree by default), in interleaved rounds.

A change worth a point of a request is hidden by the drift between two runs of
``make bench``; arms that alternate round by round share that drift. Each revision is checked
out with ``git worktree add --detach`` into a temporary directory (the working tree is used as
it is) and gets its own worker processes (``benchmarks/worker.py``, with ``PYTHONPATH`` set to
its tree, so they import its ``cookieconsent`` and ``example_project``). The benchmark code is
this checkout's for both, so it uses only the app's public API. For each case the rounds
alternate between the two workers, A B, B A, A B, ...; in each round a worker times its
revision's request and its own bare Django request, and reports both. The report is each
revision's median ratio to its bare request and the median of the per-round differences, in
points of a request. The checkouts are removed at exit.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.run import ROOT, SUITES, Worker, pct, ratios, selected


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


class Checkouts:
    """Detached worktrees in one temporary directory, removed on ``close()``."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="cookieconsent-ab-"))
        self.trees: list[Path] = []

    def add(self, rev: str) -> Path:
        tree = self.base / str(len(self.trees))
        git("worktree", "add", "--detach", "--quiet", str(tree), rev)
        self.trees.append(tree)
        return tree

    def close(self) -> None:
        for tree in self.trees:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False
            )
        shutil.rmtree(self.base, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", default="HEAD", help="revision A (HEAD)")
    parser.add_argument("--against", help="revision B (the working tree, as it is, by default)")
    parser.add_argument(
        "--case", action="append", help="only the cases whose name holds this (repeatable)"
    )
    parser.add_argument("--rounds", type=int, default=100, help="timed rounds per case (100)")
    parser.add_argument("--batch", type=int, default=20, help="requests per arm per round (20)")
    parser.add_argument("--warmup", type=int, default=4, help="untimed rounds first (4)")
    args = parser.parse_args()
    # A plain kill removes the checkouts too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    labels = {
        "A": f"{args.rev} ({git('rev-parse', '--short', args.rev + '^{commit}')})",
        "B": "working tree"
        if args.against is None
        else f"{args.against} ({git('rev-parse', '--short', args.against + '^{commit}')})",
    }
    checkouts = Checkouts()
    workers: dict[tuple[str, str], Worker] = {}
    try:
        trees = {
            "A": checkouts.add(args.rev),
            "B": ROOT if args.against is None else checkouts.add(args.against),
        }
        for suite in SUITES:
            for arm, tree in trees.items():
                workers[arm, suite] = Worker(suite, tree)
        print(
            f"A: {labels['A']}   B: {labels['B']}   {args.rounds} rounds x {args.batch} "
            "requests per arm, CPU time; each against its own bare request in the same round"
        )
        print(f"\n{'case':<58} {'A':>9} {'B':>9} {'B - A':>9}  bare µs (A, B)")
        for suite in SUITES:
            a, b = workers["A", suite], workers["B", suite]
            names = [n for n in a.cases if n in b.cases and "noise" not in n]
            for name in selected(names, args.case):
                seen = [w.ask("check", case=name)["app"] for w in (a, b)]
                if seen[0] != seen[1]:
                    print(f"{name:<58} skipped: A and B answer differently: {seen}")
                    continue
                rounds: dict[str, list[dict[str, float]]] = {"A": [], "B": []}
                for n in range(args.warmup + args.rounds):
                    order = ("A", "B") if n % 2 == 0 else ("B", "A")
                    for arm in order:
                        worker = workers[arm, suite]
                        got = worker.ask(
                            "round", case=name, batch=args.batch, n=n, arms=["bare", "app"]
                        )
                        if n >= args.warmup:
                            rounds[arm].append(got)
                ra, rb = ratios(rounds["A"], "app"), ratios(rounds["B"], "app")
                diff = statistics.median((y - x) * 100 for x, y in zip(ra, rb, strict=True))
                bare = (statistics.median(r["bare"] for r in rounds[arm]) / 1000 for arm in "AB")
                print(
                    f"{name:<58} {pct(statistics.median(ra)):>9} {pct(statistics.median(rb)):>9}"
                    f" {diff:>+7.1f} pt  {', '.join(f'{us:.1f}' for us in bare)}",
                    flush=True,
                )
    finally:
        for worker in workers.values():
            worker.close()
        checkouts.close()


if __name__ == "__main__":
    main()
