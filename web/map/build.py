"""Build the corridor map with folium: one switchable, styled layer per collection, grouped
(basemap, plan, institutions), with tooltips, bilingual popups, a categorical legend, a scale
bar, measure and fullscreen controls, and every script and stylesheet served by the app.

Nothing here does network I/O or imports Flask: the web layer passes in the URL prefix its
vendored assets live under, the link patterns for popups, and which online tile layers are
configured. The result is the map's header, body and script HTML, for the web layer's own
Jinja template.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any, cast

import folium
import shapely
from branca.element import Element, Figure, MacroElement
from flask_babel import gettext
from folium import plugins
from folium.map import Layer
from folium.plugins import VectorGridProtobuf
from folium.template import Template
from folium.utilities import JsCode
from shapely.geometry import mapping as shape_mapping
from shapely.geometry.base import BaseGeometry

from corridor.model import CollectionMeta
from corridor.store import FeatureStore
from web.map.popup import LinkTemplates, popup_html, provenance, zh_marked
from web.map.style import (
    EXTRA_Z,
    HIGHLIGHT_COLOUR,
    LABELS_Z,
    MARKED_Z,
    POINTS_Z,
    SEA_COLOUR,
    style_for,
)
from web.map.words import GROUP_TITLES, Lang, speaking

#: Properties the page's script needs on every feature (popups are pre-rendered HTML;
#: ``accuracy_m`` draws the circle a point may be off by while its popup is open).
CLIENT_PROPS = ("id", "name_zh", "name_en", "kind", "industries_zh", "industries_en", "accuracy_m",
                "status", "year")
#: Above this many features a collection is not inlined in the page: the map draws it from
#: the API's vector tiles instead (Leaflet.VectorGrid), so the page stays small and the
#: browser holds only the tiles in view.
INLINE_MAX_FEATURES = 2000
#: Style of the feature a page is about (the park on its profile's map).
MARKED_STYLE = {"color": HIGHLIGHT_COLOUR, "weight": 4, "opacity": 1, "fillColor": HIGHLIGHT_COLOUR,
                "fillOpacity": 0.18}
GROUPS = ("basemap", "plan", "institutions", "user")
POINT_TYPES = frozenset({"Point", "MultiPoint"})
#: Basemap outlines are drawn simplified to about 10 m (queries use the full geometry):
#: the full-resolution coastline would otherwise dominate the page's size.
BASEMAP_TOLERANCE_DEG = 1e-4


def latlon(lon: float, lat: float) -> list[float]:
    """The one place a lon, lat pair becomes Leaflet's ``[lat, lon]``."""
    return [float(lat), float(lon)]


def bounds_latlon(extent: Sequence[float]) -> list[list[float]]:
    """Leaflet bounds ``[[south, west], [north, east]]`` of a lon/lat ``(minx, miny, maxx, maxy)``."""
    minx, miny, maxx, maxy = extent
    return [latlon(minx, miny), latlon(maxx, maxy)]


@dataclass(frozen=True)
class TileSpec:
    """An online tile layer: offered only when configured, never shown by default."""

    id: str
    title_zh: str
    title_en: str
    url: str
    attribution: str
    subdomains: str = "abc"
    max_zoom: int = 18


def osm_tiles() -> TileSpec:
    return TileSpec(
        "osm", "OpenStreetMap", "OpenStreetMap",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
        subdomains="", max_zoom=19,
    )


def tianditu_tiles(key: str) -> list[TileSpec]:
    """Tianditu vector map and labels. Its "_w" tiles are Web Mercator on CGCS2000, which
    agrees with WGS84 to centimetres, so they line up with our data (unlike GCJ-02 tiles)."""
    def url(layer: str) -> str:
        return (
            f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
            f"&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
            f"&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
        )
    attribution = '&copy; <a href="https://www.tianditu.gov.cn/">天地图 Tianditu</a>'
    return [
        TileSpec("tianditu-vec", "天地图 矢量", "Tianditu map", url("vec"), attribution, "01234567"),
        TileSpec("tianditu-cva", "天地图 注记", "Tianditu labels", url("cva"), attribution, "01234567"),
    ]


