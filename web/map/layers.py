"""The map's layers: one per collection (inline GeoJSON with pre-rendered popups, or the
API's vector tiles for a large collection), the online tile layers, the style of the feature a
page is about, and the names written on the map (:class:`PlaceLabels`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

import folium
import shapely
from branca.element import MacroElement
from folium.plugins import VectorGridProtobuf
from folium.template import Template
from folium.utilities import JsCode
from shapely.geometry import mapping as shape_mapping

from corridor.model import CollectionMeta
from corridor.store import FeatureStore
from web.map.latlon import bounds_latlon
from web.map.options import MapOptions
from web.map.popup import LinkTemplates, popup_html
from web.map.style import HIGHLIGHT_COLOUR, LABELS_Z, POINTS_Z, style_for
from web.map.words import Lang, speaking

#: Properties the page's script needs on every feature (popups are pre-rendered HTML;
#: ``accuracy_m`` draws the circle a point may be off by while its popup is open).
CLIENT_PROPS = ("id", "name_zh", "name_en", "kind", "industries_zh", "industries_en", "accuracy_m",
                "status", "year", "interval")
#: Above this many features a collection is not inlined in the page: the map draws it from
#: the API's vector tiles instead (Leaflet.VectorGrid), so the page stays small and the
#: browser holds only the tiles in view.
INLINE_MAX_FEATURES = 2000
POINT_TYPES = frozenset({"Point", "MultiPoint"})
#: Basemap outlines are drawn simplified to about 10 m (queries use the full geometry):
#: the full-resolution coastline would otherwise dominate the page's size.
BASEMAP_TOLERANCE_DEG = 1e-4
#: Style of the feature a page is about (the park on its profile's map).
MARKED_STYLE = {"color": HIGHLIGHT_COLOUR, "weight": 4, "opacity": 1, "fillColor": HIGHLIGHT_COLOUR,
                "fillOpacity": 0.18}


def shared_points(store: FeatureStore, collections: Iterable[str], lang: Lang) -> dict[str, list[tuple[str, str]]]:
    """For each point feature that shares its exact position with others (an institution's
    labs and facilities all placed at its address): the others, as (id, name in ``lang``)."""
    at: dict[tuple[float, float], list[tuple[str, str]]] = {}
    for cid in collections:
        c = store.collection(cid)
        if c.count > INLINE_MAX_FEATURES or c.has_role("basemap"):
            continue
        for f in store.features(cid):
            if f.geometry is not None and f.geometry.geom_type == "Point":
                at.setdefault((round(f.geometry.x, 7), round(f.geometry.y, 7)), []).append(
                    (f.id, f.name(lang)))
    out: dict[str, list[tuple[str, str]]] = {}
    for group in at.values():
        if len(group) > 1:
            for fid, _ in group:
                out[fid] = [g for g in group if g[0] != fid]
    return out


def collection_geojson(
    store: FeatureStore, c: CollectionMeta, lang: Lang, links: LinkTemplates,
    ids: Iterable[str] | None = None, clip: Sequence[float] | None = None,
    same_point: dict[str, list[tuple[str, str]]] | None = None,
) -> dict[str, Any]:
    """The collection as a GeoJSON FeatureCollection with the properties the page needs;
    a basemap's outlines are simplified, and cut to ``clip`` (lon/lat box) when given
    (``same_point``: see :func:`shared_points`; each popup lists the others)."""
    with speaking(lang):
        simplify = c.has_role("basemap")
        features = []
        for f in store.features(c.id, None if ids is None else list(ids)):
            geom = f.geometry
            if geom is None:  # listed, location not published: nothing to draw
                continue
            if simplify:
                geom = geom.simplify(BASEMAP_TOLERANCE_DEG, preserve_topology=True)
                if clip is not None:
                    geom = shapely.clip_by_rect(geom, *clip)
                    if geom.is_empty:
                        continue
            out = {k: f.properties.get(k) for k in CLIENT_PROPS}
            out["collection"] = c.id
            out["popup"] = popup_html(c.id, f.properties, lang, links, profile=c.has_role("parks"),
                                      same_point=(same_point or {}).get(f.id, ()))
            features.append({"type": "Feature", "id": f.id, "properties": out,
                             "geometry": shape_mapping(geom)})
        return {"type": "FeatureCollection", "features": features}


def add_collection(
    m: folium.Map, store: FeatureStore, c: CollectionMeta, options: MapOptions,
    ids: Iterable[str] | None, interactive: bool, show: bool, counted: bool,
    same_point: dict[str, list[tuple[str, str]]],
    clip: Sequence[float] | None = None,
) -> folium.GeoJson | VectorGridProtobuf:
    """Put collection ``c`` on ``m`` in its own pane and style: inline GeoJSON with tooltips
    and popups (``interactive``), or vector tiles when :func:`tiled`; its name in the layer
    control carries a swatch and, when ``counted``, the number of features."""
    lang = options.lang
    style = style_for(c.id)
    pane = f"pane-{c.id}"
    folium.map.CustomPane(pane, z_index=style.z, pointer_events=True).add_to(m)
    area_style = style.leaflet_area()
    point_style = style.leaflet()
    if not c.polygonal:
        # folium's CircleMarker drops options it does not know; the styler's dict reaches
        # Leaflet as is, so the pane (z-order above the areas) and fill go there. A collection
        # that mixes points and areas keeps its areas low and its points in a pane above.
        point_pane = pane if c.points_only else f"pane-{c.id}-points"
        if point_pane != pane:
            folium.map.CustomPane(point_pane, z_index=POINTS_Z, pointer_events=True).add_to(m)
        point_style.update(pane=point_pane, fill=True, radius=style.radius)

    def styler(f: dict[str, Any], a: dict[str, Any] = area_style, p: dict[str, Any] = point_style):
        return dict(p if f["geometry"]["type"] in POINT_TYPES else a)

    count = f' <span class="lc-count">({c.count})</span>' if counted else ""
    name = f'{style.swatch(c.points_only)}{escape(c.title(lang))}{count}'
    if tiled(c, ids):
        small = {**point_style, "radius": min(style.radius, 3), "weight": 0.5}  # as tiled_styles
        return _add_tiled(m, c, options, name, small if not c.polygonal else area_style)
    data = collection_geojson(store, c, lang, options.links, ids, clip, same_point)
    # folium checks tooltip fields against the data, so an empty layer gets neither
    interactive = interactive and bool(data["features"])
    layer = folium.GeoJson(
        data,
        name=name,
        style_function=styler,
        marker=folium.CircleMarker(radius=style.radius, pane=pane) if not c.polygonal else None,
        tooltip=folium.GeoJsonTooltip(fields=[f"name_{lang}"], labels=False) if interactive else None,
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False, max_width=380)
        if interactive else None,
        show=show,
        pane=pane,
        interactive=interactive,
    )
    layer.add_to(m)
    return layer


def tiled(c: CollectionMeta, ids: Iterable[str] | None = None) -> bool:
    """Whether the map draws collection ``c`` from vector tiles rather than inline GeoJSON:
    when it is drawn whole and has more than :data:`INLINE_MAX_FEATURES` features."""
    return ids is None and c.count > INLINE_MAX_FEATURES


def _add_tiled(m: folium.Map, c: CollectionMeta, options: MapOptions, name: str,
               draw: dict[str, Any]) -> VectorGridProtobuf:
    """The collection as a Leaflet.VectorGrid layer of the API's Mapbox Vector Tiles, drawn on
    canvas in the collection's pane and style; the page's script adds tooltips, popups
    (fetched from the items API on click) and highlighting (see map.js, "tiled layers").

    The layer starts off the map: the page's script adds it once the first view is set, so
    it asks for the tiles of that view only (not those of folium's opening view as well);
    and only for tiles over the collection's extent (grown by 2 %, so symbols at its edge
    are drawn whole): the others are empty.
    """
    extra: dict[str, Any] = {}
    if c.extent is not None:
        minx, miny, maxx, maxy = c.extent
        dx, dy = (maxx - minx) * 0.02 + 1e-4, (maxy - miny) * 0.02 + 1e-4
        extra["bounds"] = bounds_latlon((minx - dx, miny - dy, maxx + dx, maxy + dy))
    layer = VectorGridProtobuf(
        options.links.tiles.replace("{cid}", c.id), name=name, show=False,
        options={
            "vectorTileLayerStyles": {c.id: draw},
            "interactive": True,
            "rendererFactory": JsCode("L.canvas.tile"),
            "getFeatureId": JsCode("function (f) { return f.properties.id; }"),
            "pane": draw.get("pane", f"pane-{c.id}"),
            "maxZoom": 24,
            **extra,
        },
    )
    layer.add_to(m)
    return layer


def add_online_tiles(m: folium.Map, options: MapOptions) -> dict[str, folium.TileLayer]:
    """The configured online tile layers on ``m``, switched off at start, by id."""
    out = {}
    for spec in options.tiles:
        layer = folium.TileLayer(
            tiles=spec.url, attr=spec.attribution, name=spec.title_zh if options.lang == "zh"
            else spec.title_en, overlay=True, control=False, show=False, max_zoom=spec.max_zoom,
            subdomains=spec.subdomains or "abc",
        )
        layer.add_to(m)
        out[spec.id] = layer
    return out


class PlaceLabels(MacroElement):
    """Names written on the map (districts, bays, the marked park) as non-interactive labels
    in their own pane; each set of labels shows exactly while its layer does."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            if (!map.getPane("pane-labels")) {
                var pane = map.createPane("pane-labels");
                pane.style.zIndex = {{ this.z }};
                pane.style.pointerEvents = "none";
            }
            {%- for layer, cls, labels in this.sets %}
            (function (layer) {
                var group = L.layerGroup();
                {{ labels|tojson }}.forEach(function (l) {
                    L.marker([l[0], l[1]], {pane: "pane-labels", interactive: false, keyboard: false,
                        icon: L.divIcon({className: "map-label " + {{ cls|tojson }}, iconSize: [0, 0],
                                         html: "<span>" + l[2] + "</span>"})}).addTo(group);
                });
                function follow() { if (map.hasLayer(layer)) { group.addTo(map); } else { group.remove(); } }
                map.on("layeradd layerremove", function (e) { if (e.layer === layer) { follow(); } });
                follow();
            })({{ layer }});
            {%- endfor %}
        })();
        {% endmacro %}
        """
    )

    def __init__(self, sets: list[tuple[str, str, list[list[Any]]]]):
        super().__init__()
        self._name = "PlaceLabels"
        self.sets = sets
        self.z = LABELS_Z
