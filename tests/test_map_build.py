"""The folium map builder and its helpers, without Flask (SYNTHETIC mini catalog)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html import escape

import pytest
from pyproj import Geod
from shapely.geometry import Point, box

from corridor.errors import InvalidParameter, NotFound
from corridor.i18n import KINDS, UI, check_lang, kind_label, t
from corridor.mapgeom import check_km, distance_buffer, geodesic_circle
from corridor.mapping import MapOptions, asset_files, bounds_latlon, build_map, latlon, legend_html
from corridor.mappopup import LinkTemplates, popup_html
from corridor.mapstyle import STYLES, style_for

GEOD = Geod(ellps="WGS84")


def in_script(text: str, script: str) -> bool:
    """Whether ``text`` is in the script, literally or as JSON escapes it (\\uXXXX)."""
    return text in script or json.dumps(text)[1:-1] in script


@pytest.fixture(scope="module")
def parts_zh(mini_catalog):
    return build_map(mini_catalog, MapOptions(lang="zh"))


def test_latlon_is_the_one_swap():
    assert latlon(120.4, 36.1) == [36.1, 120.4]
    assert bounds_latlon((120.0, 35.9, 120.7, 36.4)) == [[35.9, 120.0], [36.4, 120.7]]


def test_every_collection_is_a_layer_and_published_to_the_script(mini_catalog, parts_zh):
    assert set(parts_zh.layer_names) == set(mini_catalog.collections)
    for cid, var in parts_zh.layer_names.items():
        assert f'"{cid}": {var}' in parts_zh.script
        assert f"pane-{cid}" in parts_zh.script
    # every feature id is in the embedded data
    for c in mini_catalog.collections.values():
        for fid in c.gdf.index:
            assert f'"{fid}"' in parts_zh.script


def test_grouped_layer_control_legend_scale_measure_fullscreen(parts_zh):
    script = parts_zh.script
    assert "L.control.groupedLayers" in script
    for group in ("底图", "规划", "创新机构"):
        assert in_script(group, script)
    assert "corridor-legend" in script
    assert "L.control.scale({imperial: false" in script
    assert "L.Control.Measure" in script and '"localization": "cn"' in script
    assert "L.control.fullscreen" in script


def test_no_asset_from_another_host(parts_zh):
    html = parts_zh.header + parts_zh.html
    refs = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="([^"]+)"', html)
    assert refs, "expected the vendored assets to be linked"
    assert all(r.startswith("/vendor/") for r in refs), refs
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
    # no tile layer unless configured
    assert "tile.openstreetmap" not in parts_zh.script and "tianditu" not in parts_zh.script


def test_every_declared_asset_is_bundled_by_folium_offline():
    from offlinefolium.elements import _res

    files = asset_files()
    assert {"leaflet.js", "leaflet.css", "leaflet-measure.min.js",
            "Control.FullScreen.min.js", "leaflet.groupedlayercontrol.min.js"} <= set(files)
    assert all(url in _res for url in files.values())


def test_configured_tiles_are_offered_but_off(mini_catalog):
    from corridor.mapping import osm_tiles, tianditu_tiles

    parts = build_map(mini_catalog, MapOptions(lang="en", tiles=(*tianditu_tiles("KEY"), osm_tiles())))
    assert "tianditu.gov.cn/vec_w" in parts.script and "tk=KEY" in parts.script
    assert "tile.openstreetmap.org" in parts.script
    assert in_script("Online tiles", parts.script)
    for name in re.findall(r"var (tile_layer_\w+) = L.tileLayer", parts.script):
        assert f"{name}.remove();" in parts.script  # shown=False: removed at start


def test_legend_names_every_collection_in_the_language(mini_catalog):
    for lang in ("zh", "en"):
        html = legend_html(mini_catalog, lang)
        for c in mini_catalog.collections.values():
            assert escape(c.title(lang)) in html
        assert t(lang, "sea") in html


def test_styles_are_distinct_per_collection(mini_catalog):
    seen = {(style_for(cid).colour, style_for(cid).fill) for cid in mini_catalog.collections}
    assert len(seen) == len(mini_catalog.collections)
    assert set(mini_catalog.collections) <= set(STYLES)


def test_popup_has_both_names_kind_industries_plan_words_accuracy_and_links(mini_catalog):
    row = mini_catalog.collection("parks").feature("park-chip")
    props = {k: v for k, v in row.items() if k != "geometry"}
    html = popup_html("parks", props, "en", LinkTemplates(park="/parks/{fid}?lang={lang}"))
    assert "Synthetic 芯片园" in html and "合成芯片园" in html
    assert "park" in html and "semiconductors, artificial intelligence" in html
    assert "合成测试数据" in html and "测试" in html  # plan words and section reference
    assert "±1 m" in html and "approximate" in html
    assert 'href="/api/collections/parks/items/park-chip"' in html
    assert 'href="/parks/park-chip?lang=en"' in html
    uni = mini_catalog.collection("universities").feature("uni-a-north")
    html = popup_html("universities", dict(uni.drop("geometry")), "zh", LinkTemplates())
    assert "/parks/" not in html and "合成甲大学" in html and "高校校区" in html


def test_popup_escapes_data():
    props = {"id": "x", "name_zh": "<script>", "name_en": "a&b", "kind": "park",
             "plan_text": "<b>", "plan_ref": "1", "source": "s", "accuracy_m": 5}
    html = popup_html("parks", props, "zh", LinkTemplates())
    assert "<script>" not in html and "&lt;script&gt;" in html and "a&amp;b" in html


def test_build_map_rejects_unknown_collection(mini_catalog):
    with pytest.raises(NotFound, match="nope"):
        build_map(mini_catalog, MapOptions(), collections=["nope"])


@pytest.mark.parametrize("lon, lat, km", [(120.38, 36.07, 10), (120.0, 36.5, 0.5), (120.9, 35.7, 80)])
def test_geodesic_circle_is_exactly_km_away(lon, lat, km):
    ring = geodesic_circle(lon, lat, km).exterior.coords
    lons, lats = zip(*ring, strict=True)
    _az, _baz, dist = GEOD.inv([lon] * len(lons), [lat] * len(lats), lons, lats)
    assert max(abs(d - km * 1000) for d in dist) < 1e-3


def test_area_buffer_reaches_km_from_the_edge():
    park = box(120.35, 36.25, 120.40, 36.30)
    buf = distance_buffer(park, 5)
    assert buf.contains(park)
    # 4.99 km east of the east edge is inside, 5.01 km is not
    lon_in, lat_in, _ = GEOD.fwd(120.40, 36.275, 90, 4990)
    lon_out, lat_out, _ = GEOD.fwd(120.40, 36.275, 90, 5010)
    assert buf.contains(Point(lon_in, lat_in)) and not buf.contains(Point(lon_out, lat_out))


@pytest.mark.parametrize("bad", [0, -1, "x", float("nan"), 1e6, None])
def test_check_km_names_the_bad_value(bad):
    with pytest.raises(InvalidParameter, match="expected"):
        check_km(bad)


def test_i18n_tables_are_complete():
    for key, words in UI.items():
        assert set(words) == {"zh", "en"} and all(w.strip() for w in words.values()), key
        assert not hasattr(dict, key), f"{key} shadows a dict method in Jinja"
    for words in KINDS.values():
        assert set(words) == {"zh", "en"}
    assert kind_label("park", "zh") == "园区" and kind_label("new_kind", "en") == "new kind"
    assert check_lang(None) == "zh" and check_lang("EN") == "en"
    with pytest.raises(InvalidParameter, match="fr"):
        check_lang("fr")


def test_map_modules_never_import_flask():
    code = ("import sys, corridor.mapping, corridor.mapgeom, corridor.i18n; "
            "sys.exit(1 if 'flask' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
