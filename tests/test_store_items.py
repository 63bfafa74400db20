"""The store's items query and intersection index on SYNTHETIC layers, against brute force:
shapely predicates evaluated feature by feature, and geodesics from pyproj.Geod for near."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from datafiles import synthetic_points, synthetic_store
from pyproj import Geod
from shapely.geometry import box, shape

from corridor import geoindex
from corridor.errors import InvalidParameter
from corridor.geoindex import GeodesicIndex
from corridor.model import ItemsQuery

N = 20_000
GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def layer(as_kind):
    """A SYNTHETIC store: 20,000 random points, the first 1,000 of them again as ``few``
    (few enough that a box query compares every point rather than asking the tree), and 40
    random polygons around Qingdao (in memory, and in PostGIS)."""
    rng = np.random.default_rng(7)
    points = [{"id": f["properties"]["id"], "group": f["properties"]["group"],
               "geometry": shape(f["geometry"])} for f in synthetic_points(N, seed=3)]
    polys = []
    for i in range(40):
        x, y = rng.uniform(120.0, 120.6), rng.uniform(35.9, 36.4)
        w, h = rng.uniform(0.005, 0.08, size=2)
        polys.append({"id": f"poly-{i}", "geometry": box(x, y, x + w, y + h)
                      if i % 2 else shapely.Point(x, y).buffer(w / 2, quad_segs=4)})
    return as_kind(synthetic_store({"synthetic": points, "few": [{**p, "id": f"few-{p['id']}"} for p in points[:1000]],
                                     "zones": polys}))


def _brute(store, cid, pred):
    return [f.id for f in store.features(cid) if pred(f)]


@pytest.mark.parametrize("bbox", [
    (120.3, 36.05, 120.4, 36.15),        # inside the data
    (119.0, 35.0, 120.05, 36.0),         # over a corner
    (-180.0, -90.0, 180.0, 90.0),        # the whole world: clipped, not projected
    (121.5, 37.0, 122.0, 37.5),          # beside the data: nothing
    (120.2, 36.1, 120.2000001, 36.1000001),  # a hair wide
])
@pytest.mark.parametrize("slab", [True, False], ids=["lon-slab", "tree"])
def test_bbox_matches_brute_force(layer, bbox, slab, monkeypatch):
    if not slab:  # every box of the large point collection goes to the metric tree
        monkeypatch.setattr(geoindex, "SLAB_MAX_POINTS", 0)
    for cid in ("synthetic", "few", "zones"):
        page = layer.items(cid, ItemsQuery(bbox=bbox, limit=100_000))
        want = _brute(layer, cid, lambda f: shapely.intersects(f.geometry, box(*bbox)))
        assert [f.id for f in page.features] == want and page.matched == len(want)


@pytest.mark.parametrize("bbox", [
    (120.3, 36.05, 120.4, 36.15),        # about 2% of the points: the page is found by scanning
    (120.2, 36.1, 120.21, 36.11),        # a handful: the scan's chunks grow until they are found
    (119.0, 35.0, 120.05, 36.0),         # over a corner
    (120.0, 35.9, 120.6, 36.4),          # most of the points: a wide slab
    (121.5, 37.0, 122.0, 37.5),          # nothing
])
@pytest.mark.parametrize("slab", [True, False], ids=["lon-slab", "tree"])
def test_bbox_pages_match_brute_force(layer, bbox, slab, monkeypatch):
    """A page of a bbox-only query (counted, and found without sorting every match) is the
    same slice of the brute-force answer, with the same count, at any offset and limit."""
    if not slab:
        monkeypatch.setattr(geoindex, "SLAB_MAX_POINTS", 0)
    for cid in ("synthetic", "few"):
        want = _brute(layer, cid, lambda f: shapely.intersects(f.geometry, box(*bbox)))
        for offset, limit in ((0, 1), (0, 10), (3, 10), (95, 10), (0, 1000), (len(want) - 2, 10),
                              (len(want), 10), (10_000, 10)):
            offset = max(offset, 0)
            page = layer.items(cid, ItemsQuery(bbox=bbox, offset=offset, limit=limit))
            assert page.matched == len(want), (cid, offset, limit)
            assert [f.id for f in page.features] == want[offset:offset + limit], (cid, offset, limit)


@pytest.mark.parametrize("order", ["random", "north-first", "south-first"])
def test_box_page_scans_until_the_page_is_found(order):
    """``box_page`` against the plain box test on 30,000 SYNTHETIC points, stored in random
    order or sorted by latitude: sorted, a southern box's matches all sit at the end of the
    position order, so the in-order scan must go on chunk after chunk to find them."""
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(120.0, 120.6, 30_000), rng.uniform(35.9, 36.4, 30_000)
    if order != "random":
        keep = np.argsort(-lat if order == "north-first" else lat)
        lon, lat = lon[keep], lat[keep]
    index = GeodesicIndex.from_lonlat(lon, lat)
    for bbox in ((120.3, 35.9, 120.35, 35.95), (120.3, 36.35, 120.35, 36.4),
                 (120.0, 35.9, 120.6, 36.4), (120.1, 36.0, 120.5, 36.3), (120.4, 36.2, 120.401, 36.201)):
        x0, y0, x1, y1 = bbox
        want = np.flatnonzero((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
        for k in (1, 10, 100, 5000):
            matched, first = index.box_page(*bbox, k)
            assert matched == len(want) and first.tolist() == want[:k].tolist(), (bbox, k)


def test_points_on_the_box_edge_count(layer):
    for cid in ("synthetic", "few"):
        f = layer.features(cid)[123]
        x, y = f.geometry.x, f.geometry.y
        for bbox in ((x, y, x + 0.1, y + 0.1), (x - 0.1, y - 0.1, x, y)):
            ids = [g.id for g in layer.items(cid, ItemsQuery(bbox=bbox, limit=100_000)).features]
            assert f.id in ids


def test_intersecting_any_geometry_matches_shapely(layer):
    index = GeodesicIndex([f.geometry for f in layer.features("zones")])
    rng = np.random.default_rng(5)
    for _ in range(30):
        x, y = rng.uniform(120.0, 120.6), rng.uniform(35.9, 36.4)
        geom = [shapely.Point(x, y).buffer(rng.uniform(0.001, 0.1)),
                shapely.LineString([(x, y), (x + rng.uniform(-0.3, 0.3), y + rng.uniform(-0.3, 0.3))]),
                shapely.Point(x, y)][_ % 3]
        want = [i for i, f in enumerate(layer.features("zones")) if shapely.intersects(f.geometry, geom)]
        assert list(index.intersecting(geom)) == want


def test_paging_equality_and_bbox_together(layer):
    bbox = (120.1, 36.0, 120.5, 36.3)
    want = _brute(layer, "synthetic",
                  lambda f: f.get("group") == 3 and shapely.intersects(f.geometry, box(*bbox)))
    assert len(want) > 300
    got = []
    for offset in range(0, len(want) + 100, 100):
        page = layer.items("synthetic", ItemsQuery(bbox=bbox, equals={"group": 3}, offset=offset, limit=100))
        assert page.matched == len(want)
        got += [f.id for f in page.features]
    assert got == want


def test_near_matches_geodesic_brute_force(layer):
    lon0, lat0 = 120.35, 36.12
    km = 3.0
    q = ItemsQuery(near=shapely.Point(lon0, lat0), near_m=km * 1000, limit=100_000)
    page = layer.items("synthetic", q)
    feats = layer.features("synthetic")
    lon = np.array([f.geometry.x for f in feats])
    lat = np.array([f.geometry.y for f in feats])
    _, _, d = GEOD.inv(np.full(N, lon0), np.full(N, lat0), lon, lat)
    order = np.lexsort((np.arange(N), d))
    want = [feats[i].id for i in order if d[i] <= km * 1000]
    assert [f.id for f in page.features] == want and page.matched == len(want) > 100
    assert page.distances_km is not None
    ref = {feats[i].id: d[i] / 1000 for i in order}
    assert all(abs(ref[f.id] - dk) < 1e-6 for f, dk in zip(page.features, page.distances_km, strict=True))


def test_near_excludes_the_origin_feature(layer):
    origin = layer.features("synthetic")[0]
    q = ItemsQuery(near=origin.geometry, near_m=5000, near_id=origin.id, limit=10)
    page = layer.items("synthetic", q)
    assert origin.id not in [f.id for f in page.features] and page.matched > 10


def test_filter_is_evaluated_on_the_selection(layer):
    from corridor import cql

    ast = cql.parse_filter("group = 2 AND S_INTERSECTS(geometry, POLYGON((120.2 36.0, 120.3 36.0, 120.3 36.1, 120.2 36.0)))", None)
    cql.check_filter(ast, layer.queryables("synthetic"))
    tri = shapely.Polygon([(120.2, 36.0), (120.3, 36.0), (120.3, 36.1)])
    want = _brute(layer, "synthetic", lambda f: f.get("group") == 2 and shapely.intersects(f.geometry, tri))
    for bbox in (None, (120.25, 35.9, 121.0, 37.0)):
        page = layer.items("synthetic", ItemsQuery(filter=ast, bbox=bbox, limit=100_000))
        expected = [i for i in want if bbox is None or shapely.intersects(
            layer.get("synthetic", i).geometry, box(*bbox))]
        assert [f.id for f in page.features] == expected
    assert 0 < len(want) < N


def test_queryables_are_typed_from_the_values(layer):
    q = layer.queryables("synthetic")
    assert q["group"]["type"] == "integer" and q["name_en"]["type"] == "string"
    assert "industries_zh" not in q and q["geometry"]["format"] == "geometry-point-or-multi"


def test_an_unevaluable_filter_is_a_clear_error(layer):
    from corridor import cql

    with pytest.raises(InvalidParameter, match="filter"):
        cql.parse_filter("group = ", None)
    with pytest.raises(InvalidParameter, match="at most 4000"):
        cql.parse_filter("group = 1 OR " * 1000 + "group = 2", None)
