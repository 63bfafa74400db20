"""Read a geodata directory: ``collections.toml``, ``data/<collection>.geojson`` for each
collection it lists, and ``data/indicators.json``.

Reading validates structure (:mod:`corridor.schema`) and refuses a bad file with a
:class:`~corridor.errors.DataError` naming the file, feature and field. The bundled data
lives in the ``geodata`` package beside this one (built by ``geodata/build.py``).
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shapely.geometry.base import BaseGeometry

from corridor.errors import DataError, InvalidParameter
from corridor.indicators import check_indicator
from corridor.model import ROLES, Indicator
from corridor.schema import validate_feature_collection

#: Directory that holds the bundled geodata package (``geodata/``).
GEODATA_DIR = Path(__file__).resolve().parent.parent.parent / "geodata"


@dataclass(frozen=True)
class CollectionFile:
    """One collection as read from disk: its metadata entry, features and geometries."""

    entry: dict[str, Any]
    path: Path
    features: list[dict[str, Any]]
    geometries: list[BaseGeometry]
    digest: str


@dataclass(frozen=True)
class GeodataDir:
    """Everything a geodata directory holds, validated."""

    collections: list[CollectionFile]
    indicators: tuple[Indicator, ...]
    digest: str


def read_geodata(root: Path | str | None = None) -> GeodataDir:
    """Read and validate every file of ``root`` (default: the bundled data).

    Raises
    ------
    DataError
        If a file is missing, unreadable or fails validation, or an id is used twice.
    """
    root = Path(root) if root is not None else GEODATA_DIR
    meta_path = root / "collections.toml"
    meta = _read_toml(meta_path)
    digest = hashlib.sha256(meta_path.read_bytes())
    out: list[CollectionFile] = []
    seen: dict[str, str] = {}
    for entry in meta.get("collection", []):
        cid = entry["id"]
        path = root / "data" / f"{cid}.geojson"
        raw = _read_bytes(path)
        digest.update(raw)
        doc = _parse_json(raw, path)
        roles = frozenset(entry.get("roles", []))
        unknown = roles - ROLES
        if unknown:
            raise DataError(str(meta_path), cid, "roles",
                            f"unknown role(s) {sorted(unknown)}; expected some of {sorted(ROLES)}")
        geoms = validate_feature_collection(doc, str(path), cid, tuple(entry["geometry"]), roles)
        for feat in doc["features"]:
            fid = feat["properties"]["id"]
            if fid in seen:
                raise DataError(str(path), fid, "id", f"duplicate id, already used in {seen[fid]!r}")
            seen[fid] = cid
        out.append(CollectionFile(entry, path, doc["features"], geoms,
                                  hashlib.sha256(raw).hexdigest()[:16]))
    indicators_path = root / "data" / "indicators.json"
    raw = _read_bytes(indicators_path)
    digest.update(raw)
    indicators = _indicators(_parse_json(raw, indicators_path), indicators_path)
    for cf in out:
        if cf.entry.get("indicator") is not None:
            try:
                cf.entry["indicator"] = check_indicator(indicators, cf.entry["indicator"]).id
            except InvalidParameter as exc:
                raise DataError(str(meta_path), cf.entry["id"], "indicator", str(exc)) from None
    return GeodataDir(out, indicators, digest.hexdigest()[:16])


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise DataError(str(path), None, None, "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise DataError(str(path), None, None, f"not valid TOML: {exc}") from None


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError(str(path), None, None, "file not found") from None
    except OSError as exc:
        raise DataError(str(path), None, None, f"cannot be read: {exc.strerror}") from None


def _parse_json(raw: bytes, path: Path) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(str(path), None, None, f"not valid JSON: {exc}") from None


_INDICATOR_FIELDS: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "number": int,
    "name_zh": str,
    "name_en": str,
    "unit_zh": str,
    "unit_en": str,
    "baseline_text": str,
    "baseline_year": int,
    "target": (int, float),
    "target_text": str,
    "attribute_zh": str,
    "attribute_en": str,
    "plan_ref": str,
    "plan_ref_en": str,
    "plan_text": str,
}
#: English value texts: needed only where the Chinese text is not plain digits and signs.
_PLAIN_VALUE = re.compile(r"^[0-9.,%+\-∗*]*$")


def _indicators(doc: Any, path: Path) -> tuple[Indicator, ...]:
    if not isinstance(doc, list):
        raise DataError(str(path), None, None, "expected a JSON list of indicators")
    out = []
    for i, item in enumerate(doc):
        name = item.get("id", f"#{i}") if isinstance(item, dict) else f"#{i}"
        if not isinstance(item, dict):
            raise DataError(str(path), name, None, "expected an object")
        for key, typ in _INDICATOR_FIELDS.items():
            value = item.get(key)
            if not isinstance(value, typ) or (isinstance(value, str) and not value.strip()):
                raise DataError(str(path), name, key, f"missing or not a non-empty {typ}")
        for key in ("baseline_text", "target_text"):
            if not _PLAIN_VALUE.match(item[key]) and not str(item.get(f"{key}_en") or "").strip():
                raise DataError(str(path), name, f"{key}_en",
                                f"missing; {key} {item[key]!r} has words, so the English page needs "
                                "its English text")
        baseline = item.get("baseline")
        if baseline is not None and not isinstance(baseline, (int, float)):
            raise DataError(str(path), name, "baseline", "expected a number or null")
        # every field's type was checked above
        fields: dict[str, Any] = {k: item.get(k) for k in Indicator.__dataclass_fields__}
        fields["baseline_text_en"] = item.get("baseline_text_en") or ""
        fields["target_text_en"] = item.get("target_text_en") or ""
        out.append(Indicator(**fields))
    return tuple(out)
