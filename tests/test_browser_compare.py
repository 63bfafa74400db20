"""The side-by-side view (/compare) in a real browser at 390 px and 1400 px: each map shows
exactly the features that stand by the end of its year (expected from the data files, read
with plain json), the two maps move together, the permalink opens on the same years and
view, and no request leaves the app's host (the Visit helper checks that on teardown).
Plus the 400s of bad years, with the test client."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "geodata" / "data"
SIZES = {"phone": (390, 844), "desktop": (1400, 900)}
#: The basemap's collections: drawn on both sides, not counted in the legends.
BASEMAP = {c["id"] for c in tomllib.loads((DATA.parent / "collections.toml").read_text(encoding="utf-8"))
           ["collection"] if c["group"] == "basemap"}


def _features():
    for path in sorted(DATA.glob("*.geojson")):
        for f in json.loads(path.read_text(encoding="utf-8"))["features"]:
            if f["geometry"] is not None:
                yield path.stem, f


def expected(year: int, undated: bool, counted: bool = False) -> set[str]:
    """Ids of the placed features that stand by the end of ``year`` (datetime=../YYYY-12-31);
    ``counted``: only those the legend counts (not the basemap's)."""
    out = set()
    for cid, f in _features():
        if counted and cid in BASEMAP:
            continue
        iv = f["properties"].get("interval")
        if not iv:
            ok = True
        elif iv[0] is None:
            ok = f["properties"].get("status") != "planned" or undated
        else:
            ok = int(iv[0][:4]) <= year and (iv[1] is None or int(iv[1][:4]) >= year)
        if ok:
            out.add(f["id"])
    return out


def _open(visit, path: str, size: str, locale: str = "zh-CN"):
    w, h = SIZES[size]
    v = visit(None, locale, viewport={"width": w, "height": h})
    v.page.goto(v.base + path)
    v.page.wait_for_function("() => window.corridorCompare !== undefined")
    return v


def _shown(v, key: str) -> set[str]:
    return set(v.js(f"() => window.corridorCompare.shown('{key}')"))


def _total(v, key: str) -> int:
    return int(re.search(r"\d+", v.page.locator(f"#{key}-total").inner_text()).group())


def _view(v, key: str) -> list[float]:
    return v.js(f"""() => {{ const m = window.corridorCompare.sides[{0 if key == 'left' else 1}].map;
        const c = m.getCenter(); return [m.getZoom(), c.lat, c.lng]; }}""")


def _same_view(a: list[float], b: list[float]) -> bool:
    """The same zoom, and centres within two pixels (each map places its centre on a whole
    pixel)."""
    px = 360 / 256 / 2 ** a[0]
    return a[0] == b[0] and abs(a[1] - b[1]) < 2 * px and abs(a[2] - b[2]) < 2 * px


def _agree(v, zoom: int | None = None) -> bool:
    """Whether the two maps come to show the same view (at ``zoom`` if given): a drag's
    inertia and a zoom's animation end within a few seconds."""
    for _ in range(50):
        left = _view(v, "left")
        if (zoom is None or left[0] == zoom) and _same_view(left, _view(v, "right")):
            return True
        v.page.wait_for_timeout(100)
    return False


def _boxes(v) -> dict[str, dict]:
    return {key: v.page.locator(f"#side-{key} .folium-map").bounding_box() for key in ("left", "right")}


@pytest.mark.parametrize("size", SIZES)
def test_each_side_shows_its_year_and_the_maps_move_together(visit, artifacts, size):
    v = _open(visit, "/compare", size)
    assert v.page.locator("#left-title").inner_text() == "2020 现状"
    assert v.page.locator("#right-title").inner_text() == "2025 规划"
    assert _shown(v, "left") == expected(2020, False)
    assert _shown(v, "right") == expected(2025, True)
    assert expected(2020, False) != expected(2025, True)
    # the legend counts what each side shows
    assert _total(v, "left") == len(expected(2020, False, counted=True))
    assert _total(v, "right") == len(expected(2025, True, counted=True))
    # nothing sideways off the page (the navigation row scrolls on its own)
    assert v.js("() => document.documentElement.scrollWidth <= window.innerWidth")
    # both maps are on screen: side by side on a wide screen, stacked on a phone
    box = _boxes(v)
    assert all(b["width"] > 300 and b["height"] > 200 for b in box.values())
    if size == "desktop":
        assert box["right"]["x"] >= box["left"]["x"] + box["left"]["width"]
        assert abs(box["right"]["y"] - box["left"]["y"]) < 2
    else:
        assert box["right"]["y"] >= box["left"]["y"] + box["left"]["height"]
        assert box["left"]["x"] + box["left"]["width"] <= 390
        # both maps on the first screen
        assert box["right"]["y"] + box["right"]["height"] <= SIZES[size][1]
    v.page.screenshot(path=artifacts / f"compare-zh-{size}.png")

    # drag the left map the way a person does: the other follows, and so back
    before = _view(v, "right")
    b = box["left"]
    v.page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2)
    v.page.mouse.down()
    v.page.mouse.move(b["x"] + b["width"] / 2 - 120, b["y"] + b["height"] / 2 + 60, steps=8)
    v.page.mouse.up()
    assert _view(v, "right") != before
    assert _agree(v)
    v.js("() => window.corridorCompare.sides[1].map.setView([36.2, 120.4], 12)")
    assert _same_view(_view(v, "left"), [12, 36.2, 120.4])
    # zooming one (its + button) zooms the other
    v.page.locator("#side-left .leaflet-control-zoom-in").click()
    assert _agree(v, zoom=13)

    # a year chosen the way a person does, and the planned-no-date box
    v.page.select_option("#left-year", "2023")
    assert _shown(v, "left") == expected(2023, False)
    assert v.page.locator("#left-title").inner_text() == "2023 现状"
    v.page.select_option("#right-year", "2024")
    v.page.locator("#right-undated").click()
    assert _shown(v, "right") == expected(2024, False)
    link = v.page.locator("#permalink").input_value()
    assert "left=2023" in link and "right=2024" in link and "undated=0" in link
    view = _view(v, "left")

    again = _open(visit, link[link.index("/compare"):], size)
    assert again.page.locator("#left-year").input_value() == "2023"
    assert again.page.locator("#right-year").input_value() == "2024"
    assert not again.page.locator("#right-undated").is_checked()
    assert _shown(again, "left") == expected(2023, False)
    assert _shown(again, "right") == expected(2024, False)
    assert _same_view(_view(again, "left"), view)
    assert _same_view(_view(again, "right"), view)


