"""What a process keeps of results it built, for a repeat request: least recently used first out
once their weight passes a budget, and each kept only until the instant it holds to.

Keys carry everything a result depends on (a couple's version among it), so nothing is ever
invalidated by hand; another process keeps its own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Generic, TypeVar

V = TypeVar("V")


class Kept(Generic[V]):
    """`budget` is in the units of `weigh` (one per entry by default); an entry heavier than
    `largest` is not kept, so one result cannot empty the rest."""

    def __init__(
        self,
        budget: int,
        *,
        weigh: Callable[[V], int] = lambda _: 1,
        largest: int | None = None,
    ) -> None:
        self._budget = budget
        self._weigh = weigh
        self._largest = budget if largest is None else largest
        self._weight = 0
        self._entries: OrderedDict[Hashable, tuple[V, datetime | None, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, at: datetime) -> V | None:
        """The result kept for `key` if it still holds at `at`."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            value, until, _ = entry
            if until is not None and at >= until:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V, until: datetime | None) -> None:
        """Keeps `value` for `key` until `until` (None: until it is the least recently used)."""
        weight = self._weigh(value)
        if weight > self._largest:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (value, until, weight)
            self._weight += weight
            while self._weight > self._budget:
                self._drop(next(iter(self._entries)))

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: Hashable) -> None:
        _, _, weight = self._entries.pop(key)
        self._weight -= weight
