"""``/indicators`` shows each tagged user layer's features per year of its date column (per
year and cumulative, "no date" apart), or says why it cannot: SYNTHETIC layers imported as
``corridor import --indicator`` stores them, counts read back from the rendered page and
compared with counts made here from the rows."""

from __future__ import annotations

import re
from collections import Counter

import geopandas as gpd
import numpy as np
import pytest

from corridor.model import NewLayer
from corridor.store import Engine

N = 300


def _frame(columns):
    rng = np.random.default_rng(7)
    return gpd.GeoDataFrame({"id": [f"f{i}" for i in range(N)], **columns},
                            geometry=gpd.points_from_xy(rng.uniform(120.0, 120.6, N),
                                                        rng.uniform(35.9, 36.4, N)), crs="EPSG:4326")


@pytest.fixture(scope="module")
def years():
    """The certification year of each SYNTHETIC firm, None for the rows given no date."""
    rng = np.random.default_rng(11)
    return [None if i % 10 == 0 else int(rng.integers(2017, 2027)) for i in range(N)]


@pytest.fixture(scope="module")
def client(tmp_path_factory, store, years):
    from web import create_app

    root = tmp_path_factory.mktemp("pages-years") / "layers"
    layers = Engine.user_layers(root, store.indicators())
    dates = ["" if y is None and i % 20 == 0 else "unknown" if y is None else f"{y}-06-{1 + i % 28:02d}"
             for i, y in enumerate(years)]
    layers.put_layer(NewLayer("firms", _frame({"name": [f"SYNTHETIC firm {i}" for i in range(N)],
                                               "certified": dates}),
                              title_en="SYNTHETIC firms", title_zh="SYNTHETIC 合成企业",
                              indicator="high-tech-enterprises"))
    layers.put_layer(NewLayer("twice", _frame({"founded": dates, "certified": dates}),
                              title_en="SYNTHETIC two dates", indicator="high-tech-enterprises"))
    layers.put_layer(NewLayer("undated", _frame({"name": [f"SYNTHETIC {i}" for i in range(N)]}),
                              title_en="SYNTHETIC undated", indicator="technology-contract-turnover"))
    return create_app({"TESTING": True, "LAYERS_DIR": str(root)}).test_client()


def _rows(block: str) -> dict[object, tuple[int, int | None]]:
    out: dict[object, tuple[int, int | None]] = {}
    for year, count, cum in re.findall(r'<tr data-year="(\d+|none)"><td>[^<]*</td><td class="num" '
                                       r'data-count="(\d+)">[^<]*</td><td class="num"'
                                       r'(?: data-cumulative="(\d+)")?>', block):
        out[int(year) if year != "none" else None] = (int(count), int(cum) if cum else None)
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_shows_counts_per_year_and_cumulative(client, years, lang):
    page = client.get(f"/indicators?lang={lang}").get_data(as_text=True)
    block = page[page.index('id="by-year-firms"'):page.index('id="by-year-twice"')]
    assert 'data-column="certified"' in block
    rows = _rows(block)
    want = Counter(y for y in years if y is not None)
    span = range(min(2020, *want), max(2025, *want) + 1)
    assert [y for y in rows if y is not None] == list(span)
    for y in span:
        assert rows[y] == (want.get(y, 0), sum(n for x, n in want.items() if x <= y))
    assert rows[None] == (sum(y is None for y in years), None)
    total_2025 = sum(n for x, n in want.items() if x <= 2025)
    assert f"{total_2025:,}" in re.search(r'<p class="against">([^<]*)</p>', block)[1]
    assert "<svg" in block and 'class="year-chart"' in block


def test_the_page_says_why_a_layer_has_no_count_by_year(client):
    page = client.get("/indicators?lang=en").get_data(as_text=True)
    twice = page[page.index('id="by-year-twice"'):]
    why = re.search(r'<p class="why">([^<]*)</p>', twice)[1]
    assert "several date columns" in why and "“founded”, “certified”" in why
    assert "<table" not in twice[:twice.index("</div>")]
    undated = page[page.index('id="by-year-undated"'):]
    assert "has no date column" in re.search(r'<p class="why">([^<]*)</p>', undated)[1]
    zh = client.get("/indicators?lang=zh").get_data(as_text=True)
    assert "日期列" in zh[zh.index('id="by-year-undated"'):]


def test_the_imported_cell_links_to_the_counts_by_year(client):
    page = client.get("/indicators?lang=en").get_data(as_text=True)
    assert 'href="#by-year-firms"' in page and 'href="#by-year-undated"' in page


def test_the_indicators_document_gives_the_counts_by_year(client, years):
    doc = client.get("/api/indicators").get_json()
    rows = {i["id"]: i for i in doc["indicators"]}
    imported = {imp["collection"]: imp["by_year"] for imp in rows["high-tech-enterprises"]["imported"]}
    firms = imported["firms"]
    want = Counter(y for y in years if y is not None)
    assert (firms["column"], firms["kind"], firms["reason"]) == ("certified", "date", None)
    assert [(r["year"], r["count"], r["cumulative"]) for r in firms["years"]] == [
        (y, want[y], sum(n for x, n in want.items() if x <= y)) for y in sorted(want)]
    assert firms["no_date"] == {"empty": sum(y is None and i % 20 == 0 for i, y in enumerate(years)),
                                "unparsable": sum(y is None and i % 20 != 0 for i, y in enumerate(years))}
    assert (imported["twice"]["reason"], imported["twice"]["ambiguous"]) == ("ambiguous", ["founded", "certified"])
    schema = client.get("/api/openapi?f=json").get_json()["components"]["schemas"]["indicators"]
    item = schema["properties"]["indicators"]["items"]["properties"]["imported"]["items"]
    assert set(item["properties"]["by_year"]["properties"]) >= set(firms)
