"""Vector tiles over any store: the WebMercatorQuad tile matrix set and Mapbox Vector Tiles.

WebMercatorQuad is the tiling of OGC's Two-Dimensional Tile Matrix Set standard (17-083r4,
annex D): EPSG:3857, 256 x 256 pixel tiles, tile matrix ``z`` of ``2**z`` by ``2**z`` tiles,
rows counted from the top. We serve its 25 tile matrices as the standard defines them,
0 to :data:`MAX_ZOOM` (24: a pixel is about 1 cm at the equator, far finer than any
position here). Web Mercator is used for tile geometry only; every distance the service
reports stays geodesic.

:func:`render_tile` asks the store for the features intersecting the tile's lon/lat box
grown by :data:`BUFFER` tile units each side, and encodes them with ``mapbox-vector-tile``
as one layer named by the collection id, in tile units (extent :data:`EXTENT`, y down):

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

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from mapbox_vector_tile.encoder import VectorTile as _Encoder
from mapbox_vector_tile.encoder import on_invalid_geometry_make_valid
from numpy.typing import NDArray

from corridor.crs import WGS84, transformer
from corridor.errors import InvalidParameter, NotFound
from corridor.model import Feature, VectorTile
from corridor.store.base import FeatureStore

TMS_ID = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
WEB_MERCATOR = "EPSG:3857"
WEB_MERCATOR_URI = "http://www.opengis.net/def/crs/EPSG/0/3857"
#: Deepest tile matrix served: the last one the standard's WebMercatorQuad defines.
MAX_ZOOM = 24
#: Pixels of a tile side.
TILE_PIXELS = 256
#: Half the width of the Web Mercator world in metres (pi times the WGS84 semi-major axis).
HALF_WORLD = math.pi * 6378137.0
#: Latitude of the top and bottom edges of tile matrix 0.
MAX_LAT = math.degrees(math.atan(math.sinh(math.pi)))
#: Tile units across a tile (the MVT default).
EXTENT = 4096
#: Above this many points, a tile keeps one point per cell (see the module docstring).
THIN_ABOVE = 1000
#: Side of a thinning cell in tile units (8 pixels of a 256-pixel tile: about a drawn point).
THIN_CELL = 128
#: Tile units of data kept beyond each edge, so symbols near an edge are drawn whole: one
#: thinning cell, so the cells along an edge are whole in both tiles that share it.
BUFFER = THIN_CELL
#: Standardised rendering pixel size of OGC scale denominators (0.28 mm).
PIXEL_METRES = 0.00028
#: Properties a tile carries besides ``id`` (strings only, when the feature has them).
TILE_PROPERTIES = ("name_zh", "name_en")

_DIGITS = re.compile(r"[0-9]{1,10}")
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class TileIndex:
    """One tile of WebMercatorQuad: tile matrix ``z``, column ``x``, row ``y`` (from the top)."""

    z: int
    x: int
    y: int

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) of the tile in EPSG:3857 metres."""
        size = 2 * HALF_WORLD / 2**self.z
        minx = -HALF_WORLD + self.x * size
        maxy = HALF_WORLD - self.y * size
        return (minx, maxy - size, minx + size, maxy)

    @property
    def lonlat_bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the tile in degrees (a Mercator tile is a lon/lat box)."""
        return _lonlat_box(self.bounds)

    def buffered_bounds(self, units: float = BUFFER) -> tuple[float, float, float, float]:
        """:attr:`bounds` grown by ``units`` tile units each side (EPSG:3857 metres)."""
        minx, miny, maxx, maxy = self.bounds
        pad = (maxx - minx) * units / EXTENT
        return (minx - pad, miny - pad, maxx + pad, maxy + pad)


def parse_tile(z: Any, x: Any, y: Any) -> TileIndex:
    """The tile at tile matrix ``z``, column ``x`` and row ``y`` (ints or their decimal text).

    Raises
    ------
    InvalidParameter
        If a value is not a non-negative integer (the message names it and the range).
    NotFound
        If ``z`` is beyond 0..:data:`MAX_ZOOM` or ``x``/``y`` beyond 0..2**z - 1: no such tile.
    """
    zi = _index(z, "tileMatrix", f"0 to {MAX_ZOOM}")
    if zi > MAX_ZOOM:
        raise NotFound(f"tileMatrix {zi} is not in {TMS_ID}; expected 0 to {MAX_ZOOM}")
    last = 2**zi - 1
    xi = _index(x, "tileCol", f"0 to {last} in tile matrix {zi}")
    yi = _index(y, "tileRow", f"0 to {last} in tile matrix {zi}")
    for name, value in (("tileCol", xi), ("tileRow", yi)):
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
    """The tile of tile matrix ``z`` holding the point ``lon``, ``lat`` (degrees)."""
    x, y = transformer(WGS84, WEB_MERCATOR).transform(lon, max(-MAX_LAT, min(MAX_LAT, lat)))
    n = 2**z
    col = int((x + HALF_WORLD) / (2 * HALF_WORLD) * n)
    row = int((HALF_WORLD - y) / (2 * HALF_WORLD) * n)
    return TileIndex(z, min(max(col, 0), n - 1), min(max(row, 0), n - 1))


def _lonlat_box(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """A Web Mercator box as a lon/lat box, cut to the Mercator world."""
    minx, miny, maxx, maxy = box
    lon0, lat0, lon1, lat1 = transformer(WEB_MERCATOR, WGS84).transform_bounds(
        max(minx, -HALF_WORLD), max(miny, -HALF_WORLD), min(maxx, HALF_WORLD), min(maxy, HALF_WORLD))
    return (max(lon0, -180.0), max(lat0, -MAX_LAT), min(lon1, 180.0), min(lat1, MAX_LAT))


def tile_matrix_set() -> dict[str, Any]:
    """The WebMercatorQuad definition as OGC 2D TMS 2.0 JSON (no links: the web layer adds them)."""
    origin = [-HALF_WORLD, HALF_WORLD]
    matrices = []
    for z in range(MAX_ZOOM + 1):
        cell = 2 * HALF_WORLD / TILE_PIXELS / 2**z
        matrices.append({
            "id": str(z), "scaleDenominator": cell / PIXEL_METRES, "cellSize": cell,
            "cornerOfOrigin": "topLeft", "pointOfOrigin": origin,
            "tileWidth": TILE_PIXELS, "tileHeight": TILE_PIXELS,
            "matrixWidth": 2**z, "matrixHeight": 2**z,
        })
    return {
        "id": TMS_ID,
        "title": "Google Maps Compatible for the World",
        "uri": TMS_URI,
        "crs": WEB_MERCATOR_URI,
        "orderedAxes": ["X", "Y"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "boundingBox": {"lowerLeft": [-HALF_WORLD, -HALF_WORLD], "upperRight": [HALF_WORLD, HALF_WORLD],
                        "crs": WEB_MERCATOR_URI},
        "tileMatrices": matrices,
    }


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


def lonlat_box(tile: TileIndex) -> tuple[float, float, float, float]:
    """The lon/lat box of ``tile``'s buffered bounds: what a tile needs from the store."""
    return _lonlat_box(tile.buffered_bounds())


def encode_features(cid: str, features: list[Feature], tile: TileIndex) -> VectorTile:
    """Encode ``features`` (those of collection ``cid`` in :func:`lonlat_box` of ``tile``) as
    the tile's one layer, named ``cid`` (see the module docstring for what is kept)."""
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
        x, y = transformer(WGS84, WEB_MERCATOR).transform(
            lonlat[:, 0], np.clip(lonlat[:, 1], -MAX_LAT, MAX_LAT))
        return np.column_stack(((np.asarray(x) - self.minx) * self.scale,
                                (self.maxy - np.asarray(y)) * self.scale))


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
    geom: shapely.Geometry, lonlat_box: tuple[float, float, float, float], to_tile: _TileUnits,
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
