"""A user layer's file: one GeoPackage per layer, with its R-tree, written by GDAL and edited
through SQLite.

The file is an ordinary GeoPackage (QGIS and ``ogr2ogr`` open it): GDAL (pyogrio) writes the
feature table ``features`` with its spatial index when a layer is imported. Two tables of our
own sit beside it:

``corridor_meta(key, value)``
    the layer's titles, indicator tag, source and a uuid minted at import;
``corridor_changes(seq, op, fid)``
    one row per edit, so other processes holding the layer in memory replay exactly the rows
    that changed (``op`` is ``put`` or ``del``, ``fid`` the GeoPackage row id).

Edits go through Python's ``sqlite3``. GDAL's R-tree triggers call the SQL functions
``ST_IsEmpty`` and ``ST_MinX`` .. ``ST_MaxY``, which GDAL registers in its own connections;
:func:`connect` registers the same functions, so the file's spatial index stays right.
Geometry blobs follow the GeoPackage encoding (``GP`` header, SRS id, optional envelope, WKB).
"""

from __future__ import annotations

import os
import sqlite3
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import shapely

TABLE = "features"
GEOM = "geom"
SRS_ID = 4326
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def encode(geom: shapely.Geometry) -> bytes:
    """The GeoPackage blob of a lon/lat geometry (points without an envelope, as GDAL does)."""
    wkb = shapely.to_wkb(geom, byte_order=1)
    if shapely.get_type_id(geom) == 0:
        return b"GP\x00\x01" + struct.pack("<i", SRS_ID) + wkb
    x0, y0, x1, y1 = shapely.bounds(geom)
    return b"GP\x00\x03" + struct.pack("<i4d", SRS_ID, x0, x1, y0, y1) + wkb


def _wkb(blob: bytes) -> bytes:
    if blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry blob (no 'GP' magic)")
    return blob[8 + _ENVELOPE_BYTES[(blob[3] >> 1) & 0x07]:]


def decode(blob: bytes | None) -> shapely.Geometry | None:
    """The geometry of a GeoPackage blob (None for NULL or an empty geometry)."""
    if blob is None or blob[3] & 0x10:  # the header's "empty" flag
        return None
    return shapely.from_wkb(_wkb(blob))


def decode_all(blobs: list[bytes | None]) -> np.ndarray:
    """:func:`decode` for many blobs at once (one vectorised WKB parse)."""
    out = np.full(len(blobs), None, dtype=object)
    keep = [i for i, b in enumerate(blobs) if b is not None and not b[3] & 0x10]
    if keep:
        out[keep] = shapely.from_wkb([_wkb(blobs[i]) for i in keep])  # type: ignore[arg-type]
    return out


def _bound(i: int) -> Any:
    def fn(blob: bytes | None) -> float | None:
        g = decode(blob)
        return None if g is None else float(shapely.bounds(g)[i])
    return fn


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the layer file with the functions GDAL's triggers call.

    Autocommit is off (``BEGIN IMMEDIATE`` before each write); a writer waits up to 10 s for
    another process's transaction."""
    conn = sqlite3.connect(path, timeout=10.0, check_same_thread=False, isolation_level=None)
    conn.create_function("ST_IsEmpty", 1, lambda b: 1 if decode(b) is None else 0, deterministic=True)
    for name, i in (("ST_MinX", 0), ("ST_MinY", 1), ("ST_MaxX", 2), ("ST_MaxY", 3)):
        conn.create_function(name, 1, _bound(i), deterministic=True)
    return conn


def columns(conn: sqlite3.Connection) -> dict[str, str]:
    """Property columns of the feature table and their declared SQL types (upper case),
    without the row id and the geometry."""
    rows = conn.execute(f'PRAGMA table_info("{TABLE}")').fetchall()
    return {r[1]: str(r[2]).upper() for r in rows if r[1] not in ("fid", GEOM)}


def geometry_type(conn: sqlite3.Connection) -> str:
    row = conn.execute("SELECT geometry_type_name FROM gpkg_geometry_columns WHERE table_name=?",
                       (TABLE,)).fetchone()
    return str(row[0]).upper() if row else "GEOMETRY"


def write(path: Path, frame: Any, meta: dict[str, str]) -> None:
    """Write a complete layer file at ``path`` (which must not exist): the GeoDataFrame
    ``frame`` (an ``id`` column and properties, lon/lat geometry) through GDAL with its
    R-tree, then our tables and a unique index on ``id``; flushed to disk before returning."""
    pyogrio.write_dataframe(frame, path, layer=TABLE, driver="GPKG", GEOMETRY_NAME=GEOM,
                            SPATIAL_INDEX="YES")
    conn = connect(path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE corridor_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("CREATE TABLE corridor_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                     "op TEXT NOT NULL CHECK (op IN ('put', 'del')), fid INTEGER NOT NULL)")
        conn.execute(f'CREATE UNIQUE INDEX "{TABLE}_id" ON "{TABLE}" (id)')
        conn.executemany("INSERT INTO corridor_meta VALUES (?, ?)", sorted(meta.items()))
        conn.execute("COMMIT")
    finally:
        conn.close()
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_meta(conn: sqlite3.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT key, value FROM corridor_meta").fetchall())


def last_seq(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT max(seq) FROM corridor_changes").fetchone()
    return int(row[0] or 0)
