"""The PostGIS store's cell pyramid (corridor/store/pgcells.py, pgcircle.py, pgcelledit.py)
on SYNTHETIC points: the kept point and counts of every cell at every zoom against the
thinning rule computed independently, circle covers against exact geodesics, and, on a real
database, edits that keep the stored pyramid equal to a fresh computation, dense tiles equal
to the Python encoder's after edits, near counts equal to brute-force geodesics, and the
upgrade of a database without the pyramid (migration 2)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer

from corridor.model import ItemsQuery, NewLayer
from corridor.store import pgcells, pgcircle

GEOD = Geod(ellps="WGS84")
HALF = math.pi * 6378137.0
TO_MERCATOR = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)


def clustered(n: int, seed: int) -> np.ndarray:
    """``n`` SYNTHETIC lon/lat points in tight clusters around Qingdao (spreads from
    centimetres to kilometres), every 17th a copy of another: cells at every zoom hold
    several points, and some share even their zoom-24 cell."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform([120.2, 36.0], [120.5, 36.3], (5, 2))
    spread = rng.choice([1e-7, 1e-5, 1e-3, 1e-2], (n, 1))
    pts = centres[rng.integers(0, 5, n)] + rng.normal(0, 1, (n, 2)) * spread
    pts[::17] = pts[rng.integers(0, n, len(pts[::17]))]
    return pts


def mercator_cells(pts: np.ndarray, level: int) -> list[tuple[int, int]]:
    """Web Mercator grid cells of ``level`` (an independent derivation, through pyproj)."""
    x, y = TO_MERCATOR.transform(pts[:, 0], pts[:, 1])
    side = 2**level
    cx = np.floor((np.asarray(x) + HALF) / (2 * HALF) * side).astype(int)
    cy = np.floor((HALF - np.asarray(y)) / (2 * HALF) * side).astype(int)
    return list(zip(cx.tolist(), cy.tolist()))


def test_each_cell_keeps_its_first_point_and_counts_its_points_at_every_zoom():
    pts = clustered(3000, seed=3)
    pos = np.random.default_rng(3).permutation(10_000)[:3000]  # data order with gaps
    pyr = pgcells.pyramid(pos, pts[:, 0], pts[:, 1])
    assert all(k is not None for k in pyr.mkey)
    for z in range(pgcells.MAX_ZOOM + 1):
        cells: dict[tuple[int, int], list[int]] = {}
        for i, cell in enumerate(mercator_cells(pts, z + 5)):
            cells.setdefault(cell, []).append(i)
        for members in cells.values():
            first = min(members, key=lambda i: pos[i])
            kept = [i for i in members if pyr.kz[i] is not None and pyr.kz[i] <= z]
            assert kept == [first]
            kn, kz = pyr.kn[first] or [], pyr.kz[first]
            assert (kn[z - kz] if z - kz < len(kn) else 1) == len(members)


def test_points_outside_the_mercator_world_and_other_geometries_have_no_cell():
    geoms = [shapely.Point(120, 36), shapely.Point(120, 86), shapely.Point(10, -89.9),
             shapely.box(120, 36, 120.1, 36.1), None, shapely.Point()]
    pyr = pgcells.pyramid(range(len(geoms)), *pgcells.point_lonlat(geoms))
    assert [k is not None for k in pyr.mkey] == [True, False, False, False, False, False]
    assert pyr.kz == [0, None, None, None, None, None]


@pytest.mark.parametrize(("z", "x", "y"), [(11, 1708, 803), (14, 13669, 6422), (1, 0, 1), (3, 7, 0)])
def test_tile_ranges_hold_the_cells_of_the_tile_and_its_buffer(z, x, y):
    rng = np.random.default_rng(z)
    size = 360 / 2**z
    lon = rng.uniform(-180 + (x - 0.2) * size, -180 + (x + 1.2) * size, 5000).clip(-179.999, 179.999)
    lat_top = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y - 0.2) / 2**z))))
    lat_bottom = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 1.2) / 2**z))))
    lat = rng.uniform(max(lat_bottom, -85), min(lat_top, 85), 5000)
    keys, ok = pgcells.cell_keys(lon, lat)
    lo, hi = pgcells.tile_ranges(z, x, y)
    inside = [any(a <= k <= b for a, b in zip(lo, hi)) for k in keys.tolist()]
    cells = mercator_cells(np.column_stack([lon, lat]), z + 5)
    want = [32 * x - 1 <= cx <= 32 * x + 32 and 32 * y - 1 <= cy <= 32 * y + 32 for cx, cy in cells]
    assert ok.all() and inside == want and any(want) and not all(want)


