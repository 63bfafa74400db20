"""The API's response cache (:func:`web.api.http.responses`): a repeated GET is one look-up
(no view work, no compression), its key is what decides the answer, an edit makes new
answers, and the cache keeps its bounds in entries and bytes. The user layer is SYNTHETIC."""

from __future__ import annotations

import gzip

import pytest
from conftest import MINI_GEODATA
from datafiles import synthetic_frame

from corridor.model import NewLayer
from corridor.store import Engine
from web.api import http

TOKEN = "response-cache-test-token"
GZIP = {"Accept-Encoding": "gzip"}


@pytest.fixture()
def app(tmp_path):
    from web import create_app

    Engine.user_layers(tmp_path / "layers").put_layer(
        NewLayer("firms", synthetic_frame(60), title_en="SYNTHETIC firms"))
    app = create_app({"TESTING": True, "ADMIN_TOKEN": TOKEN, "GEODATA_DIR": str(MINI_GEODATA),
                      "LAYERS_DIR": str(tmp_path / "layers")})
    yield app
    app.extensions["corridor_store"].close()


def counting(monkeypatch, store, name: str) -> list[str]:
    """Count the calls of the store's method ``name`` (by collection id)."""
    calls: list[str] = []
    method = getattr(store, name)

    def counted(cid, *args, **kwargs):
        calls.append(cid)
        return method(cid, *args, **kwargs)

    monkeypatch.setattr(store, name, counted)
    return calls


def test_a_repeated_get_asks_the_store_once_and_serves_both_forms(app, monkeypatch):
    calls = counting(monkeypatch, app.extensions["corridor_store"], "items")
    client = app.test_client()
    first = client.get("/api/collections/firms/items?limit=50", headers=GZIP)
    again = client.get("/api/collections/firms/items?limit=50", headers=GZIP)
    plain = client.get("/api/collections/firms/items?limit=50")
    assert first.status_code == again.status_code == plain.status_code == 200
    assert calls == ["firms"]
    assert first.headers["Content-Encoding"] == again.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain.headers
    assert first.get_data() == again.get_data()
    assert gzip.decompress(again.get_data()) == plain.get_data()
    assert len(plain.get_json()["features"]) == 50
    assert first.headers["ETag"] == again.headers["ETag"] == plain.headers["ETag"]
    assert "Accept-Encoding" in again.headers["Vary"] and "Accept" in again.headers["Vary"]
    # the view's own headers are kept with the bytes
    assert again.headers["Content-Crs"] == first.headers["Content-Crs"]
    # a revalidation of the kept answer is a 304 with its validator
    cond = client.get("/api/collections/firms/items?limit=50",
                      headers={**GZIP, "If-None-Match": first.headers["ETag"]})
    assert cond.status_code == 304 and cond.headers["ETag"] == first.headers["ETag"]
    assert calls == ["firms"]


def test_the_key_is_what_decides_the_answer(app, monkeypatch):
    """Parameter order does not matter; the values, their order within one name, Accept and
    Accept-Language do."""
    calls = counting(monkeypatch, app.extensions["corridor_store"], "items")
    client = app.test_client()
    a = client.get("/api/collections/firms/items?limit=3&offset=2")
    b = client.get("/api/collections/firms/items?offset=2&limit=3")
    assert a.get_data() == b.get_data() and len(calls) == 1
    client.get("/api/collections/firms/items?offset=3&limit=3")
    assert len(calls) == 2
    html = client.get("/api/collections/firms/items?offset=2&limit=3", headers={"Accept": "text/html"})
    assert html.content_type.startswith("text/html") and len(calls) == 3
    en = client.get("/api/collections/firms/items?offset=2&limit=3",
                    headers={"Accept": "text/html", "Accept-Language": "en"})
    assert len(calls) == 4 and en.get_data() != html.get_data()


def test_an_edit_makes_new_answers(app):
    client = app.test_client()
    before = client.get("/api/collections/firms/items?limit=1").get_json()
    assert before["numberMatched"] == 60
    made = client.post("/api/collections/firms/items", headers={"Authorization": f"Bearer {TOKEN}"},
                       json={"type": "Feature", "properties": {"name_en": "SYNTHETIC new firm"},
                             "geometry": {"type": "Point", "coordinates": [120.38, 36.07]}})
    assert made.status_code == 201, made.get_data(as_text=True)
    after = client.get("/api/collections/firms/items?limit=1")
    assert after.get_json()["numberMatched"] == 61
    assert after.headers["ETag"] != client.get("/api/collections/firms/items?limit=2").headers["ETag"]


def test_spatial_answers_are_kept_as_final_bytes(app):
    client = app.test_client()
    url = "/api/near?of=120.38,36.07&km=5&collections=firms"
    first = client.get(url, headers=GZIP)
    kept = http_cache(app)
    held = len(kept)
    again = client.get(url, headers=GZIP)
    assert first.status_code == again.status_code == 200 and len(kept) == held
    with app.test_request_context(url, headers=GZIP):
        entry = kept.get(http.response_key())
    assert entry is not None and entry.body.gzipped == again.get_data()
    features = gzip.decompress(again.get_data())
    assert b'"distance_km"' in features


def http_cache(app):
    with app.app_context():
        return http.responses()


