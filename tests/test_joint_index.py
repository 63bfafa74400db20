"""The engine's joint index (corridor/store/engine/joint.py): one query for the catalog's
small collections answers exactly what each collection answers on its own, and the
batched edge distances (corridor.geodesic.EdgeSet) are the one-geometry distances."""

from __future__ import annotations

import random

import numpy as np
import pytest
import shapely

from corridor.geodesic import EdgeSet, points_to_geometry_m
from corridor.geoindex import probe
from corridor.store.engine import joint
from corridor.store.engine.snapshot import Snapshot


def _each_alone(store, cids, origin, meters):
    p = probe(origin)
    return {cid: store._snap(cid).within(p, meters) for cid in cids}


def test_the_joint_index_holds_the_small_catalog_collections_but_basemaps(store):
    members = store._joint.cids
    assert members == tuple(m.id for m in store.collections()
                            if not m.has_role("basemap") and 0 < m.count <= joint.JOINT_MAX_FEATURES
                            and store._snap(m.id).placed.size)
    assert "land" not in members and "districts" not in members
    assert {"parks", "universities", "bays", "corridor"} <= set(members)


@pytest.mark.parametrize("seed", range(3))
def test_one_joint_query_answers_what_each_collection_answers(store, seed):
    """Same features, same order, same distances to the last bit: over the whole catalog
    (basemaps asked alone beside the joint ones), from points on land, at sea, inside parks
    and far away, for radii from 100 m to 80 km."""
    rnd = random.Random(seed)
    cids = store.collection_ids()
    hits = 0
    for _ in range(150):
        origin = shapely.Point(119.5 + rnd.random() * 1.6, 35.4 + rnd.random() * 1.4)
        meters = rnd.choice([100.0, 2_000.0, 5_000.0, 20_000.0, 80_000.0])
        together = store.within_each(cids, origin, meters)
        assert list(together) == cids
        alone = _each_alone(store, cids, origin, meters)
        assert together == alone
        hits += sum(len(v) for v in together.values())
    assert hits > 500  # the questions found things


def test_the_joint_index_is_asked_once_instead_of_each_collection(store, monkeypatch):
    asked: list[str] = []
    real = Snapshot.within

    def counted(self, origin, meters):
        asked.append(self.meta.id)
        return real(self, origin, meters)

    monkeypatch.setattr(Snapshot, "within", counted)
    parks = store.features("parks")
    origin = shapely.Point(120.40, 36.10)
    found = store.within_each(["land", "parks", "universities"], origin, 5_000.0)
    assert asked == ["land"]  # parks and universities: one joint query
    assert found["parks"] == _each_alone(store, ["parks"], origin, 5_000.0)["parks"]
    asked.clear()
    store.within_each(["parks"], origin, 5_000.0)  # one collection: nothing to share
    assert asked == ["parks"]
    asked.clear()
    store.within_each(["parks", "universities"], parks[0].geometry, 5_000.0)  # an area origin
    assert asked == ["parks", "universities"]


def test_a_large_collection_stays_out(monkeypatch):
    from corridor.store import Engine

    monkeypatch.setattr(joint, "JOINT_MAX_FEATURES", 3)

    def points(cid, n):
        entry = {"id": cid, "group": "plan", "roles": ["near"], "geometry": "Point",
                 "title_zh": cid, "title_en": cid}
        feats = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.3 + i / 100, 36.1]},
                  "properties": {"id": f"{cid}-{i}", "name_zh": f"{cid}{i}", "name_en": f"{cid} {i}"}}
                 for i in range(n)]
        return entry, feats

    engine = Engine.from_features([points("few", 3), points("many", 4), points("some", 2)])
    assert engine._joint.cids == ("few", "some")
    origin = shapely.Point(120.31, 36.1)
    assert engine.within_each(["few", "many", "some"], origin, 3_000.0) == \
        _each_alone(engine, ["few", "many", "some"], origin, 3_000.0)


def test_batched_edge_distances_are_each_geometrys_own(store):
    """EdgeSet answers for many geometries at once exactly what points_to_geometry_m
    answers for each: polygons (from inside: 0), multipolygons, lines and points mixed."""
    geoms = np.array([f.geometry for cid in ("bays", "corridor", "parks", "zones")
                      for f in store.features(cid) if f.geometry is not None], dtype=object)
    geoms = np.append(geoms, [shapely.LineString([(120.2, 36.0), (120.3, 36.05), (120.35, 36.2)])])
    edges = EdgeSet.of(geoms)
    has_edges = np.flatnonzero(edges.count > 0)
    assert len(has_edges) == len(geoms) - int((shapely.get_type_id(geoms) == 0).sum())
    rnd = random.Random(5)
    inside = 0
    for _ in range(60):
        lon, lat = 120.0 + rnd.random() * 0.6, 35.9 + rnd.random() * 0.4
        p = probe(shapely.Point(lon, lat))
        assert p.xy is not None
        got = edges.distances_from_point(geoms, has_edges, lon, lat, *p.xy)
        want = [points_to_geometry_m(np.array([lon]), np.array([lat]), g)[0] for g in geoms[has_edges]]
        assert got.tolist() == pytest.approx(want, rel=0, abs=1e-6)
        inside += int((got == 0).sum())
    assert inside > 0
