"""The corridor's own questions, declared as extensions in the OpenAPI document:
``/api/near`` (within a distance), ``/api/nearest`` (k nearest) and ``/api/at`` (what
contains a point). Each answers a GeoJSON FeatureCollection whose features carry
``collection`` (and ``distance_km``), in every feature format."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
from flask import Response, request

from corridor.catalog import Catalog
from corridor.crs import WGS84
from web import get_catalog
from web.api import bp, params
from web.api.crs import parse_crs
from web.api.features import lang
from web.api.formats import (
    FEATURE_FORMATS,
    check_download_options,
    csv_response,
    download_response,
    geojson_response,
    html_response,
    negotiate,
    now_rfc3339,
    to_features,
)
from web.api.links import link, self_and_alternates, url


def hits_frame(cat: Catalog, pairs: list[tuple[str, str]]) -> gpd.GeoDataFrame:
    """Rows of the (collection, id) pairs, in order, from whichever collections hold them."""
    if not pairs:
        return gpd.GeoDataFrame({"id": []}, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)
    frames = [cat.collections[cid].gdf.loc[[fid]] for cid, fid in pairs]
    return gpd.GeoDataFrame(pd.concat(frames), geometry="geometry", crs=WGS84)


def hits_response(pairs: list[tuple[str, str]], extra: dict[str, list[Any]], title: str,
                  members: dict[str, Any] | None = None) -> Response:
    """Serialise hits in the negotiated format (``coord-sys`` applies to output too)."""
    cat = get_catalog()
    fmt = negotiate(FEATURE_FORMATS)
    coord_sys = params.parse_coord_sys(request.args.get("coord-sys"))
    ref = parse_crs(None)
    check_download_options(fmt, coord_sys, ref)
    rows = hits_frame(cat, pairs)
    extra = {"collection": [cid for cid, _ in pairs], **extra}
    lg = lang()
    if fmt == "csv":
        return csv_response(rows, ref, coord_sys, request.path.rsplit("/", 1)[-1], extra)
    if fmt in ("gpkg", "kml"):
        return download_response(rows, fmt, ref, request.path.rsplit("/", 1)[-1], lg, extra)
    doc: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": to_features(rows, ref, coord_sys, extra),
        "numberMatched": len(pairs),
        "numberReturned": len(pairs),
        "timeStamp": now_rfc3339(),
        **(members or {}),
        "links": self_and_alternates(fmt, FEATURE_FORMATS)
        + [link(url("landing"), "service", "json", "API landing page")],
    }
    for feat, (cid, fid) in zip(doc["features"], pairs, strict=True):
        feat["links"] = [link(url("item", cid=cid, fid=fid), "item", "geojson", fid)]
    if fmt == "html":
        return html_response("items.html", doc=doc, title=title, cid=None, lang=lg, offset=0)
    return geojson_response(doc, ref, coord_sys)


def _origin(a: dict[str, str], cat: Catalog) -> str | tuple[float, float]:
    if "of" not in a:
        raise params.InvalidParameterValue("of is missing; expected a feature id or lon,lat")
    return params.parse_of(a["of"], cat)


@bp.get("/near")
def near() -> Response:
    from corridor import queries

    cat = get_catalog()
    a = params.args(request.args, {"of", "km", "collections", "coord-sys"})
    of = _origin(a, cat)
    km = params.parse_km(a.get("km"))
    cols = params.parse_collections(a.get("collections"), cat)
    coord_sys = params.parse_coord_sys(a.get("coord-sys"))
    hits = queries.within_distance(cat, of, km, collections=cols, coord_sys=coord_sys)
    return hits_response([(h.collection, h.id) for h in hits],
                         {"distance_km": [_km(h.distance_km) for h in hits]},
                         f"Within {km:g} km of {a['of']}")


@bp.get("/nearest")
def nearest() -> Response:
    from corridor import queries

    cat = get_catalog()
    a = params.args(request.args, {"of", "k", "collections", "per-collection", "coord-sys"})
    of = _origin(a, cat)
    k = params.parse_int("k", a["k"], 1, params.MAX_K) if "k" in a else 1
    per = a.get("per-collection", "false").strip().lower()
    if per not in ("true", "false"):
        raise params.InvalidParameterValue(f"per-collection={per!r} is not valid; expected true or false")
    cols = params.parse_collections(a.get("collections"), cat)
    coord_sys = params.parse_coord_sys(a.get("coord-sys"))
    hits = queries.nearest(cat, of, k, collections=cols, per_collection=per == "true",
                           coord_sys=coord_sys)
    return hits_response([(h.collection, h.id) for h in hits],
                         {"distance_km": [_km(h.distance_km) for h in hits]},
                         f"{k} nearest to {a['of']}")


@bp.get("/at")
def at() -> Response:
    from corridor import queries

    cat = get_catalog()
    a = params.args(request.args, {"lon", "lat", "coord-sys"})
    for name in ("lon", "lat"):
        if name not in a:
            raise params.InvalidParameterValue(f"{name} is missing; expected lon=<degrees>&lat=<degrees>")
    lon = params.parse_number("lon", a["lon"], -180, 180)
    lat = params.parse_number("lat", a["lat"], -90, 90)
    coord_sys = params.parse_coord_sys(a.get("coord-sys"))
    found = queries.at_point(cat, lon, lat, coord_sys=coord_sys)
    pairs = [(cid, fid) for cid, ids in found.items() for fid in ids]
    return hits_response(pairs, {}, f"At {lon:g},{lat:g}",
                         {"contains": {cid: list(ids) for cid, ids in found.items() if ids}})


def _km(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)
