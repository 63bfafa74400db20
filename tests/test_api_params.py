"""Query parameters are declared once (:mod:`web.api.params`): what each operation accepts is
exactly what the OpenAPI document says it accepts, and the declarations parse, default and
fill the items query by themselves."""

from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import MultiDict

from corridor.errors import InvalidParameter
from corridor.model import ItemsQuery
from web.api import params
from web.api.errors import InvalidParameterValue

UNKNOWN = "zz-not-a-parameter"


def documented(doc: dict, op: dict) -> set[str]:
    """The names of an operation's query parameters, its ``$ref`` ones resolved."""
    names = set()
    for p in op.get("parameters", []):
        if "$ref" in p:
            p = doc["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
        if p["in"] == "query":
            names.add(p["name"])
    return names


def accepted(resp) -> set[str]:
    """The names an unknown-parameter 400 lists as the ones accepted."""
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
    description = resp.get_json()["description"]
    found = re.fullmatch(rf"unknown query parameter '{UNKNOWN}'; expected one of (.+)", description)
    assert found, description
    return set(found.group(1).split(", "))


def concrete(path: str, client) -> str:
    """``path`` of the document with its path parameters filled in with real values."""
    if "{featureId}" in path:
        items = path.split("/items/")[0]
        fid = client.get(f"/api{items}/items?limit=1").get_json()["features"][0]["id"]
        path = path.replace("{featureId}", str(fid))
    for name, value in (("{tileMatrixSetId}", "WebMercatorQuad"), ("{tileMatrix}", "0"),
                        ("{tileRow}", "0"), ("{tileCol}", "0")):
        path = path.replace(name, value)
    assert "{" not in path, path
    return path


def test_every_read_operation_accepts_exactly_the_parameters_it_documents(mini_client):
    doc = mini_client.get("/api/openapi?f=json").get_json()
    checked = 0
    for path, item in doc["paths"].items():
        op = item["get"]
        resp = mini_client.get(f"/api{concrete(path, mini_client)}?{UNKNOWN}=1")
        assert accepted(resp) == documented(doc, op), path
        checked += 1
    assert checked == len(doc["paths"]) > 20


def test_the_upload_accepts_exactly_the_parameters_it_documents(tmp_path):
    from conftest import MINI_GEODATA

    from web import create_app

    client = create_app({"TESTING": True, "ADMIN_TOKEN": "t", "GEODATA_DIR": str(MINI_GEODATA),
                         "LAYERS_DIR": str(tmp_path)}).test_client()
    doc = client.get("/api/openapi").get_json()
    put = doc["paths"]["/collections/{collectionId}"]["put"]
    resp = client.put(f"/api/collections/up?{UNKNOWN}=1", data=b"id,lon,lat\n",
                      content_type="text/csv", headers={"Authorization": "Bearer t"})
    assert accepted(resp) == documented(doc, put)
    assert {"skip-invalid", "coord-sys", "title_en"} <= documented(doc, put)


def test_a_documented_default_is_what_absence_means(mini_client):
    """Sending each items parameter's documented default answers as leaving it out."""
    doc = mini_client.get("/api/openapi").get_json()
    op = doc["paths"]["/collections/parks/items"]["get"]
    defaults = {}
    for p in op["parameters"]:
        p = doc["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
        if "default" in p["schema"] and p["name"] != "filter-lang":  # filter-lang needs a filter
            defaults[p["name"]] = p["schema"]["default"]
    assert defaults == {"limit": 10, "offset": 0, "coord-sys": "wgs84"}
    plain = mini_client.get("/api/collections/parks/items").get_json()
    for name, value in defaults.items():
        got = mini_client.get(f"/api/collections/parks/items?{name}={value}").get_json()
        assert [f["id"] for f in got["features"]] == [f["id"] for f in plain["features"]], name
        assert got["numberMatched"] == plain["numberMatched"]


def test_declarations_fill_the_items_query():
    qables = {"kind": {"type": "string"}, "year": {"type": "integer"}, "limit": {"type": "string"},
              "geometry": {"format": "geometry-any"}}
    from web.api.features import items_params

    declared = items_params(qables)
    # a property named like a declared parameter is not a second parameter of that name
    assert [p.name for p in declared].count("limit") == 1 and "geometry" not in declared.by_name
    v = declared.read(MultiDict({"limit": "20000", "offset": "5", "q": " 园 ", "industry": "AI",
                                 "datetime": "2020-01-01/..", "kind": "park", "year": "2021"}))
    iq = declared.fill(ItemsQuery(), v)
    assert (iq.limit, iq.offset, iq.q, iq.industry) == (params.MAX_LIMIT, 5, "园", "AI")
    assert (iq.when.start.isoformat(), iq.when.end) == ("2020-01-01", None)
    assert iq.equals == {"kind": "park", "year": 2021}
    empty = declared.fill(ItemsQuery(), declared.read(MultiDict()))
    assert (empty.limit, empty.offset, empty.q, empty.equals, empty.when) == (10, 0, None, {}, None)


def test_a_new_items_filter_needs_only_its_declaration():
    """A declaration naming an ItemsQuery field is parsed, checked and filled with no handler
    code (here into ``q``, standing in for a new field)."""
    extra = params.Param("name-like", "test only", {"type": "string"}, params.parse_text("name-like"),
                         field="q")
    declared = params.Params(params.LANG) + (extra,)
    iq = declared.fill(ItemsQuery(), declared.read(MultiDict({"name-like": "lab"})))
    assert iq.q == "lab"
    with pytest.raises(InvalidParameterValue, match="name-like is empty"):
        declared.read(MultiDict({"name-like": " "}))
    assert extra.spec() == {"name": "name-like", "in": "query", "required": False,
                            "description": "test only", "schema": {"type": "string"}}


@pytest.mark.parametrize(("query", "message"), [
    ({"of": "x", "lang": "fr"}, "lang='fr' is not supported; expected zh or en"),
    ({"of": "x", "lang": "EN"}, "lang='EN' is not supported"),
    ({"bobx": "1"}, "unknown query parameter 'bobx'; expected one of bbox, "),
    ({"of": "a,b"}, "coordinate ('a', 'b') is not valid"),
    ({}, "of is missing; expected a feature id or lon,lat"),
    ({"of": "x", "k": "0"}, "k=0 is not valid; expected an integer from 1 to 1000"),
    ({"of": "x", "per-collection": "maybe"}, "per-collection='maybe' is not valid; expected true or false"),
    ({"of": "x", "collections": " , "}, "collections is empty"),
    ({"of": "x", "coord-sys": "utm"}, "coordinate system 'utm' is not supported"),
])
def test_bad_values_name_the_value_and_what_is_expected(query, message):
    from web.api.spatial import NEAREST

    declared = NEAREST + (params.Param("bbox", "", {}, params.parse_bbox),)
    with pytest.raises((InvalidParameterValue, InvalidParameter)) as err:
        declared.read(MultiDict(query))
    assert message in str(err.value)


def test_a_repeated_parameter_is_refused():
    with pytest.raises(InvalidParameterValue, match="parameter 'lang' given 2 times; expected once"):
        params.DOC.read(MultiDict([("lang", "zh"), ("lang", "en")]))


@pytest.mark.parametrize(("text", "expected"), [
    ("2021-05-01", ("2021-05-01", "2021-05-01")), ("2021-05-01T00:00:00Z/..", ("2021-05-01", None)),
    ("../2019-12-31T23:59:59+08:00", (None, "2019-12-31")), ("/2018-01-01", (None, "2018-01-01")),
])
def test_datetime_gives_the_interval(text, expected):
    got = params.DATETIME.read(text)
    assert (got.start and got.start.isoformat(), got.end and got.end.isoformat()) == expected


@pytest.mark.parametrize("text", ["2021", "yesterday", "2021-02-30", "a/b/c", "2021-01-01/2022-01-01/2023-01-01"])
def test_bad_datetimes(text):
    with pytest.raises(InvalidParameter, match=re.escape(f"datetime={text!r}")):
        params.DATETIME.read(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("120.4,36.1", (120.4, 36.1)), (" parks-1 ", "parks-1"), ("120,36", (120.0, 36.0)),
])
def test_an_origin_is_an_id_or_a_position(text, expected):
    assert params.parse_of(text) == expected


def test_collections_must_be_known():
    assert params.known_collections(["a"], ["a", "b"]) == ["a"]
    assert params.known_collections(None, ["a"]) is None
    with pytest.raises(InvalidParameterValue, match="'c' is not a collection; expected some of a, b"):
        params.known_collections(["a", "c"], ["a", "b"])


def test_one_component_name_means_one_declaration():
    from web.api.openapi import Document

    doc = Document(store=None)  # type: ignore[arg-type]  # no store needed to add parameters
    assert doc.parameter(params.LANG) == {"$ref": "#/components/parameters/lang"}
    assert doc.parameter(params.LANG) == {"$ref": "#/components/parameters/lang"}
    other = params.Param("lang", "another", {"type": "string"})
    with pytest.raises(ValueError, match="two declarations of parameter 'lang'"):
        doc.parameter(other)
    with pytest.raises(ValueError, match="declared twice"):
        params.Params(params.LANG, other)


@pytest.mark.parametrize("coord_sys", ["gcj02", "bd09"])
def test_a_bbox_off_the_globe_in_a_chinese_coordinate_system_is_a_400(mini_client, coord_sys):
    """Schemathesis found a 500: the GCJ-02/BD-09 formulas overflow on numbers far off the
    globe (a warning the server must not turn into an error)."""
    box = "-2.6e174,-2.4e16,-4.6e16,1e26,4.3e211,0.0"
    resp = mini_client.get(f"/api/collections/parks/items?bbox={box}&coord-sys={coord_sys}")
    assert resp.status_code == 400, resp.get_data(as_text=True)
    message = resp.get_json()["description"]
    assert "is not a lon,lat box" in message and f"coord-sys={coord_sys}" in message
    ok = mini_client.get(f"/api/collections/parks/items?bbox=120.1,36.0,120.5,36.4&coord-sys={coord_sys}")
    assert ok.status_code == 200
