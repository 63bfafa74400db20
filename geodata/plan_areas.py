"""The plan's areas that we draw ourselves: the three bays and the corridor."""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from geodata.features import make_feature
from geodata.geom import polygonal, quantize, simplify, to_lonlat, to_metric

#: Keys of a definition that describe geometry, not properties.
_GEOMETRY_KEYS = {
    "mouth",
    "landward",
    "spine",
    "spine_buffer_m",
    "bay_shore_m",
    "nearshore_m",
    "simplify_m",
    "closing_m",
}


class DefinitionError(ValueError):
    """A bay or corridor definition does not fit the coastline."""


def bay_geometry(entry: dict[str, Any], land: BaseGeometry, path: str) -> BaseGeometry:
    """Water of one bay: its closed region minus ``land`` (largest water body only).

    Raises
    ------
    DefinitionError
        If a mouth end is not on land, the mouth does not cross water, or nothing is left.
    """
    mouth = [tuple(p) for p in entry["mouth"]]
    for end in mouth:
        if not land.contains(Point(end)):
            raise DefinitionError(
                f"{path}: bay {entry['id']!r}, field 'mouth': end {end} is not on GSHHG land; "
                "expected both ends on the headlands so the mouth closes the bay"
            )
    if land.contains(LineString(mouth)):
        raise DefinitionError(f"{path}: bay {entry['id']!r}, field 'mouth': crosses no water")
    region = Polygon(mouth + [tuple(p) for p in entry["landward"]])
    if not region.is_valid:
        raise DefinitionError(
            f"{path}: bay {entry['id']!r}, fields 'mouth'/'landward' make an invalid "
            f"polygon ({explain_validity(region)})"
        )
    parts = sorted(shapely.get_parts(polygonal(region.difference(land))), key=lambda g: -g.area)
    if not parts:
        raise DefinitionError(f"{path}: bay {entry['id']!r}: its region holds no water")
    return quantize(parts[0])


def bay_features(defs: dict[str, Any], land: BaseGeometry, path: str) -> list[dict[str, Any]]:
    """Features of the bays in ``bays.toml``, cut from ``land`` (the land layer's geometry,
    so bay shores and the land layer share their edges)."""
    shared = {k: v for k, v in defs.items() if k != "bay"}
    out = []
    for entry in defs["bay"]:
        props = {k: v for k, v in {**shared, **entry}.items() if k not in _GEOMETRY_KEYS}
        out.append(make_feature(props, bay_geometry(entry, land, path)))
    return out


def corridor_feature(
    defs: dict[str, Any], districts: list[BaseGeometry], bays: list[BaseGeometry]
) -> dict[str, Any]:
    """The corridor band (see ``corridor.toml`` for the recipe), WGS84."""
    spine = to_metric(LineString([tuple(p) for p in defs["spine"]]))
    metric_bays = [to_metric(b) for b in bays]
    band = shapely.union_all(
        [spine.buffer(defs["spine_buffer_m"])]
        + [b.buffer(defs["bay_shore_m"]) for b in metric_bays]
    )
    # A morphological closing fills the notches where the spine's buffers meet at an angle.
    band = band.buffer(defs["closing_m"]).buffer(-defs["closing_m"])
    area = shapely.union_all([to_metric(d) for d in districts] + metric_bays)
    clipped = polygonal(band.intersection(area.buffer(defs["nearshore_m"])))
    geom = quantize(simplify(to_lonlat(clipped), defs["simplify_m"]))
    props = {k: v for k, v in defs.items() if k not in _GEOMETRY_KEYS}
    return make_feature(props, geom)
