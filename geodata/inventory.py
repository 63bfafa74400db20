"""The hand-curated inventory (``geodata/inventory/*.toml``) turned into features.

Each ``<collection>.toml`` holds ``[[feature]]`` tables: the feature's properties plus
exactly one geometry key and optionally ``coords`` (``wgs84``, ``gcj02``, ``bd09``) naming
the system literal coordinates were taken in. The geometry keys:

``point = [lon, lat]``         a literal position (``position_basis`` says where it is from);
``point = "evidence"``         the median of the coordinates its ``evidence`` gives (each
                               converted from its own ``crs``); ``"evidence:N"`` takes the
                               N-th entry (1-based) alone;
``point = "at:<feature id>"``  the position of another feature built before it (a facility at
                               its host institute moves with the institute);
``polygon``, ``multipolygon``  literal rings;
``geometry = "district:<id>"`` a district's boundary;
``geometry = "boundary"``      the polygon drawn from the feature's described boundary (see
                               :mod:`geodata.boundaries`; built by :mod:`geodata.build`);
``geometry = "unplaced"``      no position: the location is not published (null geometry).

``accuracy_m`` follows :func:`corridor.evidence.accuracy_m` from the spread of the evidence
around the position and the site's size (``site_area_km2``); a hand-set ``accuracy_m`` may be
larger, never smaller. ``indicators.toml`` holds ``[[indicator]]`` tables.
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

from corridor import evidence as ev
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


#: Built features' geometries and accuracies by id, for ``point = "at:<id>"``.
Placed = dict[str, tuple[BaseGeometry | None, float]]


def collection_features(
    path: Path, districts: list[District], placed: Placed | None = None,
    boundaries: dict[str, BaseGeometry] | None = None,
) -> list[dict[str, Any]]:
    """GeoJSON features of one inventory file.

    Parameters
    ----------
    placed
        Features built so far (hosts for ``at:`` positions); this file's features are added.
    boundaries
        Polygons drawn from described boundaries, by feature id (``geometry = "boundary"``).

    Raises
    ------
    InventoryError
        On a missing or doubled geometry key, bad coordinates or evidence, an unknown
        ``coords``, host or district, an ``accuracy_m`` below what the evidence allows, or a
        point further from its ``district_zh`` than its ``accuracy_m``.
    """
    placed = {} if placed is None else placed
    by_id = {d.id: d for d in districts}
    by_name = {d.props["name_zh"]: d for d in districts}
    entries = read_toml(path).get("feature", [])
    out: list[dict[str, Any] | None] = [None] * len(entries)
    # A feature placed "at:" another is built once its host is (hosts may come later in
    # the file, or be placed at a host themselves).
    pending = list(range(len(entries)))
    while pending:
        waiting = []
        for i in pending:
            entry = entries[i]
            name = str(entry.get("id") or f"#{i}")
            host = _host(entry)
            if host is not None and host not in placed and any(
                    str(entries[j].get("id")) == host for j in pending if j != i):
                waiting.append(i)
                continue
            out[i] = _build_feature(entry, path, name, by_id, by_name, placed, boundaries or {})
        if len(waiting) == len(pending):
            raise InventoryError(path, str(entries[waiting[0]].get("id")), "point",
                                 "placed 'at:' features form a cycle")
        pending = waiting
    return [f for f in out if f is not None]


def _host(entry: dict[str, Any]) -> str | None:
    value = entry.get("point")
    return value[3:] if isinstance(value, str) and value.startswith("at:") else None


def _build_feature(entry: dict[str, Any], path: Path, name: str, by_id: dict[str, District],
                   by_name: dict[str, District], placed: Placed,
                   boundaries: dict[str, BaseGeometry]) -> dict[str, Any]:
    _check_evidence_entries(entry, path, name)
    geom, host_acc = _geometry(entry, path, name, by_id, placed, boundaries)
    acc = _accuracy(entry, geom, host_acc, path, name)
    entry = {**entry, "accuracy_m": int(acc) if float(acc).is_integer() else acc}
    if geom is not None and geom.geom_type == "Point" and entry.get("district_zh"):
        _check_in_district(entry, geom, path, name, by_name)
    props = {k: v for k, v in entry.items() if k not in GEOMETRY_KEYS and k != "coords"}
    placed[name] = (geom, float(entry["accuracy_m"]))
    return make_feature(props, geom)


def _check_evidence_entries(entry: dict[str, Any], path: Path, name: str) -> None:
    if "evidence" not in entry:
        return

    def fail(fld: str, problem: str) -> InventoryError:
        return InventoryError(path, name, fld, problem)

    ev.check_evidence(entry["evidence"], fail)


def _accuracy(entry: dict[str, Any], geom: BaseGeometry | None, host_acc: float, path: Path,
              name: str) -> float:
    """The rule's accuracy (evidence spread + site radius, plus the host's own when placed at
    one); a hand-set ``accuracy_m`` may only be larger."""
    given = entry.get("accuracy_m")
    if geom is None:
        if given is None:
            raise InventoryError(path, name, "accuracy_m", "missing; an unplaced feature still "
                                 "states how far its listed area may be from the site")
        return float(given)
    points = ev.points_wgs84(entry.get("evidence", []))
    spread = ev.spread_m(geom, points)
    site = ev.site_radius_m(entry.get("site_area_km2"))
    if geom.geom_type != "Point":
        site = 0.0  # a polygon covers its site: only the sources' spread and the drawing count
    rule = ev.accuracy_m(spread + host_acc, site)
    if given is None:
        if not points and not host_acc:
            raise InventoryError(path, name, "accuracy_m", "missing, and no evidence coordinate "
                                 "to derive it from; state it by hand")
        return rule
    if float(given) < rule:
        raise InventoryError(
            path, name, "accuracy_m",
            f"{given:g} m is smaller than its evidence allows: sources spread {spread:.0f} m "
            f"around the position, site radius {site:.0f} m, host accuracy {host_acc:.0f} m "
            f"-> at least {rule:g} m (corridor.evidence.accuracy_m)")
    return float(given)


def _geometry(
    entry: dict[str, Any], path: Path, name: str, districts: dict[str, District],
    placed: Placed, boundaries: dict[str, BaseGeometry],
) -> tuple[BaseGeometry | None, float]:
    """The feature's WGS84 geometry (None when unplaced) and the accuracy of the host it is
    placed at (0 when it has no host)."""
    keys = [k for k in GEOMETRY_KEYS if k in entry]
    if len(keys) != 1:
        raise InventoryError(
            path, name, "geometry", f"has {keys or 'none'}; expected exactly one of {GEOMETRY_KEYS}"
        )
    key = keys[0]
    value = entry[key]
    if key == "point" and isinstance(value, str):
        return _derived_point(entry, value, path, name, placed)
    if value == "unplaced":
        if entry.get("position_basis") != "unplaced":
            raise InventoryError(path, name, "position_basis",
                                 "geometry 'unplaced' needs position_basis = 'unplaced'")
        return None, 0.0
    if value == "boundary":
        if name not in boundaries:
            raise InventoryError(path, name, "geometry",
                                 "'boundary' but no described boundary with this id in "
                                 "inventory/boundaries.toml")
        return boundaries[name], 0.0
    return _literal_geometry(entry, key, value, path, name, districts), 0.0


def _derived_point(entry: dict[str, Any], value: str, path: Path, name: str,
                   placed: Placed) -> tuple[BaseGeometry, float]:
    if value.startswith("at:"):
        host = value[3:]
        if host not in placed or placed[host][0] is None:
            raise InventoryError(path, name, "point", f"{value!r}: no placed feature {host!r} "
                                 "built before this one (hosts come earlier in catalog order)")
        geom, acc = placed[host]
        assert geom is not None
        return geom.centroid if geom.geom_type != "Point" else geom, acc
    points = ev.points_wgs84(entry.get("evidence", []))
    if value == "evidence":
        if not points:
            raise InventoryError(path, name, "point", "'evidence' but no evidence entry gives a coordinate")
        return quantize(Point(ev.median_point(points))), 0.0
    if value.startswith("evidence:"):
        evidence = entry.get("evidence", [])
        try:
            k = int(value[9:])
            chosen = evidence[k - 1]
        except (ValueError, IndexError):
            raise InventoryError(path, name, "point", f"{value!r}: expected 'evidence:N' with N in "
                                 f"1..{len(evidence)}") from None
        pts = ev.points_wgs84([chosen])
        if k < 1 or not pts:
            raise InventoryError(path, name, "point", f"{value!r}: that entry gives no coordinate")
        return quantize(Point(pts[0])), 0.0
    raise InventoryError(path, name, "point", f"{value!r}; expected [lon, lat], 'evidence', "
                         "'evidence:N' or 'at:<feature id>'")


def _literal_geometry(
    entry: dict[str, Any], key: str, value: Any, path: Path, name: str,
    districts: dict[str, District],
) -> BaseGeometry:
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
