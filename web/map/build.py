"""Build the corridor map with folium: one switchable, styled layer per collection, grouped
(basemap, plan, institutions), with tooltips, bilingual popups, a categorical legend, a scale
bar, measure and fullscreen controls, and every script and stylesheet served by the app.

This module assembles the page's map: the layers (:mod:`web.map.layers`), the distance rings
and the marked feature above them, the place names, the controls and legend
(:mod:`web.map.controls`), the registry the page's script finds it all by, and the assets
pointed at the app. Nothing here does network I/O or reads a Flask request: the web layer
passes in (:class:`web.map.options.MapOptions`) the URL prefix its vendored assets live
under, the link patterns for popups, and which online tile layers are configured. The
result is the map's header, body and script HTML (:class:`web.map.options.MapParts`), for
the web layer's own Jinja template.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any, cast

import folium
from branca.element import Element, Figure, MacroElement
from folium import plugins
from folium.map import Layer
from folium.plugins import VectorGridProtobuf
from folium.template import Template
from shapely.geometry import mapping as shape_mapping
from shapely.geometry.base import BaseGeometry

from corridor.store import FeatureStore
from web.map.controls import Legend, MetricScale, add_controls, legend_html
from web.map.latlon import bounds_latlon, label_point
from web.map.layers import (
    MARKED_STYLE,
    PlaceLabels,
    add_collection,
    add_online_tiles,
    shared_points,
    tiled,
)
from web.map.options import MapOptions, MapParts
from web.map.style import (
    EXTRA_Z,
    HIGHLIGHT_COLOUR,
    MARKED_Z,
    SEA_COLOUR,
    style_for,
)


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
        layers[cid] = add_collection(
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
    tiles = add_online_tiles(m, options)
    if options.controls:
        add_controls(m, store, layers, tiles, options)
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
