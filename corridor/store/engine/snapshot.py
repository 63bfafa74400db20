"""One layer of the in-process engine as it is at one version: the features, serialised once,
with one :class:`~corridor.geoindex.GeodesicIndex` and the attribute lookups over them; and
every question the store contract asks of one collection, answered from them.

A bundled collection has one snapshot for the life of the process; a user layer gets a new
one on the first read after each change (:mod:`corridor.store.engine.gpkglayer`). Nothing
in a snapshot is mutated after it is built, so readers need no lock.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from functools import cached_property
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from corridor.geoindex import GeodesicIndex, Probe
from corridor.model import CollectionMeta, Feature, ItemsPage, ItemsQuery
from corridor.store.attributes import Attributes

IntArray = NDArray[np.intp]


def feature_json(fid: str, geometry: dict[str, Any] | None, properties: dict[str, Any]) -> bytes:
    """The GeoJSON Feature text of one feature, in the layout :class:`Feature` documents."""
    return json.dumps({"type": "Feature", "id": fid, "geometry": geometry, "properties": properties},
                      ensure_ascii=False, separators=(",", ":")).encode()


class Snapshot:
    """The features of one collection at one version, indexed.

    Parameters
    ----------
    meta
        The collection's metadata; its ``count`` and ``extent`` are filled in here.
    features
        Every feature, in data order (a user layer: row order). Those without a geometry
        (location not published) are listed but never found by a spatial question.
    queryables
        The collection's queryables when they are declared (a user layer's column types);
        None: inferred from the values.
    """

    def __init__(self, meta: CollectionMeta, features: list[Feature],
                 queryables: dict[str, dict[str, Any]] | None = None) -> None:
        self.features = features
        self.positions = {f.id: i for i, f in enumerate(features)}
        geoms = np.empty(len(features), dtype=object)
        geoms[:] = [f.geometry for f in features]
        #: Position in ``features`` of each item of ``index``.
        self.placed: IntArray = np.flatnonzero(~shapely.is_missing(geoms)).astype(np.intp)
        placed = geoms[self.placed]
        self.index = GeodesicIndex(placed)
        self.areal = shapely.get_dimensions(placed) == 2 if len(placed) else np.zeros(0, dtype=bool)
        self._queryables = queryables
        self.meta = replace(meta, count=len(features),
                            extent=self.index.bounds if len(placed) else None)

    @cached_property
    def attrs(self) -> Attributes:
        """The attribute lookups (built on the first attribute question: a user layer that
        is only paged and mapped never pays for them)."""
        return Attributes.build(self.features, self.meta.geometry_types)

    @property
    def queryables(self) -> dict[str, dict[str, Any]]:
        return self.attrs.queryables if self._queryables is None else self._queryables

    # --- the questions of one collection --------------------------------------------------

    def get(self, fid: str) -> Feature | None:
        pos = self.positions.get(fid)
        return None if pos is None else self.features[pos]

    def pick(self, ids: Sequence[str] | None) -> list[Feature]:
        if ids is None:
            return list(self.features)
        return [self.features[self.positions[i]] for i in ids if i in self.positions]

    def in_box(self, box: tuple[float, float, float, float]) -> IntArray:
        return self.placed[self.index.in_box(*box)]

    def items(self, query: ItemsQuery) -> ItemsPage:
        lo, hi = query.offset, query.offset + query.limit
        if query.bbox is not None and query.near is None and not query.asks_attributes:
            # the commonest query (a map view, a client's paging): count, and find the page
            # without gathering every match
            matched, first = self.index.box_page(*query.bbox, hi)
            return ItemsPage(matched, [self.features[p] for p in self.placed[first[lo:hi]].tolist()])
        sel = self.select(query)
        if query.near is not None:
            assert query.near_m is not None
            pos, d = self.within_positions(query.near, query.near_m)
            keep = pos != self.positions.get(query.near_id or "", -1)
            if sel is not None:
                keep &= np.isin(pos, sel)
            pos, d = pos[keep], d[keep]
            return ItemsPage(len(pos), [self.features[p] for p in pos[lo:hi]],
                             [float(x) / 1000.0 for x in d[lo:hi]])
        if sel is None:
            return ItemsPage(len(self.features), self.features[lo:hi])
        return ItemsPage(len(sel), [self.features[p] for p in sel[lo:hi]])

    def select(self, q: ItemsQuery) -> IntArray | None:
        """Ascending positions matching every criterion but ``near`` (None: all of them)."""
        if not q.asks_attributes:
            return None if q.bbox is None else self.in_box(q.bbox)
        return self.attrs.select(q, self.in_box)

    def within_positions(self, origin: shapely.Geometry | Probe, meters: float
                         ) -> tuple[IntArray, NDArray[np.float64]]:
        pos, d = self.index.within(origin, meters, distances=True)
        assert d is not None
        return self.placed[pos], d

    def within(self, origin: shapely.Geometry | Probe, meters: float) -> list[tuple[Feature, float]]:
        pos, d = self.within_positions(origin, meters)
        return [(self.features[p], float(x)) for p, x in zip(pos, d)]

    def nearest(self, origin: shapely.Geometry, k: int) -> list[tuple[Feature, float]]:
        if not len(self.placed):
            return []
        pos, d = self.index.nearest(origin, min(k, len(self.placed)))
        return [(self.features[p], float(x)) for p, x in zip(self.placed[pos], d)]

    def intersecting(self, geom: shapely.Geometry, areal_only: bool = False) -> list[Feature]:
        pos = self.index.intersecting(geom)
        if areal_only:
            pos = pos[self.areal[pos]]
        return [self.features[p] for p in self.placed[pos]]

    def matching_industry(self, terms: frozenset[str]) -> list[Feature]:
        return [self.features[p] for p in self.attrs.industry_positions(terms)]

    def matching_name(self, query: str) -> list[tuple[Feature, float]]:
        return [(self.features[i], score) for i, score in self.attrs.matching_name(query)]
