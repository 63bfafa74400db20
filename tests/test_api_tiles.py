"""OGC API - Tiles over HTTP: the tile matrix set, tilesets and tiles, their caching and
errors; tiles read back by real clients (GDAL's MVT driver through pyogrio, and
mapbox_vector_tile), on the bundled data and on a SYNTHETIC 100,000-point layer."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import mapbox_vector_tile
import numpy as np
import pyogrio
import pytest
from conftest import MINI_GEODATA
from datafiles import geodata_with_synthetic, synthetic_frame, synthetic_points

from corridor.crs import WGS84, transformer
from corridor.model import NewLayer
from corridor.store import Engine
from corridor.tiles import EXTENT, TileIndex, tile_of

MVT = "application/vnd.mapbox-vector-tile"
BASE = "/api/collections/{cid}/tiles/WebMercatorQuad"
CENTRAL = (120.38, 36.07)


@pytest.fixture()
def client(any_app):
    """The API over the bundled data, in memory and in PostGIS (tiles from ST_AsMVT)."""
    return any_app.test_client()


def tile_url(cid: str, t: TileIndex) -> str:
    return f"{BASE.format(cid=cid)}/{t.z}/{t.y}/{t.x}"


def rels(doc) -> dict[str, dict]:
    return {link["rel"]: link for link in doc["links"]}


def pixel_m(t: TileIndex) -> float:
    """The size of a pixel of a 256-pixel tile of ``t``'s tile matrix, in Web Mercator metres."""
    minx, _, maxx, _ = t.bounds
    return (maxx - minx) / 256


@pytest.fixture(scope="module")
def big_app(tmp_path_factory):
    """The mini data plus 100,000 SYNTHETIC points over Qingdao."""
    from web import create_app

    root = geodata_with_synthetic(tmp_path_factory.mktemp("tiles-big"),
                                  synthetic_points(100_000, seed=2), MINI_GEODATA)
    return create_app({"TESTING": True, "GEODATA_DIR": str(root)})


def read_with_gdal(data: bytes, t: TileIndex, tmp_path: Path, layer: str):
    """The tile as GDAL's MVT driver reads it: saved as ``z/x/y.pbf``, the layout the driver
    takes the tile's position from (CLIP=NO: keep what lies in the tile's buffer too)."""
    path = tmp_path / str(t.z) / str(t.x) / f"{t.y}.pbf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    assert [row[0] for row in pyogrio.list_layers(path)] == [layer]
    return pyogrio.read_dataframe(path, layer=layer, CLIP="NO")


# --- the documents ------------------------------------------------------------------------------


def test_tile_matrix_sets_and_the_web_mercator_quad(client):
    doc = client.get("/api/tileMatrixSets").get_json()
    [tms] = doc["tileMatrixSets"]
    assert tms["id"] == "WebMercatorQuad"
    definition = client.get(rels(tms)["self"]["href"].replace("http://localhost", "")).get_json()
    assert definition["uri"] == "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
    assert len(definition["tileMatrices"]) == 25
    resp = client.get("/api/tileMatrixSets/WorldCRS84Quad")
    assert resp.status_code == 404 and "WebMercatorQuad" in resp.get_json()["description"]


def test_a_client_finds_the_tiles_by_following_links(client, store):
    """Landing page -> collection -> tilesets -> tileset -> URL template -> a tile."""
    landing = client.get("/api").get_json()
    assert "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes" in rels(landing)
    conf = client.get("/api/conformance").get_json()["conformsTo"]
    for c in ("core", "tileset", "tilesets-list", "geodata-tilesets", "mvt", "oas30"):
        assert f"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/{c}" in conf
    coll = client.get("/api/collections/universities").get_json()
    href = rels(coll)["http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"]["href"]
    tilesets = client.get(href.replace("http://localhost", "")).get_json()
    [ts] = tilesets["tilesets"]
    assert ts["dataType"] == "vector" and ts["crs"].endswith("/EPSG/0/3857")
    tileset = client.get(rels(ts)["self"]["href"].replace("http://localhost", "")).get_json()
    assert tileset["tileMatrixSetURI"].endswith("/WebMercatorQuad")
    assert tileset["layers"][0]["id"] == "universities" and tileset["layers"][0]["geometryDimension"] == 0
    assert tileset["boundingBox"]["lowerLeft"] == list(store.collection("universities").extent[:2])
    item = rels(tileset)["item"]
    assert item["templated"] is True and item["type"] == MVT
    t = tile_of(*CENTRAL, 11)
    url = item["href"].format(tileMatrix=t.z, tileRow=t.y, tileCol=t.x).replace("http://localhost", "")
    resp = client.get(url)
    assert resp.status_code == 200 and resp.mimetype == MVT
    layer = mapbox_vector_tile.decode(resp.data)["universities"]
    assert {f["properties"]["id"] for f in layer["features"]} <= set(
        f.id for f in store.features("universities"))


