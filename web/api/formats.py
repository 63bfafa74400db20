"""Serialisers: GeoJSON, HTML, CSV, GeoPackage and KML (the format is negotiated by
:func:`web.negotiate.negotiate`: ``f=`` wins; otherwise the ``Accept`` header; no acceptable
format is a 406).

Features arrive from the store as :class:`corridor.model.Feature` values with their GeoJSON
text ready; output coordinates are converted here, in one place, by the function
:func:`web.api.crs.output_fn` returns.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyogrio.raw
import shapely
from flask import Response, jsonify, render_template

from corridor.crs import CRS84, transformer
from corridor.model import Feature
from web.api.crs import GeomFn, RefSystem, output_fn
from web.api.errors import InvalidParameterValue
from web.negotiate import MEDIA_TYPES, lang

#: Formats of plain documents (landing, collections, conformance...).
DOC_FORMATS = ("json", "html")
#: Formats of feature resources (items, single items, near/nearest/at results).
FEATURE_FORMATS = ("geojson", "html", "csv", "gpkg", "kml")


#: One compact encoder for every response (``json.dumps`` with options builds one a call).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _dumps(value: Any) -> bytes:
    return _ENCODER.encode(value).encode()


def _spliced(feat: Feature, extra: dict[str, Any] | None, tail: dict[str, Any] | None) -> bytes:
    """The feature's ready GeoJSON with ``extra`` properties and ``tail`` members added.

    :class:`corridor.model.Feature` guarantees the text ends with the properties object and
    the feature's closing brace, and that the properties hold at least ``id``.
    """
    text = feat.json
    if extra:
        text = text[:-2] + b"," + _dumps(extra)[1:] + b"}"
    if tail:
        text = text[:-1] + b"," + _dumps(tail)[1:]
    return text


def feature_dict(
    feat: Feature, fn: GeomFn | None, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A GeoJSON Feature dict, its geometry converted by ``fn`` (None: as stored)."""
    props = dict(feat.properties)
    props.update(extra or {})
    if feat.geometry is None:  # location not published: GeoJSON's null geometry
        return {"type": "Feature", "id": feat.id, "geometry": None, "properties": props}
    geom = fn(feat.geometry) if fn else feat.geometry
    return {"type": "Feature", "id": feat.id, "geometry": shapely.geometry.mapping(geom),
            "properties": props}


def _extras(extra: dict[str, list[Any]] | None, i: int) -> dict[str, Any] | None:
    return {name: vals[i] for name, vals in extra.items()} if extra else None


def to_features(
    features: Sequence[Feature], ref: RefSystem, coord_sys: str,
    extra: dict[str, list[Any]] | None = None,
) -> list[dict[str, Any]]:
    """GeoJSON Feature dicts, coordinates converted for output (for HTML and single items).

    Parameters
    ----------
    extra
        Extra properties by name, one value per feature (e.g. ``distance_km``, ``collection``).
    """
    fn = output_fn(ref, coord_sys)
    return [feature_dict(f, fn, _extras(extra, i)) for i, f in enumerate(features)]


def feature_collection_bytes(
    features: Sequence[Feature], ref: RefSystem, coord_sys: str, members: dict[str, Any],
    extra: dict[str, list[Any]] | None = None, tails: Sequence[dict[str, Any]] | None = None,
) -> bytes:
    """A GeoJSON FeatureCollection as bytes: ``features`` (with ``extra`` properties and
    ``tails`` members, one per feature) followed by the collection's ``members``.

    In CRS84 with no coord-sys offset every feature is the store's ready text; otherwise
    each is converted and serialised here.
    """
    fn = output_fn(ref, coord_sys)
    parts = []
    for i, f in enumerate(features):
        tail = tails[i] if tails else None
        if fn is None:
            parts.append(_spliced(f, _extras(extra, i), tail))
        else:
            parts.append(_dumps({**feature_dict(f, fn, _extras(extra, i)), **(tail or {})}))
    rest = _dumps(members)
    return (b'{"type":"FeatureCollection","features":[' + b",".join(parts) + b"]"
            + (b"," + rest[1:] if len(rest) > 2 else b"}"))


def output_geometries(features: Sequence[Feature], ref: RefSystem, coord_sys: str) -> list[Any]:
    """The geometries of ``features`` in the output CRS/axis order/coord-sys."""
    fn = output_fn(ref, coord_sys)
    return [f.geometry if (fn is None or f.geometry is None) else fn(f.geometry) for f in features]


def geojson_bytes_response(body: bytes, ref: RefSystem, coord_sys: str) -> Response:
    """A GeoJSON response of ready bytes with ``Content-Crs`` (Part 2) or ``Content-Coord-Sys``."""
    resp = Response(body, mimetype=MEDIA_TYPES["geojson"])
    _crs_header(resp, ref, coord_sys)
    return resp


def _crs_header(resp: Response, ref: RefSystem, coord_sys: str) -> None:
    if coord_sys == "wgs84":
        resp.headers["Content-Crs"] = f"<{ref.uri}>"
    else:
        resp.headers["Content-Coord-Sys"] = coord_sys


def geojson_response(doc: dict[str, Any], ref: RefSystem, coord_sys: str) -> Response:
    """A GeoJSON response with ``Content-Crs`` (Part 2) or ``Content-Coord-Sys``."""
    resp = jsonify(doc)
    resp.mimetype = MEDIA_TYPES["geojson"]
    _crs_header(resp, ref, coord_sys)
    return resp


