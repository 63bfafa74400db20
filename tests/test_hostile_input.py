"""Hostile input to the writes and the import (issue 21): JSON nested 100,000 deep, zip bombs,
GDAL's messages naming the server's paths, and layer names such as ``../etc``. Each answer is
a 4xx (or a CLI error) that says what was wrong and what is expected. Every file is
SYNTHETIC, written by the test."""

from __future__ import annotations

import io
import json
import struct
import zipfile

import pytest
from datafiles import synthetic_frame
from test_api_edits import POINT, TOKEN, auth, land_csv, make_app
from test_cli_import import run

from corridor.errors import InvalidParameter
from corridor.gdalsafe import gdal_message
from corridor.geojson_input import MAX_NESTING, check_nesting, parse_geometry
from corridor.model import NewLayer
from corridor.store import Engine

DEEP = 100_000


def deep_feature(depth: int = DEEP) -> str:
    """A Feature whose property nests ``depth`` arrays (the text is ~2 bytes a level)."""
    return ('{"type":"Feature","geometry":' + json.dumps(POINT) + ',"properties":{"kind":'
            + "[" * depth + "]" * depth + "}}")


@pytest.fixture()
def client(tmp_path):
    Engine.user_layers(tmp_path / "layers").put_layer(
        NewLayer("firms", synthetic_frame(20), title_en="SYNTHETIC firms"))
    return make_app(tmp_path, TOKEN).test_client()


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def crafted_bomb(declared: int = 0xF000_0000) -> bytes:
    """A 1 KB zipped 'Shapefile' whose five members each declare ``declared`` bytes (3.75 GiB
    by default: 18.75 GiB in all) in both their headers."""
    data = bytearray(zip_bytes({f"roads.{ext}": b"\0" * 100 for ext in ("shp", "shx", "dbf", "prj", "cpg")}))
    for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):  # uncompressed size
        at = data.find(signature)
        while at >= 0:
            struct.pack_into("<I", data, at + offset, declared)
            at = data.find(signature, at + 4)
    return bytes(data)


@pytest.fixture()
def no_member_read(monkeypatch):
    """Reading any zip member (or handing a file to GDAL) fails the test."""
    import pyogrio

    write = zipfile.ZipFile.open

    def refuse(*args, **kwargs):
        raise AssertionError("the zip was read")

    def open_for_writing(self, name, mode="r", *args, **kwargs):
        return write(self, name, mode, *args, **kwargs) if mode == "w" else refuse()

    monkeypatch.setattr(zipfile.ZipFile, "open", open_for_writing)
    monkeypatch.setattr(pyogrio, "read_dataframe", refuse)


# --- nesting ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [
    ("post", "/api/collections/firms/items"), ("put", "/api/collections/firms/items/syn-1")])
def test_a_feature_nested_too_deep_is_a_400_naming_the_limit(client, method, path):
    r = getattr(client, method)(path, data=deep_feature(), content_type="application/geo+json",
                                headers=auth())
    assert r.status_code == 400, r.get_data(as_text=True)
    description = r.get_json()["description"]
    assert "nests" in description and f"at most {MAX_NESTING} levels" in description
    # nesting within the limit is parsed and checked as usual (here: an object, not a string)
    r = getattr(client, method)(path, data=deep_feature(3), content_type="application/geo+json",
                                headers=auth())
    assert r.status_code == 400 and "property 'kind'" in r.get_json()["description"]
    assert client.get("/api/collections/firms/items?limit=1").get_json()["numberMatched"] == 20


def test_an_uploaded_geojson_nested_too_deep_is_a_400(client):
    doc = '{"type":"FeatureCollection","features":[' + deep_feature() + "]}"
    r = client.put("/api/collections/deep", data=doc, content_type="application/geo+json",
                   headers={**auth(), "Content-Disposition": 'attachment; filename="deep.geojson"'})
    assert r.status_code == 400, r.get_data(as_text=True)
    description = r.get_json()["description"]
    assert description.startswith("deep.geojson nests") and str(MAX_NESTING) in description
    assert client.get("/api/collections/deep").status_code == 404


