"""Relations the geometry must keep (issue 23, part 3): every feature lies in its
``district_zh``, every park near what it ``relies_on`` and what the plan places ``in_park``,
within their accuracies; exceptions recorded beside the data.

``corridor validate`` runs on a copy of the bundled geodata with one relation broken on
purpose, and on the bundled data itself. Distances expected by the synthetic cases come from
geographiclib, not from the code under test."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from datafiles import synthetic_store
from geographiclib.geodesic import Geodesic
from shapely.geometry import Point, box

from corridor.relations import EXCEPTIONS_FILE, check_districts, check_park_relations
from corridor.store import GEODATA_DIR

QUOTE = "依托国际创新园"


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "geodata"
    shutil.copytree(GEODATA_DIR, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return root


def _edit(root: Path, cid: str, fid: str, change) -> None:
    path = root / "data" / f"{cid}.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    (feat,) = [f for f in doc["features"] if f["id"] == fid]
    change(feat)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def _validate(capsys, root: Path | None, plan_path: Path) -> tuple[int, str]:
    from web.cli import main

    args = ["validate"] + (["--geodata", str(root)] if root else [])
    args += ["--plan", str(plan_path)] if plan_path.exists() else []
    status = main(args)
    captured = capsys.readouterr()
    return status, captured.err


def _shift(dlat: float):
    def change(feat):
        lon, lat = feat["geometry"]["coordinates"]
        feat["geometry"]["coordinates"] = [lon, lat + dlat]
    return change


def _set(key: str, value):
    def change(feat):
        feat["properties"][key] = value
    return change


# --- corridor validate on the bundled data and on a broken copy ------------------------------

def test_validate_passes_on_the_bundled_data(capsys, plan_path):
    status, err = _validate(capsys, None, plan_path)
    assert status == 0, err
    assert "relies_on" not in err and "district_zh" not in err


def test_validate_passes_on_an_unbroken_copy(tmp_path, capsys, plan_path):
    status, err = _validate(capsys, _copy(tmp_path), plan_path)
    assert status == 0, err


# 0.18 degree of latitude is about 20 km: far past any accuracy in the data.
@pytest.mark.parametrize(("cid", "fid", "change", "expected"), [
    # a platform the park relies on moved 20 km north: the park's relation breaks (and the
    # platform leaves its district)
    ("incubators", "incubator-heima-unicorn-accelerator", _shift(0.18),
     ["parks/park-qingdao-hi-tech-industrial-park [relies_on]: incubator-heima-unicorn-accelerator",
      "incubators/incubator-heima-unicorn-accelerator [district_zh]: 崂山区"]),
    # a campus's district renamed to one it is far from
    ("universities", "qdu-central", _set("district_zh", "城阳区"),
     ["universities/qdu-central [district_zh]: 城阳区: lies "]),
    # a lab the plan places in the Jiaonan pilot zone pointed at a park 40 km away
    ("labs", "lab-heu-qingdao", _set("in_park", "park-qingdao-science-street"),
     ["labs/lab-heu-qingdao [in_park]: park-qingdao-science-street: in_park "]),
    # a relation to something that is not in the data
    ("parks", "park-rail-transit-demo-zone", _set("relies_on", ["lab-nowhere"]),
     ["parks/park-rail-transit-demo-zone [relies_on]: lab-nowhere: 'lab-nowhere' is no feature"]),
    # a relation stated without the plan's words for it
    ("labs", "lab-cas-qingdao-se-park", _set("in_park_quote", ""),
     ["labs/lab-cas-qingdao-se-park [in_park]: park-jiaonan-new-tech-pilot-zone: no in_park_quote"]),
])
def test_validate_fails_on_a_relation_broken_on_purpose(tmp_path, capsys, plan_path, cid, fid,
                                                         change, expected):
    root = _copy(tmp_path)
    _edit(root, cid, fid, change)
    status, err = _validate(capsys, root, plan_path)
    assert status == 1
    for line in expected:
        assert line in err, err


def test_validate_fails_on_a_quote_the_plan_does_not_hold(tmp_path, capsys, plan_path):
    if not plan_path.exists():
        pytest.skip("plan text not present")
    root = _copy(tmp_path)
    _edit(root, "parks", "park-qingdao-hi-tech-industrial-park",
          _set("relies_on_quote", "依托月球科技园"))
    status, err = _validate(capsys, root, plan_path)
    assert status == 1
    assert ("parks/park-qingdao-hi-tech-industrial-park [relies_on]: "
            "hub-international-innovation-park: relies_on_quote not found in the plan") in err


def test_the_recorded_exception_is_what_lets_the_belt_pass(tmp_path, capsys, plan_path):
    root = _copy(tmp_path)
    (root / EXCEPTIONS_FILE).unlink()
    status, err = _validate(capsys, root, plan_path)
    assert status == 1
    assert "parks/park-marine-innovation-incubation-belt [relies_on]: hub-blue-valley" in err
    assert err.count("error: ") == 1


def test_an_exception_that_is_not_needed_fails(tmp_path, capsys, plan_path):
    root = _copy(tmp_path)
    with (root / EXCEPTIONS_FILE).open("a", encoding="utf-8") as fh:
        fh.write('\n[[exception]]\nfeature = "qdu-central"\nrelation = "district_zh"\n'
                 'target = "市南区、崂山区"\nreason = "none needed"\n'
                 '\n[[exception]]\nfeature = "qdu-central"\nrelation = "relies_on"\n'
                 'target = "hub-blue-valley"\nreason = "no such relation"\n'
                 '\n[[exception]]\nfeature = "qdu-central"\nrelation = "near"\n'
                 'target = "x"\nreason = ""\n')
    status, err = _validate(capsys, root, plan_path)
    assert status == 1
    assert "qdu-central [exception]: 市南区、崂山区: relation_exceptions.toml: district_zh 市南区、崂山区 holds" in err
    assert "qdu-central [exception]: hub-blue-valley: relation_exceptions.toml: no such stated relation" in err
    assert "exception #4: missing ['reason'] or relation 'near' not one of" in err


# --- the tolerance: the sum of the two accuracies, geodesic ---------------------------------

def _gap(lon1, lat1, lon2, lat2) -> float:
    return Geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2)["s12"]


def test_a_relation_holds_up_to_the_sum_of_the_accuracies_and_no_further():
    park = box(120.0, 36.0, 120.1, 36.1)
    gap = _gap(120.1, 36.05, 120.12, 36.05)  # from the park's east edge to the points
    store = synthetic_store({
        "parks": [{"id": "park", "geometry": park, "accuracy_m": 500,
                   "relies_on": ["near", "far", "inside"], "relies_on_quote": QUOTE}],
        "incubators": [
            {"id": "near", "geometry": Point(120.12, 36.05), "accuracy_m": gap - 500 + 1},
            {"id": "far", "geometry": Point(120.12, 36.05), "accuracy_m": gap - 500 - 1},
            {"id": "inside", "geometry": Point(120.05, 36.05), "accuracy_m": 100},
        ]})
    found = check_park_relations(store)
    assert [(f.feature, f.relation, f.target) for f in found] == [("park", "relies_on", "far")]
    assert f"lies {gap:.0f} m from it" in found[0].message


def test_a_district_holds_up_to_both_accuracies_and_either_of_several_names():
    a, b = box(120.0, 36.0, 120.1, 36.1), box(120.1, 36.0, 120.2, 36.1)
    gap = _gap(120.2, 36.05, 120.21, 36.05)  # east of 乙区
    store = synthetic_store({
        "districts": [{"id": "a", "name_zh": "甲区", "geometry": a, "accuracy_m": 100},
                      {"id": "b", "name_zh": "乙区", "geometry": b, "accuracy_m": 100}],
        "universities": [
            {"id": "in", "geometry": Point(120.05, 36.05), "district_zh": "甲区", "accuracy_m": 100},
            {"id": "wrong", "geometry": Point(120.15, 36.05), "district_zh": "甲区", "accuracy_m": 100},
            {"id": "either", "geometry": Point(120.15, 36.05), "district_zh": "甲区、乙区", "accuracy_m": 100},
            {"id": "edge", "geometry": Point(120.21, 36.05), "district_zh": "乙区", "accuracy_m": gap - 99},
            {"id": "past", "geometry": Point(120.21, 36.05), "district_zh": "乙区", "accuracy_m": gap - 101},
            {"id": "unknown", "geometry": Point(120.05, 36.05), "district_zh": "丙区", "accuracy_m": 100},
        ]})
    found = {f.feature: f for f in check_districts(store)}
    assert sorted(found) == ["past", "unknown", "wrong"]
    assert f"lies {gap:.0f} m outside 乙区" in found["past"].message
    assert "not districts of this data" in found["unknown"].message


# --- the two findings of issue 23, mended from evidence -------------------------------------

def _features(cid: str) -> dict[str, dict]:
    doc = json.loads((GEODATA_DIR / "data" / f"{cid}.geojson").read_text(encoding="utf-8"))
    return {f["id"]: f for f in doc["features"]}


def test_the_hi_tech_park_covers_the_innovation_park_it_relies_on():
    from shapely.geometry import shape
    park = _features("parks")["park-qingdao-hi-tech-industrial-park"]
    hub = _features("incubators")["hub-international-innovation-park"]
    assert shape(park["geometry"]).contains(Point(hub["geometry"]["coordinates"]))
    assert hub["id"] in park["properties"]["relies_on"]
    assert any("株洲路" in e["says"] for e in park["properties"]["evidence"])


def test_qdu_central_lists_the_districts_its_sources_name_and_lies_in_one():
    from shapely.geometry import shape
    props = _features("universities")["qdu-central"]
    names = props["properties"]["district_zh"].split("、")
    districts = {f["properties"]["name_zh"]: shape(f["geometry"]) for f in _features("districts").values()}
    point = Point(props["geometry"]["coordinates"])
    assert any(districts[n].contains(point) for n in names)
    sourced = {e.get("district_zh") for e in props["properties"]["evidence"]}
    assert set(names) <= sourced