@pytest.mark.parametrize(("lon", "lat", "km", "spacing"), [
    (120.33235, 36.064652, 5.0, 180.0), (120.4, 36.2, 0.3, 20.0), (120.1, 36.0, 40.0, 900.0),
    (-70.0, -50.0, 300.0, 5000.0), (10.0, 80.0, 120.0, 3000.0), (120.0, 36.0, 2.0, 1e6)])
def test_a_circle_cover_puts_every_point_within_inside_or_on_the_boundary(lon, lat, km, spacing):
    """Points in an inside cell are within the circle, points in no cell are not (exact
    geodesics), and the boundary is a thin ring."""
    meters = km * 1000
    cover = pgcircle.circle_cover(lon, lat, meters, spacing)
    assert cover is not None and cover.boundary_lo
    rng = np.random.default_rng(int(km))
    dlat = meters / 110_000 * 1.3
    dlon = dlat / math.cos(math.radians(abs(lat) + dlat))
    plon = rng.uniform(lon - dlon, lon + dlon, 40_000)
    plat = rng.uniform(lat - dlat, lat + dlat, 40_000)
    keys, _ = pgcells.cell_keys(plon, plat)
    _, _, d = GEOD.inv(np.full(plon.shape, lon), np.full(plat.shape, lat), plon, plat)
    ilo, ihi = np.array(cover.inside_lo), np.array(cover.inside_hi)
    blo, bhi = np.array(cover.boundary_lo), np.array(cover.boundary_hi)
    inside = ((keys[:, None] >= ilo) & (keys[:, None] <= ihi)).any(axis=1)
    boundary = ((keys[:, None] >= blo) & (keys[:, None] <= bhi)).any(axis=1)
    assert not (inside & boundary).any()
    assert (d[inside] < meters).all() and (d[~inside & ~boundary] > meters).all()
    if spacing < meters / 4:  # else the circle is a few cells, all on its boundary
        assert inside.sum() > 0 and boundary.sum() < 0.3 * (d <= meters).sum()


def test_a_circle_cells_cannot_describe_is_left_to_the_rows():
    assert pgcircle.circle_cover(179.99, 10.0, 5000, 100) is None  # across the antimeridian
    assert pgcircle.circle_cover(0.0, 85.0, 50_000, 100) is None  # past the Mercator world


# --- on a real database -------------------------------------------------------------------


def _frame(pts: np.ndarray) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": [f"p{i}" for i in range(len(pts))],
                             "name_en": [f"SYNTHETIC point {i}" for i in range(len(pts))]},
                            geometry=shapely.points(pts), crs="EPSG:4326")


def _stored(pg, cid: str) -> tuple[list, pgcells.Pyramid]:
    """The stored cell columns of ``cid`` in data order, and those computed afresh."""
    rows = pg.db.run(lambda c: c.execute(
        "SELECT pos, ST_X(geom), ST_Y(geom), mkey, kz, kn FROM corridor_features "
        "WHERE collection = %s ORDER BY pos", (cid,)).fetchall())
    fresh = pgcells.pyramid([r[0] for r in rows], np.array([r[1] for r in rows], dtype=float),
                            np.array([r[2] for r in rows], dtype=float))
    return [tuple(r[3:]) for r in rows], fresh


