"""The in-process engine: the bundled catalog as read-only layers and the user layers as
editable ones, every question answered by one implementation
(:class:`~corridor.store.engine.snapshot.Snapshot`).

Loading reads, validates, indexes and serialises the catalog once; the user layers'
GeoPackage files are kept up to date by :class:`~corridor.store.engine.gpkglayer.LayerDir`.
Requests only read snapshots, which are never mutated.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import shapely
from cachetools import LRUCache
from shapely.geometry import shape

from corridor import checks, tiles, yearcount
from corridor.errors import NotFound, ReadOnly
from corridor.geoindex import Probe, probe
from corridor.indicators import check_indicator
from corridor.model import (
    CollectionMeta,
    Feature,
    Indicator,
    ItemsPage,
    ItemsQuery,
    NewLayer,
    VectorTile,
)
from corridor.reach import Reach, reach_on_graph
from corridor.roads import RoadGraph, build_graph
from corridor.store.base import FeatureStore
from corridor.store.engine.gpkglayer import LayerDir
from corridor.store.engine.joint import JointIndex
from corridor.store.engine.snapshot import Snapshot, feature_json
from corridor.store.geodata import read_geodata
from corridor.yearcount import Candidate, Tally

#: Road graphs an engine keeps (one per network version): at most this many, and at most
#: :data:`GRAPH_BYTES` of them (a graph larger than that is built for each reach, not kept).
GRAPHS_KEPT = 4
GRAPH_BYTES = 512 * 1024 * 1024


def _graph_size(graph: RoadGraph) -> int:
    """A graph's weight in the graph cache: its bytes, but at least a ``GRAPHS_KEPT``-th of
    the budget, so that the cache holds at most ``GRAPHS_KEPT`` graphs."""
    return max(graph.nbytes, GRAPH_BYTES // GRAPHS_KEPT)


class Engine(FeatureStore):
    """Read-only catalog layers and, given a directory, editable user layers, as one store.

    Use :meth:`open` (catalog and layers, as the service runs), :meth:`load` (the catalog
    alone), :meth:`from_features` (collections built in memory) or :meth:`user_layers`
    (layers alone).
    """

    def __init__(self, catalog: Sequence[Snapshot], indicators: Sequence[Indicator],
                 catalog_version: str, layers: LayerDir | None = None) -> None:
        self._catalog = {s.meta.id: s for s in catalog}
        #: The small catalog collections as one index, for near questions over many.
        self._joint = JointIndex(catalog)
        self._metas = [s.meta for s in catalog]
        self._indicators = tuple(indicators)
        self._catalog_version = catalog_version
        self._layers = layers
        self._home = {f.id: s.meta.id for s in catalog for f in s.features}
        self._version: tuple[tuple[str, str] | None, str] = (None, catalog_version)
        #: Road graphs by (network, version): built once per version, a few kept.
        self._graphs: LRUCache[tuple[str, str], RoadGraph] = LRUCache(
            maxsize=GRAPH_BYTES, getsizeof=_graph_size)
        self._graph_lock = threading.Lock()

    @classmethod
    def open(cls, geodata_dir: Path | str | None = None, layers_dir: Path | str | None = None,
             *, lazy: bool = False) -> Engine:
        """The bundled catalog of ``geodata_dir`` (default: the bundled data) and the user
        layers under ``layers_dir`` (none when None; ``lazy`` loads a layer on first read).

        Raises
        ------
        DataError
            If a geodata file is missing, unreadable or fails validation.
        """
        data = read_geodata(geodata_dir)
        layers = None if layers_dir is None else LayerDir(layers_dir, data.indicators, lazy=lazy)
        return cls([_catalog_layer(cf.entry, cf.features, cf.geometries, cf.digest)
                    for cf in data.collections], data.indicators, data.digest, layers)

    @classmethod
    def load(cls, geodata_dir: Path | str | None = None) -> Engine:
        """The catalog of ``geodata_dir`` alone (it takes no writes).

        Raises
        ------
        DataError
            If a geodata file is missing, unreadable or fails validation.
        """
        return cls.open(geodata_dir)

    @classmethod
    def user_layers(cls, root: Path | str, indicators: Sequence[Indicator] = (),
                    lazy: bool = False) -> Engine:
        """The user layers under ``root`` alone (no catalog)."""
        return cls([], indicators, "", LayerDir(root, indicators, lazy=lazy))

    @classmethod
    def from_features(
        cls, collections: Sequence[tuple[dict[str, Any], list[dict[str, Any]]]],
        indicators: tuple[Indicator, ...] = (), layers_dir: Path | str | None = None,
    ) -> Engine:
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
            raw = json.dumps([entry, feats], ensure_ascii=False, separators=(",", ":")).encode()
            digest.update(raw)
            for f in feats:
                if f["properties"]["id"] in seen:
                    raise ValueError(f"duplicate feature id {f['properties']['id']!r}")
                seen.add(f["properties"]["id"])
            geoms = [None if f["geometry"] is None else shape(f["geometry"]) for f in feats]
            built.append(_catalog_layer(entry, feats, geoms, hashlib.sha256(raw).hexdigest()[:16]))
        layers = None if layers_dir is None else LayerDir(layers_dir, indicators)
        return cls(built, indicators, digest.hexdigest()[:16], layers)

    # --- metadata -------------------------------------------------------------------------

    @property
    def version(self) -> str:
        if self._layers is None:
            return self._catalog_version
        parts = (self._catalog_version, self._layers.version)
        seen = self._version
        if seen[0] != parts:  # hashed once per change, not on every request
            seen = self._version = (parts, hashlib.sha256("|".join(parts).encode()).hexdigest()[:16])
        return seen[1]

    def refresh(self) -> None:
        if self._layers is not None:
            self._layers.refresh()

    def check(self) -> None:
        if self._layers is not None:
            self._layers.check()

    def collections(self) -> list[CollectionMeta]:
        if self._layers is None:
            return list(self._metas)
        return self._metas + [self._layers.snapshot(n).meta for n in self._layers.names()]

    def collection(self, cid: str) -> CollectionMeta:
        return self._snap(cid).meta

    def indicators(self) -> tuple[Indicator, ...]:
        return self._indicators

    def queryables(self, cid: str) -> dict[str, dict[str, Any]]:
        return self._snap(cid).queryables

    def provenance(self, cid: str) -> dict[str, str]:
        if cid in self._catalog or self._layers is None:
            self._snap(cid)  # NotFound for an unknown id
            return {"source": "", "imported": ""}
        self._snap(cid)
        return self._layers.provenance(cid)

    def _snap(self, cid: str) -> Snapshot:
        snap = self._catalog.get(cid)
        if snap is not None:
            return snap
        if self._layers is not None and cid in self._layers:
            try:
                return self._layers.snapshot(cid)
            except NotFound:  # removed since the last refresh
                pass
        raise NotFound(f"collection {checks.shown(cid)} not found; expected one of "
                       f"{', '.join(m.id for m in self.collections()) or '(none stored)'}")

    # --- features -------------------------------------------------------------------------

    def get(self, cid: str, fid: str) -> Feature:
        snap = self._snap(cid)
        feat = snap.get(fid)
        if feat is None:
            raise NotFound(f"feature {checks.shown(fid)} not found in collection {cid!r}; "
                           f"expected one of its {len(snap.features)} feature ids")
        return feat

    def locate(self, fid: str) -> Feature:
        cid = self._home.get(fid)
        if cid is not None:
            return self.get(cid, fid)
        if self._layers is not None:
            for name in self._layers.names():
                feat = self._snap(name).get(fid)
                if feat is not None:
                    return feat
        raise NotFound(f"feature id {checks.shown(fid)} not found in any collection")

    def features(self, cid: str, ids: Sequence[str] | None = None) -> list[Feature]:
        return self._snap(cid).pick(ids)

    def items(self, cid: str, query: ItemsQuery) -> ItemsPage:
        return self._snap(cid).items(query)

    # --- spatial and text primitives ------------------------------------------------------

    def within(self, cid: str, origin: shapely.Geometry | Probe, meters: float) -> list[tuple[Feature, float]]:
        return self._snap(cid).within(origin, meters)

    def within_each(self, cids: Sequence[str], origin: shapely.Geometry, meters: float
                    ) -> dict[str, list[tuple[Feature, float]]]:
        prepared = probe(origin)  # projected once for every collection
        joint: dict[str, list[tuple[Feature, float]]] = {}
        if prepared.lonlat is not None and sum(cid in self._joint.cids for cid in cids) > 1:
            joint = self._joint.within(prepared, meters, cids)  # one query for all of them
        return {cid: joint[cid] if cid in joint else self._snap(cid).within(prepared, meters)
                for cid in cids}

    def nearest(self, cid: str, origin: shapely.Geometry, k: int) -> list[tuple[Feature, float]]:
        return self._snap(cid).nearest(origin, k)

    def intersecting(self, cid: str, geom: shapely.Geometry, areal_only: bool = False) -> list[Feature]:
        return self._snap(cid).intersecting(geom, areal_only)

    def matching_industry(self, cid: str, terms: frozenset[str]) -> list[Feature]:
        return self._snap(cid).matching_industry(terms)

    def matching_name(self, cid: str, query: str) -> list[tuple[Feature, float]]:
        return self._snap(cid).matching_name(query)

    def _year_tallies(self, cid: str, cands: Sequence[Candidate]) -> dict[Candidate, Tally]:
        props = [f.properties for f in self._snap(cid).features]
        return {c: yearcount.tally((p.get(c.name) for p in props), c.kind) for c in cands}

    def tile(self, cid: str, z: int, x: int, y: int) -> VectorTile:
        snap = self._snap(cid)
        index = tiles.parse_tile(z, x, y)
        if snap.meta.count == 0 or snap.meta.extent is None:
            return VectorTile(b"", 0, 0, False)
        page = snap.items(ItemsQuery(bbox=tiles.lonlat_box(index), limit=snap.meta.count))
        return tiles.encode_features(cid, page.features, index)

    # --- reach ------------------------------------------------------------------------------

    def graph(self, cid: str) -> RoadGraph:
        """The road graph of network ``cid`` as it is now (built on first use per version)."""
        snap = self._snap(cid)
        key = (cid, snap.meta.version)
        with self._graph_lock:  # one build per version, even when requests race
            graph = self._graphs.get(key)
            if graph is None:
                graph = build_graph((f.geometry, f.properties) for f in snap.features)
                if graph.nbytes <= GRAPH_BYTES:
                    self._graphs[key] = graph
        return graph

    def _reach(self, meta: CollectionMeta, origin: tuple[float, float], minutes: float,
               mode: str) -> Reach:
        return reach_on_graph(self.graph(meta.id), meta.id, origin, minutes, mode)

    # --- transactions (the read-only rule is the base class's) -------------------------------

    def _read_only(self, cid: str) -> bool:
        return cid in self._catalog

    def _dir(self) -> LayerDir:
        if self._layers is None:
            raise ReadOnly("this store keeps no user layers (it was opened without a layers "
                           "directory); expected a store with one")
        return self._layers

    def _put_layer(self, layer: NewLayer) -> CollectionMeta:
        return self._dir().put_layer(layer)

    def _drop_layer(self, cid: str) -> None:
        self._dir().drop_layer(cid)

    def _create(self, cid: str, feature: Mapping[str, Any]) -> Feature:
        return self._dir().create(cid, feature)

    def _replace(self, cid: str, fid: str, feature: Mapping[str, Any]) -> Feature:
        return self._dir().replace(cid, fid, feature)

    def _delete(self, cid: str, fid: str) -> None:
        self._dir().delete(cid, fid)


def _catalog_layer(entry: dict[str, Any], raw: list[dict[str, Any]],
                   geometries: Sequence[shapely.Geometry | None], digest: str) -> Snapshot:
    """One bundled collection as a read-only layer: its features serialised once, indexed."""
    cid = entry["id"]
    features = []
    for f, g in zip(raw, geometries):
        props = {k: v for k, v in f["properties"].items() if v is not None}
        features.append(Feature(cid, props["id"], props, g, feature_json(props["id"], f["geometry"], props)))
    placed = [g for g in geometries if g is not None]
    meta = CollectionMeta(
        id=cid, group=entry.get("group", "plan"), title_zh=entry.get("title_zh", cid),
        title_en=entry.get("title_en", cid), description_zh=entry.get("description_zh", ""),
        description_en=entry.get("description_en", ""),
        geometry_types=tuple(entry.get("geometry") or sorted({g.geom_type for g in placed})),
        roles=frozenset(entry.get("roles", [])), version=digest, indicator=entry.get("indicator"),
    )
    return Snapshot(meta, features)
