"""OGC API - Features behaviour with exact expectations, on the SYNTHETIC mini catalog."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from datafiles import geodata_with_synthetic, synthetic_points

MINI_GEODATA = Path(__file__).resolve().parent / "fixtures" / "mini"

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
EPSG4549 = "http://www.opengis.net/def/crs/EPSG/0/4549"



@pytest.fixture()
def mini_client(any_mini_app):
    """The API over the SYNTHETIC mini data, in memory and in PostGIS."""
    return any_mini_app.test_client()


def ids(resp) -> list[str]:
    return [f["id"] for f in resp.get_json()["features"]]


def rels(doc) -> dict[str, dict]:
    return {link["rel"]: link for link in doc["links"]}


def test_landing_links(mini_client):
    doc = mini_client.get("/api").get_json()
    for rel in ("self", "service-desc", "service-doc", "conformance", "data"):
        assert rel in rels(doc)
    assert rels(doc)["service-desc"]["type"].startswith("application/vnd.oai.openapi+json")


def test_conformance_declares_the_parts(mini_client):
    classes = mini_client.get("/api/conformance").get_json()["conformsTo"]
    for suffix in ("features-1/1.0/conf/core", "features-1/1.0/conf/geojson",
                   "features-1/1.0/conf/html", "features-1/1.0/conf/oas30",
                   "features-2/1.0/conf/crs", "features-3/1.0/conf/queryables",
                   "features-3/1.0/conf/filter", "cql2/1.0/conf/cql2-text", "cql2/1.0/conf/cql2-json"):
        assert any(c.endswith(suffix) for c in classes), suffix


def test_collection_lists_crs_and_extent(mini_client):
    doc = mini_client.get("/api/collections/parks").get_json()
    assert doc["storageCrs"] == CRS84
    assert {CRS84, EPSG4326, EPSG4549, "http://www.opengis.net/def/crs/EPSG/0/4490"} <= set(doc["crs"])
    assert doc["extent"]["spatial"]["bbox"] == [[120.35, 36.25, 120.65, 36.35]]
    assert "items" in rels(doc)


def test_items_paging(mini_client):
    first = mini_client.get("/api/collections/parks/items?limit=1")
    doc = first.get_json()
    assert first.mimetype == "application/geo+json"
    assert first.headers["Content-Crs"] == f"<{CRS84}>"
    assert (doc["numberMatched"], doc["numberReturned"]) == (2, 1)
    assert doc["timeStamp"].endswith("Z")
    nxt = rels(doc)["next"]["href"]
    second = mini_client.get(nxt.replace("http://localhost", "")).get_json()
    assert [f["id"] for f in second["features"]] == ["park-sea"]
    assert "next" not in rels(second)
    assert ids(mini_client.get("/api/collections/parks/items")) == ["park-chip", "park-sea"]


#: Features in the SYNTHETIC "synthetic" collection: more than the API's page maximum (10000).
N_SYNTHETIC = 10_007
MAX_PAGE = 10_000


@pytest.fixture(scope="module")
def big_client(tmp_path_factory):
    """The mini data set plus one SYNTHETIC collection of N_SYNTHETIC invented points, so a
    page can be larger than the maximum. Built once per module."""
    from web import create_app

    root = geodata_with_synthetic(tmp_path_factory.mktemp("big-geodata"),
                                  synthetic_points(N_SYNTHETIC), MINI_GEODATA)
    return create_app({"TESTING": True, "GEODATA_DIR": str(root)}).test_client()


def test_limit_above_maximum_is_clamped(big_client):
    resp = big_client.get("/api/collections/synthetic/items?limit=20000")
    assert resp.status_code == 200
    doc = resp.get_json()
    # clamped to the maximum page, not the 20000 asked for nor all N_SYNTHETIC that exist
    assert len(doc["features"]) == MAX_PAGE
    assert (doc["numberReturned"], doc["numberMatched"]) == (MAX_PAGE, N_SYNTHETIC)
    assert [f["id"] for f in doc["features"]] == [f"synthetic-point-{i:05d}" for i in range(MAX_PAGE)]
    # the next link carries on from where the clamped page stopped, with the clamped limit
    nxt = rels(doc)["next"]["href"]
    query = parse_qs(urlsplit(nxt).query)
    assert (query["offset"], query["limit"]) == ([str(MAX_PAGE)], [str(MAX_PAGE)])
    rest = big_client.get(nxt.replace("http://localhost", "")).get_json()
    assert [f["id"] for f in rest["features"]] == [
        f"synthetic-point-{i:05d}" for i in range(MAX_PAGE, N_SYNTHETIC)]
    assert rest["numberReturned"] == N_SYNTHETIC - MAX_PAGE and "next" not in rels(rest)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("bbox=120.3,36.2,120.45,36.35", ["park-chip"]),
        (f"bbox=36.2,120.3,36.35,120.45&bbox-crs={EPSG4326}", ["park-chip"]),
        ("kind=park&approximate=true", ["park-chip", "park-sea"]),
        ("name_en=Synthetic 海洋园", ["park-sea"]),
        ("q=芯片", ["park-chip"]),
        ("industry=marine biomedicine", ["park-sea"]),
        ("filter=kind='park' AND name_zh LIKE '%海洋%'", ["park-sea"]),
        ("filter=S_INTERSECTS(geometry,POINT(120.37 36.27))", ["park-chip"]),
        ("filter=S_INTERSECTS(geometry,BBOX(120.6,36.3,120.7,36.4))", ["park-sea"]),
        (f"filter=S_INTERSECTS(geometry,POINT(36.27 120.37))&filter-crs={EPSG4326}", ["park-chip"]),
        ("filter=accuracy_m > 0.5 AND NOT approximate = false", ["park-chip", "park-sea"]),
        ('filter-lang=cql2-json&filter={"op":"=","args":[{"property":"id"},"park-sea"]}', ["park-sea"]),
        ("near=120.62,36.33&km=1", ["park-sea"]),
        ("near=facility-a&km=100", ["park-sea", "park-chip"]),
        ("datetime=2021-01-01T00:00:00Z/..", ["park-chip", "park-sea"]),
    ],
)
def test_items_filters(mini_client, query, expected):
    resp = mini_client.get(f"/api/collections/parks/items?{query}")
    assert resp.status_code == 200, resp.get_json()
    assert ids(resp) == expected


def test_near_adds_sorted_distances(mini_client):
    feats = mini_client.get("/api/collections/parks/items?near=facility-a&km=100").get_json()["features"]
    dists = [f["properties"]["distance_km"] for f in feats]
    assert dists == sorted(dists) and dists[0] == 0


def test_output_crs_axis_order(mini_client):
    def coords(crs):
        resp = mini_client.get(f"/api/collections/universities/items/uni-a-north?crs={crs}")
        return resp.headers["Content-Crs"], resp.get_json()["geometry"]["coordinates"]

    assert coords(CRS84) == (f"<{CRS84}>", [120.38, 36.27])
    assert coords(EPSG4326) == (f"<{EPSG4326}>", [36.27, 120.38])
    _, (north, east) = coords(EPSG4549)
    assert 4_000_000 < north < 4_100_000 and 500_000 < east < 550_000


def test_coord_sys_applies_to_input_and_output(mini_client):
    from corridor.crs import wgs84_to_gcj02

    glon, glat = (float(v) for v in wgs84_to_gcj02(120.38, 36.27))
    resp = mini_client.get("/api/collections/universities/items/uni-a-north?coord-sys=gcj02")
    assert resp.headers["Content-Coord-Sys"] == "gcj02"
    assert resp.get_json()["geometry"]["coordinates"] == pytest.approx([glon, glat], abs=1e-9)
    hit = mini_client.get(f"/api/at?lon={glon}&lat={glat}&coord-sys=gcj02").get_json()
    assert hit["contains"]["parks"] == ["park-chip"]


def test_cross_collection_extensions(mini_client):
    near = mini_client.get("/api/near?of=park-sea&km=1").get_json()
    assert {(f["properties"]["collection"], f["id"]) for f in near["features"]} >= {
        ("facilities", "facility-a")}
    assert "park-sea" not in ids_of(near)  # the origin itself is not "near" itself
    nearest = mini_client.get("/api/nearest?of=120.38,36.27&k=1&collections=universities").get_json()
    assert ids_of(nearest) == ["uni-a-north"]
    per = mini_client.get("/api/nearest?of=120.38,36.27&k=1&per-collection=true&collections=labs,parks")
    assert sorted(ids_of(per.get_json())) == ["lab-a", "park-chip"]
    at = mini_client.get("/api/at?lon=120.38&lat=36.27").get_json()
    assert at["contains"]["districts"] == ["district-east"]


def ids_of(doc) -> list[str]:
    return [f["id"] for f in doc["features"]]


def test_indicators(mini_client):
    ind = mini_client.get("/api/indicators?lang=en").get_json()["indicators"][0]
    assert ind["name"] == "Synthetic indicator" and ind["unit"] == "%"
    assert ind["baseline"] == {"value": 1.0, "text": "1.0", "year": 2020}
    assert ind["target"]["value"] == 2.0 and ind["target"]["year"] == 2025


def test_csv_has_coordinates_and_wkt(mini_client):
    resp = mini_client.get("/api/collections/universities/items?f=csv")
    assert resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert (rows[0]["id"], rows[0]["lon"], rows[0]["lat"]) == ("uni-a-north", "120.38", "36.27")
    assert rows[0]["wkt"] == "POINT (120.38 36.27)"
    parks = mini_client.get("/api/collections/parks/items?f=csv").get_data(as_text=True)
    assert "POLYGON ((120.35 36.25" in parks and "半导体; 人工智能" in parks


@pytest.mark.parametrize("fmt", ["gpkg", "kml"])
def test_downloads_open_in_gdal(mini_client, tmp_path, fmt):
    import geopandas as gpd

    resp = mini_client.get(f"/api/collections/parks/items?f={fmt}&industry=semiconductors")
    assert resp.status_code == 200
    assert "attachment" in resp.headers["Content-Disposition"]
    path = tmp_path / f"parks.{fmt}"
    path.write_bytes(resp.get_data())
    gdf = gpd.read_file(path)
    assert len(gdf) == 1
    assert gdf.geometry.iloc[0].bounds == pytest.approx((120.35, 36.25, 120.40, 36.30))


def test_gpkg_in_requested_crs(mini_client, tmp_path):
    import geopandas as gpd

    path = tmp_path / "u.gpkg"
    path.write_bytes(mini_client.get(f"/api/collections/universities/items?f=gpkg&crs={EPSG4549}").get_data())
    gdf = gpd.read_file(path)
    assert gdf.crs.to_epsg() == 4549 and gdf.geometry.x.iloc[0] > 500_000


@pytest.mark.parametrize(
    ("url", "accept", "mimetype"),
    [
        ("/api/collections", "text/html,application/xhtml+xml,*/*;q=0.8", "text/html"),
        ("/api/collections", "application/json", "application/json"),
        ("/api/collections", None, "application/json"),
        ("/api/collections/parks/items", "application/json", "application/geo+json"),
        ("/api/collections/parks/items", "text/csv", "text/csv"),
        ("/api/collections/parks/items?f=html", "application/json", "text/html"),
        ("/api/collections/parks/items/park-chip?f=json", None, "application/geo+json"),
    ],
)
def test_negotiation(mini_client, url, accept, mimetype):
    resp = mini_client.get(url, headers={"Accept": accept} if accept else {})
    assert resp.status_code == 200 and resp.mimetype == mimetype


@pytest.mark.parametrize("url", ["/api/collections?f=csv", "/api/collections/parks/items?f=xml"])
def test_unsupported_format_is_406(mini_client, url):
    resp = mini_client.get(url)
    assert resp.status_code == 406 and resp.get_json()["code"] == "NotAcceptable"
    assert mini_client.get("/api/collections", headers={"Accept": "image/png"}).status_code == 406


def test_html_pages_link_on(mini_client):
    page = mini_client.get("/api/collections/parks/items?f=html").get_data(as_text=True)
    assert "/api/collections/parks/items/park-chip?f=html" in page
    for url in ("/api?f=html", "/api/conformance?f=html", "/api/collections/parks?f=html",
                "/api/collections/parks/queryables?f=html", "/api/indicators?f=html",
                "/api/collections/parks/items/park-chip?f=html", "/api/near?of=park-sea&km=1&f=html"):
        resp = mini_client.get(url)
        assert resp.status_code == 200 and resp.mimetype == "text/html", url


def test_etag_304_cache_control(mini_client):
    resp = mini_client.get("/api/collections/parks/items")
    assert resp.headers["Cache-Control"].startswith("public")
    etag = resp.headers["ETag"]
    again = mini_client.get("/api/collections/parks/items", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    other = mini_client.get("/api/collections/parks/items?limit=1", headers={"If-None-Match": etag})
    assert other.status_code == 200


def test_gzip_and_cors(mini_client):
    resp = mini_client.get("/api/openapi", headers={"Accept-Encoding": "gzip", "Origin": "http://x.example"})
    assert resp.headers["Content-Encoding"] == "gzip"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert json.loads(gzip.decompress(resp.get_data()))["openapi"].startswith("3.0")
    pre = mini_client.options("/api/collections", headers={
        "Origin": "http://x.example", "Access-Control-Request-Method": "GET"})
    assert pre.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("origins", ["*", "https://planning.example, https://gis.example"])
def test_cors_headers_are_flask_cors_own_answer(origins, monkeypatch):
    """Every request shape (simple and preflight requests, allowed, refused and no origins,
    API and page paths), asked twice, gets exactly the headers flask-cors itself adds to
    that response, and its Vary: Origin joins the response's one Vary header."""
    from conftest import MINI_GEODATA
    from flask import Response

    from web import create_app

    monkeypatch.setenv("CORRIDOR_CORS_ORIGINS", origins)
    app = create_app({"TESTING": True, "GEODATA_DIR": str(MINI_GEODATA)})
    raw = next(f for f in app.after_request_funcs[None] if f.__name__ == "cors_after_request")
    client = app.test_client()
    shapes = [("GET", "/api", {}), ("GET", "/api/collections/parks/items", {"Origin": "https://gis.example"}),
              ("GET", "/api/collections/parks", {"Origin": "https://elsewhere.example"}),
              ("OPTIONS", "/api/collections", {"Origin": "https://planning.example",
                                               "Access-Control-Request-Method": "GET",
                                               "Access-Control-Request-Headers": "If-None-Match"}),
              ("OPTIONS", "/api/collections", {"Origin": "https://planning.example",
                                               "Access-Control-Request-Method": "DELETE"}),
              ("GET", "/parks", {"Origin": "https://gis.example"}),
              ("GET", "/api/nope", {"Origin": "https://planning.example"})]
    for method, path, headers in shapes:
        with app.test_request_context(path, method=method, headers=headers):
            added = list(raw(Response()).headers.items())
        want = [(k, v) for k, v in added if k.lower().startswith("access-control-")]
        for _ in range(2):
            got = client.open(path, method=method, headers=headers)
            mine = [(k, v) for k, v in got.headers.items() if k.lower().startswith("access-control-")]
            assert mine == want, (method, path, headers)
            # flask-cors's Vary: Origin survives, in the response's one Vary header
            varies = [v.strip() for v in got.headers.get("Vary", "").split(",")]
            assert ("Origin" in varies) == (("Vary", "Origin") in added), (method, path, headers)
            assert len(got.headers.getlist("Vary")) <= 1
    if origins != "*":  # the refused origin really was refused, the allowed one echoed
        assert "Access-Control-Allow-Origin" not in client.get(
            "/api", headers={"Origin": "https://elsewhere.example"}).headers
        assert client.get("/api", headers={"Origin": "https://gis.example"}).headers[
            "Access-Control-Allow-Origin"] == "https://gis.example"


