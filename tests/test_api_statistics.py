"""``/api/collections/{cid}/statistics`` and the indicators document's imported counts, over
the bundled data plus a SYNTHETIC user layer (``user_client``), checked against brute force."""

from __future__ import annotations

import csv
import io

import pytest
import shapely
from datafiles import brute_campuses, brute_zones, synthetic_user_layer
from markupsafe import escape

USER = "/api/collections/synthetic/statistics"


@pytest.fixture(scope="module")
def features():
    return synthetic_user_layer()  # the layer user_geodata holds


def counts(doc):
    return {z["id"]: z["count"] for z in doc["counts"]}


def sizes(expected):
    return {k: None if v is None else len(v) for k, v in expected.items()}


def test_counts_per_park_match_brute_force(user_client, features, catalog):
    doc = user_client.get(USER + "?by=park").get_json()
    assert counts(doc) == sizes(brute_zones(features, catalog.collection("parks")))
    placed = sum(f["geometry"] is not None for f in features)
    assert (doc["total"], doc["placed"], doc["unplaced"]) == (len(features), placed, 5)
    assert doc["by"] == "park" and doc["zones"] == "parks" and doc["km"] is None
    assert "boundary included" in doc["rule"]
    names = {z["id"]: z["name"] for z in doc["counts"]}
    assert names["park-blue-silicon-valley"] == catalog.collection("parks").feature("park-blue-silicon-valley")["name_zh"]


def test_counts_per_district_match_brute_force(user_client, features, catalog):
    doc = user_client.get(USER + "?by=district&lang=en").get_json()
    expected = brute_zones(features, catalog.collection("districts"))
    assert counts(doc) == sizes(expected)
    met = set().union(*expected.values())
    assert doc["outside"] == sum(f["geometry"] is not None and f["id"] not in met for f in features)
    assert doc["counts"][0]["name"] == "Shinan District"


def test_counts_within_km_of_each_campus_match_brute_force(user_client, features, catalog):
    doc = user_client.get(USER + "?by=campus&km=3").get_json()
    assert doc["km"] == 3.0 and doc["zones"] == "universities"
    assert counts(doc) == sizes(brute_campuses(features, catalog.collection("universities"), 3.0))
    default = user_client.get(USER + "?by=campus").get_json()
    assert default["km"] == 5.0
    assert counts(default) == sizes(brute_campuses(features, catalog.collection("universities"), 5.0))


def test_by_defaults_to_park(user_client):
    assert counts(user_client.get(USER).get_json()) == counts(user_client.get(USER + "?by=park").get_json())


@pytest.mark.parametrize(("query", "needle"), [
    ("by=parks", "by='parks' is not valid; expected one of park, district, campus"),
    ("by=", "by='' is not valid; expected one of park, district, campus"),
    ("by=Park", "by='Park'"),
    ("by=campus&km=0", "km='0' is not valid; expected a number of kilometres greater than 0"),
    ("by=campus&km=-2", "km='-2'"),
    ("by=campus&km=abc", "km='abc'"),
    ("by=campus&km=301", "at most 300"),
    ("by=campus&km=inf", "km='inf'"),
    ("by=park&km=5", "km='5' applies to by=campus only"),
    ("by=district&km=5", "expected no km with by=district"),
    ("bye=park", "unknown query parameter 'bye'"),
    ("by=park&by=district", "given 2 times"),
])
def test_bad_parameters_are_400_naming_value_and_choices(user_client, query, needle):
    resp = user_client.get(f"{USER}?{query}")
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["code"] == "InvalidParameterValue" and body["status"] == 400
    assert needle in body["description"]


def test_unknown_collection_is_404(user_client):
    resp = user_client.get("/api/collections/nope/statistics?by=park")
    assert resp.status_code == 404 and "nope" in resp.get_json()["description"]


