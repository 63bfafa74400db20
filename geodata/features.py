"""Turning (properties, geometry) into the GeoJSON features the catalog loads."""

from __future__ import annotations

from typing import Any

from shapely.geometry.base import BaseGeometry

from geodata.geom import rounded_geojson

#: Properties in the order they are written; anything else follows in its given order.
PROPERTY_ORDER = (
    "id",
    "name_zh",
    "name_en",
    "kind",
    "institution_zh",
    "institution_en",
    "adcode",
    "district_zh",
    "industries_zh",
    "industries_en",
    "plan_ref",
    "plan_text",
    "source",
    "source_zh",
    "accuracy_m",
    "approximate",
    "position_note",
    "position_note_zh",
    "position_basis",
    "site_area_km2",
    "status",
    "year",
    "year_event",
    "interval",
    "dates",
    "date_note",
    "evidence",
)

#: Defaults for optional properties (schema: industries are lists, notes strings).
DEFAULTS: dict[str, Any] = {
    "industries_zh": [],
    "industries_en": [],
    "plan_ref": "",
    "plan_text": "",
    "position_note": "",
    "position_note_zh": "",
}


def make_feature(props: dict[str, Any], geom: BaseGeometry | None) -> dict[str, Any]:
    """A GeoJSON Feature with top-level ``id`` equal to ``properties.id``.

    ``geom`` must already be WGS84 lon/lat; coordinates are rounded to 6 decimals. None
    (a feature whose location is not published) is written as a null geometry.
    """
    full = {**DEFAULTS, **props}
    ordered = {k: full[k] for k in PROPERTY_ORDER if k in full}
    ordered.update({k: v for k, v in full.items() if k not in ordered})
    return {
        "type": "Feature",
        "id": ordered["id"],
        "geometry": None if geom is None else rounded_geojson(geom),
        "properties": ordered,
    }


def feature_collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    """Wrap features in a GeoJSON FeatureCollection."""
    return {"type": "FeatureCollection", "features": features}