def test_the_cache_keeps_its_bounds(app, monkeypatch):
    monkeypatch.setattr(http, "MAX_RESPONSES", 5)
    monkeypatch.setattr(http, "MAX_KEPT_BYTES", 12_000)
    client = app.test_client()
    for offset in range(20):
        assert client.get(f"/api/collections/firms/items?limit=2&offset={offset}").status_code == 200
    kept = http_cache(app)
    assert len(kept) == 5 and kept.max_entries == 5
    assert kept.maxsize == http.MAX_RESPONSE_BYTES and 0 < kept.currsize <= kept.maxsize
    # an answer larger than MAX_KEPT_BYTES (both forms) is served (compressed as it goes) but not kept
    big = client.get("/api/collections/firms/items?limit=60", headers=GZIP)
    assert big.status_code == 200 and len(gzip.decompress(big.get_data())) > 12_000
    with app.test_request_context("/api/collections/firms/items?limit=60"):
        assert kept.get(http.response_key()) is None
    assert len(kept) == 5


def test_edits_and_map_views_keep_the_page_caches_within_their_bounds(app):
    """Every edit is a new data version, so every map view after it renders anew; the maps
    and pages of old versions leave (the worker's memory grew without bound when they did
    not: benchmarks/bench_memory.py measures it)."""
    from web.pages import cache as pages_cache
    from web.pages import mapview

    client = app.test_client()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    versions = set()
    for i in range(5):
        made = client.post("/api/collections/firms/items", headers=auth,
                           json={"type": "Feature", "properties": {"name_en": f"SYNTHETIC edit {i}"},
                                 "geometry": {"type": "Point", "coordinates": [120.38 + i * 0.001, 36.07]}})
        assert made.status_code == 201
        versions.add(app.extensions["corridor_store"].version)
        for lang in ("zh", "en"):
            assert client.get(f"/?lang={lang}").status_code == 200
    assert len(versions) == 5
    maps = app.extensions["corridor_map_parts"]
    pages = app.extensions["corridor_page_cache"]
    assert len(maps) == mapview.MAX_MAPS == maps.maxsize
    assert pages.renders >= 10 and 0 < pages.nbytes <= pages_cache.MAX_PAGE_BYTES


def test_an_encoded_ampersand_is_part_of_its_value_in_the_key(app):
    """``kind=a%26name_en%3Dx`` is one parameter whose value holds ``&``; ``kind=a&name_en=x``
    is two. Each gets its own entry (decoded and joined, the two would read alike)."""
    client = app.test_client()
    one = client.get("/api/collections/universities/items?kind=university%26name_en%3Dx")
    two = client.get("/api/collections/universities/items?kind=university&name_en=x")
    assert one.status_code == two.status_code == 200
    assert "kind=university%26name_en%3Dx" in one.get_data(as_text=True)
    assert "kind=university&name_en=x" in two.get_data(as_text=True)


def test_normal_query_orders_names_and_keeps_each_names_values_in_order():
    from web.api.http import normal_query

    assert normal_query("b=1&a=2") == normal_query("a=2&b=1")
    assert normal_query("a=1&a=2") != normal_query("a=2&a=1")
    assert normal_query("%61=1&a=2") != normal_query("a=2&%61=1")  # one decoded name, two orders
    assert normal_query("a=b%26c%3Dd") != normal_query("a=b&c=d")
    assert normal_query("") == ()


def test_a_repeated_tile_is_one_look_up_with_its_own_validator(app, monkeypatch):
    """A tile's view keeps its answer in the response cache too: the second request renders
    nothing and reads no tile cache, and keeps the tile's (collection-version) ETag."""
    from web.api import tiles

    rendered = []
    real = tiles.render_tile
    monkeypatch.setattr(tiles, "render_tile", lambda *a: rendered.append(a) or real(*a))
    client = app.test_client()
    url = "/api/collections/firms/tiles/WebMercatorQuad/11/803/1708"
    first = client.get(url, headers=GZIP)
    assert first.status_code in (200, 204) and len(rendered) == 1
    looked = []
    monkeypatch.setattr(tiles, "_cached_tile", lambda *a: looked.append(a))  # must not be asked
    again = client.get(url, headers=GZIP)
    assert looked == [] and again.get_data() == first.get_data()
    assert again.headers["ETag"] == first.headers["ETag"] and again.status_code == first.status_code
    assert again.headers["Content-Type"] == first.headers.get("Content-Type")
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("origins", ["*", "https://planning.example, https://gis.example"])
def test_a_kept_answer_keeps_flask_cors_headers_for_its_origin(origins, monkeypatch, tmp_path):
    """The kept answer holds the CORS headers flask-cors gave the first request; another
    Origin is another entry, so an allowed origin is never echoed to a different one."""
    from web import create_app

    monkeypatch.setenv("CORRIDOR_CORS_ORIGINS", origins)
    app = create_app({"TESTING": True, "GEODATA_DIR": str(MINI_GEODATA)})
    client = app.test_client()
    url = "/api/collections/parks/items?limit=2"
    seen = {}
    for origin in ["https://gis.example", "https://planning.example", "https://elsewhere.example", None]:
        headers = {"Origin": origin} if origin else {}
        first, again = client.get(url, headers=headers), client.get(url, headers=headers)
        assert first.status_code == again.status_code == 200
        cors = [(k, v) for k, v in first.headers.items() if k.startswith("Access-Control-")]
        assert cors == [(k, v) for k, v in again.headers.items() if k.startswith("Access-Control-")]
        assert first.headers.get("Vary") == again.headers.get("Vary")
        seen[origin] = again.headers.getlist("Access-Control-Allow-Origin")
        with app.test_request_context(url, headers=headers):
            entry = http_cache(app).get(http.response_key())
        assert entry is not None
    if origins == "*":
        assert all(v == ["*"] for v in seen.values())
    else:  # without an Origin, flask-cors names the first allowed one (its always_send)
        assert seen == {"https://gis.example": ["https://gis.example"],
                        "https://planning.example": ["https://planning.example"],
                        "https://elsewhere.example": [],
                        None: ["https://gis.example"]}