def test_nesting_is_counted_outside_strings_only():
    check_nesting("[" * MAX_NESTING + "]" * MAX_NESTING, "x")  # the limit itself passes
    with pytest.raises(InvalidParameter, match="more than 64 levels"):
        check_nesting("[" * (MAX_NESTING + 1), "x")
    # brackets in strings, escaped quotes and escaped backslashes do not open anything
    text = json.dumps({"a": "[" * 500 + '\\"{{{' + "\\", "b": [["x\\"]] * 3, "c": "]" * 9})
    check_nesting(text, "x")
    assert json.loads(text)["b"] == [["x\\"]] * 3
    with pytest.raises(InvalidParameter, match="the geometry"):
        check_nesting(json.dumps({"s": '"\\'}) + "[" * 70, "the geometry")
    with pytest.raises(InvalidParameter, match="nests arrays and objects"):  # as query text
        parse_geometry('{"type":"Point","coordinates":' + "[" * DEEP + "]" * DEEP + "}")


# --- zip bombs --------------------------------------------------------------------------------


def test_a_zip_bomb_is_refused_from_its_directory(client, no_member_read):
    r = client.put("/api/collections/roads", data=crafted_bomb(), content_type="application/zip",
                   headers={**auth(), "Content-Disposition": 'attachment; filename="roads.zip"'})
    assert r.status_code == 413, r.get_data(as_text=True)
    description = r.get_json()["description"]
    assert description.startswith("roads.zip: its 5 member(s) unpack to 18.8 GiB (20132659200 bytes)")
    assert "expected at most 256.0 MiB (268435456 bytes)" in description
    assert "MAX_UPLOAD_LENGTH" in description
    assert client.get("/api/collections/roads").status_code == 404


def test_a_real_zip_bomb_over_the_upload_limit_is_refused(tmp_path, no_member_read):
    client = make_app(tmp_path, TOKEN, None, MAX_UPLOAD_LENGTH=1_000_000).test_client()
    bomb = zip_bytes({"roads.shp": bytes(50_000_000), "roads.dbf": b"\0" * 10})  # 50 MB of zeros
    assert len(bomb) < 100_000
    r = client.put("/api/collections/roads", data=bomb, content_type="application/zip", headers=auth())
    assert r.status_code == 413
    assert "50000010 bytes" in r.get_json()["description"]
    assert "1000000 bytes" in r.get_json()["description"]


def test_the_cli_refuses_a_zip_bomb(tmp_path, capsys, no_member_read):
    path = tmp_path / "roads.zip"
    path.write_bytes(crafted_bomb())
    status, out, err = run(capsys, "import", str(path), "--layer", "roads", "--layers-dir",
                           str(tmp_path / "layers"))
    assert (status, out) == (1, "")
    assert err.startswith("error: roads.zip: its 5 member(s) unpack to 18.8 GiB")
    assert "expected at most 4.0 GiB" in err and "Traceback" not in err


# --- GDAL's messages --------------------------------------------------------------------------


BROKEN = [
    ("application/geo+json", b"{not geojson"),
    ("application/geo+json", b'{"type": "FeatureCollection", "features": [{"type": "Feature"'),
    ("application/geopackage+sqlite3", b"SQLite format 3\0" + bytes(200)),
    ("application/geopackage+sqlite3", b"garbage" * 50),
    ("application/zip", b"PK\x03\x04garbage"),
    ("application/zip", zip_bytes({"roads.shp": b"garbage" * 50, "roads.dbf": b"x", "roads.shx": b"y"})),
    ("application/zip", zip_bytes({"a/roads.shp": bytes(100), "a/roads.shx": bytes(100)})),
    ("application/zip", zip_bytes({"readme.txt": b"no shapefile here"})),
]


@pytest.mark.parametrize(("mimetype", "body"), BROKEN)
def test_broken_uploads_name_the_users_file_not_server_paths(client, mimetype, body):
    for headers, name in ((auth(), "upload."), ({**auth(), "Content-Disposition": 'attachment; filename="../../我的 roads.bin"'}, "我的 roads.")):
        r = client.put("/api/collections/broken", data=body, content_type=mimetype, headers=headers)
        text = r.get_data(as_text=True)
        assert r.status_code == 400, text
        assert "/tmp/" not in text and "/vsi" not in text and "corridor-upload" not in text
        assert r.get_json()["description"].startswith(name)


