"""The one cache type: a bounded memo, and a memo per registry build."""

from __future__ import annotations

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


def test_a_memo_per_registry_is_dropped_a_build_later():
    per: PerRegistry[str, int] = PerRegistry(limit=10)
    per.of("1.1").remember("a", 1)
    assert per.of("1.1") == {"a": 1}
    assert per.of("2.2") == {}  # a new build: nothing derived from the old one is used
    per.of("2.2").remember("b", 2)
    # A request still on the old build reads its own values, and leaves the new build's.
    assert per.of("1.1") == {"a": 1}
    assert per.of("2.2") == {"b": 2}
    per.of("3.3").remember("c", 3)
    assert per.of("1.1") == {}  # two builds later, the first's values are gone
    assert per.of("3.3") == {"c": 3}  # and asking for them did not empty the latest's
    per.clear()
    assert per.of("1.1") == {} and per.of("2.2") == {}
    assert per.of("x").limit == 10
