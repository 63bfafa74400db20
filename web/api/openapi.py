"""The OpenAPI 3.0 document of the API, built once per app from the catalog and cached.

Self-contained: every ``$ref`` points inside this document (no external hosts). Items paths
are listed per collection so each can declare one equality parameter per queryable property.
The corridor's own questions (near, nearest, at, coord-sys, q, industry) are declared here as
extensions of OGC API - Features.
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app

from corridor import checks
from corridor.cql import FILTER_LANGS
from corridor.stats import BY, DEFAULT_KM
from corridor.tiles import MAX_ZOOM, TMS_ID
from web import get_store
from web.api.crs import CRS_URIS
from web.api.formats import DOC_FORMATS, FEATURE_FORMATS, MEDIA_TYPES
from web.api.params import DEFAULT_LIMIT, MAX_K, MAX_KM, MAX_LIMIT

OPENAPI_MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"
_REF = "#/components/"


def openapi_document() -> bytes:
    """The OpenAPI document as JSON bytes, built once per store version and cached on the app."""
    version = get_store().version
    cached = current_app.extensions.get("corridor_openapi")
    if cached is None or cached[0] != version:
        cached = (version, json.dumps(build(), ensure_ascii=False).encode())
        current_app.extensions["corridor_openapi"] = cached
    return cached[1]


def _p(name: str) -> dict[str, str]:
    return {"$ref": f"{_REF}parameters/{name}"}


def _q(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema, **extra}


PARAMETERS: dict[str, dict[str, Any]] = {
    "f-doc": _q("f", "Response format (overrides Accept).", {"type": "string", "enum": list(DOC_FORMATS)}),
    "f-json": _q("f", "Response format (overrides Accept): JSON only.", {"type": "string", "enum": ["json"]}),
    "f-mvt": _q("f", "Response format (overrides Accept): Mapbox Vector Tile only.",
                {"type": "string", "enum": ["mvt"]}),
    "f-features": _q("f", "Response format (overrides Accept): GeoJSON (json/geojson), HTML, CSV "
                     "(properties, two coordinate columns for points and WKT), GeoPackage, KML.",
                     {"type": "string", "enum": ["json", *FEATURE_FORMATS]}),
    "lang": _q("lang", "Language of titles (zh or en; default: the server's DEFAULT_LANG).",
               {"type": "string", "enum": ["zh", "en"]}),
    "bbox": _q("bbox", "Only features intersecting this box: minx,miny,maxx,maxy (or 6 numbers "
               "with heights), in the axis order of bbox-crs (default CRS84 lon,lat). With coord-sys "
               "gcj02/bd09 the box is in that system.",
               {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
               style="form", explode=False),
    "bbox-crs": _q("bbox-crs", "CRS of bbox (OGC API - Features Part 2).",
                   {"type": "string", "format": "uri", "enum": list(CRS_URIS)}),
    "crs": _q("crs", "CRS of the output coordinates (Part 2). EPSG:4326 and EPSG:4490 are lat,lon; "
              "EPSG:4549 is northing,easting in metres; CRS84 (default) is lon,lat.",
              {"type": "string", "format": "uri", "enum": list(CRS_URIS)}),
    "limit": _q("limit", f"Page size (default {DEFAULT_LIMIT}; values above {MAX_LIMIT} are "
                f"clamped to {MAX_LIMIT}).", {"type": "integer", "minimum": 1, "default": DEFAULT_LIMIT}),
    "offset": _q("offset", "Number of matching features to skip (follow the next link instead).",
                 {"type": "integer", "minimum": 0, "default": 0}),
    "datetime": _q("datetime", "RFC 3339 instant or interval. A feature exists from its `year` "
                   "(opened, approved or construction begun) on: it matches when that year is at "
                   "most the year of the instant or of the interval's end; an open end (`..`) "
                   "matches every feature, including those only planned.",
                   {"type": "string", "pattern": r"^(\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?|\.\.)?(/(\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?|\.\.)?)?$",
                    "minLength": 10}),
    "q": _q("q", "Extension: features whose Chinese or English name contains this text.",
            {"type": "string", "minLength": 1, "maxLength": checks.MAX_TEXT}),
    "industry": _q("industry", "Extension: features whose industries (zh or en) match this term.",
                   {"type": "string", "minLength": 1, "maxLength": checks.MAX_TEXT}),
    "near": _q("near", "Extension: only features within km of this place: a feature id or lon,lat "
               "(in coord-sys); adds property distance_km and sorts by it.",
               {"type": "string", "minLength": 1, "maxLength": checks.MAX_ID}),
    "km": _q("km", "Extension: distance in kilometres for near.",
             {"type": "number", "exclusiveMinimum": True, "minimum": 0, "maximum": MAX_KM}),
    "coord-sys": _q("coord-sys", "Extension: coordinate system of point inputs (near, of, lon/lat, "
                    "bbox) AND of output coordinates: wgs84 (default), gcj02 (AMap, Tencent) or "
                    "bd09 (Baidu), so features line up on those basemaps. Only with the default "
                    "crs; not for GeoPackage/KML output.",
                    {"type": "string", "enum": ["wgs84", "gcj02", "bd09"], "default": "wgs84"}),
    "filter": _q("filter", "CQL2 filter (Part 3) over the queryables: comparison, logical, LIKE, "
                 "IN, BETWEEN, IS NULL and spatial (S_INTERSECTS...) with the property geometry.",
                 {"type": "string", "minLength": 1, "maxLength": checks.MAX_FILTER}),
    "filter-lang": _q("filter-lang", "Language of filter.",
                      {"type": "string", "enum": list(FILTER_LANGS), "default": "cql2-text"}),
    "filter-crs": _q("filter-crs", "CRS of geometry literals in filter.",
                     {"type": "string", "format": "uri", "enum": list(CRS_URIS)}),
    "of": _q("of", "Origin: a feature id or lon,lat (in coord-sys).",
             {"type": "string", "minLength": 1, "maxLength": checks.MAX_ID}, required=True),
    "collections": _q("collections", "Comma-separated collection ids (default: all).",
                      {"type": "string", "minLength": 1}),
    "k": _q("k", "Number of nearest features.", {"type": "integer", "minimum": 1,
                                                   "maximum": MAX_K, "default": 1}),
    "per-collection": _q("per-collection", "k nearest in each collection instead of overall.",
                         {"type": "boolean", "default": False}),
    "f-statistics": _q("f", "Response format (overrides Accept): JSON, HTML or CSV (a row per zone).",
                       {"type": "string", "enum": ["json", "html", "csv"]}),
    "by": _q("by", "Extension: count per park, per district, or within km of each university "
             "campus. A feature counts for every park or district its geometry intersects "
             "(boundary included), or every campus within km of it (geodesic).",
             {"type": "string", "enum": list(BY), "default": "park"}),
    "km-statistics": _q("km", f"Extension: radius around each campus in kilometres (by=campus "
                        f"only; default {DEFAULT_KM:g}).",
                        {"type": "number", "exclusiveMinimum": True, "minimum": 0, "maximum": MAX_KM}),
    "lon": _q("lon", "Longitude (in coord-sys).", {"type": "number", "minimum": -180, "maximum": 180},
              required=True),
    "lat": _q("lat", "Latitude (in coord-sys).", {"type": "number", "minimum": -90, "maximum": 90},
              required=True),
}

_LINK = {"type": "object", "required": ["href", "rel"], "properties": {
    "href": {"type": "string"}, "rel": {"type": "string"}, "type": {"type": "string"},
    "title": {"type": "string"}, "hreflang": {"type": "string"}}}
_GEOMETRY = {"type": "object", "required": ["type"], "properties": {
    "type": {"type": "string", "enum": ["Point", "MultiPoint", "LineString", "MultiLineString",
                                        "Polygon", "MultiPolygon", "GeometryCollection"]},
    "coordinates": {"type": "array"}}}
_FEATURE = {"type": "object", "required": ["type", "geometry", "properties"], "properties": {
    "type": {"type": "string", "enum": ["Feature"]},
    "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
    "geometry": {"nullable": True, "allOf": [{"$ref": f"{_REF}schemas/geometryGeoJSON"}]},
    "properties": {"type": "object", "nullable": True},
    "links": {"type": "array", "items": {"$ref": f"{_REF}schemas/link"}}}}
_FEATURES = {"type": "object", "required": ["type", "features"], "properties": {
    "type": {"type": "string", "enum": ["FeatureCollection"]},
    "features": {"type": "array", "items": {"$ref": f"{_REF}schemas/featureGeoJSON"}},
    "links": {"type": "array", "items": {"$ref": f"{_REF}schemas/link"}},
    "timeStamp": {"type": "string", "format": "date-time"},
    "numberMatched": {"type": "integer", "minimum": 0},
    "numberReturned": {"type": "integer", "minimum": 0}}}
_LINKS = {"type": "array", "items": {"$ref": f"{_REF}schemas/link"}}
_COLLECTION = {"type": "object", "required": ["id", "links"], "properties": {
    "id": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
    "links": _LINKS, "itemType": {"type": "string"},
    "crs": {"type": "array", "items": {"type": "string"}}, "storageCrs": {"type": "string"},
    "extent": {"type": "object"}}}
_TILESET_ITEM: dict[str, Any] = {"type": "object", "required": ["dataType", "crs", "links"], "properties": {
    "title": {"type": "string"}, "dataType": {"type": "string", "enum": ["vector"]},
    "crs": {"type": "string"}, "tileMatrixSetURI": {"type": "string"}, "links": _LINKS}}
SCHEMAS: dict[str, Any] = {
    "exception": {"type": "object", "required": ["code", "description", "status"], "properties": {
        "code": {"type": "string"}, "description": {"type": "string"}, "status": {"type": "integer"}}},
    "link": _LINK,
    "landingPage": {"type": "object", "required": ["links"], "properties": {
        "title": {"type": "string"}, "description": {"type": "string"}, "links": _LINKS}},
    "confClasses": {"type": "object", "required": ["conformsTo"], "properties": {
        "conformsTo": {"type": "array", "items": {"type": "string"}}}},
    "collection": _COLLECTION,
    "collections": {"type": "object", "required": ["links", "collections"], "properties": {
        "links": _LINKS, "collections": {"type": "array", "items": {"$ref": f"{_REF}schemas/collection"}}}},
    "geometryGeoJSON": _GEOMETRY,
    "featureGeoJSON": _FEATURE,
    "featureCollectionGeoJSON": _FEATURES,
    "queryables": {"type": "object", "required": ["type", "properties"], "properties": {
        "type": {"type": "string"}, "properties": {"type": "object"}, "title": {"type": "string"}}},
    "tileMatrixSets": {"type": "object", "required": ["tileMatrixSets"], "properties": {
        "links": _LINKS, "tileMatrixSets": {"type": "array", "items": {
            "type": "object", "required": ["id", "links"], "properties": {
                "id": {"type": "string"}, "title": {"type": "string"}, "uri": {"type": "string"},
                "links": _LINKS}}}}},
    "tileMatrixSet": {"type": "object", "required": ["crs", "tileMatrices"], "properties": {
        "id": {"type": "string"}, "uri": {"type": "string"}, "crs": {"type": "string"},
        "tileMatrices": {"type": "array", "items": {"type": "object", "required": [
            "id", "scaleDenominator", "cellSize", "pointOfOrigin", "tileWidth", "tileHeight",
            "matrixWidth", "matrixHeight"]}}}},
    "tileSets": {"type": "object", "required": ["tilesets"], "properties": {
        "links": _LINKS, "tilesets": {"type": "array", "items": _TILESET_ITEM}}},
    "tileSet": {**_TILESET_ITEM, "properties": {
        **_TILESET_ITEM["properties"], "layers": {"type": "array", "items": {"type": "object"}},
        "boundingBox": {"type": "object"}}},
    "indicators": {"type": "object", "required": ["indicators"], "properties": {"links": _LINKS,
        "indicators": {"type": "array", "items": {"type": "object", "required": [
            "id", "name", "unit", "baseline", "target"], "properties": {
            "id": {"type": "string"}, "number": {"type": "integer"}, "name": {"type": "string"},
            "unit": {"type": "string"},
            "baseline": {"type": "object", "properties": {"value": {"type": "number", "nullable": True},
                                                          "text": {"type": "string"},
                                                          "year": {"type": "integer"}}},
            "target": {"type": "object", "properties": {"value": {"type": "number"},
                                                        "text": {"type": "string"},
                                                        "year": {"type": "integer"}}}}}}}},
}

_COUNT = {"type": "integer", "minimum": 0}
SCHEMAS["statistics"] = {
    "type": "object", "required": ["collection", "by", "zones", "total", "placed", "unplaced",
                                   "outside", "counts"],
    "properties": {
        "collection": {"type": "string"}, "title": {"type": "string"},
        "by": {"type": "string", "enum": list(BY)}, "zones": {"type": "string"},
        "km": {"type": "number", "nullable": True}, "rule": {"type": "string"},
        "total": _COUNT, "placed": _COUNT, "unplaced": _COUNT, "outside": _COUNT,
        "counts": {"type": "array", "items": {"type": "object", "required": ["id", "count"],
                                              "properties": {
            "id": {"type": "string"}, "name": {"type": "string"}, "name_zh": {"type": "string"},
            "name_en": {"type": "string"},
            "count": {**_COUNT, "nullable": True,
                      "description": "null when the zone's own location is not published"}}}},
        "links": _LINKS}}
SCHEMAS["indicators"]["properties"]["indicators"]["items"]["properties"]["imported"] = {
    "type": "array", "description": "Layers tagged with this indicator and their feature counts",
    "items": {"type": "object", "required": ["collection", "count"], "properties": {
        "collection": {"type": "string"}, "title": {"type": "string"}, "count": _COUNT,
        "placed": _COUNT}}}

_HTML = {"text/html": {"schema": {"type": "string"}}}
_ERROR_CONTENT = {"application/json": {"schema": {"$ref": f"{_REF}schemas/exception"}}, **_HTML}
RESPONSES = {
    "400": {"description": "Bad parameter (unknown name, malformed value).", "content": _ERROR_CONTENT},
    "404": {"description": "Unknown collection, feature or origin id.", "content": _ERROR_CONTENT},
    "406": {"description": "None of the requested formats is offered.", "content": _ERROR_CONTENT},
    "414": {"description": "The URL is longer than the service answers (MAX_URL_LENGTH).",
            "content": _ERROR_CONTENT},
}
#: Answers only writes give (listed when writes are on).
WRITE_RESPONSES = {
    "401": {"description": "No admin token (send Authorization: Bearer <token>).", "content": _ERROR_CONTENT},
    "403": {"description": "Wrong admin token.", "content": _ERROR_CONTENT},
    "405": {"description": "The collection is part of the read-only catalog.", "content": _ERROR_CONTENT},
    "409": {"description": "A feature with this id exists.", "content": _ERROR_CONTENT},
    "415": {"description": "The body is not GeoJSON (application/geo+json or application/json).",
            "content": _ERROR_CONTENT},
}


def _ok(schema: str, json_type: str = "application/json", formats: bool = False,
        html: bool = True) -> dict[str, Any]:
    content: dict[str, Any] = {json_type: {"schema": {"$ref": f"{_REF}schemas/{schema}"}},
                               **(_HTML if html else {})}
    if formats:
        content["text/csv"] = {"schema": {"type": "string"}}
        for f in ("gpkg", "kml"):
            content[MEDIA_TYPES[f]] = {"schema": {"type": "string", "format": "binary"}}
    return {"description": "OK", "content": content}


def _op(op_id: str, summary: str, params: list[dict[str, Any]], ok: dict[str, Any],
        tags: list[str], statuses: tuple[str, ...] = ("400", "406")) -> dict[str, Any]:
    statuses = tuple(sorted({"400", "414", *statuses}))
    responses = {"200": ok, "304": {"description": "Not modified (If-None-Match matched the ETag)."}}
    for s in statuses:
        responses[s] = {"$ref": f"{_REF}responses/{s}"}
    return {"get": {"operationId": op_id, "summary": summary, "tags": tags, "parameters": params,
                    "responses": responses}}


def _items_params(cid: str, qables: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    names = ["f-features", "lang", "bbox", "bbox-crs", "crs", "limit", "offset", "datetime",
             "q", "industry", "near", "km", "coord-sys", "filter", "filter-lang", "filter-crs"]
    out: list[dict[str, Any]] = [_p(n) for n in names]
    for name, schema in qables.items():
        if name == "geometry":
            continue
        out.append(_q(name, f"Features whose {name} equals this value (Part 3 queryables).",
                      {"type": schema["type"]}))
    return out


_TMS_ID = {"name": "tileMatrixSetId", "in": "path", "required": True, "description":
           "Tile matrix set (only WebMercatorQuad).", "schema": {"type": "string", "enum": [TMS_ID]}}


def _tile_matrix_set_paths() -> dict[str, Any]:
    params = [_p("f-json"), _p("lang")]
    return {
        "/tileMatrixSets": _op("getTileMatrixSetsList", "The tile matrix sets of the tiles",
                               params, _ok("tileMatrixSets", html=False), ["Tiles"]),
        "/tileMatrixSets/{tileMatrixSetId}": _op(
            "getTileMatrixSet", "A tile matrix set definition (OGC 2D TMS 2.0 JSON)",
            [_TMS_ID, *params], _ok("tileMatrixSet", html=False), ["Tiles"], ("400", "404", "406")),
    }


def _tiles_paths(cid: str, title: str) -> dict[str, Any]:
    """OGC API - Tiles paths of one collection: its tilesets, the tileset and a tile."""
    params = [_p("f-json"), _p("lang")]
    base = f"/collections/{cid}/tiles"
    last = 2**MAX_ZOOM - 1
    tile_params: list[dict[str, Any]] = [
        _TMS_ID,
        {"name": "tileMatrix", "in": "path", "required": True, "description":
         f"Zoom level: tile matrix 0 to {MAX_ZOOM}.", "schema": {"type": "integer", "minimum": 0,
                                                                 "maximum": MAX_ZOOM}},
        {"name": "tileRow", "in": "path", "required": True, "description":
         "Row, from the top: 0 to 2^tileMatrix - 1.", "schema": {"type": "integer", "minimum": 0,
                                                                  "maximum": last}},
        {"name": "tileCol", "in": "path", "required": True, "description":
         "Column, from the left: 0 to 2^tileMatrix - 1.", "schema": {"type": "integer", "minimum": 0,
                                                                      "maximum": last}},
        _p("f-mvt"),
    ]
    tile_op = _op(f"tile_{cid}", f"A Mapbox Vector Tile of {title} (layer {cid!r})", tile_params,
                  {"description": "The tile.", "content": {MEDIA_TYPES["mvt"]: {"schema": {
                      "type": "string", "format": "binary"}}}}, [cid], ("400", "404", "406"))
    tile_op["get"]["responses"]["204"] = {
        "description": "No feature in this tile (with OATiles-hint: empty when no deeper tile "
                       "under it holds any either)."}
    return {
        base: _op(f"tilesets_{cid}", f"Vector tilesets of {title}", params,
                  _ok("tileSets", html=False), [cid], ("404", "406")),
        f"{base}/{{tileMatrixSetId}}": _op(
            f"tileset_{cid}", f"Tileset metadata of {title} (OGC 2D TMS 2.0), with the tile URL template",
            [_TMS_ID, *params], _ok("tileSet", html=False), [cid], ("404", "406")),
        f"{base}/{{tileMatrixSetId}}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}": tile_op,
    }


def build() -> dict[str, Any]:
    """Build the OpenAPI 3.0 document for the current app's catalog."""
    store = get_store()
    doc_params = [_p("f-doc"), _p("lang")]
    paths: dict[str, Any] = {
        "/": _op("getLandingPage", "Landing page", doc_params, _ok("landingPage"), ["Capabilities"]),
        "/conformance": _op("getConformance", "OGC conformance classes", doc_params,
                            _ok("confClasses"), ["Capabilities"]),
        "/openapi": _op("getOpenAPI", "This OpenAPI document", doc_params,
                        {"description": "OK", "content": {OPENAPI_MEDIA_TYPE: {"schema": {
                            "type": "object"}}, **_HTML}}, ["Capabilities"]),
        "/docs": _op("getDocs", "This document rendered as HTML (Swagger UI)",
                     [_q("f", "Response format: HTML only.", {"type": "string", "enum": ["html"]}),
                      _p("lang")],
                     {"description": "OK", "content": _HTML}, ["Capabilities"]),
        "/collections": _op("getCollections", "The feature collections", doc_params,
                            _ok("collections"), ["Data"]),
        "/indicators": _op("getIndicators", "Extension: the plan's seven main indicators "
                           "(unit, 2020 baseline with its year, 2025 target)", doc_params,
                           _ok("indicators"), ["Plan"]),
    }
    feat_fmt = [_p("f-features"), _p("lang"), _p("coord-sys")]
    paths["/near"] = _op("getNear", "Extension: features within km of a feature or point, by "
                         "distance (distance_km)", [_p("of"), {**_p("km")}, _p("collections"),
                                                    *feat_fmt],
                         _ok("featureCollectionGeoJSON", "application/geo+json", True), ["Spatial"],
                         ("400", "404", "406"))
    paths["/near"]["get"]["parameters"][1] = {**PARAMETERS["km"], "required": True}
    paths["/nearest"] = _op("getNearest", "Extension: the k features nearest to a feature or point",
                            [_p("of"), _p("k"), _p("per-collection"), _p("collections"), *feat_fmt],
                            _ok("featureCollectionGeoJSON", "application/geo+json", True),
                            ["Spatial"], ("400", "404", "406"))
    paths["/at"] = _op("getAt", "Extension: the features containing a point",
                       [_p("lon"), _p("lat"), *feat_fmt],
                       _ok("featureCollectionGeoJSON", "application/geo+json", True), ["Spatial"])
    stats_params = [_p("by"), _p("km-statistics"), _p("f-statistics"), _p("lang")]
    paths.update(_tile_matrix_set_paths())
    for c in store.collections():
        cid, title = c.id, c.title_en
        paths.update(_tiles_paths(cid, title))
        paths[f"/collections/{cid}"] = _op(f"describe_{cid}", f"Describe {title}", doc_params,
                                           _ok("collection"), [cid], ("404", "406"))
        paths[f"/collections/{cid}/queryables"] = _op(
            f"queryables_{cid}", f"Queryable properties of {title}", doc_params,
            _ok("queryables", "application/schema+json"), [cid], ("400", "404", "406"))
        paths[f"/collections/{cid}/items"] = _op(
            f"items_{cid}", f"Features of {title}", _items_params(cid, store.queryables(cid)),
            _ok("featureCollectionGeoJSON", "application/geo+json", True), [cid],
            ("400", "404", "406"))
        stats_ok = _ok("statistics")
        stats_ok["content"]["text/csv"] = {"schema": {"type": "string"}}
        paths[f"/collections/{cid}/statistics"] = _op(
            f"statistics_{cid}", f"Extension: counts of {title} per park, per district or near "
            "each university campus", stats_params, stats_ok, [cid], ("400", "404", "406"))
        paths[f"/collections/{cid}/items/{{featureId}}"] = _op(
            f"item_{cid}", f"One feature of {title}",
            [{"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"},
              "description": "Feature id"}, *feat_fmt[:2], _p("crs"), _p("coord-sys")],
            _ok("featureGeoJSON", "application/geo+json", True), [cid], ("400", "404", "406"))
    components: dict[str, Any] = {"parameters": PARAMETERS, "schemas": SCHEMAS, "responses": RESPONSES}
    if current_app.config.get("ADMIN_TOKEN"):
        _add_writes(paths, [c for c in store.collections() if c.editable])
        components["responses"] = {**RESPONSES, **WRITE_RESPONSES}
        components["securitySchemes"] = {"adminToken": {"type": "http", "scheme": "bearer"}}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": f"{store.title_en} API",
            "version": "1.0.0",
            "description": "OGC API - Features (Parts 1, 2 and 3) and OGC API - Tiles (Part 1, "
            "Mapbox Vector Tiles on WebMercatorQuad) over the features of the Qingdao "
            "2021-2025 S&T innovation plan. Extensions: near/km on items, /near, /nearest, /at, "
            "q (name search), industry, coord-sys (wgs84/gcj02/bd09 for inputs and outputs), "
            "/indicators, /collections/{id}/statistics. Every 4xx has the body {code, description, status}.",
            "license": {"name": "MIT"},
        },
        "servers": [{"url": "/api"}],
        "tags": [{"name": t} for t in ("Capabilities", "Data", "Spatial", "Tiles", "Plan",
                                         *store.collection_ids())],
        "paths": paths,
        "components": components,
    }


