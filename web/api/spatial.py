"""The corridor's own questions, declared as extensions in the OpenAPI document:
``/api/near`` (within a distance), ``/api/nearest`` (k nearest) and ``/api/at`` (what
contains a point). Each answers a GeoJSON FeatureCollection whose features carry
``collection`` (and ``distance_km``), in every feature format."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from flask import Response, request

from corridor import checks, queries
from corridor.model import Hit
from web.api import params
from web.api.blueprint import bp
from web.api.crs import parse_crs
from web.api.formats import (
    FEATURE_FORMATS,
    check_download_options,
    csv_response,
    download_response,
    feature_collection_bytes,
    geojson_bytes_response,
    html_response,
    to_features,
)
from web.api.links import link, self_and_alternates, url
from web.api.openapi import Document, describes, ok
from web.cache import BoundedCache, app_cache
from web.extensions import get_store
from web.negotiate import lang, negotiate

#: Answers kept per app: the spatial questions most asked (a campus's neighbours, say).
MAX_ANSWERS = 1024


def answered(question: Hashable, compute: Callable[[], list[Hit]]) -> list[Hit]:
    """The hits of ``question`` (what a view asks, normalised), computed once per data version.

    An answer is a pure function of the data and the question, so it is kept (in a bounded
    LRU) under the store's version: an import or edit changes the version, and with it
    every key. The response around the hits (format, links, timeStamp) is made anew."""
    store = get_store()
    answers: BoundedCache[list[Hit]] = app_cache("corridor_answers", MAX_ANSWERS)
    key = (store.version, question)
    hits = answers.get(key)
    if hits is None:
        hits = compute()
        answers.put(key, hits)
    return hits


def hits_response(hits: list[Hit], extra: dict[str, list[Any]], title: str, coord_sys: str,
                  members: dict[str, Any] | None = None) -> Response:
    """Serialise hits in the negotiated format (``coord_sys`` applies to output too)."""
    fmt = negotiate(FEATURE_FORMATS)
    ref = parse_crs(None)
    check_download_options(fmt, coord_sys, ref)
    features = [h.feature for h in hits]
    extra = {"collection": [h.collection for h in hits], **extra}
    lg = lang()
    name = request.path.rsplit("/", 1)[-1]
    if fmt == "csv":
        return csv_response(features, ref, coord_sys, name, extra)
    if fmt in ("gpkg", "kml"):
        return download_response(features, fmt, ref, name, lg, extra)
    body: dict[str, Any] = {
        "numberMatched": len(hits),
        "numberReturned": len(hits),
        "timeStamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **(members or {}),
        "links": self_and_alternates(fmt, FEATURE_FORMATS)
        + [link(url("landing"), "service", "json", "API landing page")],
    }
    # one routing call, then plain formatting: a response may link hundreds of items
    collections = url("collections")
    tails = [{"links": [link(f"{collections}/{quote(h.collection)}/items/{quote(h.id, safe='')}",
                             "item", "geojson", h.id)]} for h in hits]
    if fmt == "html":
        feats = to_features(features, ref, coord_sys, extra)
        for feat, tail in zip(feats, tails, strict=True):
            feat.update(tail)
        doc = {"type": "FeatureCollection", "features": feats, **body}
        return html_response("items.html", doc=doc, title=title, cid=None, lang=lg, offset=0)
    return geojson_bytes_response(
        feature_collection_bytes(features, ref, coord_sys, body, extra, tails), ref, coord_sys)


OF = params.Param("of", "Origin: a feature id or lon,lat (in coord-sys).",
                  {"type": "string", "minLength": 1, "maxLength": checks.MAX_ID}, params.parse_of,
                  required=True, missing="a feature id or lon,lat")
COLLECTIONS = params.Param("collections", "Comma-separated collection ids (default: all).",
                           {"type": "string", "minLength": 1}, params.parse_collections)
#: What every answer's form takes: format, language, coordinate system.
_FORM = (params.F_FEATURES, params.LANG, params.COORD_SYS)
NEAR = params.Params(OF, replace(params.KM, required=True, key=None), COLLECTIONS, params.DATETIME, *_FORM)
NEAREST = params.Params(
    OF,
    params.Param("k", "Number of nearest features.",
                 {"type": "integer", "minimum": 1, "maximum": checks.MAX_K}, checks.k, default=1),
    params.Param("per-collection", "k nearest in each collection instead of overall.",
                 {"type": "boolean"}, params.parse_bool("per-collection"), default=False),
    COLLECTIONS, *_FORM)
_LONLAT = "lon=<degrees>&lat=<degrees>"
AT = params.Params(
    params.Param("lon", "Longitude (in coord-sys).", {"type": "number", "minimum": -180, "maximum": 180},
                 required=True, missing=_LONLAT),
    params.Param("lat", "Latitude (in coord-sys).", {"type": "number", "minimum": -90, "maximum": 90},
                 required=True, missing=_LONLAT),
    params.DATETIME, *_FORM)


@bp.get("/near")
def near() -> Response:
    store = get_store()
    v = NEAR.read(request.args)
    of, km, coord_sys = v["of"], v["km"], v["coord-sys"]
    cols = params.known_collections(v["collections"], store.collection_ids())
    hits = answered(("near", of, km, tuple(cols or ()), coord_sys),
                    lambda: queries.within_distance(store, of, km, collections=cols, coord_sys=coord_sys))
    hits = queries.during(hits, v["datetime"])
    return hits_response(hits, {"distance_km": [_km(h.distance_km) for h in hits]},
                         f"Within {km:g} km of {v.raw['of']}", coord_sys)


@bp.get("/nearest")
def nearest() -> Response:
    store = get_store()
    v = NEAREST.read(request.args)
    of, k, per, coord_sys = v["of"], v["k"], v["per-collection"], v["coord-sys"]
    cols = params.known_collections(v["collections"], store.collection_ids())
    hits = answered(("nearest", of, k, tuple(cols or ()), per, coord_sys),
                    lambda: queries.nearest(store, of, k, collections=cols,
                                            per_collection=per, coord_sys=coord_sys))
    return hits_response(hits, {"distance_km": [_km(h.distance_km) for h in hits]},
                         f"{k} nearest to {v.raw['of']}", coord_sys)


@bp.get("/at")
def at() -> Response:
    store = get_store()
    v = AT.read(request.args)
    lon, lat = checks.lonlat(v["lon"], v["lat"])
    found = {cid: queries.during(group, v["datetime"])
             for cid, group in queries.at_point(store, lon, lat, coord_sys=v["coord-sys"]).items()}
    hits = [h for group in found.values() for h in group]
    return hits_response(hits, {}, f"At {lon:g},{lat:g}", v["coord-sys"],
                         {"contains": {cid: [h.id for h in group]
                                       for cid, group in found.items() if group}})


@describes
def _describe(doc: Document) -> None:
    """The corridor's own questions: near, nearest, at."""
    features = ok("featureCollectionGeoJSON", "application/geo+json", True)
    doc.get("/near", "getNear", "Extension: features within km of a feature or point, by "
            "distance (distance_km)", NEAR, features, ["Spatial"], ("400", "404", "406"))
    doc.get("/nearest", "getNearest", "Extension: the k features nearest to a feature or point",
            NEAREST, features, ["Spatial"], ("400", "404", "406"))
    doc.get("/at", "getAt", "Extension: the features containing a point", AT, features, ["Spatial"])


def _km(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)
