"""Writes through the API (OGC API - Features Part 4) on a SYNTHETIC user layer: off without
a token, guarded with one, and every read (items, ETag, other app instances) following them."""

from __future__ import annotations

import logging

import pytest
from conftest import MINI_GEODATA, postgis_with
from datafiles import synthetic_frame

from corridor.model import NewLayer
from corridor.store import Engine

TOKEN = "s3cret-token-for-tests"
POINT = {"type": "Point", "coordinates": [120.38, 36.07]}


_apps: list = []


@pytest.fixture(autouse=True)
def _close_apps():
    """Every app a test made gives back its database connections when the test ends."""
    yield
    while _apps:
        _apps.pop().extensions["corridor_store"].close()


def make_app(where, token: str = "", geodata: str | None = str(MINI_GEODATA), **config):
    """An app over ``geodata`` (the SYNTHETIC mini catalog; None: the bundled data, whose
    real districts the upload checks test points against) and the layers of ``where`` (a
    directory), or over the PostGIS database at URL ``where`` holding both."""
    from web import create_app

    settings = {"TESTING": True, "ADMIN_TOKEN": token, **config}
    if isinstance(where, str):
        settings["DATABASE_URL"] = where
    else:
        settings.update(GEODATA_DIR=geodata, LAYERS_DIR=str(where / "layers"))
    app = create_app(settings)
    _apps.append(app)
    return app


@pytest.fixture(scope="module")
def upload_client(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("uploads"), TOKEN, None).test_client()


@pytest.fixture()
def layer_dir(request, store_kind, tmp_path, mini_store):
    """Where the SYNTHETIC firms layer is: a layers directory, or a PostGIS database."""
    layer = NewLayer("firms", synthetic_frame(200), title_en="SYNTHETIC firms")
    if store_kind == "postgis":
        return postgis_with(request, mini_store, [layer])
    Engine.user_layers(tmp_path / "layers").put_layer(layer)
    return tmp_path


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_read_only_deployment_has_no_write_endpoint(layer_dir):
    client = make_app(layer_dir).test_client()
    r = client.post("/api/collections/firms/items", json={"type": "Feature", "geometry": POINT}, headers=auth())
    assert r.status_code == 405 and r.get_json()["code"] == "MethodNotAllowed"
    assert client.delete("/api/collections/firms/items/syn-1", headers=auth()).status_code == 405
    spec = client.get("/api/openapi").get_json()
    assert not any(m in ("post", "put", "delete") for p in spec["paths"].values() for m in p)
    # the layer is served like any collection
    items = client.get("/api/collections/firms/items?limit=5&bbox=120.0,35.9,120.7,36.5").get_json()
    assert items["numberMatched"] > 0 and len(items["features"]) == 5


def test_writes_need_the_token(layer_dir):
    client = make_app(layer_dir, TOKEN).test_client()
    body = {"type": "Feature", "geometry": POINT, "properties": {"kind": "chip"}}
    r = client.post("/api/collections/firms/items", json=body)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in r.get_json()["description"]
    r = client.post("/api/collections/firms/items", json=body, headers=auth("wrong"))
    assert r.status_code == 403 and "wrong" in r.get_json()["description"]
    r = client.post("/api/collections/firms/items", json=body, headers={"Authorization": "Basic abc"})
    assert r.status_code == 401
    assert client.get("/api/collections/firms/items?limit=1").get_json()["numberMatched"] == 200


