"""OGC API - Tiles: the WebMercatorQuad tile matrix set and a vector tileset per collection.

Resources (under ``/api``): ``/tileMatrixSets`` and ``/tileMatrixSets/WebMercatorQuad``;
``/collections/{cid}/tiles`` (the collection's tilesets: one), ``.../tiles/WebMercatorQuad``
(the tileset metadata, OGC 2D TMS 2.0 JSON, with the tile URL template) and
``.../tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}``: a Mapbox Vector Tile
encoded by :mod:`corridor.tiles` (what a tile carries is said there).

Every tile of the matrix set exists: a tile with no feature is ``204 No Content``, with
``OATiles-hint: empty`` when no deeper tile under it holds anything either. Encoded tiles
(and their gzip form, :class:`web.conditional.Body`) are kept in a byte-bounded LRU per app
keyed on the collection's version, so a tile is encoded once per data version; its ETag
follows the collection's version too, and the 304 is :mod:`web.conditional`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response, request

from corridor.model import CollectionMeta
from corridor.tiles import (
    EXTENT,
    MAX_ZOOM,
    TMS_ID,
    TMS_URI,
    WEB_MERCATOR_URI,
    TileIndex,
    parse_tile,
    render_tile,
)
from corridor.tiles import tile_matrix_set as tms_definition
from web.api import params
from web.api.blueprint import bp
from web.api.crs import CRS84_URI
from web.api.errors import ResourceNotFound
from web.api.formats import json_response
from web.api.http import CachedResponse, cache_control, keep, request_etag
from web.api.links import REL_GEODATA, REL_TILING_SCHEME, link, url
from web.api.openapi import Document, describes, ok
from web.cache import BoundedCache, app_cache
from web.conditional import Body, is_fresh, not_modified
from web.extensions import get_store
from web.negotiate import MEDIA_TYPES, lang, negotiate

#: Bytes of encoded tiles kept per app (both forms). Most tiles are a few kB; a dense one
#: is about 100 kB (plus its gzip form, about a third of that).
MAX_TILE_BYTES = 64 * 2**20
#: Conformance classes of OGC API - Tiles - Part 1 this API implements.
CONFORMANCE = [
    f"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/{c}"
    for c in ("core", "tileset", "tilesets-list", "geodata-tilesets", "mvt", "oas30")
]
_JSON_ONLY = ("json",)
#: The parameters of a tile.
TILE = params.Params(params.f_param("f-mvt", ("mvt",), "Mapbox Vector Tile only"), params.LANG)


@dataclass(frozen=True)
class CachedTile:
    """An encoded tile (empty for a tile with no feature) and its gzip form."""

    body: Body
    #: Whether every deeper tile under this one is empty too (``OATiles-hint: empty``).
    deep_empty: bool


def tile_cache() -> BoundedCache[CachedTile]:
    """The current app's tile cache, bounded by bytes (created on first use)."""
    cache: BoundedCache[CachedTile] = app_cache("corridor_tiles", MAX_TILE_BYTES,
                                                lambda t: t.body.nbytes)
    return cache


def _check_tms(tms: str) -> None:
    if tms != TMS_ID:
        raise ResourceNotFound(f"tile matrix set {tms!r} is not offered; expected {TMS_ID}")


def tileset_links(cid: str) -> list[dict[str, Any]]:
    """Links of a collection's tileset: itself, its tiling scheme and the tile URL template."""
    here = url("tileset", cid=cid, tms=TMS_ID)
    return [
        {**link(here, "self", "json", "this tileset"), "type": "application/json"},
        link(url("tile_matrix_set", tms=TMS_ID), REL_TILING_SCHEME, "json",
             f"the {TMS_ID} tile matrix set"),
        {"href": f"{here}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}", "rel": "item",
         "type": MEDIA_TYPES["mvt"], "title": "a Mapbox Vector Tile", "templated": True},
    ]


@bp.get("/tileMatrixSets")
def tile_matrix_sets() -> Response:
    params.JSON_ONLY.read(request.args)
    negotiate(_JSON_ONLY)
    doc = {
        "tileMatrixSets": [{
            "id": TMS_ID, "title": tms_definition()["title"], "uri": TMS_URI, "crs": WEB_MERCATOR_URI,
            "links": [link(url("tile_matrix_set", tms=TMS_ID), "self", "json", f"the {TMS_ID} definition")],
        }],
        "links": [link(url("tile_matrix_sets"), "self", "json", "this document")],
    }
    return json_response(doc)


@bp.get("/tileMatrixSets/<tms>")
def tile_matrix_set(tms: str) -> Response:
    params.JSON_ONLY.read(request.args)
    _check_tms(tms)
    negotiate(_JSON_ONLY)
    doc = tms_definition()
    doc["links"] = [link(url("tile_matrix_set", tms=TMS_ID), "self", "json", "this document")]
    return json_response(doc)


@bp.get("/collections/<cid>/tiles")
def tilesets(cid: str) -> Response:
    params.JSON_ONLY.read(request.args)
    c = get_store().collection(cid)
    negotiate(_JSON_ONLY)
    doc = {
        "links": [link(url("tilesets", cid=cid), "self", "json", "this document"),
                  link(url("collection", cid=cid), REL_GEODATA, "json", c.title(lang()))],
        "tilesets": [{
            "title": c.title(lang()), "dataType": "vector", "crs": WEB_MERCATOR_URI,
            "tileMatrixSetURI": TMS_URI, "links": tileset_links(cid)[:2],
        }],
    }
    return json_response(doc)


@bp.get("/collections/<cid>/tiles/<tms>")
def tileset(cid: str, tms: str) -> Response:
    params.JSON_ONLY.read(request.args)
    c = get_store().collection(cid)
    _check_tms(tms)
    negotiate(_JSON_ONLY)
    return json_response(tileset_doc(c, lang()))


