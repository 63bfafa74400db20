"""User layers (corridor.store.layers): the editable index against brute force, the layer
store against the in-memory store on the same SYNTHETIC data, edits seen by other processes,
atomic replacement, and the GeoPackage file itself as GDAL reads it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from datafiles import synthetic_frame
from pyproj import Geod

from corridor import cql
from corridor.errors import Conflict, InvalidParameter, NotFound, ReadOnly
from corridor.model import ItemsQuery, NewLayer
from corridor.store import Engine
from corridor.store import gpkg as gpkg_file

GEOD = Geod(ellps="WGS84")


def geodesic_m(lon0, lat0, lon, lat):
    return GEOD.inv(np.full(len(lon), lon0), np.full(len(lat), lat0), lon, lat)[2]


# --- a user layer's index through edits (the one geodesic index, rebuilt per version) -------


def _points_layer(tmp_path, lon, lat):
    frame = gpd.GeoDataFrame({"id": [f"p{i}" for i in range(len(lon))]},
                             geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    store = Engine.user_layers(tmp_path / "l")
    store.put_layer(NewLayer("pts", frame, title_en="SYNTHETIC points"))
    return store


def _point(lon, lat):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
            "properties": {}}


def test_layer_answers_match_brute_force_through_edits(tmp_path):
    """SYNTHETIC points: after deletes and moves made through the store, within, nearest and
    box answers equal a brute-force geodesic computation over the edited points."""
    rng = np.random.default_rng(3)
    n = 5000
    lon, lat = rng.uniform(120.0, 120.7, n), rng.uniform(35.9, 36.5, n)
    store = _points_layer(tmp_path, lon, lat)
    alive = np.ones(n, dtype=bool)
    for s in rng.choice(n, 120, replace=False):  # delete 120, move 80
        store.delete("pts", f"p{s}")
        alive[s] = False
    for s in rng.choice(np.flatnonzero(alive), 80, replace=False):
        lon[s], lat[s] = rng.uniform(120.0, 120.7), rng.uniform(35.9, 36.5)
        store.replace("pts", f"p{s}", _point(lon[s], lat[s]))
    assert store.collection("pts").count == alive.sum()
    ids = np.array([f"p{i}" for i in range(n)])
    for lon0, lat0, r in ((120.38, 36.07, 3000.0), (120.1, 36.4, 12000.0), (121.5, 37.0, 1000.0)):
        d = geodesic_m(lon0, lat0, lon, lat)
        want = set(ids[alive & (d <= r)])
        got = store.within("pts", shapely.Point(lon0, lat0), r)
        assert {f.id for f, _ in got} == want
        assert np.allclose([x for _, x in got], [d[int(f.id[1:])] for f, _ in got], atol=1e-6)
        assert all(a[1] <= b[1] for a, b in zip(got, got[1:]))
        k = 9
        order = np.flatnonzero(alive)[np.argsort(d[alive], kind="stable")[:k]]
        near = store.nearest("pts", shapely.Point(lon0, lat0), k)
        assert sorted(f.id for f, _ in near) == sorted(ids[order])
    box = (120.3, 36.0, 120.45, 36.2)
    inside = set(ids[alive & (lon >= box[0]) & (lon <= box[2]) & (lat >= box[1]) & (lat <= box[3])])
    page = store.items("pts", ItemsQuery(bbox=box, limit=n))
    assert page.matched == len(inside) and {f.id for f in page.features} == inside


def test_layer_of_polygons_and_points_mixed(tmp_path):
    square = shapely.box(120.30, 36.10, 120.32, 36.12)
    frame = gpd.GeoDataFrame({"id": ["sq", "pt"]}, geometry=[square, shapely.Point(120.5, 36.3)],
                             crs="EPSG:4326")
    store = Engine.user_layers(tmp_path / "l")
    store.put_layer(NewLayer("mixed", frame))
    got = store.within("mixed", shapely.Point(120.31, 36.11), 10.0)  # inside the square
    assert [f.id for f, _ in got] == ["sq"] and got[0][1] == 0.0
    # 1 km east of the square's east edge: geodesic distance to the edge, about 1000 m
    lon1 = 120.32 + 1000.0 / (111_320 * np.cos(np.radians(36.11)))
    got = store.within("mixed", shapely.Point(lon1, 36.11), 1100.0)
    assert [f.id for f, _ in got] == ["sq"] and 990 < got[0][1] < 1010
    box = shapely.box(120.31, 36.11, 120.6, 36.4)
    assert [f.id for f in store.intersecting("mixed", box)] == ["sq", "pt"]
    assert [f.id for f in store.intersecting("mixed", box, areal_only=True)] == ["sq"]
    store.delete("mixed", "sq")
    assert [f.id for f in store.intersecting("mixed", box)] == ["pt"]


# --- the layer store ------------------------------------------------------------------------


FIRMS = 3000


@pytest.fixture()
def gpkg_layers(tmp_path):
    store = Engine.user_layers(tmp_path / "layers")
    store.put_layer(NewLayer("firms", synthetic_frame(FIRMS), title_en="SYNTHETIC firms"))
    return store


@pytest.fixture()
def layers(request, store_kind, tmp_path):
    """The SYNTHETIC firms layer in the in-process engine, and in a PostGIS store."""
    if store_kind == "embedded":
        return request.getfixturevalue("gpkg_layers")
    from conftest import postgis_with

    from corridor.store.postgis import PostgisStore

    store = PostgisStore(postgis_with(request, layers=[
        NewLayer("firms", synthetic_frame(FIRMS), title_en="SYNTHETIC firms")]))
    request.addfinalizer(store.close)
    return store


def memory_twin(frame: gpd.GeoDataFrame) -> Engine:
    """The same SYNTHETIC features in the bundled data's store, as the reference."""
    feats = []
    for row, geom in zip(frame.drop(columns="geometry").to_dict("records"), frame.geometry):
        props = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()
                 if not (isinstance(v, float) and np.isnan(v))}
        feats.append({"type": "Feature", "id": props["id"], "geometry": shapely.geometry.mapping(geom),
                      "properties": props})
    return Engine.from_features([({"id": "firms", "geometry": ["Point"]}, feats)])


