"""Vector tiles over any store: the WebMercatorQuad tile matrix set and Mapbox Vector Tiles.

WebMercatorQuad is the tiling of OGC's Two-Dimensional Tile Matrix Set standard (17-083r4,
annex D): EPSG:3857, 256 x 256 pixel tiles, tile matrix ``z`` of ``2**z`` by ``2**z`` tiles,
rows counted from the top. Its definition is morecantile's (:mod:`corridor.tilematrix`):
every bound, index and the served document come from there. We serve its 25 tile matrices,
0 to :data:`MAX_ZOOM` (24: a pixel is about 1 cm at the equator, far finer than any
position here). Web Mercator is used for tile geometry only; every distance the service
reports stays geodesic.

:func:`render_tile` asks the store for the tile (:meth:`FeatureStore.tile`); the in-process
engine selects the features intersecting :func:`lonlat_box` (the tile's lon/lat box grown by
:data:`BUFFER` tile units each side) and :func:`encode_features` encodes them with
``mapbox-vector-tile`` as one layer named by the collection id, in tile units (extent
:data:`EXTENT`, y down):

- lines and areas are cut to the buffered tile and simplified to a tile unit;
- points are kept as they are, unless the tile holds more than :data:`THIN_ABOVE` of them:
  then one point is kept per cell of :data:`THIN_CELL` tile units (8 pixels of a 256-pixel
  tile: about the size of a drawn point), the first in data order, and carries ``n``, how many
  points fall in its cell. Cells are aligned on the whole tile matrix and the buffer is one
  cell wide, so two neighbouring thinned tiles keep the same points along their shared edge;
- properties are few: ``id`` (the feature id as a string), ``name_zh`` and ``name_en``
  when the feature has them, and ``n`` on thinned points. A client fetches the rest from
  the items API.

A tile with no feature encodes to no bytes; the web layer answers it ``204 No Content``, as
OGC API - Tiles allows (requirement ``/req/core/tc-error`` B).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from mapbox_vector_tile.encoder import VectorTile as _Encoder
from mapbox_vector_tile.encoder import on_invalid_geometry_make_valid
from morecantile import BoundingBox, Tile
from numpy.typing import NDArray

from corridor import tilematrix
from corridor.errors import InvalidParameter, NotFound
from corridor.model import Feature, VectorTile
from corridor.store.base import FeatureStore
from corridor.tilematrix import TMS, TMS_ID

__all__ = ["TMS_ID", "TileIndex", "encode_features", "encode_tile", "lonlat_box", "parse_tile",
           "render_tile", "tile_matrix_set", "tile_of"]

TMS_URI = str(TMS.uri)
WEB_MERCATOR_URI = tilematrix.CRS_URI
#: Deepest tile matrix served: the last one the standard's WebMercatorQuad defines.
MAX_ZOOM = tilematrix.MAX_ZOOM
#: Tile units across a tile (the MVT default).
EXTENT = 4096
#: Above this many points, a tile keeps one point per cell (see the module docstring).
THIN_ABOVE = 1000
#: Side of a thinning cell in tile units (8 pixels of a 256-pixel tile: about a drawn point).
THIN_CELL = 128
#: Tile units of data kept beyond each edge, so symbols near an edge are drawn whole: one
#: thinning cell, so the cells along an edge are whole in both tiles that share it.
BUFFER = THIN_CELL
#: Properties a tile carries besides ``id`` (strings only, when the feature has them).
TILE_PROPERTIES = ("name_zh", "name_en")

_DIGITS = re.compile(r"[0-9]{1,10}")
FloatArray = NDArray[np.float64]
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class TileIndex:
    """One tile of WebMercatorQuad: tile matrix ``z``, column ``x``, row ``y`` (from the top)."""

    z: int
    x: int
    y: int

    @property
    def bounds(self) -> Box:
        """(minx, miny, maxx, maxy) of the tile in EPSG:3857 metres."""
        return _box(TMS.xy_bounds(Tile(self.x, self.y, self.z)))

    @property
    def lonlat_bounds(self) -> Box:
        """(west, south, east, north) of the tile in degrees (a Mercator tile is a lon/lat box)."""
        return _box(TMS.bounds(Tile(self.x, self.y, self.z)))

    def buffered_bounds(self, units: float = BUFFER) -> Box:
        """:attr:`bounds` grown by ``units`` tile units each side (EPSG:3857 metres)."""
        minx, miny, maxx, maxy = self.bounds
        pad = (maxx - minx) * units / EXTENT
        return (minx - pad, miny - pad, maxx + pad, maxy + pad)


def _box(b: BoundingBox) -> Box:
    return (b.left, b.bottom, b.right, b.top)


def parse_tile(z: Any, x: Any, y: Any) -> TileIndex:
    """The tile at tile matrix ``z``, column ``x`` and row ``y`` (ints or their decimal text).

    Raises
    ------
    InvalidParameter
        If a value is not a non-negative integer (the message names it and the range).
    NotFound
        If ``z`` is beyond 0..:data:`MAX_ZOOM` or ``x``/``y`` beyond the tile matrix's
        columns and rows (0..2**z - 1): no such tile.
    """
    zi = _index(z, "tileMatrix", f"{tilematrix.MIN_ZOOM} to {MAX_ZOOM}")
    if zi > MAX_ZOOM:
        raise NotFound(f"tileMatrix {zi} is not in {TMS_ID}; expected {tilematrix.MIN_ZOOM} to {MAX_ZOOM}")
    matrix = TMS.matrix(zi)
    cols, rows = matrix.matrixWidth - 1, matrix.matrixHeight - 1
    xi = _index(x, "tileCol", f"0 to {cols} in tile matrix {zi}")
    yi = _index(y, "tileRow", f"0 to {rows} in tile matrix {zi}")
    for name, value, last in (("tileCol", xi, cols), ("tileRow", yi, rows)):
        if value > last:
            raise NotFound(f"{name} {value} is outside tile matrix {zi}; expected 0 to {last}")
    return TileIndex(zi, xi, yi)


def _index(value: Any, name: str, expected: str) -> int:
    if isinstance(value, bool):
        raise InvalidParameter(f"{name} {value!r} is not an integer; expected {expected}")
    if isinstance(value, int):
        if value < 0:
            raise NotFound(f"{name} {value} is negative; expected {expected}")
        return value
    text = str(value)
    if not _DIGITS.fullmatch(text):
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise InvalidParameter(f"{name} {shown!r} is not a whole number; expected {expected}")
    return int(text)


def tile_of(lon: float, lat: float, z: int) -> TileIndex:
    """The tile of tile matrix ``z`` holding the point ``lon``, ``lat`` (degrees); a point
    beyond the matrix set's world is taken to its edge."""
    west, south, east, north = tilematrix.LONLAT_BBOX
    t = TMS.tile(min(max(lon, west), east), min(max(lat, south), north), z)
    return TileIndex(t.z, t.x, t.y)


