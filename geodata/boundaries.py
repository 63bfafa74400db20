"""Park extents drawn from described boundaries (``inventory/boundaries.toml``).

No source publishes a park's boundary as coordinates; they describe it in words: "the whole
of 温泉 and 鳌山卫 streets", "a strip along 滨海大道 from 崂山科技城 to 土寨河", "in 棘洪滩街道
of 城阳区". Each ``[[boundary]]`` keeps those words (``described_zh`` / ``described_en``) and
the recipe that turns them into a polygon, so the build can redraw it:

``districts``     ids of the districts the description names; the polygon is clipped to them;
``anchor``        evidence entries (as in :mod:`corridor.evidence`) whose coordinates the
                  description refers to, each converted from its own ``crs``;
``shape``         ``hull`` (convex hull of the anchors; one anchor gives a disc) or ``spine``
                  (the line through them in order). There is no shape for a polygon drawn
                  by hand: an extent no source locates is not drawn (the park is unplaced);
``buffer_m``      how far around the shape the extent reaches, or
``area_km2``      a published land area: the buffer is found (bisection, to 1 %) that makes
                  the clipped land area equal it;
``include``       ids of boundaries drawn earlier whose polygons are added (clipped too).

The result is clipped to land (GSHHG) and to the named districts (AMap), then simplified.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import LineString, MultiPoint
from shapely.geometry.base import BaseGeometry

from corridor import evidence as ev
from geodata.basemap import District
from geodata.geom import polygonal, quantize, simplify, to_lonlat, to_metric
from geodata.plan_areas import DefinitionError

SHAPES = ("hull", "spine")
#: Simplification of a drawn extent, metres (far below its accuracy); a small extent (a street
#: of 0.175 km²) is simplified less, by 1/50 of its size, so it keeps its published area.
SIMPLIFY_M = 30.0
_MAX_BUFFER_M = 30_000.0


@dataclass(frozen=True)
class Drawn:
    """One drawn extent: WGS84 geometry, its land area and the buffer that made it."""

    geometry: BaseGeometry
    area_km2: float
    buffer_m: float


def build(defs: dict[str, Any], districts: list[District], land: BaseGeometry,
          path: str) -> dict[str, Drawn]:
    """Draw every ``[[boundary]]`` of ``boundaries.toml``, in file order.

    Raises
    ------
    DefinitionError
        On an unknown shape, district or included id, missing anchors, or an extent that is
        empty after clipping or cannot reach its published area.
    """
    by_id = {d.id: d for d in districts}
    land_m = to_metric(land)
    out: dict[str, Drawn] = {}
    for entry in defs.get("boundary", []):
        out[entry["id"]] = draw(entry, by_id, land_m, out, path)
    return out


def draw(entry: dict[str, Any], districts: dict[str, District], land_m: BaseGeometry,
         done: dict[str, Drawn], path: str) -> Drawn:
    """Draw one boundary (see the module docstring); ``land_m`` is land in EPSG:4549."""
    name = entry.get("id", "?")

    def fail(problem: str) -> DefinitionError:
        return DefinitionError(f"{path}: boundary {name!r}: {problem}")

    for key in ("described_zh", "described_en"):
        if not str(entry.get(key, "")).strip():
            raise fail(f"field {key!r} is empty; keep the source's words for the boundary")
    unknown = [d for d in entry.get("districts", []) if d not in districts]
    if unknown or not entry.get("districts"):
        raise fail(f"field 'districts': {unknown or 'none'}; expected ids of {sorted(districts)}")
    clip = shapely.intersection(
        land_m, shapely.union_all([to_metric(districts[d].full) for d in entry["districts"]])
    )
    base = _shape(entry, fail)
    extras = []
    for other in entry.get("include", []):
        if other not in done:
            raise fail(f"field 'include': {other!r} is not a boundary drawn before this one")
        extras.append(to_metric(done[other].geometry))

    def extent(buffer_m: float) -> BaseGeometry:
        grown = base.buffer(buffer_m) if buffer_m > 0 else base
        return polygonal(shapely.intersection(shapely.union_all([grown, *extras]), clip))

    if "area_km2" in entry:
        target = float(entry["area_km2"]) * 1e6
        lo, hi = 0.0, _MAX_BUFFER_M
        if extent(hi).area < target:
            raise fail(f"cannot reach area_km2 {entry['area_km2']} inside {entry['districts']} "
                       "on land; check the anchors and districts")
        while hi - lo > 10.0:
            mid = (lo + hi) / 2
            if extent(mid).area < target:
                lo = mid
            else:
                hi = mid
        buffer_m = hi
    else:
        buffer_m = float(entry.get("buffer_m", 0.0))
    geom = extent(buffer_m)
    if geom.is_empty:
        raise fail("nothing is left after clipping to land and the districts")
    tolerance = min(SIMPLIFY_M, math.sqrt(geom.area) / 50)
    lonlat = quantize(simplify(to_lonlat(geom), tolerance))
    return Drawn(lonlat, geom.area / 1e6, buffer_m)


def _shape(entry: dict[str, Any], fail: Any) -> BaseGeometry:
    """The unbuffered shape in EPSG:4549."""
    shape = entry.get("shape")
    if shape not in SHAPES:
        raise fail(f"field 'shape': {shape!r}; expected one of {', '.join(SHAPES)}")
    points = _anchor_points(entry.get("anchor", []), fail)
    if shape == "spine":
        if len(points) < 2:
            raise fail("shape 'spine' needs at least two anchors")
        return to_metric(LineString(points))
    return to_metric(MultiPoint(points).convex_hull)


def _anchor_points(anchors: list[dict[str, Any]], fail: Any) -> list[tuple[float, float]]:
    ev.check_evidence(anchors, lambda fld, problem: fail(f"{fld.replace('evidence', 'anchor')}: {problem}"))
    points = ev.points_wgs84(anchors)
    if len(points) != len(anchors) or not points:
        raise fail("every anchor needs a coordinate (crs other than 'none')")
    return points
