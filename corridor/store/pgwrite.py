"""Writes of the PostGIS store: the catalog load (``corridor db load``), whole user layers,
and single-feature edits.

Every write is one transaction that first locks the ``corridor_state`` row (writers queue
there, readers never wait) and ends by bumping its version and the version of each
collection it touched, so other replicas see the change on their next request. A write that
fails part-way rolls back whole: readers keep seeing the previous version, complete.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import shapely

from corridor.errors import DataError
from corridor.store.attributes import INDUSTRY_FIELDS, NAME_FIELDS, _strings
from corridor.store.base import FeatureStore
from corridor.store.pgkeys import count_keys
from corridor.textmatch import normalize

#: Display position of the first user layer (the catalog's collections come before).
FIRST_LAYER_POSITION = 1000


@dataclass(frozen=True)
class Row:
    """One feature ready to store: its id, properties (no missing values), GeoJSON text
    and lon/lat geometry (None when unplaced)."""

    fid: str
    properties: Mapping[str, Any]
    doc: str
    geometry: shapely.Geometry | None


def new_version() -> str:
    """A fresh collection version (16 hex digits)."""
    return secrets.token_hex(8)


def lock_state(conn: Any) -> None:
    """Take the write lock (the state row) for the current transaction."""
    conn.execute("SELECT version FROM corridor_state FOR UPDATE")


def bump_state(conn: Any) -> None:
    conn.execute("UPDATE corridor_state SET version = version + 1")
    conn.execute("NOTIFY corridor_changed")


def _ewkb(geom: shapely.Geometry | None) -> str | None:
    if geom is None:
        return None
    return str(shapely.to_wkb(shapely.set_srid(geom, 4326), hex=True, include_srid=True))


def copy_rows(conn: Any, cid: str, rows: Iterable[Row], first_pos: int = 0) -> dict[str, Any]:
    """COPY ``rows`` into collection ``cid`` from position ``first_pos`` on; returns what the
    collection row needs: count, extent, geometry type counts, key counts, next position."""
    keys: list[tuple[int, Mapping[str, Any]]] = []
    types: dict[str, int] = {}
    bounds: list[np.ndarray] = []
    pos = first_pos
    with conn.cursor().copy(
        "COPY corridor_features (collection, fid, pos, properties, doc, names, industries, geom) "
        "FROM STDIN"
    ) as copy:
        for r in rows:
            names = [normalize(n) for n in _strings(dict(r.properties), NAME_FIELDS)]
            industries = _strings(dict(r.properties), INDUSTRY_FIELDS)
            copy.write_row((cid, r.fid, pos, json.dumps(dict(r.properties), ensure_ascii=False),
                            r.doc, names, industries, _ewkb(r.geometry)))
            keys.append((pos, r.properties))
            if r.geometry is not None:
                types[r.geometry.geom_type] = types.get(r.geometry.geom_type, 0) + 1
                bounds.append(np.asarray(r.geometry.bounds))
            pos += 1
    extent = None
    if bounds:
        b = np.vstack(bounds)
        extent = [float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())]
    return {"count": pos - first_pos, "extent": extent, "types": types,
            "keys": count_keys(keys), "next_pos": pos}


def insert_collection(conn: Any, cid: str, position: int, entry: dict[str, Any], editable: bool,
                      version: str, rows: Iterable[Row]) -> None:
    """Insert collection ``cid`` with its features (the id must be free)."""
    conn.execute(
        "INSERT INTO corridor_collections (id, position, entry, editable, version) "
        "VALUES (%s, %s, %s, %s, %s)", (cid, position, json.dumps(entry, ensure_ascii=False),
                                        editable, version))
    stats = copy_rows(conn, cid, rows)
    conn.execute(
        "UPDATE corridor_collections SET count = %s, extent = %s, geometry_types = %s, "
        "next_pos = %s WHERE id = %s",
        (stats["count"], stats["extent"], json.dumps(stats["types"]), stats["next_pos"], cid))
    with conn.cursor().copy("COPY corridor_keys (collection, key, kind, n, first_pos, first_idx) "
                            "FROM STDIN") as copy:
        for (name, kind), (n, pos, idx) in stats["keys"].items():
            copy.write_row((cid, name, kind, n, pos, idx))


def catalog_entry(meta: Any) -> dict[str, Any]:
    """The ``collections.toml``-style entry stored for a collection's metadata."""
    entry = {"group": meta.group, "title_zh": meta.title_zh, "title_en": meta.title_en,
             "description_zh": meta.description_zh, "description_en": meta.description_en,
             "roles": sorted(meta.roles), "geometry": list(meta.geometry_types)}
    if meta.indicator:
        entry["indicator"] = meta.indicator
    return entry


def load_catalog(conn: Any, src: FeatureStore, digest: str | None = None) -> list[tuple[str, int]]:
    """Replace the catalog (every collection that is not a user layer) and the indicators
    by those of ``src``, in one transaction; user layers stay. Each collection keeps its
    version from ``src``. Returns ``(collection id, feature count)`` pairs.

    Raises
    ------
    DataError
        If a user layer already uses the id of one of ``src``'s collections.
    """
    loaded = []
    with conn.transaction():
        lock_state(conn)
        layers = {r[0] for r in conn.execute("SELECT id FROM corridor_collections WHERE editable")}
        conn.execute("DELETE FROM corridor_collections WHERE NOT editable")
        for position, meta in enumerate(src.collections()):
            if meta.id in layers:
                raise DataError("database", None, meta.id,
                                "a user layer already has this collection id; drop it first")
            rows = (Row(f.id, f.properties, f.json.decode(), f.geometry) for f in src.features(meta.id))
            insert_collection(conn, meta.id, position, catalog_entry(meta), False, meta.version, rows)
            loaded.append((meta.id, meta.count))
        indicators = [asdict(i) for i in src.indicators()]
        conn.execute("UPDATE corridor_state SET indicators = %s, catalog = %s",
                     (json.dumps(indicators, ensure_ascii=False), digest or src.version))
        bump_state(conn)
    return loaded

