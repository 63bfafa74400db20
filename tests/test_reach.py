"""``/api/reach`` on SYNTHETIC road networks (tests/reachnets.py: a grid with known speeds, a
one-way street, a footway and a disconnected island), held to an independent brute-force
Dijkstra written in the test helpers."""

from __future__ import annotations

import math

import pytest
import shapely
from conftest import MINI_GEODATA
from reachnets import (
    BUFFER_M,
    CORNER,
    WALK_KMH,
    grid_with_oneway_and_island,
    lonlat,
    node_point,
    points_frame,
)
from shapely.geometry import shape

from corridor.model import NewLayer
from corridor.roads import edge_speeds, maxspeed_kmh
from corridor.store import Engine

NET = grid_with_oneway_and_island()
#: SYNTHETIC features: near streets (inside when reached), and one far from every street.
POINTS = {"p-near-start": (40.0, 30.0), "p-mid": (310.0, 350.0), "p-east": (1490.0, 310.0),
          "p-far": (150.0, 5000.0), "p-island": (4550.0, 40.0)}
ORIGIN_XY = (CORNER[0] + 20.0, CORNER[1] + 15.0)  # 25 m off node g00
#: Cases chosen so that no node's brute-force time lies within 2 s of the limit (no ties).
CASES = [("walk", 9.0), ("walk", 25.0), ("cycle", 6.2), ("drive", 2.5), ("drive", 4.0),
         ("drive", 7.0)]


@pytest.fixture(scope="module")
def reach_app(tmp_path_factory):
    from web import create_app

    root = tmp_path_factory.mktemp("reach-layers")
    store = Engine.user_layers(root)
    store.put_layer(NewLayer("roads", NET.frame(), title_en="SYNTHETIC roads"))
    store.put_layer(NewLayer("spots", points_frame(POINTS), title_en="SYNTHETIC spots"))
    return create_app({"TESTING": True, "GEODATA_DIR": str(MINI_GEODATA), "LAYERS_DIR": str(root)})


@pytest.fixture()
def reach_client(reach_app):
    return reach_app.test_client()


def ask(client, **args):
    args.setdefault("of", "{:.9f},{:.9f}".format(*lonlat(*ORIGIN_XY)))
    return client.get("/api/reach", query_string=args)


@pytest.mark.parametrize(("mode", "minutes"), CASES)
def test_the_area_holds_what_brute_force_reaches_and_nothing_much_farther(reach_client, mode, minutes):
    """SYNTHETIC grid: every node reachable within M minutes is inside the area; no node
    needing more than M plus the walk-off buffer (walked) is; nodes_reached counts them."""
    limit = minutes * 60.0
    times, start, t0 = NET.brute(ORIGIN_XY, mode)
    assert start == "g00" and t0 == pytest.approx(25.0 / (WALK_KMH / 3.6))
    assert all(abs(t - limit) > 2.0 for t in times.values()), "a node sits on the limit"
    resp = ask(reach_client, mode=mode, minutes=minutes, network="roads")
    assert resp.status_code == 200, resp.get_json()
    doc = resp.get_json()
    area = shape(doc["geometry"])
    props = doc["properties"]
    assert props["minutes"] == minutes and props["mode"] == mode and props["network"] == "roads"
    assert props["walk_off_m"] == pytest.approx(25.0, abs=0.05)
    assert props["walk_off_buffer_m"] == BUFFER_M
    reached = {n for n, t in times.items() if t <= limit}
    assert props["nodes_reached"] == len(reached)
    slack = BUFFER_M / (WALK_KMH / 3.6)
    for name, t in times.items():
        inside = area.covers(node_point(NET, name))
        if t <= limit:
            assert inside, f"{name} reached in {t:.0f} s but outside the area"
        elif t > limit + slack:
            assert not inside, f"{name} needs {t:.0f} s > {limit + slack:.0f} s but is inside"
    assert not any(area.covers(node_point(NET, n)) for n in NET.nodes if n.startswith("island"))
    assert area.covers(shapely.Point(lonlat(*ORIGIN_XY)))


def test_drive_keeps_to_the_one_way_street_cycling_does_not(reach_client):
    """SYNTHETIC: row 2 is one-way eastbound. From its east end a car must go round the
    block to reach the node west of it (not within 2.4 minutes); a bicycle goes straight."""
    east = (CORNER[0] + 1500.0 + 5.0, CORNER[1] + 600.0)
    drive, _, _ = NET.brute(east, "drive")
    cycle, _, _ = NET.brute(east, "cycle")
    assert drive["g24"] > 144 + BUFFER_M / (WALK_KMH / 3.6) and cycle["g24"] < 144  # brute force
    of = "{:.9f},{:.9f}".format(*lonlat(*east))
    by_car = shape(ask(reach_client, of=of, mode="drive", minutes=2.4, network="roads")
                   .get_json()["geometry"])
    by_bike = shape(ask(reach_client, of=of, mode="cycle", minutes=2.4, network="roads")
                    .get_json()["geometry"])
    assert drive["g15"] < 144 and by_car.covers(node_point(NET, "g15"))
    assert not by_car.covers(node_point(NET, "g24"))
    assert by_bike.covers(node_point(NET, "g24"))


