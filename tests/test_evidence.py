"""Evidence: the accuracy rule, the checks of ``corridor validate``, the schema and build
errors, and the named cases of issue 9 on the real data. Expectations come from independent
references (geographiclib, the evidence's own numbers), never from the code under test."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from geographiclib.geodesic import Geodesic
from shapely.geometry import Point, box

from corridor import evidence as ev
from corridor.errors import DataError
from corridor.schema import validate_feature
from corridor.validate import check_evidence, check_park_districts
from tests.datafiles import synthetic_store

GEODATA = Path(__file__).resolve().parent.parent / "geodata"


def _e(**kw):
    base = {"title": "t", "url": "https://example.org/x", "crs": "none", "says": "s"}
    return {**base, **kw}


# --- the rule ------------------------------------------------------------------------------

@pytest.mark.parametrize(("spread", "radius", "expected"), [
    (0.0, 0.0, 100.0), (40.0, 0.0, 100.0), (101.0, 0.0, 150.0), (150.0, 0.0, 150.0),
    (131.0, 460.0, 600.0), (3000.0, 0.0, 3000.0),
])
def test_accuracy_rule(spread, radius, expected):
    assert ev.accuracy_m(spread, radius) == expected


def test_site_radius_of_a_thousand_mu():
    # 1000 mu = 666,667 m²; a circle of that area has radius sqrt(A / pi).
    assert ev.site_radius_m(0.6667) == pytest.approx(math.sqrt(666_700 / math.pi), rel=1e-6)
    assert ev.site_radius_m(None) == 0.0


def test_spread_is_geodesic():
    pts = [(120.0, 36.0), (120.05, 36.02)]
    expected = max(Geodesic.WGS84.Inverse(36.01, 120.02, lat, lon)["s12"] for lon, lat in pts)
    assert ev.spread_m(Point(120.02, 36.01), pts) == pytest.approx(expected, abs=0.01)


def test_spread_of_a_polygon_is_zero_inside_and_the_gap_outside():
    poly = box(120.0, 36.0, 120.1, 36.1)
    assert ev.spread_m(poly, [(120.05, 36.05)]) == 0.0
    gap = Geodesic.WGS84.Inverse(36.05, 120.1, 36.05, 120.11)["s12"]
    assert ev.spread_m(poly, [(120.11, 36.05)]) == pytest.approx(gap, rel=2e-3)


def test_two_independent_sources_for_ouc_west_coast_agree_after_conversion():
    # A Baidu (BD-09) marker and a WeChat (GCJ-02) location for the same campus: unconverted
    # they are over 1 km apart; converted to WGS84 they agree within the campus.
    bd, gcj = [120.038636, 35.779944], [120.0322, 35.7728]
    raw = Geodesic.WGS84.Inverse(bd[1], bd[0], gcj[1], gcj[0])["s12"]
    (a, b) = ev.points_wgs84([_e(crs="bd09", point=bd), _e(crs="gcj02", point=gcj)])
    assert raw > 900
    assert Geodesic.WGS84.Inverse(a[1], a[0], b[1], b[0])["s12"] < 300


# --- schema ----------------------------------------------------------------------------------

def _feature(**props):
    base = {"id": "x", "name_zh": "x", "name_en": "x", "kind": "k", "source": "s",
            "source_zh": "s", "plan_ref": "p", "plan_text": "t", "accuracy_m": 100,
            "approximate": True, "industries_zh": [], "industries_en": []}
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.3, 36.1]},
            "properties": {**base, **props}}


@pytest.mark.parametrize(("evidence", "field"), [
    ([_e(crs="utm")], "evidence[0].crs"),
    ([_e(crs="none", point=[120.0, 36.0])], "evidence[0].point"),
    ([_e(crs="gcj02")], "evidence[0].point"),
    ([_e(url=None, document=None)], "evidence[0].url"),
    ([_e(url="ftp://x")], "evidence[0].url"),
    ([_e(says="")], "evidence[0].says"),
    ([_e(published="2021/09/01")], "evidence[0].published"),
    ("a source", "evidence"),
])
def test_schema_names_the_bad_evidence_field(evidence, field):
    with pytest.raises(DataError) as err:
        validate_feature(_feature(evidence=evidence), "f.geojson", "labs", ("Point",))
    assert err.value.field == field and err.value.feature == "x"


def test_schema_unplaced_feature_has_null_geometry_and_nothing_else_may():
    feat = _feature(position_basis="unplaced")
    with pytest.raises(DataError, match="null"):
        validate_feature(feat, "f.geojson", "parks", ("Polygon",))
    feat["geometry"] = None
    assert validate_feature(feat, "f.geojson", "parks", ("Polygon",)) is None
    with pytest.raises(DataError):
        validate_feature(_feature(position_basis="recalled") | {"geometry": None},
                         "f.geojson", "parks", ("Polygon",))


@pytest.mark.parametrize(("props", "field"), [
    ({"status": "open"}, "status"), ({"year": 21}, "year"), ({"year": 2020}, "year_event"),
    ({"position_basis": "guess"}, "position_basis"), ({"site_area_km2": -1}, "site_area_km2"),
])
def test_schema_status_year_basis(props, field):
    with pytest.raises(DataError) as err:
        validate_feature(_feature(**props), "f.geojson", "labs", ("Point",))
    assert err.value.field == field


# --- corridor validate -----------------------------------------------------------------------

def test_validate_flags_missing_evidence_and_accuracy_below_spread():
    far = [1000 * 0.0, 0]
    src = _e(crs="wgs84", point=[120.31, 36.1])  # ~900 m east of the point
    gap = Geodesic.WGS84.Inverse(36.1, 120.3, 36.1, 120.31)["s12"]
    store = synthetic_store({"labs": [
        {"id": "none", "geometry": Point(120.3, 36.1), "accuracy_m": 100},
        {"id": "tight", "geometry": Point(120.3, 36.1), "accuracy_m": gap - 1, "evidence": [src]},
        {"id": "fine", "geometry": Point(120.3, 36.1), "accuracy_m": gap + 1, "evidence": [src]},
    ]})
    assert far
    got = {(p.feature, p.field) for p in check_evidence(store)}
    assert got == {("none", "evidence"), ("tight", "accuracy_m")}


def test_validate_flags_a_park_outside_the_districts_its_evidence_names():
    a, b = box(120.0, 36.0, 120.1, 36.1), box(120.1, 36.0, 120.2, 36.1)
    store = synthetic_store({
        "districts": [{"id": "a", "name_zh": "甲区", "geometry": a}, {"id": "b", "name_zh": "乙区", "geometry": b}],
        "parks": [
            {"id": "inside", "geometry": box(120.02, 36.02, 120.08, 36.08), "evidence": [_e(district_zh="甲区")]},
            {"id": "spills", "geometry": box(120.05, 36.02, 120.15, 36.08), "evidence": [_e(district_zh="甲区")]},
            {"id": "both", "geometry": box(120.05, 36.02, 120.15, 36.08), "evidence": [_e(district_zh="甲区、乙区")]},
        ]})
    got = [(p.feature, p.field) for p in check_park_districts(store)]
    assert got == [("spills", "geometry")]


def test_real_data_passes_the_evidence_checks(store):
    assert check_evidence(store) == []
    assert check_park_districts(store) == []


# --- the named cases of issue 9 on the built data (read as files, not through the store) ----

def _features(cid):
    doc = json.loads((GEODATA / "data" / f"{cid}.geojson").read_text(encoding="utf-8"))
    return {f["id"]: f for f in doc["features"]}


def _dist(a, b):
    return Geodesic.WGS84.Inverse(a[1], a[0], b[1], b[0])["s12"]


def test_qau_pingdu_is_in_nancun_not_pingdu_city():
    f = _features("universities")["qau-pingdu"]
    assert _dist(f["geometry"]["coordinates"], [119.97, 36.78]) > 25_000  # the old point
    assert any("南村镇" in e["says"] for e in f["properties"]["evidence"])
    assert f["properties"]["status"] == "operating" and f["properties"]["year"] == 2020


def test_energy_institute_moved_and_its_facilities_follow_their_evidence():
    labs, fac = _features("labs"), _features("facilities")
    sei = labs["lab-shandong-energy-institute"]
    assert _dist(sei["geometry"]["coordinates"], [120.474, 36.127]) > 15_000
    assert any("王哥庄" in e["says"] and "土寨河" in e["says"] for e in sei["properties"]["evidence"])
    # The biome facility has two named hosts 20 km apart and no site of its own: not placed.
    biome = fac["facility-biome-detection"]
    assert biome["geometry"] is None and biome["properties"]["position_basis"] == "unplaced"
    # The pan-energy facility sits with QIBEBT's existing pan-energy big-data centre.
    pan, qibebt = fac["facility-pan-energy-big-data"], labs["lab-qibebt"]
    assert pan["geometry"]["coordinates"] == qibebt["geometry"]["coordinates"]
    assert pan["properties"]["accuracy_m"] >= qibebt["properties"]["accuracy_m"]
    assert any("泛能源大数据" in e["says"] for e in pan["properties"]["evidence"])


def test_guzhenkou_cluster_moved_south_and_pilot_zone_covers_it():
    from shapely.geometry import shape
    ouc = _features("universities")["ouc-west-coast"]["geometry"]["coordinates"]
    assert ouc[1] < 35.79
    zone = shape(_features("parks")["park-jiaonan-new-tech-pilot-zone"]["geometry"])
    assert zone.bounds[1] < 35.78
    for fid in ("lab-cas-qingdao-se-park", "lab-heu-qingdao"):
        p = _features("labs")[fid]
        assert zone.buffer(0.01).contains(Point(p["geometry"]["coordinates"]))


def test_one_international_innovation_park_with_both_plan_references():
    hubs = _features("incubators")
    assert "hub-laoshan-international-innovation-park" not in hubs
    f = hubs["hub-international-innovation-park"]["properties"]
    assert "五(一)3" in f["plan_ref"] and "专栏8-5" in f["plan_ref"]
    assert "国际创新园" in f["plan_text"] and "崂山国际创新园" in f["plan_text"]
    assert any("松岭路169号" in e["says"] for e in f["evidence"])


def test_future_tech_park_is_listed_not_placed():
    f = _features("parks")["park-qingdao-future-tech-park"]
    assert f["geometry"] is None and f["properties"]["position_basis"] == "unplaced"


def test_survey_fleet_radius_shrank_and_sits_at_the_deep_sea_base():
    fac = _features("facilities")
    fleet, base = fac["facility-survey-ship-fleet"], fac["facility-national-deep-sea-base"]
    assert fleet["properties"]["accuracy_m"] <= 5000
    assert fleet["geometry"]["coordinates"] == base["geometry"]["coordinates"]


def test_marine_belt_is_the_laoshan_strip_of_about_70_km2():
    import numpy as np
    from shapely import transform
    from shapely.geometry import shape

    from corridor.crs import to_metric
    belt = shape(_features("parks")["park-marine-innovation-incubation-belt"]["geometry"])
    area = transform(belt, lambda c: np.column_stack(to_metric(c[:, 0], c[:, 1]))).area / 1e6
    assert area == pytest.approx(70, rel=0.05)


# --- datetime on items -----------------------------------------------------------------------

def test_datetime_filters_on_the_year_a_feature_came_into_being(client, catalog):
    # expectations from the data files: features whose year is at most the requested one
    uni = catalog.collection("universities").gdf
    years = {fid: row.get("year") for fid, row in uni.iterrows()}
    want_2018 = sorted(f for f, y in years.items() if y == y and y is not None and y <= 2018)
    got = client.get("/api/collections/universities/items?datetime=2018-06-01T00:00:00Z&limit=100").get_json()
    assert sorted(f["id"] for f in got["features"]) == want_2018
    assert "qau-pingdu" not in want_2018  # opened 2020
    got = client.get("/api/collections/universities/items?datetime=2019-01-01/2021-09-01&limit=100").get_json()
    assert "qau-pingdu" in [f["id"] for f in got["features"]]
    everything = client.get("/api/collections/universities/items?datetime=2021-09-01/..&limit=100").get_json()
    assert everything["numberMatched"] == len(uni)


def test_unplaced_park_in_every_format(client):
    base = "/api/collections/parks/items/park-qingdao-future-tech-park"
    assert client.get(base).get_json()["geometry"] is None
    csv = client.get(base + "?f=csv").get_data(as_text=True)
    assert csv.splitlines()[1].endswith(",,,")
    for f in ("gpkg", "kml", "html"):
        assert client.get(base + f"?f={f}").status_code == 200
    assert client.get("/api/collections/parks/items?f=gpkg&limit=20").status_code == 200
    page = client.get("/parks/park-qingdao-future-tech-park?lang=en").get_data(as_text=True)
    assert 'id="park-unplaced"' in page
    near = client.get("/api/near?of=park-qingdao-future-tech-park&km=5")
    assert near.status_code == 400 and "not published" in near.get_json()["description"]
    home = client.get("/?lang=en").get_data(as_text=True)
    assert 'id="unplaced-list"' in home and "Qingdao Future Science and Technology Industrial Park" in home
