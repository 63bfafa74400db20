"""Exact geodesic distances (WGS84 ellipsoid) between shapely geometries in lon/lat.

What "distance" means here
--------------------------
The distance between two geometries is the length of the shortest geodesic on the WGS84
ellipsoid between any point of one and any point of the other; it is 0 when they
intersect (a point inside a polygon is at distance 0 from it). A polygon therefore counts
from its edge, a line from its nearest point.

Edges follow RFC 7946 (GeoJSON) section 3.1.1: the line between two positions is the
straight line in lon/lat, which is also what shapely uses for containment and
intersection. Edges are densified in lon/lat (:data:`DENSIFY_DEG`) so that every piece is
short enough to be treated as straight in any local projection (the bend of a 0.002 degree
piece is under a millimetre).

How it is computed
------------------
The azimuthal equidistant projection centred on a point q maps every point p to
``(s sin a, s cos a)`` where ``s, a`` are the geodesic distance and azimuth from q to p
(:meth:`pyproj.Geod.inv`); distances *from q* are exact in it. The distance from q to a
short edge is then the plane distance from the origin to that edge's image. Between two
non-intersecting polylines the shortest connection always ends at a vertex of one of them,
so the geometry-to-geometry distance is the minimum over the (densified) vertices of each
geometry of their point-to-geometry distance to the other.

Only the edges and vertices that can be nearest are examined: a metric pre-filter in
Gauss-Kruger CM 120E (EPSG:4549, :func:`corridor.crs.to_metric`) keeps every candidate
whose plane distance is within the projection's scale-factor bound (:func:`scale_bounds`)
of the best plane distance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod

from corridor.crs import to_metric

#: The WGS84 ellipsoid every distance is measured on.
GEOD = Geod(ellps="WGS84")
#: Longest edge piece, in degrees, after densification (about 200 m).
DENSIFY_DEG = 0.002
#: Slack, in metres, added to every metric window (edge bending, rounding, ellipsoid
#: difference between CGCS2000 and WGS84): far more than needed, far less than 1 m.
WINDOW_SLACK_M = 0.05
_FALSE_EASTING = 500_000.0
#: Smallest radius of curvature of the GRS80/WGS84 ellipsoid (meridian radius at the equator).
_R_MIN = 6_335_439.0
#: Beyond this easting offset from CM 120E the metric filter is not trusted.
MAX_METRIC_OFFSET_M = 1_500_000.0

FloatArray = NDArray[np.float64]


def scale_bounds(x_min: float, x_max: float) -> tuple[float, float]:
    """Bounds of the EPSG:4549 point scale factor over eastings ``x_min..x_max`` (metres).

    Gauss-Kruger with scale 1 on the central meridian has ``k >= 1`` everywhere and
    ``k <= cosh(X / R)`` with ``X`` the offset from the central meridian and ``R`` the smallest
    radius of curvature. A plane distance ``dm`` then brackets the geodesic ``d`` as
    ``dm / k_max <= d <= dm / k_min``.

    Returns
    -------
    (k_min, k_max)

    Raises
    ------
    ValueError
        If the range is not finite or lies too far from the central meridian
        (:data:`MAX_METRIC_OFFSET_M`); callers then fall back to brute force.
    """
    off = max(abs(x_min - _FALSE_EASTING), abs(x_max - _FALSE_EASTING))
    if not math.isfinite(off) or off > MAX_METRIC_OFFSET_M:
        raise ValueError(f"easting offset {off} m is outside the trusted range")
    return 1.0, math.cosh(off / _R_MIN) * (1.0 + 1e-6)


def point_distances_m(lon0: float, lat0: float, lon: FloatArray, lat: FloatArray) -> FloatArray:
    """Geodesic distances in metres from one point to many (vectorised Geod.inv)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if lon.size == 0:
        return np.zeros(0)
    _, _, d = GEOD.inv(np.full(lon.shape, lon0), np.full(lat.shape, lat0), lon, lat)
    return np.asarray(d, dtype=float)


