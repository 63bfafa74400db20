"""CRS by reference (OGC API - Features Part 2) and the coord-sys option, for the API.

Inside the service everything is WGS84 lon,lat (OGC:CRS84). This module turns the ``crs``,
``bbox-crs``, ``filter-crs`` and ``coord-sys`` parameters into functions on shapely geometries
and bounding boxes, honouring each CRS's axis order: EPSG:4326 and EPSG:4490 are lat,lon and
EPSG:4549 is northing,easting, as their EPSG definitions say and as Part 2 requires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TypeAlias

import numpy as np
import shapely
from pyproj import CRS

from corridor.crs import CRS84, SUPPORTED_CRS_URIS, from_wgs84, to_wgs84, transformer
from web.api.errors import InvalidParameterValue

CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#: Every CRS URI the API accepts, CRS84 first (the default).
CRS_URIS: tuple[str, ...] = (CRS84_URI,) + tuple(u for u in SUPPORTED_CRS_URIS if u != CRS84_URI)

Geometry: TypeAlias = shapely.Geometry
GeomFn = Callable[[Geometry], Geometry]


@dataclass(frozen=True)
class RefSystem:
    """A supported CRS: its URI, pyproj code and whether its first axis is north."""

    uri: str
    code: str
    north_first: bool

    @property
    def is_crs84(self) -> bool:
        return self.code == CRS84


@cache
def _ref_system(uri: str) -> RefSystem:
    code = SUPPORTED_CRS_URIS[uri]
    axis = CRS.from_user_input(code).axis_info
    return RefSystem(uri=uri, code=code, north_first=axis[0].direction == "north")


def parse_crs(value: str | None, param: str = "crs") -> RefSystem:
    """Return the :class:`RefSystem` of a ``crs``-style parameter (default CRS84).

    Accepts the URI form and the safe-CURIE form ``[EPSG:4326]``.

    Raises
    ------
    InvalidParameterValue
        If the CRS is not one the service supports.
    """
    if value is None:
        return _ref_system(CRS84_URI)
    text = value.strip()
    curie = text.strip("[]")
    if curie.upper() == "OGC:CRS84":
        text = CRS84_URI
    elif curie.upper().startswith("EPSG:"):
        text = f"http://www.opengis.net/def/crs/EPSG/0/{curie[5:]}"
    text = text.replace("https://", "http://")
    if text not in SUPPORTED_CRS_URIS:
        raise InvalidParameterValue(
            f"{param}={value!r} is not a supported CRS; expected one of {', '.join(CRS_URIS)}"
        )
    return _ref_system(text)


def _apply_xy(geom: Geometry, fn: Callable[[np.ndarray, np.ndarray], tuple]) -> Geometry:
    def on_coords(coords: np.ndarray) -> np.ndarray:
        x, y = fn(coords[:, 0], coords[:, 1])
        return np.column_stack([np.asarray(x, float), np.asarray(y, float)])

    return shapely.transform(geom, on_coords)


def output_fn(ref: RefSystem, coord_sys: str = "wgs84") -> GeomFn | None:
    """Function taking a WGS84 lon,lat geometry to the output CRS/axis order (None: identity).

    ``coord_sys`` (gcj02, bd09) only combines with CRS84: those systems are offsets of
    WGS84 lon,lat, not CRSs with an axis order of their own.
    """
    if coord_sys != "wgs84":
        return lambda g: _apply_xy(g, lambda x, y: from_wgs84(x, y, coord_sys))
    if ref.is_crs84:
        return None
    tr = transformer(CRS84, ref.code)

    def fn(g: Geometry) -> Geometry:
        def xy(x: np.ndarray, y: np.ndarray) -> tuple:
            ox, oy = tr.transform(x, y)
            return (oy, ox) if ref.north_first else (ox, oy)

        return _apply_xy(g, xy)

    return fn


def input_fn(ref: RefSystem, coord_sys: str = "wgs84") -> GeomFn | None:
    """Inverse of :func:`output_fn`: from request coordinates to WGS84 lon,lat."""
    if coord_sys != "wgs84":
        return lambda g: _apply_xy(g, lambda x, y: to_wgs84(x, y, coord_sys))
    if ref.is_crs84:
        return None
    tr = transformer(ref.code, CRS84)

    def fn(g: Geometry) -> Geometry:
        def xy(a: np.ndarray, b: np.ndarray) -> tuple:
            x, y = (b, a) if ref.north_first else (a, b)
            return tr.transform(x, y)

        return _apply_xy(g, xy)

    return fn


def bbox_to_wgs84(
    bbox: tuple[float, ...], ref: RefSystem, coord_sys: str = "wgs84"
) -> tuple[float, float, float, float]:
    """Turn a request bbox (axis order of ``ref``) into a lon,lat box (minx, miny, maxx, maxy).

    Raises
    ------
    InvalidParameterValue
        If the box cannot be transformed (e.g. projected coordinates far outside the CRS).
    """
    if len(bbox) == 6:  # 3D box: drop the heights
        bbox = (bbox[0], bbox[1], bbox[3], bbox[4])
    a0, b0, a1, b1 = bbox
    if coord_sys != "wgs84" and not (-180 <= a0 <= a1 <= 180 and -90 <= b0 <= b1 <= 90):
        # the GCJ-02 / BD-09 offsets are defined on lon,lat only (far-off numbers overflow them)
        raise InvalidParameterValue(
            f"bbox {','.join(map(str, bbox))} is not a lon,lat box; coord-sys={coord_sys} expects "
            "-180 <= lon <= 180 and -90 <= lat <= 90")
    fn = input_fn(ref, coord_sys)
    if fn is None:
        return (a0, b0, a1, b1)
    # sample the outline so a projected box maps to the lon,lat box that covers it
    t = np.linspace(0.0, 1.0, 17)
    xs = np.concatenate([a0 + (a1 - a0) * t, np.full(17, a1), a1 - (a1 - a0) * t, np.full(17, a0)])
    ys = np.concatenate([np.full(17, b0), b0 + (b1 - b0) * t, np.full(17, b1), b1 - (b1 - b0) * t])
    out = fn(shapely.multipoints(np.column_stack([xs, ys])))
    bounds = shapely.bounds(out)
    if not np.all(np.isfinite(bounds)):
        raise InvalidParameterValue(
            f"bbox {','.join(map(str, bbox))} cannot be transformed from {ref.uri}; "
            "expected coordinates inside that CRS's area of use"
        )
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    return (minx, miny, maxx, maxy)
