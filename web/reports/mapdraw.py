"""A park's map for the reports (and, as SVG, for the match page), drawn as vectors from the store's geometries: land and
districts (the basemap collections), the park, rings at the report's distances, the research
counted near it (highlighted) and a scale bar.

Coordinates are projected to CGCS2000 / Gauss-Kruger CM 120E (:func:`corridor.crs.to_metric`,
whose scale over Qingdao differs from 1 by under 0.01%), so the scale bar holds across the map.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
import shapely
from reportlab.lib import colors
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

from corridor.crs import to_metric
from corridor.mapgeom import distance_buffer
from corridor.model import Feature
from corridor.store import FeatureStore
from web.map.style import HIGHLIGHT_COLOUR, SEA_COLOUR, style_for
from web.map.words import Lang, gettext, speaking
from web.reports.document import font

#: Map scales a scale bar may show, in km.
_BAR_KM = (0.5, 1, 2, 5, 10, 20, 50)


def _metric(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.column_stack(to_metric(xy[:, 0], xy[:, 1])))


@dataclass(frozen=True)
class Spot:
    """A research feature to mark: its collection, position and whether it is counted."""

    collection: str
    geometry: shapely.Geometry
    counted: bool = True


class MapGeometry:
    """What a park's map shows, projected and fitted to ``width`` x ``height`` (points on
    paper, pixels on a page): the same for the PDF (:class:`ParkMap`) and the page's SVG
    (:func:`svg_map`). ``park.geometry`` must not be None."""

    def __init__(self, store: FeatureStore, park: Feature, spots: Sequence[Spot],
                 rings_km: Sequence[float], width: float, height: float) -> None:
        assert park.geometry is not None
        self.width, self.height = width, height
        outer = distance_buffer(park.geometry, max(rings_km))
        x0, y0, x1, y1 = outer.bounds
        dx, dy = (x1 - x0) * 0.06, (y1 - y0) * 0.06
        box = shapely.box(x0 - dx, y0 - dy, x1 + dx, y1 + dy)
        mx0, my0, mx1, my1 = _metric(box).bounds
        self.scale = min(width / (mx1 - mx0), height / (my1 - my0))  # pt per metre
        cx, cy = (mx0 + mx1) / 2, (my0 + my1) / 2
        self.origin = (cx - width / 2 / self.scale, cy - height / 2 / self.scale)
        tolerance = 0.4 / self.scale  # under half a point on paper
        self.land: list[shapely.Geometry] = []
        self.lines: list[shapely.Geometry] = []
        view = box.buffer((x1 - x0) * 0.3)
        for meta in store.collections():
            if not meta.has_role("basemap"):
                continue
            for f in store.intersecting(meta.id, view):
                if f.geometry is None:
                    continue
                g = _metric(shapely.clip_by_rect(f.geometry, *view.bounds)).simplify(tolerance)
                (self.lines if meta.has_role("districts") else self.land).append(g)
        self.park = _metric(park.geometry)
        self.park_style = style_for(park.collection)
        self.rings = [(_metric(distance_buffer(park.geometry, km)), km) for km in rings_km]
        self.spots = [(s.collection, _metric(s.geometry), s.counted) for s in spots]

    def xy(self, coords: np.ndarray) -> list[tuple[float, float]]:
        """Projected coordinates to the map's (origin lower left)."""
        ox, oy = self.origin
        return [((x - ox) * self.scale, (y - oy) * self.scale) for x, y in coords]

    def rings_of(self, geom: shapely.Geometry) -> list[tuple[list[tuple[float, float]], bool]]:
        """Each ring or line of ``geom`` in map coordinates, and whether it closes."""
        out = []
        for part in shapely.get_parts(geom):
            closed = part.geom_type == "Polygon"
            for ring in ([part.exterior, *part.interiors] if closed else [part]):
                pts = self.xy(shapely.get_coordinates(ring))
                if len(pts) >= 2:
                    out.append((pts, closed))
        return out

    def scale_bar_km(self) -> tuple[float, float]:
        """A round length near a quarter of the map's width: (km, its length on the map)."""
        target = self.width / 4 / self.scale / 1000.0
        km = max([k for k in _BAR_KM if k <= target] or [_BAR_KM[0]])
        return km, km * 1000.0 * self.scale


