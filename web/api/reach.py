"""``/api/reach``: the area reachable within M minutes over a road network a user imported,
as one GeoJSON Feature, and (with ``collections=``) the features inside it with their
travel times. How it is measured: :mod:`corridor.reach` and ``docs/reach.md``."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import shapely
from flask import Response, request

from corridor import reach as reaching
from corridor.crs import from_wgs84
from corridor.model import Hit
from corridor.reachquery import reach_from, within_reach
from corridor.roads import MODES
from web.api import params
from web.api.blueprint import bp
from web.api.crs import parse_crs
from web.api.formats import geojson_response
from web.api.links import link, url
from web.api.openapi import Document, describes, ok
from web.api.spatial import COLLECTIONS, OF
from web.extensions import get_store

REACH = params.Params(
    OF,
    params.Param("minutes", "Travel time in minutes (more than 0, at most 180), the walk-off "
                 "from the origin to the network included.",
                 {"type": "number", "exclusiveMinimum": True, "minimum": 0,
                  "maximum": reaching.MAX_MINUTES},
                 reaching.check_minutes, required=True, missing="a number of minutes, e.g. minutes=15"),
    params.Param("network", "Id of a road network: a user layer of lines (LineString or "
                 "MultiLineString, or an imported .osm.pbf).", {"type": "string", "minLength": 1},
                 required=True, missing="the id of a road-network layer, e.g. network=roads"),
    params.Param("mode", "How one travels: walk, cycle or drive (drive keeps to one-way "
                 "streets).", {"type": "string", "enum": list(MODES)}, reaching.check_mode,
                 default="walk"),
    params.Param("collections", "Also list the features of these collections (comma-separated "
                 "ids) inside the area, each with its travel time (travel_min).",
                 COLLECTIONS.schema, COLLECTIONS.parse, key=None),
    params.f_param("f-json", ("json",), "JSON only"),
    params.COORD_SYS,
)


def _output(geom: shapely.Geometry, coord_sys: str) -> Any:
    if coord_sys != "wgs84":
        geom = shapely.transform(geom, lambda c: np.column_stack(from_wgs84(c[:, 0], c[:, 1], coord_sys)))
    return json.loads(shapely.to_geojson(geom))


def _listed(hit: Hit, coord_sys: str) -> dict[str, Any]:
    f = hit.feature
    props = {**dict(f.properties), "collection": f.collection,
             "travel_min": round(float(hit.travel_s or 0.0) / 60.0, 3)}
    return {"type": "Feature", "id": f.id, "geometry": _output(f.geometry, coord_sys),
            "properties": props,
            "links": [link(url("item", cid=f.collection, fid=f.id), "item", "geojson", f.id)]}


@bp.get("/reach")
def reach() -> Response:
    store = get_store()
    v = REACH.read(request.args)
    of, coord_sys = v["of"], v["coord-sys"]
    cols = params.known_collections(v["collections"], store.collection_ids())
    found = reach_from(store, of, v["minutes"], v["network"], v["mode"], coord_sys)
    doc: dict[str, Any] = {
        "type": "Feature",
        "geometry": _output(found.area, coord_sys),
        "properties": {
            "minutes": found.minutes, "mode": found.mode, "network": found.network,
            "nodes_reached": found.nodes_reached, "origin": list(found.origin),
            "walk_off_m": round(found.walk_off_m, 1),
            "walk_off_min": round(found.walk_off_m / reaching.WALK_MS / 60.0, 3),
            "walk_off_limit_m": reaching.WALK_OFF_LIMIT_M,
            "walk_off_buffer_m": found.buffer_m,
            "area_holds_within_m": round(found.buffer_min_m, 1),
        },
    }
    if cols is not None:
        hits = within_reach(store, found, cols, skip=of if isinstance(of, str) else None)
        doc["features"] = [_listed(h, coord_sys) for h in hits]
        doc["numberMatched"] = len(hits)
    doc["links"] = [link(request.url, "self", "geojson", "This reach"),
                    link(url("landing"), "service", "json", "API landing page")]
    return geojson_response(doc, parse_crs(None), coord_sys)


@describes
def _describe(doc: Document) -> None:
    """Travel-time reach on a road network."""
    doc.get("/reach", "getReach", "Extension: the area reachable within minutes over a road "
            "network layer (walk, cycle, drive), with the features inside it and their travel "
            "times (travel_min)", REACH, ok("featureGeoJSON", "application/geo+json", html=False),
            ["Spatial"], ("400", "404", "406"))
