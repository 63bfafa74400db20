"""GCJ-02 / BD-09 conversion and the EPSG transformers."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from corridor import crs
from corridor.errors import InvalidParameter

GEOD = Geod(ellps="WGS84")
rng = np.random.default_rng(20211)
# Random positions over Qingdao and well beyond it (all of eastern China).
LON = rng.uniform(105.0, 125.0, 5000)
LAT = rng.uniform(20.0, 45.0, 5000)


def _metres(lon1, lat1, lon2, lat2):
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


@pytest.mark.parametrize(
    "forward,inverse",
    [
        (crs.wgs84_to_gcj02, crs.gcj02_to_wgs84),
        (crs.wgs84_to_bd09, crs.bd09_to_wgs84),
        (crs.gcj02_to_bd09, crs.bd09_to_gcj02),
    ],
)
def test_round_trip_under_a_centimetre(forward, inverse):
    back = inverse(*forward(LON, LAT))
    err = _metres(LON, LAT, *back)
    assert err.max() < 0.01


def test_gcj02_offset_in_qingdao_is_about_470m_east():
    # The issue states the GCJ-02 offset here is about 450-500 m, mostly east.
    lon, lat = np.array([120.38, 120.2, 120.7]), np.array([36.07, 35.95, 36.36])
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    az, _, dist = GEOD.inv(lon, lat, glon, glat)
    assert np.all((dist > 400) & (dist < 550))
    assert np.all((az > 60) & (az < 120))  # roughly east


def test_independent_reference_values():
    # Check values from another project's test suite (gcoord, JavaScript): GCJ-02 (123, 45)
    # -> WGS84 (122.99395597, 44.99804071) and -> BD-09 (123.00636499, 45.00636899), to
    # 5 decimals (their inverse is a cruder approximation than our iteration, ~0.02 m apart).
    wlon, wlat = crs.gcj02_to_wgs84(123.0, 45.0)
    assert float(wlon) == pytest.approx(122.99395597, abs=5e-6)
    assert float(wlat) == pytest.approx(44.99804071, abs=5e-6)
    blon, blat = crs.gcj02_to_bd09(123.0, 45.0)
    assert float(blon) == pytest.approx(123.00636499, abs=5e-7)
    assert float(blat) == pytest.approx(45.00636899, abs=5e-7)


def test_outside_china_is_unchanged():
    lon, lat = crs.wgs84_to_gcj02(139.7, 35.7)  # Tokyo
    assert float(lon) == 139.7 and float(lat) == 35.7


def test_to_and_from_wgs84_dispatch():
    lon, lat = 120.38, 36.07
    for cs in ("wgs84", "gcj02", "bd09", "GCJ-02", "BD_09"):
        back = crs.to_wgs84(*crs.from_wgs84(lon, lat, cs), cs)
        assert _metres(lon, lat, *back) < 0.01
    assert crs.to_wgs84(lon, lat, "wgs84") == (lon, lat)


def test_unknown_coord_sys_names_value_and_choices():
    with pytest.raises(InvalidParameter, match=r"'utm'.*wgs84, gcj02, bd09"):
        crs.to_wgs84(120.0, 36.0, "utm")


def test_metric_crs_matches_geodesic_distance():
    # EPSG:4549 distances near Qingdao agree with the ellipsoid to well under 0.1 %.
    lon = np.array([120.0, 120.5])
    lat = np.array([36.0, 36.3])
    x, y = crs.to_metric(lon, lat)
    grid = float(np.hypot(x[1] - x[0], y[1] - y[0]))
    geo = float(_metres(lon[0], lat[0], lon[1], lat[1]))
    assert grid == pytest.approx(geo, rel=1e-3)


def test_transformers_are_built_once():
    assert crs.transformer(crs.WGS84, crs.CGCS2000_GK_CM120E) is crs.transformer(
        crs.WGS84, crs.CGCS2000_GK_CM120E
    )
