"""A geodesic index over geometries for fast geodesic "within N km" and "nearest k" queries.

The same engine serves the catalog's collections (tens of features) and user point layers
(hundreds of thousands of points). Building a :class:`GeodesicIndex` projects every geometry once to
Gauss-Kruger CM 120E (EPSG:4549) and builds a shapely STRtree on the metric geometries.

A query then

1. asks the STRtree for everything within ``r * k_max`` metres (plane) of the origin, where
   ``k_max`` bounds the projection's scale factor over the query region
   (:func:`corridor.geodesic.scale_bounds`); nothing truly within ``r`` is missed;
2. accepts without further work every candidate whose plane distance ``dm`` satisfies
   ``dm / k_min + slack <= r`` (the geodesic is at most that long);
3. refines only the thin band in between with exact geodesic distances.

Reported distances (``distances=True``) are always the exact geodesic ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from corridor import boxscan
from corridor.crs import to_metric
from corridor.geodesic import (
    DENSIFY_DEG,
    WINDOW_SLACK_M,
    EdgeSet,
    distances_to_geometries_m,
    point_distances_m,
    points_to_geometry_m,
    scale_bounds,
)

IntArray = NDArray[np.intp]
#: Padding of the projected envelope the intersection pre-filter asks the tree for. The
#: envelope is sampled at 17 points an edge; between samples (at most a few km apart over
#: Qingdao) the image of a lon/lat edge bends away from the chord by well under a metre.
ENVELOPE_PAD_M = 50.0
#: Up to this many points, a box query compares every point's lon/lat (a few vector
#: comparisons) rather than projecting the box and asking the tree (which costs more
#: than the comparisons until the collection is some thousands of points).
SCAN_MAX_POINTS = 4096
#: Up to this many points, a distance query measures the geodesic to every point in one
#: vectorised call rather than asking the tree for candidates first (the tree's query costs
#: as much as measuring some dozens of points).
DIRECT_MAX_POINTS = 64
#: A larger point collection answers a box query from its lon-sorted order when the box's
#: lon slab holds at most this many points (comparing their lat is cheaper than projecting
#: the box and asking the tree); a wider slab goes to the tree.
SLAB_MAX_POINTS = 50_000
FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Probe:
    """An origin prepared once for many :meth:`GeodesicIndex.within` calls (one per
    collection): its lon/lat geometry, metric image, metric easting range and, for a point,
    its coordinates in both systems."""

    geom: shapely.Geometry
    metric: shapely.Geometry
    x_range: tuple[float, float]
    lonlat: tuple[float, float] | None = None
    xy: tuple[float, float] | None = None


def check_radius(meters: float) -> None:
    """Raise ValueError unless ``meters`` is a finite distance >= 0."""
    if not np.isfinite(meters) or meters < 0:
        raise ValueError(f"distance {meters!r} m; expected a finite number >= 0")


def check_k(k: int) -> None:
    """Raise ValueError unless ``k`` (how many nearest) is at least 1."""
    if k < 1:
        raise ValueError(f"k={k!r}; expected an integer >= 1")


def probe(origin: shapely.Geometry | Probe) -> Probe:
    """Prepare ``origin`` (lon/lat) for distance queries; a :class:`Probe` is returned as is.

    Raises
    ------
    ValueError
        If ``origin`` is empty.
    """
    if isinstance(origin, Probe):
        return origin
    if shapely.is_empty(origin):
        raise ValueError("the origin geometry is empty")
    if isinstance(origin, shapely.Point):
        x, y = (float(v) for v in to_metric(origin.x, origin.y))
        return Probe(origin, shapely.Point(x, y), (x, x), (origin.x, origin.y), (x, y))
    metric = metric_image(origin)
    xmin, _, xmax, _ = shapely.bounds(metric)
    return Probe(origin, metric, (float(xmin), float(xmax)))


class GeodesicIndex:
    """Geometries in WGS84 lon/lat with their metric images and an STRtree over those.

    Parameters
    ----------
    geometries
        Shapely geometries in lon/lat (a GeoSeries, a GeoDataFrame's geometry, an array).

    Raises
    ------
    ValueError
        If a geometry is missing or empty, or a coordinate is not a valid lon/lat.
    """

    def __init__(self, geometries: Sequence[shapely.Geometry] | NDArray[np.object_]) -> None:
        geoms = np.asarray(getattr(geometries, "values", geometries), dtype=object)
        if len(geoms) and (shapely.is_missing(geoms).any() or shapely.is_empty(geoms).any()):
            raise ValueError("a layer cannot hold missing or empty geometries")
        #: The lon/lat geometries; None for a layer built by :meth:`from_lonlat` (points only).
        self.geoms: NDArray[np.object_] | None = geoms
        self.points_only = bool(len(geoms) == 0 or (shapely.get_type_id(geoms) == 0).all())
        if self.points_only:
            self._init_points(shapely.get_x(geoms), shapely.get_y(geoms))
        else:
            _check_lonlat(shapely.get_coordinates(geoms))
            dense = shapely.segmentize(geoms, DENSIFY_DEG)
            self.metric = shapely.transform(
                dense, lambda c: np.column_stack(to_metric(c[:, 0], c[:, 1]))
            )
            self.tree = shapely.STRtree(self.metric)
            #: Every item's densified edges in lon/lat and metric (points have none).
            self._edges: EdgeSet | None = EdgeSet.of(geoms)
            #: Which items are points, and their lon/lat (NaN for the others).
            self._is_point = shapely.get_type_id(geoms) == 0
            self._pt_lon = np.where(self._is_point, shapely.get_x(geoms), np.nan)
            self._pt_lat = np.where(self._is_point, shapely.get_y(geoms), np.nan)
            # a point-in-polygon test of a prepared polygon costs a lookup, not a ring walk
            shapely.prepare(geoms[self._edges.areal])
            b = shapely.total_bounds(geoms)
            #: (minx, miny, maxx, maxy) of the items in lon/lat.
            self.bounds: tuple[float, float, float, float] = (float(b[0]), float(b[1]), float(b[2]), float(b[3]))

    @classmethod
    def from_lonlat(cls, lon: ArrayLike, lat: ArrayLike) -> GeodesicIndex:
        """Build a point layer straight from coordinate arrays (no lon/lat shapely objects).

        Raises
        ------
        ValueError
            If the arrays differ in shape or hold an invalid lon/lat.
        """
        lon_a = np.asarray(lon, dtype=float).ravel()
        lat_a = np.asarray(lat, dtype=float).ravel()
        if lon_a.shape != lat_a.shape:
            raise ValueError(f"lon has {lon_a.size} values and lat {lat_a.size}; expected equal")
        self = cls.__new__(cls)
        self.geoms = None
        self.points_only = True
        self._init_points(lon_a, lat_a)
        return self

    def _init_points(self, lon: FloatArray, lat: FloatArray) -> None:
        self._edges = None
        _check_lonlat(np.column_stack([lon, lat]))
        self.lon = np.ascontiguousarray(lon, dtype=np.float64)
        self.lat = np.ascontiguousarray(lat, dtype=np.float64)
        self.x, self.y = to_metric(lon, lat)
        self.metric = shapely.points(self.x, self.y)
        self.tree = shapely.STRtree(self.metric)
        self.bounds = (
            (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
            if len(lon) else (0.0, 0.0, 0.0, 0.0)
        )
        #: Positions in ascending lon, with their lon and lat in that order: a box query
        #: takes its lon slab by binary search and compares only the slab's lat.
        self._by_lon = np.argsort(lon, kind="stable")
        self._lon_sorted = self.lon[self._by_lon]
        self._lat_by_lon = self.lat[self._by_lon]

    def __len__(self) -> int:
        return len(self.metric)

    def distances_m(self, origin: shapely.Geometry, positions: ArrayLike | None = None) -> FloatArray:
        """Exact geodesic distances in metres from ``origin`` to the layer's items.

        Raises
        ------
        ValueError
            If ``origin`` is empty.
        """
        pos = np.arange(len(self)) if positions is None else np.asarray(positions, dtype=np.intp)
        if self.points_only:
            return points_to_geometry_m(self.lon[pos], self.lat[pos], origin)
        assert self.geoms is not None  # only from_lonlat leaves it None, and that is points_only
        return distances_to_geometries_m(origin, self.geoms[pos])

    def within(
        self, origin: shapely.Geometry | Probe, meters: float, distances: bool = True
    ) -> tuple[IntArray, FloatArray | None]:
        """Positions of the items within ``meters`` (geodesic) of ``origin`` (a lon/lat
        geometry, or a :class:`Probe` of one prepared for several indexes).

        Returns
        -------
        (positions, distances)
            With ``distances=True`` both are sorted by the exact geodesic distance (metres);
            otherwise positions come in no particular order (no sort is paid for) and
            distances is None.

        Raises
        ------
        ValueError
            If ``origin`` is empty or ``meters`` is negative or not finite.
        """
        check_radius(meters)
        p = probe(origin)
        if self.points_only and p.xy is not None:
            return self._within_point(p, float(meters), distances)
        origin, origin_m = p.geom, p.metric
        try:
            k_min, k_max = scale_bounds(p.x_range[0] - 1.01 * meters, p.x_range[1] + 1.01 * meters)
        except ValueError:
            d = self.distances_m(origin)
            pos = np.flatnonzero(d <= meters)
            return _finish(pos, d[pos], distances)
        outer = meters * k_max + WINDOW_SLACK_M
        cand = self.tree.query(origin_m, predicate="dwithin", distance=outer)
        if distances:
            d = self._distances_from(p, cand)
            keep = d <= meters
            return _finish(cand[keep], d[keep], True)
        dm = shapely.distance(self.metric[cand], origin_m)
        sure = dm / k_min + WINDOW_SLACK_M <= meters
        band = cand[~sure]
        band_d = self._distances_from(p, band)
        return _finish(np.concatenate([cand[sure], band[band_d <= meters]]), None, False)

    def _distances_from(self, p: Probe, positions: IntArray) -> FloatArray:
        """:meth:`distances_m` from a probe; a point probe uses the items' edges prepared
        at build time instead of densifying them again."""
        if p.lonlat is None or self.points_only or self._edges is None:
            return self.distances_m(p.geom, positions)
        assert self.geoms is not None and p.xy is not None
        (lon0, lat0), (x0, y0) = p.lonlat, p.xy
        out = np.empty(len(positions))
        points = self._is_point[positions]
        if points.any():  # points among areas (a mixed collection)
            pp = positions[points]
            out[points] = point_distances_m(lon0, lat0, self._pt_lon[pp], self._pt_lat[pp])
        if not points.all():
            out[~points] = self._edges.distances_from_point(self.geoms, positions[~points],
                                                            lon0, lat0, x0, y0)
        return out

    def _within_point(
        self, p: Probe, meters: float, distances: bool
    ) -> tuple[IntArray, FloatArray | None]:
        """:meth:`within` for a point layer and a point origin: the hot path, kept lean."""
        assert p.lonlat is not None and p.xy is not None
        (lon0, lat0), (ox, oy) = p.lonlat, p.xy
        if len(self) <= DIRECT_MAX_POINTS:
            d = point_distances_m(lon0, lat0, self.lon, self.lat)
            pos = np.flatnonzero(d <= meters)
            return _finish(pos, d[pos], distances)
        try:
            k_min, k_max = scale_bounds(ox - 1.01 * meters, ox + 1.01 * meters)
        except ValueError:
            d = point_distances_m(lon0, lat0, self.lon, self.lat)
            pos = np.flatnonzero(d <= meters)
            return _finish(pos, d[pos], distances)
        outer = meters * k_max + WINDOW_SLACK_M
        cand = self.tree.query(p.metric, predicate="dwithin", distance=outer)
        if distances:
            d = point_distances_m(lon0, lat0, self.lon[cand], self.lat[cand])
            keep = d <= meters
            return _finish(cand[keep], d[keep], True)
        dx = self.x[cand] - ox
        dy = self.y[cand] - oy
        # Plane distance >= geodesic here (k_min = 1), so plane-inside is inside.
        inner = max(meters * k_min - WINDOW_SLACK_M, 0.0)
        sure = dx * dx + dy * dy <= inner * inner
        band = cand[~sure]
        if len(band) == 0:
            return cand, None
        bd = point_distances_m(lon0, lat0, self.lon[band], self.lat[band])
        return np.concatenate([cand[sure], band[bd <= meters]]), None

    def in_box(self, x0: float, y0: float, x1: float, y1: float) -> IntArray:
        """Positions, ascending, of the items intersecting the lon/lat box (edges count):
        :meth:`intersecting` of ``shapely.box(...)``, with points tested by plain comparison."""
        if not self.points_only or len(self) == 0:
            return self.intersecting(shapely.box(x0, y0, x1, y1))
        if len(self) <= SCAN_MAX_POINTS:
            return np.flatnonzero(_inside(self.lon, self.lat, x0, y0, x1, y1))
        i0, i1 = self._slab(x0, x1)
        if i1 - i0 <= SLAB_MAX_POINTS:
            lat = self._lat_by_lon[i0:i1]
            return np.sort(self._by_lon[i0:i1][(lat >= y0) & (lat <= y1)])
        bx0, by0, bx1, by1 = self.bounds
        box = (max(x0, bx0), max(y0, by0), min(x1, bx1), min(y1, by1))
        if box[0] > box[2] or box[1] > box[3]:
            return np.zeros(0, dtype=np.intp)
        cand = np.sort(self.tree.query(shapely.box(*metric_envelope(*box))))
        return cand[_inside(self.lon[cand], self.lat[cand], x0, y0, x1, y1)]

    def _slab(self, x0: float, x1: float) -> tuple[int, int]:
        """The range, in lon order, of the points with x0 <= lon <= x1."""
        return (int(np.searchsorted(self._lon_sorted, x0, side="left")),
                int(np.searchsorted(self._lon_sorted, x1, side="right")))

    def box_page(self, x0: float, y0: float, x1: float, y1: float, k: int) -> tuple[int, IntArray]:
        """How many items :meth:`in_box` finds, and the first ``k`` of them (ascending): a page
        of a box query without sorting every match.

        For a point layer of more than :data:`SCAN_MAX_POINTS` whose box has a lon slab of
        at most :data:`SLAB_MAX_POINTS`, :func:`corridor.boxscan.box_page` counts the
        matches in the slab and finds the first ``k`` by scanning positions in order (or,
        when they are expected further on than the slab is long, by sorting the slab's
        matches). Otherwise this is ``in_box``, sliced.
        """
        if k > 0 and self.points_only and len(self) > SCAN_MAX_POINTS:
            page = boxscan.box_page(self._lon_sorted, self._lat_by_lon, self._by_lon, self.lon,
                                    self.lat, x0, y0, x1, y1, k, SLAB_MAX_POINTS)
            if page is not None:
                return page
        pos = self.in_box(x0, y0, x1, y1)
        return len(pos), pos[:k]

    def intersecting(self, geom: shapely.Geometry) -> IntArray:
        """Positions, ascending, of the items whose lon/lat geometry intersects ``geom``
        (lon/lat; a boundary touch counts), as shapely decides it in lon/lat.

        The metric tree only proposes candidates: the lon/lat box around ``geom``, clipped to
        the items' extent (nothing outside it can intersect them), is projected by sampling
        its outline, padded by :data:`ENVELOPE_PAD_M`, and every item whose metric envelope
        meets it is then tested exactly.
        """
        if shapely.is_empty(geom) or len(self) == 0:
            return np.zeros(0, dtype=np.intp)
        gx0, gy0, gx1, gy1 = shapely.bounds(geom)
        x0, y0, x1, y1 = self.bounds
        box = (max(gx0, x0), max(gy0, y0), min(gx1, x1), min(gy1, y1))
        if box[0] > box[2] or box[1] > box[3]:
            return np.zeros(0, dtype=np.intp)
        cand = np.sort(self.tree.query(shapely.box(*metric_envelope(*box))))
        if len(cand) == 0:
            return cand
        if self.points_only:  # intersects_xy prepares ``geom`` once for all the points
            ok = shapely.intersects_xy(geom, self.lon[cand], self.lat[cand])
        else:
            assert self.geoms is not None  # only from_lonlat leaves it None, and that is points_only
            ok = shapely.intersects(self.geoms[cand], geom)
        return cand[ok]

    def nearest(self, origin: shapely.Geometry, k: int) -> tuple[IntArray, FloatArray]:
        """The ``k`` items nearest to ``origin`` (fewer if the layer is smaller), nearest first.

        Returns
        -------
        (positions, distances)
            Exact geodesic distances in metres; ties keep layer order.

        Raises
        ------
        ValueError
            If ``k`` < 1 or ``origin`` is empty.
        """
        check_k(k)
        n = len(self)
        if n <= max(4 * k, 64):
            d = self.distances_m(origin)
            order = np.argsort(d, kind="stable")[:k]
            return order, d[order]
        origin_m = metric_image(origin)
        # Grow a plane radius until it holds k items, then take every item that could beat
        # the k-th by the scale bound and rank those geodesically.
        radius = 500.0
        while True:
            cand = self.tree.query(origin_m, predicate="dwithin", distance=radius)
            if len(cand) >= k or radius > 4e7:
                break
            radius *= 4
        dm = shapely.distance(self.metric[cand], origin_m)
        kth = float(np.partition(dm, min(k, len(dm)) - 1)[min(k, len(dm)) - 1])
        xmin, _, xmax, _ = shapely.bounds(origin_m)
        try:
            k_min, k_max = scale_bounds(xmin - 1.01 * kth, xmax + 1.01 * kth)
            reach = kth * k_max / k_min + 2 * WINDOW_SLACK_M
            cand = self.tree.query(origin_m, predicate="dwithin", distance=reach)
        except ValueError:
            cand = np.arange(n)
        cand = np.sort(cand)
        d = self.distances_m(origin, cand)
        order = np.argsort(d, kind="stable")[:k]
        return cand[order], d[order]


def _finish(pos: IntArray, d: FloatArray | None, distances: bool) -> tuple[IntArray, FloatArray | None]:
    if not distances:
        return pos, None
    assert d is not None
    order = np.lexsort((pos, d))
    return pos[order], d[order]


def metric_image(geom: shapely.Geometry) -> shapely.Geometry:
    if shapely.is_empty(geom):
        raise ValueError("the origin geometry is empty")
    if isinstance(geom, shapely.Point):
        return shapely.points(*to_metric(geom.x, geom.y))
    dense = shapely.segmentize(geom, DENSIFY_DEG)
    return shapely.transform(dense, lambda c: np.column_stack(to_metric(c[:, 0], c[:, 1])))


#: The outline of the unit square, 17 samples an edge, counter-clockwise from (0, 0): a
#: lon/lat box's outline is ``x0 + (x1 - x0) * _UNIT_U``, ``y0 + (y1 - y0) * _UNIT_V``.
_UNIT_T = np.linspace(0.0, 1.0, 17)
_UNIT_U = np.concatenate([_UNIT_T, np.ones(17), 1.0 - _UNIT_T, np.zeros(17)])
_UNIT_V = np.concatenate([np.zeros(17), _UNIT_T, np.ones(17), 1.0 - _UNIT_T])


def metric_envelope(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
    """Metric (EPSG:4549) bounds covering the image of a lon/lat box, padded."""
    mx, my = to_metric(x0 + (x1 - x0) * _UNIT_U, y0 + (y1 - y0) * _UNIT_V)
    bounds = (float(mx.min()), float(my.min()), float(mx.max()), float(my.max()))
    if not all(math.isfinite(b) for b in bounds):  # a NaN or inf anywhere shows in min or max
        return (-np.inf, -np.inf, np.inf, np.inf)  # outside the projection's reach: test all
    return (bounds[0] - ENVELOPE_PAD_M, bounds[1] - ENVELOPE_PAD_M,
            bounds[2] + ENVELOPE_PAD_M, bounds[3] + ENVELOPE_PAD_M)


def _inside(lon: FloatArray, lat: FloatArray, x0: float, y0: float, x1: float, y1: float) -> NDArray[np.bool_]:
    """Which of the points lie in the lon/lat box (its edges count)."""
    return (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)


def _check_lonlat(coords: FloatArray) -> None:
    lon, lat = coords[:, 0], coords[:, 1]
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"coordinate ({lon[i]!r}, {lat[i]!r}) is not a valid lon/lat; "
            "expected -180 <= lon <= 180 and -90 <= lat <= 90"
        )