def _segments_ll(geom: shapely.Geometry) -> FloatArray:
    """Densified edges of ``geom``'s boundary as an (n, 4) array lon0, lat0, lon1, lat1.

    Points (and the points of a MultiPoint) are zero-length edges.
    """
    parts = shapely.get_parts(geom)
    out: list[FloatArray] = []
    for part in parts:
        if isinstance(part, shapely.Point):
            c = shapely.get_coordinates(part)
            out.append(np.hstack([c, c]))
            continue
        if isinstance(part, shapely.Polygon):
            rings = [part.exterior, *part.interiors]
        else:  # LineString / LinearRing
            rings = [part]
        for ring in rings:
            c = shapely.get_coordinates(shapely.segmentize(ring, DENSIFY_DEG))
            if len(c) == 1:
                c = np.vstack([c, c])
            out.append(np.hstack([c[:-1], c[1:]]))
    if not out:
        return np.zeros((0, 4))
    return np.vstack(out)


@dataclass(frozen=True, eq=False)
class EdgeSet:
    """The densified edges of many geometries, in lon/lat and in metric (EPSG:4549), in one
    array for all: prepared once, so that distances from a point need neither densifying
    nor projecting, and one vectorised pass answers for every geometry asked about.

    Item ``i``'s edges are rows ``start[i]:start[i] + count[i]``; a point has none.
    """

    ll: FloatArray
    m: FloatArray
    start: NDArray[np.intp]
    count: NDArray[np.intp]
    #: Each item's easting range over its edges (metric; 0 for a point).
    x_min: FloatArray
    x_max: FloatArray
    #: Whether each item is a polygon (a point inside is at distance 0).
    areal: NDArray[np.bool_]

    @classmethod
    def of(cls, geoms: NDArray[np.object_]) -> EdgeSet:
        lls = [np.zeros((0, 4)) if shapely.get_type_id(g) == 0 else _segments_ll(g) for g in geoms]
        count = np.array([len(a) for a in lls], dtype=np.intp)
        start = np.zeros(len(lls), dtype=np.intp)
        start[1:] = np.cumsum(count)[:-1]
        ll = np.vstack(lls) if lls else np.zeros((0, 4))
        m = _to_metric_segs(ll)
        xs = np.minimum(m[:, 0], m[:, 2]), np.maximum(m[:, 0], m[:, 2])
        x_min = np.array([xs[0][a:a + n].min() if n else 0.0 for a, n in zip(start, count)])
        x_max = np.array([xs[1][a:a + n].max() if n else 0.0 for a, n in zip(start, count)])
        areal = np.asarray(shapely.get_dimensions(geoms) == 2, dtype=bool) if len(geoms) else np.zeros(0, bool)
        return cls(ll, m, start, count, x_min, x_max, areal)

    def distances_from_point(self, geoms: NDArray[np.object_], items: NDArray[np.intp],
                             lon: float, lat: float, x: float, y: float) -> FloatArray:
        """Exact geodesic distances in metres from (lon, lat), metric (x, y), to
        ``geoms[items]`` (items with edges; ``geoms`` the geometries these are the edges
        of): 0 inside a polygon, else as :func:`points_to_geometry_m`, examining for each
        item only the edges within the scale-bound window of its best metric distance."""
        out = np.zeros(len(items))
        if len(items) == 0:
            return out
        inside = self.areal[items] & shapely.intersects_xy(geoms[items], lon, lat)
        todo = np.flatnonzero(~inside)
        if len(todo) == 0:
            return out
        it = items[todo]
        cnt = self.count[it]
        offs = np.zeros(len(it), dtype=np.intp)
        offs[1:] = np.cumsum(cnt)[:-1]
        owner = np.repeat(np.arange(len(it)), cnt)
        rows = np.arange(int(cnt.sum())) - np.repeat(offs, cnt) + np.repeat(self.start[it], cnt)
        d = _plane_seg_dist(x, y, self.m[rows])  # type: ignore[arg-type]  # scalars broadcast
        best = np.minimum.reduceat(d, offs)
        window = np.full(len(it), np.inf)
        for j, i in enumerate(it.tolist()):
            try:
                k_min, k_max = scale_bounds(min(x, self.x_min[i]), max(x, self.x_max[i]))
            except ValueError:
                continue  # too far from the central meridian: every edge is examined
            window[j] = best[j] * (k_max / k_min) + 2 * WINDOW_SLACK_M
        keep = d <= window[owner]
        rows, own = rows[keep], owner[keep]  # every item keeps its best edge at least
        exact = _aeqd_seg_dist(np.full(len(rows), lon), np.full(len(rows), lat), self.ll[rows])
        firsts = np.flatnonzero(np.concatenate([[True], own[1:] != own[:-1]]))
        out[todo] = np.minimum.reduceat(exact, firsts)
        return out


