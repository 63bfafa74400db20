"""Parse a user-supplied GeoJSON geometry (dict or JSON text) into a valid WGS84 shapely geometry."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import shapely
from shapely.errors import GEOSException
from shapely.geometry import shape
from shapely.validation import explain_validity

from corridor.errors import InvalidParameter

GEOMETRY_TYPES = (
    "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
    "GeometryCollection",
)
_SHOWN = 200  # characters of the bad value repeated in a message


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


def parse_geometry(geometry: dict[str, Any] | str) -> shapely.Geometry:
    """A GeoJSON geometry (a Feature is unwrapped) as a valid, non-empty shapely geometry.

    Raises
    ------
    InvalidParameter
        If the text is not JSON, the object is not a GeoJSON geometry, a coordinate is not
        a finite lon/lat (-180..180, -90..90), the geometry is empty, or a polygon is
        invalid (self-intersecting, unclosed or too few points); the message repeats the
        input and says why.
    """
    doc: Any = geometry
    if isinstance(geometry, (str, bytes)):
        try:
            doc = json.loads(geometry)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidParameter(
                f"geometry {_show(geometry)!r} is not valid JSON ({exc}); expected a GeoJSON geometry"
            ) from None
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = doc.get("geometry")
    if not isinstance(doc, dict) or doc.get("type") not in GEOMETRY_TYPES:
        kind = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
        raise InvalidParameter(
            f"geometry {_show(doc)} (type {kind!r}) is not valid; expected a GeoJSON geometry "
            f"object of type {', '.join(GEOMETRY_TYPES)}"
        )
    try:
        geom = shape(doc)
    except (ValueError, TypeError, IndexError, KeyError, AttributeError, GEOSException) as exc:
        raise InvalidParameter(
            f"geometry {_show(doc)} has malformed coordinates ({exc}); expected GeoJSON "
            "[lon, lat] positions"
        ) from None
    if geom.is_empty:
        raise InvalidParameter(f"geometry {_show(doc)} is empty; expected at least one position")
    coords = shapely.get_coordinates(geom)
    bad = ~(np.isfinite(coords).all(axis=1) & (np.abs(coords[:, 0]) <= 180) & (np.abs(coords[:, 1]) <= 90))
    if bad.any():
        lon, lat = coords[np.flatnonzero(bad)[0]]
        raise InvalidParameter(
            f"geometry {_show(doc)} has position ({lon!r}, {lat!r}); expected "
            "-180 <= lon <= 180 and -90 <= lat <= 90 (GeoJSON is [lon, lat] in WGS84)"
        )
    if not geom.is_valid:
        raise InvalidParameter(
            f"geometry {_show(doc)} is invalid: {explain_validity(geom)}; expected a valid "
            "(non-self-intersecting, closed) geometry"
        )
    assert not any(math.isnan(v) for v in geom.bounds)
    return geom