def _lonlat_box(box: Box) -> Box:
    """A Web Mercator box as a lon/lat box, cut to the matrix set's world."""
    minx, miny, maxx, maxy = box
    x0, y0, x1, y1 = tilematrix.XY_BBOX
    lon, lat = tilematrix.to_lonlat([max(minx, x0), min(maxx, x1)], [max(miny, y0), min(maxy, y1)])
    west, south, east, north = tilematrix.LONLAT_BBOX
    return (max(float(lon[0]), west), max(float(lat[0]), south),
            min(float(lon[1]), east), min(float(lat[1]), north))


def tile_matrix_set() -> dict[str, Any]:
    """The WebMercatorQuad definition as OGC 2D TMS 2.0 JSON (no links: the web layer adds
    them): morecantile's model as it is, with the matrix set's bounding box."""
    doc: dict[str, Any] = TMS.model_dump(mode="json", exclude_none=True)
    x0, y0, x1, y1 = tilematrix.XY_BBOX
    doc.setdefault("boundingBox", {"lowerLeft": [x0, y0], "upperRight": [x1, y1],
                                   "crs": WEB_MERCATOR_URI})
    return doc


# --- encoding ---------------------------------------------------------------------------------


def encode_tile(store: FeatureStore, cid: str, z: int, x: int, y: int) -> bytes:
    """The Mapbox Vector Tile of collection ``cid`` at ``z``/``x``/``y`` (empty bytes: no feature).

    Raises
    ------
    NotFound
        For an unknown collection or a tile outside WebMercatorQuad.
    InvalidParameter
        For a tile index that is not a non-negative integer.
    """
    return render_tile(store, cid, parse_tile(z, x, y)).data


def render_tile(store: FeatureStore, cid: str, tile: TileIndex) -> VectorTile:
    """Collection ``cid`` over ``tile``, as the store encodes it (:meth:`FeatureStore.tile`).

    Raises
    ------
    NotFound
        For an unknown collection.
    """
    return store.tile(cid, tile.z, tile.x, tile.y)


def lonlat_box(tile: TileIndex) -> Box:
    """The lon/lat box of ``tile``'s buffered bounds, cut to the matrix set's world: what a
    tile needs from the store."""
    return _lonlat_box(tile.buffered_bounds())


