"""A geodesic index that takes inserts and deletes, for user layers that are edited.

:class:`~corridor.geoindex.GeodesicIndex` is built once over a static collection (an STRtree
cannot change). A layer edited through the API needs an index that changes one item at a
time, so this one keeps an R*-tree (``rtree``, libspatialindex) over each item's metric
(EPSG:4549) bounds, keyed by an integer slot (the layer's row id), and answers the same
questions with the same guarantees:

1. the tree proposes every item whose metric bounds come within ``r * k_max`` of the origin
   (``k_max`` bounds the projection's scale factor over the region,
   :func:`corridor.geodesic.scale_bounds`), so nothing truly within ``r`` is missed;
2. each candidate's exact WGS84 geodesic distance decides.

Boxes and intersections are proposed the same way (the lon/lat box's padded metric envelope)
and decided exactly in lon/lat. Slots come back in ascending order (data order), or by
distance then slot.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import shapely
from numpy.typing import NDArray
from rtree import index as rtree_index

from corridor.crs import to_metric
from corridor.geodesic import (
    WINDOW_SLACK_M,
    distances_to_geometries_m,
    point_distances_m,
    points_to_geometry_m,
    scale_bounds,
)
from corridor.geoindex import Probe, check_k, check_radius, metric_envelope, metric_image, probe

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
_NONE = np.zeros(0, dtype=np.int64)


class EditableIndex:
    """Geometries in WGS84 lon/lat under integer slots, in an R*-tree over metric bounds.

    Parameters
    ----------
    slots, geometries
        Initial items (bulk-loaded): unique non-negative slots and their non-empty lon/lat
        geometries.

    Raises
    ------
    ValueError
        If a slot repeats, or a geometry is missing, empty or not a valid lon/lat.
    """

    def __init__(self, slots: IntArray | list[int], geometries: NDArray[np.object_] | list[shapely.Geometry]) -> None:
        s = np.asarray(slots, dtype=np.int64)
        g = np.asarray(geometries, dtype=object)
        if len(np.unique(s)) != len(s):
            raise ValueError("slots must be unique")
        cap = int(s.max()) + 1 if len(s) else 16
        self._geoms = np.full(cap, None, dtype=object)
        self._lon = np.full(cap, np.nan)
        self._lat = np.full(cap, np.nan)
        self._alive = np.zeros(cap, dtype=bool)
        #: lon/lat bounds per slot (for the extent).
        self._ll = np.full((cap, 4), np.nan)
        self._mb = np.full((cap, 4), np.nan)
        self._extent: tuple[float, float, float, float] | None = None
        self._dirty = True
        if len(s):
            self._fill(s, g)
            mb = self._mb[s]
            stream = ((int(i), (b[0], b[1], b[2], b[3]), None) for i, b in zip(s, mb))
            self._tree = rtree_index.Index(stream)
        else:
            self._tree = rtree_index.Index()

    # --- edits ----------------------------------------------------------------------------

    def _grow(self, slot: int) -> None:
        cap = len(self._alive)
        if slot < cap:
            return
        new = max(slot + 1, 2 * cap)
        for name, fill in (("_lon", np.nan), ("_lat", np.nan)):
            arr = getattr(self, name)
            setattr(self, name, np.concatenate([arr, np.full(new - cap, fill)]))
        self._geoms = np.concatenate([self._geoms, np.full(new - cap, None, dtype=object)])
        self._alive = np.concatenate([self._alive, np.zeros(new - cap, dtype=bool)])
        self._ll = np.concatenate([self._ll, np.full((new - cap, 4), np.nan)])
        self._mb = np.concatenate([self._mb, np.full((new - cap, 4), np.nan)])

    def _fill(self, slots: IntArray, geoms: NDArray[np.object_]) -> None:
        if shapely.is_missing(geoms).any() or shapely.is_empty(geoms).any():
            raise ValueError("an index cannot hold missing or empty geometries")
        ll = shapely.bounds(geoms)
        lon, lat = ll[:, 0], ll[:, 1]
        ok = np.isfinite(ll).all(axis=1) & (np.abs(ll[:, [0, 2]]) <= 180).all(axis=1) & \
            (np.abs(ll[:, [1, 3]]) <= 90).all(axis=1)
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            raise ValueError(f"slot {int(slots[i])}: bounds {tuple(ll[i])} are not a valid lon/lat")
        is_pt = shapely.get_type_id(geoms) == 0
        mb = np.empty((len(geoms), 4))
        if is_pt.any():
            x, y = to_metric(lon[is_pt], lat[is_pt])
            mb[is_pt] = np.column_stack([x, y, x, y])
        for j in np.flatnonzero(~is_pt):
            mb[j] = shapely.bounds(metric_image(geoms[j]))
        self._geoms[slots] = geoms
        self._lon[slots] = np.where(is_pt, lon, np.nan)
        self._lat[slots] = np.where(is_pt, lat, np.nan)
        self._ll[slots] = ll
        self._mb[slots] = mb
        self._alive[slots] = True
        self._dirty = True

    def insert(self, slot: int, geom: shapely.Geometry) -> None:
        """Add ``geom`` under ``slot``, replacing what the slot held.

        Raises
        ------
        ValueError
            If ``slot`` is negative or ``geom`` is missing, empty or not a valid lon/lat.
        """
        if slot < 0:
            raise ValueError(f"slot {slot}; expected >= 0")
        self.delete(slot)
        self._grow(slot)
        self._fill(np.array([slot], dtype=np.int64), np.array([geom], dtype=object))
        self._tree.insert(slot, tuple(self._mb[slot]))

    def delete(self, slot: int) -> None:
        """Remove ``slot`` (nothing happens if it holds nothing)."""
        if slot not in self:
            return
        self._tree.delete(slot, tuple(self._mb[slot]))
        self._alive[slot] = False
        self._geoms[slot] = None
        self._lon[slot] = self._lat[slot] = np.nan
        self._dirty = True

    # --- reading --------------------------------------------------------------------------

    def __contains__(self, slot: object) -> bool:
        return bool(isinstance(slot, (int, np.integer)) and 0 <= slot < len(self._alive) and self._alive[slot])

    def __len__(self) -> int:
        return int(self._alive.sum())

    def slots(self) -> IntArray:
        """Every slot held, ascending."""
        return np.flatnonzero(self._alive).astype(np.int64)

    def __iter__(self) -> Iterator[int]:
        return iter(int(s) for s in self.slots())

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """Lon/lat extent of the items (None when empty)."""
        if self._dirty:
            ll = self._ll[self._alive]
            self._extent = None if not len(ll) else (
                float(ll[:, 0].min()), float(ll[:, 1].min()), float(ll[:, 2].max()), float(ll[:, 3].max()))
            self._dirty = False
        return self._extent

    def _query(self, box: tuple[float, float, float, float]) -> IntArray:
        if not np.all(np.isfinite(box)):
            return self.slots()
        ids, _ = self._tree.intersection_v(np.array([box[:2]]), np.array([box[2:]]))
        return np.sort(np.asarray(ids, dtype=np.int64))

    def distances_m(self, origin: shapely.Geometry, slots: IntArray) -> FloatArray:
        """Exact geodesic distances in metres from lon/lat ``origin`` to the items ``slots``."""
        out = np.empty(len(slots))
        pt = np.isfinite(self._lon[slots])
        if pt.any():
            if isinstance(origin, shapely.Point):
                out[pt] = point_distances_m(origin.x, origin.y, self._lon[slots[pt]], self._lat[slots[pt]])
            else:
                out[pt] = points_to_geometry_m(self._lon[slots[pt]], self._lat[slots[pt]], origin)
        if (~pt).any():
            out[~pt] = distances_to_geometries_m(origin, self._geoms[slots[~pt]])
        return out

    def within(self, origin: shapely.Geometry | Probe, meters: float) -> tuple[IntArray, FloatArray]:
        """Slots of the items within ``meters`` (geodesic) of ``origin``, with their exact
        distances, nearest first (ties by slot).

        Raises
        ------
        ValueError
            If ``origin`` is empty or ``meters`` is negative or not finite.
        """
        check_radius(meters)
        p = probe(origin)
        xmin, ymin, xmax, ymax = (float(v) for v in shapely.bounds(p.metric))
        try:
            _, k_max = scale_bounds(xmin - 1.01 * meters, xmax + 1.01 * meters)
            r = meters * k_max + WINDOW_SLACK_M
            cand = self._query((xmin - r, ymin - r, xmax + r, ymax + r))
        except ValueError:
            cand = self.slots()
        d = self.distances_m(p.geom, cand)
        keep = d <= meters
        cand, d = cand[keep], d[keep]
        order = np.lexsort((cand, d))
        return cand[order], d[order]

    def nearest(self, origin: shapely.Geometry, k: int) -> tuple[IntArray, FloatArray]:
        """The ``k`` items nearest to ``origin`` (fewer if there are fewer), nearest first,
        with exact geodesic distances in metres (ties by slot).

        Raises
        ------
        ValueError
            If ``k`` < 1 or ``origin`` is empty.
        """
        check_k(k)
        n = len(self)
        if n == 0:
            return _NONE, np.zeros(0)
        p = probe(origin)
        box = tuple(float(v) for v in shapely.bounds(p.metric))
        # The k nearest by metric bounds bound the k-th geodesic distance from above.
        first = np.fromiter(self._tree.nearest(box, min(k, n)), dtype=np.int64)
        kth = float(self.distances_m(p.geom, first).max())
        return tuple(a[:k] for a in self.within(p, kth))  # type: ignore[return-value]

    def in_box(self, x0: float, y0: float, x1: float, y1: float) -> IntArray:
        """Slots, ascending, of the items intersecting the lon/lat box (edges count)."""
        return self.intersecting(shapely.box(x0, y0, x1, y1))

    def intersecting(self, geom: shapely.Geometry) -> IntArray:
        """Slots, ascending, of the items whose lon/lat geometry intersects lon/lat ``geom``."""
        if shapely.is_empty(geom) or len(self) == 0:
            return _NONE
        cand = self._query(metric_envelope(*(float(v) for v in shapely.bounds(geom))))
        if len(cand) == 0:
            return cand
        pt = np.isfinite(self._lon[cand])
        ok = np.empty(len(cand), dtype=bool)
        ok[pt] = shapely.intersects_xy(geom, self._lon[cand[pt]], self._lat[cand[pt]])
        ok[~pt] = shapely.intersects(self._geoms[cand[~pt]], geom)
        return cand[ok]
