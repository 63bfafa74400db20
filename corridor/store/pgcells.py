"""The cell pyramid of the PostGIS store: what lets a dense vector tile read its thousand
kept points, and "how many within N km" count whole cells, instead of touching every row.

Why
---
Two questions cost a row each when asked of the features themselves: a dense tile keeps
one point per 128-unit cell (:mod:`corridor.tiles`), yet finding which one means reading
every point of the tile (60,000 in a z11 tile of a million-point layer), and the exact
number of points within 5 km means testing each of them (about 1 us a row in PostgreSQL).
Both are answered here from a few precomputed numbers per point, kept exact under edits.

The cells
---------
Cells are those of the tile thinning rule: a tile of zoom ``z`` is 32 x 32 cells of 128
tile units, so thinning at zoom ``z`` groups points by the Web Mercator grid of level
``z + 5`` (``2**(z+5)`` cells across the world: :func:`corridor.tilematrix.grid_cells`,
WebMercatorQuad's own grids). Every point gets the Morton code of its
cell at level :data:`LEVEL` (29, i.e. zoom 24, the last tile matrix), ``mkey``; its cell at
any coarser level is ``mkey`` shifted right, and the cells of a level-``L`` cell are one
range of ``mkey`` values. Points beyond the Web Mercator world (latitudes past
:data:`~corridor.tilematrix.LONLAT_BBOX`, never in a tile) and features that are not points get no
cell (NULL).

Thinning keeps, in each cell, the point first in data order (smallest ``pos``). Cells nest,
so a point kept at zoom ``z`` is kept at every deeper zoom: each point has a smallest zoom
``kz`` at which it is kept (NULL: kept at none, it shares its zoom-24 cell with an earlier
point), and ``kn`` holds the point counts of its cell at zooms ``kz``, ``kz + 1``, ...
(trailing ones left out, NULL when all are one). So the kept points of a tile at zoom
``z`` are the points of its cells with ``kz <= z`` (an index on ``(kz, mkey)`` finds them:
about a thousand), each with ``n = kn[z - kz + 1]`` (or 1), and their ``n`` add up to the
tile's point count, which says whether it is thinned at all.

The same numbers are a count pyramid: the number of points in any cell of level 5 to 29
is the ``kn`` of its kept point, which counts points within a circle a cell at a time
(:mod:`corridor.store.pgcircle`). Edits keep all of it exact (:mod:`corridor.store.pgcelledit`).

This module holds the keys and the building of a whole collection's pyramid, and the key
ranges of a tile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from corridor import tilematrix
from corridor.tilematrix import grid_cells, grid_side

#: A tile of zoom z is 2**ZOOM_TO_LEVEL thinning cells across (4096 / 128 tile units, the
#: EXTENT and THIN_CELL of corridor.tiles).
ZOOM_TO_LEVEL = 5
#: Deepest zoom with a kept point (the last WebMercatorQuad tile matrix).
MAX_ZOOM = tilematrix.MAX_ZOOM
#: Level of the stored cell keys: zoom 24 (the last tile matrix) thinned in 32 x 32 cells.
LEVEL = MAX_ZOOM + ZOOM_TO_LEVEL
#: The lon/lat limits of the Web Mercator world (latitude about 85.0511).
WEST, SOUTH, EAST, NORTH = tilematrix.LONLAT_BBOX

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


# --- cells and Morton keys -------------------------------------------------------------


def interleave(cx: NDArray[Any], cy: NDArray[Any]) -> IntArray:
    """Morton codes of cells ``(cx, cy)`` (at most 31 bits each): x on the even bits."""
    return (_spread(cx) | (_spread(cy) << np.uint64(1))).astype(np.int64)


def _spread(v: NDArray[Any]) -> NDArray[np.uint64]:
    """The 32 low bits of ``v`` moved to the even bit positions."""
    v = np.asarray(v).astype(np.uint64) & np.uint64(0xFFFFFFFF)
    for shift, mask in ((16, 0x0000FFFF0000FFFF), (8, 0x00FF00FF00FF00FF),
                        (4, 0x0F0F0F0F0F0F0F0F), (2, 0x3333333333333333), (1, 0x5555555555555555)):
        v = (v | (v << np.uint64(shift))) & np.uint64(mask)
    return v


def cell_keys(lon: FloatArray, lat: FloatArray) -> tuple[IntArray, NDArray[np.bool_]]:
    """Level-:data:`LEVEL` Morton keys of points (lon/lat degrees), and which points have
    one (those inside the Web Mercator world)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    with np.errstate(invalid="ignore"):  # NaN compares false: no cell
        ok = (lat >= SOUTH) & (lat <= NORTH) & (lon >= WEST) & (lon <= EAST)
    cx, cy = grid_cells(np.where(ok, lon, 0.0), np.where(ok, lat, 0.0), LEVEL)
    return interleave(cx, cy), ok