QUERIES = [
    ItemsQuery(limit=20),
    ItemsQuery(limit=50, offset=40, bbox=(120.2, 36.0, 120.5, 36.3)),
    ItemsQuery(limit=30, near=shapely.Point(120.38, 36.07), near_m=6000.0),
    ItemsQuery(limit=30, equals={"kind": "chip"}, bbox=(120.0, 35.9, 120.4, 36.2)),
    ItemsQuery(limit=30, equals={"listed": True}, near=shapely.Point(120.2, 36.3), near_m=9000.0),
    ItemsQuery(limit=25, q="firm 12"),
]


@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
def test_layer_store_answers_as_the_memory_store(layers, query):
    twin = memory_twin(synthetic_frame(3000))
    got, want = layers.items("firms", query), twin.items("firms", query)
    assert got.matched == want.matched > 0
    assert [f.id for f in got.features] == [f.id for f in want.features]
    assert [dict(f.properties) for f in got.features] == [dict(f.properties) for f in want.features]
    if want.distances_km is not None:
        assert np.allclose(got.distances_km, want.distances_km, atol=1e-9)


def test_layer_cql_and_queryables(layers):
    twin = memory_twin(synthetic_frame(3000))
    expr = cql.parse_filter("staff > 250 AND kind = 'marine' AND score IS NOT NULL", None)
    cql.check_filter(expr, layers.queryables("firms"))
    q = ItemsQuery(limit=1000, filter=expr)
    got, want = layers.items("firms", q), twin.items("firms", q)
    assert got.matched == want.matched > 50
    assert [f.id for f in got.features] == [f.id for f in want.features]
    assert layers.queryables("firms")["staff"]["type"] == "integer"
    assert layers.queryables("firms")["listed"]["type"] == "boolean"


