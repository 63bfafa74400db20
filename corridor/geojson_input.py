"""Parse user-supplied GeoJSON: JSON text whose nesting is bounded (:func:`check_nesting`), and a
geometry (dict or JSON text) as a valid WGS84 shapely geometry (:func:`parse_geometry`)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.validation import explain_validity

from corridor.errors import InvalidParameter

GEOMETRY_TYPES = (
    "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
    "GeometryCollection",
)
_SHOWN = 200  # characters of the bad value repeated in a message
#: Deepest nesting of arrays and objects a JSON document may have. A GeoJSON Feature needs
#: 8 (a FeatureCollection of MultiPolygons: objects, arrays and positions); the rest is room for nested properties.
#: Deeper documents are refused before they are parsed (Python's parser would recurse).
MAX_NESTING = 64
_CHUNK = 1 << 22  # bytes scanned at once
_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_OPEN = np.zeros(256, dtype=np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1


def _unescaped_quotes(text: NDArray[np.uint8], start: int, stop: int) -> NDArray[np.intp]:
    """Where the quotes of ``text[start:stop]`` are that are not escaped (by an odd run of
    backslashes before them), relative to ``start``."""
    part = text[start:stop]
    quotes = np.flatnonzero(part == _QUOTE)
    backslash = part == _BACKSLASH
    runs = np.flatnonzero(backslash & ~np.r_[False, backslash[:-1]])  # where backslash runs start
    after = quotes[(quotes > 0) & backslash[np.maximum(quotes - 1, 0)]]
    run_start = runs[np.searchsorted(runs, after - 1, side="right") - 1] if after.size else after
    odd = (after - run_start) % 2 == 1
    if start > 0 and part[0] == _QUOTE and text[start - 1] == _BACKSLASH:
        after, odd = np.r_[0, after], np.r_[True, odd]
        run_start = np.r_[0, run_start]
    for k in np.flatnonzero((run_start == 0) & (start > 0)):  # a run begun in an earlier chunk
        first = start + int(after[k]) - 1
        while first > 0 and text[first - 1] == _BACKSLASH:
            first -= 1
        odd[k] = (start + int(after[k]) - first) % 2 == 1
    return np.setdiff1d(quotes, after[odd], assume_unique=True)


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


def check_nesting(data: bytes | str, what: str, limit: int = MAX_NESTING) -> None:
    """Refuse JSON text whose arrays and objects nest deeper than ``limit``, without parsing
    it (brackets inside strings do not count).

    Raises
    ------
    InvalidParameter
        Naming ``what`` and the limit.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return
    text = np.frombuffer(raw, np.uint8)
    depth, inside = 0, 0
    for start in range(0, len(text), _CHUNK):
        part = text[start:start + _CHUNK]
        toggles = np.zeros(len(part), dtype=np.int8)
        toggles[_unescaped_quotes(text, start, start + len(part))] = 1
        in_string = (np.cumsum(toggles, dtype=np.int32) + inside) & 1
        levels = np.cumsum(np.where(in_string == 0, _OPEN[part], 0), dtype=np.int32) + depth
        if levels.max() > limit:
            raise InvalidParameter(
                f"{what} nests arrays and objects more than {limit} levels deep; expected at "
                f"most {limit} levels (a GeoJSON Feature needs fewer than 10)")
        depth, inside = int(levels[-1]), int(in_string[-1])


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
        check_nesting(geometry, f"geometry {_show(geometry)!r}")
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
    member = "geometries" if doc["type"] == "GeometryCollection" else "coordinates"
    if not isinstance(doc.get(member), (list, tuple)):  # tuples: shapely's own mapping()
        raise InvalidParameter(f"geometry {_show(doc)} has malformed coordinates ({member!r} is not "
                               f"an array); expected a GeoJSON {doc['type']} with its {member}")
    try:
        geom = shape(doc)
    except (ValueError, TypeError, IndexError, KeyError, AttributeError, ShapelyError) as exc:
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
