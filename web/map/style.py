"""One distinct, consistent style per collection: used by the map layers, the legend and the
park pages alike, so a colour means the same thing everywhere."""

from __future__ import annotations

import zlib
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
    #: Stacking order of the collection's pane (Leaflet's overlay pane is 400, markers 600):
    #: big areas low, so they never hide or swallow the clicks of smaller ones above them.
    z: int = 410
    #: Fill opacity of the areas of a collection that mixes points and areas (the points keep
    #: ``fill_opacity``); None: the same for both.
    area_fill_opacity: float | None = None

    def leaflet_area(self) -> dict[str, object]:
        """Leaflet path options for an area of this collection."""
        opts = self.leaflet()
        if self.area_fill_opacity is not None:
            opts["fillOpacity"] = self.area_fill_opacity
        return opts

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


#: Dashed outlines mean "approximate extent"; the surveyed district boundaries are solid.
STYLES: dict[str, LayerStyle] = {
    "land": LayerStyle("#b9b29b", "#f4f1e6", fill_opacity=1.0, weight=0.8, z=401),
    "districts": LayerStyle("#7a6f8c", "#ffffff", fill_opacity=0.0, weight=1.3, z=402),
    # the district roles cover whole districts: a light tint under everything else
    "zones": LayerStyle("#01665e", "#80cdc1", fill_opacity=0.9, radius=6, dash="3 3", z=403,
                        area_fill_opacity=0.12),
    "corridor": LayerStyle("#e08214", "#fdb863", fill_opacity=0.12, weight=2.5, dash="8 6", z=404),
    "bays": LayerStyle("#2b7bba", "#5aa5e0", fill_opacity=0.3, weight=1.5, z=405),
    "parks": LayerStyle("#b2182b", "#ef8a62", fill_opacity=0.45, weight=2, dash="4 3", z=406),
    "universities": LayerStyle("#2166ac", "#4393c3", fill_opacity=0.9, radius=7, z=410),
    "labs": LayerStyle("#5e3c99", "#9e7bd1", fill_opacity=0.9, radius=7, z=411),
    "facilities": LayerStyle("#7f2704", "#f16913", fill_opacity=0.9, radius=8, z=412),
    "platforms": LayerStyle("#00441b", "#41ab5d", fill_opacity=0.9, radius=6, z=413),
    "incubators": LayerStyle("#8c510a", "#dfc27d", fill_opacity=0.9, radius=6, z=414),
}
#: Panes above the collections: place-name labels, the points of a collection that mixes
#: points with areas, query shapes drawn by the builder, and the feature a page is about.
LABELS_Z = 407
POINTS_Z = 415
EXTRA_Z = 420
MARKED_Z = 425

#: Collections added later (user layers) draw as small dots or areas above the plan's areas,
#: where land cannot hide them, and below the institutions, in colours the plan's layers and
#: the query highlight (magenta) do not use. A layer's colour follows from its id, so it is
#: the same on every page and in every process.
USER_COLOURS = (("#444444", "#8c8c8c"), ("#6b6b00", "#b8b84d"), ("#00606b", "#4db3bf"),
                ("#6b3d6b", "#b88ab8"), ("#7a4a1f", "#c79a6b"), ("#3d4a80", "#8c99d1"))


def style_for(cid: str) -> LayerStyle:
    """The style of collection ``cid`` (one of :data:`USER_COLOURS` for a user layer)."""
    known = STYLES.get(cid)
    if known is not None:
        return known
    colour, fill = USER_COLOURS[zlib.crc32(cid.encode()) % len(USER_COLOURS)]
    return LayerStyle(colour, fill, fill_opacity=0.8, weight=1.0, radius=4, z=409)
