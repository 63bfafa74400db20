"""Accuracy of the geodesic distance engine against independent brute force.

All data here is SYNTHETIC: random points, boxes, triangles and lines scattered over the
Qingdao area with a fixed seed. References are computed without the engine:

* point to point: ``geographiclib`` ``Geodesic.WGS84.Inverse``, one pair at a time;
* point to/from a polygon or line: the geometry's edges densified in lon/lat (RFC 7946
  straight edges) to about 1 m and ``pyproj.Geod.inv`` to every dense vertex, minimum taken;
  0 when shapely says the point is inside.

Membership may differ only within 1 m of the circle; distances agree to 0.1% (plus 1 m for
tiny distances, the reference's own sampling error).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from datafiles import synthetic_store
from geographiclib.geodesic import Geodesic
from pyproj import Geod

from corridor.geoindex import DIRECT_MAX_POINTS, GeodesicIndex
from corridor.queries import within_distance

GEOD = Geod(ellps="WGS84")
REL = 1e-3
SAMPLE_DEG = 1e-5  # about 1 m


def _ref_point_point(lon0: float, lat0: float, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    g = Geodesic.WGS84
    return np.array([g.Inverse(lat0, lon0, b, a)["s12"] for a, b in zip(lon, lat)])


def _dense(geom: shapely.Geometry) -> np.ndarray:
    """Dense lon/lat vertices of the geometry's boundary (or of the points themselves)."""
    if geom.geom_type in ("Point", "MultiPoint"):
        return shapely.get_coordinates(geom)
    line = geom.boundary if geom.geom_type in ("Polygon", "MultiPolygon") else geom
    return shapely.get_coordinates(shapely.segmentize(line, SAMPLE_DEG))


def _ref_point_geom(lon: float, lat: float, geom: shapely.Geometry) -> float:
    if shapely.intersects_xy(geom, lon, lat):
        return 0.0
    v = _dense(geom)
    _, _, d = GEOD.inv(np.full(len(v), lon), np.full(len(v), lat), v[:, 0], v[:, 1])
    return float(np.min(d))


def _random_shape(rng: np.random.Generator, lon: float, lat: float) -> shapely.Geometry:
    kind = rng.integers(3)
    size = rng.uniform(0.003, 0.03)
    if kind == 0:  # rotated box
        box = shapely.box(lon - size, lat - size / 2, lon + size, lat + size / 2)
        return shapely.affinity.rotate(box, rng.uniform(0, 90))
    if kind == 1:  # triangle
        pts = rng.uniform(-size, size, (3, 2)) + [lon, lat]
        return shapely.Polygon(pts).buffer(0) if shapely.Polygon(pts).area > 0 else shapely.box(
            lon, lat, lon + size, lat + size
        )
    pts = np.cumsum(rng.uniform(-size, size, (4, 2)), axis=0) + [lon, lat]
    return shapely.LineString(pts)


def _scatter(rng: np.random.Generator, n: int, spread: float = 0.4) -> tuple[np.ndarray, np.ndarray]:
    return rng.uniform(120.3 - spread, 120.3 + spread, n), rng.uniform(36.2 - spread, 36.2 + spread, n)


def _one(rng: np.random.Generator, spread: float) -> tuple[float, float]:
    lon, lat = _scatter(rng, 1, spread)
    return float(lon[0]), float(lat[0])


def _check(got_m: np.ndarray, ref_m: np.ndarray) -> None:
    np.testing.assert_allclose(got_m, ref_m, rtol=REL, atol=1.0)


@pytest.mark.parametrize(("seed", "n"), [(s, 1500) for s in range(5)] + [(5, 40), (6, DIRECT_MAX_POINTS)])
def test_point_layer_within_matches_geographiclib(seed: int, n: int) -> None:
    """Large layers ask the tree for candidates; up to DIRECT_MAX_POINTS every point is measured."""
    rng = np.random.default_rng(seed)
    lon, lat = _scatter(rng, n)
    layer = GeodesicIndex.from_lonlat(lon, lat)
    for _ in range(6):
        o = shapely.Point(*_one(rng, 0.3))
        km = float(rng.choice([0.5, 1, 5, 20, 45]))
        ref = _ref_point_point(o.x, o.y, lon, lat)
        for want_d in (True, False):
            pos, d = layer.within(o, km * 1000, distances=want_d)
            inside = np.zeros(len(lon), bool)
            inside[pos] = True
            disagree = inside != (ref <= km * 1000)
            assert np.all(np.abs(ref[disagree] - km * 1000) <= 1.0)
            if want_d:
                assert d is not None and np.all(np.diff(d) >= 0)
                _check(d, ref[pos])


