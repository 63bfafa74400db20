"""Structural rules every feature of the catalog obeys.

Checked when the catalog loads (the service refuses to start on a bad file) and by
``corridor validate``. Each failure is a :class:`~corridor.errors.DataError` naming the
file, the feature and the field.
"""

from __future__ import annotations

import math
import re
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from corridor.errors import DataError
from corridor.evidence import POSITION_BASES, STATUSES, check_evidence

#: Generous lon/lat box around Qingdao's ten districts (119.5-121.0E, 35.6-37.1N) and its sea.
QINGDAO_BOUNDS = (119.0, 35.2, 121.6, 37.4)

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

#: Properties every feature carries as non-empty strings (``source`` in English,
#: ``source_zh`` the same provenance in Chinese).
REQUIRED_TEXT = ("id", "name_zh", "name_en", "kind", "source", "source_zh")


def validate_feature_collection(
    doc: Any, path: str, cid: str, geometry_types: tuple[str, ...],
    roles: frozenset[str] = frozenset(),
) -> list[BaseGeometry]:
    """Check a GeoJSON FeatureCollection for collection ``cid``.

    Features of a ``basemap`` collection need not quote the plan (unless they have a
    plan_ref); those of the ``parks`` collection must list their industries.

    Returns
    -------
    list of shapely geometries
        Each feature's geometry, built once here for the store to keep; None for a feature
        whose location is not published (``position_basis = "unplaced"``, null geometry).

    Raises
    ------
    DataError
        On the first problem found, naming ``path``, the feature id and the field.
    """
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise DataError(path, None, "type", "expected a GeoJSON FeatureCollection")
    features = doc.get("features")
    if not isinstance(features, list):
        raise DataError(path, None, "features", "expected a list of features")
    geoms = [validate_feature(feat, path, cid, geometry_types, i, roles)
             for i, feat in enumerate(features)]
    # Points were checked as coordinates; build them in one vectorised call.
    at = [i for i, g in enumerate(geoms) if isinstance(g, tuple)]
    if at:
        for i, pt in zip(at, shapely.points([geoms[i] for i in at]), strict=True):
            geoms[i] = pt
    return geoms  # type: ignore[return-value]  # every tuple was replaced just above


#: Earliest and latest year a feature's ``year`` may name.
YEAR_RANGE = (1900, 2100)


def validate_feature(
    feat: Any, path: str, cid: str, geometry_types: tuple[str, ...], index: int = 0,
    roles: frozenset[str] = frozenset(),
) -> BaseGeometry | tuple[float, ...] | None:
    """Check one feature and return its shapely geometry (a point as its coordinates, which
    :func:`validate_feature_collection` turns into points in bulk)."""
    if not isinstance(feat, dict) or feat.get("type") != "Feature":
        raise DataError(path, f"#{index}", "type", "expected a GeoJSON Feature")
    props = feat.get("properties")
    if not isinstance(props, dict):
        raise DataError(path, f"#{index}", "properties", "expected an object")
    fid = props.get("id")
    name = fid if isinstance(fid, str) and fid else f"#{index}"

    def fail(fld: str, problem: str) -> DataError:
        return DataError(path, name, fld, problem)

    for key in REQUIRED_TEXT:
        value = props.get(key)
        if not isinstance(value, str) or not value.strip():
            raise fail(key, f"missing or empty (got {value!r}); expected a non-empty string")
    assert isinstance(fid, str)  # "id" is in REQUIRED_TEXT, checked just above
    if not ID_PATTERN.match(fid):
        raise fail("id", f"{fid!r} is not a slug; expected lowercase words joined by '-'")
    if feat.get("id") not in (None, fid):
        raise fail("id", f"feature id {feat.get('id')!r} differs from properties.id {fid!r}")

    _check_industries(props, fail, require="parks" in roles)

    plan_ref = props.get("plan_ref")
    plan_text = props.get("plan_text")
    needs_plan = "basemap" not in roles or bool(plan_ref)
    for key, value in (("plan_ref", plan_ref), ("plan_text", plan_text)):
        if not isinstance(value, str):
            raise fail(key, f"expected a string, got {value!r}")
        if needs_plan and not value.strip():
            raise fail(key, "empty; expected the plan's section reference and its verbatim words")

    en = props.get("plan_text_en")
    if en is not None and not (isinstance(en, str) and en.strip()):
        raise fail("plan_text_en", f"{en!r}; expected our English rendering of plan_text")
    if en is not None and not (isinstance(plan_text, str) and plan_text.strip()):
        raise fail("plan_text_en", "an English rendering of no quote; expected plan_text too")
    for key in ("aliases_zh", "aliases_en"):
        names = props.get(key)
        if names is not None and not (
            isinstance(names, list) and all(isinstance(n, str) and n.strip() for n in names)
        ):
            raise fail(key, f"{names!r}; expected a list of non-empty names")

    acc = props.get("accuracy_m")
    if (
        isinstance(acc, bool)
        or not isinstance(acc, (int, float))
        or not math.isfinite(acc)
        or acc <= 0
    ):
        raise fail("accuracy_m", f"{acc!r}; expected a positive number of metres")
    if not isinstance(props.get("approximate"), bool):
        raise fail("approximate", f"{props.get('approximate')!r}; expected true or false")
    note = props.get("position_note", "")
    if not isinstance(note, str):
        raise fail("position_note", f"{note!r}; expected a string")
    note_zh = props.get("position_note_zh", "")
    if not isinstance(note_zh, str):
        raise fail("position_note_zh", f"{note_zh!r}; expected a string")
    if note.strip() and not note_zh.strip():
        raise fail(
            "position_note_zh",
            "empty; expected the Chinese text of position_note (a feature with a position "
            "note needs it in both languages)",
        )
    if note_zh.strip() and not note.strip():
        raise fail(
            "position_note_zh",
            f"{note_zh!r} but position_note is empty; expected both or neither",
        )

    _check_provenance(props, fail)
    if props.get("position_basis") == "unplaced":
        if feat.get("geometry") is not None:
            raise fail("geometry", "a feature whose position_basis is 'unplaced' must have a null "
                       "geometry (its location is not published)")
        return None
    return _check_geometry(feat.get("geometry"), geometry_types, fail)


