"""The OpenAPI 3.0 document of the API, assembled once per store version and cached.

Each view module describes its own operations next to its handlers: a function decorated
with :func:`describes` adds them to a :class:`Document`, their query parameters taken from
the same :class:`~web.api.params.Params` the handlers read. This module holds what the
operations share (schemas, error responses) and assembles the document.

Self-contained: every ``$ref`` points inside this document (no external hosts). Items paths
are listed per collection so each can declare one equality parameter per queryable property.
The corridor's own questions (near, nearest, at, coord-sys, q, industry) are declared as
extensions of OGC API - Features.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from flask import current_app

from corridor.stats import BY
from corridor.store import FeatureStore
from web.api.params import Param
from web.extensions import get_store
from web.negotiate import MEDIA_TYPES

OPENAPI_MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"
REF = "#/components/"

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
    "geometry": {"nullable": True, "allOf": [{"$ref": f"{REF}schemas/geometryGeoJSON"}]},
    "properties": {"type": "object", "nullable": True},
    "links": {"type": "array", "items": {"$ref": f"{REF}schemas/link"}}}}
_FEATURES = {"type": "object", "required": ["type", "features"], "properties": {
    "type": {"type": "string", "enum": ["FeatureCollection"]},
    "features": {"type": "array", "items": {"$ref": f"{REF}schemas/featureGeoJSON"}},
    "links": {"type": "array", "items": {"$ref": f"{REF}schemas/link"}},
    "timeStamp": {"type": "string", "format": "date-time"},
    "numberMatched": {"type": "integer", "minimum": 0},
    "numberReturned": {"type": "integer", "minimum": 0}}}
_LINKS = {"type": "array", "items": {"$ref": f"{REF}schemas/link"}}
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
        "links": _LINKS, "collections": {"type": "array", "items": {"$ref": f"{REF}schemas/collection"}}}},
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
        "placed": _COUNT,
        "by_year": {"type": "object", "description": (
            "Features per calendar year of the layer's one date column (a column of dates or "
            "date-times, or a year column); column null when none or several qualify (reason "
            "no-date-column or ambiguous, with the ambiguous columns)"),
            "required": ["column", "years", "no_date"], "properties": {
                "column": {"type": "string", "nullable": True},
                "kind": {"type": "string", "enum": ["date", "year"], "nullable": True},
                "reason": {"type": "string", "enum": ["no-date-column", "ambiguous"], "nullable": True},
                "ambiguous": {"type": "array", "items": {"type": "string"}},
                "years": {"type": "array", "items": {"type": "object", "properties": {
                    "year": {"type": "integer"}, "count": _COUNT,
                    "cumulative": {**_COUNT, "description": "features dated in this year or earlier"}}}},
                "no_date": {"type": "object", "properties": {
                    "empty": _COUNT, "unparsable": {**_COUNT, "description": (
                        "features whose value in the column is not a date")}}}}}}}}

HTML = {"text/html": {"schema": {"type": "string"}}}
ERROR_CONTENT = {"application/json": {"schema": {"$ref": f"{REF}schemas/exception"}}, **HTML}
RESPONSES = {
    "400": {"description": "Bad parameter (unknown name, malformed value).", "content": ERROR_CONTENT},
    "404": {"description": "Unknown collection, feature or origin id.", "content": ERROR_CONTENT},
    "406": {"description": "None of the requested formats is offered.", "content": ERROR_CONTENT},
    "414": {"description": "The URL is longer than the service answers (MAX_URL_LENGTH).",
            "content": ERROR_CONTENT},
}
#: Answers only writes give (listed when writes are on).
WRITE_RESPONSES = {
    "401": {"description": "No admin token (send Authorization: Bearer <token>).", "content": ERROR_CONTENT},
    "403": {"description": "Wrong admin token.", "content": ERROR_CONTENT},
    "405": {"description": "The collection is part of the read-only catalog.", "content": ERROR_CONTENT},
    "409": {"description": "A feature with this id exists.", "content": ERROR_CONTENT},
    "415": {"description": "The body is not GeoJSON (application/geo+json or application/json).",
            "content": ERROR_CONTENT},
}


_FRAGMENTS: list[Callable[[Document], None]] = []


def describes(fragment: Callable[[Document], None]) -> Callable[[Document], None]:
    """Register ``fragment``, which adds a module's operations to the document being built
    (at import, next to the module's routes)."""
    _FRAGMENTS.append(fragment)
    return fragment


class Document:
    """An OpenAPI document being assembled: paths, and the components they use.

    Parameters
    ----------
    store
        The store whose catalog the paths describe.
    """

    def __init__(self, store: FeatureStore):
        self.store = store
        self.paths: dict[str, dict[str, Any]] = {}
        self.parameters: dict[str, dict[str, Any]] = {}
        self.responses: dict[str, Any] = dict(RESPONSES)
        self.security_schemes: dict[str, Any] = {}

    def parameter(self, p: Param | dict[str, Any]) -> dict[str, Any]:
        """The parameter object of ``p`` (a path parameter as it is), or a ``$ref`` to it
        among the components.

        Raises
        ------
        ValueError
            If two different declarations share one component name.
        """
        if not isinstance(p, Param):
            return p
        spec, key = p.spec(), p.ref
        if key is None:
            return spec
        if self.parameters.setdefault(key, spec) != spec:
            raise ValueError(f"two declarations of parameter {key!r}: {self.parameters[key]} and {spec}")
        return {"$ref": f"{REF}parameters/{key}"}

    def get(self, path: str, op_id: str, summary: str, params: Iterable[Param | dict[str, Any]],
            ok: dict[str, Any], tags: list[str],
            statuses: tuple[str, ...] = ("400", "406")) -> dict[str, Any]:
        """Add the GET operation of ``path`` (400 and 414 are always among its answers).

        Returns
        -------
        dict
            The operation object, for additions (another status, say).
        """
        responses = {"200": ok, "304": {"description": "Not modified (If-None-Match matched the ETag)."}}
        for s in sorted({"400", "414", *statuses}):
            responses[s] = {"$ref": f"{REF}responses/{s}"}
        op = {"operationId": op_id, "summary": summary, "tags": tags,
              "parameters": [self.parameter(p) for p in params], "responses": responses}
        self.paths.setdefault(path, {})["get"] = op
        return op


def ok(schema: str, json_type: str = "application/json", formats: bool = False,
       html: bool = True) -> dict[str, Any]:
    """A 200 response whose JSON is ``schema`` (with HTML, and the download formats)."""
    content: dict[str, Any] = {json_type: {"schema": {"$ref": f"{REF}schemas/{schema}"}},
                               **(HTML if html else {})}
    if formats:
        content["text/csv"] = {"schema": {"type": "string"}}
        for f in ("gpkg", "kml"):
            content[MEDIA_TYPES[f]] = {"schema": {"type": "string", "format": "binary"}}
    return {"description": "OK", "content": content}


def openapi_document() -> bytes:
    """The OpenAPI document as JSON bytes, built once per store version and cached on the app."""
    version = get_store().version
    cached = current_app.extensions.get("corridor_openapi")
    if cached is None or cached[0] != version:
        cached = (version, json.dumps(build(), ensure_ascii=False).encode())
        current_app.extensions["corridor_openapi"] = cached
    return cached[1]


def build() -> dict[str, Any]:
    """Build the OpenAPI 3.0 document for the current app's catalog."""
    store = get_store()
    doc = Document(store)
    for fragment in _FRAGMENTS:
        fragment(doc)
    components: dict[str, Any] = {"parameters": doc.parameters, "schemas": SCHEMAS,
                                  "responses": doc.responses}
    if doc.security_schemes:
        components["securitySchemes"] = doc.security_schemes
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
        "paths": doc.paths,
        "components": components,
    }
