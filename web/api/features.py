"""OGC API - Features resources: collections, one collection, queryables, items, one item.

Each view parses (``params``), calls the store (:func:`web.get_store`) and serialises
(``formats``); the items query itself runs in the store.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import Response, current_app, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from corridor import checks, cql
from corridor.model import CollectionMeta, ItemsQuery
from corridor.queries import locate_origin
from corridor.store import FeatureStore
from web import get_store
from web.api import bp, params
from web.api.crs import CRS84_URI, CRS_URIS, bbox_to_wgs84, input_fn, parse_crs
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
    negotiate,
    to_features,
)
from web.api.http import cached_document
from web.api.links import (
    REL_TILESETS_VECTOR,
    link,
    self_and_alternates,
    statistics_links,
    url,
    with_args,
)
from web.clock import utc_now
from web.query import preferred_language, query_arg


def lang() -> str:
    """The ``lang`` parameter (zh or en); else, for a page a browser asked for (HTML), the
    browser's Accept-Language; else the app's DEFAULT_LANG."""
    value = query_arg("lang")
    if value is None:
        env = request.environ
        if wants_html():
            best = preferred_language(env.get("HTTP_ACCEPT_LANGUAGE", ""))
            if best:
                return best
        return str(current_app.config.get("DEFAULT_LANG", "zh"))
    if value not in ("zh", "en"):
        raise InvalidParameterValue(f"lang={value!r} is not supported; expected zh or en")
    return value


def wants_html() -> bool:
    """Whether this request asks for HTML (``f=html``, or a browser's Accept without ``f``)."""
    f = query_arg("f")
    if f is not None:
        return f == "html"
    return _html_first(request.environ.get("HTTP_ACCEPT", ""))


@lru_cache(maxsize=256)
def _html_first(accept: str) -> bool:
    """Whether the Accept header value ``accept`` prefers HTML to JSON (remembered per
    value, as :func:`web.api.formats.best_by_accept` is)."""
    best = parse_accept_header(accept, MIMEAccept).best_match(
        ["application/json", "application/geo+json", "text/html"])
    return best == "text/html"


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
@cached_document
def collections() -> Response:
    params.args(request.args, ())
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
@cached_document
def collection(cid: str) -> Response:
    params.args(request.args, ())
    c = get_store().collection(cid)
    fmt = negotiate(DOC_FORMATS)
    doc = collection_doc(c, lang())
    doc["links"] = self_and_alternates(fmt, DOC_FORMATS) + doc["links"]
    if fmt == "html":
        return html_response("collection.html", doc=doc, title=doc["title"], count=c.count)
    return json_response(doc)


@bp.get("/collections/<cid>/queryables")
@cached_document
def queryables(cid: str) -> Response:
    params.args(request.args, ())
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


def parse_items_query(cid: str, store: FeatureStore) -> tuple[ItemsQuery, Any, str]:
    """Parse an items request for collection ``cid``.

    Returns
    -------
    (query, output CRS, coord-sys)
    """
    qables = store.queryables(cid)
    props = [p for p in qables if p != "geometry"]
    a = params.args(request.args, params.ITEMS_PARAMS | set(props))
    iq = ItemsQuery()
    iq.limit = params.parse_limit(a.get("limit"))
    iq.offset = params.parse_offset(a.get("offset"))
    coord_sys = params.parse_coord_sys(a.get("coord-sys"))
    ref = parse_crs(a.get("crs"), "crs")
    if coord_sys != "wgs84" and not ref.is_crs84:
        raise InvalidParameterValue(
            f"coord-sys={coord_sys!r} cannot be combined with crs={a['crs']!r}; coord-sys "
            "offsets apply to WGS84 lon,lat only, expected one of the two"
        )
    if "bbox" in a:
        bbox_ref = parse_crs(a.get("bbox-crs"), "bbox-crs")
        iq.bbox = bbox_to_wgs84(params.parse_bbox(a["bbox"]), bbox_ref, coord_sys)
    elif "bbox-crs" in a:
        parse_crs(a["bbox-crs"], "bbox-crs")
    iq.datetime_given, iq.until_year = params.parse_datetime(a.get("datetime"))
    for p in props:
        if p in a:
            iq.equals[p] = params.parse_property_value(p, a[p], qables[p])
    iq.q = _text(a, "q")
    iq.industry = _text(a, "industry")
    if "near" in a:
        of = params.parse_of(a["near"], "near")
        iq.near, of_cid = locate_origin(store, of, coord_sys)
        # the origin is not its own neighbour (only a feature of this collection can be it)
        iq.near_id = of if isinstance(of, str) and of_cid == cid else None
        iq.near_m = params.parse_km(a.get("km")) * 1000.0
    elif "km" in a:
        raise InvalidParameterValue("km needs near=<feature id or lon,lat>; expected both")
    if "filter" in a:
        iq.filter = cql.parse_filter(a["filter"], a.get("filter-lang"))
        cql.check_filter(iq.filter, qables)
        iq.filter_to_wgs84 = input_fn(parse_crs(a.get("filter-crs"), "filter-crs"))
    elif "filter-lang" in a or "filter-crs" in a:
        raise InvalidParameterValue("filter-lang and filter-crs need a filter; expected filter=...")
    return iq, ref, coord_sys


def _text(a: dict[str, str], name: str) -> str | None:
    if name not in a:
        return None
    if not a[name].strip():
        raise InvalidParameterValue(f"{name} is empty; expected some text to match")
    return checks.text(a[name], name)


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
        "timeStamp": utc_now(),
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
    a = params.args(request.args, {"crs", "coord-sys"})
    coord_sys = params.parse_coord_sys(a.get("coord-sys"))
    ref = parse_crs(a.get("crs"))
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

