"""Writes of the PostGIS store: the catalog load (``corridor db load``), whole user layers,
and single-feature edits.

Every write is one transaction that first locks the ``corridor_state`` row (writers queue
there; readers never wait) and ends by bumping its version and the version of each
collection it touched, so every replica sees the change on its next request. A write that
fails part-way rolls back whole: readers keep seeing the previous version, complete.

User layers behave as :class:`~corridor.store.engine.gpkglayer.LayerDir`'s: the same id rules, a
schema of declared column types fixed at import (the queryables), edits checked against it
by the same function, properties in column order, ids given or minted, replace clears the
properties not given.

Every point carries its cells of the pyramid (:mod:`corridor.store.pgcells`): computed in
numpy for a whole collection before its ``COPY``, and updated by each single-feature edit
in the edit's transaction (a point leaves its cells before it is moved or deleted, and
enters them once written).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import shapely
from psycopg import sql

from corridor.errors import Conflict, DataError, InvalidParameter
from corridor.indicators import check_indicator
from corridor.model import USER_GROUP, Indicator, NewLayer
from corridor.store import pgcells
from corridor.store.attributes import INDUSTRY_FIELDS, NAME_FIELDS, strings
from corridor.store.base import FeatureStore, read_only
from corridor.store.layerrules import (
    check_layer_id,
    column_queryables,
    feature_bytes,
)
from corridor.textmatch import normalize

#: Display position of every user layer (after the catalog's; layers sort by id).
LAYER_POSITION = 1_000_000
#: How long swapping a collection's table waits for running reads of the old one.
LOCK_TIMEOUT_MS = 10_000


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


def ewkb(geom: shapely.Geometry | None) -> str | None:
    if geom is None:
        return None
    return str(shapely.to_wkb(shapely.set_srid(geom, 4326), hex=True, include_srid=True))


def texts_of(props: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Normalised names and raw industry terms of a feature (what name and industry search
    read)."""
    p = dict(props)
    return [normalize(n) for n in strings(p, NAME_FIELDS)], strings(p, INDUSTRY_FIELDS)


def extent_of(bounds: list[Sequence[float]]) -> list[float] | None:
    if not bounds:
        return None
    b = np.asarray(bounds, dtype=float)
    return [float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())]


#: Indexes of a collection's table, as the partitioned table declares them (so ATTACH
#: adopts them instead of building its own).
_PART_INDEXES = ("(collection, pos)", "(fid)", "USING gist (geom)", "USING gist (geog)",
                 "USING gin (industries)", "(mkey)", "(kz, mkey) WHERE kz IS NOT NULL")


def cells_of(geoms: Sequence[Any] | np.ndarray) -> pgcells.Pyramid:
    """The cell pyramid of features at positions 0, 1, ... with geometries ``geoms``."""
    return pgcells.pyramid(np.arange(len(geoms)), *pgcells.point_lonlat(geoms))


def build_part(conn: Any, cid: str, rows: Iterable[tuple[int, Row]],
               cells: pgcells.Pyramid) -> tuple[str, int, list[float] | None]:
    """A new table holding collection ``cid``'s ``(position, row)`` pairs, loaded by COPY
    and then indexed in bulk (faster than growing indexes row by row), ready to be attached.
    Returns its name, the row count and the extent. Nothing else sees it until
    :func:`attach_part`.

    The pairs may come in any order (a layer's come in :func:`spatial_order`, so that
    features near each other share disk pages); the position is the data order, and the
    index of the row's cell columns in ``cells`` (:func:`cells_of` the rows' geometries
    in position order).
    """
    name = f"corridor_part_{secrets.token_hex(6)}"
    table = sql.Identifier(name)
    conn.execute(sql.SQL("CREATE TABLE {} (LIKE corridor_features INCLUDING DEFAULTS "
                         "INCLUDING GENERATED)").format(table))
    bounds: list[Sequence[float]] = []
    n = 0
    with conn.cursor().copy(sql.SQL(
        "COPY {} (collection, fid, pos, properties, doc, names, industries, geom, mkey, kz, kn) "
        "FROM STDIN").format(table)) as copy:
        for pos, r in rows:
            n += 1
            names, industries = texts_of(r.properties)
            copy.write_row((cid, r.fid, pos, json.dumps(dict(r.properties), ensure_ascii=False),
                            r.doc, names, industries, ewkb(r.geometry), cells.mkey[pos],
                            cells.kz[pos], cells.kn[pos]))
            if r.geometry is not None:
                bounds.append(r.geometry.bounds)
    conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
    conn.execute(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY (collection, fid), "
                         "ADD CHECK (collection = {})").format(table, sql.Literal(cid)))
    for spec in _PART_INDEXES:
        conn.execute(sql.SQL("CREATE INDEX ON {} " + spec).format(table))
    conn.execute(sql.SQL("ANALYZE {}").format(table))  # the planner's statistics, at once
    return name, n, extent_of(bounds)


