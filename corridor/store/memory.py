"""The in-memory store of the bundled data: everything derivable is computed once, at load.

For each collection, loading builds

- each feature's GeoJSON text (:attr:`corridor.model.Feature.json`), so an items response is
  assembled from ready bytes;
- one :class:`~corridor.geoindex.GeodesicIndex` (metric STRtree + exact geodesic
  refinement), which answers distance, nearest, bbox and intersection questions;
- its :class:`~corridor.store.attributes.Attributes`: the queryables and a column of values
  per queryable (equality is one vectorised compare), normalised names, an industry-term
  index, and a GeoDataFrame used only to evaluate CQL2 filters with pygeofilter.

Requests then only read these structures; nothing is mutated after load.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import shape

from corridor import checks
from corridor.errors import NotFound
from corridor.geoindex import GeodesicIndex, Probe, probe
from corridor.indicators import check_indicator
from corridor.model import CollectionMeta, Feature, Indicator, ItemsPage, ItemsQuery
from corridor.store.attributes import Attributes
from corridor.store.base import FeatureStore
from corridor.store.geodata import CollectionFile, read_geodata

IntArray = NDArray[np.intp]


def feature_json(fid: str, geometry: dict[str, Any], properties: dict[str, Any]) -> bytes:
    """The GeoJSON Feature text of one feature, in the layout :class:`Feature` documents."""
    return _dumps({"type": "Feature", "id": fid, "geometry": geometry, "properties": properties})


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class _Collection:
    meta: CollectionMeta
    attrs: Attributes
    index: GeodesicIndex
    #: Position in ``attrs.features`` of each item of ``index`` (features whose location is
    #: not published have no geometry and are not indexed).
    placed: IntArray
    areal: NDArray[np.bool_]

    @property
    def features(self) -> list[Feature]:
        return self.attrs.features

    @property
    def positions(self) -> dict[str, int]:
        return self.attrs.positions

    def in_box(self, box: tuple[float, float, float, float]) -> IntArray:
        return self.placed[self.index.in_box(*box)]


class MemoryStore(FeatureStore):
    """Collections held in memory, indexed and serialised once at construction.

    Use :meth:`load` to read a geodata directory.
    """

    def __init__(self, collections: list[_Collection], indicators: tuple[Indicator, ...],
                 version: str) -> None:
        self._collections = {c.meta.id: c for c in collections}
        self._metas = [c.meta for c in collections]
        self._indicators = indicators
        self._version = version
        self._home = {f.id: c.meta.id for c in collections for f in c.features}

    @classmethod
    def load(cls, geodata_dir: Path | str | None = None) -> MemoryStore:
        """Read, validate and index a geodata directory (default: the bundled data).

        Raises
        ------
        DataError
            If a file is missing, unreadable or fails validation.
        """
        data = read_geodata(geodata_dir)
        return cls([_build(cf) for cf in data.collections], data.indicators, data.digest)

    @classmethod
    def from_features(
        cls, collections: Sequence[tuple[dict[str, Any], list[dict[str, Any]]]],
        indicators: tuple[Indicator, ...] = (),
    ) -> MemoryStore:
        """A store over GeoJSON features already in memory, one ``(entry, features)`` pair a
        collection (``entry`` as in ``collections.toml``: id, group, roles, geometry, titles).

        Features are not validated against :mod:`corridor.schema`: this is for callers that
        built or checked them (tests, benchmarks, importers). Ids must be unique, and an
        entry's ``indicator`` must name one of ``indicators``
        (:func:`corridor.indicators.check_indicator`; the id is kept).

        Raises
        ------
        ValueError
            If an id is used twice.
        InvalidParameter
            If an ``indicator`` tag names none of ``indicators``.
        """
        built, digest, seen = [], hashlib.sha256(), set()
        for entry, feats in collections:
            if entry.get("indicator") is not None:
                entry = {**entry, "indicator": check_indicator(indicators, entry["indicator"]).id}
            raw = _dumps([entry, feats])
            digest.update(raw)
            for f in feats:
                if f["properties"]["id"] in seen:
                    raise ValueError(f"duplicate feature id {f['properties']['id']!r}")
                seen.add(f["properties"]["id"])
            geoms = [None if f["geometry"] is None else shape(f["geometry"]) for f in feats]
            built.append(_build(CollectionFile(entry, Path("<memory>"), feats, geoms,
                                               hashlib.sha256(raw).hexdigest()[:16])))
        return cls(built, indicators, digest.hexdigest()[:16])

    # --- metadata -------------------------------------------------------------------------

    @property
    def version(self) -> str:
        return self._version

    def collections(self) -> list[CollectionMeta]:
        return list(self._metas)

    def collection(self, cid: str) -> CollectionMeta:
        return self._get(cid).meta

    def indicators(self) -> tuple[Indicator, ...]:
        return self._indicators

    def queryables(self, cid: str) -> dict[str, dict[str, Any]]:
        return self._get(cid).attrs.queryables

    def _get(self, cid: str) -> _Collection:
        try:
            return self._collections[cid]
        except KeyError:
            raise NotFound(
                f"collection {checks.shown(cid)} not found; expected one of {', '.join(self._collections)}"
            ) from None

    # --- features -------------------------------------------------------------------------

    def get(self, cid: str, fid: str) -> Feature:
        c = self._get(cid)
        pos = c.positions.get(fid)
        if pos is None:
            raise NotFound(
                f"feature {checks.shown(fid)} not found in collection {cid!r}; "
                f"expected one of its {len(c.features)} feature ids"
            )
        return c.features[pos]

    def locate(self, fid: str) -> Feature:
        cid = self._home.get(fid)
        if cid is None:
            raise NotFound(f"feature id {checks.shown(fid)} not found in any collection")
        return self.get(cid, fid)

    def features(self, cid: str, ids: Sequence[str] | None = None) -> list[Feature]:
        c = self._get(cid)
        if ids is None:
            return list(c.features)
        return [c.features[c.positions[i]] for i in ids if i in c.positions]

    def items(self, cid: str, query: ItemsQuery) -> ItemsPage:
        c = self._get(cid)
        lo, hi = query.offset, query.offset + query.limit
        if query.bbox is not None and query.near is None and not query.asks_attributes:
            # the commonest query (a map view, a client's paging): count, and find the page
            # without gathering every match
            matched, first = c.index.box_page(*query.bbox, hi)
            features = c.features
            return ItemsPage(matched, [features[p] for p in c.placed[first[lo:hi]].tolist()])
        sel = self._select(c, query)
        if query.near is not None:
            assert query.near_m is not None
            pos, d = _within(c, query.near, query.near_m)
            keep = pos != c.positions.get(query.near_id or "", -1)
            if sel is not None:
                keep &= np.isin(pos, sel)
            pos, d = pos[keep], d[keep]
            return ItemsPage(len(pos), [c.features[p] for p in pos[lo:hi]],
                             [float(x) / 1000.0 for x in d[lo:hi]])
        if sel is None:
            return ItemsPage(len(c.features), c.features[lo:hi])
        return ItemsPage(len(sel), [c.features[p] for p in sel[lo:hi]])

    def _select(self, c: _Collection, q: ItemsQuery) -> IntArray | None:
        """Ascending positions matching every criterion but ``near`` (None: all of them)."""
        return c.attrs.select(q, c.in_box)

    # --- spatial and text primitives ------------------------------------------------------

    def within(self, cid: str, origin: shapely.Geometry | Probe, meters: float) -> list[tuple[Feature, float]]:
        c = self._get(cid)
        pos, d = _within(c, origin, meters)
        return [(c.features[p], float(x)) for p, x in zip(pos, d)]

    def within_each(
        self, cids: Sequence[str], origin: shapely.Geometry, meters: float
    ) -> dict[str, list[tuple[Feature, float]]]:
        prepared = probe(origin)  # projected once for every collection
        return {cid: self.within(cid, prepared, meters) for cid in cids}

    def nearest(self, cid: str, origin: shapely.Geometry, k: int) -> list[tuple[Feature, float]]:
        c = self._get(cid)
        if not c.features:
            return []
        if not len(c.placed):
            return []
        pos, d = c.index.nearest(origin, min(k, len(c.placed)))
        pos = c.placed[pos]
        return [(c.features[p], float(x)) for p, x in zip(pos, d)]

    def intersecting(self, cid: str, geom: shapely.Geometry, areal_only: bool = False) -> list[Feature]:
        c = self._get(cid)
        pos = c.index.intersecting(geom)
        if areal_only:
            pos = pos[c.areal[pos]]
        pos = c.placed[pos]
        return [c.features[p] for p in pos]

    def matching_industry(self, cid: str, terms: frozenset[str]) -> list[Feature]:
        c = self._get(cid)
        return [c.features[p] for p in c.attrs.industry_positions(terms)]

    def matching_name(self, cid: str, query: str) -> list[tuple[Feature, float]]:
        c = self._get(cid)
        return [(c.features[i], score) for i, score in c.attrs.matching_name(query)]


def _within(c: _Collection, origin: shapely.Geometry | Probe, meters: float) -> tuple[IntArray, NDArray[np.float64]]:
    pos, d = c.index.within(origin, meters, distances=True)
    assert d is not None
    return c.placed[pos], d


# --- building a collection once -------------------------------------------------------------


def _build(cf: CollectionFile) -> _Collection:
    entry = cf.entry
    cid = entry["id"]
    props_list = [{k: v for k, v in f["properties"].items() if v is not None} for f in cf.features]
    ids = [p["id"] for p in props_list]
    all_geoms = np.asarray(cf.geometries, dtype=object) if cf.geometries else np.zeros(0, dtype=object)
    placed = np.flatnonzero([g is not None for g in all_geoms]).astype(np.intp)
    geoms = all_geoms[placed] if len(placed) else np.zeros(0, dtype=object)
    features = [
        Feature(cid, fid, props, g, feature_json(fid, f["geometry"], props))
        for fid, props, g, f in zip(ids, props_list, cf.geometries, cf.features)
    ]
    index = GeodesicIndex(geoms)
    geometry_types = tuple(entry.get("geometry") or _types(geoms))
    meta = CollectionMeta(
        id=cid, group=entry.get("group", "plan"), title_zh=entry.get("title_zh", cid),
        title_en=entry.get("title_en", cid), description_zh=entry.get("description_zh", ""),
        description_en=entry.get("description_en", ""),
        geometry_types=geometry_types,
        roles=frozenset(entry.get("roles", [])),
        count=len(features), extent=index.bounds if len(geoms) else None, version=cf.digest,
        indicator=entry.get("indicator"),
    )
    return _Collection(
        meta=meta,
        attrs=Attributes.build(features, geometry_types),
        index=index,
        placed=placed,
        areal=shapely.get_dimensions(geoms) == 2 if len(geoms) else np.zeros(0, dtype=bool),
    )


def _types(geoms: NDArray[np.object_]) -> tuple[str, ...]:
    return tuple(sorted({g.geom_type for g in geoms}))
