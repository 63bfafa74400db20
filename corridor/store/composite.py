"""One store made of two: the read-only catalog and the user layers beside it.

The web app serves a :class:`CompositeStore` of the bundled :class:`~corridor.store.MemoryStore`
and a :class:`~corridor.store.layers.LayerStore`. Each collection belongs to exactly one of
them (a layer may not take a catalog id); reads go to the owner, writes only to the layers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import shapely

from corridor import checks
from corridor.errors import InvalidParameter, NotFound, ReadOnly
from corridor.geoindex import probe
from corridor.model import CollectionMeta, Feature, Indicator, ItemsPage, ItemsQuery, NewLayer
from corridor.store.base import FeatureStore


class CompositeStore(FeatureStore):
    """``catalog`` (read-only) and ``layers`` (takes writes) as one store; the catalog's
    collections come first."""

    def __init__(self, catalog: FeatureStore, layers: FeatureStore) -> None:
        self.catalog = catalog
        self.layers = layers
        self._catalog_ids = frozenset(catalog.collection_ids())
        self.title_zh, self.title_en = catalog.title_zh, catalog.title_en
        self._version: tuple[tuple[str, str] | None, str] = (None, "")

    @property
    def catalog_ids(self) -> frozenset[str]:
        """Ids of the read-only catalog's collections."""
        return self._catalog_ids

    def _owner(self, cid: str) -> FeatureStore:
        return self.catalog if cid in self._catalog_ids else self.layers

    def refresh(self) -> None:
        self.catalog.refresh()
        self.layers.refresh()

    def check(self) -> None:
        self.catalog.check()
        self.layers.check()

    @property
    def version(self) -> str:
        parts = (self.catalog.version, self.layers.version)
        seen = self._version
        if seen[0] != parts:  # hashed once per change, not on every request
            seen = self._version = (parts, hashlib.sha256("|".join(parts).encode()).hexdigest()[:16])
        return seen[1]

    def collections(self) -> list[CollectionMeta]:
        return self.catalog.collections() + self.layers.collections()

    def collection(self, cid: str) -> CollectionMeta:
        if cid in self._catalog_ids:
            return self.catalog.collection(cid)
        try:
            return self.layers.collection(cid)
        except NotFound:
            raise NotFound(
                f"collection {checks.shown(cid)} not found; expected one of "
                f"{', '.join(m.id for m in self.collections())}") from None

    def indicators(self) -> tuple[Indicator, ...]:
        return self.catalog.indicators()

    def queryables(self, cid: str) -> dict[str, dict[str, Any]]:
        return self._owner(cid).queryables(cid)

    def get(self, cid: str, fid: str) -> Feature:
        return self._owner(cid).get(cid, fid)

    def locate(self, fid: str) -> Feature:
        try:
            return self.catalog.locate(fid)
        except NotFound:
            pass
        try:
            return self.layers.locate(fid)
        except NotFound:
            raise NotFound(f"feature id {checks.shown(fid)} not found in any collection") from None

    def features(self, cid: str, ids: Sequence[str] | None = None) -> list[Feature]:
        return self._owner(cid).features(cid, ids)

    def items(self, cid: str, query: ItemsQuery) -> ItemsPage:
        return self._owner(cid).items(cid, query)

    def within(self, cid: str, origin: shapely.Geometry, meters: float) -> list[tuple[Feature, float]]:
        return self._owner(cid).within(cid, origin, meters)

    def within_each(self, cids: Sequence[str], origin: shapely.Geometry, meters: float
                    ) -> dict[str, list[tuple[Feature, float]]]:
        prepared = probe(origin)
        out = self.catalog.within_each([c for c in cids if c in self._catalog_ids], prepared, meters)
        out.update(self.layers.within_each([c for c in cids if c not in self._catalog_ids], prepared, meters))
        return {cid: out[cid] for cid in cids}

    def nearest(self, cid: str, origin: shapely.Geometry, k: int) -> list[tuple[Feature, float]]:
        return self._owner(cid).nearest(cid, origin, k)

    def intersecting(self, cid: str, geom: shapely.Geometry, areal_only: bool = False) -> list[Feature]:
        return self._owner(cid).intersecting(cid, geom, areal_only)

    def matching_industry(self, cid: str, terms: frozenset[str]) -> list[Feature]:
        return self._owner(cid).matching_industry(cid, terms)

    def matching_name(self, cid: str, query: str) -> list[tuple[Feature, float]]:
        return self._owner(cid).matching_name(cid, query)

    # --- writes go to the layers ----------------------------------------------------------

    @property
    def writable(self) -> bool:
        return self.layers.writable

    def _layer(self, cid: str) -> FeatureStore:
        if cid in self._catalog_ids:
            raise ReadOnly(f"collection {cid!r} is part of the bundled catalog and read-only; "
                           "only user layers take edits")
        self.collection(cid)  # NotFound for an unknown id
        return self.layers

    def put_layer(self, layer: NewLayer) -> CollectionMeta:
        if layer.id in self._catalog_ids:
            raise InvalidParameter(f"layer id {layer.id!r} is taken by a bundled collection; "
                                   f"expected another name (taken: {', '.join(sorted(self._catalog_ids))})")
        return self.layers.put_layer(layer)

    def drop_layer(self, cid: str) -> None:
        self._layer(cid).drop_layer(cid)

    def create(self, cid: str, feature: Mapping[str, Any]) -> Feature:
        return self._layer(cid).create(cid, feature)

    def replace(self, cid: str, fid: str, feature: Mapping[str, Any]) -> Feature:
        return self._layer(cid).replace(cid, fid, feature)

    def delete(self, cid: str, fid: str) -> None:
        self._layer(cid).delete(cid, fid)
