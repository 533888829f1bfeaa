#!/usr/bin/env python
"""``python benchmarks/ab.py [--rev REV]``: the middleware of the working tree against the same
middleware at an earlier revision, interleaved in one process, request by request.

A change worth a point of a request is hidden by the drift between two runs of
``make bench`` (±0.5 to 1 point here); within one run, arms that alternate round by round
share that drift. Both arms are compiled from source the same way: ``signature.py``,
``consent.py`` and ``middleware.py``, read from the working tree and from
``git show REV:...``, each importing the others from its own arm; every other module is the
working tree's, shared. So it compares changes to those three modules only.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import run  # noqa: E402  (sets Django up)

#: Compiled anew in each arm, in this order; each imports those before it from its own arm.
MODULES = (
    "cookieconsent/engine/signature.py",
    "cookieconsent/engine/consent.py",
    "cookieconsent/middleware.py",
)
STARTPROJECT = run.settings.STARTPROJECT_MIDDLEWARE
#: (the visitor's cookies, or how many returning visitors take turns; request headers)
CASES: dict[str, tuple[dict[str, str] | int, dict[str, str] | None]] = {
    "undecided visitor": ({}, None),
    "undecided visitor holding _stat and prefs (expired)": (run.STALE_COOKIES, None),
    "undecided visitor, CF-IPCountry: US (opt-out)": ({}, {"CF-IPCountry": "US"}),
    "returning visitor (accept all)": (1, None),
    "20,000 different returning visitors (accept all)": (20_000, None),
}


def source(rev: str | None, path: str) -> str:
    if rev is None:
        return (ROOT / path).read_text()
    return subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def load(name: str, text: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__file__ = f"<{name}>"
    sys.modules[name] = module
    exec(compile(text, module.__file__, "exec"), module.__dict__)
    return module


def stack(label: str, rev: str | None) -> run.Stack:
    """A handler whose CookieConsentMiddleware is compiled from ``rev`` (or the working tree),
    each of ``MODULES`` importing those before it from the same place."""
    loaded: list[tuple[str, str]] = []  # (the module's name in the package, in this arm)
    for path in MODULES:
        text = source(rev, path)
        for original, name in loaded:
            text = text.replace(f"from {original} import", f"from {name} import")
        original = path.removesuffix(".py").replace("/", ".")
        name = f"ab_{label}_{original.rpartition('.')[2]}"
        module = load(name, text)
        loaded.append((original, name))
    if module.Consent.__module__ != loaded[1][1]:
        raise SystemExit(f"the middleware at {rev or 'the working tree'} has another Consent")
    return run.Stack([f"{loaded[-1][1]}.CookieConsentMiddleware", *STARTPROJECT])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", default="HEAD", help="the revision to compare with (HEAD)")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument(
        "--case", action="append", help="only the cases whose name holds this (repeatable)"
    )
    args = parser.parse_args()
    run.seed()
    arms = {args.rev: stack("before", args.rev), "working tree": stack("after", None)}
    print(f"CookieConsentMiddleware at {args.rev} and in the working tree, against a bare request")
    for label, (cookies, headers) in CASES.items():
        if args.case and not any(part in label for part in args.case):
            continue
        if isinstance(cookies, int):
            crowd = run.returning_crowd(cookies)
            call = run.Call("GET", "/four/", crowd[0], rotate=crowd if cookies > 1 else None)
        else:
            call = run.Call("GET", "/four/", cookies, headers=headers)
        sent = sorted(call.check(run.WITH_CONSENT, "200").cookies)
        if any(sorted(call.check(handler, "200").cookies) != sent for handler in arms.values()):
            raise SystemExit(f"[{label}] the arms send different cookies")
        samples = run.interleave(
            {
                "bare": lambda c=call: c.run(run.BASELINE),
                **{name: (lambda c=call, h=handler: c.run(h)) for name, handler in arms.items()},
            },
            rounds=args.rounds,
            batch=args.batch,
        )
        before, after = ((run.ratio(samples, name, "bare") - 1) * 100 for name in arms)
        print(
            f"  {label:<52} {args.rev}: {before:+.1f} %   working tree: {after:+.1f} %   "
            f"({after - before:+.1f} points; bare "
            f"{statistics.median(samples['bare']) / 1000:.1f} µs)"
        )


if __name__ == "__main__":
    main()