def test_edits_update_index_version_and_file(layers, tmp_path):
    before = layers.collection("firms").version
    new = layers.create("firms", {"type": "Feature", "id": "added",
                                  "geometry": {"type": "Point", "coordinates": [120.38, 36.07]},
                                  "properties": {"kind": "chip", "staff": 7, "listed": True}})
    assert new.properties == {"id": "added", "kind": "chip", "staff": 7, "listed": True}
    after = layers.collection("firms").version
    assert after != before and layers.collection("firms").count == 3001
    assert layers.nearest("firms", shapely.Point(120.38, 36.07), 1)[0][0].id == "added"
    layers.replace("firms", "added", {"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.6, 36.4]},
                                      "properties": {"kind": "bio"}})
    moved = layers.get("firms", "added")
    assert moved.properties == {"id": "added", "kind": "bio"}  # a replace is whole
    assert layers.within("firms", shapely.Point(120.6, 36.4), 1.0)[0][0].id == "added"
    assert all(f.id != "added" for f, _ in layers.within("firms", shapely.Point(120.38, 36.07), 5.0))
    layers.delete("firms", "syn-0")
    with pytest.raises(NotFound):
        layers.get("firms", "syn-0")
    if not isinstance(layers, Engine):
        return
    # GDAL reads the edited file, and the file's own R-tree agrees with its rows
    path = tmp_path / "layers" / "firms.gpkg"
    frame = pyogrio.read_dataframe(path, layer="features")
    assert len(frame) == 3000 and "syn-0" not in set(frame["id"])
    row = frame[frame["id"] == "added"].iloc[0]
    assert (row.geometry.x, row.geometry.y) == (120.6, 36.4) and row["kind"] == "bio"
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM rtree_features_geom").fetchone()[0] == 3000
    minx, miny = conn.execute("SELECT minx, miny FROM rtree_features_geom r JOIN features f ON r.id = f.fid "
                              "WHERE f.id = 'added'").fetchone()
    assert abs(minx - 120.6) < 1e-4 and abs(miny - 36.4) < 1e-4


def test_bad_edits_are_refused_with_reasons(layers):
    point = {"type": "Point", "coordinates": [120.4, 36.1]}
    with pytest.raises(Conflict, match="exists"):
        layers.create("firms", {"type": "Feature", "id": "syn-1", "geometry": point, "properties": {}})
    with pytest.raises(InvalidParameter, match="'bogus' is not in collection 'firms'"):
        layers.create("firms", {"type": "Feature", "geometry": point, "properties": {"bogus": 1}})
    with pytest.raises(InvalidParameter, match=r"'staff' = 'many'; expected an integer"):
        layers.create("firms", {"type": "Feature", "geometry": point, "properties": {"staff": "many"}})
    with pytest.raises(InvalidParameter, match="geometry type Polygon does not fit"):
        layers.create("firms", {"type": "Feature", "geometry": shapely.geometry.mapping(shapely.box(120, 36, 120.1, 36.1)),
                                "properties": {}})
    with pytest.raises(InvalidParameter, match="differs from the URL"):
        layers.replace("firms", "syn-1", {"type": "Feature", "id": "syn-2", "geometry": point})
    with pytest.raises(NotFound):
        layers.delete("firms", "no-such")
    assert layers.collection("firms").count == 3000  # nothing half-done


def test_other_processes_see_edits_and_replacements(gpkg_layers, tmp_path):
    layers = gpkg_layers
    root = tmp_path / "layers"
    other = Engine.user_layers(root)
    version = other.collection("firms").version
    code = textwrap.dedent(f"""
        from corridor.store import Engine
        s = Engine.user_layers({str(root)!r})
        s.create("firms", {{"type": "Feature", "id": "from-child",
                            "geometry": {{"type": "Point", "coordinates": [120.41, 36.11]}},
                            "properties": {{"kind": "marine"}}}})
        s.delete("firms", "syn-5")
    """)
    subprocess.run([sys.executable, "-c", code], check=True, cwd=os.getcwd())
    other.refresh()
    assert other.get("firms", "from-child").properties["kind"] == "marine"
    assert other.collection("firms").version != version
    assert other.nearest("firms", shapely.Point(120.41, 36.11), 1)[0][0].id == "from-child"
    with pytest.raises(NotFound):
        other.get("firms", "syn-5")
    # a new import replaces the file; the other store switches to it whole
    layers.put_layer(NewLayer("firms", synthetic_frame(10, seed=99)))
    other.refresh()
    assert other.collection("firms").count == 10
    layers.drop_layer("firms")
    other.refresh()
    assert other.collections() == []


def test_a_failed_import_leaves_the_previous_layer(gpkg_layers, tmp_path, monkeypatch):
    layers = gpkg_layers
    root = tmp_path / "layers"
    version = layers.collection("firms").version

    def broken(path, frame, meta):
        path.write_bytes(b"half a file")
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(gpkg_file, "write", broken)
    with pytest.raises(OSError, match="disk full"):
        layers.put_layer(NewLayer("firms", synthetic_frame(5)))
    assert sorted(p.name for p in root.iterdir() if p.name != ".lock") == ["firms.gpkg"]
    reader = Engine.user_layers(root)
    assert reader.collection("firms").count == 3000 and reader.collection("firms").version == version


