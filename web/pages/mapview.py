"""The corridor map at ``/`` and the one JSON helper its script needs beyond the API: the
shape of an N-km query (``/map-data/buffer``), drawn geodesically by :mod:`corridor.mapgeom`."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import Response, current_app, jsonify, render_template, request, url_for
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from corridor.catalog import Catalog
from corridor.errors import InvalidParameter
from corridor.i18n import Lang
from corridor.mapgeom import check_km, distance_buffer
from corridor.mapping import MapOptions, MapParts, TileSpec, build_map, osm_tiles, tianditu_tiles
from corridor.mappopup import LinkTemplates
from corridor.mapstyle import HIGHLIGHT_COLOUR
from corridor.queries import resolve_origin
from web import get_catalog
from web.pages import bp
from web.pages.site import page_vars

#: Endpoints the page's script calls (the OGC API of this app).
API_ENDPOINTS = {
    "near": "/api/near",
    "at": "/api/at",
    "items": "/api/collections/{cid}/items",
    "item": "/api/collections/{cid}/items/{fid}",
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
    return LinkTemplates(item=root + API_ENDPOINTS["item"], park=park)


def main_map(lang: Lang) -> MapParts:
    """The full map in ``lang``, built once per language and tile configuration."""
    tiles = configured_tiles()
    cache: dict[Any, MapParts] = current_app.extensions.setdefault("corridor_map_parts", {})
    key = ("main", lang, tiles, request.script_root)
    if key not in cache:
        options = MapOptions(lang=lang, asset_base=url_for("pages.vendor", name="X")[:-1],
                             links=link_templates(), tiles=tiles)
        cache[key] = build_map(get_catalog(), options, key="main")
    return cache[key]


def industry_choices(catalog: Catalog, lang: Lang) -> list[tuple[str, str]]:
    """(term to query, label) for every industry the data names, parks' industries first."""
    counts: Counter[tuple[str, str]] = Counter()
    for cid in ["parks"] + [c for c in catalog.collections if c != "parks"]:
        c = catalog.collections.get(cid)
        if c is None or "industries_zh" not in c.gdf:
            continue
        for zh_list, en_list in zip(c.gdf["industries_zh"], c.gdf["industries_en"], strict=True):
            for zh, en in zip(zh_list or [], en_list or [], strict=True):
                counts[(zh, en)] += 10 if cid == "parks" else 1
    pairs = sorted(counts, key=lambda p: (-counts[p], p))
    return [(p[0] if lang == "zh" else p[1], p[0] if lang == "zh" else p[1]) for p in pairs]


def near_collections(catalog: Catalog) -> list[str]:
    """What the N-km query asks about: not the basemap, nor the corridor that holds it all."""
    return [cid for cid, c in catalog.collections.items()
            if c.group != "basemap" and cid != "corridor"]


@bp.get("/")
def index() -> str:
    ctx = page_vars()
    lang: Lang = ctx["lang"]
    catalog = get_catalog()
    parts = main_map(lang)
    config = {
        "lang": lang,
        "endpoints": {k: request.script_root + v for k, v in API_ENDPOINTS.items()},
        "buffer": url_for("pages.buffer"),
        "collections": {
            cid: {"title": c.title(lang), "group": c.group} for cid, c in catalog.collections.items()
        },
        "near_collections": near_collections(catalog),
        "highlight": HIGHLIGHT_COLOUR,
        "ui": ctx["ui"],
    }
    return render_template(
        "pages/map.html", parts=parts, config=config,
        industries=industry_choices(catalog, lang), **ctx,
    )


def _centre_geometry(catalog: Catalog, of: str) -> BaseGeometry:
    """The WGS84 geometry of ``of``: a feature id, or ``lon,lat`` (validated by the domain)."""
    if "," in of:
        try:
            lon, lat = (float(v) for v in of.split(","))
        except ValueError:
            raise InvalidParameter(f"of={of!r}; expected a feature id or lon,lat") from None
        return resolve_origin(catalog, (lon, lat))
    return resolve_origin(catalog, of)


@bp.get("/map-data/buffer")
def buffer() -> Response:
    """GeoJSON Feature: the area within ``km`` of ``of`` (feature id or ``lon,lat``)."""
    of = request.args.get("of", "").strip()
    if not of:
        raise InvalidParameter("of is missing; expected a feature id or lon,lat")
    km = check_km(request.args.get("km", ""))
    geom = distance_buffer(_centre_geometry(get_catalog(), of), km)
    return jsonify({"type": "Feature", "properties": {"of": of, "km": km},
                    "geometry": mapping(geom)})

