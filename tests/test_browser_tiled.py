"""A collection too large to inline, in a real browser: the map page draws it from the API's
vector tiles (Leaflet.VectorGrid), holds only the tiles in view, opens a feature's popup from
the items API when it is clicked, and finds a listed feature it does not hold.
The collection is SYNTHETIC (100,000 invented points)."""

from __future__ import annotations

import pytest
from browser import Visit
from conftest import MINI_GEODATA, serving
from datafiles import geodata_with_synthetic, synthetic_points
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from corridor.tiles import TileIndex

#: Features drawn by the synthetic layer's tiles now on the map, and those tiles.
DRAWN = """() => {
    var l = window.corridorMaps.main.layers.synthetic, out = {features: 0, tiles: 0, ids: {}};
    for (var k in l._vectorTiles) {
        var r = l._vectorTiles[k];
        if (!r._map) { continue; }
        out.tiles++;
        for (var id in r._features) { out.features++; out.ids[id] = 1; }
    }
    out.distinct = Object.keys(out.ids).length;
    delete out.ids;
    return out; }"""
#: A drawn point of the synthetic layer well inside the map and 10 px from any other drawn
#: point (so that hovering it hovers it alone), with its page coordinates.
A_POINT = """() => {
    var M = window.corridorMaps.main, l = M.layers.synthetic, map = M.map;
    var box = map.getContainer().getBoundingClientRect(), pts = [];
    for (var k in l._vectorTiles) {
        var r = l._vectorTiles[k];
        if (!r._map) { continue; }
        for (var id in r._features) {
            pts.push(map.layerPointToContainerPoint(r._features[id].feature._point.add(r.getOffset())));
        }
    }
    function alone(cp) {
        var near = 0;
        for (var i = 0; i < pts.length; i++) { if (pts[i].distanceTo(cp) < 10) { near++; } }
        return near === 1;
    }
    for (var k in l._vectorTiles) {
        var r = l._vectorTiles[k];
        if (!r._map || r._tileCoord.z !== map.getZoom()) { continue; }
        for (var id in r._features) {
            var f = r._features[id].feature;
            var cp = map.layerPointToContainerPoint(f._point.add(r.getOffset()));
            if (cp.x > 250 && cp.x < box.width - 400 && cp.y > 120 && cp.y < box.height - 250
                    && alone(cp)) {
                return {id: id, n: f.properties.n || 1, name: f.properties.name_en,
                        x: box.left + cp.x, y: box.top + cp.y};
            }
        }
    }
    return null; }"""


@pytest.fixture(scope="module")
def big_server(tmp_path_factory):
    root = geodata_with_synthetic(tmp_path_factory.mktemp("big"), synthetic_points(100_000, seed=2),
                                  MINI_GEODATA)
    with serving(root) as url:
        yield url


def wait_drawn(v: Visit) -> dict:
    """Wait until the layer has loaded every tile of the view (Leaflet's GridLayer clears
    ``_loading`` then) and drawn some features; what it draws."""
    v.page.wait_for_function("() => !window.corridorMaps.main.layers.synthetic._loading")
    v.page.wait_for_function(DRAWN.replace("return out; }", "return out.features > 0; }"))
    return v.js(DRAWN)


def test_large_layer_is_drawn_from_vector_tiles(chromium, big_server, artifacts):
    v = Visit(chromium, big_server, "en-GB")
    page_bytes = []
    v.page.on("response", lambda r: page_bytes.append(len(r.body())) if r.url.endswith("/?lang=en") else None)
    v.open("/?lang=en")
    drawn = wait_drawn(v)
    # the tiles in view, thinned where dense: a small fraction of the 100,000 points
    assert 0 < drawn["tiles"] <= 40 and 0 < drawn["distinct"] <= drawn["features"] < 20_000
    asked = [u for u in v.requests if "/api/collections/synthetic/" in u]
    assert asked and all("/tiles/WebMercatorQuad/" in u for u in asked)  # no items pages
    zoom = v.js("() => window.corridorApp.map.getZoom()")
    assert all(f"/WebMercatorQuad/{zoom}/" in u for u in asked)  # only the opening view's tiles
    for u in asked:  # and only over the layer's extent (lon 120.0-120.7, lat 35.9-36.5)
        z, y, x = (int(p) for p in u.rsplit("/", 3)[1:])
        west, south, east, north = TileIndex(z, x, y).lonlat_bounds
        assert west < 120.72 and east > 119.98 and south < 36.52 and north > 35.88, u
    assert page_bytes and page_bytes[0] < 2_000_000
    # drawn in the collection's pane, listed in the layer control, kept in the permalink
    assert v.js("() => window.corridorMaps.main.layers.synthetic.options.pane") == "pane-synthetic"
    assert v.js("() => window.corridorApp.visibleLayers()").count("synthetic") == 1
    v.page.screenshot(path=str(artifacts / "map-tiled-layer-en.png"))
    v.close()


