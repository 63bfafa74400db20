"""Pages are rendered once per language and data version and served from memory with their
gzip form; a large collection is drawn by the map page from vector tiles, never inlined in it."""

from __future__ import annotations

import gzip
import json
import re

import pytest
from conftest import MINI_GEODATA
from datafiles import geodata_with_synthetic, synthetic_points

PAGES = ["/", "/parks", "/parks/park-chip", "/indicators"]


@pytest.fixture()
def fresh(mini_app):
    """A new app over the mini data, so the page cache starts empty."""
    from web import create_app

    app = create_app({"TESTING": True, "GEODATA_DIR": str(MINI_GEODATA)})
    return app, app.test_client()


@pytest.mark.parametrize("path", PAGES)
def test_a_page_is_rendered_once_per_language(fresh, path):
    app, client = fresh
    cache = app.extensions["corridor_page_cache"]
    first = client.get(path + "?lang=zh")
    assert first.status_code == 200 and cache.renders == 1
    again = client.get(path + "?lang=zh")
    assert again.data == first.data and cache.renders == 1  # served, not rendered
    en = client.get(path + "?lang=en")
    assert en.status_code == 200 and en.data != first.data and cache.renders == 2
    # the language a browser asks for is part of the key, not only ?lang=
    by_header = client.get(path, headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert by_header.get_data(as_text=True).count('lang="en"') >= 1 and cache.renders == 3


def test_gzip_form_and_revalidation(fresh):
    _, client = fresh
    plain = client.get("/parks?lang=en")
    zipped = client.get("/parks?lang=en", headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert len(zipped.data) < len(plain.data) / 2
    for resp in (plain, zipped):  # the page depends on both, in one Vary header
        assert {v.strip() for v in resp.headers["Vary"].split(",")} >= {"Accept-Encoding", "Accept-Language"}
        assert len(resp.headers.getlist("Vary")) == 1
    etag = plain.headers["ETag"]
    assert zipped.headers["ETag"] == etag
    not_modified = client.get("/parks?lang=en", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not not_modified.data


def test_errors_are_not_cached(fresh):
    app, client = fresh
    assert client.get("/parks/no-such-park").status_code == 404
    assert client.get("/parks/no-such-park").status_code == 404
    assert app.extensions["corridor_page_cache"].renders == 0


def test_the_cache_keys_on_the_data_version(tmp_path, mini_store):
    """Other data, other pages: a changed feature changes the page and its ETag."""
    import shutil

    from web import create_app

    root = tmp_path / "geodata"
    shutil.copytree(MINI_GEODATA, root)
    path = root / "data" / "parks.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["features"][0]["properties"]["name_en"] = "Synthetic Renamed Park"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    before = create_app({"TESTING": True, "GEODATA_DIR": str(MINI_GEODATA)}).test_client()
    after = create_app({"TESTING": True, "GEODATA_DIR": str(root)}).test_client()
    a, b = before.get("/parks?lang=en"), after.get("/parks?lang=en")
    assert "Synthetic Renamed Park" in b.get_data(as_text=True)
    assert "Synthetic Renamed Park" not in a.get_data(as_text=True)
    assert a.headers["ETag"] != b.headers["ETag"]


@pytest.fixture(scope="module")
def big_app(tmp_path_factory):
    """The mini data plus a SYNTHETIC collection of 30,000 points (beyond the inline limit)."""
    from web import create_app

    root = geodata_with_synthetic(tmp_path_factory.mktemp("big"), synthetic_points(30_000, seed=1),
                                  MINI_GEODATA)
    return create_app({"TESTING": True, "GEODATA_DIR": str(root)})


def test_a_large_collection_is_tiled_not_inlined(big_app, mini_app):
    from web.map.layers import INLINE_MAX_FEATURES

    assert INLINE_MAX_FEATURES < 30_000
    client = big_app.test_client()
    html = client.get("/?lang=en").get_data(as_text=True)
    small = mini_app.test_client().get("/?lang=en").get_data(as_text=True)
    # none of the 30,000 points is in the page; it grows by a few kB of layer wiring only
    assert "synthetic-point-00000" not in html and "Synthetic point 17" not in html
    assert len(html) - len(small) < 20_000
    tiled = json.loads(re.search(r"tiled: (\{.*\})\s*\n", html).group(1))
    assert list(tiled) == ["synthetic"] and tiled["synthetic"]["style"]["radius"] > 0
    # a Leaflet.VectorGrid layer of the API's tiles, with the plugin served by the app
    template = "/api/collections/synthetic/tiles/WebMercatorQuad/{z}/{y}/{x}"
    assert f"L.vectorGrid.protobuf(\n                '{template}'" in html
    assert '<script src="/vendor/Leaflet.VectorGrid.bundled.js">' in html
    assert "L.vectorGrid.protobuf" not in small and "VectorGrid" not in small
    assert client.get("/vendor/Leaflet.VectorGrid.bundled.js").status_code == 200
    # what the page's script asks for answers a tile, from the API
    tile = client.get(template.format(z=11, y=803, x=1708))
    assert tile.status_code == 200 and tile.mimetype == "application/vnd.mapbox-vector-tile"
    # a mini collection stays inline
    assert "park-chip" in html