def json_response(doc: Any) -> Response:
    return jsonify(doc)


def html_response(template: str, **context: Any) -> Response:
    """Render an ``api/`` template (links in ``context['links']`` become navigation) in the
    request's language (see :func:`web.negotiate.lang`), which its own links carry on."""
    context.setdefault("lang", lang())
    resp = Response(render_template(f"api/{template}", **context), mimetype="text/html")
    resp.headers["Vary"] = "Accept-Language"  # a new response: no Vary yet
    return resp


def _flat(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return value


def _columns(features: Sequence[Feature]) -> list[str]:
    """Every property name, in order of first appearance."""
    names: dict[str, None] = {}
    for f in features:
        names.update(dict.fromkeys(f.properties))
    return list(names)


def csv_response(features: Sequence[Feature], ref: RefSystem, coord_sys: str, filename: str,
                 extra: dict[str, list[Any]] | None = None) -> Response:
    """CSV: one row per feature, the properties, then the point's two coordinates (in the
    output CRS axis order, named after the axes; empty for non-points) and the WKT."""
    ax = axis_names(ref, coord_sys)
    geoms = output_geometries(features, ref, coord_sys)
    names = _columns(features)
    columns = names + list(extra or {}) + [ax[0], ax[1], "wkt"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    for i, (f, g) in enumerate(zip(features, geoms, strict=True)):
        a = b = ""
        if g is not None and g.geom_type == "Point":
            a, b = repr(g.x), repr(g.y)
        writer.writerow([_flat(f.properties.get(n, "")) for n in names]
                        + [(extra or {})[k][i] for k in (extra or {})]
                        + [a, b, "" if g is None else g.wkt])
    resp = Response("\ufeff" + buf.getvalue(), mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return resp


def axis_names(ref: RefSystem, coord_sys: str) -> tuple[str, str]:
    """Names of the two output coordinate columns, in output order."""
    if coord_sys != "wgs84" or ref.is_crs84:
        return ("lon", "lat")
    if ref.code == "EPSG:4549":
        return ("northing", "easting")
    return ("lat", "lon")


def download_response(features: Sequence[Feature], fmt: str, ref: RefSystem, layer: str,
                      lang: str, extra: dict[str, list[Any]] | None = None) -> Response:
    """GeoPackage or KML file of the features (written by GDAL through pyogrio, in memory).

    GeoPackage is written in the requested CRS (GDAL stores the CRS; no axis swap applies);
    KML is always WGS84 lon,lat as the KML standard requires.
    """
    names = _columns(features)
    table: dict[str, list[Any]] = {n: [f.properties.get(n) for f in features] for n in names}
    table.update(extra or {})
    name_col = "name_zh" if lang == "zh" else "name_en"
    if fmt == "kml" and name_col in table:
        table = {"Name": table[name_col], **table}
    geoms = [f.geometry for f in features]
    code = "EPSG:4326"
    if fmt == "gpkg" and not ref.is_crs84:
        tr = transformer(CRS84, ref.code)
        geoms = [None if g is None else
                 shapely.transform(g, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))
                 for g in geoms]
        code = ref.code
    buf = io.BytesIO()
    # a feature whose location is not published is written with a null geometry
    types = {g.geom_type for g in geoms if g is not None}
    pyogrio.raw.write(
        buf, geometry=shapely.to_wkb(np.asarray(geoms, dtype=object)),
        field_data=[_field_array(v) for v in table.values()], fields=list(table),
        driver="GPKG" if fmt == "gpkg" else "KML", layer=layer, crs=code,
        geometry_type=types.pop() if len(types) == 1 else "Unknown",
    )
    resp = Response(buf.getvalue(), mimetype=MEDIA_TYPES[fmt])
    resp.headers["Content-Disposition"] = f'attachment; filename="{layer}.{fmt}"'
    return resp


def _field_array(values: list[Any]) -> np.ndarray:
    """A column GDAL can type: integers, reals (NaN for gaps), booleans, else text."""
    present = [v for v in values if v is not None]
    complete = len(present) == len(values)
    if present and all(isinstance(v, bool) for v in present) and complete:
        return np.asarray(values, dtype=bool)
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present) and complete:
        return np.asarray(values, dtype=np.int64)
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return np.asarray([math.nan if v is None else v for v in values], dtype=float)
    out = np.empty(len(values), dtype=object)
    out[:] = [None if v is None else str(_flat(v)) for v in values]
    return out


def check_download_options(fmt: str, coord_sys: str, ref: RefSystem) -> None:
    """GeoPackage and KML carry a real CRS, so coord-sys offsets do not apply to them.

    Raises
    ------
    InvalidParameterValue
        On coord-sys other than wgs84 with gpkg/kml, or crs other than CRS84 with kml.
    """
    if fmt in ("gpkg", "kml") and coord_sys != "wgs84":
        raise InvalidParameterValue(
            f"coord-sys={coord_sys!r} cannot be used with f={fmt}: GeoPackage and KML store a real "
            "CRS; expected coord-sys=wgs84 (or f=geojson, html or csv)"
        )
    if fmt == "kml" and not ref.is_crs84:
        raise InvalidParameterValue(
            f"crs={ref.uri!r} cannot be used with f=kml: KML is always WGS84 lon,lat; expected "
            "no crs (or f=gpkg, geojson, csv)"
        )