def zoom_shift(z: int) -> int:
    """Bits of ``mkey`` below a cell of zoom ``z`` (level ``z + 5``)."""
    return 2 * (MAX_ZOOM - z)


def cell_range(key: int, level: int) -> tuple[int, int]:
    """The ``mkey`` values of the points in cell ``key`` of ``level``."""
    s = 2 * (LEVEL - level)
    return key << s, ((key + 1) << s) - 1


def merged_ranges(ranges: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """Sorted ranges with touching ones joined, as (starts, ends)."""
    lo: list[int] = []
    hi: list[int] = []
    for a, b in sorted(ranges):
        if hi and a <= hi[-1] + 1:
            hi[-1] = max(hi[-1], b)
        else:
            lo.append(a)
            hi.append(b)
    return lo, hi


# --- the pyramid of a whole collection -------------------------------------------------


@dataclass(frozen=True)
class Pyramid:
    """The cell columns of a collection's features, in the order they were given:
    ``mkey`` (None without a cell), ``kz`` (None: never kept) and ``kn``."""

    mkey: list[int | None]
    kz: list[int | None]
    kn: list[list[int] | None]


def point_lonlat(geoms: Sequence[Any] | NDArray[Any]) -> tuple[FloatArray, FloatArray]:
    """lon, lat of each geometry that is a non-empty point (NaN for anything else)."""
    g = np.asarray(geoms, dtype=object)
    point = np.zeros(len(g), dtype=bool)
    if len(g):
        present = ~shapely.is_missing(g)
        point[present] = (shapely.get_type_id(g[present]) == shapely.GeometryType.POINT) \
            & ~shapely.is_empty(g[present])
    lon, lat = np.full(len(g), np.nan), np.full(len(g), np.nan)
    if point.any():
        xy = shapely.get_coordinates(g[point])
        lon[point], lat[point] = xy[:, 0], xy[:, 1]
    return lon, lat


def pyramid(pos: Sequence[int] | IntArray, lon: FloatArray, lat: FloatArray) -> Pyramid:
    """The cell columns of features at data-order positions ``pos`` (unique) with point
    coordinates ``lon``, ``lat`` (NaN: not a point).

    Sorted by ``mkey``, every cell of every level is a run of consecutive points, so each
    zoom costs one pass: the run's smallest ``pos`` is its kept point, its length the count.
    """
    pos = np.asarray(pos, dtype=np.int64)
    n = len(pos)
    out = Pyramid([None] * n, [None] * n, [None] * n)
    keys, ok = cell_keys(lon, lat)
    idx = np.flatnonzero(ok)
    if not len(idx):
        return out
    order = idx[np.lexsort((pos[idx], keys[idx]))]
    ks, ps = keys[order], pos[order]
    kz = np.full(len(order), -1, dtype=np.int64)
    who, zoom, count = [], [], []  # every count above one a kept point carries
    for z in range(MAX_ZOOM + 1):
        cell = ks >> np.int64(zoom_shift(z))
        starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
        runs = np.diff(np.r_[starts, len(ks)])
        size = np.repeat(runs, runs)
        kept = ps == np.repeat(np.minimum.reduceat(ps, starts), runs)
        kz[kept & (kz < 0)] = z
        big = np.flatnonzero(kept & (size > 1))
        who.append(big)
        zoom.append(np.full(len(big), z))
        count.append(size[big])
    for i, k, z in zip(order.tolist(), ks.tolist(), kz.tolist()):
        out.mkey[i] = k
        out.kz[i] = z if z >= 0 else None
    w, c = np.concatenate(who), np.concatenate(count)
    srt = np.lexsort((np.concatenate(zoom), w))
    w, c = w[srt], c[srt]
    if len(w):
        # a cell's count falls with the zoom: the counts above one are the first, unbroken
        cuts = np.flatnonzero(np.r_[True, w[1:] != w[:-1]])
        for j, chunk in zip(w[cuts].tolist(), np.split(c, cuts[1:])):
            out.kn[int(order[j])] = chunk.tolist()
    return out


def fill(conn: Any, cid: str) -> int:
    """Compute the cell columns of every feature of collection ``cid`` already stored (an
    upgrade from a schema without them); returns how many features have a cell."""
    rows = conn.execute(
        "SELECT pos, ST_X(geom), ST_Y(geom) FROM corridor_features WHERE collection = %s "
        "AND GeometryType(geom) = 'POINT' AND NOT ST_IsEmpty(geom)", (cid,)).fetchall()
    if not rows:
        return 0
    pos = np.array([r[0] for r in rows], dtype=np.int64)
    pyr = pyramid(pos, np.array([r[1] for r in rows], dtype=float),
                  np.array([r[2] for r in rows], dtype=float))
    conn.execute("CREATE TEMPORARY TABLE corridor_cells_fill (pos bigint, mkey bigint, "
                 "kz smallint, kn integer[]) ON COMMIT DROP")
    with conn.cursor().copy("COPY corridor_cells_fill FROM STDIN") as copy:
        for p, k, z, c in zip(pos.tolist(), pyr.mkey, pyr.kz, pyr.kn):
            copy.write_row((p, k, z, c))
    conn.execute("UPDATE corridor_features f SET mkey = t.mkey, kz = t.kz, kn = t.kn "
                 "FROM corridor_cells_fill t WHERE f.collection = %s AND f.pos = t.pos", (cid,))
    conn.execute("DROP TABLE corridor_cells_fill")
    return sum(k is not None for k in pyr.mkey)


# --- vector tiles -----------------------------------------------------------------------


def tile_ranges(z: int, x: int, y: int) -> tuple[list[int], list[int]]:
    """``mkey`` ranges of the thinning cells of tile ``z/x/y`` and its one-cell buffer
    (34 x 34 cells of level ``z + 5``, those inside the world): the tile is one range,
    the buffer's 132 cells one each (joined where they touch)."""
    level = z + ZOOM_TO_LEVEL
    tile = int(interleave(np.array([x]), np.array([y]))[0])
    ranges = [cell_range(tile, z)]
    side, n = grid_side(level), 2**ZOOM_TO_LEVEL
    c0, r0 = n * x, n * y
    ring = [(cx, cy) for cx in range(c0 - 1, c0 + n + 1) for cy in (r0 - 1, r0 + n)]
    ring += [(cx, cy) for cx in (c0 - 1, c0 + n) for cy in range(r0, r0 + n)]
    ring = [(cx, cy) for cx, cy in ring if 0 <= cx < side and 0 <= cy < side]
    if ring:
        keys = interleave(np.array([c[0] for c in ring]), np.array([c[1] for c in ring]))
        ranges += [cell_range(k, level) for k in keys.tolist()]
    return merged_ranges(ranges)
