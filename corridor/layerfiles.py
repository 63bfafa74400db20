"""Read the files a user imports as a layer, as they are: CSV (pandas), GeoJSON, GeoPackage
and Shapefile, zipped or not (pyogrio/GDAL). No validation of rows here, only of the file:
:mod:`corridor.importing` checks every row of what these return.

Text encodings follow one policy for every format that leaves it open (CSV, GeoJSON, a
Shapefile without a ``.cpg``): an explicit encoding wins; else UTF-8 (a BOM is dropped);
else, when the bytes are not all valid UTF-8: UTF-8 still if they hold more valid UTF-8
multi-byte characters than bad sequences (a UTF-8 file with a few bad bytes), else
whichever of UTF-8 and GB18030 (a superset of GBK) decodes them with fewer undecodable
sequences. Undecodable bytes are kept as U+FFFD and reported per row by the caller.
"""

from __future__ import annotations

import codecs
import csv
import glob
import io
import json
import threading
import warnings
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from numpy.typing import NDArray

from corridor.errors import InvalidParameter
from corridor.gdalsafe import MAX_UNPACKED, check_unpacked, gdal_message, to_lonlat
from corridor.geojson_input import check_nesting

FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".geojson": "geojson", ".json": "geojson",
           ".gpkg": "gpkg", ".zip": "shapefile", ".shp": "shapefile", ".pbf": "osm"}
#: Column names taken as longitude and latitude in a CSV (compared case-insensitively).
LON_NAMES = ("lon", "lng", "longitude", "经度")
LAT_NAMES = ("lat", "latitude", "纬度")
_SEPARATORS = (",", "\t", ";", "|")
#: What pyogrio raises for a file GDAL opened but cannot read through.
_GDAL_ERRORS = (pyogrio.errors.DataLayerError, pyogrio.errors.FieldError, pyogrio.errors.FeatureError,
                pyogrio.errors.GeometryError, pyogrio.errors.CRSError)

_recorded = threading.local()


