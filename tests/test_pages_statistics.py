"""User-layer counts on the pages, in Chinese and English: the indicators page (imported count
beside the 2025 target), park profiles and the park comparison (with its CSV). The layer is
SYNTHETIC (``user_client``; :func:`datafiles.synthetic_user_layer`) and says so on the page.
In a real browser too: screenshots a person looks at."""

from __future__ import annotations

import csv
import io
import re

import pytest
from browser import Visit
from conftest import serving
from datafiles import brute_zones, synthetic_user_layer

TITLE = {"zh": "SYNTHETIC 合成企业(测试)", "en": "SYNTHETIC enterprises (test only)"}
PARK = "park-blue-silicon-valley"
UNPLACED_PARK = "park-qingdao-future-tech-park"


@pytest.fixture(scope="module")
def features():
    return synthetic_user_layer()


@pytest.fixture(scope="module")
def per_park(features, catalog):
    return {k: None if v is None else len(v)
            for k, v in brute_zones(features, catalog.collection("parks")).items()}


def _row(html: str, attr: str, value: str) -> str:
    m = re.search(rf'<tr {attr}="{re.escape(value)}".*?</tr>', html, re.S)
    assert m, f"no row {attr}={value}"
    return m.group(0)


@pytest.mark.parametrize(("lang", "text"), [
    ("zh", "已导入:图层“SYNTHETIC 合成企业(测试)”中 {n} 个要素,目标 8000 家"),
    ("en", "imported: {n} features in layer “SYNTHETIC enterprises (test only)”, target 8000 enterprises"),
])
def test_indicators_page_shows_the_imported_count_beside_the_target(user_client, features, lang, text):
    html = user_client.get(f"/indicators?lang={lang}").get_data(as_text=True)
    row = _row(html, "data-indicator", "high-tech-enterprises")
    n = len(features)
    assert f'data-layer="synthetic" data-count="{n}"' in row
    assert text.format(n=f"{n:,}") in row
    # the count sits in the column right after the 2025 target
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert cells[4] == "8000" and "synthetic" in cells[5]
    assert 'id="imported-note"' in html
    # the other indicators have no tagged layer: their imported cell is empty
    other = _row(html, "data-indicator", "rd-expenditure-growth")
    assert '<td class="imported"></td>' in other


def test_indicators_page_without_tagged_layers_has_no_imported_column(client):
    html = client.get("/indicators?lang=en").get_data(as_text=True)
    assert "Imported (user layers)" not in html and 'class="imported"' not in html


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_park_profile_counts_each_user_layer_in_the_park(user_client, per_park, features, lang):
    html = user_client.get(f"/parks/{PARK}?lang={lang}").get_data(as_text=True)
    assert {"zh": "用户图层:本园区内的要素", "en": "User layers: features in this park"}[lang] in html
    row = _row(html, "data-layer", "synthetic")
    assert f'data-count="{per_park[PARK]}"' in row
    assert TITLE[lang] in row
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    assert cells == [f"{per_park[PARK]:,}", f"{len(features):,}"]
    assert "/api/collections/synthetic/statistics?by=park" in html


def test_every_park_profile_has_its_own_count(user_client, per_park):
    for park, n in per_park.items():
        html = user_client.get(f"/parks/{park}?lang=en").get_data(as_text=True)
        row = _row(html, "data-layer", "synthetic")
        if n is None:  # the park's location is not published: nothing lies in it
            assert 'data-count=""' in row and "—" in row
        else:
            assert f'data-count="{n}"' in row
    assert per_park[UNPLACED_PARK] is None


def test_park_pages_without_user_layers_have_no_layer_section(client):
    html = client.get(f"/parks/{PARK}?lang=en").get_data(as_text=True)
    assert "park-layer-counts" not in html and "User layers" not in html
    assert 'class="layer-col"' not in client.get("/parks?lang=en").get_data(as_text=True)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_parks_comparison_has_a_column_per_user_layer(user_client, per_park, lang):
    html = user_client.get(f"/parks?lang={lang}").get_data(as_text=True)
    assert re.search(rf'<th data-layer="synthetic" class="layer-col"><a [^>]*>{re.escape(TITLE[lang])}</a></th>', html)
    for park, n in per_park.items():
        row = _row(html, "data-park", park)
        cell = re.search(r'<td data-layer="synthetic" class="num">([^<]*)</td>', row)
        assert cell and cell.group(1) == ("—" if n is None else f"{n:,}")


def test_parks_csv_has_a_column_per_user_layer(user_client, per_park):
    text = user_client.get("/parks.csv?lang=en").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][-1] == TITLE["en"]
    assert {r[0]: r[-1] for r in rows[1:]} == {p: "" if n is None else str(n) for p, n in per_park.items()}


@pytest.fixture(scope="module")
def user_server(user_geodata):
    with serving(user_geodata) as url:
        yield url


def test_screenshots_of_the_counts(chromium, user_server, artifacts, features, per_park):
    """What a user sees: the indicators page (English), a park profile and the comparison
    (Chinese) with the
    SYNTHETIC layer; the screenshots are looked at by a person (test-artifacts/)."""
    v = Visit(chromium, user_server, "en-GB", viewport={"width": 1280, "height": 900})
    v.open("/indicators?lang=en")
    cell = v.page.locator('tr[data-indicator="high-tech-enterprises"] td.imported')
    assert cell.inner_text().strip() == (
        f"imported: {len(features):,} features in layer “SYNTHETIC enterprises (test only)”, "
        "target 8000 enterprises · by year")
    by_year = cell.locator("a", has_text="by year").get_attribute("href")
    assert by_year.startswith("#by-year-") and v.page.locator(by_year).count() == 1
    assert cell.is_visible()
    cell.scroll_into_view_if_needed()
    v.page.screenshot(path=str(artifacts / "stats-indicators-en.png"), full_page=True)
    v.close()
    v = Visit(chromium, user_server, "zh-CN", viewport={"width": 1280, "height": 900})
    v.open(f"/parks/{PARK}?lang=zh")
    table = v.page.locator("#park-layer-counts")
    table.scroll_into_view_if_needed()
    assert table.is_visible()
    assert v.page.locator('#park-layer-counts tr[data-layer="synthetic"] td.num').first.inner_text() == \
        f"{per_park[PARK]:,}"
    v.page.screenshot(path=str(artifacts / "stats-park-zh.png"), full_page=True)
    v.open("/parks?lang=zh")
    column = v.page.locator('#compare-table th[data-layer="synthetic"]')
    column.scroll_into_view_if_needed()
    assert column.is_visible()
    v.page.screenshot(path=str(artifacts / "stats-parks-zh.png"), full_page=True)
    v.close()
