"""The property columns of an imported table: CSV text typed as the cells allow, other
values kept as scalars (or as JSON text), and the names a layer file reserves renamed."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np
import pandas as pd

from corridor.errors import InvalidParameter

#: Column names a layer file keeps for itself (GeoPackage row id, geometry column; the
#: frame's geometry), compared case-insensitively; such a property column is renamed.
RESERVED_COLUMNS = ("fid", "geom", "geometry")
#: What every cell of a CSV column must look like for the column to be read as numbers
#: (decimal, no thousands separators; integers up to 15 digits), or as booleans; the cells
#: are joined by newlines. A number with a leading zero (a phone number, a code) or an
#: integer too long for a float (an 18-digit code) keeps the column text.
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_NUMBERS = re.compile(rf"{_NUMBER}(?:\n{_NUMBER})*")
_INTEGERS = re.compile(r"[+-]?\d{1,15}(?:\n[+-]?\d{1,15})*")
_BOOLS = re.compile(r"(?i)(?:true|false)(?:\n(?:true|false))*")
_NOT_A_QUANTITY = re.compile(r"(?m)^[+-]?0\d|^[+-]?\d{16,}$")

def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _typed_text(col: pd.Series) -> pd.Series:
    """A CSV text column as bool, integer or float when every non-empty cell is one (and
    no number has a leading zero, like a phone number or a code), else as text; empty
    cells are missing."""
    text = col.to_numpy(dtype=object)
    present = text != ""
    if not present.any():
        return pd.Series([None] * len(col), dtype=object)
    vals = [v.strip() for v in text[present]]
    # Regular expressions over all cells at once, joined by newlines (a cell holding a
    # newline is text anyway).
    joined = "\n".join(vals)
    one_per_line = joined.count("\n") == len(vals) - 1
    if one_per_line and _BOOLS.fullmatch(joined):
        flags = pd.array([None] * len(col), dtype="boolean")
        flags[present] = np.array([v.lower() == "true" for v in vals])
        return pd.Series(flags)
    if one_per_line and _NUMBERS.fullmatch(joined) and not _NOT_A_QUANTITY.search(joined):
        num = np.asarray(vals, dtype=float)
        if _INTEGERS.fullmatch(joined):
            ints = pd.array([None] * len(col), dtype="Int64")
            ints[present] = num.astype(np.int64)
            return pd.Series(ints)
        floats = np.full(len(col), np.nan)
        floats[present] = num
        return pd.Series(floats)
    text[~present] = None
    return pd.Series(text, dtype=object)


def _scalar(col: pd.Series) -> pd.Series:
    """A GDAL-read column with lists and objects as JSON text and missing values as None."""
    if col.dtype.kind in "biufM":
        return col
    values = col.to_numpy(dtype=object)
    if all(isinstance(v, str) or _missing(v) for v in values):
        return pd.Series([None if _missing(v) else v for v in values], dtype=object)
    return pd.Series([None if _missing(v) else json.dumps(v, ensure_ascii=False, default=_json_default)
                      for v in values], dtype=object)


def property_columns(table: pd.DataFrame, name: str, textual: bool
                      ) -> tuple[pd.DataFrame, dict[str, str]]:
    """The typed property columns, with names a layer file can hold: a name taken by the
    storage (:data:`RESERVED_COLUMNS`) gets a suffix (``fid`` -> ``fid_1``); the renames
    are returned."""
    columns = [str(c) for c in table.columns]
    taken = {c.lower() for c in columns} | {"id"}
    renamed: dict[str, str] = {}
    seen: dict[str, str] = {}
    for c in columns:
        if c.lower() in seen:
            raise InvalidParameter(f"{name}: columns {seen[c.lower()]!r} and {c!r} differ only in "
                                   "case; a GeoPackage cannot hold both, rename one")
        seen[c.lower()] = c
        if c.lower() in RESERVED_COLUMNS:
            k = 1
            while f"{c}_{k}".lower() in taken:
                k += 1
            renamed[c] = f"{c}_{k}"
            taken.add(renamed[c].lower())
    convert = _typed_text if textual else _scalar
    typed = pd.DataFrame({renamed.get(c, c): convert(table[c].reset_index(drop=True)) for c in columns},
                         index=pd.RangeIndex(len(table)))
    return typed, renamed