def _add_writes(paths: dict[str, Any], layers: list[Any]) -> None:
    """Part 4 operations on the user layers (only when an admin token is configured)."""
    body = {"required": True, "content": {t: {"schema": {"$ref": f"{_REF}schemas/featureGeoJSON"}}
                                          for t in ("application/geo+json", "application/json")}}
    fid = {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"},
           "description": "Feature id"}
    errs = {s: {"$ref": f"{_REF}responses/{s}"} for s in ("400", "401", "403", "404", "405")}
    feature = {"content": {"application/geo+json": {"schema": {"$ref": f"{_REF}schemas/featureGeoJSON"}}}}
    upload_types = ("text/csv", "application/geo+json", "application/geopackage+sqlite3", "application/zip")
    layer_id = {"name": "collectionId", "in": "path", "required": True,
                "schema": {"type": "string", "pattern": "^[a-z][a-z0-9_-]{0,62}$"},
                "description": "Layer id (not one of the bundled collections)"}
    query = [{"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
             for n in ("coord-sys", "encoding", "id-field", "source-layer", "skip-invalid",
                       "title_zh", "title_en", "indicator")]
    security: list[dict[str, list[str]]] = [{"adminToken": []}]
    paths["/collections/{collectionId}"] = {
        "put": {"operationId": "putLayer", "summary": "Upload a whole layer file (creates or replaces "
                "the layer atomically; rows that fail the checks refuse it unless skip-invalid=true)",
                "tags": ["Data"], "security": security, "parameters": [layer_id, *query],
                "requestBody": {"required": True, "content": {t: {"schema": {"type": "string", "format": "binary"}}
                                                              for t in upload_types}},
                "responses": {"200": {"description": "Replaced."}, "201": {"description": "Created."},
                              **{s: {"$ref": f"{_REF}responses/{s}"} for s in ("400", "401", "403", "405", "415")}}},
        "delete": {"operationId": "dropLayer", "summary": "Delete a user layer", "tags": ["Data"],
                   "security": security, "parameters": [layer_id],
                   "responses": {"204": {"description": "Deleted."}, **errs}},
    }
    for c in layers:
        common = {"tags": [c.id], "security": security}
        paths[f"/collections/{c.id}/items"]["post"] = {
            **common, "operationId": f"create_{c.id}", "summary": f"Add a feature to {c.title_en}",
            "requestBody": body, "responses": {
                "201": {"description": "Created; Location is the new item's URL.", **feature},
                **errs, "409": {"$ref": f"{_REF}responses/409"}, "415": {"$ref": f"{_REF}responses/415"}}}
        item = paths[f"/collections/{c.id}/items/{{featureId}}"]
        item["put"] = {**common, "operationId": f"replace_{c.id}", "summary": f"Replace a feature of {c.title_en}",
                       "parameters": [fid], "requestBody": body,
                       "responses": {"200": {"description": "Replaced.", **feature}, **errs,
                                     "415": {"$ref": f"{_REF}responses/415"}}}
        item["delete"] = {**common, "operationId": f"delete_{c.id}", "summary": f"Delete a feature of {c.title_en}",
                          "parameters": [fid], "responses": {"204": {"description": "Deleted."}, **errs}}
