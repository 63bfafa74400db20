"""Geometry helpers for the build: metric projection, simplification, 6-decimal output."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from corridor.crs import CGCS2000_GK_CM120E, WGS84, transformer

#: Output grid: 1e-6 degree is about 0.1 m, far below every source's accuracy.
GRID_DEG = 1e-6
DECIMALS = 6


def to_metric(geom: BaseGeometry) -> BaseGeometry:
    """WGS84 lon/lat geometry to EPSG:4549 metres (Gauss-Kruger CM 120E)."""
    t = transformer(WGS84, CGCS2000_GK_CM120E)
    return shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def to_lonlat(geom: BaseGeometry) -> BaseGeometry:
    """EPSG:4549 geometry back to WGS84 lon/lat."""
    t = transformer(CGCS2000_GK_CM120E, WGS84)
    return shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the polygon parts of ``geom`` (set operations can leave slivers of lines)."""
    parts = [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon" and not g.is_empty]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def simplify(geom: BaseGeometry, tolerance_m: float) -> BaseGeometry:
    """Douglas-Peucker simplification in metres, topology preserved, back in lon/lat."""
    return to_lonlat(shapely.simplify(to_metric(geom), tolerance_m, preserve_topology=True))


def simplify_coverage(geoms: Sequence[BaseGeometry], tolerance_m: float) -> list[BaseGeometry]:
    """Simplify polygons that tile an area without opening gaps or overlaps between them.

    Shared edges are simplified once (GEOS coverage simplification), so neighbouring
    districts keep identical borders; simplifying each on its own would not.
    """
    metric = [to_metric(g) for g in geoms]
    simplified = shapely.coverage_simplify(np.array(metric, dtype=object), tolerance_m)
    return [to_lonlat(g) for g in simplified]


def quantize(geom: BaseGeometry) -> BaseGeometry:
    """Snap to the 1e-6 degree output grid, keeping the geometry valid."""
    snapped = shapely.set_precision(geom, GRID_DEG)
    return polygonal(snapped) if _is_areal(geom) else snapped


def _is_areal(geom: BaseGeometry) -> bool:
    return geom.geom_type in ("Polygon", "MultiPolygon")


def rounded_geojson(geom: BaseGeometry) -> dict[str, Any]:
    """GeoJSON mapping of ``geom`` with every coordinate rounded to 6 decimals.

    Polygon rings are written counter-clockwise outside, clockwise inside (RFC 7946).
    """
    if _is_areal(geom):
        geom = shapely.orient_polygons(geom)
    return _round(mapping(geom))


def _round(obj: Any) -> Any:
    if isinstance(obj, float):
        # +0.0 keeps "-0.0" out of the output; lon/lat here are never near zero anyway.
        return round(obj, DECIMALS) + 0.0
    if isinstance(obj, (list, tuple)):
        return [_round(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    return obj