@pytest.mark.parametrize("size", SIZES)
def test_the_english_view_and_its_language_switch_keep_the_years(visit, artifacts, size):
    v = _open(visit, "/compare?lang=en&left=2021&right=2025", size, locale="en-US")
    assert v.page.locator("#left-title").inner_text() == "2021 current state"
    assert v.page.locator("#right-title").inner_text() == "2025 planned"
    assert _shown(v, "left") == expected(2021, False)
    v.page.screenshot(path=artifacts / f"compare-en-{size}.png")
    switch = v.page.locator("#lang-switch").get_attribute("href")
    assert "lang=zh" in switch and "left=2021" in switch and "map=" in switch


def test_the_map_page_links_to_the_side_by_side_view(client):
    body = client.get("/?lang=en", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'href="/compare?lang=en" id="compare-link"' in body
    assert 'href="/compare?lang=en" id="nav-compare"' in body


@pytest.mark.parametrize("query,named", [
    ("left=2019", "'2019'"), ("right=2026", "'2026'"), ("left=abc", "'abc'"),
    ("right=2020.5", "'2020.5'"), ("left=", "''"), ("undated=yes", "'yes'"),
])
@pytest.mark.parametrize("lang,years", [("en", "from 2020 to 2025"), ("zh", "2020 至 2025")])
def test_bad_years_are_a_400_naming_the_value_and_the_range(client, query, named, lang, years):
    resp = client.get(f"/compare?{query}&lang={lang}", headers={"Accept": "text/html"})
    assert resp.status_code == 400
    body = resp.get_data(as_text=True).replace("&#39;", "'")
    assert named in body
    if not query.startswith("undated"):
        assert years in body
        assert query.split("=")[0] + "=" in body


def test_the_view_runs_under_its_content_security_policy(visit):
    v = visit(None, "zh-CN", enforce_csp=True)
    v.page.goto(v.base + "/compare?left=2021")
    v.page.wait_for_load_state("load")
    assert v.js("() => window.corridorCompare.shown('left').length") == len(expected(2021, False))
