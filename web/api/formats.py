"""Content negotiation and serialisers: GeoJSON, HTML, CSV, GeoPackage and KML.

Negotiation: ``f=`` wins; otherwise the ``Accept`` header; no acceptable format is a 406.
Feature rows arrive as a WGS84 GeoDataFrame; output coordinates are converted here, in one
place, by the function :func:`web.api.crs.output_fn` returns.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from flask import Response, jsonify, render_template, request

from web.api.crs import RefSystem, output_fn
from web.api.errors import InvalidParameterValue, NotAcceptable

#: f= value -> media type.
MEDIA_TYPES = {
    "json": "application/json",
    "geojson": "application/geo+json",
    "html": "text/html",
    "csv": "text/csv",
    "gpkg": "application/geopackage+sqlite3",
    "kml": "application/vnd.google-earth.kml+xml",
}
#: Formats of plain documents (landing, collections, conformance...).
DOC_FORMATS = ("json", "html")
#: Formats of feature resources (items, single items, near/nearest/at results).
FEATURE_FORMATS = ("geojson", "html", "csv", "gpkg", "kml")
_F_ALIASES = {"application/json": "json", "jsonfg": None, "xml": None}
_ACCEPT_ALSO = {"geojson": ("application/json",)}


def negotiate(available: Sequence[str]) -> str:
    """Pick the response format among ``available`` from ``f=`` or the Accept header.

    ``f=json`` on a feature resource means GeoJSON.

    Raises
    ------
    NotAcceptable
        If ``f`` names another format or nothing in ``Accept`` is available.
    """
    f = request.args.get("f")
    if f is not None:
        key = f.strip().lower()
        if key == "json" and "geojson" in available:
            key = "geojson"
        if key == "geojson" and "geojson" not in available:
            key = "json"
        if key not in available:
            raise NotAcceptable(f"f={f!r} is not offered here; expected one of {', '.join(available)}")
        return key
    accept = request.accept_mimetypes
    if not accept:
        return available[0]
    best, best_q = None, 0.0
    for key in available:
        for mt in (MEDIA_TYPES[key], *_ACCEPT_ALSO.get(key, ())):
            q = accept.quality(mt)
            if q > best_q:
                best, best_q = key, q
    if best is None:
        raise NotAcceptable(
            f"none of the media types in Accept: {request.headers.get('Accept')!r} is offered; "
            f"expected one of {', '.join(MEDIA_TYPES[k] for k in available)} (or use f=)"
        )
    return best


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return _clean(value.item())
    if isinstance(value, np.ndarray):
        return [_clean(v) for v in value.tolist()]
    if value is pd.NA:
        return None
    return value


def to_features(
    gdf: gpd.GeoDataFrame, ref: RefSystem, coord_sys: str, extra: dict[str, list[Any]] | None = None
) -> list[dict[str, Any]]:
    """GeoJSON Feature dicts of ``gdf`` rows, coordinates converted for output.

    Parameters
    ----------
    extra
        Extra properties by name, one value per row (e.g. ``distance_km``, ``collection``).
    """
    geoms = output_geometries(gdf, ref, coord_sys)
    props = gdf.drop(columns=gdf.geometry.name).to_dict("records")
    out = []
    for i, (p, g) in enumerate(zip(props, geoms, strict=True)):
        clean = {k: _clean(v) for k, v in p.items()}
        clean = {k: v for k, v in clean.items() if v is not None}
        for name, vals in (extra or {}).items():
            clean[name] = vals[i]
        out.append({
            "type": "Feature",
            "id": clean.get("id"),
            "geometry": shapely.geometry.mapping(g) if g is not None else None,
            "properties": clean,
        })
    return out


def output_geometries(gdf: gpd.GeoDataFrame, ref: RefSystem, coord_sys: str) -> list[Any]:
    """The geometries of ``gdf`` in the output CRS/axis order/coord-sys."""
    fn = output_fn(ref, coord_sys)
    geoms = list(gdf.geometry.values)
    return [fn(g) for g in geoms] if fn else geoms


def geojson_response(doc: dict[str, Any], ref: RefSystem, coord_sys: str) -> Response:
    """A GeoJSON response with ``Content-Crs`` (Part 2) or ``Content-Coord-Sys``."""
    resp = jsonify(doc)
    resp.mimetype = MEDIA_TYPES["geojson"]
    if coord_sys == "wgs84":
        resp.headers["Content-Crs"] = f"<{ref.uri}>"
    else:
        resp.headers["Content-Coord-Sys"] = coord_sys
    return resp


def json_response(doc: Any) -> Response:
    return jsonify(doc)


def html_response(template: str, **context: Any) -> Response:
    """Render an ``api/`` template (links in ``context['links']`` become navigation)."""
    return Response(render_template(f"api/{template}", **context), mimetype="text/html")


def _flat(value: Any) -> Any:
    value = _clean(value)
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return value


def csv_response(gdf: gpd.GeoDataFrame, ref: RefSystem, coord_sys: str, filename: str,
                 extra: dict[str, list[Any]] | None = None) -> Response:
    """CSV: one row per feature, the properties, then the point's two coordinates (in the
    output CRS axis order, named after the axes; empty for non-points) and the WKT."""
    ax = axis_names(ref, coord_sys)
    geoms = output_geometries(gdf, ref, coord_sys)
    props = gdf.drop(columns=gdf.geometry.name)
    columns = list(props.columns) + list(extra or {}) + [ax[0], ax[1], "wkt"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    for i, (row, g) in enumerate(zip(props.itertuples(index=False), geoms, strict=True)):
        a = b = ""
        if g is not None and g.geom_type == "Point":
            a, b = repr(g.x), repr(g.y)
        writer.writerow([_flat(v) for v in row] + [(extra or {})[k][i] for k in (extra or {})]
                        + [a, b, g.wkt if g is not None else ""])
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


def download_response(gdf: gpd.GeoDataFrame, fmt: str, ref: RefSystem, layer: str, lang: str,
                      extra: dict[str, list[Any]] | None = None) -> Response:
    """GeoPackage or KML file of the rows (written by GDAL through pyogrio, in memory).

    GeoPackage is written in the requested CRS (GDAL stores the CRS; no axis swap applies);
    KML is always WGS84 lon,lat as the KML standard requires.
    """
    out = gdf.copy()
    for name, vals in (extra or {}).items():
        out[name] = vals
    for name in out.columns:
        if name != out.geometry.name and out[name].map(lambda v: isinstance(v, list)).any():
            out[name] = out[name].map(_flat)
    name_col = "name_zh" if lang == "zh" else "name_en"
    if fmt == "kml" and name_col in out.columns:
        out.insert(0, "Name", out[name_col])
    elif not ref.is_crs84:
        out = out.to_crs(ref.code)
    buf = io.BytesIO()
    driver = "GPKG" if fmt == "gpkg" else "KML"
    if len(out) == 0:
        # GDAL needs a geometry type for an empty layer
        pyogrio.write_dataframe(out, buf, driver=driver, layer=layer, geometry_type="Unknown")
    else:
        pyogrio.write_dataframe(out, buf, driver=driver, layer=layer)
    resp = Response(buf.getvalue(), mimetype=MEDIA_TYPES[fmt])
    resp.headers["Content-Disposition"] = f'attachment; filename="{layer}.{fmt}"'
    return resp


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