def test_create_replace_delete_round_trip(layer_dir, caplog):
    app = make_app(layer_dir, TOKEN)
    client = app.test_client()
    first = client.get("/api/collections/firms/items?limit=1")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache"  # a layer can change: revalidate
    with caplog.at_level(logging.DEBUG):
        r = client.post("/api/collections/firms/items", headers=auth(),
                        json={"type": "Feature", "id": "new-1", "geometry": POINT,
                              "properties": {"kind": "chip", "staff": 12}})
    assert r.status_code == 201, r.get_json()
    assert r.headers["Location"].endswith("/api/collections/firms/items/new-1")
    assert r.get_json()["properties"] == {"id": "new-1", "kind": "chip", "staff": 12}
    assert TOKEN not in caplog.text  # the token is never logged
    again = client.get("/api/collections/firms/items?limit=1", headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["ETag"] != etag  # not a stale 304
    assert again.get_json()["numberMatched"] == 201
    near = client.get("/api/collections/firms/items?near=120.38,36.07&km=0.01").get_json()
    assert [f["id"] for f in near["features"]] == ["new-1"]
    r = client.put("/api/collections/firms/items/new-1", headers=auth(),
                   json={"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.5, 36.3]},
                         "properties": {"kind": "bio"}})
    assert r.status_code == 200 and r.get_json()["geometry"]["coordinates"] == [120.5, 36.3]
    assert client.get("/api/collections/firms/items/new-1").get_json()["properties"]["kind"] == "bio"
    # another app instance on the same files (another worker) sees the edit on its next request
    other = make_app(layer_dir, TOKEN).test_client()
    assert other.get("/api/collections/firms/items/new-1").status_code == 200
    assert client.delete("/api/collections/firms/items/new-1", headers=auth()).status_code == 204
    assert other.get("/api/collections/firms/items/new-1").status_code == 404
    assert client.get("/api/collections/firms/items/new-1").status_code == 404


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "words"), [
    ("post", "/api/collections/firms/items", {"data": "not json", "content_type": "application/json"}, 400, "not valid JSON"),
    ("post", "/api/collections/firms/items", {"data": "{}", "content_type": "text/plain"}, 415, "text/plain"),
    ("post", "/api/collections/firms/items", {"json": {"type": "Feature", "geometry": None}}, 400, "no geometry"),
    ("post", "/api/collections/firms/items", {"json": {"type": "Feature", "geometry": {"type": "Point", "coordinates": [500, 36]}}}, 400, "500"),
    ("post", "/api/collections/firms/items", {"json": {"type": "Feature", "id": "syn-3", "geometry": POINT}}, 409, "syn-3"),
    ("post", "/api/collections/firms/items", {"json": {"type": "Feature", "geometry": POINT, "properties": {"staff": 1.5}}}, 400, "staff"),
    ("post", "/api/collections/firms/items", {"json": {"type": "Feature", "geometry": {"type": "Point", "coordinates": [122.5, 35.0]}}}, 400, "km off"),
    ("put", "/api/collections/firms/items/syn-1", {"json": {"type": "Feature", "geometry": {"type": "Point", "coordinates": [36.07, 120.38]}}}, 400, "120.38"),
    ("put", "/api/collections/firms/items/nope", {"json": {"type": "Feature", "geometry": POINT}}, 404, "nope"),
    ("delete", "/api/collections/nowhere/items/x", {}, 404, "nowhere"),
    ("post", "/api/collections/{catalog}/items", {"json": {"type": "Feature", "geometry": POINT}}, 405, "read-only"),
])
def test_bad_writes_get_clear_errors(layer_dir, mini_store, method, path, kwargs, status, words):
    client = make_app(layer_dir, TOKEN).test_client()
    path = path.format(catalog=mini_store.collection_ids()[0])
    r = getattr(client, method)(path, headers=auth(), **kwargs)
    assert r.status_code == status, r.get_data(as_text=True)
    body = r.get_json()
    assert body["status"] == status and words in body["description"]
    assert client.get("/api/collections/firms/items?limit=1").get_json()["numberMatched"] == 200


def test_openapi_lists_the_writes_when_they_are_on(layer_dir):
    spec = make_app(layer_dir, TOKEN).test_client().get("/api/openapi").get_json()
    assert spec["paths"]["/collections/firms/items"]["post"]["responses"]["201"]
    assert set(spec["paths"]["/collections/firms/items/{featureId}"]) == {"get", "put", "delete"}
    assert spec["components"]["securitySchemes"]["adminToken"]["scheme"] == "bearer"
    # the catalog stays read-only in the description too
    assert all("post" not in p for k, p in spec["paths"].items() if "firms" not in k)


def land_csv(n: int, extra_rows: str = "") -> bytes:
    """A CSV of ``n`` SYNTHETIC points on Qingdao's land (GBK-encoded Chinese names)."""
    from datafiles import synthetic_land_points

    lon, lat = synthetic_land_points(n, seed=4).T
    rows = [f"u{i},合成企业{i},{x:.6f},{y:.6f}" for i, (x, y) in enumerate(zip(lon, lat))]
    return ("id,名称,lon,lat\n" + "\n".join(rows) + "\n" + extra_rows).encode("gbk")


