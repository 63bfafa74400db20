"""The corridor's own questions, declared as extensions in the OpenAPI document:
``/api/near`` (within a distance), ``/api/nearest`` (k nearest) and ``/api/at`` (what
contains a point). Each answers a GeoJSON FeatureCollection whose features carry
``collection`` (and ``distance_km``), in every feature format."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any
from urllib.parse import quote

from flask import Response, request

from corridor import checks, queries
from corridor.model import Hit
from web import get_store
from web.api import bp, params
from web.api.crs import parse_crs
from web.api.features import lang
from web.api.formats import (
    FEATURE_FORMATS,
    check_download_options,
    csv_response,
    download_response,
    feature_collection_bytes,
    geojson_bytes_response,
    html_response,
    negotiate,
    to_features,
)
from web.api.links import link, self_and_alternates, url
from web.clock import utc_now
from web.lru import LRU, app_lru
from web.query import query_arg

#: Answers kept per app: the spatial questions most asked (a campus's neighbours, say).
MAX_ANSWERS = 1024


def answered(question: Hashable, compute: Callable[[], list[Hit]]) -> list[Hit]:
    """The hits of ``question`` (what a view asks, normalised), computed once per data version.

    An answer is a pure function of the data and the question, so it is kept (in a bounded
    LRU) under the store's version: an import or edit changes the version, and with it
    every key. The response around the hits (format, links, timeStamp) is made anew."""
    store = get_store()
    answers: LRU[list[Hit]] = app_lru("corridor_answers", MAX_ANSWERS)
    key = (store.version, question)
    hits = answers.get(key)
    if hits is None:
        hits = compute()
        answers.put(key, hits)
    return hits


def hits_response(hits: list[Hit], extra: dict[str, list[Any]], title: str,
                  members: dict[str, Any] | None = None) -> Response:
    """Serialise hits in the negotiated format (``coord-sys`` applies to output too)."""
    fmt = negotiate(FEATURE_FORMATS)
    coord_sys = params.parse_coord_sys(query_arg("coord-sys"))
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
        "timeStamp": utc_now(),
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


def _origin(a: dict[str, str]) -> str | tuple[float, float]:
    if "of" not in a:
        raise params.InvalidParameterValue("of is missing; expected a feature id or lon,lat")
    return params.parse_of(a["of"])


@bp.get("/near")
def near() -> Response:
    store = get_store()
    a = params.args(request.args, {"of", "km", "collections", "coord-sys"})
    of = _origin(a)
    km = params.parse_km(a.get("km"))
    cols = params.parse_collections(a.get("collections"), store)
    coord_sys = params.parse_coord_sys(a.get("coord-sys"))
    hits = answered(("near", of, km, tuple(cols or ()), coord_sys),
                    lambda: queries.within_distance(store, of, km, collections=cols, coord_sys=coord_sys))
    return hits_response(hits, {"distance_km": [_km(h.distance_km) for h in hits]},
                         f"Within {km:g} km of {a['of']}")


@bp.get("/nearest")
def nearest() -> Response:
    store = get_store()
    a = params.args(request.args, {"of", "k", "collections", "per-collection", "coord-sys"})
    of = _origin(a)
    k = checks.k(a["k"]) if "k" in a else 1
    per = a.get("per-collection", "false").strip().lower()
    if per not in ("true", "false"):
        raise params.InvalidParameterValue(f"per-collection={per!r} is not valid; expected true or false")
    cols = params.parse_collections(a.get("collections"), store)
    coord_sys = params.parse_coord_sys(a.get("coord-sys"))
    hits = answered(("nearest", of, k, tuple(cols or ()), per, coord_sys),
                    lambda: queries.nearest(store, of, k, collections=cols,
                                            per_collection=per == "true", coord_sys=coord_sys))
    return hits_response(hits, {"distance_km": [_km(h.distance_km) for h in hits]},
                         f"{k} nearest to {a['of']}")


@bp.get("/at")
def at() -> Response:
    store = get_store()
    a = params.args(request.args, {"lon", "lat", "coord-sys"})
    for name in ("lon", "lat"):
        if name not in a:
            raise params.InvalidParameterValue(f"{name} is missing; expected lon=<degrees>&lat=<degrees>")
    lon, lat = checks.lonlat(a["lon"], a["lat"])
    coord_sys = params.parse_coord_sys(a.get("coord-sys"))
    found = queries.at_point(store, lon, lat, coord_sys=coord_sys)
    hits = [h for group in found.values() for h in group]
    return hits_response(hits, {}, f"At {lon:g},{lat:g}",
                         {"contains": {cid: [h.id for h in group]
                                       for cid, group in found.items() if group}})


def _km(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)