@dataclass(frozen=True)
class MapOptions:
    """What the web layer decides for a map.

    Parameters
    ----------
    lang
        Language of every label, legend entry and popup.
    asset_base
        URL prefix under which the app serves the vendored scripts and stylesheets; each asset
        is requested as ``asset_base + <file name>`` (see :func:`asset_files`).
    links
        URL patterns for the popups' links.
    tiles
        Online tile layers to offer (switched off at start).
    controls
        Whether to add the layer control, measure and fullscreen tools (the small park maps
        leave them out and keep only the legend).
    legend
        Whether a map without controls draws its legend on the map (a page may rather place
        :func:`legend_html` beside a small map, where it hides nothing).
    """

    lang: Lang = "zh"
    asset_base: str = "/vendor/"
    links: LinkTemplates = field(default_factory=LinkTemplates)
    tiles: tuple[TileSpec, ...] = ()
    controls: bool = True
    legend: bool = True


@dataclass(frozen=True)
class MapParts:
    """Rendered pieces of a folium map, to be placed in the page's own template."""

    header: str
    html: str
    script: str
    map_name: str
    layer_names: dict[str, str]


class LayerRegistry(MacroElement):
    """Publishes the map and its layers to the page's script as ``window.corridorMaps[id]``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        window.corridorMaps = window.corridorMaps || {};
        window.corridorMaps[{{ this.key|tojson }}] = {
            map: {{ this._parent.get_name() }},
            layers: { {%- for cid, name in this.layers.items() %}
                {{ cid|tojson }}: {{ name }},{% endfor %} },
            tiles: { {%- for tid, name in this.tiles.items() %}
                {{ tid|tojson }}: {{ name }},{% endfor %} },
            highlight: {{ this.highlight|tojson }},
            fit: {{ this.fit|tojson }},
            tiled: {{ this.tiled|tojson }}
        };
        {% endmacro %}
        """
    )

    def __init__(self, key: str, layers: dict[str, str], tiles: dict[str, str],
                 fit: list[list[float]], tiled: dict[str, dict[str, Any]] | None = None):
        super().__init__()
        self._name = "LayerRegistry"
        #: Collection id -> style, for the layers drawn from vector tiles.
        self.tiled = tiled or {}
        self.key = key
        self.layers = layers
        self.tiles = tiles
        self.highlight = HIGHLIGHT_COLOUR
        self.fit = fit


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


def label_point(geom: BaseGeometry) -> list[float]:
    """Where a label goes: inside the largest part of an area (``[lat, lon]``)."""
    parts = getattr(geom, "geoms", None)
    if parts:
        geom = max(parts, key=lambda g: g.area)
    p = geom.representative_point()
    return latlon(p.x, p.y)


class MetricScale(MacroElement):
    """Leaflet's scale bar in kilometres only (folium's adds miles)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, maxWidth: 150}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


class Legend(MacroElement):
    """A categorical legend as a Leaflet control: a swatch and title per collection, by group."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "corridor-legend leaflet-bar");
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html: str):
        super().__init__()
        self._name = "Legend"
        self.html = html


def _box(fill: str, border: str, extra: str = "") -> str:
    return (
        f'<i class="swatch" style="display:inline-block;width:16px;height:10px;'
        f'background:{fill};border:{border};vertical-align:middle;margin-right:4px;{extra}"></i>'
    )


def _legend_title() -> str:
    title = gettext("Legend")
    return f'<div class="lg-title">{escape(title)}</div>'


def key_html(lang: Lang) -> str:
    """HTML of the main map's key: what the sea, line styles, circles and highlight mean.

    The main map's layer control already shows every collection with its swatch and count,
    so its legend only explains what the control cannot (and stays small).
    """
    with speaking(lang):
        rows = [
            (_box(SEA_COLOUR, "1px solid #9bb"), gettext("Sea")),
            (_box("transparent", "2px solid #7a6f8c"), gettext("solid line: district boundary (surveyed)")),
            (_box("transparent", "2px dashed #b2182b"), gettext("dashed line: approximate extent")),
            (_box("rgba(33,102,172,.12)", "1.5px dashed #2166ac", "border-radius:50%;height:16px"),
             gettext("circle: how far off a position may be (shown with its popup)")),
            (_box("transparent", f"3px solid {HIGHLIGHT_COLOUR}"), gettext("magenta: query results")),
        ]
        items = "".join(f'<div class="lg-item">{sw}{escape(words)}</div>' for sw, words in rows)
        return _legend_title() + items


