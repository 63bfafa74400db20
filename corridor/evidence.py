"""Evidence behind a feature's position, and the rule that turns it into an accuracy.

Every plan feature carries ``evidence``: a list of the public sources that say where it is
(or that it has no site). Each entry gives

``title``       what the source is;
``url``         where it was found, or ``document`` when it has no address of its own;
``crs``         the coordinate system of the source's coordinates: ``wgs84``, ``gcj02``,
                ``bd09``, or ``none`` for a source that gives no coordinate;
``says``        what it says (an address, a coordinate, a described boundary, a date);
``point``       the source's coordinate ``[lon, lat]`` in ``crs`` (only when ``crs`` is not
                ``none``);
``published``   optional date of the source (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``);
``district_zh`` optional district(s) the source puts the feature in ("即墨区", "城阳区、即墨区").

Pure: no I/O; the checks raise through the ``fail`` callback the schema passes in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import shapely
from pyproj import Geod

from corridor.crs import to_metric, to_wgs84

#: Coordinate systems an evidence entry may name.
EVIDENCE_CRS = ("wgs84", "gcj02", "bd09", "none")
#: Where a feature's position comes from (``position_basis``).
POSITION_BASES = ("evidence", "host", "district", "recalled", "unplaced")
#: Status of a plan feature as of the plan (September 2021).
STATUSES = ("operating", "under_construction", "planned")
#: The accuracy rule's floor and rounding step, metres.
MIN_ACCURACY_M = 100.0
ACCURACY_STEP_M = 50.0

_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")
_DISTRICT_SEPARATORS = re.compile(r"[、,，/;；]")
_GEOD = Geod(ellps="WGS84")

Fail = Callable[[str, str], Exception]


def check_evidence(value: Any, fail: Fail) -> None:
    """Check a feature's ``evidence`` list.

    Raises
    ------
    Exception
        Whatever ``fail(field, problem)`` returns, on the first malformed entry (the field
        named ``evidence[i].key``).
    """
    if not isinstance(value, list):
        raise fail("evidence", f"{value!r}; expected a list of source entries")
    for i, entry in enumerate(value):
        where = f"evidence[{i}]"
        if not isinstance(entry, dict):
            raise fail(where, f"{entry!r}; expected a table with title, url or document, crs, says")
        for key in ("title", "says"):
            text = entry.get(key)
            if not isinstance(text, str) or not text.strip():
                raise fail(f"{where}.{key}", f"{text!r}; expected a non-empty string")
        url, doc = entry.get("url"), entry.get("document")
        if not any(isinstance(v, str) and v.strip() for v in (url, doc)):
            raise fail(f"{where}.url", "missing; expected the url the source was found at, or a document")
        if url is not None and (not isinstance(url, str) or not re.match(r"^https?://\S+$", url)):
            raise fail(f"{where}.url", f"{url!r}; expected an http(s) address")
        crs = entry.get("crs")
        if crs not in EVIDENCE_CRS:
            raise fail(f"{where}.crs", f"{crs!r}; expected one of {', '.join(EVIDENCE_CRS)}")
        point = entry.get("point")
        if crs == "none":
            if point is not None:
                raise fail(f"{where}.point", "given with crs 'none'; name the coordinates' system")
        elif not _is_lonlat(point):
            raise fail(f"{where}.point", f"{point!r}; expected [lon, lat] in {crs} (crs is not 'none')")
        published = entry.get("published")
        if published is not None and (not isinstance(published, str) or not _DATE.match(published)):
            raise fail(f"{where}.published", f"{published!r}; expected YYYY-MM-DD, YYYY-MM or YYYY")
        district = entry.get("district_zh")
        if district is not None and (not isinstance(district, str) or not district.strip()):
            raise fail(f"{where}.district_zh", f"{district!r}; expected district names")


def _is_lonlat(value: Any) -> bool:
    return (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                    for v in value)
            and 73 <= value[0] <= 136 and 3 <= value[1] <= 54)


def points_wgs84(evidence: Sequence[Mapping[str, Any]]) -> list[tuple[float, float]]:
    """The coordinates the evidence gives, converted to WGS84 lon/lat (entries without a
    coordinate are skipped)."""
    out = []
    for entry in evidence:
        crs, point = entry.get("crs"), entry.get("point")
        if crs in (None, "none") or point is None:
            continue
        lon, lat = to_wgs84(float(point[0]), float(point[1]), str(crs))
        out.append((float(lon), float(lat)))
    return out


def median_point(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Component-wise median of lon/lat points (robust to one stray source).

    Raises
    ------
    ValueError
        If there are no points.
    """
    if not points:
        raise ValueError("no coordinates to take a median of")
    arr = np.asarray(points, dtype=float)
    return float(np.median(arr[:, 0])), float(np.median(arr[:, 1]))


def spread_m(geometry: shapely.Geometry, points: Sequence[tuple[float, float]]) -> float:
    """How far the evidence lies from the feature: the largest distance in metres from
    ``geometry`` (WGS84 lon/lat) to any of ``points`` (0 for a point inside a polygon).

    A point's distances are geodesic; a polygon's are measured in EPSG:4549 (Gauss-Kruger
    CM 120E), within 0.1 % of geodesic over Qingdao.
    """
    if not points:
        return 0.0
    if isinstance(geometry, shapely.Point):
        lon = np.array([p[0] for p in points])
        lat = np.array([p[1] for p in points])
        _, _, d = _GEOD.inv(np.full(len(points), geometry.x), np.full(len(points), geometry.y), lon, lat)
        return float(np.max(d))
    metric = shapely.transform(geometry, lambda c: np.column_stack(to_metric(c[:, 0], c[:, 1])))
    xs, ys = to_metric([p[0] for p in points], [p[1] for p in points])
    return float(max(metric.distance(shapely.Point(x, y)) for x, y in zip(xs, ys)))


def site_radius_m(area_km2: float | None) -> float:
    """Radius in metres of a circle of the site's area (0 when the area is unknown)."""
    if area_km2 is None or area_km2 <= 0:
        return 0.0
    return math.sqrt(area_km2 * 1e6 / math.pi)


def accuracy_m(spread: float, site_radius: float = 0.0) -> float:
    """The accuracy a position may claim from its evidence: the spread of the sources plus
    the site's radius (a source may point anywhere on the site), rounded up to 50 m, at
    least 100 m.

    >>> accuracy_m(0.0)
    100.0
    >>> accuracy_m(131.0, 460.0)
    600.0
    """
    raw = max(MIN_ACCURACY_M, spread + site_radius)
    return math.ceil(raw / ACCURACY_STEP_M - 1e-9) * ACCURACY_STEP_M


def district_names(text: str | None) -> list[str]:
    """District names in a ``district_zh`` text ("城阳区、即墨区" -> two names)."""
    if not text:
        return []
    return [n.strip() for n in _DISTRICT_SEPARATORS.split(text) if n.strip()]


def evidence_districts(evidence: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every district any evidence entry names, in first-seen order."""
    out: list[str] = []
    for entry in evidence:
        for name in district_names(entry.get("district_zh")):
            if name not in out:
                out.append(name)
    return out