def test_the_engine_keeps_the_catalog_read_only(tmp_path):
    from conftest import MINI_GEODATA

    both = Engine.open(MINI_GEODATA, tmp_path / "l")
    cid = both.collection_ids()[0]
    point = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.4, 36.1]}}
    # one rule, one error, for every write
    for write in (lambda: both.create(cid, point), lambda: both.replace(cid, "x", point),
                  lambda: both.delete(cid, "x"), lambda: both.drop_layer(cid),
                  lambda: both.put_layer(NewLayer(cid, synthetic_frame(3)))):
        with pytest.raises(ReadOnly, match=f"collection '{cid}' is part of the bundled catalog and read-only"):
            write()
    with pytest.raises(InvalidParameter, match="layer id 'Bad Name' is not valid"):
        both.put_layer(NewLayer("Bad Name", synthetic_frame(3)))
    v0 = both.version
    both.put_layer(NewLayer("firms", synthetic_frame(3)))
    assert both.version != v0
    assert both.collection_ids()[-1] == "firms" and both.collection("firms").editable
    assert not both.collection(cid).editable


def test_a_lazy_store_writes_without_loading(tmp_path):
    root = tmp_path / "layers"
    Engine.user_layers(root).put_layer(NewLayer("old", synthetic_frame(50)))
    lazy = Engine.user_layers(root, lazy=True)
    assert lazy._layers._layers == {}  # nothing loaded to list the files
    meta = lazy.put_layer(NewLayer("firms", synthetic_frame(120), title_en="SYNTHETIC"))
    assert lazy._layers._layers == {}
    assert (meta.count, meta.geometry_types, meta.editable) == (120, ("Point",), True)
    reader = Engine.user_layers(root)
    assert reader.collection("firms").version == meta.version
    assert reader.collection("firms").extent == pytest.approx(meta.extent)
    assert [m.id for m in lazy.collections()] == ["firms", "old"]  # loaded when read
    assert lazy.get("old", "syn-3").properties["id"] == "syn-3"


def test_threads_read_while_others_edit_and_import(layers, tmp_path):
    import threading

    errors: list[BaseException] = []
    stop = threading.Event()

    def reader():
        try:
            while not stop.is_set():
                page = layers.items("firms", ItemsQuery(limit=5, near=shapely.Point(120.38, 36.07), near_m=3000.0))
                assert page.matched >= 0 and len(page.features) <= 5
                layers.items("firms", ItemsQuery(limit=5, bbox=(120.3, 36.0, 120.5, 36.2)))
                layers.refresh()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for i in range(40):
            layers.create("firms", {"type": "Feature", "id": f"t{i}", "properties": {},
                                    "geometry": {"type": "Point", "coordinates": [120.38, 36.07]}})
        for i in range(0, 40, 2):
            layers.delete("firms", f"t{i}")
        layers.put_layer(NewLayer("other", synthetic_frame(2000, seed=1)))
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors
    assert layers.collection("firms").count == 3020
    assert layers.collection("other").count == 2000
    if isinstance(layers, Engine):  # the files say the same to a new reader
        assert Engine.user_layers(tmp_path / "layers").collection("firms").count == 3020


def test_equality_on_a_column_with_gaps(tmp_path):
    """A boolean (or any) column with missing values is still a queryable of the layer, and
    equality on it finds exactly the rows holding that value (brute force on the frame)."""
    frame = synthetic_frame(400, seed=4)
    frame["listed"] = frame["listed"].astype("boolean")  # pandas nullable: missing stays missing
    frame.loc[::3, "listed"] = pd.NA  # gaps
    store = Engine.user_layers(tmp_path / "l")
    store.put_layer(NewLayer("firms", frame))
    assert store.queryables("firms")["listed"]["type"] == "boolean"
    want = sorted(frame.loc[frame["listed"].eq(True), "id"])
    got = store.items("firms", ItemsQuery(limit=1000, equals={"listed": True}))
    assert sorted(f.id for f in got.features) == want and got.matched == len(want) > 0
