"""Test-side views of the data, independent of the store under test.

:class:`FileCatalog` reads a geodata directory with geopandas (GDAL), so tests derive their
expectations from the files themselves rather than from the code that serves them.
:func:`synthetic_store` builds a store over SYNTHETIC features written in a test.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from corridor.store import GEODATA_DIR, MemoryStore


@dataclass
class FileCollection:
    id: str
    group: str
    roles: frozenset[str]
    title_zh: str
    title_en: str
    geometry_types: tuple[str, ...]
    gdf: gpd.GeoDataFrame

    def __len__(self) -> int:
        return len(self.gdf)

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    @property
    def extent(self) -> tuple[float, float, float, float]:
        return tuple(float(v) for v in self.gdf.total_bounds)  # type: ignore[return-value]

    def feature(self, fid: str) -> pd.Series:
        return self.gdf.loc[fid]


class FileCatalog:
    """Every collection of a geodata directory as GeoDataFrames indexed by feature id."""

    def __init__(self, root: Path | str = GEODATA_DIR) -> None:
        root = Path(root)
        meta = tomllib.loads((root / "collections.toml").read_text(encoding="utf-8"))
        self.collections: dict[str, FileCollection] = {}
        for e in meta["collection"]:
            gdf = gpd.read_file(root / "data" / f"{e['id']}.geojson")
            # GDAL reads list properties as JSON text; the raw file has the lists.
            raw = json.loads((root / "data" / f"{e['id']}.geojson").read_text(encoding="utf-8"))
            for name in ("industries_zh", "industries_en"):
                if name in gdf:
                    gdf[name] = [f["properties"].get(name, []) for f in raw["features"]]
            gdf = gdf.set_index("id", drop=False)
            gdf.index.name = None
            self.collections[e["id"]] = FileCollection(
                e["id"], e["group"], frozenset(e.get("roles", [])), e["title_zh"], e["title_en"],
                tuple(e["geometry"]), gdf)
        self.indicators = json.loads((root / "data" / "indicators.json").read_text(encoding="utf-8"))

    def collection(self, cid: str) -> FileCollection:
        return self.collections[cid]

    def locate(self, fid: str) -> tuple[FileCollection, pd.Series]:
        for c in self.collections.values():
            if fid in c.gdf.index:
                return c, c.gdf.loc[fid]
        raise KeyError(fid)

    @property
    def extent(self) -> tuple[float, float, float, float]:
        b = [c.extent for c in self.collections.values() if len(c)]
        return (min(x[0] for x in b), min(x[1] for x in b), max(x[2] for x in b), max(x[3] for x in b))


def synthetic_points(n: int, seed: int | None = None) -> list[dict[str, Any]]:
    """``n`` SYNTHETIC point features (invented, labelled so) that pass the schema.

    Without ``seed`` they sit on a regular grid from (120.0, 36.0), 100 a row; with one,
    uniformly at random over lon 120.0-120.7, lat 35.9-36.5.
    """
    rng = None if seed is None else np.random.default_rng(seed)
    out = []
    for i in range(n):
        fid = f"synthetic-point-{i:05d}"
        props = {
            "id": fid, "name_zh": f"合成点{i}", "name_en": f"Synthetic point {i}", "kind": "synthetic",
            "industries_zh": [], "industries_en": [], "plan_ref": "测试", "plan_text": "合成测试数据",
            "source": "synthetic test fixture; not a real place", "source_zh": "合成测试数据;非真实地点",
            "accuracy_m": 1.0, "approximate": True, "position_note": "", "position_note_zh": "",
            "group": i % 7,
        }
        if rng is None:
            point = [round(120.0 + (i % 100) * 0.005, 6), round(36.0 + (i // 100) * 0.003, 6)]
        else:
            point = [round(float(rng.uniform(120.0, 120.7)), 6), round(float(rng.uniform(35.9, 36.5)), 6)]
        out.append({"type": "Feature", "id": fid, "geometry": {"type": "Point", "coordinates": point},
                    "properties": props})
    return out


def geodata_with_synthetic(root: Path, features: list[dict[str, Any]], base: Path) -> Path:
    """A geodata directory at ``root``: a copy of ``base`` plus the collection ``synthetic``
    holding ``features`` (SYNTHETIC, see :func:`synthetic_points`)."""
    shutil.copytree(base, root, dirs_exist_ok=True)
    with (root / "collections.toml").open("a", encoding="utf-8") as fh:
        fh.write(
            '\n[[collection]]\nid = "synthetic"\ngroup = "institutions"\nroles = ["near"]\n'
            'geometry = ["Point"]\ntitle_zh = "合成点(测试)"\ntitle_en = "Synthetic points (test only)"\n'
            'description_zh = "测试用合成数据,非真实地点"\n'
            'description_en = "SYNTHETIC test data: invented points, not real places"\n'
        )
    (root / "data" / "synthetic.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8")
    return root


def bundled_roles() -> dict[str, list[str]]:
    """Collection id -> roles, as the bundled collections.toml gives them."""
    meta = tomllib.loads((GEODATA_DIR / "collections.toml").read_text(encoding="utf-8"))
    return {e["id"]: list(e.get("roles", [])) for e in meta["collection"]}


def synthetic_store(spec: dict[str, list[dict[str, Any]]]) -> MemoryStore:
    """A store over SYNTHETIC rows: collection id -> rows with ``id``, ``geometry`` (shapely)
    and any properties. Collections keep the bundled roles of their id (basemap, at...)."""
    roles = bundled_roles()
    base = {"name_zh": "", "name_en": "", "industries_zh": [], "industries_en": []}
    cols = []
    for cid, rows in spec.items():
        feats = []
        for r in rows:
            props = {**base, **{k: v for k, v in r.items() if k != "geometry"}}
            feats.append({"type": "Feature", "geometry": mapping(r["geometry"]), "properties": props})
        types = sorted({r["geometry"].geom_type for r in rows})
        cols.append(({"id": cid, "group": "basemap" if "basemap" in roles.get(cid, []) else "plan",
                      "roles": roles.get(cid, []), "geometry": types, "title_zh": cid,
                      "title_en": cid}, feats))
    return MemoryStore.from_features(cols)


@cache
def qingdao_land_file() -> Any:
    """The union of the bundled district polygons, read with geopandas (not the store)."""
    return gpd.read_file(GEODATA_DIR / "data" / "districts.geojson").geometry.union_all()


def synthetic_land_points(n: int, seed: int = 0, inset_deg: float = 0.02) -> np.ndarray:
    """``n`` SYNTHETIC WGS84 (lon, lat) positions, uniformly at random over Qingdao's land
    (the bundled districts) and at least ``inset_deg`` (about 2 km) inside its outline."""
    land = shapely.buffer(qingdao_land_file(), -inset_deg)
    minx, miny, maxx, maxy = land.bounds
    rng = np.random.default_rng(seed)
    out = np.empty((0, 2))
    while len(out) < n:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(2 * n + 10, 2))
        out = np.concatenate([out, xy[shapely.contains_xy(land, xy[:, 0], xy[:, 1])]])
    return np.round(out[:n], 6)


def synthetic_frame(n: int, seed: int = 7) -> gpd.GeoDataFrame:
    """``n`` SYNTHETIC firms (invented, not real places) around Qingdao's bays."""
    rng = np.random.default_rng(seed)
    score = rng.uniform(0, 100, n)
    score[::10] = np.nan  # some missing values
    return gpd.GeoDataFrame(
        {
            "id": [f"syn-{i}" for i in range(n)],
            "name_en": [f"SYNTHETIC firm {i}" for i in range(n)],
            "kind": rng.choice(["chip", "marine", "bio"], n),
            "staff": rng.integers(1, 500, n),
            "listed": rng.random(n) < 0.2,
            "score": score,
        },
        geometry=shapely.points(rng.uniform(120.0, 120.7, n), rng.uniform(35.9, 36.5, n)),
        crs="EPSG:4326",
    )
