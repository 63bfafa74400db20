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
from geographiclib.geodesic import Geodesic
from shapely.geometry import mapping, shape

from corridor.store import GEODATA_DIR, Engine


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


#: The ``collections.toml`` entry of the SYNTHETIC collection :func:`geodata_with_synthetic` adds.
SYNTHETIC_ENTRY: dict[str, Any] = {
    "id": "synthetic", "group": "institutions", "roles": ["near"], "geometry": ["Point"],
    "title_zh": "合成点(测试)", "title_en": "Synthetic points (test only)",
    "description_zh": "测试用合成数据,非真实地点",
    "description_en": "SYNTHETIC test data: invented points, not real places",
}
#: The entry of a SYNTHETIC user layer (as an import makes one), tagged with the plan's
#: high-tech enterprises indicator.
SYNTHETIC_USER_ENTRY: dict[str, Any] = {
    **SYNTHETIC_ENTRY, "group": "user", "roles": [], "geometry": ["Point", "Polygon"],
    "title_zh": "SYNTHETIC 合成企业(测试)", "title_en": "SYNTHETIC enterprises (test only)",
    "indicator": "high-tech-enterprises",
}


def geodata_with_synthetic(root: Path, features: list[dict[str, Any]], base: Path,
                           entry: dict[str, Any] | None = None) -> Path:
    """A geodata directory at ``root``: a copy of ``base`` plus the collection ``synthetic``
    holding ``features`` (SYNTHETIC, see :func:`synthetic_points`), described by ``entry``
    (default :data:`SYNTHETIC_ENTRY`; its id must stay ``synthetic``)."""
    shutil.copytree(base, root, dirs_exist_ok=True)
    entry = entry or SYNTHETIC_ENTRY
    lines = ["", "[[collection]]"] + [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in entry.items()]
    with (root / "collections.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    (root / "data" / "synthetic.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8")
    return root


def bundled_roles() -> dict[str, list[str]]:
    """Collection id -> roles, as the bundled collections.toml gives them."""
    meta = tomllib.loads((GEODATA_DIR / "collections.toml").read_text(encoding="utf-8"))
    return {e["id"]: list(e.get("roles", [])) for e in meta["collection"]}


def synthetic_store(spec: dict[str, list[dict[str, Any]]]) -> Engine:
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
    return Engine.from_features(cols)


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
def bundled_with(entry: dict[str, Any], features: list[dict[str, Any]]) -> Engine:
    """A store over every bundled collection, read from its files as they are, plus one
    collection (``entry`` as in ``collections.toml``, ``features`` SYNTHETIC), with the
    bundled indicators."""
    meta = tomllib.loads((GEODATA_DIR / "collections.toml").read_text(encoding="utf-8"))
    cols = [(e, json.loads((GEODATA_DIR / "data" / f"{e['id']}.geojson").read_text(encoding="utf-8"))["features"])
            for e in meta["collection"]]
    return Engine.from_features(cols + [(entry, features)], Engine.load().indicators())


def _square(lon: float, lat: float, half: float) -> dict[str, Any]:
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
            [lon - half, lat + half], [lon - half, lat - half]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def synthetic_user_layer(seed: int = 7, n_random: int = 3000, ring_km: float = 5.0) -> list[dict[str, Any]]:
    """SYNTHETIC features of a user layer (invented, labelled so) that pass the schema:

    - ``n_random`` points uniformly over Qingdao's land and sea (lon 119.6-121.0, lat 35.6-37.0);
    - a point at a representative point of each park, and one on a vertex of each park's
      outline (a boundary: it counts for the park);
    - points 40 m inside and 40 m outside ``ring_km`` (geodesic) of each university campus;
    - 20 squares about 1-2 km across, some straddling district boundaries;
    - 5 features whose location is not published (null geometry).
    """
    rng = np.random.default_rng(seed)
    template = synthetic_points(1)[0]["properties"]
    coords: list[Any] = [("Point", [round(float(rng.uniform(119.6, 121.0)), 6),
                                    round(float(rng.uniform(35.6, 37.0)), 6)]) for _ in range(n_random)]
    parks = json.loads((GEODATA_DIR / "data" / "parks.geojson").read_text(encoding="utf-8"))["features"]
    for park in parks:
        if park["geometry"] is not None:
            g = shape(park["geometry"])
            p = g.representative_point()
            coords.append(("Point", [p.x, p.y]))
            coords.append(("Point", [float(v) for v in shapely.get_coordinates(g)[0]]))
    unis = json.loads((GEODATA_DIR / "data" / "universities.geojson").read_text(encoding="utf-8"))["features"]
    for uni in unis:
        if uni["geometry"] is None:
            continue
        lon, lat = uni["geometry"]["coordinates"]
        for azimuth in (10.0, 100.0, 200.0, 290.0):
            for metres in (ring_km * 1000 - 40, ring_km * 1000 + 40):
                d = Geodesic.WGS84.Direct(lat, lon, azimuth, metres)
                coords.append(("Point", [d["lon2"], d["lat2"]]))
    for _ in range(20):
        coords.append(("Polygon", _square(float(rng.uniform(119.8, 120.9)), float(rng.uniform(35.8, 36.9)),
                                          float(rng.uniform(0.005, 0.01)))))
    coords += [(None, None)] * 5
    out = []
    for i, (gtype, c) in enumerate(coords):
        fid = f"synthetic-enterprise-{i:05d}"
        props = {**template, "id": fid, "name_zh": f"合成企业{i}", "name_en": f"SYNTHETIC enterprise {i}",
                 "kind": "synthetic", "group": i % 7}
        geom: dict[str, Any] | None
        if gtype is None:
            props["position_basis"] = "unplaced"
            geom = None
        elif gtype == "Point":
            geom = {"type": "Point", "coordinates": c}
        else:
            geom = c
        out.append({"type": "Feature", "id": fid, "geometry": geom, "properties": props})
    return out


# --- brute force: every feature against every zone, no index ------------------------------


def _geoms(features):
    return [None if f["geometry"] is None else shape(f["geometry"]) for f in features]


def brute_zones(features, zones):
    """zone id -> ids of the features it covers (points, boundary included) or intersects
    (polygons); None for a zone with no geometry. Every feature against every zone."""
    geoms = _geoms(features)
    out = {}
    for zid, zone in zones.gdf.geometry.items():
        if zone is None:
            out[zid] = None
            continue
        out[zid] = {f["id"] for f, g in zip(features, geoms) if g is not None and (
            zone.covers(g) if g.geom_type == "Point" else zone.intersects(g))}
    return out


def geodesic_m(lon, lat, geom):
    """Shortest WGS84 geodesic from (lon, lat) to ``geom``: 0 inside a polygon, else the
    least distance to its outline sampled every ~50 m (exact for a point)."""
    if geom.geom_type == "Point":
        return Geodesic.WGS84.Inverse(lat, lon, geom.y, geom.x)["s12"]
    if geom.covers(shapely.Point(lon, lat)):
        return 0.0
    ring = shapely.get_coordinates(shapely.segmentize(geom.boundary, 0.0005))
    return min(Geodesic.WGS84.Inverse(lat, lon, y, x)["s12"] for x, y in ring)


def brute_campuses(features, campuses, km):
    geoms = _geoms(features)
    out = {}
    for cid, campus in campuses.gdf.geometry.items():
        if campus is None:
            out[cid] = None
            continue
        near = set()
        for f, g in zip(features, geoms):
            if g is None:
                continue
            d = geodesic_m(campus.x, campus.y, g)
            assert abs(d - km * 1000) > 1.0, f"{f['id']} sits on the {km} km line; change the seed"
            if d <= km * 1000:
                near.add(f["id"])
        out[cid] = near
    return out


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
