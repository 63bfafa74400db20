"""Is a position where the data says it is? The land of Qingdao as a check on imported rows.

An import that declares the wrong coordinate system (lat/lon swapped, projected metres read
as degrees, another city's data) lands its points in the sea or outside Qingdao. A
:class:`LandRegion` answers, vectorised, whether positions lie on the land (within a small
tolerance), how far off the others are, and what the numbers look like when they are not
lon/lat at all. It holds no data of its own: the caller passes the land polygon, normally
:func:`qingdao_land` of the bundled store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from numpy.typing import NDArray

from corridor import crs

if TYPE_CHECKING:
    from corridor.store.base import FeatureStore

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: Positions up to this far off the land outline (metres) still count as on land. The
#: district outlines are drawn with vertices about 140 m apart (90% under 400 m) and their
#: coastline differs from the GSHHG full-resolution coastline by about 150 m (median), so
#: a point on a pier or a quay would otherwise be reported in the sea. A wrong coordinate
#: system moves points by far more (GCJ-02 read as WGS84 excepted: see :class:`LandRegion`).
TOLERANCE_M = 500.0

#: Projected CRSs whose metres people pass off as degrees, tried (in this order) to explain
#: out-of-range coordinates: the local Gauss-Kruger (without and with its zone number), UTM
#: 50N/51N and Web Mercator.
PROJECTED_GUESSES: tuple[tuple[str, str], ...] = (
    ("EPSG:4549", "CGCS2000 / 3-degree Gauss-Kruger CM 120E"),
    ("EPSG:4528", "CGCS2000 / 3-degree Gauss-Kruger zone 40"),
    ("EPSG:32651", "WGS 84 / UTM zone 51N"),
    ("EPSG:32650", "WGS 84 / UTM zone 50N"),
    ("EPSG:3857", "Web Mercator"),
)


def qingdao_land(store: FeatureStore, collection: str = "districts") -> shapely.Geometry:
    """The land of Qingdao: the union of the polygons of ``collection`` (its ten districts).

    Raises
    ------
    NotFound
        If the store has no such collection.
    """
    return shapely.union_all([f.geometry for f in store.features(collection) if f.geometry is not None])


def _to_metric(geom: Any) -> Any:
    """A lon/lat geometry (or an array of them) in EPSG:4549 metres."""
    return shapely.transform(geom, lambda c: np.column_stack(crs.to_metric(c[:, 0], c[:, 1])))


def _segments(geom: shapely.Geometry) -> NDArray[np.object_]:
    """Every straight segment of the outline of polygonal ``geom``, as linestrings."""
    rings = shapely.get_rings(shapely.get_parts(geom))
    parts = []
    for ring in rings:
        c = shapely.get_coordinates(ring)
        parts.append(np.stack([c[:-1], c[1:]], axis=1))
    return shapely.linestrings(np.concatenate(parts))


def format_distance(meters: float) -> str:
    """``740 m`` or ``12.3 km``."""
    return f"{meters:,.0f} m" if meters < 1000 else f"{meters / 1000:,.1f} km"


class LandRegion:
    """A land polygon in lon/lat, ready for fast point-in-land tests and distances.

    Parameters
    ----------
    land
        Polygonal geometry in WGS84 lon/lat (e.g. :func:`qingdao_land`).
    tolerance_m
        How far off the outline a position still counts as on land (default
        :data:`TOLERANCE_M`).
    name
        How messages name the land.

    Notes
    -----
    The test is tolerant by design, so it cannot tell GCJ-02 coordinates declared as WGS84
    (an offset of about 500 m around Qingdao) from correct ones; it catches swapped axes,
    projected metres, other cities and points far out at sea.
    """

    def __init__(self, land: shapely.Geometry, tolerance_m: float = TOLERANCE_M,
                 name: str = "Qingdao's land") -> None:
        self.name = name
        self.tolerance_m = float(tolerance_m)
        metric = _to_metric(land)
        self._bounds = shapely.bounds(land)
        zone_m = metric.buffer(self.tolerance_m, quad_segs=2) if tolerance_m > 0 else metric
        to_lonlat = crs.transformer(crs.CGCS2000_GK_CM120E, crs.WGS84)
        self._zone = shapely.transform(zone_m, lambda c: np.column_stack(to_lonlat.transform(c[:, 0], c[:, 1])))
        shapely.prepare(self._zone)
        self._outline = shapely.STRtree(_segments(metric))

    def contains_xy(self, lon: FloatArray, lat: FloatArray) -> BoolArray:
        """Whether each position lies on the land or within the tolerance of it (NaN: False)."""
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        ok = np.isfinite(lon) & np.isfinite(lat)
        out = np.zeros(lon.shape, dtype=bool)
        out[ok] = shapely.contains_xy(self._zone, lon[ok], lat[ok])
        return out

    def intersects(self, geoms: NDArray[np.object_]) -> BoolArray:
        """Whether each lon/lat geometry touches the land or its tolerance (None: False)."""
        return np.asarray(shapely.intersects(self._zone, geoms), dtype=bool)

    def distance_m(self, geoms: NDArray[np.object_]) -> FloatArray:
        """Distance in metres (EPSG:4549) from each lon/lat geometry off the land to the
        land outline; meaningful only for geometries outside the land."""
        metric = _to_metric(np.asarray(geoms, dtype=object))
        _, dist = self._outline.query_nearest(metric, return_distance=True, all_matches=False)
        return np.asarray(dist, dtype=float)

    def projected_guesses(self, x: FloatArray, y: FloatArray) -> list[str | None]:
        """For each ``(x, y)`` taken as metres, the first of :data:`PROJECTED_GUESSES` that
        puts it on the land, as ``"EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E)"``;
        None where none does."""
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        out: list[str | None] = [None] * len(x)
        todo = np.ones(len(x), dtype=bool)
        for code, title in PROJECTED_GUESSES:
            if not todo.any():
                break
            lon, lat = crs.transformer(code, crs.WGS84).transform(x[todo], y[todo])
            hit = np.flatnonzero(todo)[self.contains_xy(np.asarray(lon), np.asarray(lat))]
            for i in hit:
                out[i] = f"{code} ({title})"
            todo[hit] = False
        return out