def _plane_seg_dist(px: FloatArray, py: FloatArray, seg: FloatArray) -> FloatArray:
    """Plane distance from points (px, py) to segments seg[:, 0:4] (row-wise)."""
    ax, ay, bx, by = seg[:, 0], seg[:, 1], seg[:, 2], seg[:, 3]
    dx, dy = bx - ax, by - ay
    ll = dx * dx + dy * dy
    # a zero-length edge has a zero numerator: divided by 1 instead, its t is 0
    t = ((px - ax) * dx + (py - ay) * dy) / np.where(ll > 0, ll, 1.0)
    t = np.minimum(np.maximum(t, 0.0), 1.0)
    return np.hypot(ax + t * dx - px, ay + t * dy - py)


def _aeqd_seg_dist(qlon: FloatArray, qlat: FloatArray, seg_ll: FloatArray) -> FloatArray:
    """Geodesic distance from q[i] to edge seg_ll[i], row-wise, via the AEQD centred on q[i]."""
    n = len(qlon)
    if n == 0:
        return np.zeros(0)
    # both ends in one call (the call's overhead is most of its cost for a few edges)
    a, _, s = GEOD.inv(np.concatenate([qlon, qlon]), np.concatenate([qlat, qlat]),
                       np.concatenate([seg_ll[:, 0], seg_ll[:, 2]]),
                       np.concatenate([seg_ll[:, 1], seg_ll[:, 3]]))
    a0, a1 = np.radians(a[:n]), np.radians(a[n:])
    s0, s1 = s[:n], s[n:]
    xy = np.column_stack([s0 * np.sin(a0), s0 * np.cos(a0), s1 * np.sin(a1), s1 * np.cos(a1)])
    zero = np.zeros(len(qlon))
    return _plane_seg_dist(zero, zero, xy)


def _to_metric_segs(seg_ll: FloatArray) -> FloatArray:
    x0, y0 = to_metric(seg_ll[:, 0], seg_ll[:, 1])
    x1, y1 = to_metric(seg_ll[:, 2], seg_ll[:, 3])
    return np.column_stack([x0, y0, x1, y1])


def points_to_geometry_m(lon: FloatArray, lat: FloatArray, geom: shapely.Geometry) -> FloatArray:
    """Exact geodesic distance in metres from each point (lon[i], lat[i]) to ``geom``.

    0 for points inside or on ``geom``. Otherwise the minimum over the densified edges of
    ``geom`` of the AEQD-centred-on-the-point distance (see the module docstring); the edges
    examined for each point are those whose metric distance is within the scale bound of
    that point's best metric distance.

    Raises
    ------
    ValueError
        If ``geom`` is empty.
    """
    lon = np.atleast_1d(np.asarray(lon, dtype=float))
    lat = np.atleast_1d(np.asarray(lat, dtype=float))
    if shapely.is_empty(geom):
        raise ValueError("distance to an empty geometry is undefined")
    out = np.full(lon.shape, np.inf)
    if lon.size == 0:
        return out
    if isinstance(geom, shapely.Point):
        return point_distances_m(geom.x, geom.y, lon, lat)
    if shapely.get_dimensions(geom) == 2:
        inside = shapely.intersects_xy(geom, lon, lat)
    else:
        inside = np.zeros(lon.shape, dtype=bool)
    out[inside] = 0.0
    todo = np.flatnonzero(~inside)
    seg_ll = _segments_ll(geom)
    if todo.size == 0:
        return out
    qlon, qlat = lon[todo], lat[todo]
    if len(seg_ll) * todo.size <= 200_000:
        pi, si = np.divmod(np.arange(todo.size * len(seg_ll)), len(seg_ll))
        window = None
    else:
        qx, qy = to_metric(qlon, qlat)
        seg_m = _to_metric_segs(seg_ll)
        try:
            k_min, k_max = scale_bounds(
                float(min(qx.min(), seg_m[:, [0, 2]].min())),
                float(max(qx.max(), seg_m[:, [0, 2]].max())),
            )
        except ValueError:
            return _brute_points_to_segments(qlon, qlat, seg_ll, out, todo)
        lines = shapely.linestrings(seg_m.reshape(-1, 2, 2))
        tree = shapely.STRtree(lines)
        qpts = shapely.points(qx, qy)
        # Best plane distance per point, then every edge within the scale-bound window of it.
        best_j = tree.query_nearest(qpts, all_matches=False, return_distance=True)
        best = np.full(todo.size, np.inf)
        np.minimum.at(best, best_j[0][0], best_j[1])
        window = best * (k_max / k_min) + 2 * WINDOW_SLACK_M
        pi, si = tree.query(qpts, predicate="dwithin", distance=float(window.max()))
        keep = _plane_seg_dist(qx[pi], qy[pi], seg_m[si]) <= window[pi]
        pi, si = pi[keep], si[keep]
    d = _aeqd_seg_dist(qlon[pi], qlat[pi], seg_ll[si])
    res = np.full(todo.size, np.inf)
    np.minimum.at(res, pi, d)
    out[todo] = res
    return out


