"""Catalog loading and structural validation (uses the SYNTHETIC mini data set, then breaks it)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from corridor.catalog import Catalog
from corridor.errors import DataError, NotFound

# Not "from tests.conftest import ...": a top-level "tests" package installed in the
# virtualenv (pygeoapi ships one) shadows this directory.
MINI_GEODATA = Path(__file__).resolve().parent / "fixtures" / "mini"


def test_mini_catalog_loads(mini_catalog):
    assert list(mini_catalog.collections)[:3] == ["land", "districts", "bays"]
    parks = mini_catalog.collection("parks")
    assert parks.gdf.crs.to_epsg() == 4326
    assert list(parks.gdf.index) == ["park-chip", "park-sea"]
    assert parks.feature("park-chip")["industries_zh"] == ["半导体", "人工智能"]
    coll, row = mini_catalog.locate("lab-a")
    assert coll.id == "labs" and row["name_en"] == "Synthetic 实验室"
    assert mini_catalog.extent == (119.9, 35.8, 120.8, 36.5)
    assert len(mini_catalog.indicators) == 1


def test_unknown_collection_and_feature(mini_catalog):
    with pytest.raises(NotFound, match=r"'nope'.*expected one of land, districts"):
        mini_catalog.collection("nope")
    with pytest.raises(NotFound, match=r"'ghost' not found in collection 'parks'"):
        mini_catalog.collection("parks").feature("ghost")
    with pytest.raises(NotFound, match="'ghost'"):
        mini_catalog.locate("ghost")


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
        Catalog.load(root)
    err = info.value
    assert str(path) in str(err) or err.path.endswith(path.name)
    assert err.feature == feature
    assert err.field == field
    assert feature in str(err) and field in str(err)


def test_missing_and_unparsable_files(broken):
    root, _ = broken
    (root / "data" / "labs.geojson").write_text("{not json", encoding="utf-8")
    with pytest.raises(DataError, match=r"labs\.geojson: not valid JSON"):
        Catalog.load(root)
    (root / "data" / "labs.geojson").unlink()
    with pytest.raises(DataError, match=r"labs\.geojson: file not found"):
        Catalog.load(root)


def test_service_refuses_to_start_on_bad_data(broken):
    from web import create_app

    root, edit_file = broken
    edit_file("parks", _set("source", None))
    with pytest.raises(DataError, match="source"):
        create_app({"GEODATA_DIR": str(root), "TESTING": True})


def test_cli_validate_reports_bad_file(broken, capsys):
    from corridor.cli import main

    root, edit_file = broken
    edit_file("parks", _set("kind", ""))
    assert main(["validate", "--geodata", str(root)]) == 1
    err = capsys.readouterr().err
    assert "parks.geojson" in err and "park-chip" in err and "'kind'" in err


def test_version_digest_follows_the_data(broken, mini_catalog):
    root, edit_file = broken
    assert Catalog.load(root).version == mini_catalog.version  # same bytes, same version
    edit_file("labs", _set("name_en", "Synthetic renamed lab"))
    assert Catalog.load(root).version != mini_catalog.version
