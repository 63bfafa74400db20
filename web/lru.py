"""A small thread-safe least-recently-used map, for the caches of rendered responses."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class LRU(Generic[V]):
    """At most ``max_items`` values; reading one makes it the most recently used."""

    def __init__(self, max_items: int) -> None:
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()
        self.max_items = max_items

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def app_lru(name: str, max_items: int) -> LRU[Any]:
    """The current app's LRU map called ``name`` (in ``app.extensions``), made on first use."""
    from flask import current_app

    extensions = current_app.extensions
    found = extensions.get(name)
    if found is None:
        found = extensions.setdefault(name, LRU(max_items))
    return found  # type: ignore[no-any-return]