def test_features_inside_the_area_with_their_travel_times(reach_client):
    """SYNTHETIC spots: those listed and their travel times match the brute force (time over
    the reached network to the nearest metre, then walked, within the buffer)."""
    mode, minutes = "drive", 4.0
    resp = ask(reach_client, mode=mode, minutes=minutes, network="roads", collections="spots")
    doc = resp.get_json()
    listed = {f["id"]: f["properties"]["travel_min"] for f in doc["features"]}
    expected = {}
    for fid, (x, y) in POINTS.items():
        t = NET.time_to((CORNER[0] + x, CORNER[1] + y), ORIGIN_XY, mode, minutes * 60.0)
        if math.isfinite(t):
            expected[fid] = t / 60.0
    assert {"p-near-start", "p-mid"} <= set(expected) and "p-far" not in expected
    assert "p-island" not in expected
    assert set(listed) == set(expected)
    for fid, t in expected.items():
        assert listed[fid] == pytest.approx(t, abs=0.02), fid
    assert [f["properties"]["collection"] for f in doc["features"]] == ["spots"] * len(listed)
    assert list(listed.values()) == sorted(listed.values())


@pytest.mark.parametrize(("args", "named"), [
    ({"network": "nope"}, "'nope'"),
    ({"network": "spots"}, "'spots'"),
    ({"minutes": "0"}, "'0'"),
    ({"minutes": "-3"}, "'-3'"),
    ({"minutes": "181"}, "'181'"),
    ({"minutes": "soon"}, "'soon'"),
    ({"mode": "fly"}, "'fly'"),
    ({"of": "120.60,36.30"}, "120.600000,36.300000"),
    ({"collections": "nope"}, "'nope'"),
])
def test_bad_input_is_a_400_naming_the_value(reach_client, args, named):
    query = {"minutes": "5", "network": "roads", "mode": "walk", **args}
    resp = ask(reach_client, **query)
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["status"] == 400 and named in body["description"], body
    assert "expected" in body["description"]


def test_missing_network_and_minutes_say_what_is_expected(reach_client):
    for missing in ("network", "minutes"):
        query = {"minutes": "5", "network": "roads"}
        del query[missing]
        body = ask(reach_client, **query).get_json()
        assert body["status"] == 400 and f"{missing} is missing" in body["description"]


def test_the_parameters_are_in_the_openapi_document(reach_client):
    doc = reach_client.get("/api/openapi").get_json()
    op = doc["paths"]["/reach"]["get"]
    names = {p.get("name") or doc["components"]["parameters"][p["$ref"].rsplit("/", 1)[-1]]["name"]
             for p in op["parameters"]}
    assert {"of", "minutes", "network", "mode", "collections"} <= names


def test_the_network_is_declared_in_the_collection_metadata(reach_app):
    store = reach_app.extensions["corridor_store"]
    assert store.collection("roads").network and not store.collection("spots").network
    assert store.networks() == ["roads"]
    assert not any(m.network for m in store.collections() if not m.editable)


def test_osm_speed_rules():
    assert maxspeed_kmh("50") == 50 and maxspeed_kmh("30 mph") == pytest.approx(48.28, abs=0.01)
    assert maxspeed_kmh("signals") is None and maxspeed_kmh("CN:urban") is None
    speeds, direction = edge_speeds({"highway": "primary", "oneway": "yes"})
    assert speeds == {"walk": 5.0, "cycle": 15.0, "drive": 60.0} and direction == 1
    speeds, direction = edge_speeds({"highway": "motorway", "oneway": "-1", "maxspeed": "120"})
    assert speeds == {"walk": None, "cycle": None, "drive": 120.0} and direction == -1
    speeds, _ = edge_speeds({"highway": "footway"})
    assert speeds["drive"] is None and speeds["walk"] == 5.0
    speeds, direction = edge_speeds({"speed_kmh": 3.0, "oneway": "no"})
    assert speeds == {"walk": 3.0, "cycle": 3.0, "drive": 3.0} and direction == 0


def test_the_graph_cache_is_bounded_in_graphs_and_bytes(tmp_path, monkeypatch):
    """Six versions of a SYNTHETIC network keep at most GRAPHS_KEPT graphs within GRAPH_BYTES;
    a graph larger than the byte budget is built, answered from, and not kept."""
    from corridor.store.engine import engine as engine_module

    store = Engine.user_layers(tmp_path)
    frame = NET.frame()
    for i in range(6):
        store.put_layer(NewLayer(f"roads{i}", frame, title_en="SYNTHETIC roads"))
        graph = store.graph(f"roads{i}")
        assert graph.nbytes >= graph.xy.nbytes + graph.u.nbytes + graph.length.nbytes
    kept = store._graphs
    assert len(kept) == engine_module.GRAPHS_KEPT
    assert kept.currsize <= engine_module.GRAPH_BYTES
    assert [cid for cid, _ in kept] == [f"roads{i}" for i in range(2, 6)]  # the latest four

    monkeypatch.setattr(engine_module, "GRAPH_BYTES", graph.nbytes - 1)
    store.put_layer(NewLayer("big", frame, title_en="SYNTHETIC roads"))
    origin = tuple(float(c) for c in graph.lonlat[0])
    assert store.reach("big", origin, 5.0, "walk").nodes_reached >= 1
    assert not any(cid == "big" for cid, _ in store._graphs)
