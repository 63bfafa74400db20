"""The PostGIS store against the in-memory store, on SYNTHETIC data: geodesic distances
(within 1 m at the circle's edge, 0.1% in distance), CQL2 with missing values, queryables,
versions across two store instances, and parameters never pasted into SQL."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import shapely
from conftest import load_into
from datafiles import synthetic_store
from pyproj import Geod

from corridor import cql
from corridor.errors import InvalidParameter, NotFound, Unavailable
from corridor.model import ItemsQuery

pytestmark = pytest.mark.postgis
GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def pair(pg_cluster):
    """(in-memory store, PostGIS store) over the same SYNTHETIC rows: points with gaps in
    their properties, and polygons."""
    from conftest import new_schema

    from corridor.store.postgis import PostgisStore

    rng = np.random.default_rng(42)
    points = []
    for i in range(3000):
        row = {"id": f"pt-{i}", "name_en": f"SYNTHETIC point {i}",
               "geometry": shapely.Point(rng.uniform(120.0, 120.7), rng.uniform(35.9, 36.5))}
        if i % 3:
            row["score"] = float(rng.integers(0, 100))
        if i % 4:
            row["label"] = ["alpha", "beta", "Gamma", "delta_x", "é"][i % 5]
        if i % 5:
            row["flag"] = bool(i % 2)  # with gaps: not queryable
        row["even"] = i % 2 == 0
        row["rank"] = i % 17
        points.append(row)
    polys = [{"id": f"poly-{i}", "geometry": shapely.Point(rng.uniform(120.0, 120.6),
                                                         rng.uniform(35.9, 36.4)).buffer(0.02, 8)}
             for i in range(30)]
    mem = synthetic_store({"synthetic": points, "zones": polys})
    url = new_schema(pg_cluster)
    load_into(url, mem)
    pg = PostgisStore(url)
    yield mem, pg
    pg.close()


def test_metadata_and_queryables_match(pair):
    mem, pg = pair
    for meta in mem.collections():
        got = pg.collection(meta.id)
        assert (got.count, got.extent, got.geometry_types, got.roles, got.version) == \
            (meta.count, meta.extent, meta.geometry_types, meta.roles, meta.version)
        assert list(pg.queryables(meta.id).items()) == list(mem.queryables(meta.id).items())


def test_points_a_hair_inside_or_outside_the_circle(pg_url):
    """SYNTHETIC points placed by Geod.fwd at r - 2 m ... r + 2 m on many bearings: PostGIS
    decides each as the exact geodesic does when it is more than 1 m from the edge."""
    from corridor.store.postgis import PostgisStore

    o = (120.38, 36.07)
    rows = []
    expected: dict[float, set[str]] = {}
    for km in (1.0, 5.0, 20.0, 150.0):
        r = km * 1000
        az = np.repeat(np.linspace(0, 360, 72, endpoint=False), 4)
        dist = r + np.tile([-2.0, -1.2, 1.2, 2.0], 72)
        lon, lat, _ = GEOD.fwd(np.full(az.shape, o[0]), np.full(az.shape, o[1]), az, dist)
        ids = [f"r{int(km)}-{j}" for j in range(len(lon))]
        rows += [{"id": i, "geometry": shapely.Point(x, y)} for i, x, y in zip(ids, lon, lat)]
        expected[r] = {i for i, d in zip(ids, dist) if d <= r}
    mem = synthetic_store({"synthetic": rows})
    load_into(pg_url, mem)
    pg = PostgisStore(pg_url)
    try:
        for r, want in expected.items():
            got = pg.within("synthetic", shapely.Point(o), r)
            prefix = f"r{int(r / 1000)}-"
            assert {f.id for f, _ in got if f.id.startswith(prefix)} == want
            assert {f.id for f, _ in mem.within("synthetic", shapely.Point(o), r)
                    if f.id.startswith(prefix)} == want
    finally:
        pg.close()


@pytest.mark.parametrize("origin", [
    shapely.Point(120.35, 36.12),
    shapely.Point(120.35, 36.12).buffer(0.03, 6),
    shapely.LineString([(120.1, 36.0), (120.3, 36.2), (120.5, 36.1)]),
])
def test_within_and_nearest_agree_with_the_memory_engine(pair, origin):
    mem, pg = pair
    for cid in ("synthetic", "zones"):
        for meters in (500.0, 4000.0, 25_000.0):
            a = dict((f.id, d) for f, d in mem.within(cid, origin, meters))
            b = dict((f.id, d) for f, d in pg.within(cid, origin, meters))
            for fid in set(a) ^ set(b):  # only at the circle's edge
                d = a.get(fid, b.get(fid))
                assert abs(d - meters) <= 1.0, (cid, fid, d)
            for fid in set(a) & set(b):
                assert abs(a[fid] - b[fid]) <= max(1e-3 * a[fid], 0.01), (cid, fid, a[fid], b[fid])
            dists = [d for _, d in pg.within(cid, origin, meters)]
            assert dists == sorted(dists)
        for k in (1, 5, 40):
            a = mem.nearest(cid, origin, k)
            b = pg.nearest(cid, origin, k)
            assert len(a) == len(b) == min(k, mem.collection(cid).count)
            np.testing.assert_allclose([d for _, d in b], [d for _, d in a], rtol=1e-3, atol=0.01)


FILTERS = [
    "label = 'alpha'", "label <> 'alpha'", "NOT (label = 'alpha')", "label < 'beta'",
    "label LIKE 'a%'", "label NOT LIKE 'a%'", "label LIKE 'delta\\_%'", "label LIKE '_eta'",
    "score > 50", "NOT (score > 50)", "score BETWEEN 10 AND 20", "score NOT BETWEEN 10 AND 20",
    "score IN (1, 2, 3)", "score NOT IN (1, 2, 3)", "score IS NULL", "score IS NOT NULL",
    "even = true", "NOT (even = false)", "rank = 3 OR score < 5", "label LIKE 'b.ta'",
    "label LIKE '%a'", "label LIKE 'gamma'",
    "rank >= 10 AND NOT (label IN ('beta', 'Gamma'))", "label > 'Gamma'", "label = 'é'",
    "S_INTERSECTS(geometry, POLYGON((120.2 36.0, 120.3 36.0, 120.3 36.1, 120.2 36.0)))",
    "S_DISJOINT(geometry, BBOX(120.0, 35.9, 120.3, 36.2))",
    "S_WITHIN(geometry, POLYGON((120.0 35.9, 120.4 35.9, 120.4 36.3, 120.0 36.3, 120.0 35.9)))",
    "NOT S_INTERSECTS(geometry, POINT(120.3 36.1)) AND score >= 90",
]


@pytest.mark.parametrize("text", FILTERS)
def test_filters_select_what_the_memory_store_selects(pair, text):
    mem, pg = pair
    ast = cql.parse_filter(text, None)
    cql.check_filter(ast, mem.queryables("synthetic"))
    q = ItemsQuery(filter=ast, limit=10_000)
    want = [f.id for f in mem.items("synthetic", q).features]
    got = pg.items("synthetic", q)
    assert [f.id for f in got.features] == want and got.matched == len(want)


def test_every_criterion_together_and_paging(pair):
    mem, pg = pair
    ast = cql.parse_filter("score < 70", None)
    q = dict(bbox=(120.1, 36.0, 120.6, 36.4), equals={"rank": 4}, filter=ast,
             near=shapely.Point(120.35, 36.2), near_m=20_000.0, near_id="pt-4")
    for offset in (0, 5, 40):
        a = mem.items("synthetic", ItemsQuery(offset=offset, limit=7, **q))
        b = pg.items("synthetic", ItemsQuery(offset=offset, limit=7, **q))
        assert a.matched == b.matched > 10
        assert [f.id for f in a.features] == [f.id for f in b.features]
        np.testing.assert_allclose(b.distances_km, a.distances_km, rtol=1e-3)


def test_values_are_bound_parameters_never_sql(pair):
    mem, pg = pair
    evil = "alpha'; DROP TABLE corridor_features; --"
    ast = cql.parse_filter(json.dumps({"op": "=", "args": [{"property": "label"}, evil]}), "cql2-json")
    assert pg.items("synthetic", ItemsQuery(filter=ast)).matched == 0
    assert pg.items("synthetic", ItemsQuery(equals={"label": evil})).matched == 0
    assert pg.items("synthetic", ItemsQuery(q=evil)).matched == 0
    assert pg.items("synthetic", ItemsQuery()).matched == mem.collection("synthetic").count


def test_an_unevaluable_filter_is_invalid_parameter(pair):
    _, pg = pair
    ast = cql.parse_filter("S_INTERSECTS(geometry, POLYGON((120 36, 121 37, 121 36, 120 37, 120 36)))", None)
    try:
        pg.items("zones", ItemsQuery(filter=ast))
    except InvalidParameter as exc:
        assert "filter" in str(exc)


def test_the_schema_densifies_as_the_memory_engine_does():
    from corridor.geodesic import DENSIFY_DEG
    from corridor.store.pgschema import MIGRATIONS

    assert f"ST_Segmentize(geom, {DENSIFY_DEG})" in MIGRATIONS[0][2]


def test_a_second_instance_sees_a_reload_on_its_next_refresh(pg_url):
    """Two stores on one database (two replicas): a write through the database moves the
    version the other reads on its next refresh, and only then."""
    from corridor.store.postgis import PostgisStore

    first = synthetic_store({"synthetic": [{"id": "a", "geometry": shapely.Point(120.3, 36.1)}]})
    second = synthetic_store({"synthetic": [{"id": "a", "geometry": shapely.Point(120.3, 36.1)},
                                            {"id": "b", "geometry": shapely.Point(120.4, 36.1)}]})
    load_into(pg_url, first)
    replica = PostgisStore(pg_url)
    try:
        replica.refresh()
        before = replica.version
        assert replica.collection("synthetic").count == 1
        load_into(pg_url, second)
        assert replica.version == before  # nothing is read between requests
        replica.refresh()
        assert replica.version != before and replica.collection("synthetic").count == 2
        version = replica.version
        replica.refresh()
        assert replica.version == version  # no write, no change
    finally:
        replica.close()


def test_a_database_without_the_schema_says_what_to_run(pg_cluster):
    from corridor.store.postgis import PostgisStore

    store = PostgisStore(pg_cluster.new_database())
    try:
        with pytest.raises(Unavailable, match="corridor db init"):
            store.refresh()
    finally:
        store.close()


def _tile_box(z: int, x: int, y: int, buffer_units: float = 128) -> tuple[float, ...]:
    """The lon/lat box of a WebMercatorQuad tile grown by ``buffer_units`` of 4096."""
    from pyproj import Transformer

    half = 20037508.342789244
    size = 2 * half / 2**z
    pad = size * buffer_units / 4096
    minx, maxy = -half + x * size - pad, half - y * size + pad
    t = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    lon0, lat0 = t.transform(minx, maxy - size - 2 * pad)
    lon1, lat1 = t.transform(minx + size + 2 * pad, maxy)
    return lon0, lat0, lon1, lat1


@pytest.mark.parametrize(("z", "x", "y"), [(14, 13669, 6422), (12, 3417, 1605), (11, 1707, 803),
                                           (9, 427, 200), (9, 427, 190)])
def test_tiles_from_st_asmvt_hold_what_the_tile_covers(pair, z, x, y):
    """Sparse tiles hold every feature in the buffered tile; dense point tiles (over 1,000
    points) keep the first of each 128-unit cell, and the counts ``n`` add up."""
    import mapbox_vector_tile

    mem, pg = pair
    for cid in ("synthetic", "zones"):
        box = shapely.box(*_tile_box(z, x, y))
        inside = [f for f in mem.features(cid) if shapely.intersects(f.geometry, box)]
        data = pg.tile(cid, z, x, y).data
        if not inside:
            assert data == b"" and (cid == "zones" or (z, y) == (9, 190))
            continue
        layer = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})[cid]
        assert layer["extent"] == 4096
        props = [f["properties"] for f in layer["features"]]
        by_id = {f.id: f for f in inside}
        assert all(p["id"] in by_id and p.get("name_en") == (by_id[p["id"]].get("name_en") or None)
                   for p in props)
        if cid == "synthetic" and len(inside) > 1000:
            assert 0 < len(props) < len(inside) and sum(p["n"] for p in props) == len(inside)
        else:
            assert sorted(p["id"] for p in props) == sorted(by_id) and all("n" not in p for p in props)


@pytest.mark.parametrize(("z", "x", "y"), [(14, 13669, 6422), (12, 3417, 1605), (11, 1707, 803),
                                           (9, 427, 200)])
def test_st_asmvt_tiles_match_the_python_encoder(pair, z, x, y):
    """The database's tiles and corridor.tiles' (over the in-memory store) hold the same
    features with the same properties, and points at the same tile units; a dense tile
    keeps the same point of each cell."""
    import mapbox_vector_tile

    from corridor.tiles import TileIndex, render_tile

    mem, pg = pair
    for cid in ("synthetic", "zones"):
        want, got = render_tile(mem, cid, TileIndex(z, x, y)).data, pg.tile(cid, z, x, y).data
        assert (want == b"") == (got == b"")
        if not want:
            continue
        opts = {"y_coord_down": True}
        a = {f["properties"]["id"]: f for f in mapbox_vector_tile.decode(want, default_options=opts)[cid]["features"]}
        b = {f["properties"]["id"]: f for f in mapbox_vector_tile.decode(got, default_options=opts)[cid]["features"]}
        assert set(a) == set(b)
        for fid, fa in a.items():
            assert fa["properties"] == b[fid]["properties"]
            if fa["geometry"]["type"] == "Point":
                xa, ya = fa["geometry"]["coordinates"]
                xb, yb = b[fid]["geometry"]["coordinates"]
                assert abs(xa - xb) <= 1 and abs(ya - yb) <= 1


@pytest.mark.parametrize(("z", "x", "y", "error", "words"), [
    (25, 0, 0, NotFound, "tileMatrix 25 is not in WebMercatorQuad; expected 0 to 24"),
    (3, 8, 0, NotFound, "tileCol 8 is outside tile matrix 3; expected 0 to 7"),
    (3, 0, -1, NotFound, "tileRow -1 is negative"),
    (3, "x", 0, InvalidParameter, "tileCol 'x' is not a whole number"),
])
def test_both_engines_refuse_a_tile_outside_the_matrix_set_alike(pair, z, x, y, error, words):
    """The database is never asked for a tile WebMercatorQuad does not have."""
    for store in pair:
        with pytest.raises(error, match=re.escape(words)):
            store.tile("synthetic", z, x, y)


def test_a_store_dropped_without_close_closes_its_pool(pg_url, monkeypatch):
    """A store (or app) garbage collected unclosed closes its pool: the pool's threads end
    and its connections leave the server. The collector may run in any thread, even one of
    the pool's own workers, where psycopg-pool's own finaliser cannot stop the pool (it
    deadlocks or fails joining its own thread). Here the workers are still connecting when
    the store is dropped and the collector is made eager, so the collection runs in one of
    them."""
    import gc
    import threading
    import time

    import psycopg

    from corridor.store import pgpool
    from corridor.store.postgis import PostgisStore

    def connections() -> int:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            return conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = 'corridor'").fetchone()[0]

    configure = pgpool._configure

    def slow_configure(conn):
        time.sleep(0.3)  # in a pool worker, while the store is dropped
        configure(conn)

    monkeypatch.setattr(pgpool, "_configure", slow_configure)
    before = set(threading.enumerate())
    store = PostgisStore(pg_url, pool_size=3)
    store.db.pool()
    pool_threads = set(threading.enumerate()) - before
    assert pool_threads
    store.db.loop = store.db  # a reference cycle: only the cyclic collector frees it
    del store
    thresholds = gc.get_threshold()
    gc.set_threshold(1)
    try:
        time.sleep(1.0)
    finally:
        gc.set_threshold(*thresholds)
    gc.collect()
    deadline = time.monotonic() + 5
    while (connections() or any(t.is_alive() for t in pool_threads)) \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [t.name for t in pool_threads if t.is_alive()]
    assert connections() == 0
