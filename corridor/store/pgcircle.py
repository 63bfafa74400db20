"""How many points of a collection lie within a geodesic circle, from the cell pyramid of
:mod:`corridor.store.pgcells`.

:func:`circle_cover` splits the circle into cells wholly inside it (their counts are added),
cells wholly outside (skipped) and a thin ring of boundary cells whose points are tested one
by one (:data:`COUNT_SQL`), on the sphere where the sphere decides and on the spheroid in the
band where it might not (as the plain count does). Inside and outside are decided from
corner distances: the distance from a point to any point of a lon/lat rectangle is largest
at one of its corners (along a meridian or a parallel the distance has no interior maximum,
nor does it inside), and bounded below by the distance to the centre minus the centre's
largest corner distance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from corridor import tilematrix
from corridor.store.pgcells import (
    EAST,
    LEVEL,
    NORTH,
    WEST,
    ZOOM_TO_LEVEL,
    FloatArray,
    interleave,
    merged_ranges,
)
from corridor.tilematrix import grid_cells, grid_corners

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
            blo, bhi = merged_ranges(list(zip((keys << shift).tolist(), (((keys + 1) << shift) - 1).tolist())))
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
