"""The in-memory store: loading, structural validation, the store interface and its indexes
(uses the SYNTHETIC mini data set, then breaks it)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import MINI_GEODATA

from corridor.errors import DataError, NotFound
from corridor.store import Engine


def test_any_mini_store_loads(any_mini_store):
    assert any_mini_store.collection_ids()[:3] == ["land", "districts", "bays"]
    parks = any_mini_store.collection("parks")
    assert parks.count == 2 and parks.has_role("parks") and not parks.has_role("basemap")
    assert [f.id for f in any_mini_store.features("parks")] == ["park-chip", "park-sea"]
    assert any_mini_store.get("parks", "park-chip").get("industries_zh") == ["半导体", "人工智能"]
    lab = any_mini_store.locate("lab-a")
    assert lab.collection == "labs" and lab.get("name_en") == "Synthetic 实验室"
    assert any_mini_store.extent == (119.9, 35.8, 120.8, 36.5)
    assert len(any_mini_store.indicators()) == 1
    assert any_mini_store.collection_ids("basemap") == ["land", "districts"]


def test_unknown_collection_and_feature(any_mini_store):
    with pytest.raises(NotFound, match=r"'nope'.*expected one of land, districts"):
        any_mini_store.collection("nope")
    with pytest.raises(NotFound, match=r"'ghost' not found in collection 'parks'"):
        any_mini_store.get("parks", "ghost")
    with pytest.raises(NotFound, match="'ghost'"):
        any_mini_store.locate("ghost")


def test_feature_json_is_the_file_feature(any_mini_store):
    """Each feature's ready GeoJSON is the file's feature: same geometry, same properties."""
    for c in any_mini_store.collections():
        raw = json.loads((MINI_GEODATA / "data" / f"{c.id}.geojson").read_text(encoding="utf-8"))
        for f, want in zip(any_mini_store.features(c.id), raw["features"], strict=True):
            got = json.loads(f.json)
            assert got["type"] == "Feature" and got["id"] == want["properties"]["id"]
            assert got["geometry"] == want["geometry"]
            assert got["properties"] == {k: v for k, v in want["properties"].items() if v is not None}
            assert f.json.endswith(b"}}")  # the layout responses splice extra properties into


def test_collections_with_roles_come_from_collections_toml(any_mini_store):
    import tomllib

    meta = tomllib.loads((MINI_GEODATA / "collections.toml").read_text(encoding="utf-8"))
    for e in meta["collection"]:
        assert any_mini_store.collection(e["id"]).roles == frozenset(e["roles"])


def test_unknown_role_is_refused(broken):
    root, _ = broken
    toml = root / "collections.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('roles = ["basemap"]', 'roles = ["basemapp"]', 1),
                    encoding="utf-8")
    with pytest.raises(DataError, match=r"unknown role\(s\) \['basemapp'\]"):
        Engine.load(root)


@pytest.fixture()
def broken(tmp_path: Path):
    """A writable copy of the mini data set and a helper to edit one feature of it."""
    root = tmp_path / "geodata"
    shutil.copytree(MINI_GEODATA, root)

    def edit(cid: str, fn) -> Path:
        path = root / "data" / f"{cid}.geojson"
        doc = json.loads(path.read_text(encoding="utf-8"))
        fn(doc)
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        return path

    return root, edit


def _set(prop, value):
    def fn(doc):
        doc["features"][0]["properties"][prop] = value

    return fn


BAD_EDITS = [
    ("parks", _set("name_en", ""), "park-chip", "name_en"),
    ("parks", _set("accuracy_m", -5), "park-chip", "accuracy_m"),
    ("parks", _set("accuracy_m", "500"), "park-chip", "accuracy_m"),
    (
        "parks",
        lambda d: d["features"][0]["properties"].update(industries_zh=[], industries_en=[]),
        "park-chip",
        "industries_zh",
    ),
    ("parks", _set("industries_en", ["only one"]), "park-chip", "industries_en"),
    ("parks", _set("plan_text", ""), "park-chip", "plan_text"),
    ("parks", _set("approximate", "yes"), "park-chip", "approximate"),
    ("parks", _set("source_zh", ""), "park-chip", "source_zh"),
    ("labs", lambda d: d["features"][0]["properties"].pop("source_zh"), "lab-a", "source_zh"),
    ("labs", _set("source_zh", ["合成"]), "lab-a", "source_zh"),
    # a position note needs its Chinese text, and a Chinese note its English one
    ("labs", _set("position_note", "Placed at its host institute"), "lab-a", "position_note_zh"),
    (
        "labs",
        lambda d: d["features"][0]["properties"].update(
            position_note="Placed at its host institute", position_note_zh="  "
        ),
        "lab-a",
        "position_note_zh",
    ),
    ("labs", _set("position_note_zh", "置于其依托单位"), "lab-a", "position_note_zh"),
    ("labs", _set("position_note_zh", None), "lab-a", "position_note_zh"),
    ("labs", _set("id", "Lab A"), "Lab A", "id"),
    ("labs", _set("id", "park-chip"), "park-chip", "id"),  # duplicate across collections
    ("labs", lambda d: d["features"][0]["geometry"].update(coordinates=[36.28, 120.40]), "lab-a", "geometry"),
    ("labs", lambda d: d["features"][0].update(geometry={"type": "Polygon", "coordinates": [[[120, 36], [120.1, 36.1]]]}), "lab-a", "geometry"),
    (
        "parks",
        lambda d: d["features"][0]["geometry"].update(
            coordinates=[[[120.3, 36.2], [120.4, 36.3], [120.4, 36.2], [120.3, 36.3], [120.3, 36.2]]]
        ),
        "park-chip",
        "geometry",
    ),
]


@pytest.mark.parametrize("cid,edit,feature,field", BAD_EDITS)
def test_bad_data_names_file_feature_and_field(broken, cid, edit, feature, field):
    root, edit_file = broken
    path = edit_file(cid, edit)
    with pytest.raises(DataError) as info:
        Engine.load(root)
    err = info.value
    assert str(path) in str(err) or err.path.endswith(path.name)
    assert err.feature == feature
    assert err.field == field
    assert feature in str(err) and field in str(err)


def test_missing_and_unparsable_files(broken):
    root, _ = broken
    (root / "data" / "labs.geojson").write_text("{not json", encoding="utf-8")
    with pytest.raises(DataError, match=r"labs\.geojson: not valid JSON"):
        Engine.load(root)
    (root / "data" / "labs.geojson").unlink()
    with pytest.raises(DataError, match=r"labs\.geojson: file not found"):
        Engine.load(root)


def test_service_refuses_to_start_on_bad_data(broken):
    from web import create_app

    root, edit_file = broken
    edit_file("parks", _set("source", None))
    with pytest.raises(DataError, match="source"):
        create_app({"GEODATA_DIR": str(root), "TESTING": True})


def test_cli_validate_reports_bad_file(broken, capsys):
    from web.cli import main

    root, edit_file = broken
    edit_file("parks", _set("kind", ""))
    assert main(["validate", "--geodata", str(root)]) == 1
    err = capsys.readouterr().err
    assert "parks.geojson" in err and "park-chip" in err and "'kind'" in err


def test_version_digest_follows_the_data(broken, mini_store):
    root, edit_file = broken
    assert Engine.load(root).version == mini_store.version  # same bytes, same version
    edit_file("labs", _set("name_en", "Synthetic renamed lab"))
    changed = Engine.load(root)
    assert changed.version != mini_store.version
    # only the edited collection's own version moves
    assert changed.collection("labs").version != mini_store.collection("labs").version
    assert changed.collection("parks").version == mini_store.collection("parks").version
