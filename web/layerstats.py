"""Layer statistics (:mod:`corridor.stats`) for the API and the pages, computed once per data
version: the API's statistics resource, the park profiles and comparison, and the indicators
page all read them from here.
"""

from __future__ import annotations

from corridor.model import USER_GROUP, CollectionMeta
from corridor.stats import LayerStatistics, layer_statistics
from corridor.store import FeatureStore
from web.cache import BoundedCache, app_cache

#: Statistics kept per app (each a few hundred bytes: one count per zone).
MAX_STATISTICS = 1024


def statistics(store: FeatureStore, cid: str, by: str, km: object = None) -> LayerStatistics:
    """:func:`corridor.stats.layer_statistics`, cached on the app per store version.

    Raises
    ------
    NotFound, InvalidParameter
        As :func:`~corridor.stats.layer_statistics` does (errors are not cached).
    """
    key = (store.version, cid, by, None if km is None else str(km))
    cache: BoundedCache[LayerStatistics] = app_cache("corridor_layer_statistics", MAX_STATISTICS)
    hit = cache.get(key)
    if hit is None:
        hit = layer_statistics(store, cid, by, km)
        cache.put(key, hit)
    return hit


def user_layers(store: FeatureStore) -> list[CollectionMeta]:
    """The layers users brought (group ``user``), in display order."""
    return [m for m in store.collections() if m.group == USER_GROUP]


def park_counts(store: FeatureStore) -> list[tuple[CollectionMeta, LayerStatistics]]:
    """Each user layer with its counts per park (empty when there are no user layers)."""
    return [(m, statistics(store, m.id, "park")) for m in user_layers(store)]
