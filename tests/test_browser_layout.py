"""The pages at phone (390x844), tablet (768x1024) and desktop (1400x900) sizes, in a real
browser: no script errors and no request off the app's host at any size (Visit checks both),
nothing wider than the screen, the map opening on the corridor, the panel a bottom sheet on a
phone, the layer control and key collapsed on small maps. Screenshots of every size in both
languages go to test-artifacts/ for a person to look at."""

from __future__ import annotations

import math

import pytest
from browser import Visit

SIZES = {"small-phone": (360, 740), "phone": (390, 844), "tablet": (768, 1024), "desktop": (1400, 900)}


@pytest.fixture()
def sized(visit):
    """Open a page in a window of one of :data:`SIZES`."""

    def make(size: str, path: str, locale: str = "zh-CN"):
        w, h = SIZES[size]
        return visit(path, locale, viewport={"width": w, "height": h})

    return make


def mercator_px(lon: float, lat: float, zoom: int) -> tuple[float, float]:
    """Web Mercator pixel coordinates (256-pixel tiles) of lon, lat at ``zoom``."""
    scale = 256 * 2 ** zoom
    x = (lon + 180) / 360 * scale
    s = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * scale
    return x, y


def fitting_zoom(extent, width: float, height: float) -> int:
    """The largest whole zoom at which the lon/lat ``extent`` fits ``width`` x ``height`` px."""
    minx, miny, maxx, maxy = extent
    for z in range(18, 0, -1):
        x0, y1 = mercator_px(minx, miny, z)
        x1, y0 = mercator_px(maxx, maxy, z)
        if x1 - x0 <= width and y1 - y0 <= height:
            return z
    return 0


def _no_sideways_scroll(v: Visit) -> None:
    assert v.js("document.documentElement.scrollWidth <= window.innerWidth"), v.js(
        "[document.documentElement.scrollWidth, window.innerWidth]")


def _map_box(v: Visit, extent) -> dict:
    minx, miny, maxx, maxy = extent
    return v.js("""b => {
        const m = window.corridorApp.map, r = m.getContainer().getBoundingClientRect();
        const sw = m.latLngToContainerPoint([b[1], b[0]]), ne = m.latLngToContainerPoint([b[3], b[2]]);
        return {left: r.left, top: r.top, w: r.width, h: r.height, x0: sw.x, x1: ne.x, y0: ne.y,
                y1: sw.y, zoom: m.getZoom()};
    }""", [minx, miny, maxx, maxy])


def _collapsed(v: Visit, selector: str) -> bool:
    return v.js("s => document.querySelector(s).classList.contains('is-collapsed')", selector)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", list(SIZES))
def test_map_page_at_every_size(sized, catalog, artifacts, size, lang):
    w, h = SIZES[size]
    v = sized(size, f"/?lang={lang}", "zh-CN" if lang == "zh" else "en-GB")
    _no_sideways_scroll(v)
    # the permalink is filled in (the script ran to its end)
    assert v.page.input_value("#permalink").startswith(v.base + "/?lang=" + lang)
    # every navigation link can be reached: inside the screen, or in a row that scrolls
    for link in v.page.locator(".topbar nav a").all():
        box = link.bounding_box()
        assert box["height"] < 40, box  # one line each
    extent = catalog.collection("corridor").extent
    box = _map_box(v, extent)
    # the whole corridor is in view ...
    assert -1 <= box["x0"] and box["x1"] <= box["w"] + 1, box
    assert -1 <= box["y0"] and box["y1"] <= box["h"] + 1, box
    # ... and not needlessly small: at most one zoom level below the largest at which it
    # fits the map (less a margin for the controls)
    best = fitting_zoom(extent, box["w"] - 60, box["h"] - 60)
    assert box["zoom"] >= best - (1 if size == "desktop" else 0), (box, best)
    layers, legend = ".leaflet-control-layers", ".corridor-legend"
    if size == "desktop":
        assert box["w"] >= 0.7 * w
        assert not _collapsed(v, layers) and not _collapsed(v, legend)
        assert v.page.locator("#search-input").is_visible()
    else:
        # small maps: the layer control and the key are one button each, and open on a click
        assert _collapsed(v, layers) and _collapsed(v, legend)
        assert v.page.locator(f"{layers} label").first.is_hidden()
        v.page.locator(f"{layers} > .ctl-toggle").click()
        assert v.page.locator(f"{layers} label").first.is_visible()
        assert v.page.locator(f"{layers} > .ctl-toggle").get_attribute("aria-expanded") == "true"
        v.page.locator(f"{layers} > .ctl-toggle").click()
        assert box["zoom"] >= 8  # the corridor, not the whole region at zoom 7
    if size == "phone":
        # the map takes the width; the panel is a closed sheet under it, opened by its heading
        assert box["w"] == w and box["h"] > 0.6 * h, box
        assert v.page.locator("#search-input").is_hidden()
        toggle = v.page.locator("#panel-toggle")
        assert toggle.get_attribute("aria-expanded") == "false"
        tb = toggle.bounding_box()
        assert tb["y"] + tb["height"] <= h + 1 and tb["y"] > box["top"] + box["h"] - 1
        v.page.screenshot(path=artifacts / f"layout-map-{lang}-{w}.png")
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true"
        assert v.page.locator("#search-input").is_visible()
        after = _map_box(v, extent)
        assert after["h"] >= 0.35 * h  # the map still shows above the sheet
        _no_sideways_scroll(v)
        v.page.screenshot(path=artifacts / f"layout-map-{lang}-{w}-panel.png")
    else:
        v.page.screenshot(path=artifacts / f"layout-map-{lang}-{w}.png")


@pytest.mark.parametrize("size", list(SIZES))
def test_content_pages_fit_every_size(sized, catalog, artifacts, size):
    w, _ = SIZES[size]
    park = catalog.collection("parks").gdf.index[1]
    for lang in ("zh", "en"):
        v = sized(size, f"/parks/{park}?lang={lang}", "en-GB")
        _no_sideways_scroll(v)
        words = v.page.locator(".profile-grid > div").nth(0).bounding_box()
        small_map = v.page.locator(".small-map").bounding_box()
        if size == "desktop":  # two columns side by side
            assert small_map["x"] > words["x"] + words["width"] - 1
        else:  # one column: the map under the words, as wide as them
            assert small_map["y"] >= words["y"] + words["height"] - 1
            assert abs(small_map["width"] - words["width"]) < 2
        v.page.screenshot(path=artifacts / f"layout-park-{lang}-{w}.png", full_page=True)
        for path in (f"/parks?lang={lang}", f"/indicators?lang={lang}"):
            v.open(path)
            _no_sideways_scroll(v)  # wide tables scroll inside their own box
        v.page.screenshot(path=artifacts / f"layout-indicators-{lang}-{w}.png", full_page=True)
