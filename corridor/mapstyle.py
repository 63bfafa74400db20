"""One distinct, consistent style per collection: used by the map layers, the legend and the
park pages alike, so a colour means the same thing everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

#: Background colour of the map: the sea (the basemap has no sea polygon of its own).
SEA_COLOUR = "#cfe3f3"
#: Colour features take when a query or filter highlights them.
HIGHLIGHT_COLOUR = "#ff00aa"


@dataclass(frozen=True)
class LayerStyle:
    """How one collection is drawn. Points are circle markers of ``radius`` pixels."""

    colour: str
    fill: str
    fill_opacity: float = 0.35
    weight: float = 1.5
    dash: str | None = None
    radius: int = 6
    #: Whether the layer shows when the map opens without a ``layers`` parameter.
    shown: bool = True

    def leaflet(self) -> dict[str, object]:
        """Leaflet path options (also valid for circle markers)."""
        opts: dict[str, object] = {
            "color": self.colour,
            "fillColor": self.fill,
            "fillOpacity": self.fill_opacity,
            "weight": self.weight,
            "opacity": 0.9,
        }
        if self.dash:
            opts["dashArray"] = self.dash
        return opts

    def swatch(self, point: bool) -> str:
        """An inline HTML swatch for a legend (a dot for points, a box for areas)."""
        shape = "border-radius:50%;width:10px;height:10px;" if point else "width:16px;height:10px;"
        border = "dashed" if self.dash else "solid"
        return (
            f'<i class="swatch" style="display:inline-block;{shape}'
            f"background:{escape(self.fill)};border:2px {border} {escape(self.colour)};"
            f'vertical-align:middle;margin-right:4px"></i>'
        )


STYLES: dict[str, LayerStyle] = {
    "land": LayerStyle("#b9b29b", "#f4f1e6", fill_opacity=1.0, weight=0.8),
    "districts": LayerStyle("#8a7f99", "#ffffff", fill_opacity=0.0, weight=1.2, dash="6 4"),
    "bays": LayerStyle("#2b7bba", "#5aa5e0", fill_opacity=0.3, weight=1.5),
    "corridor": LayerStyle("#e08214", "#fdb863", fill_opacity=0.15, weight=2.5, dash="8 6"),
    "parks": LayerStyle("#b2182b", "#ef8a62", fill_opacity=0.45, weight=2, dash="4 3"),
    "universities": LayerStyle("#2166ac", "#4393c3", fill_opacity=0.9, radius=7),
    "labs": LayerStyle("#5e3c99", "#9e7bd1", fill_opacity=0.9, radius=7),
    "facilities": LayerStyle("#7f2704", "#f16913", fill_opacity=0.9, radius=8),
    "platforms": LayerStyle("#00441b", "#41ab5d", fill_opacity=0.9, radius=6),
    "incubators": LayerStyle("#8c510a", "#dfc27d", fill_opacity=0.9, radius=6),
    "zones": LayerStyle("#01665e", "#80cdc1", fill_opacity=0.5, radius=6, dash="2 3"),
}

_FALLBACK = LayerStyle("#444444", "#999999")


def style_for(cid: str) -> LayerStyle:
    """The style of collection ``cid`` (a grey fallback for a collection added later)."""
    return STYLES.get(cid, _FALLBACK)