def test_openapi_is_self_contained_and_cached(monkeypatch):
    from web import create_app
    from web.api import openapi

    # A fresh app (the session's may have built its document already), with a spy on the
    # function that builds the document: two requests must build it once.
    calls = []
    real_build = openapi.build

    def counting_build(*args, **kwargs):
        calls.append(1)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(openapi, "build", counting_build)
    client = create_app({"TESTING": True, "GEODATA_DIR": str(MINI_GEODATA)}).test_client()
    first = client.get("/api/openapi")
    assert first.status_code == 200 and len(calls) == 1  # built on first use
    second = client.get("/api/openapi")
    assert second.status_code == 200 and len(calls) == 1  # served from the cache, not rebuilt
    text = first.get_data(as_text=True)
    assert second.get_data(as_text=True) == text

    refs = [v for v in _walk(json.loads(text)) if isinstance(v, str) and v.startswith("http")]
    assert not [r for r in refs if "$ref" in r]
    all_refs = list(_refs(json.loads(text)))
    assert all_refs and all(ref.startswith("#/") for ref in all_refs)  # every $ref is internal
    doc = json.loads(text)
    for path in ("/near", "/nearest", "/at", "/indicators", "/collections/parks/items"):
        assert path in doc["paths"]
    names = {p.get("name") or p["$ref"].rsplit("/", 1)[-1]
             for p in doc["paths"]["/collections/parks/items"]["get"]["parameters"]}
    assert {"near", "km", "q", "industry", "coord-sys", "kind", "filter"} <= names


