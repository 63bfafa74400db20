"""The folium map builder and its helpers, without the app's routes or store (SYNTHETIC mini
catalog): only a bare Flask app, whose words (web.map.words) have their language."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html import escape

import pytest
from catalog import word
from flask import Flask
from pyproj import Geod
from shapely.geometry import Point, box

from corridor.checks import km as check_km
from corridor.checks import lang as check_lang
from corridor.errors import InvalidParameter, NotFound
from corridor.mapgeom import distance_buffer, geodesic_circle
from web.map.build import asset_files, build_map
from web.map.controls import key_html, legend_html
from web.map.latlon import bounds_latlon, label_point, latlon
from web.map.layers import collection_geojson
from web.map.options import MapOptions
from web.map.popup import LinkTemplates, format_accuracy, placement, popup_html
from web.map.style import HIGHLIGHT_COLOUR, MARKED_Z, POINTS_Z, STYLES, style_for
from web.map.words import KINDS, PLACEMENT, kind_label
from web.map.words import init_app as init_words

GEOD = Geod(ellps="WGS84")


def in_script(text: str, script: str) -> bool:
    """Whether ``text`` is in the script, literally or as JSON escapes it (\\uXXXX), also the
    HTML-safe way Jinja's ``tojson`` does (``<`` as ``\\u003c`` ...)."""
    as_json = json.dumps(text)[1:-1]
    html_safe = (as_json.replace("<", "\\u003c").replace(">", "\\u003e")
                 .replace("&", "\\u0026").replace("'", "\\u0027"))
    return text in script or as_json in script or html_safe in script


def pane_z(script: str) -> dict[str, int]:
    """Every pane folium creates in ``script``, with its z-index."""
    return {name: int(z) for name, z in re.findall(
        r'createPane\(\s*"([\w-]+)"\);\s*\w+\.style\.zIndex = (\d+);', script)}


@pytest.fixture(scope="module", autouse=True)
def words_app():
    """A bare app with the words' catalogs in its templates, its context around every test."""
    app = Flask("web")
    init_words(app)
    with app.app_context():
        yield app


@pytest.fixture(scope="module")
def parts_zh(mini_store):
    return build_map(mini_store, MapOptions(lang="zh"))


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


def test_configured_tiles_are_offered_but_off(mini_catalog, mini_store):
    from web.map.options import osm_tiles, tianditu_tiles

    parts = build_map(mini_store, MapOptions(lang="en", tiles=(*tianditu_tiles("KEY"), osm_tiles())))
    assert "tianditu.gov.cn/vec_w" in parts.script and "tk=KEY" in parts.script
    assert "tile.openstreetmap.org" in parts.script
    assert in_script("Online tiles", parts.script)
    for name in re.findall(r"var (tile_layer_\w+) = L.tileLayer", parts.script):
        assert f"{name}.remove();" in parts.script  # shown=False: removed at start


def test_legend_names_every_collection_in_the_language(mini_catalog, mini_store):
    for lang in ("zh", "en"):
        html = legend_html(mini_store, lang)
        for c in mini_catalog.collections.values():
            assert escape(c.title(lang)) in html
        assert word(lang, "Sea") in html
        marked = legend_html(mini_store, lang, marked="本园区: X")
        assert 'class="lg-item lg-marked"' in marked and "本园区: X" in marked


def test_main_map_key_is_short_and_the_layer_control_carries_titles_and_counts(
        mini_catalog, parts_zh, mini_store):
    # the layer control (with swatches) names every collection with its count ...
    for c in mini_catalog.collections.values():
        name = f'{escape(c.title("zh"))} <span class="lc-count">({len(c)})</span>'
        assert in_script(name, parts_zh.script), c.id
    # ... so the legend only explains the sea, line styles, accuracy circles and highlight
    key = key_html("en")
    for words in ("Sea", "solid line: district boundary (surveyed)", "dashed line: approximate extent",
                  "circle: how far off a position may be (shown with its popup)",
                  "magenta: query results"):
        assert escape(words) in key
        assert escape(word("zh", words)) in key_html("zh")
    assert key.count('class="lg-item"') == 5
    assert in_script(key_html("zh"), parts_zh.script)
    assert not in_script(legend_html(mini_store, "zh"), parts_zh.script)


def test_panes_stack_big_areas_under_small_ones_and_points_on_top(mini_catalog, parts_zh):
    z = pane_z(parts_zh.script)
    assert z["pane-land"] < z["pane-districts"] < z["pane-zones"] < z["pane-corridor"]
    assert z["pane-corridor"] < z["pane-bays"] < z["pane-parks"] < z["pane-universities"]
    # zones mixes areas (whole districts) and points: the points get a pane above every area
    assert z["pane-zones-points"] == POINTS_Z > max(
        v for k, v in z.items() if k not in ("pane-zones-points",))
    # (which features land in which pane is checked in the browser, on the real data)