def _brute_points_to_segments(
    qlon: FloatArray, qlat: FloatArray, seg_ll: FloatArray, out: FloatArray, todo: NDArray[np.intp]
) -> FloatArray:
    for j, i in enumerate(todo):
        n = len(seg_ll)
        out[i] = _aeqd_seg_dist(np.full(n, qlon[j]), np.full(n, qlat[j]), seg_ll).min()
    return out


def _vertices(geom: shapely.Geometry) -> FloatArray:
    seg = _segments_ll(geom)
    return np.vstack([seg[:, :2], seg[-1:, 2:]]) if len(seg) else np.zeros((0, 2))


def geometry_distance_m(a: shapely.Geometry, b: shapely.Geometry) -> float:
    """Exact geodesic distance in metres between two lon/lat geometries (0 if they intersect).

    The shortest connection between disjoint geometries ends at a vertex of one of them
    (after densification), so this is ``min(points_to_geometry_m(V(a), b),
    points_to_geometry_m(V(b), a))``; only vertices whose metric distance to the other
    geometry is within the scale-bound window of the best metric distance are examined.

    Raises
    ------
    ValueError
        If either geometry is empty.
    """
    if shapely.is_empty(a) or shapely.is_empty(b):
        raise ValueError("distance to an empty geometry is undefined")
    if shapely.intersects(a, b):
        return 0.0
    if isinstance(a, shapely.Point):
        return float(points_to_geometry_m(np.array([a.x]), np.array([a.y]), b)[0])
    if isinstance(b, shapely.Point):
        return float(points_to_geometry_m(np.array([b.x]), np.array([b.y]), a)[0])
    best = np.inf
    for src, dst in ((a, b), (b, a)):
        v = _vertices(src)
        vx, vy = to_metric(v[:, 0], v[:, 1])
        dst_m = _densified_metric(dst)
        dm = shapely.distance(shapely.points(vx, vy), dst_m)
        try:
            k_min, k_max = scale_bounds(float(vx.min()), float(vx.max()))
        except ValueError:
            sel = np.arange(len(v))
        else:
            # Widen for the other geometry's extent too: its eastings lie within dm of V's.
            k_max = scale_bounds(float(vx.min() - dm.min()), float(vx.max() + dm.min()))[1]
            sel = np.flatnonzero(dm <= dm.min() * (k_max / k_min) ** 2 + 4 * WINDOW_SLACK_M)
        best = min(best, float(points_to_geometry_m(v[sel, 0], v[sel, 1], dst).min()))
    return best


def _densified_metric(geom: shapely.Geometry) -> shapely.Geometry:
    dense = shapely.segmentize(geom, DENSIFY_DEG)
    return shapely.transform(dense, lambda c: np.column_stack(to_metric(c[:, 0], c[:, 1])))


def distances_to_geometries_m(origin: shapely.Geometry, geoms: NDArray[np.object_]) -> FloatArray:
    """Exact geodesic distance in metres from ``origin`` to each geometry of ``geoms``.

    Point targets are handled in one vectorised call; other targets one by one.

    Raises
    ------
    ValueError
        If ``origin`` or any target is empty.
    """
    geoms = np.asarray(geoms, dtype=object)
    out = np.zeros(len(geoms))
    if len(geoms) == 0:
        return out
    is_pt = shapely.get_type_id(geoms) == 0
    if shapely.is_empty(geoms).any():
        raise ValueError("distance to an empty geometry is undefined")
    if is_pt.any():
        out[is_pt] = points_to_geometry_m(shapely.get_x(geoms[is_pt]), shapely.get_y(geoms[is_pt]), origin)
    for i in np.flatnonzero(~is_pt):
        out[i] = geometry_distance_m(origin, geoms[i])
    return out