def legend_html(
    store: FeatureStore, lang: Lang, collections: Iterable[str] | None = None, counts: bool = True,
    marked: str | None = None,
) -> str:
    """HTML of the legend: groups, then a swatch, title and (optionally) count per collection;
    ``marked`` names the highlighted feature a page is about (e.g. "this park")."""
    with speaking(lang):
        wanted = set(collections) if collections is not None else set(store.collection_ids())
        parts = [_legend_title()]
        if marked:
            sw = _box("rgba(255,0,170,.18)", f"3px solid {HIGHLIGHT_COLOUR}")
            parts.append(f'<div class="lg-item lg-marked">{sw}{escape(marked)}</div>')
        sea = _box(SEA_COLOUR, "1px solid #9bb")
        for group in GROUPS:
            members = [c for c in store.collections() if c.group == group and c.id in wanted]
            if not members:
                continue
            title = gettext(GROUP_TITLES[group])
            parts.append(f'<div class="lg-group">{escape(title)}</div>')
            if group == "basemap":
                sea_word = gettext("Sea")
                parts.append(f'<div class="lg-item">{sea}{escape(sea_word)}</div>')
            for c in members:
                sw = style_for(c.id).swatch(c.points_only)
                count = f' <span class="lg-count">({c.count})</span>' if counts else ""
                parts.append(
                    f'<div class="lg-item" data-collection="{c.id}">{sw}{escape(c.title(lang))}'
                    f"{count}</div>"
                )
        note = gettext("dashed outline = approximate extent")
        parts.append(f'<div class="lg-note">{escape(note)}</div>')
        parts.append(unplaced_html(store, lang, wanted))
        return "".join(parts)


def unplaced_html(store: FeatureStore, lang: Lang, collections: Iterable[str],
                  links: LinkTemplates | None = None) -> str:
    """The features listed but not placed (location not published), with where that comes
    from: a map cannot draw them, so the legend says they exist."""
    with speaking(lang):
        item = (links or LinkTemplates()).item
        api_link = escape(gettext("API item"))
        rows = []
        for cid in collections:
            for f in store.features(cid):
                if f.geometry is None:
                    note = provenance(f.properties, "position_note", lang)
                    # English notes quote Chinese road and place names: mark those runs.
                    rows.append(
                        f'<li data-fid="{escape(f.id)}"><b>{zh_marked(f.name(lang), lang)}</b>: '
                        f'{zh_marked(note, lang) + "; " if note else ""}'
                        f'{zh_marked(provenance(f.properties, "source", lang), lang)} '
                        f'<a href="{escape(item.format(cid=cid, fid=f.id, lang=lang))}?f=html" '
                        f'target="_blank">{api_link}</a></li>')
        if not rows:
            return ""
        title = gettext("Location not published (not on the map)")
        return (f'<details class="lg-unplaced" id="unplaced-list"><summary>'
                f'{escape(title)} ({len(rows)})</summary><ul>{"".join(rows)}</ul></details>')


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


def _add_collection(
    m: folium.Map, store: FeatureStore, c: CollectionMeta, options: MapOptions,
    ids: Iterable[str] | None, interactive: bool, show: bool, counted: bool,
    same_point: dict[str, list[tuple[str, str]]],
    clip: Sequence[float] | None = None,
) -> folium.GeoJson | VectorGridProtobuf:
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