def test_districts_and_bays_are_labelled_in_the_language(mini_catalog, mini_store):
    for lang in ("zh", "en"):
        parts = build_map(mini_store, MapOptions(lang=lang))
        assert "PlaceLabels" not in parts.script  # the macro renders script, not its name
        for cid in ("districts", "bays"):
            assert f'"label-{cid}"' in parts.script
            for _fid, row in mini_catalog.collection(cid).gdf.iterrows():
                lat, lon = label_point(row.geometry)
                assert in_script(escape(row[f"name_{lang}"]), parts.script)
                assert row.geometry.buffer(1e-9).contains(Point(lon, lat))


def test_marked_feature_is_drawn_labelled_and_in_the_legend(mini_catalog, mini_store):
    park = mini_catalog.collection("parks").feature("park-chip")
    parts = build_map(mini_store, MapOptions(lang="zh", controls=False), key="park",
                      collections=["land", "parks"], marked=[(park.geometry, "本园区: 合成芯片园")],
                      fit=park.geometry.bounds)
    assert pane_z(parts.script)["pane-marked"] == MARKED_Z
    assert f'"color": "{HIGHLIGHT_COLOUR}"' in parts.script and '"weight": 4' in parts.script
    assert '"label-marked"' in parts.script and in_script("本园区: 合成芯片园", parts.script)
    assert "lg-marked" in parts.script and "corridor-legend" in parts.script
    bare = build_map(mini_store, MapOptions(lang="zh", controls=False, legend=False),
                     key="park", collections=["land", "parks"])
    assert "corridor-legend" not in bare.script and "groupedLayers" not in bare.script
    unmarked = build_map(mini_store, MapOptions(lang="zh", controls=False), key="park",
                         collections=["land", "parks"])
    assert "pane-marked" not in unmarked.script and "lg-marked" not in unmarked.script


def test_styles_are_distinct_per_collection(mini_catalog):
    seen = {(style_for(cid).colour, style_for(cid).fill) for cid in mini_catalog.collections}
    assert len(seen) == len(mini_catalog.collections)
    assert set(mini_catalog.collections) <= set(STYLES)


def test_popup_has_both_names_kind_industries_plan_words_accuracy_and_links(mini_catalog):
    row = mini_catalog.collection("parks").feature("park-chip")
    props = {k: v for k, v in row.items() if k != "geometry"}
    html = popup_html("parks", props, "en", LinkTemplates(park="/parks/{fid}?lang={lang}"), profile=True)
    # the English name keeps its Chinese words, marked as Chinese for screen readers
    assert 'Synthetic <span lang="zh">芯片园</span>' in html and "合成芯片园" in html
    assert "park" in html and "semiconductors, artificial intelligence" in html
    assert "合成测试数据" in html and "测试" in html  # plan words and section reference
    assert "±1 m" in html and "approximate" in html
    assert "synthetic test fixture" in html  # the source
    assert 'href="/api/collections/parks/items/park-chip"' in html
    assert 'href="/parks/park-chip?lang=en"' in html
    uni = mini_catalog.collection("universities").feature("uni-a-north")
    html = popup_html("universities", dict(uni.drop("geometry")), "zh", LinkTemplates())
    assert "/parks/" not in html and "合成甲大学" in html and "高校校区" in html


@pytest.mark.parametrize("metres, text", [(1, "±1 m"), (600, "±600 m"), (999, "±999 m"),
                                          (1000, "±1 km"), (1500, "±1.5 km"), (30000, "±30 km")])
def test_accuracy_in_metres_or_kilometres(metres, text):
    assert format_accuracy(metres) == text


def _props(**kw):
    base = {"id": "x", "name_zh": "某设施", "name_en": "A facility", "kind": "major_facility",
            "source": "recalled", "accuracy_m": 30000, "approximate": True, "position_note": ""}
    return {**base, **kw}


@pytest.mark.parametrize("props, expected", [
    (_props(source="Home-institution placement (the lab's location), not its own site"), "home"),
    (_props(position_note="A fleet; No fixed site; placed at the national laboratory"), "home"),
    (_props(position_note="Placed at its host institute (CAS QIBEBT)"), "home"),
    (_props(position_note="Placed in its park; own building not located"), "home"),
    (_props(source="Symbolic placement only: no site", position_note="placed at the government"),
     "symbolic"),
    (_props(source="Approximate campus location from public knowledge; placed near the city"), None),
    (_props(position_note="District known; point within the district is an assumption"), None),
])
def test_placement_reads_the_curated_words(props, expected):
    assert placement(props) == expected


def test_popup_says_where_the_position_comes_from_and_how_far_off_it_may_be():
    html = popup_html("facilities", _props(
        source="Home-institution placement (recalled WGS84), not the facility's own site",
        position_note="No fixed site named in the plan"), "zh", LinkTemplates())
    assert '<span class="pp-acc">±30 km</span>' in html
    assert word("zh", PLACEMENT["home"]) in html and 'class="pp-row pp-placed pp-placed-home"' in html
    assert "No fixed site named in the plan" in html and word("zh", "Position note") in html
    assert "Home-institution placement" in html and word("zh", "Position source") in html
    plain = popup_html("universities", _props(kind="university_campus", accuracy_m=600,
                                              source="Approximate campus location"), "en",
                       LinkTemplates())
    assert "±600 m" in plain and "pp-placed" not in plain and "pp-note" not in plain
    assert "Approximate campus location" in plain