class ParkMap(Flowable):
    """The map of one placed park on a report page (:class:`MapGeometry` in points)."""

    def __init__(self, geometry: MapGeometry, lang: Lang) -> None:
        super().__init__()
        self.g, self.lang = geometry, lang
        with speaking(lang):
            self.scale_word = gettext("Scale")
        self.width, self.height = geometry.width, geometry.height

    def _path(self, canv: Canvas, geom: shapely.Geometry, fill: bool, stroke: bool) -> None:
        path = canv.beginPath()
        for pts, closed in self.g.rings_of(geom):
            path.moveTo(*pts[0])
            for p in pts[1:]:
                path.lineTo(*p)
            if closed:
                path.close()
        canv.drawPath(path, fill=int(fill), stroke=int(stroke), fillMode=0)  # even-odd: holes

    def draw(self) -> None:
        canv = self.canv
        canv.saveState()
        clip = canv.beginPath()
        clip.rect(0, 0, self.width, self.height)
        canv.clipPath(clip, stroke=0, fill=0)
        canv.setFillColor(colors.HexColor(SEA_COLOUR))
        canv.rect(0, 0, self.width, self.height, stroke=0, fill=1)
        canv.setFillColor(colors.HexColor("#f4f1ea"))
        canv.setStrokeColor(colors.HexColor("#b9b2a3"))
        canv.setLineWidth(0.3)
        g_ = self.g
        for g in g_.land:
            self._path(canv, g, fill=True, stroke=True)
        canv.setStrokeColor(colors.HexColor("#8a8fa0"))
        canv.setDash(2, 1.5)
        for g in g_.lines:
            self._path(canv, g.boundary, fill=False, stroke=True)
        canv.setStrokeColor(colors.HexColor(HIGHLIGHT_COLOUR))
        canv.setLineWidth(0.8)
        canv.setDash(4, 3)
        for g, _ in g_.rings:
            self._path(canv, g.exterior if g.geom_type == "Polygon" else g.boundary, False, True)
        canv.setDash()
        st = g_.park_style
        canv.setFillColor(colors.HexColor(st.fill), alpha=0.45)
        canv.setStrokeColor(colors.HexColor(st.colour))
        canv.setLineWidth(1.2)
        self._path(canv, g_.park, fill=True, stroke=True)
        for cid, g, counted in g_.spots:
            (x, y), = g_.xy(shapely.get_coordinates(g)[:1])
            sty = style_for(cid)
            if counted:
                canv.setStrokeColor(colors.HexColor(HIGHLIGHT_COLOUR))
                canv.setLineWidth(1.1)
                canv.setFillColor(colors.white)
                canv.circle(x, y, 3.6, stroke=1, fill=1)
            canv.setFillColor(colors.HexColor(sty.fill))
            canv.setStrokeColor(colors.HexColor(sty.colour))
            canv.setLineWidth(0.5)
            canv.circle(x, y, 2.2, stroke=1, fill=1)
        self._ring_labels(canv)
        self._scale_bar(canv)
        canv.restoreState()
        canv.setStrokeColor(colors.HexColor("#5f6b7a"))
        canv.setLineWidth(0.6)
        canv.rect(0, 0, self.width, self.height, stroke=1, fill=0)

    def _ring_labels(self, canv: Canvas) -> None:
        canv.setFont(font(), 6.5)
        canv.setFillColor(colors.HexColor(HIGHLIGHT_COLOUR))
        for g, km in self.g.rings:
            minx, miny, maxx, maxy = g.bounds
            (x, y), = self.g.xy(np.array([[(minx + maxx) / 2, maxy]]))
            canv.drawCentredString(x, min(y + 1.5, self.height - 7), f"{km:g} km")

    def _scale_bar(self, canv: Canvas) -> None:
        km, length = self.g.scale_bar_km()
        x, y = 8.0, 8.0
        canv.setFillColor(colors.white, alpha=0.8)
        canv.rect(x - 4, y - 4, length + 30, 17, stroke=0, fill=1)
        canv.setFillColor(colors.black)
        canv.rect(x, y, length / 2, 3, stroke=0, fill=1)
        canv.setStrokeColor(colors.black)
        canv.setLineWidth(0.5)
        canv.rect(x, y, length, 3, stroke=1, fill=0)
        canv.setFont(font(), 6.5)
        canv.drawString(x, y + 5, self.scale_word)
        canv.drawString(x + length + 2, y, f"{km:g} km")


def _svg_d(g: MapGeometry, geom: shapely.Geometry) -> str:
    parts = []
    for pts, closed in g.rings_of(geom):
        parts.append("M" + " L".join(f"{x:.1f} {g.height - y:.1f}" for x, y in pts)
                     + (" Z" if closed else ""))
    return " ".join(parts)


def svg_map(g: MapGeometry, label: str) -> str:
    """The map as an inline SVG (pixels): the same layers as the PDF's, with ``label`` as its
    accessible name. Presentation attributes only (no ``style``), so a strict CSP allows it."""
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {g.width:.0f} {g.height:.0f}" '
           f'width="{g.width:.0f}" height="{g.height:.0f}" role="img" aria-label="{escape(label)}">',
           f'<rect width="100%" height="100%" fill="{SEA_COLOUR}"/>']
    out += [f'<path d="{_svg_d(g, x)}" fill="#f4f1ea" stroke="#b9b2a3" stroke-width="0.4" '
            'fill-rule="evenodd"/>' for x in g.land]
    out += [f'<path d="{_svg_d(g, x.boundary)}" fill="none" stroke="#8a8fa0" stroke-width="0.5" '
            'stroke-dasharray="3 2"/>' for x in g.lines]
    for ring, km in g.rings:
        edge = ring.exterior if ring.geom_type == "Polygon" else ring.boundary
        out.append(f'<path d="{_svg_d(g, edge)}" fill="none" stroke="{HIGHLIGHT_COLOUR}" '
                   f'stroke-width="1" stroke-dasharray="5 4"><title>{km:g} km</title></path>')
    st = g.park_style
    out.append(f'<path d="{_svg_d(g, g.park)}" fill="{st.fill}" fill-opacity="0.45" '
               f'stroke="{st.colour}" stroke-width="1.5" fill-rule="evenodd"/>')
    for cid, geom, counted in g.spots:
        (x, y), = g.xy(shapely.get_coordinates(geom)[:1])
        sty = style_for(cid)
        if counted:
            out.append(f'<circle cx="{x:.1f}" cy="{g.height - y:.1f}" r="5" fill="#fff" '
                       f'stroke="{HIGHLIGHT_COLOUR}" stroke-width="1.5" class="counted"/>')
        out.append(f'<circle cx="{x:.1f}" cy="{g.height - y:.1f}" r="3" fill="{sty.fill}" '
                   f'stroke="{sty.colour}" stroke-width="0.8" data-collection="{cid}"/>')
    km, length = g.scale_bar_km()
    y0 = g.height - 10
    out.append(f'<rect x="8" y="{y0 - 3:.1f}" width="{length:.1f}" height="3" fill="#000"/>'
               f'<text x="{length + 12:.1f}" y="{y0:.1f}" font-size="10">{km:g} km</text>')
    out.append("</svg>")
    return "".join(out)
