"""The map's "within N minutes" choice in a real browser, at 390 px and 1400 px, on a
SYNTHETIC road network imported as a user layer (tests/reachnets.py: every street invented).

What the map lists and draws is held to what ``/api/reach`` answers for the same question; the
permalink keeps the choice; bad minutes are refused before any request; and without a network
the choice is absent and the map says distances are straight lines."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import geopandas as gpd
import pytest
import shapely
from conftest import serving
from reachnets import TO_M, lonlat

from corridor.model import NewLayer
from corridor.store import Engine

SIZES = {"phone": (390, 844), "desktop": (1400, 900)}
DATA = Path(__file__).resolve().parents[1] / "geodata" / "data"
#: A real catalog feature the SYNTHETIC streets are laid around, so that a reach lists it.
ANCHOR = "ouc-laoshan"
SPACING_M, SIDE = 200.0, 11


def _anchor_xy() -> tuple[float, float]:
    doc = json.loads((DATA / "universities.geojson").read_text(encoding="utf-8"))
    lon, lat = next(f for f in doc["features"] if f["id"] == ANCHOR)["geometry"]["coordinates"]
    return TO_M.transform(lon, lat)


def synthetic_grid() -> gpd.GeoDataFrame:
    """SYNTHETIC streets: an 11 x 11 grid 200 m apart centred on the anchor (no real street)."""
    x0, y0 = _anchor_xy()
    half = SPACING_M * (SIDE - 1) / 2
    steps = [-half + i * SPACING_M for i in range(SIDE)]
    # a vertex at every crossing: streets meet only where they share a vertex
    lines = [shapely.LineString([lonlat(x0 + d, y0 + e) for e in steps]) for d in steps]
    lines += [shapely.LineString([lonlat(x0 + e, y0 + d) for e in steps]) for d in steps]
    return gpd.GeoDataFrame({"id": [f"s{i}" for i in range(len(lines))],
                             "highway": ["residential"] * len(lines)}, geometry=lines, crs="EPSG:4326")


def _origin() -> str:
    x0, y0 = _anchor_xy()
    return "{:.6f},{:.6f}".format(*lonlat(x0 + SPACING_M * 2 + 15.0, y0 + SPACING_M + 10.0))


@pytest.fixture(scope="module")
def network_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser-reach-layers")
    Engine.user_layers(root).put_layer(NewLayer("roads", synthetic_grid(),
                                                title_en="SYNTHETIC roads", title_zh="SYNTHETIC 路网"))
    with serving(layers_dir=root) as base:
        yield base


def _open(chromium, base, path, size, locale):
    from browser import Visit

    w, h = SIZES[size]
    v = Visit(chromium, base, locale, viewport={"width": w, "height": h})
    v.open(path)
    return v


def _listed(v) -> list[str]:
    return v.js("() => Array.from(document.querySelectorAll('#near-results li[data-fid]'))"
                ".map(e => e.dataset.fid)")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_minutes_draw_the_reach_the_api_answers_and_the_permalink_keeps_it(
        chromium, network_server, artifacts, size, lang):
    v = _open(chromium, network_server, f"/?lang={lang}", size, f"{lang}-CN" if lang == "zh" else "en-GB")
    try:
        assert v.js("() => !!document.getElementById('near-measure')")
        assert v.js("() => document.getElementById('straight-line-note') === null "
                    "|| document.getElementById('straight-line-note').hidden")
        v.js("""([of]) => { const m = document.querySelector('input[name=measure][value=minutes]');
                 m.checked = true; m.dispatchEvent(new Event('change'));
                 const el = document.getElementById('reach-minutes'); el.value = '4';
                 el.dispatchEvent(new Event('change'));
                 const t = document.getElementById('reach-mode'); t.value = 'drive';
                 t.dispatchEvent(new Event('change')); }""", [_origin()])
        assert not v.js("() => document.getElementById('reach-options').hidden")
        before = len(v.requests)
        v.js("of => window.corridorApp.runNear(of, 5)", _origin())
        v.page.wait_for_function("() => /\\d/.test(document.getElementById('near-message')"
                                 "?.textContent || '')", timeout=30000)
        asked = [u for u in v.requests[before:] if "/api/reach?" in u]
        assert asked, "the map asked /api/reach"
        q = parse_qs(urlsplit(asked[-1]).query)
        assert (q["minutes"], q["mode"], q["network"]) == (["4"], ["drive"], ["roads"])
        doc = v.api("/api/reach", of=_origin(), minutes=4, network="roads", mode="drive",
                    collections=q["collections"][0])
        expected = sorted(f["id"] for f in doc["features"])
        assert ANCHOR in expected, "the reach lists the feature the streets surround"
        assert sorted(_listed(v)) == expected
        message = v.js("() => document.getElementById('near-message').textContent")
        assert str(len(expected)) in message and str(doc["properties"]["nodes_reached"]) in message
        link = v.js("() => document.getElementById('permalink').value")
        assert "minutes=4" in link and "travel=drive" in link and "network=roads" in link
        v.page.screenshot(path=artifacts / f"reach-{lang}-{size}.png")
    finally:
        v.close()
    w = _open(chromium, network_server, link.replace(network_server, ""), size, "en-GB")
    try:
        w.page.wait_for_function("() => document.querySelectorAll('#near-results li[data-fid]').length > 0",
                                 timeout=30000)
        assert w.js("() => document.querySelector('input[name=measure][value=minutes]').checked")
        assert w.js("() => document.getElementById('reach-minutes').value") == "4"
        assert sorted(_listed(w)) == expected
    finally:
        w.close()


@pytest.mark.parametrize("bad", ["0", "181", ""])
def test_bad_minutes_are_refused_before_any_request(chromium, network_server, bad):
    v = _open(chromium, network_server, "/?lang=en", "desktop", "en-GB")
    try:
        v.js("""(bad) => { const m = document.querySelector('input[name=measure][value=minutes]');
                 m.checked = true; m.dispatchEvent(new Event('change'));
                 const el = document.getElementById('reach-minutes'); el.value = bad;
                 el.dispatchEvent(new Event('change')); }""", bad)
        before = len(v.requests)
        v.js("of => window.corridorApp.runNear(of, 5)", _origin())
        message = v.js("() => document.getElementById('near-message').textContent")
        assert "at most 180 minutes" in message
        assert not [u for u in v.requests[before:] if "/api/reach" in u]
    finally:
        v.close()


def test_without_a_network_the_map_says_distances_are_straight_lines(visit):
    v = visit("/?lang=en")
    assert v.js("() => document.getElementById('near-measure') === null")
    note = v.js("() => document.getElementById('straight-line-note').textContent")
    assert "straight lines" in note
