"""A SYNTHETIC OpenStreetMap extract, written by the test with pyosmium, imported by
``corridor import`` as a road network: highway ways only, their tags as columns, OSM speeds
and one-way streets in the reach. Every node, way and name is invented."""

from __future__ import annotations

import numpy as np
import osmium
import pytest
from osmium.osm.mutable import Node, Way

from corridor.store import Engine
from web.cli import main

#: SYNTHETIC node positions (on Laoshan's land), about 200 m apart.
NODES = {1: (120.4500, 36.1200), 2: (120.4522, 36.1200), 3: (120.4544, 36.1200),
         4: (120.4544, 36.1218), 5: (120.4600, 36.1250), 6: (120.4605, 36.1250),
         7: (120.4605, 36.1255), 8: (120.4500, 36.1218)}
WAYS = {
    101: ([1, 2, 3], {"highway": "primary", "oneway": "yes", "name": "SYNTHETIC 合成大道"}),
    102: ([3, 4], {"highway": "residential", "maxspeed": "20"}),
    103: ([5, 6, 7, 5], {"building": "yes"}),  # not a road: left out
    104: ([1, 8], {"highway": "footway"}),
}


def write_pbf(path) -> None:
    writer = osmium.SimpleWriter(str(path))
    try:
        for nid, (lon, lat) in NODES.items():
            writer.add_node(Node(id=nid, location=(lon, lat), version=1))
        for wid, (refs, tags) in WAYS.items():
            writer.add_way(Way(id=wid, nodes=refs, tags=tags, version=1))
    finally:
        writer.close()


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    root = tmp_path_factory.mktemp("osm")
    pbf = root / "synthetic.osm.pbf"
    write_pbf(pbf)
    layers = root / "layers"
    status = main(["import", str(pbf), "--layer", "osmroads", "--layers-dir", str(layers)])
    assert status == 0
    return Engine.user_layers(layers)


def test_the_extract_is_imported_as_a_road_network(imported):
    meta = imported.collection("osmroads")
    assert meta.network and meta.geometry_types == ("LineString",)
    feats = {f.id: f for f in imported.features("osmroads")}
    assert set(feats) == {"101", "102", "104"}  # the building is no road
    assert feats["101"].get("highway") == "primary" and feats["101"].get("oneway") == "yes"
    assert feats["101"].get("name") == "SYNTHETIC 合成大道"
    assert feats["102"].get("maxspeed") == "20" and feats["102"].get("name") is None
    assert len(feats["101"].geometry.coords) == 3
    assert "OpenStreetMap PBF" in imported.provenance("osmroads")["source"]


def _reached(reach) -> set[tuple[float, float]]:
    return {(round(x, 6), round(y, 6)) for x, y in reach.nodes.tolist()}


def test_cars_keep_to_the_one_way_primary_and_off_the_footway(imported):
    east = NODES[3]
    by_car = imported.reach("osmroads", east, 5.0, "drive")
    on_foot = imported.reach("osmroads", east, 10.0, "walk")
    assert NODES[4] in _reached(by_car) and NODES[1] not in _reached(by_car)
    assert {NODES[1], NODES[2], NODES[4], NODES[8]} <= _reached(on_foot)
    west = imported.reach("osmroads", NODES[1], 1.0, "drive")
    assert {NODES[2], NODES[3]} <= _reached(west) and NODES[8] not in _reached(west)
    # 60 km/h on the primary: its 2 segments (about 2 x 198 m) take about 24 s
    times = dict(zip(map(tuple, np.round(west.nodes, 6).tolist()), west.seconds.tolist()))
    assert times[NODES[3]] == pytest.approx(2 * 198 / (60 / 3.6), rel=0.02)


def test_a_file_that_is_not_pbf_is_refused_with_its_name(tmp_path, capsys):
    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes(b"not a protocol buffer")
    status = main(["import", str(bad), "--layer", "broken", "--layers-dir", str(tmp_path / "l")])
    assert status == 1
    assert "broken.osm.pbf" in capsys.readouterr().err
