"""A collection too large to inline, in a real browser: the map page fetches the features in
view from the API, draws them in the collection's pane and style, and stays small.
The collection is SYNTHETIC (100,000 invented points)."""

from __future__ import annotations

import pytest
from browser import Visit
from conftest import MINI_GEODATA, serving
from datafiles import geodata_with_synthetic, synthetic_points


@pytest.fixture(scope="module")
def big_server(tmp_path_factory):
    root = geodata_with_synthetic(tmp_path_factory.mktemp("big"), synthetic_points(100_000, seed=2),
                                  MINI_GEODATA)
    with serving(root) as url:
        yield url


def test_large_layer_is_fetched_for_the_view(chromium, big_server, artifacts):
    from web.map.build import FETCH_LIMIT

    v = Visit(chromium, big_server, "en-GB")
    page_bytes = []
    v.page.on("response", lambda r: page_bytes.append(len(r.body())) if r.url.endswith("/?lang=en") else None)
    v.open("/?lang=en")
    v.page.wait_for_function(
        "() => { var n = 0; window.corridorMaps.main.layers.synthetic.eachLayer(function () { n++; });"
        " return n > 0; }")
    drawn = v.js("""() => {
        var l = window.corridorMaps.main.layers.synthetic, out = {n: 0, panes: {}};
        l.eachLayer(function (m) { out.n++; out.panes[m.options.pane] = true; });
        return out; }""")
    assert drawn["n"] == FETCH_LIMIT  # a view's worth, not 100,000
    assert list(drawn["panes"]) == ["pane-synthetic"]
    asked = [u for u in v.requests if "/api/collections/synthetic/items?" in u]
    assert asked and all("bbox=" in u and f"limit={FETCH_LIMIT}" in u for u in asked)
    assert page_bytes and page_bytes[0] < 2_000_000
    v.page.screenshot(path=str(artifacts / "map-fetched-layer-en.png"))
    v.close()