def attach_part(conn: Any, cid: str, name: str, position: int, entry: dict[str, Any],
                editable: bool, version: str, queryables: dict[str, Any], count: int,
                extent: list[float] | None) -> None:
    """Make table ``name`` collection ``cid`` (whose id must be free by now)."""
    conn.execute(sql.SQL("ALTER TABLE corridor_features ATTACH PARTITION {} FOR VALUES IN ({})")
                 .format(sql.Identifier(name), sql.Literal(cid)))
    conn.execute(
        "INSERT INTO corridor_collections (id, position, entry, editable, version, part, count, "
        "extent, queryables, next_pos) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (cid, position, json.dumps(entry, ensure_ascii=False), editable, version, name, count,
         extent, json.dumps(queryables, ensure_ascii=False), count))


def drop_collection(conn: Any, cid: str) -> None:
    """Drop collection ``cid`` and its table (if it exists)."""
    row = conn.execute("DELETE FROM corridor_collections WHERE id = %s RETURNING part", (cid,)).fetchone()
    if row is not None:
        conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(row[0])))


def swap_lock(conn: Any) -> None:
    """Take the write lock for a change of tables, waiting at most :data:`LOCK_TIMEOUT`
    for the readers of the table being replaced (dropping it needs them gone)."""
    conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_MS}ms'")
    lock_state(conn)


# --- the catalog ---------------------------------------------------------------------------


def catalog_entry(meta: Any) -> dict[str, Any]:
    """The ``collections.toml``-style entry stored for a collection's metadata."""
    entry = {"group": meta.group, "title_zh": meta.title_zh, "title_en": meta.title_en,
             "description_zh": meta.description_zh, "description_en": meta.description_en,
             "roles": sorted(meta.roles), "geometry": list(meta.geometry_types)}
    if meta.indicator:
        entry["indicator"] = meta.indicator
    return entry


def load_catalog(conn: Any, src: FeatureStore) -> list[tuple[str, int]]:
    """Replace the catalog (every collection that is not a user layer) and the indicators
    by those of ``src``, in one transaction; user layers stay. Each collection keeps its
    version and queryables from ``src``. Returns ``(collection id, feature count)`` pairs.

    Raises
    ------
    DataError
        If a user layer already uses the id of one of ``src``'s collections.
    """
    loaded = []
    with conn.transaction():
        built = []
        for position, meta in enumerate(src.collections()):
            feats = src.features(meta.id)
            rows = enumerate(Row(f.id, f.properties, f.json.decode(), f.geometry) for f in feats)
            cells = cells_of([f.geometry for f in feats])
            built.append((position, meta, *build_part(conn, meta.id, rows, cells)))
        swap_lock(conn)
        layers = {r[0] for r in conn.execute("SELECT id FROM corridor_collections WHERE editable")}
        for (cid,) in conn.execute("SELECT id FROM corridor_collections WHERE NOT editable").fetchall():
            drop_collection(conn, cid)
        for position, meta, name, n, extent in built:
            if meta.id in layers:
                raise DataError("database", None, meta.id,
                                "a user layer already has this collection id; drop it first")
            attach_part(conn, meta.id, name, position, catalog_entry(meta), False, meta.version,
                        src.queryables(meta.id), n, extent)
            loaded.append((meta.id, n))
        conn.execute("UPDATE corridor_state SET indicators = %s, catalog = %s",
                     (json.dumps([asdict(i) for i in src.indicators()], ensure_ascii=False),
                      src.version))
        bump_state(conn)
    return loaded


# --- user layers ---------------------------------------------------------------------------

#: Declared column type (GeoPackage's names, as GDAL writes a frame) of a pandas dtype kind.
_TYPE_OF_KIND = {"b": "BOOLEAN", "i": "INTEGER", "u": "INTEGER", "f": "REAL", "M": "DATETIME"}


def column_types(frame: Any) -> dict[str, str]:
    """Declared types of a layer frame's columns (geometry left out), in frame order."""
    geom = frame.geometry.name
    return {c: ("TEXT" if c == "id" else _TYPE_OF_KIND.get(frame[c].dtype.kind, "TEXT"))
            for c in frame.columns if c != geom}


def layer_queryables(types: Mapping[str, str], geometry_types: Sequence[str]) -> dict[str, Any]:
    """A layer's queryables from its declared column types, as the in-process engine gives them."""
    return column_queryables(types, geometry_types)