def _record_undecodable(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _recorded.bad.append((exc.start, exc.object[exc.start:exc.end]))
    return "\ufffd", exc.end


codecs.register_error("corridor-record", _record_undecodable)


@dataclass
class Decoded:
    """Text decoded from bytes: the codec used and each undecodable sequence (byte offset,
    bytes), replaced by U+FFFD in ``text``."""

    text: str
    encoding: str
    bad: list[tuple[int, bytes]] = field(default_factory=list)

    def bad_lines(self, data: bytes) -> dict[int, bytes]:
        """Line number (1-based) -> the first undecodable bytes on it."""
        out: dict[int, bytes] = {}
        for start, raw in self.bad:
            out.setdefault(data.count(b"\n", 0, start) + 1, raw)
        return out


def _decode_recording(data: bytes, encoding: str) -> Decoded:
    _recorded.bad = []
    try:
        text = data.decode(encoding, errors="corridor-record")
        return Decoded(text, encoding, _recorded.bad)
    finally:
        _recorded.bad = []


def check_encoding(encoding: str | None) -> str | None:
    """``encoding`` itself if Python knows the codec (None passes).

    Raises
    ------
    InvalidParameter
        For an unknown encoding name.
    """
    if encoding is None:
        return None
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InvalidParameter(
            f"encoding {encoding!r} is not known; expected a codec name such as utf-8, gbk or gb18030"
        ) from None
    return encoding


def decode(data: bytes, encoding: str | None = None) -> Decoded:
    """Decode ``data`` by the module's encoding policy (see the module docstring)."""
    if encoding:
        return _decode_recording(data, encoding)
    if data.startswith(codecs.BOM_UTF8):
        return _decode_recording(data, "utf-8-sig")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    utf8 = _decode_recording(data, "utf-8")
    # Text in UTF-8 with a few bad bytes has far more valid multi-byte characters than bad
    # sequences; GBK read as UTF-8 has the opposite (only ~1 in 7 of its characters
    # happens to be valid UTF-8).
    valid = len(utf8.text) - len(utf8.text.encode("ascii", "ignore")) - len(utf8.bad)
    if valid > len(utf8.bad):
        return utf8
    gb = _decode_recording(data, "gb18030")
    return gb if len(gb.bad) < len(utf8.bad) else utf8


@dataclass
class RawTable:
    """A file as read: property columns, positions, feature ids, the reading's problems."""

    format: str
    encoding: str | None
    #: Property columns (for a CSV: every column but lon/lat, all text; "" for empty).
    table: pd.DataFrame
    #: 1-based number of each row in the file's data (CSV records after the header that are
    #: not blank, features in layer order); rows of empty cells are left out, so gaps occur.
    row_numbers: NDArray[np.int64]
    #: Geometries in the file's lon/lat (None when missing), for the GDAL formats.
    geometries: NDArray[np.object_] | None = None
    #: For a CSV: the longitude and latitude columns' names and texts.
    lon_lat: tuple[str, str, pd.Series, pd.Series] | None = None
    #: GeoJSON Feature ``id`` members (None where absent); None if no feature has one.
    feature_ids: list[Any] | None = None
    #: Source layer (GeoPackage table, Shapefile name).
    layer: str | None = None
    #: The CRS the file declared when it was reprojected to WGS84 (else None).
    reprojected_from: str | None = None
    #: Row index (0-based, into ``table``) -> problem found while reading (undecodable text).
    problems: list[tuple[int, str]] = field(default_factory=list)
    #: For a CSV, the file line each row starts on (computed when first asked).
    _lines: Any = field(default=None, repr=False)

    def lines(self) -> NDArray[np.int64] | None:
        """The file line each row starts on (a CSV's; None for other formats, or if the
        lines cannot be told)."""
        if callable(self._lines):
            self._lines = self._lines()
        return self._lines  # type: ignore[no-any-return]


def file_format(path: Path) -> str:
    """``csv``, ``geojson``, ``gpkg``, ``shapefile`` or ``osm`` (``.osm.pbf``), from the
    file name's extension.

    Raises
    ------
    InvalidParameter
        For any other extension.
    """
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InvalidParameter(
            f"{path.name}: cannot tell the format from the extension {path.suffix or '(none)'!r}; "
            "expected .csv (lon/lat columns), .geojson/.json, .gpkg, .zip/.shp (Shapefile) or "
            ".osm.pbf (OpenStreetMap roads)"
        )
    return fmt


# --- CSV --------------------------------------------------------------------------------------


def _separator(text: str) -> str:
    header = text.split("\n", 1)[0]
    counts = [header.count(s) for s in _SEPARATORS]
    return _SEPARATORS[int(np.argmax(counts))] if max(counts) else ","


def _column(names: Sequence[str], wanted: tuple[str, ...], what: str, path: Path) -> str:
    found = [n for n in names if n.strip().lower() in wanted]
    if len(found) == 1:
        return found[0]
    expected = ", ".join(wanted[:-1]) + f" or {wanted[-1]}"
    if found:
        raise InvalidParameter(
            f"{path.name}: columns {', '.join(map(repr, found))} all look like the {what}; keep one")
    raise InvalidParameter(
        f"{path.name}: no {what} column; expected one named {expected} (any case); "
        f"the columns are {', '.join(map(repr, names)) or '(none)'}")


def _record_lines(text: str, sep: str) -> NDArray[np.int64]:
    """The line each non-blank record after the header starts on (as pandas counts rows)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    starts = []
    line = reader.line_num + 1
    for i, record in enumerate(reader):
        if i and record:
            starts.append(line)
        line = reader.line_num + 1
    return np.asarray(starts, dtype=np.int64)


def read_csv(path: Path, encoding: str | None) -> RawTable:
    """A CSV with a header row, longitude and latitude columns (:data:`LON_NAMES`,
    :data:`LAT_NAMES`), separated by commas (or tabs, semicolons or bars: whichever the
    header holds most of). Every cell is read as text; rows of empty cells are dropped.

    Raises
    ------
    InvalidParameter
        If the file cannot be parsed (a row with more cells than the header, the header
        undecodable or repeating a name) or lacks a longitude or latitude column.
    """
    data = path.read_bytes()
    dec = decode(data, encoding)
    sep = _separator(dec.text)
    header = next(csv.reader(io.StringIO(dec.text, newline=""), delimiter=sep), [])
    if not header:
        raise InvalidParameter(f"{path.name}: the file is empty; expected a header row and data rows")
    bad_lines = dec.bad_lines(data)
    if 1 in bad_lines:
        raise InvalidParameter(f"{path.name}: the header line is not valid {dec.encoding} "
                               f"(bytes {bad_lines[1]!r}); pass the file's encoding")
    repeated = sorted({n for n in header if header.count(n) > 1 and n.strip()})
    if repeated:
        raise InvalidParameter(f"{path.name}: the header repeats the column name(s) "
                               f"{', '.join(map(repr, repeated))}; expected unique names")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            df = pd.read_csv(io.StringIO(dec.text), sep=sep, dtype=str, keep_default_na=False,
                             na_filter=False, skip_blank_lines=True, index_col=False)
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError) as exc:
        raise InvalidParameter(f"{path.name}: not a readable CSV: {str(exc).strip()}") from None
    df.columns = [name if name.strip() else f"column_{i + 1}" for i, name in enumerate(header)]
    lon_col = _column(list(df.columns), LON_NAMES, "longitude", path)
    lat_col = _column(list(df.columns), LAT_NAMES, "latitude", path)
    all_lines: list[NDArray[np.int64] | None] = []

    def record_lines() -> NDArray[np.int64] | None:
        if not all_lines:
            found = _record_lines(dec.text, sep)
            all_lines.append(found if len(found) == len(df) else None)
        return all_lines[0]

    problems = []
    if bad_lines:
        starts = record_lines()
        if starts is None:
            raise InvalidParameter(f"{path.name}: lines {', '.join(map(str, list(bad_lines)[:10]))} "
                                   f"are not valid {dec.encoding}; pass the file's encoding")
        rows = np.searchsorted(starts, np.fromiter(bad_lines, dtype=np.int64), side="right") - 1
        for (line, raw), row in zip(bad_lines.items(), rows):
            problems.append((int(row), f"text on line {line} is not valid {dec.encoding} "
                                       f"(bytes {raw!r}); pass the file's encoding"))
    keep = ~(df == "").all(axis=1).to_numpy()
    numbers = np.flatnonzero(keep) + 1
    if not keep.all():
        df = df[keep].reset_index(drop=True)
        renumber = np.cumsum(keep) - 1
        problems = [(int(renumber[r]), msg) for r, msg in problems if keep[r]]

    def kept_lines() -> NDArray[np.int64] | None:
        starts = record_lines()
        return None if starts is None else starts[keep]

    lon_txt, lat_txt = df.pop(lon_col), df.pop(lat_col)
    return RawTable("csv", dec.encoding, df, numbers, lon_lat=(lon_col, lat_col, lon_txt, lat_txt),
                    problems=problems, _lines=kept_lines)


# --- GDAL formats -------------------------------------------------------------------------


def _pick_layer(names: list[str], layer: str | None, path: Path) -> str:
    if layer is not None:
        if layer not in names:
            raise InvalidParameter(f"{path.name}: no layer {layer!r}; expected one of "
                                   f"{', '.join(map(repr, names))}")
        return layer
    if len(names) != 1:
        raise InvalidParameter(
            f"{path.name}: holds {len(names)} layers ({', '.join(map(repr, names)) or 'none'}); "
            "name the one to import")
    return names[0]


def _dbf_encoding(dbf: bytes, encoding: str | None) -> tuple[str, list[tuple[int, str]]]:
    """The encoding of a Shapefile's ``.dbf`` records by the module's policy, and the rows
    holding undecodable text."""
    header_len = int.from_bytes(dbf[8:10], "little")
    record_len = max(int.from_bytes(dbf[10:12], "little"), 1)
    dec = decode(dbf[header_len:], encoding)
    rows: dict[int, bytes] = {}
    for start, raw in dec.bad:
        rows.setdefault(start // record_len, raw)
    return dec.encoding, [(r, f"text is not valid {dec.encoding} (bytes {raw!r}); pass the "
                              "file's encoding") for r, raw in rows.items()]


@dataclass
class _ShapefileSource:
    path: str
    name: str
    #: What GDAL is told the ``.dbf`` text is (None: its own choice, from the ``.cpg``).
    gdal_encoding: str | None
    #: The encoding reported; the text is re-decoded from Latin-1 in it when it differs
    #: from ``gdal_encoding`` (rows holding undecodable bytes).
    encoding: str
    problems: list[tuple[int, str]]


def _shapefile_source(path: Path, layer: str | None, encoding: str | None,
                      max_unpacked: int) -> _ShapefileSource:
    """Where GDAL finds a Shapefile, zipped (``/vsizip/``) or not, and how to decode it (a
    zip whose members declare more than ``max_unpacked`` bytes is refused unread)."""
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                check_unpacked(zf, path.name, max_unpacked)  # before any member is read
                names = zf.namelist()
                shps = {Path(n).stem: n for n in names if n.lower().endswith(".shp")}
                name = _pick_layer(sorted(shps), layer, path)
                member = shps[name]
                sidecar = {Path(n).suffix.lower(): n for n in names if n[: -4] == member[: -4]}
                dbf = zf.read(sidecar[".dbf"]) if ".dbf" in sidecar else b""
                cpg = zf.read(sidecar[".cpg"]) if ".cpg" in sidecar else None
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError,
                EOFError, zlib.error) as exc:  # damaged, encrypted or an unknown compression
            raise InvalidParameter(f"{path.name}: not a readable zip file ({exc})") from None
        source = f"/vsizip/{path.resolve()}/{member}"
    else:
        name, source = path.stem, str(path)
        found = {p.suffix.lower(): p for p in path.parent.glob(f"{glob.escape(path.stem)}.*")}
        dbf = found[".dbf"].read_bytes() if ".dbf" in found else b""
        cpg = found[".cpg"].read_bytes() if ".cpg" in found else None
    if cpg is not None and encoding is None:
        return _ShapefileSource(source, name, None, cpg.decode("ascii", "replace").strip() or "UTF-8", [])
    if not dbf:
        return _ShapefileSource(source, name, encoding, encoding or "UTF-8", [])
    used, bad_rows = _dbf_encoding(dbf, encoding)
    return _ShapefileSource(source, name, "ISO-8859-1" if bad_rows else used, used, bad_rows)


def _redecode(frame: Any, codec: str) -> Any:
    """Text GDAL read as Latin-1, decoded in ``codec`` (undecodable bytes as U+FFFD)."""
    def fix(v: Any) -> Any:
        return v.encode("iso-8859-1").decode(codec, "replace") if isinstance(v, str) else v

    frame = frame.rename(columns=fix)
    for c in frame.columns:
        if c != frame.geometry.name and frame[c].dtype.kind in "OT":
            frame[c] = [fix(v) for v in frame[c]]
    return frame


def _geojson_ids(text: bytes) -> list[Any] | None:
    try:
        doc = json.loads(text)
    except ValueError:
        return None  # GDAL says what is wrong with it
    feats = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(feats, list):
        return None
    ids = [f.get("id") if isinstance(f, dict) else None for f in feats]
    return ids if any(i is not None for i in ids) else None


def read_gdal(path: Path, fmt: str, layer: str | None, encoding: str | None,
              max_unpacked: int = MAX_UNPACKED) -> RawTable:
    """A GeoJSON, GeoPackage or Shapefile layer via pyogrio, reprojected to WGS84 lon/lat
    when the file declares a CRS that is not lon/lat on WGS84 or CGCS2000. GDAL's messages
    name the file by its name only (:func:`corridor.gdalsafe.gdal_message`).

    Raises
    ------
    InvalidParameter
        If GDAL cannot read it, the layer is ambiguous or missing, (GeoJSON) its text is
        not valid in its encoding or nests too deep, or (zip) it declares more than
        ``max_unpacked`` bytes unpacked (:class:`~corridor.gdalsafe.UnpackedTooLarge`).
    """
    source: Any = str(path)
    problems: list[tuple[int, str]] = []
    feature_ids = None
    used = encoding
    try:
        if fmt == "geojson":
            data = path.read_bytes()
            dec = decode(data, encoding)
            if dec.bad:
                lines = dec.bad_lines(data)
                raise InvalidParameter(
                    f"{path.name}: line(s) {', '.join(map(str, list(lines)[:10]))} are not valid "
                    f"{dec.encoding} (bytes {next(iter(lines.values()))!r}); pass the file's encoding")
            text = dec.text.encode("utf-8")
            check_nesting(text, path.name)  # before any parser recurses into it
            used, feature_ids = dec.encoding, _geojson_ids(text)
            source, name = io.BytesIO(text), None
        elif fmt == "gpkg":
            with warnings.catch_warnings():  # GDAL's notes on the file: its errors say more
                warnings.simplefilter("ignore", RuntimeWarning)
                listed = pyogrio.list_layers(path)
            spatial = [str(n) for n, g in listed if g is not None] or [str(n) for n, _ in listed]
            name, used = _pick_layer(spatial, layer, path), "utf-8"
        else:
            shp = _shapefile_source(path, layer, encoding, max_unpacked)
            source, name, used, problems = shp.path, shp.name, shp.encoding, shp.problems
        with warnings.catch_warnings():
            # GDAL's own notes (e.g. "several features with id = 7"): the rows' checks say more
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = pyogrio.read_dataframe(source, layer=name, datetime_as_string=True, force_2d=True,
                                           encoding=shp.gdal_encoding if fmt == "shapefile" else None)
        if fmt == "shapefile" and shp.gdal_encoding != shp.encoding and shp.gdal_encoding:
            frame = _redecode(frame, shp.encoding)
    except UnicodeDecodeError as exc:
        raise InvalidParameter(f"{path.name}: text is not valid {used or 'UTF-8'} (bytes "
                               f"{exc.object[exc.start:exc.end]!r}); pass the file's encoding") from None
    except pyogrio.errors.DataSourceError as exc:
        raise InvalidParameter(f"{path.name}: GDAL cannot read it as {fmt}: "
                               f"{gdal_message(exc, path)}") from None
    except _GDAL_ERRORS as exc:
        raise InvalidParameter(f"{path.name}: GDAL cannot read its features: "
                               f"{gdal_message(exc, path)}") from None
    if not isinstance(frame, gpd.GeoDataFrame):  # a table without a geometry column
        raise InvalidParameter(f"{path.name}: layer {name or path.stem!r} has no geometry column; "
                               "expected a layer of points, lines or polygons")
    frame, reprojected_from = to_lonlat(frame, path)
    geoms = np.asarray(frame.geometry.array, dtype=object)
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    if feature_ids is not None and len(feature_ids) != len(table):
        feature_ids = None
    return RawTable(fmt, used or "utf-8", table, np.arange(1, len(table) + 1), geometries=geoms,
                    feature_ids=feature_ids, layer=name, reprojected_from=reprojected_from,
                    problems=problems)
