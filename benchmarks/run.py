#!/usr/bin/env python
"""``make bench``: what cookieconsent costs a request, against the same request to plain
Django timed in the same rounds.

Each case is timed by a worker process (``benchmarks/worker.py``) in many short rounds: a round
times a small batch of the bare request, the same with the app and, for most cases, with a
yardstick middleware doing only the work no consent middleware can avoid
(``benchmarks/middleware.py``), alternately, in an order that flips every round, by the
worker's CPU time. A case's figure is the median of its per-round ratios to the bare request
(two consecutive rounds, one in each order, taken together), so the machine's drift and the
order within a round cancel out. The cases run under the project's settings
(``startproject``'s middleware, ``benchmarks/settings.py``) and under the fluxems example's
own (``example: ...``, ``benchmarks/example_settings.py``). Then the queries of a warm request
with the app, which should be none. Targets are printed beside the figures; nothing is
asserted.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SUITES = ("project", "example")


class Worker:
    """``benchmarks/worker.py`` for one suite, importing the app from ``tree``."""

    def __init__(self, suite: str, tree: Path = ROOT) -> None:
        # Not under a PYTHONDEVMODE=1 from the environment: its checks would be timed too.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDEVMODE"}
        env["PYTHONPATH"] = str(tree)
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "worker.py"), suite],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tree,
        )
        self.suite, self.tree = suite, tree
        try:
            self.hello = self._read()
            if not Path(self.hello["cookieconsent"]).is_relative_to(tree.resolve()):
                raise SystemExit(f"the worker for {tree} imported {self.hello['cookieconsent']}")
        except BaseException:
            self.process.kill()
            self.process.wait()
            raise
        self.cases: list[str] = self.hello["cases"]

    def _read(self) -> Any:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"the {self.suite} worker for {self.tree} ended (see above)")
        return json.loads(line)

    def ask(self, op: str, **order: Any) -> Any:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"op": op, **order}) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        """End the worker: its stdin closed, it returns."""
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
            self.process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()


def paired(ratios: list[float]) -> list[float]:
    """Each two consecutive rounds (one in each order) taken together: their geometric mean."""
    pairs = [math.sqrt(a * b) for a, b in zip(ratios[0::2], ratios[1::2], strict=False)]
    return pairs or ratios


def ratios(rounds: Iterable[dict[str, float]], arm: str) -> list[float]:
    return paired([r[arm] / r["bare"] for r in rounds])


def pct(ratio: float) -> str:
    return f"{(ratio - 1) * 100:+.1f} %"


def selected(names: Iterable[str], wanted: list[str] | None) -> list[str]:
    return [n for n in names if not wanted or any(w.lower() in n.lower() for w in wanted)]


def same_cookies(answer: dict[str, Any], arms: Iterable[str]) -> bool:
    seen = [(answer[arm]["set"], answer[arm]["expired"]) for arm in arms if arm in answer]
    return all(s == seen[0] for s in seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=120, help="timed rounds per case (120)")
    parser.add_argument("--batch", type=int, default=20, help="requests per arm per round (20)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed rounds first (5)")
    parser.add_argument(
        "--case", action="append", help="only the cases whose name holds this (repeatable)"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    workers = [Worker(suite) for suite in SUITES]
    hello = workers[0].hello
    print(
        f"cookieconsent benchmark · Python {hello['python']} · Django {hello['django']} · "
        f"{os.cpu_count()} CPUs · {args.rounds} rounds x {args.batch} requests per arm · "
        "CPU time"
    )
    print(
        f"\n{'case':<58} {'bare':>9} {'with the app':>13} {'yardstick':>10}  target\n"
        f"{'':<58} {'µs':>9} {'(median ratio)':>13}"
    )
    counted: list[tuple[Worker, str]] = []
    for worker in workers:
        for name in selected(worker.cases, args.case):
            answer = worker.ask("check", case=name)
            if not same_cookies(answer, ("app", "yardstick")):
                raise SystemExit(f"[{name}] the yardstick sends other cookies: {answer}")
            target = worker.ask("target", case=name)
            for n in range(args.warmup):
                worker.ask("round", case=name, batch=args.batch, n=n)
            rounds = [
                worker.ask("round", case=name, batch=args.batch, n=n) for n in range(args.rounds)
            ]
            bare = statistics.median(r["bare"] for r in rounds) / 1000
            app = statistics.median(ratios(rounds, "app"))
            floor = (
                pct(statistics.median(ratios(rounds, "yardstick")))
                if "yardstick" in rounds[0]
                else ""
            )
            goal = ""
            if target is not None:
                goal = f"≤ {pct(target)}: {'met' if app <= target else 'MISSED'}"
            print(f"{name:<58} {bare:9.1f} {pct(app):>13} {floor:>10}  {goal}", flush=True)
            if answer["app"]["status"] == 200 and target is not None:
                counted.append((worker, name))
    if counted:
        print("\nQueries per warm request with the app (target 0):")
        for worker, name in counted:
            n = worker.ask("queries", case=name)
            print(f"  {name:<58} {n:g}   {'met' if n == 0 else 'MISSED'}")
    for worker in workers:
        worker.close()
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