def test_points_a_hair_inside_or_outside_the_circle() -> None:
    """SYNTHETIC points placed by Geod.fwd at r - 2 m ... r + 2 m on many bearings."""
    o = (120.38, 36.07)
    for km in (1.0, 5.0, 20.0, 150.0):
        r = km * 1000
        az = np.linspace(0, 360, 72, endpoint=False)
        offsets = np.array([-2.0, -1.2, 1.2, 2.0])
        az_all = np.repeat(az, len(offsets))
        dist = r + np.tile(offsets, len(az))
        lon, lat, _ = GEOD.fwd(np.full(az_all.shape, o[0]), np.full(az_all.shape, o[1]), az_all, dist)
        layer = GeodesicIndex.from_lonlat(lon, lat)
        for want_d in (True, False):
            pos, _ = layer.within(shapely.Point(o), r, distances=want_d)
            expected = np.flatnonzero(dist <= r)
            assert np.array_equal(np.sort(pos), expected)


@pytest.mark.parametrize("seed", range(4))
def test_point_to_shapes_matches_dense_reference(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    shapes = [_random_shape(rng, *_one(rng, 0.3)) for _ in range(12)]
    gdf = gpd.GeoDataFrame(geometry=shapes, crs="EPSG:4326")
    for _ in range(5):
        lon, lat = _one(rng, 0.3)
        o = shapely.Point(lon, lat)
        got = GeodesicIndex(gdf.geometry.values).distances_m(o)
        ref = np.array([_ref_point_geom(lon, lat, s) for s in shapes])
        _check(got, ref)


@pytest.mark.parametrize("seed", range(3))
def test_shape_origin_to_points_matches_dense_reference(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    lon, lat = _scatter(rng, 400, 0.3)
    layer = GeodesicIndex.from_lonlat(lon, lat)
    for _ in range(3):
        origin = _random_shape(rng, *_one(rng, 0.2))
        ref = np.array([_ref_point_geom(a, b, origin) for a, b in zip(lon, lat)])
        km = float(rng.choice([2, 10, 25]))
        pos, d = layer.within(origin, km * 1000)
        assert d is not None
        _check(d, ref[pos])
        inside = np.zeros(len(lon), bool)
        inside[pos] = True
        disagree = inside != (ref <= km * 1000)
        assert np.all(np.abs(ref[disagree] - km * 1000) <= 1.0)


def _rough_m(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Equirectangular distance (within ~1% here) from each src vertex to the nearest dst vertex."""
    kx = 111_320 * np.cos(np.radians(36.2))
    dx = (src[:, None, 0] - dst[None, :, 0]) * kx
    dy = (src[:, None, 1] - dst[None, :, 1]) * 110_950
    return np.sqrt(dx * dx + dy * dy).min(axis=1)


def _ref_geom_geom(a: shapely.Geometry, b: shapely.Geometry) -> float:
    if shapely.intersects(a, b):
        return 0.0
    best = np.inf
    for src_g, dst_g in ((a, b), (b, a)):
        src, dst = _dense(src_g)[::3], _dense(dst_g)
        # Only vertices that are roughly nearest can be nearest (2% + 50 m is ample).
        rough = _rough_m(src, dst[::20])
        for x, y in src[rough <= rough.min() * 1.01 + 30]:
            _, _, d = GEOD.inv(np.full(len(dst), x), np.full(len(dst), y), dst[:, 0], dst[:, 1])
            best = min(best, float(d.min()))
    return best


@pytest.mark.parametrize("seed", range(3))
def test_shape_to_shape_matches_dense_reference(seed: int) -> None:
    rng = np.random.default_rng(300 + seed)
    for _ in range(2):
        a = _random_shape(rng, *_one(rng, 0.05))
        b = _random_shape(rng, *_one(rng, 0.05))
        a, b = shapely.simplify(a, 0), shapely.simplify(b, 0)
        a = shapely.affinity.scale(a, 0.2, 0.2)
        b = shapely.affinity.scale(b, 0.2, 0.2)
        got = GeodesicIndex([b]).distances_m(a)[0]
        _check(np.array([got]), np.array([_ref_geom_geom(a, b)]))


def test_long_distances_up_to_300_km() -> None:
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(117.0, 123.5, 3000), rng.uniform(33.5, 39.0, 3000)
    layer = GeodesicIndex.from_lonlat(lon, lat)
    o = shapely.Point(120.38, 36.07)
    ref = _ref_point_point(o.x, o.y, lon, lat)
    pos, d = layer.within(o, 300_000)
    assert d is not None
    inside = np.zeros(len(lon), bool)
    inside[pos] = True
    assert np.all(np.abs(ref[inside != (ref <= 300_000)] - 300_000) <= 1.0)
    _check(d, ref[pos])


@pytest.mark.parametrize("k", [1, 3, 50])
def test_nearest_matches_sorted_brute_force(k: int) -> None:
    rng = np.random.default_rng(k)
    lon, lat = _scatter(rng, 3000)
    layer = GeodesicIndex.from_lonlat(lon, lat)
    for _ in range(5):
        o = shapely.Point(*_one(rng, 0.5))
        ref = _ref_point_point(o.x, o.y, lon, lat)
        pos, d = layer.nearest(o, k)
        assert len(pos) == k
        np.testing.assert_allclose(d, np.sort(ref)[:k], rtol=1e-9, atol=1e-3)


def test_store_within_distance_against_brute_force(as_kind) -> None:
    """within_distance over a SYNTHETIC store of points and shapes, origin by id and by point."""
    rng = np.random.default_rng(11)
    lon, lat = _scatter(rng, 300, 0.3)
    pts = gpd.GeoDataFrame(
        {"id": [f"p-{i}" for i in range(300)]}, geometry=shapely.points(lon, lat), crs="EPSG:4326"
    ).set_index("id", drop=False)
    shapes = [_random_shape(rng, *_one(rng, 0.3)) for _ in range(20)]
    polys = gpd.GeoDataFrame(
        {"id": [f"s-{i}" for i in range(20)]}, geometry=shapes, crs="EPSG:4326"
    ).set_index("id", drop=False)
    cat = as_kind(synthetic_store({
        cid: [{"id": fid, "geometry": g} for fid, g in zip(gdf.index, gdf.geometry)]
        for cid, gdf in (("labs", pts), ("parks", polys))
    }))
    for of in ("s-3", "p-7", (120.31, 36.22)):
        origin = shapes[3] if of == "s-3" else (pts.geometry.iloc[7] if of == "p-7" else shapely.Point(of))
        km = 12.0
        hits = within_distance(cat, of, km)
        got = {(h.collection, h.id): h.distance_km for h in hits}
        assert [h.distance_km for h in hits] == sorted(h.distance_km for h in hits)
        for cid, gdf in (("labs", pts), ("parks", polys)):
            for fid, g in zip(gdf.index, gdf.geometry):
                if fid == of:
                    assert (cid, fid) not in got
                    continue
                if g.geom_type == "Point" and origin.geom_type != "Point":
                    ref = _ref_point_geom(g.x, g.y, origin)
                elif origin.geom_type == "Point":
                    ref = _ref_point_geom(origin.x, origin.y, g)
                elif _rough_m(_dense(origin)[::20], _dense(g)[::20]).min() > km * 1000 * 1.05 + 200:
                    assert (cid, fid) not in got
                    continue
                else:
                    ref = _ref_geom_geom(origin, g)
                if abs(ref - km * 1000) > 1.0:
                    assert ((cid, fid) in got) == (ref <= km * 1000), (cid, fid, ref)
                if (cid, fid) in got:
                    _check(np.array([got[(cid, fid)] * 1000]), np.array([ref]))