def test_upload_a_whole_layer_through_the_web(upload_client):
    client = upload_client
    body = land_csv(300)
    r = client.put("/api/collections/uploaded?title_en=SYNTHETIC%20upload", data=body,
                   content_type="text/csv", headers=auth())
    assert r.status_code == 201, r.get_json()
    doc = r.get_json()
    assert (doc["imported"], doc["rowsRead"], doc["skipped"]) == (300, 300, [])
    assert "gb18030" in doc["source"].lower() or "gbk" in doc["source"].lower()
    assert r.headers["Location"].endswith("/api/collections/uploaded")
    items = client.get("/api/collections/uploaded/items?limit=2").get_json()
    assert items["numberMatched"] == 300 and items["features"][0]["properties"]["名称"] == "合成企业0"
    # a bad row refuses the file, by row number, and leaves the layer as it was
    bad = land_csv(10, "u99,坏,abc,36.1\n")
    r = client.put("/api/collections/uploaded", data=bad, content_type="text/csv", headers=auth())
    assert r.status_code == 400 and "row 11" in r.get_json()["description"]
    assert client.get("/api/collections/uploaded?lang=en").get_json()["title"] == "SYNTHETIC upload"
    assert client.get("/api/collections/uploaded/items?limit=1").get_json()["numberMatched"] == 300
    # skip-invalid imports the rest and lists what it skipped; 200: the layer existed
    r = client.put("/api/collections/uploaded?skip-invalid=true", data=bad, content_type="text/csv", headers=auth())
    assert r.status_code == 200 and r.get_json()["imported"] == 10
    assert [s["row"] for s in r.get_json()["skipped"]] == [11]
    assert client.delete("/api/collections/uploaded", headers=auth()).status_code == 204
    assert client.get("/api/collections/uploaded").status_code == 404


@pytest.mark.parametrize(("path", "kwargs", "status", "words"), [
    ("/api/collections/up", {"data": b"x", "content_type": "image/png"}, 415, "image/png"),
    ("/api/collections/up", {"data": b"", "content_type": "text/csv"}, 400, "empty"),
    ("/api/collections/up?skip-invalid=maybe", {"data": b"a", "content_type": "text/csv"}, 400, "maybe"),
    ("/api/collections/up?colour=red", {"data": b"a", "content_type": "text/csv"}, 400, "colour"),
    ("/api/collections/Bad%20Name", {"data": b"id,lon,lat\n1,120.4,36.1\n", "content_type": "text/csv"}, 400, "not valid"),
    ("/api/collections/up?coord-sys=utm", {"data": b"id,lon,lat\n", "content_type": "text/csv"}, 400, "utm"),
    ("/api/collections/up", {"data": b"id,lon,lat\n1,0.5,0.5\n", "content_type": "text/csv"}, 400, "row 1"),
    ("/api/collections/{catalog}", {"data": b"id,lon,lat\n", "content_type": "text/csv"}, 405, "read-only"),
])
def test_bad_uploads_get_clear_errors(upload_client, path, kwargs, status, words):
    client = upload_client
    r = client.put(path.format(catalog="parks"), headers=auth(), **kwargs)
    assert r.status_code == status, r.get_data(as_text=True)
    assert words in r.get_json()["description"]
    assert client.get("/api/collections/up").status_code == 404


def test_upload_size_limit_is_its_own(tmp_path):
    client = make_app(tmp_path, TOKEN, None, MAX_CONTENT_LENGTH=100, MAX_UPLOAD_LENGTH=50_000).test_client()
    assert client.put("/api/collections/up", data=land_csv(300), content_type="text/csv",
                      headers=auth()).status_code == 201  # over 100 bytes, under the upload limit
    r = client.put("/api/collections/up", data=land_csv(3000), content_type="text/csv", headers=auth())
    assert r.status_code == 413 and "50000" in r.get_json()["description"]


def test_spatial_answers_are_kept_per_data_version(layer_dir, monkeypatch):
    """/api/near and /api/nearest compute an answer once per question and data version: a
    repeated question is not recomputed, and an edit (a new version) is seen at once."""
    from corridor import queries

    calls: list[str] = []
    for name in ("within_distance", "nearest"):
        real = getattr(queries, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(queries, name, spy)
    client = make_app(layer_dir, TOKEN).test_client()
    near = "/api/near?of=120.38,36.07&km=0.01&collections=firms"
    assert client.get(near).get_json()["numberMatched"] == 0
    assert client.get(near).get_json()["numberMatched"] == 0
    assert calls == ["within_distance"]  # asked twice, computed once
    client.get("/api/nearest?of=120.38,36.07&collections=firms")
    client.get("/api/nearest?of=120.38,36.07&collections=firms")
    client.get(near.replace("km=0.01", "km=0.02"))  # another question
    assert calls == ["within_distance", "nearest", "within_distance"]
    r = client.post("/api/collections/firms/items", headers=auth(),
                    json={"type": "Feature", "id": "new-1", "geometry": POINT})
    assert r.status_code == 201
    after = client.get(near).get_json()
    assert [f["id"] for f in after["features"]] == ["new-1"] and len(calls) == 4
    nearest = client.get("/api/nearest?of=120.38,36.07&collections=firms").get_json()
    assert [f["id"] for f in nearest["features"]] == ["new-1"]