def test_popup_provenance_follows_the_language():
    props = _props(source="Home-institution placement (recalled WGS84), not its own site",
                   source_zh="按依托单位定位(凭记忆给出的 WGS84 位置),并非其自身地点",
                   position_note="Placed at its host institute; own site not published",
                   position_note_zh="置于其依托单位;其自身地点未公布")
    zh = popup_html("facilities", props, "zh", LinkTemplates())
    en = popup_html("facilities", props, "en", LinkTemplates())
    assert f'{word("zh", "Position source")}</b>: {escape(props["source_zh"])}' in zh
    assert f'{word("zh", "Position note")}</b>: {props["position_note_zh"]}' in zh
    assert props["source"] not in zh and props["position_note"] not in zh
    assert f'Position source</b>: {props["source"]}' in en
    assert f'Position note</b>: {props["position_note"]}' in en
    assert props["source_zh"] not in en and props["position_note_zh"] not in en
    # the home-institution flag reads the English wording, whatever the popup's language
    assert placement(props) == "home"
    assert word("zh", PLACEMENT["home"]) in zh and PLACEMENT["home"] in en


@pytest.mark.parametrize("lang, shown, hidden", [
    ("zh", "合成测试数据;非真实地点", "synthetic test fixture; not a real place"),
    ("en", "synthetic test fixture; not a real place", "合成测试数据;非真实地点"),
], ids=["zh", "en"])
def test_map_popups_give_the_source_in_the_maps_language(mini_catalog, lang, shown, hidden, mini_store):
    for c in mini_catalog.collections.values():
        for feat in collection_geojson(mini_store, mini_store.collection(c.id), lang, LinkTemplates())["features"]:
            popup = feat["properties"]["popup"]
            assert shown in popup and hidden not in popup, (c.id, feat["id"])
    parts = build_map(mini_store, MapOptions(lang=lang))
    assert in_script(shown, parts.script) and not in_script(hidden, parts.script)


def test_popup_escapes_data():
    props = {"id": "x", "name_zh": "<script>", "name_en": "a&b", "kind": "park",
             "plan_text": "<b>", "plan_ref": "1", "source": "s", "accuracy_m": 5}
    html = popup_html("parks", props, "zh", LinkTemplates())
    assert "<script>" not in html and "&lt;script&gt;" in html and "a&amp;b" in html


def test_build_map_rejects_unknown_collection(mini_catalog, mini_store):
    with pytest.raises(NotFound, match="nope"):
        build_map(mini_store, MapOptions(), collections=["nope"])


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


def test_kinds_are_named_in_each_language():
    # (that every msgid has its Chinese: tests/test_translations.py)
    for kind, msgid in KINDS.items():
        assert kind_label(kind, "en") == msgid and kind_label(kind, "zh") == word("zh", msgid) != msgid
    assert kind_label("park", "zh") == "园区" and kind_label("new_kind", "en") == "new kind"
    assert check_lang(None) == "zh" and check_lang("EN") == "en"
    with pytest.raises(InvalidParameter, match="fr"):
        check_lang("fr")


def test_the_domain_never_imports_flask():
    """Every module of corridor/ imports without pulling in Flask (or the web package)."""
    import pkgutil

    import corridor

    names = [m.name for m in pkgutil.walk_packages(corridor.__path__, "corridor.")]
    assert "corridor.store.engine.engine" in names and "corridor.queries" in names
    code = (f"import sys, importlib; [importlib.import_module(n) for n in {names!r}]; "
            "sys.exit(1 if {'flask', 'web'} & set(sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_user_layers_have_their_own_group_and_colours(user_client):
    # the layer control's group of imported layers, in the page's language
    assert in_script("User layers", user_client.get("/?lang=en").get_data(as_text=True))
    assert in_script(word("zh", "User layers"), user_client.get("/?lang=zh").get_data(as_text=True))
    plan_colours = {s.colour for s in STYLES.values()}
    user = {style_for(cid).colour for cid in ("firms", "sites", "parcels", "projects")}
    assert len(user) > 1 and not user & plan_colours and HIGHLIGHT_COLOUR not in user
    assert style_for("firms") == style_for("firms")  # the same in every process and page


def test_the_legend_lists_unplaced_features_in_store_order(store):
    """The same page from any process: the list of features not placed follows the store's
    order of collections and features (not a set's, which differs from process to process)."""
    html = legend_html(store, "en")
    listed = re.findall(r'<li data-fid="([^"]+)"', html.split('id="unplaced-list"', 1)[1])
    expected = [f.id for cid in store.collection_ids() for f in store.features(cid) if f.geometry is None]
    assert len({fid.split("-")[0] for fid in expected}) > 1 and listed == expected
