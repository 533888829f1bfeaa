"""The one cache type of the app: a bounded memo, and a memo per registry build.

Keys often come from visitors (cookie values, names, header values), so every memo is
bounded. When one is full it is emptied rather than evicting one entry at a time: cheaper than
an LRU, and made-up keys cannot pin it full and push real ones out for long. A memo is read as
a plain ``dict`` (``memo.get(key)``), at the cost of a dict lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(dict[K, V]):
    """A ``dict`` of at most ``limit`` entries, emptied when a new one would not fit."""

    __slots__ = ("limit",)

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def remember(self, key: K, value: V) -> V:
        """Keep ``value`` under ``key`` and return it."""
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value

    def get_or_compute(self, key: K, compute: Callable[[], V]) -> V:
        """The value under ``key``, computed and kept on first use."""
        try:
            return self[key]
        except KeyError:
            return self.remember(key, compute())


class PerRegistry(Generic[K, V]):
    """Values derived from one build of the cookie registry (a rendered banner, a consent
    cookie's verdict), kept by the module that computes them and dropped a build later.

    The previous build's memo is kept beside the latest's: a request still in flight on the
    old registry (an async page, which never waits for a build) reads its own values, and
    cannot empty those the new registry was given as it was built. Thread-safe enough: two
    threads may at worst compute the same value twice."""

    __slots__ = ("_current", "_previous", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._current: tuple[str, Memo[K, V]] = ("", Memo(limit))
        self._previous = self._current

    def of(self, stamp: str) -> Memo[K, V]:
        """The memo of the registry build ``stamp`` (``Registry.stamp``)."""
        current = self._current
        if current[0] == stamp:
            return current[1]
        previous = self._previous
        if previous[0] == stamp:
            return previous[1]
        self._previous, self._current = current, (stamp, Memo(self.limit))
        return self._current[1]

    def clear(self) -> None:
        """Forget every value."""
        self._current = self._previous = ("", Memo(self.limit))