# --- tiles --------------------------------------------------------------------------------------


@pytest.mark.parametrize("cid", ["universities", "parks", "districts", "land"])
def test_gdal_reads_bundled_tiles_where_the_store_puts_the_features(client, store, tmp_path, cid):
    c = store.collection(cid)
    t = tile_of((c.extent[0] + c.extent[2]) / 2, (c.extent[1] + c.extent[3]) / 2, 9)
    resp = client.get(tile_url(cid, t))
    assert resp.status_code == 200 and resp.mimetype == MVT
    gdf = read_with_gdal(resp.data, t, tmp_path, cid)
    assert gdf.crs.to_epsg() == 3857
    decoded = mapbox_vector_tile.decode(resp.data)[cid]["features"]
    assert len(gdf) == len(decoded) > 0
    to_3857 = transformer(WGS84, "EPSG:3857")
    minx, miny, maxx, maxy = t.buffered_bounds()
    for row in gdf.itertuples():
        feat = store.get(cid, row.id)
        assert row.name_en == feat.properties.get("name_en")
        if feat.geometry.geom_type == "Point":
            x, y = to_3857.transform(feat.geometry.x, feat.geometry.y)
            assert abs(row.geometry.x - x) < pixel_m(t) and abs(row.geometry.y - y) < pixel_m(t)
        else:
            # the piece GDAL reads lies within the buffered tile and on the feature
            gx0, gy0, gx1, gy1 = row.geometry.bounds
            assert gx0 >= minx - pixel_m(t) and gx1 <= maxx + pixel_m(t)
            assert gy0 >= miny - pixel_m(t) and gy1 <= maxy + pixel_m(t)
            fx0, fy0, fx1, fy1 = (*to_3857.transform(*feat.geometry.bounds[:2]),
                                  *to_3857.transform(*feat.geometry.bounds[2:]))
            assert gx0 >= fx0 - pixel_m(t) and gx1 <= fx1 + pixel_m(t)
            assert gy0 >= fy0 - pixel_m(t) and gy1 <= fy1 + pixel_m(t)


def test_gdal_reads_a_dense_synthetic_tile(big_app, tmp_path):
    client = big_app.test_client()
    store = big_app.extensions["corridor_store"]
    t = tile_of(*CENTRAL, 11)
    resp = client.get(tile_url("synthetic", t))
    assert resp.status_code == 200
    gdf = read_with_gdal(resp.data, t, tmp_path, "synthetic")
    decoded = mapbox_vector_tile.decode(resp.data)["synthetic"]["features"]
    assert 0 < len(gdf) == len(decoded) < 100_000
    assert gdf["n"].sum() > len(gdf)  # thinned: each point stands for those in its cell
    to_3857 = transformer(WGS84, "EPSG:3857")
    lonlat = np.array([(store.get("synthetic", fid).geometry.x, store.get("synthetic", fid).geometry.y)
                       for fid in gdf["id"]])
    x, y = to_3857.transform(lonlat[:, 0], lonlat[:, 1])
    assert np.abs(gdf.geometry.x - x).max() < pixel_m(t)
    assert np.abs(gdf.geometry.y - y).max() < pixel_m(t)