def _walk(node):
    if isinstance(node, dict):
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)
    else:
        yield node


def _refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)


def test_docs_page_uses_local_assets(mini_client):
    page = mini_client.get("/api/docs").get_data(as_text=True)
    assert "/api/docs/assets/swagger-ui-bundle.js" in page and "//cdn" not in page
    asset = mini_client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.get_data()) > 100_000


def test_link_quoting_is_what_it_shortcuts():
    """Links quote query values as quote_plus does (skipping it only where it changes
    nothing)."""
    from urllib.parse import quote_plus

    from web.api.links import _quoted

    rng = __import__("random").Random(3)
    alphabet = "aZ09_.~-+ /%&=?#青é\"'"
    samples = ["geojson", "10", "", "a b", "青岛", "x-y_z.~"] + [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8))) for _ in range(500)]
    for text in samples:
        assert _quoted(text) == quote_plus(text), text


def test_html_pages_vary_with_accept_language(mini_client):
    """An API page in HTML takes its language from Accept-Language: its ETag differs per
    language, it says Vary: Accept-Language, and a tag of the English page is no 304 for a
    Chinese reader. JSON answers vary with Accept only."""
    html = {"Accept": "text/html"}
    for path in ("/api", "/api/collections/parks/items"):
        en = mini_client.get(path, headers={**html, "Accept-Language": "en"})
        zh = mini_client.get(path, headers={**html, "Accept-Language": "zh-CN"})
        assert en.status_code == zh.status_code == 200
        assert en.headers["ETag"] != zh.headers["ETag"], path
        assert "Accept-Language" in en.headers["Vary"], path
        again = mini_client.get(path, headers={**html, "Accept-Language": "zh-CN",
                                               "If-None-Match": en.headers["ETag"]})
        assert again.status_code == 200, path
        same = mini_client.get(path, headers={**html, "Accept-Language": "en",
                                              "If-None-Match": en.headers["ETag"]})
        assert same.status_code == 304 and "Accept-Language" in same.headers["Vary"], path
        data = mini_client.get(path, headers={"Accept": "application/json"})
        assert "Accept-Language" not in data.headers["Vary"], path


def test_items_near_a_feature_looks_it_up_once(mini_app, monkeypatch):
    """near=<id> needs the feature's geometry and its collection (a feature is not its own
    neighbour): both come from one look-up of the id."""
    store = mini_app.extensions["corridor_store"]
    calls = []
    locate = store.locate
    monkeypatch.setattr(store, "locate", lambda fid: calls.append(fid) or locate(fid))
    client = mini_app.test_client()
    same = client.get("/api/collections/parks/items?near=park-chip&km=100")
    assert calls == ["park-chip"]
    assert "park-chip" not in ids(same) and ids(same) == ["park-sea"]
    calls.clear()
    other = client.get("/api/collections/parks/items?near=facility-a&km=100")
    assert calls == ["facility-a"] and ids(other) == ["park-sea", "park-chip"]