def build_map(
    store: FeatureStore,
    options: MapOptions,
    *,
    key: str = "main",
    collections: Sequence[str] | None = None,
    only_ids: dict[str, Iterable[str]] | None = None,
    extra: Sequence[tuple[BaseGeometry, dict[str, Any]]] = (),
    fit: Sequence[float] | None = None,
    marked: Sequence[tuple[BaseGeometry, str]] = (),
    clip_basemap: Sequence[float] | None = None,
) -> MapParts:
    """Build the map and render it into header, body and script HTML.

    Parameters
    ----------
    store
        The feature store.
    options
        Language, asset prefix, links and tile layers (see :class:`MapOptions`).
    key
        Name the page's script finds the map under (``window.corridorMaps[key]``).
    collections
        Collections to draw, in store order (default: all).
    only_ids
        Per collection, the feature ids to draw (default: every feature).
    extra
        Additional lon/lat geometries with Leaflet path styles (e.g. distance rings).
    fit
        Lon/lat extent to open on (default: the ``frame`` collections, else everything).
    marked
        Lon/lat geometries the page is about, each with its label: drawn above everything in
        the highlight colour, labelled, and named in the legend.
    clip_basemap
        Lon/lat box the basemap outlines are cut to (a small map need not carry the whole
        coastline).

    Raises
    ------
    corridor.errors.NotFound
        If ``collections`` names a collection the store lacks.
    """
    wanted = list(collections) if collections is not None else store.collection_ids()
    for cid in wanted:
        store.collection(cid)
    m = folium.Map(location=None, tiles=None, control_scale=False, zoom_control=True,
                   attribution_control=True)
    # More specific than leaflet.css's own .leaflet-container rule, whatever the order.
    # folium.Map always sits in a branca Figure (get_root() is typed as the base Element)
    cast(Figure, m.get_root()).header.add_child(
        Element(f"<style>div.folium-map.leaflet-container{{background:{SEA_COLOUR};}}</style>"),
        name="corridor_sea",
    )
    MetricScale().add_to(m)
    layers: dict[str, Layer] = {}
    tiled_styles: dict[str, dict[str, Any]] = {}
    same_point = shared_points(store, wanted, options.lang)
    for c in (c for c in store.collections() if c.id in wanted):
        cid = c.id
        ids = only_ids.get(cid) if only_ids else None
        # a bare basemap (the land) is scenery: no tooltip, no popup, no click
        interactive = c.roles != {"basemap"}
        layers[cid] = _add_collection(
            m, store, c, options, ids, interactive, show=style_for(cid).shown,
            counted=not (only_ids and cid in only_ids), same_point=same_point, clip=clip_basemap,
        )
        if tiled(c, ids):
            style = style_for(cid)
            # tiles hold thousands of points: smaller dots with a thin edge keep the plan visible
            tiled_styles[cid] = {"style": {**style.leaflet(), "fill": True, "radius": min(style.radius, 3),
                                           "weight": 0.5},
                                 "show": style.shown}
    if extra:
        folium.map.CustomPane("pane-extra", z_index=EXTRA_Z, pointer_events=False).add_to(m)
    for geom, path_style in extra:
        folium.GeoJson(
            {"type": "Feature", "properties": {}, "geometry": shape_mapping(geom)},
            style_function=lambda _f, s=dict(path_style): s, control=False, interactive=False,
            pane="pane-extra",
        ).add_to(m)
    label_sets = []
    for cid in store.collection_ids("labelled"):
        # a map about one park names that park; the other parks' names would crowd it
        if cid in layers and not (marked and store.collection(cid).has_role("parks")):
            # the feature a page is about carries its own label ("this park: ...")
            label_sets.append((layers[cid].get_name(), f"label-{cid}", [
                [*label_point(f.geometry), escape(f.name(options.lang))]
                for f in store.features(cid)
                if f.geometry is not None and not any(f.geometry.equals(g) for g, _ in marked)]))
    marked_layer = None
    if marked:
        folium.map.CustomPane("pane-marked", z_index=MARKED_Z, pointer_events=False).add_to(m)
        marked_layer = folium.GeoJson(
            {"type": "FeatureCollection", "features": [
                {"type": "Feature", "properties": {}, "geometry": shape_mapping(g)} for g, _ in marked]},
            style_function=lambda _f: dict(MARKED_STYLE), control=False, interactive=False,
            pane="pane-marked",
        ).add_to(m)
        label_sets.append((marked_layer.get_name(), "label-marked",
                           [[*label_point(g), escape(text)] for g, text in marked]))
    tiles = _add_tiles(m, options)
    if options.controls:
        _add_controls(m, store, layers, tiles, options)
    elif options.legend:
        # a part of each collection is drawn, so no counts
        Legend(legend_html(store, options.lang, layers, counts=False,
                           marked=marked[0][1] if marked else None)).add_to(m)
    if label_sets:
        PlaceLabels(label_sets).add_to(m)
    bounds = bounds_latlon(fit if fit is not None else _default_extent(store))
    LayerRegistry(key, {cid: g.get_name() for cid, g in layers.items()},
                  {tid: tl.get_name() for tid, tl in tiles.items()}, bounds, tiled_styles).add_to(m)
    m.fit_bounds(bounds)
    localise_assets(m, options.asset_base)
    root = cast(Figure, m.get_root())
    root.render()
    return MapParts(
        header=root.header.render(),
        html=root.html.render(),
        script=root.script.render(),
        map_name=m.get_name(),
        layer_names={cid: g.get_name() for cid, g in layers.items()},
    )


