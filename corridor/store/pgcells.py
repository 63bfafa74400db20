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
is the ``kn`` of its kept point. :func:`circle_cover` splits a geodesic circle into cells
wholly inside it (their counts are added), cells wholly outside (skipped) and a thin ring
of boundary cells whose points are tested one by one, on the sphere where the sphere
decides and on the spheroid in the band where it might not (as the plain count does).
Inside and outside are decided from corner distances: the distance from a point to any
point of a lon/lat rectangle is largest at one of its corners (along a meridian or a
parallel the distance has no interior maximum, nor does it inside), and bounded below by
the distance to the centre minus the centre's largest corner distance.

Edits keep all of it exact (:func:`add_point`, :func:`remove_point`): a point changes the
count and possibly the kept point of its 25 cells, one per zoom, and nothing else.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from corridor import tilematrix
from corridor.tilematrix import grid_cells, grid_corners, grid_side

#: A tile of zoom z is 2**ZOOM_TO_LEVEL thinning cells across (4096 / 128 tile units, the
#: EXTENT and THIN_CELL of corridor.tiles).
ZOOM_TO_LEVEL = 5
#: Deepest zoom with a kept point (the last WebMercatorQuad tile matrix).
MAX_ZOOM = tilematrix.MAX_ZOOM
#: Level of the stored cell keys: zoom 24 (the last tile matrix) thinned in 32 x 32 cells.
LEVEL = MAX_ZOOM + ZOOM_TO_LEVEL
#: The lon/lat limits of the Web Mercator world (latitude about 85.0511).
WEST, SOUTH, EAST, NORTH = tilematrix.LONLAT_BBOX
#: Radius of PostGIS's sphere (WGS84 (2a + b) / 3) and the smallest radius of curvature
#: of the spheroid (the meridian's at the equator), in metres.
SPHERE_RADIUS = 6371008.7714
R_MIN = 6_335_439.0
#: Bound of the relative difference between a distance on PostGIS's sphere and on the
#: WGS84 spheroid (the radii of curvature span 0.9944 to 1.0045 of the mean radius), with room.
SPHERE_ERROR = 0.007
#: Metres of slack when a cell is called wholly inside or outside a circle (rounding only).
COVER_SLACK_M = 0.5
#: Points a boundary cell should hold on average: finer cells mean fewer rows tested one by
#: one but more cells (each a lookup); measured on a million points, about 8 balances them.
BOUNDARY_POINTS = 8.0

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


def _shift(z: int) -> int:
    """Bits of ``mkey`` below a cell of zoom ``z`` (level ``z + 5``)."""
    return 2 * (MAX_ZOOM - z)


def cell_range(key: int, level: int) -> tuple[int, int]:
    """The ``mkey`` values of the points in cell ``key`` of ``level``."""
    s = 2 * (LEVEL - level)
    return key << s, ((key + 1) << s) - 1


