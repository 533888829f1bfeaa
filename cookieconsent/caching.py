"""The one cache type of the app: a bounded memo, and a memo per registry build.

Keys often come from visitors (cookie values, names, header values), so every memo is
bounded. When one is full it is emptied rather than evicting one entry at a time: cheaper than
an LRU, and made-up keys cannot pin it full and push real ones out for long. A memo is read as
a plain ``dict`` (``memo.get(key)``), at the cost of a dict lookup.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from typing import Generic, Protocol, TypeVar

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


class Build(Protocol):
    """What a ``PerRegistry`` keys its memos by: a registry build (``engine.registry.Registry``),
    which can be referenced weakly."""

    @property
    def stamp(self) -> str: ...


class PerRegistry(Generic[K, V]):
    """Values derived from one build of the cookie registry (a rendered banner, a consent
    cookie's verdict), kept by the module that computes them for as long as that build lives.

    A request still in flight on an old registry (an async page, which never waits for a
    build) reads its own values, however many builds came since, and cannot empty those of a
    newer one; the values go with the last reference to their build. Thread-safe enough: two
    threads may at worst compute the same value twice."""

    __slots__ = ("_memos", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._memos: dict[str, Memo[K, V]] = {}

    def of(self, build: Build) -> Memo[K, V]:
        """The memo of the registry ``build``."""
        memo = self._memos.get(build.stamp)
        if memo is None:
            memo = self._memos.setdefault(build.stamp, Memo(self.limit))
            weakref.finalize(build, self._memos.pop, build.stamp, None)
        return memo

    def clear(self) -> None:
        """Forget every value."""
        self._memos.clear()
