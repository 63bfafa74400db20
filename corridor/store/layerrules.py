"""The rules every user layer follows, in either engine: what a layer id may be, how a
layer's declared column types become queryables, and how a GeoJSON Feature sent as an edit is
checked against the layer (its id, geometry type and column types), with the messages a
client sees."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely

from corridor import checks
from corridor.errors import InvalidParameter
from corridor.geojson_input import parse_geometry
from corridor.store.attributes import geometry_queryable

#: What a layer id may look like (it is a file name and a URL path segment).
LAYER_ID = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


SCHEMA_OF_TYPE: dict[str, dict[str, str]] = {
    "TEXT": {"type": "string"}, "REAL": {"type": "number"}, "FLOAT": {"type": "number"},
    "DOUBLE": {"type": "number"}, "BOOLEAN": {"type": "boolean"},
    "DATE": {"type": "string", "format": "date"}, "DATETIME": {"type": "string", "format": "date-time"},
}


def column_queryables(types: Mapping[str, str], geometry_types: Sequence[str]) -> dict[str, dict[str, Any]]:
    """A layer's queryables from its columns' declared SQL types, ``geometry`` last."""
    out: dict[str, dict[str, Any]] = {}
    for name, typ in types.items():
        schema = SCHEMA_OF_TYPE.get(typ) or ({"type": "integer"} if "INT" in typ else {"type": "string"})
        out[name] = {"title": name, **schema}
    out["geometry"] = geometry_queryable(geometry_types)
    return out


def check_layer_id(value: str) -> str:
    """``value`` if it is a valid layer id.

    Raises
    ------
    InvalidParameter
        Naming the value and the pattern expected.
    """
    if not isinstance(value, str) or not LAYER_ID.match(value):
        raise InvalidParameter(
            f"layer id {checks.shown(value)} is not valid; expected a lower-case letter, then up "
            "to 62 lower-case letters, digits, '_' or '-'"
        )
    return value


def feature_bytes(fid: str, geojson: str, props: dict[str, Any]) -> bytes:
    """The GeoJSON Feature text in the layout :class:`~corridor.model.Feature` documents."""
    return (
        '{"type":"Feature","id":' + json.dumps(fid, ensure_ascii=False) + ',"geometry":' + geojson
        + ',"properties":' + json.dumps(props, ensure_ascii=False, separators=(",", ":")) + "}"
    ).encode()


def check_feature(layer_id: str, types: Mapping[str, str], geometry_types: Sequence[str],
                  feature: Mapping[str, Any]) -> tuple[shapely.Geometry, dict[str, Any]]:
    """The geometry and column values of a GeoJSON Feature checked against a layer: its id,
    its columns' declared SQL types and its geometry types (every store that takes edits
    applies these rules, with these messages).

    Raises
    ------
    InvalidParameter
        Naming what does not fit and what was expected.
    """
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        raise InvalidParameter("expected a GeoJSON Feature object ({\"type\": \"Feature\", ...})")
    if feature.get("geometry") is None:
        raise InvalidParameter("the feature has no geometry; expected a GeoJSON geometry in lon/lat")
    geom = parse_geometry(feature["geometry"])
    if geom.geom_type not in geometry_types:
        raise InvalidParameter(f"geometry type {geom.geom_type} does not fit collection "
                               f"{layer_id!r}; expected {' or '.join(geometry_types)}")
    props = feature.get("properties")
    if props is None:
        props = {}
    if not isinstance(props, Mapping):
        raise InvalidParameter(f"properties {checks.shown(props)} is not valid; expected a JSON "
                               "object (or null)")
    values: dict[str, Any] = {}
    for name, value in props.items():
        if name == "id":
            continue
        typ = types.get(name)
        if typ is None:
            raise InvalidParameter(
                f"property {checks.shown(name)} is not in collection {layer_id!r}; expected "
                f"some of {', '.join(c for c in types if c != 'id') or '(no properties)'}")
        values[name] = _column_value(name, value, typ)
    return geom, values


def feature_id(feature: Mapping[str, Any]) -> str | None:
    """The id a client gave a feature (``id``, else ``properties.id``), as text."""
    fid = feature.get("id") if isinstance(feature, Mapping) else None
    if fid is None and isinstance(feature, Mapping) and isinstance(feature.get("properties"), Mapping):
        fid = feature["properties"].get("id")
    if fid is None:
        return None
    if isinstance(fid, bool) or not isinstance(fid, (str, int)) or not str(fid).strip():
        raise InvalidParameter(f"feature id {checks.shown(fid)} is not valid; expected a non-empty "
                               "string or an integer")
    return checks.text(str(fid), "id", checks.MAX_ID)


def _column_value(name: str, value: Any, typ: str) -> Any:
    """``value`` for a column of SQL type ``typ``, or an error naming both."""
    if value is None:
        return None
    ok: bool
    if typ == "BOOLEAN":
        ok = isinstance(value, bool)
    elif typ in ("INTEGER", "INT", "MEDIUMINT", "SMALLINT", "TINYINT", "BIGINT"):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif typ in ("REAL", "FLOAT", "DOUBLE"):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)
    else:  # TEXT, DATE, DATETIME
        ok = isinstance(value, str)
    if not ok:
        expected = {"BOOLEAN": "true or false", "REAL": "a finite number"}.get(
            typ, "an integer" if "INT" in typ else "a string")
        raise InvalidParameter(f"property {name!r} = {checks.shown(value)}; expected {expected}")
    return int(value) if typ == "BOOLEAN" else value