def test_gdal_messages_lose_the_directories(tmp_path):
    path = tmp_path / "roads.zip"
    exc = RuntimeError(f"'/vsizip/{path}/roads.shp' not recognized as being in a supported file "
                       "format.; It might help to specify the correct driver explicitly by "
                       "prefixing the file path with '<DRIVER>:', e.g. 'CSV:path'.")
    assert gdal_message(exc, path) == "'roads.zip/roads.shp' not recognized as being in a supported file format."
    exc = RuntimeError("'/vsimem/pyogrio_0123abcd' not recognized; see /srv/app/data/x.json")
    assert gdal_message(exc, path) == "'roads.zip' not recognized; see x.json"


# --- layer names ------------------------------------------------------------------------------


BAD_NAMES = ["../etc", "..", "a" * 100, "a/b", "a%00b", "Bad", "%2E%2E"]
ROUTES = [("put", "/api/collections/{}"), ("delete", "/api/collections/{}"),
          ("post", "/api/collections/{}/items"), ("put", "/api/collections/{}/items/x"),
          ("delete", "/api/collections/{}/items/x")]


@pytest.mark.parametrize("name", BAD_NAMES)
@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_bad_layer_names_get_the_rule_on_every_write_route(client, name, method, route, tmp_path):
    kwargs = ({"data": land_csv(3), "content_type": "text/csv"} if route.endswith("{}")
              else {"json": {"type": "Feature", "geometry": POINT}})
    r = getattr(client, method)(route.format(name), headers=auth(), **kwargs)
    assert r.status_code == 400, r.get_data(as_text=True)
    description = r.get_json()["description"]
    shown = name.replace("%00", "\\x00").replace("%2E", ".")[:50]
    assert f"layer id '{shown}" in description and "expected a lower-case letter" in description
    assert not (tmp_path / "etc").exists() and sorted(p.name for p in (tmp_path / "layers").glob("*.gpkg")) == ["firms.gpkg"]


@pytest.mark.parametrize(("method", "path"), [
    ("put", "/api/collections/"), ("delete", "/api/collections/")])
def test_an_empty_layer_name_gets_the_rule(client, method, path):
    r = getattr(client, method)(path, data=land_csv(3), content_type="text/csv", headers=auth())
    assert r.status_code == 400 and "layer id ''" in r.get_json()["description"]


def test_names_are_checked_only_after_the_token(client):
    r = client.delete("/api/collections/../etc")
    assert r.status_code == 401


def test_a_feature_id_with_a_slash_is_a_missing_feature(client):
    r = client.delete("/api/collections/firms/items/a/b", headers=auth())
    assert r.status_code == 404 and "a/b" in r.get_json()["description"]


# --- found by schemathesis with writes on -----------------------------------------------------


@pytest.mark.parametrize(("body", "words"), [
    ({"type": "Feature", "geometry": {"type": "GeometryCollection", "coordinates": [None]}}, "'geometries' is not an array"),
    ({"type": "Feature", "geometry": {"type": "Point"}}, "'coordinates' is not an array"),
    ({"type": "Feature", "geometry": POINT, "properties": []}, "expected a JSON object"),
    ({"type": "Feature", "geometry": POINT, "properties": 0}, "expected a JSON object"),
])
def test_schema_violating_features_are_refused(client, body, words):
    for method, path in (("post", "/api/collections/firms/items"), ("put", "/api/collections/firms/items/syn-1")):
        r = getattr(client, method)(path, json=body, headers=auth())
        assert r.status_code == 400, r.get_data(as_text=True)
        assert words in r.get_json()["description"]


def test_writes_below_a_collection_that_are_no_write_route_are_405(client):
    for method in ("put", "delete"):
        r = getattr(client, method)("/api/collections/firms/items", headers=auth())
        assert r.status_code == 405 and "firms/items" in r.get_json()["description"]
    r = client.put("/api/collections/firms/queryables", headers=auth())
    assert r.status_code == 405


