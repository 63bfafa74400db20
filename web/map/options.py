"""What the web layer decides for a map (:class:`MapOptions`, the online tile layers it may
offer) and what it gets back (:class:`MapParts`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from web.map.popup import LinkTemplates
from web.map.words import Lang


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
        is requested as ``asset_base + <file name>`` (see :func:`web.map.build.asset_files`).
    links
        URL patterns for the popups' links.
    tiles
        Online tile layers to offer (switched off at start).
    controls
        Whether to add the layer control, measure and fullscreen tools (the small park maps
        leave them out and keep only the legend).
    legend
        Whether a map without controls draws its legend on the map (a page may rather place
        :func:`web.map.controls.legend_html` beside a small map, where it hides nothing).
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
