"""OGC API - Features resources: collections, one collection, queryables, items, one item.

Each view parses (``params``), calls the domain (``corridor.catalog``/``corridor.queries``)
and serialises (``formats``). The items query itself is :func:`select_items`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from flask import Response, current_app, request

from corridor.catalog import Catalog, Collection
from web import get_catalog
from web.api import bp, cql, params
from web.api.crs import CRS84_URI, CRS_URIS, bbox_to_wgs84, input_fn, parse_crs
from web.api.errors import InvalidParameterValue
from web.api.formats import (
    DOC_FORMATS,
    FEATURE_FORMATS,
    check_download_options,
    csv_response,
    download_response,
    geojson_response,
    html_response,
    json_response,
    negotiate,
    now_rfc3339,
    to_features,
)
from web.api.links import link, self_and_alternates, url, with_args


def lang() -> str:
    """The ``lang`` parameter (zh or en), else the app's DEFAULT_LANG."""
    value = request.args.get("lang")
    if value is None:
        return str(current_app.config.get("DEFAULT_LANG", "zh"))
    if value not in ("zh", "en"):
        raise InvalidParameterValue(f"lang={value!r} is not supported; expected zh or en")
    return value


def collection_doc(c: Collection, lg: str) -> dict[str, Any]:
    """The JSON description of one collection (Part 1 + Part 2 crs/storageCrs)."""
    links = [
        link(url("items", cid=c.id, f=f), "items", f, f"items as {f}")
        for f in ("geojson", "html", "csv", "gpkg", "kml")
    ]
    links.append(link(url("queryables", cid=c.id), "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                      "json", "queryables"))
    links[-1]["type"] = "application/schema+json"
    doc: dict[str, Any] = {
        "id": c.id,
        "title": c.title(lg),
        "description": c.description(lg),
        "itemType": "feature",
        "crs": list(CRS_URIS),
        "storageCrs": CRS84_URI,
        "links": links,
    }
    if len(c):
        doc["extent"] = {"spatial": {"bbox": [list(c.extent)], "crs": CRS84_URI}}
    return doc


@bp.get("/collections")
def collections() -> Response:
    params.args(request.args, ())
    fmt = negotiate(DOC_FORMATS)
    lg = lang()
    cat = get_catalog()
    doc = {
        "links": self_and_alternates(fmt, DOC_FORMATS),
        "collections": [collection_doc(c, lg) for c in cat.collections.values()],
    }
    for c, cdoc in zip(cat.collections.values(), doc["collections"], strict=True):
        cdoc["links"].insert(0, link(url("collection", cid=c.id), "self", "json", c.title(lg)))
    if fmt == "html":
        return html_response("collections.html", doc=doc, title="Collections")
    return json_response(doc)


@bp.get("/collections/<cid>")
def collection(cid: str) -> Response:
    params.args(request.args, ())
    c = get_catalog().collection(cid)
    fmt = negotiate(DOC_FORMATS)
    doc = collection_doc(c, lang())
    doc["links"] = self_and_alternates(fmt, DOC_FORMATS) + doc["links"]
    if fmt == "html":
        return html_response("collection.html", doc=doc, title=doc["title"], count=len(c))
    return json_response(doc)


@bp.get("/collections/<cid>/queryables")
def queryables(cid: str) -> Response:
    params.args(request.args, ())
    c = get_catalog().collection(cid)
    fmt = negotiate(DOC_FORMATS)
    doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url("queryables", cid=cid),
        "type": "object",
        "title": c.title(lang()),
        "properties": params.queryables(c),
        "additionalProperties": False,
    }
    if fmt == "html":
        return html_response("queryables.html", doc=doc, title=f"Queryables of {cid}",
                             links=self_and_alternates(fmt, DOC_FORMATS))
    resp = json_response(doc)
    resp.mimetype = "application/schema+json"
    return resp


def parse_items_query(c: Collection, cat: Catalog) -> tuple[params.ItemsQuery, Any]:
    """Parse an items request for collection ``c``; returns the query and the output CRS."""
    qables = params.queryables(c)
    props = [p for p in qables if p != "geometry"]
    a = params.args(request.args, params.ITEMS_PARAMS | set(props))
    iq = params.ItemsQuery()
    iq.limit = params.parse_limit(a.get("limit"))
    iq.offset = params.parse_offset(a.get("offset"))
    iq.coord_sys = params.parse_coord_sys(a.get("coord-sys"))
    ref = parse_crs(a.get("crs"), "crs")
    if iq.coord_sys != "wgs84" and not ref.is_crs84:
        raise InvalidParameterValue(
            f"coord-sys={iq.coord_sys!r} cannot be combined with crs={a['crs']!r}; coord-sys "
            "offsets apply to WGS84 lon,lat only, expected one of the two"
        )
    if "bbox" in a:
        bbox_ref = parse_crs(a.get("bbox-crs"), "bbox-crs")
        iq.bbox = bbox_to_wgs84(params.parse_bbox(a["bbox"]), bbox_ref, iq.coord_sys)
    elif "bbox-crs" in a:
        parse_crs(a["bbox-crs"], "bbox-crs")
    params.parse_datetime(a.get("datetime"))
    for p in props:
        if p in a:
            iq.equals[p] = params.parse_property_value(p, a[p], qables[p])
    iq.q = _text(a, "q")
    iq.industry = _text(a, "industry")
    if "near" in a:
        iq.near = params.parse_of(a["near"], cat, "near")
        iq.km = params.parse_km(a.get("km"))
    elif "km" in a:
        raise InvalidParameterValue("km needs near=<feature id or lon,lat>; expected both")
    if "filter" in a:
        iq.filter = cql.parse_filter(a["filter"], a.get("filter-lang"))
        cql.check_filter(iq.filter, qables)
        iq.filter_crs = parse_crs(a.get("filter-crs"), "filter-crs")
    elif "filter-lang" in a or "filter-crs" in a:
        raise InvalidParameterValue("filter-lang and filter-crs need a filter; expected filter=...")
    return iq, ref


def _text(a: dict[str, str], name: str) -> str | None:
    if name not in a:
        return None
    if not a[name].strip():
        raise InvalidParameterValue(f"{name} is empty; expected some text to match")
    return a[name].strip()


def select_items(c: Collection, iq: params.ItemsQuery, cat: Catalog) -> tuple[list[str], dict[str, float]]:
    """Ids of the features of ``c`` matching every criterion, in output order, and the
    distance of each (only with ``near``). Order: by distance with ``near``, else data order.

    Raises
    ------
    InvalidParameterValue, NotFound
        From the domain queries (bad origin, unknown feature id...).
    """
    from corridor import queries  # the query engine; imported where needed

    gdf = c.gdf
    keep = np.ones(len(gdf), dtype=bool)
    index = gdf.index

    def restrict(ids: list[str] | set[str]) -> None:
        nonlocal keep
        keep &= index.isin(list(ids))

    for name, value in iq.equals.items():
        keep &= (gdf[name] == value).fillna(False).to_numpy(dtype=bool)
    if iq.bbox is not None:
        restrict({h.id for h in queries.in_bbox(cat, iq.bbox, collections=[c.id])})
    if iq.q is not None:
        restrict({h.id for h in queries.by_name(cat, iq.q, collections=[c.id])})
    if iq.industry is not None:
        restrict({h.id for h in queries.by_industry(cat, iq.industry, collections=[c.id])})
    if iq.filter is not None:
        keep &= cql.evaluate(iq.filter, gdf, input_fn(iq.filter_crs))
    distances: dict[str, float] = {}
    if iq.near is not None:
        assert iq.km is not None  # parse_items_query requires km with near
        hits = queries.within_distance(cat, iq.near, iq.km, collections=[c.id], coord_sys=iq.coord_sys)
        distances = {h.id: float(h.distance_km) for h in hits if h.distance_km is not None}
        restrict(set(distances))
        kept = set(index[keep])
        return [h.id for h in hits if h.id in kept], distances
    return list(index[keep]), distances


@bp.get("/collections/<cid>/items")
def items(cid: str) -> Response:
    cat = get_catalog()
    c = cat.collection(cid)
    fmt = negotiate(FEATURE_FORMATS)
    iq, ref = parse_items_query(c, cat)
    check_download_options(fmt, iq.coord_sys, ref)
    ids, distances = select_items(c, iq, cat)
    page = ids[iq.offset: iq.offset + iq.limit]
    rows = c.gdf.loc[page]
    extra = {"distance_km": [round(distances[i], 4) for i in page]} if iq.near is not None else None
    lg = lang()
    if fmt == "csv":
        return csv_response(rows, ref, iq.coord_sys, cid, extra)
    if fmt in ("gpkg", "kml"):
        return download_response(rows, fmt, ref, cid, lg, extra)
    links = self_and_alternates(fmt, FEATURE_FORMATS)
    if iq.offset + iq.limit < len(ids):
        links.append(link(with_args(offset=iq.offset + iq.limit, limit=iq.limit, f=fmt), "next",
                          fmt, "next page"))
    if iq.offset > 0:
        links.append(link(with_args(offset=max(0, iq.offset - iq.limit), limit=iq.limit, f=fmt),
                          "prev", fmt, "previous page"))
    links.append(link(url("collection", cid=cid), "collection", "json", c.title(lg)))
    doc = {
        "type": "FeatureCollection",
        "features": to_features(rows, ref, iq.coord_sys, extra),
        "numberMatched": len(ids),
        "numberReturned": len(page),
        "timeStamp": now_rfc3339(),
        "links": links,
    }
    if fmt == "html":
        return html_response("items.html", doc=doc, title=c.title(lg), cid=cid, lang=lg,
                             offset=iq.offset)
    return geojson_response(doc, ref, iq.coord_sys)


@bp.get("/collections/<cid>/items/<fid>")
def item(cid: str, fid: str) -> Response:
    cat = get_catalog()
    c = cat.collection(cid)
    fmt = negotiate(FEATURE_FORMATS)
    a = params.args(request.args, {"crs", "coord-sys"})
    coord_sys = params.parse_coord_sys(a.get("coord-sys"))
    ref = parse_crs(a.get("crs"))
    if coord_sys != "wgs84" and not ref.is_crs84:
        raise InvalidParameterValue("coord-sys cannot be combined with crs; expected one of the two")
    check_download_options(fmt, coord_sys, ref)
    c.feature(fid)  # NotFound -> 404
    rows = c.gdf.loc[[fid]]
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