def hover_a_point(v: Visit, attempts: int = 5) -> dict:
    """Hover a drawn point of the layer until its tooltip shows; the point hovered.

    A point is picked once the view's tiles are drawn; on a busy machine the map may still
    settle (a tile redrawn, a late pan) between picking and hovering, so a hover that shows
    no tooltip is retried on a freshly picked point."""
    for _ in range(attempts):
        hit = v.page.wait_for_function(A_POINT).json_value()
        v.page.mouse.move(hit["x"], hit["y"])
        try:
            v.page.wait_for_selector(".leaflet-tooltip", timeout=5000)
            return hit
        except PlaywrightTimeout:
            v.page.mouse.move(5, 5)  # off the map, then pick again
            v.page.wait_for_timeout(500)
    raise AssertionError(f"no tooltip on {attempts} hovered points (last: {hit})")


def test_a_tile_feature_shows_its_name_and_fetches_its_popup(chromium, big_server, artifacts):
    v = Visit(chromium, big_server, "en-GB")
    v.open("/?lang=en&map=14/36.20/120.35&layers=land,districts,synthetic")
    wait_drawn(v)
    hit = hover_a_point(v)
    assert hit["name"] == "Synthetic point " + hit["id"].rsplit("-", 1)[1].lstrip("0")
    assert v.page.inner_text(".leaflet-tooltip") == hit["name"]
    v.page.mouse.click(hit["x"], hit["y"])
    popup = f".leaflet-popup .corridor-popup[data-fid='{hit['id']}']"
    v.page.wait_for_selector(f"{popup} .pp-name")
    feature = v.api(f"/api/collections/synthetic/items/{hit['id']}")
    assert v.page.inner_text(f"{popup} .pp-name") == feature["properties"]["name_en"]
    text = v.page.inner_text(popup)
    assert feature["properties"]["source"] in text and "±1 m" in text
    assert any(u.endswith(f"/api/collections/synthetic/items/{hit['id']}") for u in v.requests)
    # the accuracy circle of the open popup, around the point
    assert v.js("() => window.corridorApp.accuracy()")["fid"] == hit["id"]
    # in "which park/district is here" mode a click on the layer asks /api/at, opens no popup
    v.page.click("input[name=mode][value=at]")
    v.page.mouse.click(hit["x"], hit["y"])
    v.page.wait_for_selector("#at-result b")
    v.page.wait_for_selector(".leaflet-popup", state="detached")  # it fades out: 200 ms
    v.page.wait_for_timeout(300)
    assert v.page.locator(".leaflet-popup").count() == 0  # and no new one opened
    v.page.screenshot(path=str(artifacts / "map-tiled-popup-en.png"))
    v.close()


def test_a_listed_feature_of_a_tiled_layer_is_found_and_highlighted(chromium, big_server):
    v = Visit(chromium, big_server, "en-GB")
    v.open("/?lang=en")
    wait_drawn(v)
    v.page.fill("#search-input", "Synthetic point 4242")
    v.page.wait_for_selector("#search-results li[data-collection=synthetic]")
    fid = v.js("() => document.querySelector('#search-results li[data-collection=synthetic]').dataset.fid")
    v.page.click(f"#search-results li[data-fid='{fid}'] button")
    v.page.wait_for_selector(f".leaflet-popup .corridor-popup[data-fid='{fid}'] .pp-name")
    feature = v.api(f"/api/collections/synthetic/items/{fid}")
    lon, lat = feature["geometry"]["coordinates"]
    centre = v.js("() => window.corridorApp.map.getCenter()")
    assert abs(centre["lng"] - lon) < 1e-3 and abs(centre["lat"] - lat) < 1e-3
    assert v.js("() => window.corridorApp.map.getZoom()") >= 15
    # the search results are highlighted in the tiles that draw them
    style = v.js("(fid) => window.corridorMaps.main.layers.synthetic._overriddenStyles[fid]", fid)
    assert style and style["color"].lower() == "#ff00aa"
    v.close()
