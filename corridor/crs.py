"""Coordinate reference systems: every transformer the service uses, built once.

Inside the service every coordinate is ``lon, lat`` on WGS84 (OGC:CRS84 axis order).
pyproj covers the EPSG systems; the Chinese web-map obfuscations GCJ-02 (AMap, Tencent)
and BD-09 (Baidu) are not EPSG systems, so they are implemented here with numpy.

GCJ-02 is a published-by-reverse-engineering, deterministic offset on top of WGS84
(Krasovsky-ellipsoid based). Its forward direction (WGS84 -> GCJ-02) has a closed form;
the inverse is solved by fixed-point iteration until the round trip is exact to well
under a millimetre. BD-09 is a further rotation/scaling of GCJ-02.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer

from corridor import checks
from corridor.checks import COORD_SYSTEMS, CoordSys  # noqa: F401 - re-exported

CRS84 = "OGC:CRS84"
WGS84 = "EPSG:4326"
CGCS2000 = "EPSG:4490"
#: CGCS2000 / 3-degree Gauss-Kruger CM 120E: the metric CRS for Qingdao (lon 119.5-121.0).
CGCS2000_GK_CM120E = "EPSG:4549"

#: CRS the API accepts by reference (OGC API - Features Part 2), as URIs.
SUPPORTED_CRS_URIS = {
    "http://www.opengis.net/def/crs/OGC/1.3/CRS84": CRS84,
    "http://www.opengis.net/def/crs/EPSG/0/4326": WGS84,
    "http://www.opengis.net/def/crs/EPSG/0/4490": CGCS2000,
    "http://www.opengis.net/def/crs/EPSG/0/4549": CGCS2000_GK_CM120E,
}


FloatArray = NDArray[np.float64]


@cache
def transformer(src: str, dst: str) -> Transformer:
    """Return the (cached) ``always_xy`` transformer from ``src`` to ``dst``.

    One transformer per CRS pair is built on first use and reused afterwards.
    """
    return Transformer.from_crs(CRS.from_user_input(src), CRS.from_user_input(dst), always_xy=True)


def to_metric(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS84 lon/lat to CGCS2000 / Gauss-Kruger CM 120E easting/northing in metres."""
    x, y = transformer(WGS84, CGCS2000_GK_CM120E).transform(
        np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    )
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


# --- GCJ-02 / BD-09 ---------------------------------------------------------------------------

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0


def _in_china(lon: FloatArray, lat: FloatArray) -> NDArray[np.bool_]:
    # GCJ-02 leaves coordinates outside (roughly) mainland China unshifted.
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _gcj_delta(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Offset (dlon, dlat) in degrees that GCJ-02 adds to a WGS84 position."""
    x = lon - 105.0
    y = lat - 35.0
    sx = np.sqrt(np.abs(x))
    t = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx + t
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx + t
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    inside = _in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS84 to GCJ-02 (closed form)."""
    lo, la = _as_arrays(lon, lat)
    dlon, dlat = _gcj_delta(lo, la)
    return lo + dlon, la + dlat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 to WGS84, by fixed-point iteration on the forward transform.

    The offset varies by well under 1e-6 of itself per metre, so a handful of iterations
    converge to below 1e-9 degrees (about 0.1 mm).
    """
    glon, glat = _as_arrays(lon, lat)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(30):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = flon - glon, flat - glat
        wlon = wlon - elon
        wlat = wlat - elat
        if np.all(np.abs(elon) < 1e-11) and np.all(np.abs(elat) < 1e-11):
            break
    return wlon, wlat


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 to BD-09 (closed form)."""
    x, y = _as_arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """BD-09 to GCJ-02: the usual approximate inverse, refined by fixed-point iteration."""
    blon, blat = _as_arrays(lon, lat)
    x, y = blon - 0.0065, blat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    glon, glat = z * np.cos(theta), z * np.sin(theta)
    for _ in range(30):
        flon, flat = gcj02_to_bd09(glon, glat)
        elon, elat = flon - blon, flat - blat
        glon, glat = glon - elon, glat - elat
        if np.all(np.abs(elon) < 1e-11) and np.all(np.abs(elat) < 1e-11):
            break
    return glon, glat


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS84 to BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """BD-09 to WGS84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(lon: ArrayLike, lat: ArrayLike, coord_sys: str) -> tuple[FloatArray, FloatArray]:
    """Convert a position given in ``coord_sys`` (wgs84, gcj02, bd09) to WGS84."""
    cs = checks.coord_sys(coord_sys)
    if cs == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if cs == "bd09":
        return bd09_to_wgs84(lon, lat)
    return _as_arrays(lon, lat)


def from_wgs84(lon: ArrayLike, lat: ArrayLike, coord_sys: str) -> tuple[FloatArray, FloatArray]:
    """Convert a WGS84 position to ``coord_sys`` (wgs84, gcj02, bd09)."""
    cs = checks.coord_sys(coord_sys)
    if cs == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if cs == "bd09":
        return wgs84_to_bd09(lon, lat)
    return _as_arrays(lon, lat)
