"""Shapes the map draws for a distance query: the geodesic circle around a point, and the
buffer around an area, both as lon/lat polygons.

A circle drawn by Leaflet (``L.circle``) is a circle in Web Mercator pixels, which is not the
set of places N km away; these polygons are. Points use the WGS84 ellipsoid directly
(:meth:`pyproj.Geod.fwd`); areas are buffered in the CGCS2000 Gauss-Kruger zone at 120E, whose
scale error over Qingdao (< 1e-4) is far below the data's own accuracy.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from corridor import checks
from corridor.crs import CGCS2000_GK_CM120E, WGS84, transformer
from corridor.geodesic import GEOD


def geodesic_circle(lon: float, lat: float, km: float, segments: int = 128) -> Polygon:
    """The polygon of points ``km`` kilometres (on the WGS84 ellipsoid) from ``lon, lat``.

    Raises
    ------
    InvalidParameter
        If ``km`` is not a positive number up to :data:`MAX_KM`.
    """
    km = checks.km(km)
    azimuths = np.linspace(0.0, 360.0, segments, endpoint=False)
    lons, lats, _ = GEOD.fwd(
        np.full(segments, lon), np.full(segments, lat), azimuths, np.full(segments, km * 1000.0)
    )
    ring = list(zip(lons, lats, strict=True))
    return Polygon(ring + ring[:1])


def distance_buffer(geom: BaseGeometry, km: float) -> BaseGeometry:
    """The area within ``km`` kilometres of ``geom`` (a geodesic circle for a point).

    Raises
    ------
    InvalidParameter
        If ``km`` is not a positive number up to :data:`MAX_KM`.
    """
    km = checks.km(km)
    if isinstance(geom, Point):
        return geodesic_circle(geom.x, geom.y, km)
    metric = _reproject(geom, transformer(WGS84, CGCS2000_GK_CM120E))
    return _reproject(
        metric.buffer(km * 1000.0, quad_segs=32), transformer(CGCS2000_GK_CM120E, WGS84)
    )


def _reproject(geom: BaseGeometry, tr) -> BaseGeometry:
    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)
