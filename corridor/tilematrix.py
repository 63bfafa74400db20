"""The one tile matrix set every tile path uses: OGC's WebMercatorQuad, from morecantile.

The API's ``/tileMatrixSets``, the in-process engine's tile encoder (:mod:`corridor.tiles`),
the PostGIS engine's tile boxes and cell pyramid (:mod:`corridor.store.pgcells`) and the
benchmarks all take tile bounds and indices from here, so there is one definition of what
tile ``z/x/y`` covers: the standard's, as morecantile ships it (OGC 17-083r4 annex D).

Besides the tile matrices themselves, the cell pyramid needs the grids finer than the last
one (a tile of zoom 24 split in 32 x 32 cells is level 29). WebMercatorQuad is a quadtree,
so the grid of level ``L`` is the tiles of tile matrix ``L`` and, past the last matrix, its
tiles halved ``L - 24`` times; :func:`grid_cells` and :func:`grid_corners` work on those
grids, vectorised, with the matrix set's own origin and cell sizes.
"""

from __future__ import annotations

import morecantile
import numpy as np
from numpy.typing import ArrayLike, NDArray

from corridor.crs import WGS84, transformer

#: OGC WebMercatorQuad (EPSG:3857, 256-pixel tiles, tile matrices 0 to 24).
TMS: morecantile.TileMatrixSet = morecantile.tms.get("WebMercatorQuad")
TMS_ID = str(TMS.id)
#: The matrix set's CRS as an EPSG code (what :func:`corridor.crs.transformer` takes).
CRS = f"EPSG:{TMS.crs.to_epsg()}"
#: The matrix set's CRS as the URI of its definition.
CRS_URI: str = TMS.crs.srs
MIN_ZOOM: int = TMS.minzoom
MAX_ZOOM: int = TMS.maxzoom
#: (minx, miny, maxx, maxy) of the whole matrix set in CRS metres.
XY_BBOX: tuple[float, float, float, float] = (
    TMS.xy_bbox.left, TMS.xy_bbox.bottom, TMS.xy_bbox.right, TMS.xy_bbox.top)
#: (west, south, east, north) of the whole matrix set in degrees (south and north are
#: Web Mercator's latitude limits, about 85.0511).
LONLAT_BBOX: tuple[float, float, float, float] = (
    TMS.bbox.left, TMS.bbox.bottom, TMS.bbox.right, TMS.bbox.top)
#: Width of the world in CRS metres (one tile of tile matrix 0).
WORLD_WIDTH: float = XY_BBOX[2] - XY_BBOX[0]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def to_xy(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Project lon/lat degrees to the matrix set's CRS (metres), latitudes cut to
    :data:`LONLAT_BBOX` first (beyond it Web Mercator runs off to infinity)."""
    _, south, _, north = LONLAT_BBOX
    x, y = transformer(WGS84, CRS).transform(
        np.asarray(lon, dtype=float), np.clip(np.asarray(lat, dtype=float), south, north))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def to_lonlat(x: ArrayLike, y: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """CRS metres back to lon/lat degrees (the inverse of :func:`to_xy`)."""
    lon, lat = transformer(CRS, WGS84).transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def _grid(level: int) -> tuple[float, float, float, int]:
    """Origin x, origin y (top left), cell side in metres and cells across, of ``level``."""
    if level < MIN_ZOOM:
        raise ValueError(f"grid level {level} is coarser than tile matrix {MIN_ZOOM}")
    matrix = TMS.matrix(min(level, MAX_ZOOM))
    split = 2 ** max(level - MAX_ZOOM, 0)
    ox, oy = matrix.pointOfOrigin  # WebMercatorQuad: x, y from the top left corner
    return ox, oy, matrix.cellSize * matrix.tileWidth / split, matrix.matrixWidth * split


def grid_side(level: int) -> int:
    """Cells across (and down) the grid of ``level``: ``2**level``.

    Raises
    ------
    ValueError
        If ``level`` is coarser than the first tile matrix.
    """
    return _grid(level)[3]


def grid_cells(lon: ArrayLike, lat: ArrayLike, level: int) -> tuple[IntArray, IntArray]:
    """Column and row (from the top) of the cell of the grid of ``level`` holding each
    point (lon/lat degrees); points beyond the world go to its edge cells.

    Raises
    ------
    ValueError
        If ``level`` is coarser than the first tile matrix.
    """
    ox, oy, size, side = _grid(level)
    x, y = to_xy(lon, lat)
    cx = np.clip(np.floor((x - ox) / size), 0, side - 1).astype(np.int64)
    cy = np.clip(np.floor((oy - y) / size), 0, side - 1).astype(np.int64)
    return cx, cy


def grid_corners(cx: ArrayLike, cy: ArrayLike, level: int) -> tuple[FloatArray, FloatArray]:
    """Longitude and latitude of the top left corner of cells ``(cx, cy)`` of the grid of
    ``level`` (``cx + 1``, ``cy + 1``: their right and bottom edges).

    Raises
    ------
    ValueError
        If ``level`` is coarser than the first tile matrix.
    """
    ox, oy, size, _ = _grid(level)
    return to_lonlat(ox + np.asarray(cx, dtype=float) * size, oy - np.asarray(cy, dtype=float) * size)
