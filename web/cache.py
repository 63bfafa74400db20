"""Bounded in-memory caches of the app: :class:`cachetools.LRUCache` behind a lock.

Every cache of rendered responses, answers and URLs is one of these, kept per app (in
``app.extensions``), never module-global, so two apps in one process (the tests make many)
never share entries. A cache is bounded by a number of entries, or by bytes when its
values are response bodies (``getsizeof``), and then by a number of entries too. Keys carry the data version they were made
from, so an import or edit makes new keys and the old entries age out.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from cachetools import LRUCache
from flask import current_app

V = TypeVar("V")


class BoundedCache(Generic[V]):
    """A least-recently-used map shared by the threads of one app.

    Parameters
    ----------
    maxsize
        The bound: a number of entries, or with ``getsizeof`` the sum of the sizes.
    getsizeof
        The size of a value (e.g. its bytes); None counts every value as 1.
    max_entries
        With ``getsizeof``, a bound on the number of entries as well (None: none but
        ``maxsize``); the least recently used entries leave first to keep both.

    Notes
    -----
    cachetools caches are not thread-safe (a read reorders the LRU list), so every access
    holds the lock. A value larger than ``maxsize`` on its own is not kept: it is served
    from :meth:`put`'s caller and made again next time.
    """

    def __init__(self, maxsize: int, getsizeof: Callable[[V], int] | None = None,
                 max_entries: int | None = None) -> None:
        self._cache: LRUCache[Hashable, V] = LRUCache(maxsize, getsizeof)
        self._max_entries = max_entries
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        """The value under ``key`` (now the most recently used), or None."""
        with self._lock:
            return self._cache.get(key)

    def put(self, key: Hashable, value: V) -> None:
        """Keep ``value`` under ``key``, dropping the least recently used entries to fit."""
        with self._lock:
            try:
                self._cache[key] = value
            except ValueError:  # larger than the whole cache: not kept
                return
            if self._max_entries is not None:
                while len(self._cache) > self._max_entries:
                    self._cache.popitem()  # the least recently used

    @property
    def maxsize(self) -> float:
        """The bound (entries, or bytes with ``getsizeof``)."""
        return self._cache.maxsize

    @property
    def max_entries(self) -> int | None:
        """The bound on the number of entries besides :attr:`maxsize`, if any."""
        return self._max_entries

    @property
    def currsize(self) -> float:
        """What is held now, in the unit of :attr:`maxsize`."""
        with self._lock:
            return self._cache.currsize

    def __len__(self) -> int:
        with self._lock:
            return len(self._cache)


def app_cache(name: str, maxsize: int, getsizeof: Callable[[Any], int] | None = None,
              max_entries: int | None = None) -> BoundedCache[Any]:
    """The current app's cache called ``name`` (in ``app.extensions``), made on first use.

    Parameters
    ----------
    name
        The extension key, e.g. ``"corridor_tiles"``.
    maxsize, getsizeof, max_entries
        As :class:`BoundedCache` takes them; used only when the cache is made.
    """
    extensions = current_app.extensions
    found = extensions.get(name)
    if found is None:
        # setdefault: two threads making it at once keep the same one
        found = extensions.setdefault(name, BoundedCache(maxsize, getsizeof, max_entries))
    return found  # type: ignore[no-any-return]