def _scalar(value: Any, typ: str) -> Any:
    """A frame cell as the JSON value a layer property holds (None for missing)."""
    if value is None or (not isinstance(value, (str, bytes)) and pd.isna(value)):
        return None
    if typ == "BOOLEAN":
        return bool(value)
    if typ == "INTEGER":
        return int(value)
    if typ == "REAL":
        return float(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def layer_properties(fid: str, types: Mapping[str, str], values: Mapping[str, Any]) -> dict[str, Any]:
    """``{"id": fid}`` then each column's value in column order, missing ones left out."""
    props: dict[str, Any] = {"id": fid}
    for c, typ in types.items():
        v = values.get(c)
        if c != "id" and v is not None:
            props[c] = bool(v) if typ == "BOOLEAN" else v
    return props


def layer_row(fid: str, types: Mapping[str, str], values: Mapping[str, Any],
              geom: shapely.Geometry | None) -> Row:
    props = layer_properties(fid, types, values)
    text = "null" if geom is None else shapely.to_geojson(geom)
    return Row(fid, props, feature_bytes(fid, text, props).decode(), geom)


def spatial_order(geoms: Any) -> np.ndarray:
    """Positions of ``geoms`` (lon/lat) along a Z-order curve of their bounding-box centres
    (missing geometries last), so that rows written in this order keep neighbours on the
    same disk pages: a bbox, tile or distance query then reads a few pages, not one a row."""
    geoms = np.asarray(geoms, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    b = shapely.bounds(np.where(missing, None, geoms))
    x, y = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    key = np.full(len(geoms), np.iinfo(np.uint64).max, dtype=np.uint64)
    if (~missing).any():
        cx, cy = _quantise(x[~missing]), _quantise(y[~missing])
        key[~missing] = pgcells.interleave(cx, cy).astype(np.uint64)
    return np.argsort(key, kind="stable")


def _quantise(v: np.ndarray) -> np.ndarray:
    lo, hi = float(v.min()), float(v.max())
    return ((v - lo) / ((hi - lo) or 1.0) * 65535).astype(np.uint64)


def _frame_rows(frame: Any, types: Mapping[str, str]) -> Iterable[tuple[int, Row]]:
    """``(position, row)`` of every row of a layer frame, in :func:`spatial_order`."""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    cols = [c for c in types if c != "id"]
    data = {c: frame[c].to_numpy(dtype=object) for c in cols}
    ids = frame["id"].to_numpy(dtype=object)
    for i in spatial_order(geoms).tolist():
        g = geoms[i]
        geom = None if g is None or shapely.is_empty(g) else g
        yield i, layer_row(str(ids[i]), types, {c: _scalar(data[c][i], types[c]) for c in cols}, geom)


def check_layer(layer: NewLayer, indicators: Sequence[Indicator]) -> str | None:
    """What the in-process engine refuses in a new layer, refused with its words; returns the id of the
    indicator the layer is tagged with (a tag may name it by id or name), if any.

    Raises
    ------
    InvalidParameter
        For a bad id, an unknown indicator tag or no ``id`` column.
    Conflict
        For an id used twice.
    """
    check_layer_id(layer.id)
    tag = check_indicator(indicators, layer.indicator).id if layer.indicator else None
    if "id" not in layer.frame.columns:
        raise InvalidParameter("the layer has no 'id' column; expected one id per feature")
    ids = layer.frame["id"]
    dup = ids[ids.duplicated()]
    if len(dup):
        raise Conflict(f"feature id {str(dup.iloc[0])!r} is used twice; expected unique ids")
    return tag


def put_layer(conn: Any, layer: NewLayer, indicators: Sequence[Indicator]) -> None:
    """Store ``layer``, replacing a layer of that id in the same transaction (readers see
    the old one until the commit; a failure leaves it)."""
    tag = check_layer(layer, indicators)
    frame = layer.frame
    types = column_types(frame)
    present = [g for g in frame.geometry.values if g is not None and not shapely.is_empty(g)]
    gtypes = sorted({g.geom_type for g in present}) or ["Point"]
    entry = {"group": USER_GROUP, "title_zh": layer.title_zh or layer.id,
             "title_en": layer.title_en or layer.id, "description_zh": layer.description_zh,
             "description_en": layer.description_en, "roles": [], "geometry": gtypes,
             "columns": types, "indicator": tag, "source": layer.source,
             "imported": datetime.now(UTC).isoformat(timespec="seconds")}
    with conn.transaction():
        _not_catalog(conn, layer.id)  # before the long part
        cells = cells_of(np.asarray(frame.geometry.values, dtype=object))
        name, n, extent = build_part(conn, layer.id, _frame_rows(frame, types), cells)
        swap_lock(conn)
        _not_catalog(conn, layer.id)
        drop_collection(conn, layer.id)
        attach_part(conn, layer.id, name, LAYER_POSITION, entry, True, new_version(),
                    layer_queryables(types, gtypes), n, extent)
        bump_state(conn)


def _not_catalog(conn: Any, cid: str) -> None:
    row = conn.execute("SELECT editable FROM corridor_collections WHERE id = %s", (cid,)).fetchone()
    if row is not None and not row[0]:  # made read-only since the caller checked
        raise read_only(cid)
