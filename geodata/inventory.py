"""The hand-curated inventory (``geodata/inventory/*.toml``) turned into features.

Each ``<collection>.toml`` holds ``[[feature]]`` tables: the feature's properties plus
exactly one geometry key (``point``, ``polygon``, ``multipolygon`` or
``geometry = "district:<id>"``) and optionally ``coords`` (``wgs84``, ``gcj02``, ``bd09``)
naming the system the coordinates were taken in. ``indicators.toml`` holds
``[[indicator]]`` tables.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from corridor.crs import to_wgs84
from corridor.errors import InvalidParameter
from corridor.model import Indicator
from geodata.basemap import District
from geodata.features import make_feature
from geodata.geom import quantize, to_metric

#: Collections built from ``<id>.toml`` in the inventory directory, in catalog order.
INVENTORY_COLLECTIONS = (
    "parks",
    "universities",
    "labs",
    "facilities",
    "platforms",
    "incubators",
    "zones",
)
GEOMETRY_KEYS = ("point", "polygon", "multipolygon", "geometry")
#: ``district_zh`` may name several districts ("市南区、崂山区").
_DISTRICT_SEPARATORS = re.compile(r"[、,，/;；]")
#: Other names the plan and people use for a district.
DISTRICT_ALIASES = {"西海岸新区": "黄岛区", "青岛西海岸新区": "黄岛区"}


class InventoryError(ValueError):
    """An inventory entry is malformed; the message names the file, feature and field."""

    def __init__(self, path: Path | str, feature: str, field: str | None, problem: str):
        where = f"{path}: feature {feature!r}" + (f", field {field!r}" if field else "")
        super().__init__(f"{where}: {problem}")


def read_toml(path: Path) -> dict[str, Any]:
    """Parse one TOML file.

    Raises
    ------
    InventoryError
        If the file is missing or not valid TOML.
    """
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise InventoryError(path, "-", None, "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise InventoryError(path, "-", None, f"not valid TOML: {exc}") from None


def collection_features(path: Path, districts: list[District]) -> list[dict[str, Any]]:
    """GeoJSON features of one inventory file.

    Raises
    ------
    InventoryError
        On a missing or doubled geometry key, bad coordinates, an unknown ``coords`` or
        district, or a point further from its ``district_zh`` than its ``accuracy_m``.
    """
    by_id = {d.id: d for d in districts}
    by_name = {d.props["name_zh"]: d for d in districts}
    out = []
    for i, entry in enumerate(read_toml(path).get("feature", [])):
        name = str(entry.get("id") or f"#{i}")
        geom = _geometry(entry, path, name, by_id)
        if geom.geom_type == "Point" and entry.get("district_zh"):
            _check_in_district(entry, geom, path, name, by_name)
        props = {k: v for k, v in entry.items() if k not in GEOMETRY_KEYS and k != "coords"}
        out.append(make_feature(props, geom))
    return out


def _geometry(
    entry: dict[str, Any], path: Path, name: str, districts: dict[str, District]
) -> BaseGeometry:
    keys = [k for k in GEOMETRY_KEYS if k in entry]
    if len(keys) != 1:
        raise InventoryError(
            path, name, "geometry", f"has {keys or 'none'}; expected exactly one of {GEOMETRY_KEYS}"
        )
    key = keys[0]
    value = entry[key]
    if key == "geometry":
        ref = value.removeprefix("district:") if isinstance(value, str) else None
        if ref is None or ref == value or ref not in districts:
            raise InventoryError(
                path,
                name,
                key,
                f"{value!r}; expected 'district:<id>' with id one of {sorted(districts)}",
            )
        return districts[ref].simplified
    coords = entry.get("coords", "wgs84")
    try:
        if key == "point":
            geom: BaseGeometry = Point(value)
        elif key == "polygon":
            geom = Polygon(value[0], value[1:])
        else:
            geom = MultiPolygon([Polygon(p[0], p[1:]) for p in value])
        geom = shapely.transform(
            geom, lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], coords))
        )
    except InvalidParameter as exc:
        raise InventoryError(path, name, "coords", str(exc)) from None
    except (TypeError, ValueError, IndexError, shapely.errors.ShapelyError) as exc:
        raise InventoryError(path, name, key, f"malformed coordinates ({exc})") from None
    if not geom.is_valid:
        raise InventoryError(path, name, key, f"invalid geometry: {explain_validity(geom)}")
    return quantize(geom)


def _check_in_district(
    entry: dict[str, Any], point: BaseGeometry, path: Path, name: str, by_name: dict[str, District]
) -> None:
    # A misplaced point (swapped lon/lat, a GCJ-02 position left unconverted by more than
    # the stated accuracy, a wrong campus) shows up as a point outside its district.
    wanted = [n.strip() for n in _DISTRICT_SEPARATORS.split(entry["district_zh"]) if n.strip()]
    found = []
    for n in wanted:
        district = by_name.get(DISTRICT_ALIASES.get(n, n))
        if district is None:
            raise InventoryError(
                path,
                name,
                "district_zh",
                f"{n!r} is not a district; expected one of {sorted(by_name)}",
            )
        found.append(district)
    accuracy = float(entry.get("accuracy_m", 0))
    pm = to_metric(point)
    distance = min(pm.distance(to_metric(d.full)) for d in found)
    if distance > accuracy:
        raise InventoryError(
            path,
            name,
            "district_zh",
            f"point ({point.x:.6f}, {point.y:.6f}) lies {distance:.0f} m outside "
            f"{entry['district_zh']}, more than its accuracy_m {accuracy:g}; check the "
            "coordinates (lon, lat order? coords system?) or the district",
        )


def indicators(path: Path) -> list[dict[str, Any]]:
    """The ``[[indicator]]`` tables of ``indicators.toml`` as plain dicts, fields in
    :class:`corridor.model.Indicator` order (``baseline`` null when absent)."""
    out = []
    for item in read_toml(path).get("indicator", []):
        row = {k: item.get(k) for k in Indicator.__dataclass_fields__}
        row.update({k: v for k, v in item.items() if k not in row})
        out.append(row)
    return out
