"""The map's controls: the grouped layer control, the legend (the main map's short key, or
every drawn collection by group with the features listed but not placed), the metric scale
bar, and the measure and fullscreen tools."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

import folium
from branca.element import MacroElement
from folium import plugins
from folium.map import Layer
from folium.template import Template

from corridor.store import FeatureStore
from web.map.options import MapOptions
from web.map.popup import LinkTemplates, provenance, zh_marked
from web.map.style import HIGHLIGHT_COLOUR, SEA_COLOUR, style_for
from web.map.words import GROUP_TITLES, Lang, gettext, speaking

#: The groups of collections in the layer control and the legend, in their order.
GROUPS = ("basemap", "plan", "institutions", "user")


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
        parts.append(unplaced_html(store, lang, [cid for cid in store.collection_ids() if cid in wanted]))
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


def add_controls(
    m: folium.Map, store: FeatureStore, layers: dict[str, Layer],
    tiles: dict[str, folium.TileLayer], options: MapOptions,
) -> None:
    """The main map's controls on ``m``: the layer control by group (the online tiles in a
    group of their own), the short key (:func:`key_html`), fullscreen and measure tools."""
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
