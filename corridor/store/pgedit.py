"""Single-feature edits of a user layer in the PostGIS engine: create, replace and delete,
each one transaction that changes the row, the layer's count, extent and cell pyramid, and the
database's version (:mod:`corridor.store.pgwrite` holds whole-layer writes)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import shapely

from corridor import checks
from corridor.errors import Conflict, InvalidParameter, NotFound
from corridor.model import Feature
from corridor.store import pgcelledit
from corridor.store.base import read_only
from corridor.store.layerrules import (
    check_feature,
    feature_id,
)
from corridor.store.pgwrite import (
    Row,
    bump_state,
    drop_collection,
    ewkb,
    extent_of,
    layer_row,
    lock_state,
    new_version,
    swap_lock,
    texts_of,
)


def drop_layer(conn: Any, cid: str) -> None:
    with conn.transaction():
        swap_lock(conn)
        _editable(conn, cid)
        drop_collection(conn, cid)
        bump_state(conn)


# --- single-feature edits ------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """A user layer about to be edited (its collection row locked by the state lock)."""

    id: str
    types: dict[str, str]
    geometry_types: tuple[str, ...]
    extent: list[float] | None
    next_pos: int


def _editable(conn: Any, cid: str) -> _Target:
    row = conn.execute("SELECT entry, editable, extent, next_pos FROM corridor_collections "
                       "WHERE id = %s", (cid,)).fetchone()
    if row is None:
        raise NotFound(f"collection {checks.shown(cid)} not found; expected one of the layers")
    entry, editable, extent, next_pos = row
    if not editable:  # made read-only since the caller checked
        raise read_only(cid)
    return _Target(cid, entry.get("columns", {"id": "TEXT"}), tuple(entry["geometry"]), extent,
                   int(next_pos))


def _checked(target: _Target, feature: Mapping[str, Any]) -> tuple[shapely.Geometry, dict[str, Any]]:
    """The geometry and column values of a GeoJSON Feature, checked as the in-process engine checks
    (the same function, so the same rules and messages)."""
    return check_feature(target.id, target.types, target.geometry_types, feature)


def _on_edge(bounds: Sequence[float], extent: list[float] | None) -> bool:
    """Whether removing a geometry with ``bounds`` may shrink ``extent``."""
    if extent is None:
        return True
    return bounds[0] <= extent[0] or bounds[1] <= extent[1] or bounds[2] >= extent[2] \
        or bounds[3] >= extent[3]


def _finish_edit(conn: Any, t: _Target, count_delta: int, added: shapely.Geometry | None,
                 removed: Sequence[float] | None, next_pos: int) -> None:
    if removed is not None and _on_edge(removed, t.extent):
        box = conn.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                           "(SELECT ST_Extent(geom) AS e FROM corridor_features "
                           "WHERE collection = %s) q", (t.id,)).fetchone()
        extent = None if box[0] is None else [float(v) for v in box]
    else:
        extent = t.extent
        if added is not None:
            extent = extent_of(([extent] if extent else []) + [added.bounds])
    conn.execute("UPDATE corridor_collections SET count = count + %s, extent = %s, version = %s, "
                 "next_pos = %s WHERE id = %s", (count_delta, extent, new_version(), next_pos, t.id))
    bump_state(conn)


def _write_row(conn: Any, cid: str, pos: int, row: Row, update: bool) -> None:
    names, industries = texts_of(row.properties)
    values = (json.dumps(dict(row.properties), ensure_ascii=False), row.doc, names, industries,
              ewkb(row.geometry))
    if update:
        conn.execute("UPDATE corridor_features SET properties = %s, doc = %s, names = %s, "
                     "industries = %s, geom = %s, mkey = NULL, kz = NULL, kn = NULL "
                     "WHERE collection = %s AND fid = %s", (*values, cid, row.fid))
    else:
        conn.execute("INSERT INTO corridor_features (properties, doc, names, industries, geom, "
                     "collection, fid, pos) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                     (*values, cid, row.fid, pos))
    if isinstance(row.geometry, shapely.Point) and not row.geometry.is_empty:
        pgcelledit.add_point(conn, cid, pos, row.geometry.x, row.geometry.y)


def _feature(cid: str, row: Row) -> Feature:
    return Feature(cid, row.fid, row.properties, row.geometry, row.doc.encode())


def create(conn: Any, cid: str, feature: Mapping[str, Any]) -> Feature:
    with conn.transaction():
        lock_state(conn)
        t = _editable(conn, cid)
        fid = feature_id(feature) or uuid.uuid4().hex[:12]
        if conn.execute("SELECT 1 FROM corridor_features WHERE collection = %s AND fid = %s",
                        (cid, fid)).fetchone():
            raise Conflict(f"feature {fid!r} exists in collection {cid!r}; replace it with PUT "
                           "or create it without an id")
        geom, values = _checked(t, feature)
        row = layer_row(fid, t.types, values, geom)
        _write_row(conn, cid, t.next_pos, row, update=False)
        _finish_edit(conn, t, 1, geom, None, t.next_pos + 1)
    return _feature(cid, row)


def replace(conn: Any, cid: str, fid: str, feature: Mapping[str, Any]) -> Feature:
    with conn.transaction():
        lock_state(conn)
        t = _editable(conn, cid)
        pos, old = _old(conn, cid, fid)
        given = feature_id(feature)
        if given is not None and given != fid:
            raise InvalidParameter(f"the body's id {given!r} differs from the URL's {fid!r}; "
                                   "expected the same id or none")
        geom, values = _checked(t, feature)
        row = layer_row(fid, t.types, values, geom)  # properties not given are cleared
        pgcelledit.remove_point(conn, cid, pos)
        _write_row(conn, cid, pos, row, update=True)
        _finish_edit(conn, t, 0, geom, old, t.next_pos)
    return _feature(cid, row)


def delete(conn: Any, cid: str, fid: str) -> None:
    with conn.transaction():
        lock_state(conn)
        t = _editable(conn, cid)
        pos, old = _old(conn, cid, fid)
        pgcelledit.remove_point(conn, cid, pos)
        conn.execute("DELETE FROM corridor_features WHERE collection = %s AND fid = %s", (cid, fid))
        _finish_edit(conn, t, -1, None, old, t.next_pos)


def _old(conn: Any, cid: str, fid: str) -> tuple[int, list[float] | None]:
    """Position of feature ``fid`` and the bounds of its geometry (None if unplaced).

    Raises
    ------
    NotFound
        If there is no such feature.
    """
    row = conn.execute("SELECT pos, geom IS NULL, ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), "
                       "ST_YMax(geom) FROM corridor_features WHERE collection = %s AND fid = %s",
                       (cid, fid)).fetchone()
    if row is None:
        raise NotFound(f"feature {checks.shown(fid)} not found in collection {cid!r}")
    return int(row[0]), None if row[1] else [float(v) for v in row[2:]]