def _point(fid: str, lon: float, lat: float) -> dict:
    return {"type": "Feature", "id": fid, "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"name_en": f"SYNTHETIC {fid}"}}


@pytest.mark.postgis
@pytest.mark.parametrize("seed", [1, 2])
def test_edits_keep_the_stored_pyramid_equal_to_a_fresh_one(pg_url, seed):
    """Creates, deletes and moves (often onto another point, or a few centimetres from
    one) leave every point's cell columns as computing them from scratch gives."""
    from corridor.store.postgis import PostgisStore

    pts = clustered(300, seed)
    rng = np.random.default_rng(seed)
    pg = PostgisStore(pg_url)
    try:
        pg.put_layer(NewLayer("pts", _frame(pts)))
        ids, made = [f"p{i}" for i in range(len(pts))], len(pts)
        for step in range(90):
            op = ["create", "delete", "replace"][step % 3] if step % 7 else "delete"
            near = pts[rng.integers(0, len(pts))] + rng.normal(0, 1, 2) * rng.choice([0, 1e-7, 1e-3])
            if op == "create":
                fid, made = f"p{made}", made + 1
                pg.create("pts", _point(fid, *near))
                ids.append(fid)
            elif op == "delete":
                pg.delete("pts", ids.pop(int(rng.integers(0, len(ids)))))
            else:
                fid = ids[int(rng.integers(0, len(ids)))]
                pg.replace("pts", fid, _point(fid, *near))
            if step % 10 == 9:
                stored, fresh = _stored(pg, "pts")
                assert stored == list(zip(fresh.mkey, fresh.kz, fresh.kn)), f"after step {step}"
    finally:
        pg.close()


def _python_tile(store, cid: str, tile):
    """The tile as the in-process engine encodes it, from the features the store selects."""
    from corridor.model import ItemsQuery
    from corridor.tiles import encode_features, lonlat_box

    count = store.collection(cid).count
    page = store.items(cid, ItemsQuery(bbox=lonlat_box(tile), limit=max(count, 1)))
    return encode_features(cid, page.features, tile)


def _same_tile(pg, cid: str, z: int, x: int, y: int) -> int:
    """Assert the store's tile equals the Python encoder's (same features, properties,
    positions); returns how many features it holds."""
    import mapbox_vector_tile

    from corridor.tiles import TileIndex

    want = _python_tile(pg, cid, TileIndex(z, x, y)).data
    got = pg.tile(cid, z, x, y).data
    a, b = ({f["properties"]["id"]: f for f in mapbox_vector_tile.decode(data)[cid]["features"]}
            if data else {} for data in (want, got))
    assert set(a) == set(b)
    for fid, fa in a.items():
        assert fa["properties"] == b[fid]["properties"]
        assert np.abs(np.subtract(fa["geometry"]["coordinates"], b[fid]["geometry"]["coordinates"])).max() <= 1
    return len(b)


@pytest.mark.postgis
def test_dense_tiles_stay_equal_to_the_python_encoder_s_after_edits(pg_url):
    """A dense z13 tile (thinned: more than 1,000 points) and its neighbours: deleting the
    point a cell keeps hands the cell to its next point, a created point counts in its
    cell's n (and is kept where it is alone), and a tile that drops to 1,000 points is no
    longer thinned."""
    import mapbox_vector_tile

    from corridor.store.postgis import PostgisStore
    from corridor.tiles import _lonlat_box, tile_of

    rng = np.random.default_rng(5)
    t = tile_of(120.38, 36.07, 13)
    west, south, east, north = t.lonlat_bounds
    spots = rng.uniform([west, south], [east, north], (8, 2))
    pts = np.vstack([rng.uniform([west, south], [east, north], (1200, 2)),
                     spots[rng.integers(0, 8, 300)] + rng.normal(0, 2e-4, (300, 2))])
    pg = PostgisStore(pg_url)
    try:
        pg.put_layer(NewLayer("dense", _frame(pts)))
        tiles = [(t.z, t.x + dx, t.y + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)] + [(11, t.x // 4, t.y // 4)]
        for z, x, y in tiles:
            _same_tile(pg, "dense", z, x, y)
        layer = mapbox_vector_tile.decode(pg.tile("dense", t.z, t.x, t.y).data)["dense"]["features"]
        assert all("n" in f["properties"] for f in layer)
        crowded = [f["properties"]["id"] for f in layer if f["properties"]["n"] > 3]
        for fid in crowded[:5]:
            pg.delete("dense", fid)
        for i in range(20):
            pg.create("dense", _point(f"new{i}", *(pts[i] + rng.normal(0, 1e-4, 2))))
        pg.replace("dense", "p7", _point("p7", 120.45, 36.1))
        for z, x, y in tiles:
            _same_tile(pg, "dense", z, x, y)
        inside = pg.items("dense", ItemsQuery(bbox=_lonlat_box(t.buffered_bounds()), limit=5000))
        for f in inside.features[: inside.matched - 1000]:
            pg.delete("dense", f.id)
        assert _same_tile(pg, "dense", t.z, t.x, t.y) == 1000
        layer = mapbox_vector_tile.decode(pg.tile("dense", t.z, t.x, t.y).data)["dense"]["features"]
        assert not any("n" in f["properties"] for f in layer)
    finally:
        pg.close()


@pytest.mark.postgis
def test_near_counts_equal_brute_force_geodesics(pg_url, monkeypatch):
    """The count of an items page near a point (from the pyramid: whole cells inside the
    circle, rows of the boundary cells) equals counting every point by its geodesic
    distance, for dense and sparse circles, points a few centimetres either side of the
    edge, an excluded origin feature, and after edits."""
    from corridor.store.postgis import PostgisStore

    origin = (120.33235, 36.064652)
    rng = np.random.default_rng(11)
    uniform = np.column_stack([rng.uniform(120.2, 120.5, 20_000), rng.uniform(35.95, 36.2, 20_000)])
    az = rng.uniform(0, 360, 600)
    dist = np.repeat([3000.0, 5000.0], 300) + rng.choice([-0.05, -0.01, 0.01, 0.05], 600)
    elon, elat, _ = GEOD.fwd(np.full(600, origin[0]), np.full(600, origin[1]), az, dist)
    pts = np.vstack([uniform, np.column_stack([elon, elat]), [origin]])
    covers = []
    monkeypatch.setattr(pgcircle, "circle_cover", lambda *a, _c=pgcircle.circle_cover: covers.append(1) or _c(*a))
    pg = PostgisStore(pg_url)
    try:
        pg.put_layer(NewLayer("pts", _frame(pts)))
        here = shapely.Point(origin)

        def check(meters: float, skip: str | None = None) -> int:
            lon, lat = np.array(pts[:, 0]), np.array(pts[:, 1])
            _, _, d = GEOD.inv(np.full(lon.shape, origin[0]), np.full(lat.shape, origin[1]), lon, lat)
            want = int((d <= meters).sum()) - (skip is not None)
            got = pg.items("pts", ItemsQuery(near=here, near_m=meters, near_id=skip, limit=3)).matched
            assert got == want, meters
            return got

        for meters in (3000.0, 5000.0, 150.0, 20_000.0):
            check(meters)
        assert check(5000.0, skip=f"p{len(pts) - 1}") > 1000
        assert len(covers) == 5
        pts = pts[1:]
        pg.delete("pts", "p0")
        pg.create("pts", _point("edge", *GEOD.fwd(origin[0], origin[1], 10.0, 4999.98)[:2]))
        pts = np.vstack([pts, GEOD.fwd(origin[0], origin[1], 10.0, 4999.98)[:2]])
        check(5000.0)
    finally:
        pg.close()


@pytest.mark.postgis
def test_a_database_without_the_pyramid_upgrades_to_it(pg_url):
    """A database at migration 1 holding a layer (the pyramid's columns and indexes and the
    road-graph tables taken away again) gets them from `corridor db init`'s migrations 2 and
    3, the cells computed for the stored points, and its dense tiles and near counts are
    right."""
    import psycopg

    from corridor.store.pgschema import LATEST, migrate
    from corridor.store.postgis import PostgisStore

    pts = clustered(1500, seed=9)
    pg = PostgisStore(pg_url)
    try:
        pg.put_layer(NewLayer("pts", _frame(pts)))
        before = _stored(pg, "pts")[0]
    finally:
        pg.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE corridor_features DROP COLUMN mkey, DROP COLUMN kz, DROP COLUMN kn")
        conn.execute("DROP TABLE corridor_net_built, corridor_net_nodes, corridor_net_edges")
        conn.execute("DELETE FROM corridor_migrations WHERE number > 1")
        assert migrate(conn) == [(2, "cell pyramid for dense tiles and counts within N km"),
                                 (3, "road graphs of the networks, for pgRouting")]
        assert LATEST == 3
    pg = PostgisStore(pg_url)
    try:
        stored, fresh = _stored(pg, "pts")
        assert stored == before == list(zip(fresh.mkey, fresh.kz, fresh.kn))
        from corridor.tiles import tile_of

        t = tile_of(float(pts[0, 0]), float(pts[0, 1]), 12)
        assert _same_tile(pg, "pts", t.z, t.x, t.y) > 0
        _, _, d = GEOD.inv(np.full(len(pts), pts[0, 0]), np.full(len(pts), pts[0, 1]), pts[:, 0], pts[:, 1])
        near = ItemsQuery(near=shapely.Point(pts[0]), near_m=2000.0, limit=1)
        assert pg.items("pts", near).matched == int((d <= 2000).sum())
    finally:
        pg.close()