def _merged(ranges: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
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
        cell = ks >> np.int64(_shift(z))
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
    return _merged(ranges)


# --- counting within a geodesic circle --------------------------------------------------


@dataclass(frozen=True)
class Cover:
    """A geodesic circle as cells: ``inside`` cells (zoom, first and last ``mkey``), whose
    points all lie within it, and the ``mkey`` ranges of the ``boundary`` cells, whose
    points must be tested; every point within the circle is in one of them."""

    inside_zoom: list[int]
    inside_lo: list[int]
    inside_hi: list[int]
    boundary_lo: list[int]
    boundary_hi: list[int]


def _sphere_m(lon0: Any, lat0: Any, lon: Any, lat: Any) -> FloatArray:
    """Great-circle distances on PostGIS's sphere (haversine), metres."""
    p0, p = np.radians(lat0), np.radians(lat)
    h = np.sin((p - p0) / 2) ** 2 + np.cos(p0) * np.cos(p) * np.sin(np.radians(lon - lon0) / 2) ** 2
    return np.asarray(2 * SPHERE_RADIUS * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def circle_cover(lon: float, lat: float, meters: float, spacing_m: float) -> Cover | None:
    """The cells of the circle of ``meters`` around ``lon``, ``lat``, boundary cells about
    ``spacing_m`` across; None where cells cannot describe it (it would cross the
    antimeridian or leave the Web Mercator world: ask the rows instead).

    A quadtree: cells from a level where a few cover the circle are split while they are
    neither wholly inside nor wholly outside, down to the boundary level. Distances are
    on the sphere, widened by :data:`SPHERE_ERROR` to bound the spheroid's.
    """
    reach = meters * (1 + SPHERE_ERROR) + COVER_SLACK_M
    dlat = math.degrees(reach / R_MIN)
    if abs(lat) + dlat >= NORTH - 1e-6:
        return None
    dlon = math.degrees(reach / (R_MIN * math.cos(math.radians(abs(lat) + dlat))))
    if lon - dlon <= WEST or lon + dlon >= EAST:
        return None
    start = min(max(int(math.floor(math.log2((EAST - WEST) / (2 * dlon)))), ZOOM_TO_LEVEL), LEVEL)
    # cells of a level are the same width in metres along a parallel: the world's, shrunk
    width = tilematrix.WORLD_WIDTH * math.cos(math.radians(lat))
    finest = min(max(round(math.log2(width / max(spacing_m, meters / 64, 0.01))), start), LEVEL)
    (c0, c1), (r0, r1) = grid_cells([lon - dlon, lon + dlon], [lat + dlat, lat - dlat], start)
    cx, cy = (a.ravel().astype(np.int64)
              for a in np.meshgrid(np.arange(c0, c1 + 1), np.arange(r0, r1 + 1)))
    inner, outer = meters - COVER_SLACK_M, meters + COVER_SLACK_M
    cover: tuple[list[int], list[int], list[int]] = ([], [], [])
    level = start
    while True:
        lons, lats = grid_corners(np.r_[cx, cx + 1], np.r_[cy, cy + 1], level)
        (w, e), (n, s) = np.split(lons, 2), np.split(lats, 2)
        mx, my = (w + e) / 2, (n + s) / 2
        # the origin to the 4 corners, the centre to the 4 corners, the origin to the centre
        o_lon, o_lat = np.full_like(mx, lon), np.full_like(my, lat)
        d = _sphere_m(np.array([o_lon] * 4 + [mx] * 4 + [o_lon]), np.array([o_lat] * 4 + [my] * 4 + [o_lat]),
                      np.array([w, e, w, e] * 2 + [mx]), np.array([n, n, s, s] * 2 + [my]))
        far, half, near = d[:4].max(axis=0), d[4:8].max(axis=0), d[8]
        inside = far * (1 + SPHERE_ERROR) < inner
        outside = near * (1 - SPHERE_ERROR) - half * (1 + SPHERE_ERROR) > outer
        shift = np.int64(2 * (LEVEL - level))
        keys = interleave(cx[inside], cy[inside])
        cover[0].extend([level - ZOOM_TO_LEVEL] * len(keys))
        cover[1].extend((keys << shift).tolist())
        cover[2].extend((((keys + 1) << shift) - 1).tolist())
        edge = ~inside & ~outside
        cx, cy = cx[edge], cy[edge]
        if level == finest:
            keys = interleave(cx, cy)
            blo, bhi = _merged(list(zip((keys << shift).tolist(), (((keys + 1) << shift) - 1).tolist())))
            return Cover(*cover, blo, bhi)
        cx = np.concatenate([2 * cx, 2 * cx + 1, 2 * cx, 2 * cx + 1])
        cy = np.concatenate([2 * cy, 2 * cy, 2 * cy + 1, 2 * cy + 1])
        level += 1


def spacing_for(count: int, extent: Sequence[float] | None, meters: float) -> float:
    """Boundary cell size (metres) for a collection of ``count`` points over ``extent``:
    about :data:`BOUNDARY_POINTS` points a cell at the collection's mean density."""
    if not extent or count <= 0:
        return meters / 16
    w, s, e, n = extent
    mid = math.radians((s + n) / 2)
    area = max((e - w) * 111_320 * math.cos(mid) * (n - s) * 110_574, 1.0)
    return math.sqrt(BOUNDARY_POINTS * area / count)


#: The number of points of a collection within a circle, from a :class:`Cover`: the counts
#: of the inside cells (each the ``kn`` of the cell's kept point), plus the boundary cells'
#: points tested one by one (the sphere decides outside the band where it could disagree
#: with the spheroid), less the excluded feature if it is within.
COUNT_SQL = """
SELECT (SELECT coalesce(sum(coalesce(k.kn[c.z - k.kz + 1], 1)), 0)
        FROM unnest(%(iz)s::integer[], %(ilo)s::bigint[], %(ihi)s::bigint[]) AS c(z, lo, hi)
        CROSS JOIN LATERAL (
            SELECT kz, kn FROM corridor_features
            WHERE collection = %(c)s AND kz = ANY(%(zs)s::smallint[]) AND kz <= c.z
              AND mkey BETWEEN c.lo AND c.hi
            OFFSET 0) AS k)
     + (SELECT count(*)
        FROM unnest(%(blo)s::bigint[], %(bhi)s::bigint[]) AS b(lo, hi)
        CROSS JOIN LATERAL (
            SELECT geog FROM corridor_features
            WHERE collection = %(c)s AND mkey BETWEEN b.lo AND b.hi
            OFFSET 0) AS f
        WHERE ST_DWithin(f.geog, ST_GeogFromWKB(%(o)s), %(outer)s, false)
          AND (ST_DWithin(f.geog, ST_GeogFromWKB(%(o)s), %(inner)s, false)
               OR ST_DWithin(f.geog, ST_GeogFromWKB(%(o)s), %(m)s)))
     - (SELECT count(*) FROM corridor_features
        WHERE collection = %(c)s AND fid = %(skip)s
          AND ST_DWithin(geog, ST_GeogFromWKB(%(o)s), %(m)s))
"""


def sphere_band(meters: float) -> tuple[float, float]:
    """Distances on the sphere within which a point is surely within ``meters`` on the
    spheroid, and beyond which it is surely not (between them the spheroid decides)."""
    return max(meters * (1 - SPHERE_ERROR) - 0.5, 0.0), meters * (1 + SPHERE_ERROR) + 0.5


def count_params(cid: str, cover: Cover, origin_wkb: bytes, meters: float,
                 skip: str | None) -> dict[str, Any]:
    """Parameters of :data:`COUNT_SQL`."""
    inner, outer = sphere_band(meters)
    return {"c": cid, "iz": cover.inside_zoom, "ilo": cover.inside_lo, "ihi": cover.inside_hi,
            "zs": list(range(max(cover.inside_zoom, default=0) + 1)),
            "blo": cover.boundary_lo, "bhi": cover.boundary_hi, "o": origin_wkb, "m": meters,
            "outer": outer, "inner": inner, "skip": skip}


# --- edits --------------------------------------------------------------------------------

#: The kept point of each of a point's 25 cells (one a zoom), the point itself left out.
_KEPT_SQL = """
SELECT c.z, k.pos, k.kz, k.kn, k.mkey
FROM unnest(%(z)s::integer[], %(lo)s::bigint[], %(hi)s::bigint[]) AS c(z, lo, hi)
CROSS JOIN LATERAL (
    SELECT pos, kz, kn, mkey FROM corridor_features
    WHERE collection = %(c)s AND kz = ANY(%(zs)s::smallint[]) AND kz <= c.z
      AND mkey BETWEEN c.lo AND c.hi AND pos <> %(p)s
    OFFSET 0) AS k
"""


@dataclass
class _Point:
    """A stored point's cell columns."""

    pos: int
    mkey: int
    kz: int | None
    kn: list[int] | None

    def count(self, z: int) -> int:
        """Points in its cell at zoom ``z`` (it must be kept there)."""
        assert self.kz is not None and z >= self.kz
        i = z - self.kz
        return self.kn[i] if self.kn and i < len(self.kn) else 1


def _kept(conn: Any, cid: str, key: int, skip: int, zooms: Sequence[int],
          child: bool = False) -> dict[int, _Point]:
    """The kept point (other than ``skip``) of the cell of ``key`` at each of ``zooms``
    (with ``child``: of the cells at zoom + 1 that share the zoom's cell but not ``key``)."""
    args: dict[str, list[int]] = {"z": [], "lo": [], "hi": []}
    for z in zooms:
        if child:
            mine = key >> _shift(z + 1)
            for j in range(4):
                sib = ((mine >> 2) << 2) | j
                if sib != mine:
                    lo, hi = cell_range(sib, z + 1 + ZOOM_TO_LEVEL)
                    args["z"].append(z + 1)
                    args["lo"].append(lo)
                    args["hi"].append(hi)
        else:
            lo, hi = cell_range(key >> _shift(z), z + ZOOM_TO_LEVEL)
            args["z"].append(z)
            args["lo"].append(lo)
            args["hi"].append(hi)
    rows = conn.execute(_KEPT_SQL, {**args, "c": cid, "p": skip,
                                    "zs": list(range(MAX_ZOOM + 1))}).fetchall()
    out: dict[int, _Point] = {}
    for z, pos, kz, kn, mkey in rows:
        point = _Point(int(pos), int(mkey), kz, kn)
        best = out.get(z - 1 if child else z)
        if best is None or point.pos < best.pos:  # of siblings: the first in data order
            out[z - 1 if child else z] = point
    return out


def add_point(conn: Any, cid: str, pos: int, lon: float, lat: float) -> None:
    """Enter the stored feature at ``pos``, a point at ``lon``, ``lat``, into the pyramid
    of collection ``cid`` (its own cell columns are written here)."""
    key = _key(lon, lat)
    if key is None:
        return
    before = _kept(conn, cid, key, pos, range(MAX_ZOOM + 1))
    after: dict[int, tuple[int, int]] = {}  # zoom -> (kept pos, count)
    for z in range(MAX_ZOOM + 1):
        old = before.get(z)
        if old is None:
            after[z] = (pos, 1)
        else:
            after[z] = (min(pos, old.pos), old.count(z) + 1)
    me = _Point(pos, key, None, None)
    _store(conn, cid, key, after, [me, *before.values()])


def remove_point(conn: Any, cid: str, pos: int) -> None:
    """Take the stored feature at ``pos`` out of the pyramid of collection ``cid`` (before
    it is deleted or moved); nothing happens if it has no cell."""
    row = conn.execute("SELECT mkey, kz, kn FROM corridor_features WHERE collection = %s "
                       "AND pos = %s", (cid, pos)).fetchone()
    if row is None or row[0] is None:
        return
    me = _Point(pos, int(row[0]), row[1], row[2])
    key = me.mkey
    before = _kept(conn, cid, key, pos, range(MAX_ZOOM + 1))
    # the cells it was kept in need a new kept point: the first of their children's
    mine = range(me.kz, MAX_ZOOM + 1) if me.kz is not None else range(0)
    siblings = _kept(conn, cid, key, pos, [z for z in mine if z < MAX_ZOOM], child=True)
    twin = conn.execute("SELECT pos, kz, kn FROM corridor_features WHERE collection = %s "
                        "AND mkey = %s AND pos <> %s ORDER BY pos LIMIT 1",
                        (cid, key, pos)).fetchone() if me.kz is not None else None
    after: dict[int, tuple[int, int]] = {}
    heirs: list[_Point] = []
    for z in range(MAX_ZOOM, -1, -1):
        count = (me.count(z) if z in mine else before[z].count(z)) - 1
        if z not in mine:
            after[z] = (before[z].pos, count)
            continue
        if count == 0:
            continue
        options = [p for p in (siblings.get(z),) if p is not None]
        if z == MAX_ZOOM and twin is not None:
            options.append(_Point(int(twin[0]), key, twin[1], twin[2]))
        if z + 1 in after:
            options.append(next(p for p in heirs if p.pos == after[z + 1][0]))
        heir = min(options, key=lambda p: p.pos)
        heirs.append(heir)
        after[z] = (heir.pos, count)
    _store(conn, cid, key, after, [*before.values(), *heirs])


def _key(lon: float, lat: float) -> int | None:
    keys, ok = cell_keys(np.array([lon]), np.array([lat]))
    return int(keys[0]) if ok[0] else None


def _store(conn: Any, cid: str, key: int, after: dict[int, tuple[int, int]],
           touched: Sequence[_Point]) -> None:
    """Write the cell columns of the points ``touched`` (each once), given the new kept
    point and count ``after[z]`` of the cell of ``key`` at each zoom (absent: empty).

    At a zoom where a touched point shares the cell of ``key``, its state is the cell's new
    one; at deeper zooms it is in another cell, which the edit did not change.
    """
    seen: dict[int, _Point] = {}
    for p in touched:
        seen.setdefault(p.pos, p)
    rows = []
    for p in seen.values():
        flags, counts = [], []
        for z in range(MAX_ZOOM + 1):
            if p.mkey >> _shift(z) == key >> _shift(z):
                kept = z in after and after[z][0] == p.pos
                flags.append(kept)
                counts.append(after[z][1] if kept else 0)
            else:
                kept = p.kz is not None and z >= p.kz
                flags.append(kept)
                counts.append(p.count(z) if kept else 0)
        kz = flags.index(True) if True in flags else None
        kn = counts[kz:] if kz is not None else []
        while kn and kn[-1] == 1:
            kn.pop()
        rows.append((p.mkey, kz, kn or None, cid, p.pos))
    conn.cursor().executemany("UPDATE corridor_features SET mkey = %s, kz = %s, kn = %s "
                              "WHERE collection = %s AND pos = %s", rows)