def _check_provenance(props: dict[str, Any], fail: Any) -> None:
    """``evidence``, ``position_basis``, ``status``, ``year`` and ``site_area_km2``: optional
    here (the plan checks of ``corridor validate`` require evidence), checked when given."""
    if "evidence" in props:
        check_evidence(props["evidence"], fail)
    basis = props.get("position_basis")
    if basis is not None and basis not in POSITION_BASES:
        raise fail("position_basis", f"{basis!r}; expected one of {', '.join(POSITION_BASES)}")
    status = props.get("status")
    if status is not None and status not in STATUSES:
        raise fail("status", f"{status!r}; expected one of {', '.join(STATUSES)}")
    year = props.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)
                             or not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]):
        raise fail("year", f"{year!r}; expected a year between {YEAR_RANGE[0]} and {YEAR_RANGE[1]}")
    if year is not None and not isinstance(props.get("year_event"), str):
        raise fail("year_event", f"{props.get('year_event')!r}; expected what happened that year "
                   "(opened, approved, construction began)")
    area = props.get("site_area_km2")
    if area is not None and (isinstance(area, bool) or not isinstance(area, (int, float))
                             or not math.isfinite(area) or area <= 0):
        raise fail("site_area_km2", f"{area!r}; expected a positive area in km²")


def _check_point(coords: Any, fail: Any) -> tuple[float, ...]:
    """A Point's coordinates checked without building the point (the common case of large
    layers): two or three finite numbers inside Qingdao's box."""
    ok = (isinstance(coords, list) and len(coords) in (2, 3)
          and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                  for v in coords))
    if not ok:
        raise fail("geometry", f"malformed coordinates {coords!r}; expected [lon, lat]")
    x, y = coords[0], coords[1]
    bx0, by0, bx1, by1 = QINGDAO_BOUNDS
    if not (bx0 <= x <= bx1 and by0 <= y <= by1):
        raise fail(
            "geometry",
            f"point ({x:.4f}, {y:.4f}) leaves Qingdao's box {QINGDAO_BOUNDS} (lon, lat); "
            "is it lat/lon swapped or in another CRS?",
        )
    return tuple(float(v) for v in coords[:2])


def _check_industries(props: dict[str, Any], fail: Any, require: bool) -> None:
    zh = props.get("industries_zh")
    en = props.get("industries_en")
    for key, value in (("industries_zh", zh), ("industries_en", en)):
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise fail(key, f"{value!r}; expected a list of non-empty strings")
    assert isinstance(zh, list) and isinstance(en, list)
    if len(zh) != len(en):
        raise fail("industries_en", f"{len(en)} entries for {len(zh)} in industries_zh; expected pairs")
    if require and not zh:
        raise fail("industries_zh", "empty; a park must list the industries the plan names for it")


def _check_geometry(
    geom: Any, geometry_types: tuple[str, ...], fail: Any
) -> BaseGeometry | tuple[float, ...]:
    if not isinstance(geom, dict):
        raise fail("geometry", f"{geom!r}; expected a GeoJSON geometry")
    gtype = geom.get("type")
    if gtype not in geometry_types:
        raise fail("geometry", f"type {gtype!r}; expected one of {', '.join(geometry_types)}")
    if gtype == "Point":
        return _check_point(geom.get("coordinates"), fail)
    try:
        g = shape(geom)
    except Exception as exc:  # noqa: BLE001 - shapely raises several types for bad coordinates
        raise fail("geometry", f"malformed coordinates ({exc})") from None
    if g.is_empty:
        raise fail("geometry", "empty geometry")
    if not g.is_valid:
        raise fail("geometry", f"invalid geometry: {explain_validity(g)}")
    minx, miny, maxx, maxy = g.bounds
    bx0, by0, bx1, by1 = QINGDAO_BOUNDS
    if minx < bx0 or miny < by0 or maxx > bx1 or maxy > by1:
        raise fail(
            "geometry",
            f"bounds ({minx:.4f}, {miny:.4f}, {maxx:.4f}, {maxy:.4f}) leave Qingdao's box "
            f"{QINGDAO_BOUNDS} (lon, lat); is it lat/lon swapped or in another CRS?",
        )
    return g