def test_a_tile_is_encoded_once_and_revalidated(big_app, monkeypatch):
    from web.api import tiles

    calls = []
    real = tiles.render_tile

    def counting(*args):
        calls.append(args[2])
        return real(*args)

    monkeypatch.setattr(tiles, "render_tile", counting)
    client = big_app.test_client()
    t = tile_of(*CENTRAL, 12)
    first = client.get(tile_url("synthetic", t), headers={"Accept-Encoding": "gzip"})
    second = client.get(tile_url("synthetic", t))
    assert len(calls) == 1 and first.status_code == second.status_code == 200
    assert first.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(first.data) == second.data
    assert "Accept-Encoding" in second.headers["Vary"] and second.headers["Cache-Control"].startswith("public")
    etag = second.headers["ETag"]
    again = client.get(tile_url("synthetic", t), headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data and len(calls) == 1
    client.get(tile_url("synthetic", TileIndex(t.z, t.x + 1, t.y)))
    assert len(calls) == 2


def test_the_etag_follows_the_collection_not_the_whole_store(big_app, tmp_path):
    """Two catalogs that differ only in the synthetic layer: tiles of the other collections
    keep their ETag, the synthetic layer's change it."""
    from web import create_app

    root = geodata_with_synthetic(tmp_path / "other", synthetic_points(3_000, seed=5), MINI_GEODATA)
    other = create_app({"TESTING": True, "GEODATA_DIR": str(root)}).test_client()
    this = big_app.test_client()
    t = tile_of(120.5, 36.3, 9)
    for cid, same in (("parks", True), ("synthetic", False)):
        a, b = this.get(tile_url(cid, t)), other.get(tile_url(cid, t))
        assert a.status_code == b.status_code == 200
        assert (a.headers["ETag"] == b.headers["ETag"]) is same, cid


def test_a_user_layer_s_tiles_follow_its_edits(tmp_path):
    """A SYNTHETIC user layer: a feature created through the API appears in its tile (which
    was empty), with a new ETag, and is gone again once deleted."""
    from web import create_app

    Engine.user_layers(tmp_path / "layers").put_layer(NewLayer("firms", synthetic_frame(50), title_en="SYNTHETIC firms"))
    client = create_app({"TESTING": True, "GEODATA_DIR": str(MINI_GEODATA),
                         "LAYERS_DIR": str(tmp_path / "layers"), "ADMIN_TOKEN": "t0ken"}).test_client()
    # on the (SYNTHETIC) land, east of where the layer's points lie: nothing there yet
    t = tile_of(120.75, 36.45, 14)
    before = client.get(tile_url("firms", t))
    assert before.status_code == 204 and before.headers["Cache-Control"] == "no-cache"
    r = client.post("/api/collections/firms/items", headers={"Authorization": "Bearer t0ken"},
                    json={"type": "Feature", "id": "new-1", "properties": {"name_en": "SYNTHETIC new"},
                          "geometry": {"type": "Point", "coordinates": [120.75, 36.45]}})
    assert r.status_code == 201, r.get_json()
    after = client.get(tile_url("firms", t), headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    [f] = mapbox_vector_tile.decode(after.data)["firms"]["features"]
    assert f["properties"] == {"id": "new-1", "name_en": "SYNTHETIC new"}
    assert client.delete("/api/collections/firms/items/new-1",
                         headers={"Authorization": "Bearer t0ken"}).status_code == 204
    assert client.get(tile_url("firms", t)).status_code == 204


def test_an_empty_tile_is_204_and_says_deeper_tiles_are_empty(client):
    resp = client.get(tile_url("universities", tile_of(0.0, 0.0, 9)))
    assert resp.status_code == 204 and not resp.data
    assert resp.headers["OATiles-hint"] == "empty"
    assert "Content-Type" not in resp.headers and resp.headers["ETag"]


@pytest.mark.parametrize("path, status, words", [
    ("universities/tiles/WebMercatorQuad/25/0/0", 404, ["25", "0 to 24"]),
    ("universities/tiles/WebMercatorQuad/3/8/0", 404, ["tileRow 8", "0 to 7"]),
    ("universities/tiles/WebMercatorQuad/3/0/9", 404, ["tileCol 9", "0 to 7"]),
    ("universities/tiles/WebMercatorQuad/x/0/0", 400, ["'x'", "0 to 24"]),
    ("universities/tiles/WebMercatorQuad/3/0/1.5", 400, ["'1.5'", "0 to 7"]),
    ("universities/tiles/GoogleCRS84Quad/3/0/0", 404, ["GoogleCRS84Quad", "WebMercatorQuad"]),
    ("nope/tiles/WebMercatorQuad/3/0/0", 404, ["'nope'", "universities"]),
    ("universities/tiles/WebMercatorQuad/3/0/0?f=json", 406, ["'json'", "mvt"]),
    ("universities/tiles/WebMercatorQuad/3/0/0?zoom=3", 400, ["'zoom'"]),
    ("universities/tiles/WebMercatorQuad/3/0/0?lang=fr", 400, ["'fr'", "zh or en"]),
    ("nope/tiles", 404, ["'nope'"]),
    ("universities/tiles/Nope", 404, ["'Nope'", "WebMercatorQuad"]),
])
def test_bad_tile_requests_name_the_bad_value(client, path, status, words):
    resp = client.get(f"/api/collections/{path}")
    assert resp.status_code == status, resp.data
    body = resp.get_json()
    assert set(body) == {"code", "description", "status"} and body["status"] == status
    for w in words:
        assert w in body["description"], (w, body)


def test_the_openapi_document_describes_the_tiles(client):
    doc = json.loads(client.get("/api/openapi?f=json").data)
    tile = doc["paths"]["/collections/parks/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"]["get"]
    assert MVT in tile["responses"]["200"]["content"] and "204" in tile["responses"]
    assert {p["name"] for p in tile["parameters"] if "name" in p} >= {
        "tileMatrixSetId", "tileMatrix", "tileRow", "tileCol"}
    assert "/tileMatrixSets/{tileMatrixSetId}" in doc["paths"]
    assert EXTENT == 4096
