"""OGC API - Features resources: collections, one collection, queryables, items, one item.

Each view parses (``params``), calls the store (:func:`web.get_store`) and serialises
(``formats``); the items query itself runs in the store.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Response, request

from corridor import checks, cql
from corridor.model import CollectionMeta, ItemsQuery
from corridor.queries import locate_origin
from corridor.store import FeatureStore
from web.api import params
from web.api.blueprint import bp
from web.api.crs import CRS84_URI, CRS_URIS, bbox_to_wgs84, input_fn
from web.api.errors import InvalidParameterValue
from web.api.formats import (
    DOC_FORMATS,
    FEATURE_FORMATS,
    check_download_options,
    csv_response,
    download_response,
    feature_collection_bytes,
    geojson_bytes_response,
    geojson_response,
    html_response,
    json_response,
    to_features,
)
from web.api.links import (
    REL_TILESETS_VECTOR,
    link,
    self_and_alternates,
    statistics_links,
    url,
    with_args,
)
from web.api.openapi import Document, describes, ok
from web.cache import BoundedCache, app_cache
from web.extensions import get_store
from web.negotiate import lang, negotiate


def collection_doc(c: CollectionMeta, lg: str) -> dict[str, Any]:
    """The JSON description of one collection (Part 1 + Part 2 crs/storageCrs)."""
    links = [
        link(url("items", cid=c.id, f=f), "items", f, f"items as {f}")
        for f in ("geojson", "html", "csv", "gpkg", "kml")
    ]
    links.append(link(url("queryables", cid=c.id), "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                      "json", "queryables"))
    links[-1]["type"] = "application/schema+json"
    links += statistics_links(get_store(), c.id)
    links.append(link(url("tilesets", cid=c.id), REL_TILESETS_VECTOR, "json",
                      "vector tilesets (Mapbox Vector Tiles)"))
    doc: dict[str, Any] = {
        "id": c.id,
        "title": c.title(lg),
        "description": c.description(lg),
        "itemType": "feature",
        "crs": list(CRS_URIS),
        "storageCrs": CRS84_URI,
        "links": links,
    }
    if c.extent is not None:
        doc["extent"] = {"spatial": {"bbox": [list(c.extent)], "crs": CRS84_URI}}
    return doc


@bp.get("/collections")
def collections() -> Response:
    params.DOC.read(request.args)
    fmt = negotiate(DOC_FORMATS)
    lg = lang()
    metas = get_store().collections()
    doc = {
        "links": self_and_alternates(fmt, DOC_FORMATS),
        "collections": [collection_doc(c, lg) for c in metas],
    }
    for c, cdoc in zip(metas, doc["collections"], strict=True):
        cdoc["links"].insert(0, link(url("collection", cid=c.id), "self", "json", c.title(lg)))
    if fmt == "html":
        return html_response("collections.html", doc=doc, title="Collections")
    return json_response(doc)


@bp.get("/collections/<cid>")
def collection(cid: str) -> Response:
    params.DOC.read(request.args)
    c = get_store().collection(cid)
    fmt = negotiate(DOC_FORMATS)
    doc = collection_doc(c, lang())
    doc["links"] = self_and_alternates(fmt, DOC_FORMATS) + doc["links"]
    if fmt == "html":
        return html_response("collection.html", doc=doc, title=doc["title"], count=c.count)
    return json_response(doc)


@bp.get("/collections/<cid>/queryables")
def queryables(cid: str) -> Response:
    params.DOC.read(request.args)
    store = get_store()
    c = store.collection(cid)
    fmt = negotiate(DOC_FORMATS)
    doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url("queryables", cid=cid),
        "type": "object",
        "title": c.title(lang()),
        "properties": store.queryables(cid),
        "additionalProperties": False,
    }
    if fmt == "html":
        return html_response("queryables.html", doc=doc, title=f"Queryables of {cid}",
                             links=self_and_alternates(fmt, DOC_FORMATS))
    resp = json_response(doc)
    resp.mimetype = "application/schema+json"
    return resp


FEATURE_ID = {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"},
              "description": "Feature id"}
_BBOX = params.Param(
    "bbox", "Only features intersecting this box: minx,miny,maxx,maxy (or 6 numbers with "
    "heights), in the axis order of bbox-crs (default CRS84 lon,lat). With coord-sys gcj02/bd09 "
    "the box is in that system.",
    {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
    params.parse_bbox, extra={"style": "form", "explode": False})
_TEXT = {"type": "string", "minLength": 1, "maxLength": checks.MAX_TEXT}
#: The parameters of every items request (the queryables' equality ones are added per
#: collection): those naming a ``field`` fill the :class:`ItemsQuery` by themselves.
ITEMS = params.Params(
    params.F_FEATURES, params.LANG, _BBOX,
    params.crs_param("bbox-crs", "CRS of bbox (OGC API - Features Part 2)."),
    params.CRS,
    params.Param("limit", f"Page size (default {params.DEFAULT_LIMIT}; values above "
                 f"{params.MAX_LIMIT} are clamped to {params.MAX_LIMIT}).",
                 {"type": "integer", "minimum": 1}, params.parse_limit,
                 default=params.DEFAULT_LIMIT, field="limit"),
    params.Param("offset", "Number of matching features to skip (follow the next link instead).",
                 {"type": "integer", "minimum": 0}, lambda t: params.parse_int("offset", t, 0),
                 default=0, field="offset"),
    params.DATETIME,
    params.Param("q", "Extension: features whose Chinese or English name contains this text.",
                 _TEXT, params.parse_text("q"), field="q"),
    params.Param("industry", "Extension: features whose industries (zh or en) match this term.",
                 _TEXT, params.parse_text("industry"), field="industry"),
    params.Param("near", "Extension: only features within km of this place: a feature id or "
                 "lon,lat (in coord-sys); adds property distance_km and sorts by it.",
                 {"type": "string", "minLength": 1, "maxLength": checks.MAX_ID},
                 lambda t: params.parse_of(t, "near")),
    params.KM, params.COORD_SYS,
    params.Param("filter", "CQL2 filter (Part 3) over the queryables: comparison, logical, LIKE, "
                 "IN, BETWEEN, IS NULL and spatial (S_INTERSECTS...) with the property geometry.",
                 {"type": "string", "minLength": 1, "maxLength": checks.MAX_FILTER}),
    params.Param("filter-lang", "Language of filter.", {"type": "string", "enum": list(cql.FILTER_LANGS)},
                 default="cql2-text"),
    params.crs_param("filter-crs", "CRS of geometry literals in filter."),
)
#: Collections whose items parameters are kept (user layers come and go).
MAX_ITEMS_PARAMS = 256
#: The parameters of one item.
ITEM = params.Params(params.F_FEATURES, params.LANG, params.CRS, params.COORD_SYS)


def items_params(qables: dict[str, dict[str, Any]]) -> params.Params:
    """:data:`ITEMS` and an equality parameter per queryable property (but ``geometry`` and
    a property named like one of :data:`ITEMS`)."""
    return ITEMS + tuple(params.equality(name, schema) for name, schema in qables.items()
                         if name != "geometry" and name not in ITEMS.by_name)


def collection_items_params(store: FeatureStore, cid: str) -> params.Params:
    """:func:`items_params` of collection ``cid``, made once per version of the collection
    (a third of a small items request's time otherwise)."""
    key = (cid, store.collection(cid).version)
    made: BoundedCache[params.Params] = app_cache("corridor_items_params", MAX_ITEMS_PARAMS)
    found = made.get(key)
    if found is None:
        found = items_params(store.queryables(cid))
        made.put(key, found)
    return found


def parse_items_query(cid: str, store: FeatureStore) -> tuple[ItemsQuery, Any, str]:
    """Parse an items request for collection ``cid``.

    Returns
    -------
    (query, output CRS, coord-sys)

    Raises
    ------
    InvalidParameterValue, InvalidParameter
        For a bad parameter or a bad combination of them.
    NotFound
        For a ``near`` feature id that is not in the store.
    """
    declared = collection_items_params(store, cid)
    v = declared.read(request.args)
    iq = declared.fill(ItemsQuery(), v)
    coord_sys, ref = v["coord-sys"], v["crs"]
    if coord_sys != "wgs84" and not ref.is_crs84:
        raise InvalidParameterValue(
            f"coord-sys={coord_sys!r} cannot be combined with crs={v.raw['crs']!r}; coord-sys "
            "offsets apply to WGS84 lon,lat only, expected one of the two"
        )
    if v["bbox"] is not None:
        iq.bbox = bbox_to_wgs84(v["bbox"], v["bbox-crs"], coord_sys)
    if v["near"] is not None:
        if v["km"] is None:
            raise params.KM.missing_error()
        iq.near, of_cid = locate_origin(store, v["near"], coord_sys)
        # the origin is not its own neighbour (only a feature of this collection can be it)
        iq.near_id = v["near"] if isinstance(v["near"], str) and of_cid == cid else None
        iq.near_m = v["km"] * 1000.0
    elif v.given("km"):
        raise InvalidParameterValue("km needs near=<feature id or lon,lat>; expected both")
    if v.given("filter"):
        iq.filter = cql.parse_filter(v["filter"], v["filter-lang"])
        cql.check_filter(iq.filter, store.queryables(cid))
        iq.filter_to_wgs84 = input_fn(v["filter-crs"])
    elif v.given("filter-lang") or v.given("filter-crs"):
        raise InvalidParameterValue("filter-lang and filter-crs need a filter; expected filter=...")
    return iq, ref, coord_sys


@bp.get("/collections/<cid>/items")
def items(cid: str) -> Response:
    store = get_store()
    c = store.collection(cid)
    fmt = negotiate(FEATURE_FORMATS)
    iq, ref, coord_sys = parse_items_query(cid, store)
    check_download_options(fmt, coord_sys, ref)
    page = store.items(cid, iq)
    extra = ({"distance_km": [round(d, 4) for d in page.distances_km]}
             if page.distances_km is not None else None)
    lg = lang()
    if fmt == "csv":
        return csv_response(page.features, ref, coord_sys, cid, extra)
    if fmt in ("gpkg", "kml"):
        return download_response(page.features, fmt, ref, cid, lg, extra)
    links = self_and_alternates(fmt, FEATURE_FORMATS)
    if iq.offset + iq.limit < page.matched:
        links.append(link(with_args(offset=iq.offset + iq.limit, limit=iq.limit, f=fmt), "next",
                          fmt, "next page"))
    if iq.offset > 0:
        links.append(link(with_args(offset=max(0, iq.offset - iq.limit), limit=iq.limit, f=fmt),
                          "prev", fmt, "previous page"))
    links.append(link(url("collection", cid=cid), "collection", "json", c.title(lg)))
    members = {
        "numberMatched": page.matched,
        "numberReturned": len(page.features),
        "timeStamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "links": links,
    }
    if fmt == "html":
        doc = {"type": "FeatureCollection",
               "features": to_features(page.features, ref, coord_sys, extra), **members}
        return html_response("items.html", doc=doc, title=c.title(lg), cid=cid, lang=lg,
                             offset=iq.offset)
    body = feature_collection_bytes(page.features, ref, coord_sys, members, extra)
    return geojson_bytes_response(body, ref, coord_sys)


@bp.get("/collections/<cid>/items/<fid>")
def item(cid: str, fid: str) -> Response:
    store = get_store()
    c = store.collection(cid)
    fmt = negotiate(FEATURE_FORMATS)
    v = ITEM.read(request.args)
    coord_sys, ref = v["coord-sys"], v["crs"]
    if coord_sys != "wgs84" and not ref.is_crs84:
        raise InvalidParameterValue("coord-sys cannot be combined with crs; expected one of the two")
    check_download_options(fmt, coord_sys, ref)
    rows = [store.get(cid, fid)]  # NotFound -> 404
    lg = lang()
    if fmt == "csv":
        return csv_response(rows, ref, coord_sys, fid)
    if fmt in ("gpkg", "kml"):
        return download_response(rows, fmt, ref, cid, lg)
    doc = to_features(rows, ref, coord_sys)[0]
    doc["links"] = self_and_alternates(fmt, FEATURE_FORMATS) + [
        link(url("collection", cid=cid), "collection", "json", c.title(lg)),
        link(url("items", cid=cid), "parent", "geojson", "items of the collection"),
    ]
    if fmt == "html":
        return html_response("item.html", doc=doc, title=str(doc["properties"].get(
            "name_zh" if lg == "zh" else "name_en", fid)), cid=cid)
    return geojson_response(doc, ref, coord_sys)



@describes
def _describe(doc: Document) -> None:
    """The collections, and each collection's description, queryables, items and item."""
    doc.get("/collections", "getCollections", "The feature collections", params.DOC,
            ok("collections"), ["Data"])
    features = ok("featureCollectionGeoJSON", "application/geo+json", True)
    for c in doc.store.collections():
        cid, title, base = c.id, c.title_en, f"/collections/{c.id}"
        doc.get(base, f"describe_{cid}", f"Describe {title}", params.DOC, ok("collection"), [cid],
                ("404", "406"))
        doc.get(f"{base}/queryables", f"queryables_{cid}", f"Queryable properties of {title}",
                params.DOC, ok("queryables", "application/schema+json"), [cid], ("400", "404", "406"))
        doc.get(f"{base}/items", f"items_{cid}", f"Features of {title}",
                collection_items_params(doc.store, cid), features, [cid], ("400", "404", "406"))
        doc.get(f"{base}/items/{{featureId}}", f"item_{cid}", f"One feature of {title}",
                [FEATURE_ID, *ITEM], ok("featureGeoJSON", "application/geo+json", True), [cid],
                ("400", "404", "406"))