def _default_extent(store: FeatureStore) -> tuple[float, float, float, float]:
    boxes = [m.extent for m in store.collections() if m.has_role("frame") and m.extent]
    if not boxes:
        return store.extent or (119.5, 35.6, 121.0, 37.1)  # Qingdao, for an empty store
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def _add_tiles(m: folium.Map, options: MapOptions) -> dict[str, folium.TileLayer]:
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


def _add_controls(
    m: folium.Map, store: FeatureStore, layers: dict[str, Layer],
    tiles: dict[str, folium.TileLayer], options: MapOptions,
) -> None:
    with speaking(options.lang):
        lang = options.lang
        groups: dict[str, list[Any]] = {}
        for group in GROUPS:
            members = [layers[c.id] for c in store.collections()
                       if c.group == group and c.id in layers]
            if members:
                groups[gettext(GROUP_TITLES[group])] = members
        if tiles:
            groups[gettext(GROUP_TITLES["tiles"])] = list(tiles.values())
        plugins.GroupedLayerControl(groups, exclusive_groups=False, collapsed=False,
                                    position="topright").add_to(m)
        Legend(key_html(lang)).add_to(m)
        plugins.Fullscreen(position="topleft", title=gettext("Full screen"),
                           title_cancel=gettext("Exit full screen")).add_to(m)
        plugins.MeasureControl(position="topleft", primary_length_unit="kilometers",
                               secondary_length_unit="meters", primary_area_unit="hectares",
                               secondary_area_unit="sqmeters",
                               localization="cn" if lang == "zh" else "en").add_to(m)


def _walk(element: Any) -> Iterable[Any]:
    yield element
    for child in element._children.values():
        yield from _walk(child)


def localise_assets(m: folium.Map, base: str) -> None:
    """Point every script and stylesheet the map's elements declare at ``base + <file name>``.

    folium's classes declare CDN URLs; we keep their file names and let the app serve the
    files (see :func:`asset_files`). Leaflet is the only asset of the map itself: folium's
    jQuery, Bootstrap and awesome-markers are not needed by a map of vector layers.
    """
    m.default_js = [(n, u) for n, u in m.default_js if n == "leaflet"]
    m.default_css = [(n, u) for n, u in m.default_css if n == "leaflet_css"]
    for el in _walk(m):
        for attr in ("default_js", "default_css"):
            declared = getattr(el, attr, None)
            if declared:
                setattr(el, attr, [(n, base + posixpath.basename(u)) for n, u in declared])


def asset_files(m: folium.Map | None = None) -> dict[str, str]:
    """File name -> the CDN URL folium declares for it, for every asset a full map uses."""
    if m is None:
        m = folium.Map(location=[0, 0], tiles=None)
        plugins.GroupedLayerControl({}, exclusive_groups=False).add_to(m)
        plugins.Fullscreen().add_to(m)
        plugins.MeasureControl().add_to(m)
        VectorGridProtobuf("/").add_to(m)  # only a page with a tiled layer loads it
        m.default_js = [(n, u) for n, u in m.default_js if n == "leaflet"]
        m.default_css = [(n, u) for n, u in m.default_css if n == "leaflet_css"]
    out = {}
    for el in _walk(m):
        for attr in ("default_js", "default_css"):
            for _n, url in getattr(el, attr, None) or ():
                out[posixpath.basename(url)] = url
    return out