def test_an_upload_answers_json_only(client):
    r = client.put("/api/collections/up?f=csv", data=land_csv(3), content_type="text/csv", headers=auth())
    assert r.status_code == 406 and "f=json" in r.get_json()["description"]
    assert client.get("/api/collections/up").status_code == 404


def test_the_layer_path_documents_its_get(client):
    spec = client.get("/api/openapi?f=json").get_json()
    layer = spec["paths"]["/collections/{collectionId}"]
    assert set(layer) == {"get", "put", "delete"}
    assert "413" in layer["put"]["responses"] and "406" in layer["put"]["responses"]
    assert client.get("/api/collections/firms").status_code == 200


@pytest.mark.parametrize("name", ["../etc", "..", "a/b", "a" * 100])
def test_the_cli_drop_names_the_rule_for_a_bad_name(tmp_path, capsys, name):
    status, out, err = run(capsys, "drop", name, "--layers-dir", str(tmp_path / "layers"))
    assert (status, out) == (2, "")
    assert err.startswith("error: layer id '") and "expected a lower-case letter" in err


def test_a_geopackage_table_without_geometry_is_a_400(client, tmp_path):
    import pandas as pd
    import pyogrio

    path = tmp_path / "table.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"geometry": ["not one"], "a": [1]}), path, layer="t", driver="GPKG")
    r = client.put("/api/collections/table", data=path.read_bytes(),
                   content_type="application/geopackage+sqlite3", headers=auth())
    assert r.status_code == 400, r.get_data(as_text=True)
    assert "layer 't' has no geometry column" in r.get_json()["description"]


def test_a_shapefile_whose_crs_cannot_become_wgs84_is_a_400(client, tmp_path):
    import geopandas as gpd
    import pyogrio
    import shapely

    frame = gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(120.38, 36.07)], crs="EPSG:4326")
    pyogrio.write_dataframe(frame, tmp_path / "roads.shp")
    members = {p.name: p.read_bytes() for p in tmp_path.glob("roads.*")}
    members["roads.prj"] = b'LOCAL_CS["arbitrary",UNIT["metre",1]]'
    r = client.put("/api/collections/roads", data=zip_bytes(members), content_type="application/zip",
                   headers=auth())
    assert r.status_code == 400, r.get_data(as_text=True)
    assert "its CRS (arbitrary) cannot be converted to WGS84" in r.get_json()["description"]


@pytest.mark.parametrize(("disposition", "name"), [
    ('attachment; filename="../../etc/道路 roads.csv"', "道路 roads.csv"),
    ("attachment; filename*=UTF-8''%E5%90%8D%E5%BD%95.csv", "名录.csv"),
    ('attachment; filename="..."', None), ('attachment; filename="C:\\\\data\\\\roads.csv"', "roads.csv"),
])
def test_the_uploaded_file_is_named_as_the_client_named_it(tmp_path, disposition, name):
    client = make_app(tmp_path, TOKEN, None).test_client()  # the bundled land the CSV lies on
    r = client.put("/api/collections/named", data=land_csv(3), content_type="text/csv",
                   headers={**auth(), "Content-Disposition": disposition})
    assert r.status_code == 201, r.get_data(as_text=True)
    source = r.get_json()["source"]
    assert source.startswith(f"web upload {name} (text/csv)" if name else "web upload (text/csv)"), source


def test_patch_says_to_put(client):
    r = client.patch("/api/collections/firms/items/syn-1", json={"type": "Feature"}, headers=auth())
    assert r.status_code == 405 and "replace the feature with PUT" in r.get_json()["description"]
    r = client.patch("/api/collections/../etc/items/syn-1", json={"type": "Feature"}, headers=auth())
    assert r.status_code == 400 and "layer id '../etc'" in r.get_json()["description"]


def test_the_cli_refuses_a_geojson_nested_too_deep(tmp_path, capsys):
    path = tmp_path / "deep.geojson"
    path.write_text('{"type":"FeatureCollection","features":[' + deep_feature() + "]}", encoding="utf-8")
    status, out, err = run(capsys, "import", str(path), "--layer", "deep", "--layers-dir",
                           str(tmp_path / "layers"))
    assert (status, out) == (1, "")
    assert err.startswith(f"error: deep.geojson nests arrays and objects more than {MAX_NESTING} levels")
