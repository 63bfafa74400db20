"""The catalog: every collection of the corridor, loaded once into GeoDataFrames.

Data lives in ``geodata/data/<collection>.geojson`` (built by ``geodata/build.py``) and the
collection metadata in ``geodata/collections.toml``. Loading validates structure
(:mod:`corridor.schema`) and refuses bad files with a :class:`~corridor.errors.DataError`
naming the file, feature and field.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely import STRtree
from shapely.geometry import shape

from corridor.crs import WGS84
from corridor.errors import DataError, NotFound
from corridor.schema import validate_feature_collection

#: Directory that holds the bundled geodata package (``geodata/``).
GEODATA_DIR = Path(__file__).resolve().parent.parent / "geodata"


@dataclass(frozen=True)
class Indicator:
    """One of the plan's seven main indicators (一(三) table)."""

    id: str
    number: int
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    baseline: float | None
    baseline_text: str
    baseline_year: int
    target: float
    target_text: str
    attribute_zh: str
    plan_ref: str
    plan_text: str


@dataclass(frozen=True)
class Collection:
    """A collection of features: metadata plus a GeoDataFrame indexed by feature id."""

    id: str
    group: str
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    geometry_types: tuple[str, ...]
    gdf: gpd.GeoDataFrame = field(repr=False)

    def title(self, lang: str = "en") -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def description(self, lang: str = "en") -> str:
        return self.description_zh if lang == "zh" else self.description_en

    @cached_property
    def tree(self) -> STRtree:
        """Shapely STRtree over the collection's geometries (positions match ``gdf`` rows)."""
        return STRtree(self.gdf.geometry.values)

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) in lon/lat."""
        minx, miny, maxx, maxy = self.gdf.total_bounds
        return float(minx), float(miny), float(maxx), float(maxy)

    def __len__(self) -> int:
        return len(self.gdf)

    def feature(self, fid: str) -> pd.Series:
        """Return the row of feature ``fid``.

        Raises
        ------
        NotFound
            If the collection has no feature with that id.
        """
        try:
            return self.gdf.loc[fid]
        except KeyError:
            raise NotFound(
                f"feature {fid!r} not found in collection {self.id!r}; "
                f"expected one of its {len(self.gdf)} feature ids"
            ) from None


@dataclass(frozen=True)
class Catalog:
    """All collections, in display order, plus the plan's indicators."""

    collections: dict[str, Collection]
    indicators: tuple[Indicator, ...]
    #: Digest of every data file loaded: changes exactly when the served data changes
    #: (the API derives its ETags from it).
    version: str = ""
    title_zh: str = "青岛湾区科创走廊"
    title_en: str = "Qingdao bay-area S&T innovation corridor"

    def collection(self, cid: str) -> Collection:
        """Return collection ``cid``.

        Raises
        ------
        NotFound
            If there is no such collection.
        """
        try:
            return self.collections[cid]
        except KeyError:
            raise NotFound(
                f"collection {cid!r} not found; expected one of {', '.join(self.collections)}"
            ) from None

    @cached_property
    def _feature_home(self) -> dict[str, str]:
        return {fid: cid for cid, c in self.collections.items() for fid in c.gdf.index}

    def locate(self, fid: str) -> tuple[Collection, pd.Series]:
        """Find feature ``fid`` in whichever collection holds it (ids are unique).

        Raises
        ------
        NotFound
            If no collection holds a feature with that id.
        """
        cid = self._feature_home.get(fid)
        if cid is None:
            raise NotFound(f"feature id {fid!r} not found in any collection")
        c = self.collections[cid]
        return c, c.gdf.loc[fid]

    @property
    def extent(self) -> tuple[float, float, float, float]:
        bounds = [c.extent for c in self.collections.values() if len(c)]
        return (
            min(b[0] for b in bounds),
            min(b[1] for b in bounds),
            max(b[2] for b in bounds),
            max(b[3] for b in bounds),
        )

    @classmethod
    def load(cls, geodata_dir: Path | str | None = None) -> Catalog:
        """Load and validate every collection from ``geodata_dir`` (default: bundled data).

        Raises
        ------
        DataError
            If a file is missing, unreadable or fails validation.
        """
        root = Path(geodata_dir) if geodata_dir is not None else GEODATA_DIR
        meta_path = root / "collections.toml"
        meta = _read_toml(meta_path)
        digest = hashlib.sha256(meta_path.read_bytes())
        collections: dict[str, Collection] = {}
        seen_ids: dict[str, str] = {}
        for entry in meta.get("collection", []):
            cid = entry["id"]
            path = root / "data" / f"{cid}.geojson"
            doc = _read_json(path)
            digest.update(path.read_bytes())
            geometry_types = tuple(entry["geometry"])
            validate_feature_collection(doc, str(path), cid, geometry_types)
            for feat in doc["features"]:
                fid = feat["properties"]["id"]
                if fid in seen_ids:
                    raise DataError(
                        str(path), fid, "id", f"duplicate id, already used in {seen_ids[fid]!r}"
                    )
                seen_ids[fid] = cid
            collections[cid] = Collection(
                id=cid,
                group=entry["group"],
                title_zh=entry["title_zh"],
                title_en=entry["title_en"],
                description_zh=entry["description_zh"],
                description_en=entry["description_en"],
                geometry_types=geometry_types,
                gdf=_to_gdf(doc),
            )
        indicators_path = root / "data" / "indicators.json"
        indicators = _load_indicators(indicators_path)
        digest.update(indicators_path.read_bytes())
        return cls(collections=collections, indicators=indicators, version=digest.hexdigest()[:16])


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise DataError(str(path), None, None, "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise DataError(str(path), None, None, f"not valid TOML: {exc}") from None


def _read_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise DataError(str(path), None, None, "file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(str(path), None, None, f"not valid JSON: {exc}") from None


def _to_gdf(doc: dict[str, Any]) -> gpd.GeoDataFrame:
    rows = [dict(f["properties"]) for f in doc["features"]]
    geoms = [shape(f["geometry"]) for f in doc["features"]]
    gdf = gpd.GeoDataFrame(rows, geometry=geoms, crs=WGS84)
    if len(gdf):
        gdf = gdf.set_index("id", drop=False)
        gdf.index.name = None
    return gdf


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
    "plan_ref": str,
    "plan_text": str,
}


def _load_indicators(path: Path) -> tuple[Indicator, ...]:
    doc = _read_json(path)
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
        baseline = item.get("baseline")
        if baseline is not None and not isinstance(baseline, (int, float)):
            raise DataError(str(path), name, "baseline", "expected a number or null")
        # every field's type was checked above
        fields: dict[str, Any] = {k: item.get(k) for k in Indicator.__dataclass_fields__}
        out.append(Indicator(**fields))
    return tuple(out)
