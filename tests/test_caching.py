"""The one cache type: a bounded memo, and a memo per registry build."""

from __future__ import annotations

import gc
from dataclasses import dataclass

from cookieconsent.caching import Memo, PerRegistry


def test_a_memo_is_read_as_a_dict_and_empties_itself_when_full():
    memo: Memo[str, int] = Memo(limit=3)
    for n in range(3):
        assert memo.remember(f"k{n}", n) == n
    assert memo == {"k0": 0, "k1": 1, "k2": 2} and memo.get("k1") == 1
    memo.remember("k3", 3)  # full: emptied, then kept
    assert memo == {"k3": 3}
    memo.remember("k3", 4)  # a key it holds is replaced in place
    assert memo == {"k3": 4}


def test_made_up_keys_never_grow_a_memo_past_its_limit():
    memo: Memo[int, int] = Memo(limit=100)
    for n in range(10_000):
        memo.remember(n, n)
        assert len(memo) <= 100


def test_get_or_compute_computes_once():
    memo: Memo[str, list[int]] = Memo(limit=10)
    calls: list[int] = []
    first = memo.get_or_compute("a", lambda: calls.append(1) or [1])
    assert memo.get_or_compute("a", lambda: calls.append(1) or [2]) is first
    assert calls == [1]


@dataclass(frozen=True, slots=True, weakref_slot=True)
class Build:
    stamp: str


def test_a_memo_per_registry_lives_as_long_as_its_build():
    per: PerRegistry[str, int] = PerRegistry(limit=10)
    first, second = Build("1.1"), Build("2.2")
    per.of(first).remember("a", 1)
    assert per.of(first) == {"a": 1}
    assert per.of(second) == {}  # a new build: nothing derived from the old one is used
    per.of(second).remember("b", 2)
    for n in range(3, 10):  # however many builds come since, ...
        per.of(Build(f"{n}.{n}")).remember("c", n)
    # ... a request still on an old build reads its own values, and leaves the others'.
    assert per.of(first) == {"a": 1}
    assert per.of(second) == {"b": 2}
    del first
    gc.collect()
    assert list(per._memos) == ["2.2"]  # gone with the last reference to its build
    per.clear()
    assert per.of(second) == {}
    assert per.of(Build("x")).limit == 10