def encode_features(cid: str, features: Sequence[Feature], tile: TileIndex) -> VectorTile:
    """Encode features already selected for ``tile`` as its one layer, named ``cid``.

    No store is involved: a store's ``tile`` method selects the features of ``cid`` that
    intersect :func:`lonlat_box` of ``tile`` and hands them here (see the module docstring
    for what is kept of them).

    Parameters
    ----------
    cid : str
        The collection id, the name of the tile's layer.
    features : sequence of Feature
        The features in the buffered tile, in data order (features without a geometry and
        parts beyond the buffer are left out).
    tile : TileIndex
        The tile to encode.

    Returns
    -------
    VectorTile
        The encoded bytes (empty when no feature is left), how many features were encoded,
        how many were given with a geometry, and whether the points were thinned.
    """
    lonlat_box = _lonlat_box(tile.buffered_bounds())
    feats = [f for f in features if f.geometry is not None]
    if not feats:
        return VectorTile(b"", 0, 0, False)
    to_tile = _TileUnits(tile)
    geoms = np.empty(len(feats), dtype=object)
    geoms[:] = [f.geometry for f in feats]
    is_point = shapely.get_type_id(geoms) == shapely.GeometryType.POINT
    out: list[dict[str, Any]] = []
    thinned = False
    points = np.flatnonzero(is_point)
    if len(points):
        xy = to_tile(shapely.get_coordinates(geoms[points]))
        counts: NDArray[np.intp] | None = None
        if len(points) > THIN_ABOVE:
            keep, counts = _thin(xy)
            points, xy, thinned = points[keep], xy[keep], True
        geom_list = shapely.points(np.rint(xy)).tolist()
        props_list = [_properties(feats[i]) for i in points.tolist()]
        if counts is not None:
            for props, n in zip(props_list, counts.tolist()):
                props["n"] = n
        out.extend({"geometry": g, "properties": p} for g, p in zip(geom_list, props_list))
    for j in np.flatnonzero(~is_point).tolist():
        shape = _clip_shape(geoms[j], lonlat_box, to_tile)
        if shape is not None:
            out.append({"geometry": shape, "properties": _properties(feats[j])})
    encoder = _Encoder(default_options={"extents": EXTENT, "y_coord_down": True,
                                        "on_invalid_geometry": on_invalid_geometry_make_valid})
    encoder.add_layer(cid, out)
    encoded = len(encoder.tile.layers[0].features)
    data = encoder.tile.SerializeToString() if encoded else b""
    return VectorTile(data, encoded, len(feats), thinned)


class _TileUnits:
    """lon/lat arrays -> tile units of one tile (x right, y down)."""

    def __init__(self, tile: TileIndex) -> None:
        self.minx, _, maxx, self.maxy = tile.bounds
        self.scale = EXTENT / (maxx - self.minx)

    def __call__(self, lonlat: FloatArray) -> FloatArray:
        if not len(lonlat):
            return np.zeros((0, 2))
        x, y = tilematrix.to_xy(lonlat[:, 0], lonlat[:, 1])
        return np.column_stack(((x - self.minx) * self.scale, (self.maxy - y) * self.scale))


def _thin(xy: FloatArray) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Positions of the first point in each :data:`THIN_CELL` cell (in input order), and how
    many points each of those cells holds."""
    side = EXTENT // THIN_CELL + 2  # the buffer's cells are -1 and 32
    cells = np.clip(np.floor(xy / THIN_CELL).astype(np.int64) + 1, 0, side - 1)
    key = cells[:, 0] * side + cells[:, 1]
    _, first, counts = np.unique(key, return_index=True, return_counts=True)
    order = np.argsort(first)
    return first[order].astype(np.intp), counts[order].astype(np.intp)


def _clip_shape(
    geom: shapely.Geometry, lonlat_box: Box, to_tile: _TileUnits,
) -> shapely.Geometry | None:
    """A line, area or multipoint cut to the buffered tile, in tile units, simplified to a
    tile unit; None when nothing of it is left."""
    dim = int(shapely.get_dimensions(geom))
    lo, hi = -BUFFER, EXTENT + BUFFER
    if dim == 0:
        xy = np.rint(to_tile(shapely.get_coordinates(geom)))
        xy = xy[((xy >= lo) & (xy <= hi)).all(axis=1)]
        return shapely.multipoints(xy) if len(xy) else None
    # cut in lon/lat first (cheap, and a coastline keeps only its vertices near the tile),
    # then once more in tile units, where the tile's edges are exact
    part = _of_dimension(shapely.clip_by_rect(geom, *lonlat_box), dim)
    if part is None:
        return None
    part = _of_dimension(shapely.clip_by_rect(shapely.transform(part, to_tile), lo, lo, hi, hi), dim)
    if part is None:
        return None
    part = shapely.simplify(part, 1.0, preserve_topology=dim == 2)
    return None if part.is_empty else part


def _of_dimension(geom: shapely.Geometry, dim: int) -> shapely.Geometry | None:
    """The parts of ``geom`` of dimension ``dim`` (a clip may leave stray points or lines)."""
    if geom.is_empty:
        return None
    if geom.geom_type != "GeometryCollection":
        return geom if shapely.get_dimensions(geom) == dim else None
    parts = [p for p in shapely.get_parts(geom) if shapely.get_dimensions(p) == dim and not p.is_empty]
    if not parts:
        return None
    flat = [q for p in parts for q in shapely.get_parts(p)]
    make = {0: shapely.multipoints, 1: shapely.multilinestrings, 2: shapely.multipolygons}[dim]
    return make(flat)


def _properties(f: Feature) -> dict[str, Any]:
    props: dict[str, Any] = {"id": f.id}
    source = f.properties
    for name in TILE_PROPERTIES:
        value = source.get(name)
        if value and isinstance(value, str):
            props[name] = value
    return props
