"""Read and check a user's layer file: the domain half of ``corridor import``.

:func:`read_layer` reads a CSV with longitude/latitude columns, a GeoJSON file, a
GeoPackage layer or a Shapefile (zipped or not) through :mod:`corridor.layerfiles`
(pandas, pyogrio/GDAL), checks every row, converts GCJ-02/BD-09 coordinates to WGS84 and
returns a GeoDataFrame ready to become a :class:`corridor.model.NewLayer`.

Rows are numbered from 1 in data order: "row N" is the N-th CSV record after the header
(blank lines are not records) or the N-th feature of the layer; for a CSV the file line the
record starts on is given too. A row is invalid when

- it has no position: an empty coordinate cell, or no (or an empty) geometry;
- a coordinate is not a number, not finite, or out of range (lon -180..180, lat -90..90);
  coordinates that are projected metres are recognised as such, and the CRS that puts them
  in Qingdao is named;
- its geometry is not valid (a self-intersecting polygon, say);
- after conversion from the declared coordinate system it lies off the land of Qingdao by
  more than :data:`corridor.region.TOLERANCE_M` (in the sea, or in another place): the
  message says how far, and whether the numbers read as (lat, lon) would fit;
- its id is empty, longer than :data:`corridor.checks.MAX_ID` characters, or the same as an
  earlier row's (both rows are named);
- its text cannot be decoded in the file's encoding (:mod:`corridor.layerfiles`).

One invalid row refuses the whole import (:class:`ImportRefused` lists every problem) unless
``skip_invalid`` is given: then the valid rows are kept and the skipped ones listed in the
:class:`ImportResult`. Problems with the file itself (unknown format, no longitude column,
an ambiguous layer, an unreadable file) raise :class:`~corridor.errors.InvalidParameter`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from corridor import checks, crs
from corridor.errors import InvalidParameter
from corridor.gdalsafe import MAX_UNPACKED
from corridor.importcolumns import property_columns
from corridor.layerfiles import RawTable, check_encoding, file_format, read_csv, read_gdal
from corridor.region import LandRegion, format_distance

#: Rows checked between two progress reports.
CHUNK_ROWS = 20_000
#: Problems an :class:`ImportRefused` message lists (all are in its ``problems``).
MAX_LISTED = 30
FORMAT_TITLES = {"csv": "CSV", "geojson": "GeoJSON", "gpkg": "GeoPackage", "shapefile": "Shapefile",
                 "osm": "OpenStreetMap PBF"}

ObjectArray = NDArray[np.object_]
Problems = list[tuple[int, str]]


@dataclass(frozen=True)
class RowProblem:
    """Why row ``row`` (1-based data row) cannot be imported; ``line`` is its CSV file line."""

    row: int
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"row {self.row}" if self.line is None else f"row {self.row} (line {self.line})"
        return f"{where}: {self.reason}"


def list_problems(problems: Sequence[RowProblem], limit: int = MAX_LISTED) -> str:
    """One indented line per problem, at most ``limit``, then how many more there are."""
    lines = [f"  {p}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"  ... and {len(problems) - limit} more")
    return "\n".join(lines)


class ImportRefused(InvalidParameter):
    """Rows of the file are invalid: ``problems`` lists every one, the message the first
    :data:`MAX_LISTED`; ``rows_read`` and ``bad_rows`` count the rows."""

    def __init__(self, name: str, problems: Sequence[RowProblem], rows_read: int) -> None:
        self.problems = tuple(problems)
        self.rows_read = rows_read
        self.bad_rows = len({p.row for p in self.problems})
        super().__init__(
            f"{name}: import refused: {len(self.problems)} problem(s) in {self.bad_rows} of "
            f"{rows_read} rows\n{list_problems(self.problems)}")


@dataclass(frozen=True)
class ImportResult:
    """A checked layer: ``frame`` (WGS84; ``id`` first, then the properties, then the
    geometry) and how it was read."""

    frame: gpd.GeoDataFrame
    file: str
    format: str
    #: Data rows in the file (rows of empty CSV cells not counted).
    rows_read: int
    encoding: str | None
    coord_sys: str
    #: Where the ids came from: ``column 'code'``, ``GeoJSON feature ids``, ``row numbers``.
    id_source: str
    layer: str | None = None
    reprojected_from: str | None = None
    #: Problems of the rows left out (``skip_invalid``), by row.
    skipped: tuple[RowProblem, ...] = ()
    #: Columns renamed because the layer file reserves their names (old -> new).
    renamed: dict[str, str] = field(default_factory=dict)

    @property
    def skipped_rows(self) -> list[int]:
        """Row numbers left out, ascending."""
        return sorted({p.row for p in self.skipped})

    def describe(self) -> str:
        """One line for the record (:attr:`corridor.model.NewLayer.source`)."""
        parts = [FORMAT_TITLES[self.format]]
        if self.layer:
            parts.append(f"layer {self.layer}")
        if self.encoding:
            parts.append(f"encoding {self.encoding}")
        if self.reprojected_from:
            parts.append(f"reprojected from {self.reprojected_from}")
        parts.append("WGS84" if self.coord_sys == "wgs84" else f"{self.coord_sys} converted to WGS84")
        parts.append(f"ids from {self.id_source}")
        return f"{self.file} ({'; '.join(parts)})"


def read_layer(
    path: Path | str,
    *,
    coord_sys: str = "wgs84",
    encoding: str | None = None,
    id_field: str | None = None,
    layer: str | None = None,
    skip_invalid: bool = False,
    region: shapely.Geometry | LandRegion | None = None,
    progress: Callable[[int, int], None] | None = None,
    max_unpacked: int = MAX_UNPACKED,
) -> ImportResult:
    """Read the layer file ``path`` and check every row (see the module docstring).

    Parameters
    ----------
    path
        ``.csv`` (also ``.tsv``, ``.txt``), ``.geojson``/``.json``, ``.gpkg``, ``.zip``
        (a zipped Shapefile), ``.shp`` or ``.osm.pbf`` (the highway ways of an
        OpenStreetMap extract, :mod:`corridor.osmfile`). A layer of lines only is a road
        network; LineStrings and MultiLineStrings mixed are all stored as MultiLineStrings.
    coord_sys
        ``wgs84``, ``gcj02`` (AMap, Tencent) or ``bd09`` (Baidu): what the file's lon/lat
        are; converted to WGS84. A file declaring a projected CRS is reprojected by GDAL and
        must be ``wgs84``.
    encoding
        Text encoding of a CSV, GeoJSON or Shapefile ``.dbf``; by default UTF-8 (with or
        without BOM), else GB18030/GBK (:mod:`corridor.layerfiles`).
    id_field
        Column holding the feature ids (it becomes ``id``). By default: the GeoJSON
        Feature ``id`` members, else a column named ``id`` (any case), else the row number
        as text (``"1"``, ``"2"``, ...).
    layer
        The layer of a GeoPackage or zip holding several.
    skip_invalid
        Keep the valid rows and list the others in :attr:`ImportResult.skipped`, rather
        than refusing the import.
    region
        The land positions must lie on (lon/lat polygons, e.g.
        :func:`corridor.region.qingdao_land`, or a prepared :class:`LandRegion`); None
        skips that check.
    progress
        Called as ``progress(rows_checked, rows_total)`` as the rows are checked.
    max_unpacked
        Most bytes a zip's members may declare they unpack to; more refuses the file before
        any member is read (:class:`~corridor.gdalsafe.UnpackedTooLarge`).

    Returns
    -------
    ImportResult
        ``frame`` has ``id`` (unique non-empty strings), the property columns (str, int,
        float, bool; values that are lists or objects as JSON text; missing values kept as
        missing; a CSV column is numeric or boolean only when every cell is) and the WGS84
        geometry, in data order. The longitude/latitude columns of a CSV become the
        geometry, the ``id_field`` column the ids; a column named like the storage's own
        (:data:`corridor.importcolumns.RESERVED_COLUMNS`) is renamed (``fid`` -> ``fid_1``, see
        :attr:`ImportResult.renamed`). Rows of empty CSV cells are ignored.

    Raises
    ------
    ImportRefused
        If any row is invalid (without ``skip_invalid``), or no valid row remains.
    InvalidParameter
        For a problem with the file or the arguments (format, encoding, coordinate system,
        columns, layer, a GeoJSON nesting too deep, a zip unpacking to too much); messages
        name the file by its name, never by the directory it is in.
    MissingExtra
        For an ``.osm.pbf`` when pyosmium (the ``osm`` extra) is not installed.
    """
    path = Path(path)
    cs = checks.coord_sys(coord_sys)
    check_encoding(encoding)
    fmt = file_format(path)
    if not path.is_file():
        raise InvalidParameter(f"{path}: no such file")
    land = region if isinstance(region, LandRegion) or region is None else LandRegion(region)
    if fmt == "csv":
        raw = read_csv(path, encoding)
    elif fmt == "osm":
        from corridor.osmfile import read_osm  # pyosmium: only for OSM extracts

        raw = read_osm(path)
    else:
        raw = read_gdal(path, fmt, layer, encoding, max_unpacked)
    if raw.reprojected_from and cs != "wgs84":
        raise InvalidParameter(
            f"{path.name}: the file declares {raw.reprojected_from}; coordinate system {cs} "
            "applies only to lon/lat data (use wgs84 and let the file's CRS be reprojected)")
    n = len(raw.table)
    if n == 0:
        raise InvalidParameter(f"{path.name}: no rows to import")
    problems: Problems = list(raw.problems)
    geoms = _csv_points(raw, problems) if raw.lon_lat else raw.geometries
    assert geoms is not None
    checked = np.empty(n, dtype=object)
    for start in range(0, n, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, n)
        checked[start:stop] = _check_positions(geoms[start:stop], start, cs, land, problems,
                                               report_missing=raw.lon_lat is None)
        if progress is not None:
            progress(stop, n)
    ids, id_source, table = _assign_ids(raw, id_field, path.name, problems)
    table, renamed = property_columns(table, path.name, textual=fmt == "csv")
    report = _row_problems(raw, problems)
    if report and not skip_invalid:
        raise ImportRefused(path.name, report, n)
    keep = np.ones(n, dtype=bool)
    keep[[i for i, _ in problems]] = False
    if not keep.any():
        raise ImportRefused(path.name, report, n)
    frame = gpd.GeoDataFrame(table[keep].reset_index(drop=True),
                             geometry=gpd.array.from_shapely(_one_line_type(checked[keep])),
                             crs="EPSG:4326")
    frame.insert(0, "id", ids[keep])
    return ImportResult(frame, path.name, fmt, n, raw.encoding, cs, id_source, raw.layer,
                        raw.reprojected_from, tuple(report), renamed)


def _one_line_type(geoms: ObjectArray) -> ObjectArray:
    """Lines of both kinds all as MultiLineStrings: a layer file has one geometry type, and
    a layer of lines only is a road network (:func:`corridor.roads.is_network`)."""
    kinds = set(shapely.get_type_id(geoms).tolist())
    if kinds != {1, 5}:  # LineString, MultiLineString
        return geoms
    out = np.asarray(geoms, dtype=object).copy()
    single = shapely.get_type_id(out) == 1
    out[single] = [shapely.MultiLineString([g]) for g in out[single]]
    return out


def _row_problems(raw: RawTable, problems: Problems) -> list[RowProblem]:
    if not problems:
        return []
    lines = raw.lines()
    order = sorted(range(len(problems)), key=lambda k: problems[k][0])
    return [RowProblem(int(raw.row_numbers[problems[k][0]]), problems[k][1],
                       None if lines is None else int(lines[problems[k][0]])) for k in order]


# --- positions --------------------------------------------------------------------------------


def _num(value: float) -> str:
    return str(np.format_float_positional(value, precision=7, trim="-"))


def _coordinate(text: pd.Series, what: str, column: str, problems: Problems) -> NDArray[np.float64]:
    """The numbers of a CSV coordinate column (NaN where a problem was recorded)."""
    stripped = np.array([v.strip() for v in text.to_numpy(dtype=object)], dtype=object)
    values = pd.to_numeric(stripped, errors="coerce").astype(float)
    bad = ~np.isfinite(values)
    if bad.any():
        empty = stripped == ""
        for i in np.flatnonzero(bad):
            problems.append((int(i), f"missing {what} (column {column!r} is empty)" if empty[i]
                             else f"{what} {checks.shown(text.iloc[i])} is not a number"))
        values[bad] = np.nan
    return values


def _csv_points(raw: RawTable, problems: Problems) -> ObjectArray:
    assert raw.lon_lat is not None
    lon_name, lat_name, lon_text, lat_text = raw.lon_lat
    x = _coordinate(lon_text, "longitude", lon_name, problems)
    y = _coordinate(lat_text, "latitude", lat_name, problems)
    ok = np.isfinite(x) & np.isfinite(y)
    out = np.full(len(x), None, dtype=object)
    out[ok] = shapely.points(x[ok], y[ok])
    return out


def _to_wgs84(geoms: ObjectArray, cs: str) -> ObjectArray:
    if cs == "wgs84" or not len(geoms):
        return geoms
    return np.asarray(shapely.transform(
        geoms, lambda c: np.column_stack(crs.to_wgs84(c[:, 0], c[:, 1], cs))), dtype=object)


def _in_range(b: NDArray[np.float64]) -> NDArray[np.bool_]:
    with np.errstate(invalid="ignore"):
        return np.isfinite(b).all(axis=1) & (b[:, 0] >= -180) & (b[:, 2] <= 180) & (b[:, 1] >= -90) & (b[:, 3] <= 90)


def _swapped_fits(geoms: ObjectArray, cs: str, land: LandRegion) -> NDArray[np.bool_]:
    """Whether each geometry, its two axes exchanged, lies on the land."""
    swapped = np.asarray(shapely.transform(geoms, lambda c: c[:, ::-1]), dtype=object)
    ok = _in_range(shapely.bounds(swapped))
    fits = np.zeros(len(geoms), dtype=bool)
    fits[ok] = land.intersects(_to_wgs84(swapped[ok], cs))
    return fits


def _out_of_range(geoms: ObjectArray, bounds: NDArray[np.float64], cs: str,
                  land: LandRegion | None) -> list[str]:
    reasons = []
    for g, (x0, y0, x1, y1) in zip(geoms, bounds):
        if shapely.get_type_id(g) == 0:
            parts = []
            if not -180 <= x0 <= 180:
                parts.append(f"longitude {_num(x0)} is out of range (-180..180)")
            if not -90 <= y0 <= 90:
                parts.append(f"latitude {_num(y0)} is out of range (-90..90)")
            reasons.append("; ".join(parts))
        else:
            reasons.append(f"coordinates out of range (x {_num(x0)}..{_num(x1)}, y {_num(y0)}.."
                           f"{_num(y1)}); expected lon -180..180, lat -90..90")
    centres = (bounds[:, :2] + bounds[:, 2:]) / 2
    guesses = land.projected_guesses(centres[:, 0], centres[:, 1]) if land else [None] * len(geoms)
    swapped = _swapped_fits(geoms, cs, land) if land else np.zeros(len(geoms), dtype=bool)
    for k, (cx, cy) in enumerate(centres):
        if swapped[k]:
            reasons[k] += "; lon and lat look swapped: read the other way round it lies in Qingdao"
        elif guesses[k]:
            reasons[k] += (f"; the numbers look like metres in {guesses[k]}, which puts it in "
                           "Qingdao: convert them to WGS84 lon/lat")
        elif abs(cx) > 1000 and abs(cy) > 1000:
            reasons[k] += "; the numbers look like projected metres, not degrees"
    return reasons


def _off_land(given: ObjectArray, wgs: ObjectArray, cs: str, land: LandRegion) -> list[str]:
    dist = land.distance_m(wgs)
    swapped = _swapped_fits(given, cs, land)
    reasons = []
    for g, d, sw in zip(given, dist, swapped):
        if shapely.get_type_id(g) == 0:
            what = f"({_num(shapely.get_x(g))}, {_num(shapely.get_y(g))})"
        else:
            what = f"the {g.geom_type}"
        converted = "" if cs == "wgs84" else f" once converted from {cs}"
        reason = f"{what} lies {format_distance(d)} off {land.name}{converted} (in the sea or outside the city)"
        if sw:
            reason += "; lon and lat look swapped: read the other way round it lies in Qingdao"
        else:
            reason += f"; is the coordinate system right (declared {cs})?"
        reasons.append(reason)
    return reasons


def _check_positions(geoms: ObjectArray, offset: int, cs: str, land: LandRegion | None,
                     problems: Problems, report_missing: bool) -> ObjectArray:
    """The WGS84 geometry of each row whose position is valid (None for the others, whose
    problems are recorded at row index ``offset + k``)."""
    g = np.asarray(geoms, dtype=object)
    present = ~shapely.is_missing(g) & ~shapely.is_empty(g)
    bounds = shapely.bounds(g)
    in_range = present & _in_range(bounds)
    finite = np.isfinite(bounds).all(axis=1)
    is_point = shapely.get_type_id(g) == 0
    invalid = in_range & ~is_point & ~shapely.is_valid(g)
    ok = in_range & ~invalid
    out = np.full(len(g), None, dtype=object)
    out[ok] = _to_wgs84(g[ok], cs)
    found: list[tuple[NDArray[np.intp], list[str]]] = []
    if report_missing:
        miss = np.flatnonzero(~present)
        found.append((miss, ["no geometry"] * len(miss)))
    nonfinite = np.flatnonzero(present & ~finite)
    found.append((nonfinite, ["coordinates are not finite numbers"] * len(nonfinite)))
    far = np.flatnonzero(present & finite & ~in_range)
    found.append((far, _out_of_range(g[far], bounds[far], cs, land)))
    bad_shape = np.flatnonzero(invalid)
    found.append((bad_shape, [f"invalid geometry: {r}" for r in shapely.is_valid_reason(g[bad_shape])]))
    if land is not None:
        idx = np.flatnonzero(ok)
        off = idx[~land.intersects(out[idx])]
        found.append((off, _off_land(g[off], out[off], cs, land)))
        out[off] = None
    for rows, reasons in found:
        problems.extend((offset + int(i), r) for i, r in zip(rows, reasons))
    return out


# --- ids and properties -------------------------------------------------------------------


def _find_column(columns: Sequence[str], name: str) -> str | None:
    if name in columns:
        return name
    folded = [c for c in columns if c.lower() == name.lower()]
    return folded[0] if len(folded) == 1 else None


def _id_text(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _assign_ids(raw: RawTable, id_field: str | None, name: str,
                problems: Problems) -> tuple[ObjectArray, str, pd.DataFrame]:
    table = raw.table
    columns = [str(c) for c in table.columns]
    col = _find_column(columns, id_field or "id")
    if id_field is not None and col is None:
        raise InvalidParameter(f"{name}: no column {id_field!r} to take the ids from; the columns "
                               f"are {', '.join(map(repr, columns))}")
    if id_field is None and raw.feature_ids is not None:
        values: Any = raw.feature_ids
        source = "GeoJSON feature ids"
        if col is not None:
            same = [_id_text(v) for v in table[col]] == [_id_text(v) for v in values]
            if not same:
                raise InvalidParameter(
                    f"{name}: the features have both id members and an {col!r} property, which "
                    "differ; name the property holding the ids")
            table = table.drop(columns=col)
    elif col is not None:
        values, source = table[col], f"column {col!r}"
        table = table.drop(columns=col)
        clash = _find_column([c for c in columns if c != col], "id")
        if clash is not None:
            raise InvalidParameter(f"{name}: the ids come from column {col!r}, but column "
                                   f"{clash!r} would clash with them; rename or drop it")
    else:
        values, source = raw.row_numbers.astype(str), "row numbers"
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.StringDtype):
        ids = np.array([v.strip() or None for v in values.to_numpy(dtype=object)], dtype=object)
    else:
        ids = np.array([_id_text(v) for v in values], dtype=object)
    missing = np.array([v is None for v in ids], dtype=bool)
    for i in np.flatnonzero(missing):
        problems.append((int(i), f"empty id ({source})"))
    lengths = np.fromiter((len(v) if v is not None else 0 for v in ids), dtype=np.int64, count=len(ids))
    for i in np.flatnonzero(lengths > checks.MAX_ID):
        problems.append((int(i), f"id is {lengths[i]} characters long; expected at most {checks.MAX_ID}"))
    named = pd.Series(ids)[~missing]
    repeated = named.duplicated(keep="first")
    if repeated.any():
        first = pd.Series(named.index[~repeated], index=named[~repeated].to_numpy())
        for i, fid in named[repeated].items():
            problems.append((int(i), f"id {checks.shown(fid)} duplicates row {raw.row_numbers[first[fid]]}"))
    return ids, source, table
