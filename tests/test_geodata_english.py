"""The English renderings of the plan quotes and the aliases: data files, build and schema."""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path

import pytest

from corridor.errors import DataError
from corridor.schema import validate_feature

GEODATA = Path(__file__).resolve().parent.parent / "geodata"


def _features() -> list[dict]:
    out = []
    for path in sorted((GEODATA / "data").glob("*.geojson")):
        out += json.loads(path.read_text(encoding="utf-8"))["features"]
    return out


def test_every_quote_has_our_english_rendering():
    table = tomllib.loads((GEODATA / "inventory" / "plan_text_en.toml").read_text(encoding="utf-8"))
    rendered = {q["zh"]: q["en"] for q in table["quote"]}
    assert len(rendered) == len(table["quote"])  # one entry per distinct quote
    quoted = [f["properties"] for f in _features() if f["properties"].get("plan_text")]
    assert len(quoted) > 60
    for p in quoted:
        # a feature the plan names twice quotes both passages, one a line, and so its English
        lines = p["plan_text"].split("\n")
        assert p.get("plan_text_en") == "\n".join(rendered[line] for line in lines), p["id"]
        assert not any("\u3400" <= ch <= "\u9fff" for ch in p["plan_text_en"]), p["id"]
    assert set(rendered) == {line for p in quoted for line in p["plan_text"].split("\n")}  # none stale


def test_aliases_are_built_into_the_features():
    table = tomllib.loads((GEODATA / "inventory" / "aliases.toml").read_text(encoding="utf-8"))
    by_id = {f["properties"]["id"]: f["properties"] for f in _features()}
    for entry in table["alias"]:
        props = by_id[entry["id"]]
        assert props.get("aliases_zh", []) == entry.get("zh", [])
        assert props.get("aliases_en", []) == entry.get("en", [])


def _a_quoting_feature() -> dict:
    return copy.deepcopy(next(f for f in _features() if f["properties"]["id"] == "park-blue-silicon-valley"))


@pytest.mark.parametrize("change", [
    {"plan_text_en": ""}, {"plan_text_en": 3}, {"aliases_zh": "蓝谷"}, {"aliases_en": ["", "x"]},
    {"plan_text": "", "plan_ref": ""},
])
def test_schema_refuses_bad_english_or_aliases(change):
    feat = _a_quoting_feature()
    feat["properties"].update(change)
    with pytest.raises(DataError):
        validate_feature(feat, "parks.geojson", "parks", ("Polygon", "MultiPolygon"), 0,
                         frozenset({"parks", "near", "at"}))


def test_build_refuses_stale_translations_and_unknown_alias_ids(tmp_path):
    from geodata.english import add_aliases, add_translations
    from geodata.inventory import InventoryError

    feats = {"parks": [_a_quoting_feature()]}
    (tmp_path / "t.toml").write_text('[[quote]]\nzh = "不在数据中"\nen = "not in the data"\n', encoding="utf-8")
    with pytest.raises(InventoryError, match="no feature quotes"):
        add_translations(feats, tmp_path / "t.toml")
    (tmp_path / "a.toml").write_text('[[alias]]\nid = "nope"\nzh = ["x"]\n', encoding="utf-8")
    with pytest.raises(InventoryError, match="no feature has this id"):
        add_aliases(feats, tmp_path / "a.toml")


@pytest.mark.parametrize("q", ["蓝谷", "青岛蓝谷", "Blue Valley"])
def test_search_finds_a_park_by_its_alias(client, q):
    doc = client.get("/api/collections/parks/items", query_string={"q": q}).get_json()
    assert "park-blue-silicon-valley" in [f["id"] for f in doc["features"]]
