"""The bundled (real) geodata against the plan: quotes, inventory, counts, provenance."""

from __future__ import annotations

import os

import pytest
from conftest import PLAN_TEXT

from corridor.store import GEODATA_DIR
from corridor.validate import check_checklist, check_parks, check_plan_text, squash, validate_all


@pytest.fixture(scope="module")
def plan() -> str:
    if not PLAN_TEXT.exists():
        if os.environ.get("CI"):
            pytest.fail(f"plan text missing at {PLAN_TEXT}; CI must have ../shared/plan beside the repo")
        pytest.skip(f"plan text not found at {PLAN_TEXT}")
    return PLAN_TEXT.read_text(encoding="utf-8")


def test_every_plan_text_is_verbatim(store, plan):
    assert check_plan_text(store, plan) == []


def test_plan_text_check_catches_a_misquote(catalog, plan):
    coll = catalog.collection("parks")
    quote = coll.gdf["plan_text"].iloc[0]
    assert squash(quote) in squash(plan)
    assert squash(quote.replace("聚焦", "关注", 1) + "X") not in squash(plan)


def test_all_ten_parks_and_inventory_present(catalog, store):
    assert check_parks(store) == []
    assert check_checklist(store, GEODATA_DIR / "inventory" / "checklist.toml") == []
    assert len(catalog.collection("parks")) == 10
    assert len(catalog.collection("districts")) == 10
    assert len(catalog.collection("bays")) == 3
    assert len(catalog.collection("facilities")) >= 10  # 7 of 专栏1 and 3 of 三(三)3
    assert len(catalog.collection("platforms")) >= 7
    assert len(catalog.indicators) == 7


def test_validate_all_is_clean(store, plan):
    assert validate_all(store, PLAN_TEXT) == []


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


def test_cli_validate_passes_on_bundled_data(capsys):
    from corridor.cli import main

    args = ["validate"] + (["--plan", str(PLAN_TEXT)] if PLAN_TEXT.exists() else [])
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: ") and "parks 10" in out