def test_csv_has_a_row_per_zone_then_outside_and_unplaced(user_client):
    doc = user_client.get(USER + "?by=district").get_json()
    resp = user_client.get(USER + "?by=district&f=csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert 'filename="synthetic-by-district.csv"' in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["zone_id", "zone_name_zh", "zone_name_en", "count"]
    assert {r[0]: int(r[3]) for r in rows[1:-2]} == counts(doc)
    assert rows[-2][2:] == ["outside every zone", str(doc["outside"])]
    assert rows[-1][2:] == ["location not published", "5"]
    campus = user_client.get(USER + "?by=campus&km=2.5&f=csv")
    assert 'filename="synthetic-by-campus-2.5km.csv"' in campus.headers["Content-Disposition"]


def test_a_zone_without_a_position_has_null_count_and_empty_csv_cell(user_client):
    doc = user_client.get(USER).get_json()
    assert counts(doc)["park-qingdao-future-tech-park"] is None
    rows = list(csv.reader(io.StringIO(user_client.get(USER + "?f=csv").get_data(as_text=True))))
    assert [r[3] for r in rows if r[0] == "park-qingdao-future-tech-park"] == [""]


def test_html_lists_the_counts(user_client):
    doc = user_client.get(USER + "?by=park&lang=en").get_json()
    resp = user_client.get(USER + "?by=park&f=html&lang=en")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert "SYNTHETIC enterprises (test only)" in html
    for z in doc["counts"]:
        shown = "location not published" if z["count"] is None else str(z["count"])
        assert f'<tr data-zone="{z["id"]}"><td>{escape(z["name"])}</td><td><code>{z["id"]}</code></td><td>{shown}</td>' in html


def test_collection_document_links_to_its_statistics(user_client):
    doc = user_client.get("/api/collections/synthetic").get_json()
    related = [link["href"] for link in doc["links"] if "/statistics" in link["href"]]
    assert [h.split("?")[1] for h in related] == ["by=park", "by=district", "by=campus&km=5"]
    for href in related:
        resp = user_client.get(href)
        assert resp.status_code == 200 and resp.get_json()["collection"] == "synthetic"


def test_etag_follows_the_data_version(user_client, client):
    first = user_client.get("/api/collections/labs/statistics?by=district")
    tag = first.headers["ETag"]
    again = user_client.get("/api/collections/labs/statistics?by=district", headers={"If-None-Match": tag})
    assert again.status_code == 304
    # the bundled-only app serves the same labs and counts but another data version
    other = client.get("/api/collections/labs/statistics?by=district")
    assert other.get_json()["counts"] == first.get_json()["counts"]
    assert other.headers["ETag"] != tag
    assert client.get("/api/collections/labs/statistics?by=district",
                      headers={"If-None-Match": tag}).status_code == 200


def test_statistics_are_computed_once_per_version(user_app, monkeypatch):
    import web.layerstats

    calls = []
    real = web.layerstats.layer_statistics

    def counting(*args, **kw):
        calls.append(args[1:])
        return real(*args, **kw)

    monkeypatch.setattr(web.layerstats, "layer_statistics", counting)
    c = user_app.test_client()
    for f in ("json", "csv", "html"):
        assert c.get(f"/api/collections/labs/statistics?by=campus&km=7&f={f}").status_code == 200
    assert calls == [("labs", "campus", "7")]


def test_every_collection_can_be_counted_every_way(user_client):
    for c in user_client.get("/api/collections").get_json()["collections"]:
        for by in ("park", "district", "campus"):
            resp = user_client.get(f"/api/collections/{c['id']}/statistics?by={by}")
            assert resp.status_code == 200, (c["id"], by, resp.get_data(as_text=True))
            doc = resp.get_json()
            assert doc["placed"] + doc["unplaced"] == doc["total"]


def test_openapi_declares_the_statistics(user_client):
    doc = user_client.get("/api/openapi?f=json").get_json()
    op = doc["paths"]["/collections/synthetic/statistics"]["get"]
    params = {p["$ref"].rsplit("/", 1)[1] for p in op["parameters"]}
    assert {"by", "km-statistics", "f-statistics"} <= params
    assert doc["components"]["parameters"]["by"]["schema"]["enum"] == ["park", "district", "campus"]
    assert "text/csv" in op["responses"]["200"]["content"]


def test_indicators_document_gives_the_imported_count_beside_the_target(user_client, features):
    doc = user_client.get("/api/indicators?lang=en").get_json()
    rows = {i["id"]: i for i in doc["indicators"]}
    hte = rows["high-tech-enterprises"]
    assert hte["target"]["value"] == 8000
    [imp] = hte["imported"]
    assert (imp["collection"], imp["count"], imp["placed"]) == ("synthetic", len(features), len(features) - 5)
    assert imp["title"] == "SYNTHETIC enterprises (test only)"
    assert any("by=park" in link["href"] for link in imp["links"])
    assert all(not rows[i]["imported"] for i in rows if i != "high-tech-enterprises")


def test_indicators_document_without_tagged_layers(client):
    assert all(i["imported"] == [] for i in client.get("/api/indicators").get_json()["indicators"])


def test_statistics_of_an_imported_layer_follow_its_replacement(tmp_path, store, catalog):
    """A layer stored by the LayerStore (as `corridor import` does), then replaced by another
    writer: the statistics, their ETag and the pages follow the new version."""
    from datafiles import synthetic_frame

    from corridor.model import NewLayer
    from corridor.store import Engine
    from web import create_app

    frame = synthetic_frame(2000)
    layer = NewLayer("firms", frame, title_en="SYNTHETIC firms", title_zh="SYNTHETIC 合成企业",
                     indicator="high-tech-enterprises")
    Engine.user_layers(tmp_path / "layers", store.indicators()).put_layer(layer)
    client = create_app({"TESTING": True, "LAYERS_DIR": str(tmp_path / "layers")}).test_client()
    districts = catalog.collection("districts").gdf.geometry

    def expected(rows):
        pts = rows.geometry.values
        return {d: int(shapely.covers(g, pts).sum()) for d, g in districts.items()}

    first = client.get("/api/collections/firms/statistics?by=district")
    assert counts(first.get_json()) == expected(frame)
    page = client.get("/indicators?lang=en").get_data(as_text=True)
    assert "imported: 2,000 features in layer “SYNTHETIC firms”, target 8000 enterprises" in page

    Engine.user_layers(tmp_path / "layers", store.indicators()).put_layer(
        NewLayer("firms", frame.iloc[:500], title_en="SYNTHETIC firms", indicator="high-tech-enterprises"))
    second = client.get("/api/collections/firms/statistics?by=district",
                        headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and second.headers["ETag"] != first.headers["ETag"]
    assert counts(second.get_json()) == expected(frame.iloc[:500])
    assert second.get_json()["total"] == 500
    page = client.get("/indicators?lang=en").get_data(as_text=True)
    assert "imported: 500 features in layer" in page
    park = client.get("/parks/park-blue-silicon-valley?lang=en").get_data(as_text=True)
    assert 'data-layer="firms"' in park