def tileset_doc(c: CollectionMeta, lg: str) -> dict[str, Any]:
    """The tileset metadata of collection ``c`` (OGC 2D TMS 2.0 TileSet, JSON)."""
    properties: dict[str, Any] = {
        "id": {"type": "string", "description": "feature id (fetch the feature from the items API)"},
        "name_zh": {"type": "string"}, "name_en": {"type": "string"},
        "n": {"type": "integer", "description": "on a point kept where a dense tile is thinned: "
              "how many of the tile's points fall in its cell"},
    }
    dims = {0 if t.endswith("Point") else 1 if t.endswith("LineString") else 2 for t in c.geometry_types}
    layer: dict[str, Any] = {
        "id": c.id, "title": c.title(lg), "dataType": "vector", "minTileMatrix": "0",
        "maxTileMatrix": str(MAX_ZOOM), "propertiesSchema": {"type": "object", "properties": properties},
    }
    if len(dims) == 1:
        layer["geometryDimension"] = dims.pop()
    doc: dict[str, Any] = {
        "title": c.title(lg),
        "description": f"Vector tiles of {c.id}: layer {c.id!r}, extent {EXTENT}, "
        "features cut to the tile plus a buffer; dense point tiles thinned (property n).",
        "dataType": "vector",
        "crs": WEB_MERCATOR_URI,
        "tileMatrixSetURI": TMS_URI,
        "links": [*tileset_links(c.id), link(url("collection", cid=c.id), REL_GEODATA, "json", c.title(lg))],
        "layers": [layer],
    }
    if c.extent is not None:
        doc["boundingBox"] = {"lowerLeft": list(c.extent[:2]), "upperRight": list(c.extent[2:]),
                              "crs": CRS84_URI}
    return doc


@bp.get("/collections/<cid>/tiles/<tms>/<z>/<y>/<x>")
def tile(cid: str, tms: str, z: str, y: str, x: str) -> Response:
    TILE.read(request.args)
    store = get_store()
    meta = store.collection(cid)
    _check_tms(tms)
    index = parse_tile(z, x, y)
    negotiate(("mvt",))
    tag = request_etag(meta.version)  # a tile follows its collection, not the whole store
    # a user layer's tiles are revalidated (cache_control); a 304 needs no tile
    if is_fresh(tag):
        return not_modified(tag, True, cache_control(), "Accept-Encoding")
    found = _cached_tile(cid, meta.version, index)
    hint = (("OATiles-hint", "empty"),) if not found.body.data and found.deep_empty else ()
    # kept by the response cache as well: a repeated request is then one look-up
    return keep(CachedResponse(found.body, MEDIA_TYPES["mvt"], tag, True, cache_control(),
                               "Accept-Encoding", hint))


def _cached_tile(cid: str, version: str, index: TileIndex) -> CachedTile:
    cache = tile_cache()
    key = (cid, version, index.z, index.x, index.y)
    found = cache.get(key)
    if found is None:
        vt = render_tile(get_store(), cid, index)
        found = CachedTile(Body.of(vt.data), vt.candidates == 0)
        cache.put(key, found)
    return found


_TMS_ID = {"name": "tileMatrixSetId", "in": "path", "required": True, "description":
           "Tile matrix set (only WebMercatorQuad).", "schema": {"type": "string", "enum": [TMS_ID]}}


def _path_int(name: str, description: str, last: int) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "integer", "minimum": 0, "maximum": last}}


@describes
def _describe(doc: Document) -> None:
    """The tile matrix sets, and each collection's tilesets, tileset and tiles."""
    json_only = params.JSON_ONLY
    doc.get("/tileMatrixSets", "getTileMatrixSetsList", "The tile matrix sets of the tiles",
            json_only, ok("tileMatrixSets", html=False), ["Tiles"])
    doc.get("/tileMatrixSets/{tileMatrixSetId}", "getTileMatrixSet",
            "A tile matrix set definition (OGC 2D TMS 2.0 JSON)", [_TMS_ID, *json_only],
            ok("tileMatrixSet", html=False), ["Tiles"], ("400", "404", "406"))
    last = 2**MAX_ZOOM - 1
    tile_params = [
        _TMS_ID,
        _path_int("tileMatrix", f"Zoom level: tile matrix 0 to {MAX_ZOOM}.", MAX_ZOOM),
        _path_int("tileRow", "Row, from the top: 0 to 2^tileMatrix - 1.", last),
        _path_int("tileCol", "Column, from the left: 0 to 2^tileMatrix - 1.", last),
        *TILE,
    ]
    for c in doc.store.collections():
        cid, title, base = c.id, c.title_en, f"/collections/{c.id}/tiles"
        doc.get(base, f"tilesets_{cid}", f"Vector tilesets of {title}", json_only,
                ok("tileSets", html=False), [cid], ("404", "406"))
        doc.get(f"{base}/{{tileMatrixSetId}}", f"tileset_{cid}", f"Tileset metadata of {title} "
                "(OGC 2D TMS 2.0), with the tile URL template", [_TMS_ID, *json_only],
                ok("tileSet", html=False), [cid], ("404", "406"))
        op = doc.get(f"{base}/{{tileMatrixSetId}}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}",
                     f"tile_{cid}", f"A Mapbox Vector Tile of {title} (layer {cid!r})", tile_params,
                     {"description": "The tile.", "content": {MEDIA_TYPES["mvt"]: {"schema": {
                         "type": "string", "format": "binary"}}}}, [cid], ("400", "404", "406"))
        op["responses"]["204"] = {
            "description": "No feature in this tile (with OATiles-hint: empty when no deeper tile "
                           "under it holds any either)."}
