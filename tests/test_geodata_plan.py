"""The bundled (real) geodata against the plan: quotes, inventory, counts, provenance."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from corridor.store import GEODATA_DIR, Engine
from corridor.validate import check_checklist, check_parks, check_plan_text, squash, validate_all


@pytest.fixture(scope="module")
def plan(plan_path) -> str:
    if not plan_path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"plan text missing at {plan_path}; CI must have ../shared/plan beside the repo")
        pytest.skip(f"plan text not found at {plan_path}")
    return plan_path.read_text(encoding="utf-8")


def _no_ws(text: str) -> str:
    # our own whitespace removal, so the setup below does not lean on the module's squash()
    return re.sub(r"\s+", "", text)


def _geodata_copy(root: Path) -> Path:
    """A copy of the bundled geodata (collections.toml and data/) that a test may alter."""
    shutil.copy(GEODATA_DIR / "collections.toml", root / "collections.toml")
    shutil.copytree(GEODATA_DIR / "data", root / "data")
    return root


def _problems(problems) -> list[tuple[str, str, str]]:
    return [(p.collection, p.feature, p.field) for p in problems]


def test_every_plan_text_is_verbatim(store, plan):
    assert check_plan_text(store, plan) == []


def test_plan_text_check_catches_a_misquote(plan, plan_path, tmp_path):
    """The real check, on a copy of the bundled data with one park's quote altered by a
    single word: that park is reported, and only it. Another park's quote with a line break
    added inside it (the plan's text file breaks lines mid-sentence) is still verbatim."""
    root = _geodata_copy(tmp_path)
    parks_file = root / "data" / "parks.geojson"
    doc = json.loads(parks_file.read_text(encoding="utf-8"))
    props = {f["properties"]["id"]: f["properties"] for f in doc["features"]}
    misquoted = props["park-blue-silicon-valley"]
    # 聚焦 -> 关注 ("focus on" either way): same sense, but not the plan's word
    altered = misquoted["plan_text"].replace("聚焦", "关注", 1)
    assert altered != misquoted["plan_text"]
    assert _no_ws(misquoted["plan_text"]) in _no_ws(plan)  # the original is verbatim...
    assert _no_ws(altered) not in _no_ws(plan)  # ...and the altered one really is not
    misquoted["plan_text"] = altered
    wrapped = props["park-qingdao-science-street"]
    wrapped["plan_text"] = wrapped["plan_text"][:9] + "\n  " + wrapped["plan_text"][9:]
    parks_file.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    altered_catalog = Engine.load(root)

    problems = check_plan_text(altered_catalog, plan)
    assert _problems(problems) == [("parks", "park-blue-silicon-valley", "plan_text")]
    assert "关注" in problems[0].message  # it shows the offending text
    # what `corridor validate` runs reports the same single problem
    assert _problems(validate_all(altered_catalog, plan_path)) == _problems(problems)


def test_plan_text_check_catches_a_misquoted_indicator(plan, tmp_path):
    root = _geodata_copy(tmp_path)
    path = root / "data" / "indicators.json"
    indicators = json.loads(path.read_text(encoding="utf-8"))
    first = indicators[0]
    assert first["plan_text"] == "研发经费投入年均增长"
    first["plan_text"] = "研发经费支出年均增长"  # 投入 (input) -> 支出 (spending): not the plan's wording
    assert _no_ws(first["plan_text"]) not in _no_ws(plan)
    path.write_text(json.dumps(indicators, ensure_ascii=False), encoding="utf-8")

    problems = check_plan_text(Engine.load(root), plan)
    assert _problems(problems) == [("indicators", first["id"], "plan_text")]


def test_all_ten_parks_and_inventory_present(catalog, store):
    assert check_parks(store) == []
    assert check_checklist(store, GEODATA_DIR / "inventory" / "checklist.toml") == []
    assert len(catalog.collection("parks")) == 10
    assert len(catalog.collection("districts")) == 10
    assert len(catalog.collection("bays")) == 3
    assert len(catalog.collection("facilities")) >= 10  # 7 of 专栏1 and 3 of 三(三)3
    assert len(catalog.collection("platforms")) >= 7
    assert len(catalog.indicators) == 7


def test_validate_all_is_clean(store, plan, plan_path):
    assert validate_all(store, plan_path) == []


def test_every_feature_states_provenance(catalog):
    for cid, coll in catalog.collections.items():
        gdf = coll.gdf
        assert gdf["source"].str.len().min() > 10, cid
        assert (gdf["accuracy_m"] > 0).all(), cid
        if cid in ("parks", "corridor"):
            # The plan gives no boundaries: these are approximations and must say so.
            assert gdf["approximate"].all(), cid
            assert (gdf["accuracy_m"] >= 500).all(), cid


def test_parks_carry_their_plan_industries(catalog):
    parks = catalog.collection("parks").gdf
    for fid, row in parks.iterrows():
        assert len(row["industries_zh"]) == len(row["industries_en"]) > 0, fid
        for term in row["industries_zh"]:
            # each industry is the plan's own word, inside the park's own paragraph
            assert squash(term) in squash(row["plan_text"]), (fid, term)


def test_no_duplicate_ids_across_collections(catalog):
    ids = [fid for c in catalog.collections.values() for fid in c.gdf.index]
    assert len(ids) == len(set(ids))


def test_cli_validate_passes_on_bundled_data(capsys, plan_path):
    from web.cli import main

    args = ["validate"] + (["--plan", str(plan_path)] if plan_path.exists() else [])
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: ") and "parks 10" in out
