"""The corridor map at ``/`` and the one JSON helper its script needs beyond the API: the
shape of an N-km query (``/map-data/buffer``), drawn geodesically by :mod:`corridor.mapgeom`."""

from __future__ import annotations

from flask import Response, current_app, jsonify, render_template, request, url_for
from markupsafe import Markup
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from corridor import checks
from corridor.errors import InvalidParameter
from corridor.mapgeom import distance_buffer
from corridor.queries import resolve_origin
from corridor.reach import MAX_MINUTES, WALK_OFF_BUFFER_M
from corridor.store import FeatureStore
from web.cache import BoundedCache, app_cache
from web.extensions import get_store
from web.map.build import build_map
from web.map.controls import unplaced_html
from web.map.options import MapOptions, MapParts, TileSpec, osm_tiles, tianditu_tiles
from web.map.popup import LinkTemplates
from web.map.style import HIGHLIGHT_COLOUR
from web.map.words import Lang, script_words
from web.pages.blueprint import bp
from web.pages.cache import cached_page
from web.pages.industries import vocabulary
from web.pages.site import page_vars

#: Main maps kept per app (about 1 MB each): one per language of the current data version,
#: and those of the version before it while they age out.
MAX_MAPS = 4
#: Endpoints the page's script calls (the OGC API of this app).
API_ENDPOINTS = {
    "near": "/api/near",
    "reach": "/api/reach",
    "at": "/api/at",
    "items": "/api/collections/{cid}/items",
    "item": "/api/collections/{cid}/items/{fid}",
    "tiles": "/api/collections/{cid}/tiles/WebMercatorQuad/{z}/{y}/{x}",
}


def configured_tiles() -> tuple[TileSpec, ...]:
    """Online tile layers the configuration allows (none by default)."""
    tiles: list[TileSpec] = []
    key = str(current_app.config.get("TIANDITU_KEY") or "").strip()
    if key:
        tiles.extend(tianditu_tiles(key))
    if current_app.config.get("ENABLE_OSM_TILES"):
        tiles.append(osm_tiles())
    return tuple(tiles)


def link_templates() -> LinkTemplates:
    root = request.script_root
    park = url_for("pages.park", park_id="FID") .replace("FID", "{fid}") + "?lang={lang}"
    return LinkTemplates(item=root + API_ENDPOINTS["item"], park=park,
                         items=root + API_ENDPOINTS["items"], tiles=root + API_ENDPOINTS["tiles"])


def main_map(lang: Lang) -> MapParts:
    """The full map in ``lang``, built once per data version, language and tile configuration
    (the page around it may differ by query string; the map does not)."""
    tiles = configured_tiles()
    store = get_store()
    cache: BoundedCache[MapParts] = app_cache("corridor_map_parts", MAX_MAPS)
    key = (store.version, lang, tiles, request.script_root)
    parts = cache.get(key)
    if parts is None:
        options = MapOptions(lang=lang, asset_base=url_for("pages.vendor", name="X")[:-1],
                             links=link_templates(), tiles=tiles)
        parts = build_map(store, options, key="main")
        cache.put(key, parts)
    return parts


@bp.get("/")
@cached_page
def index() -> str:
    ctx = page_vars()
    lang: Lang = ctx["lang"]
    store = get_store()
    parts = main_map(lang)
    config = {
        "lang": lang,
        "endpoints": {k: request.script_root + v for k, v in API_ENDPOINTS.items()},
        "buffer": url_for("pages.buffer"),
        "collections": {c.id: {"title": c.title(lang), "group": c.group} for c in store.collections()},
        "near_collections": store.collection_ids("near"),
        "highlight": HIGHLIGHT_COLOUR,
        "ui": script_words(),
        "km_max": checks.MAX_KM,
        "networks": store.networks(),
        "minutes_max": MAX_MINUTES,
    }
    unplaced = Markup(unplaced_html(store, lang, store.collection_ids(), link_templates()))
    return render_template(
        "pages/map.html", parts=parts, config=config, unplaced=unplaced,
        industries=vocabulary(store, lang), km_min=0.1, km_max=f"{checks.MAX_KM:g}",
        km_max_text=f"{checks.MAX_KM:g}", minutes_max=f"{MAX_MINUTES:g}",
        networks=[{"id": cid, "title": store.collection(cid).title(lang)} for cid in store.networks()],
        walk_off_m=f"{WALK_OFF_BUFFER_M:g}", **ctx,
    )


def _centre_geometry(store: FeatureStore, of: str) -> BaseGeometry:
    """The WGS84 geometry of ``of``: a feature id, or ``lon,lat`` (validated by the domain)."""
    if "," in of:
        try:
            return resolve_origin(store, checks.lonlat(*of.split(",", 1)))
        except InvalidParameter as exc:
            raise InvalidParameter(f"of={checks.shown(of)}: {exc}") from None
    return resolve_origin(store, of)


@bp.get("/map-data/buffer")
def buffer() -> Response:
    """GeoJSON Feature: the area within ``km`` of ``of`` (feature id or ``lon,lat``)."""
    of = (request.args.get("of") or "").strip()
    if not of:
        raise InvalidParameter("of is missing; expected a feature id or lon,lat")
    km = checks.km((request.args.get("km") or ""), "km")
    geom = distance_buffer(_centre_geometry(get_store(), of), km)
    return jsonify({"type": "Feature", "properties": {"of": of, "km": km},
                    "geometry": mapping(geom)})

