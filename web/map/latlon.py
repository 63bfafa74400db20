"""Leaflet's coordinate order: the one place a lon/lat pair becomes ``[lat, lon]``, and
where a label sits in an area."""

from __future__ import annotations

from collections.abc import Sequence

from shapely.geometry.base import BaseGeometry


def latlon(lon: float, lat: float) -> list[float]:
    """The one place a lon, lat pair becomes Leaflet's ``[lat, lon]``."""
    return [float(lat), float(lon)]


def bounds_latlon(extent: Sequence[float]) -> list[list[float]]:
    """Leaflet bounds ``[[south, west], [north, east]]`` of a lon/lat ``(minx, miny, maxx, maxy)``."""
    minx, miny, maxx, maxy = extent
    return [latlon(minx, miny), latlon(maxx, maxy)]


def label_point(geom: BaseGeometry) -> list[float]:
    """Where a label goes: inside the largest part of an area (``[lat, lon]``)."""
    parts = getattr(geom, "geoms", None)
    if parts:
        geom = max(parts, key=lambda g: g.area)
    p = geom.representative_point()
    return latlon(p.x, p.y)
