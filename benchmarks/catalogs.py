"""The SYNTHETIC catalogs of the HTTP benchmark: the bundled geodata copied as is, plus,
when asked, one collection of seeded uniform random points over Qingdao whose names and
provenance say they are synthetic; and the answers a catalog must give, computed from its
files alone (not with the service's code, which is what the benchmark checks)."""

from __future__ import annotations

import json
import shutil
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.harness import ROOT

BUNDLED_GEODATA = ROOT / "geodata"

#: Id of the synthetic collection added to catalogs (b) and (c).
SYNTHETIC_CID = "synthetic"
#: (min lon, min lat, max lon, max lat) the synthetic points are drawn from, uniformly.
SYNTHETIC_BOX = (120.0, 35.9, 120.7, 36.5)
DEFAULT_SEED = 42
#: Decimal places kept in synthetic coordinates (1e-6 degree is about 0.1 m).
COORD_DECIMALS = 6

_SYNTHETIC_TOML = """
# SYNTHETIC collection written by benchmarks/catalogs.py: random points, not real data.
[[collection]]
id = "{cid}"
group = "institutions"
geometry = ["Point"]
title_zh = "合成基准测试点(SYNTHETIC,非真实数据)"
title_en = "SYNTHETIC benchmark points (not real data)"
description_zh = "{n} 个在青岛上空均匀随机生成的合成点(经度 {x0}-{x1},纬度 {y0}-{y1},随机种子 {seed}),仅供性能测试"
description_en = "{n} SYNTHETIC uniform random points over Qingdao (lon {x0}-{x1}, lat {y0}-{y1}, seed {seed}), for benchmarks only"
"""


def synthetic_points(n: int, seed: int = DEFAULT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes of ``n`` uniform random points in :data:`SYNTHETIC_BOX`.

    Parameters
    ----------
    n
        Number of points.
    seed
        Seed of numpy's default generator: the same seed gives the same points.

    Returns
    -------
    tuple of numpy.ndarray
        ``(lon, lat)``, each of length ``n``, rounded to :data:`COORD_DECIMALS` places.
    """
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = SYNTHETIC_BOX
    lon = np.round(rng.uniform(x0, x1, n), COORD_DECIMALS)
    lat = np.round(rng.uniform(y0, y1, n), COORD_DECIMALS)
    return lon, lat


def synthetic_feature(number: int, lon: float, lat: float, seed: int) -> dict[str, Any]:
    """One SYNTHETIC point feature carrying every property the catalog's schema requires.

    Its names and provenance say it is synthetic. ``plan_ref``/``plan_text`` (required,
    non-empty, outside the basemap) say that it quotes nothing: ``corridor validate``
    rightly reports such a feature as not found in the plan, while the loader, which checks
    structure only, accepts it.

    Parameters
    ----------
    number
        1-based number of the point, used in its id and names.
    lon, lat
        Position (WGS84).
    seed
        Seed the point was drawn with (recorded in its provenance).

    Returns
    -------
    dict
        A GeoJSON Feature.
    """
    fid = f"{SYNTHETIC_CID}-{number:06d}"
    return {
        "type": "Feature",
        "id": fid,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "id": fid,
            "name_zh": f"合成基准测试点 {number}(SYNTHETIC)",
            "name_en": f"SYNTHETIC benchmark point {number}",
            "kind": "synthetic_benchmark_point",
            "industries_zh": [],
            "industries_en": [],
            "plan_ref": "none (SYNTHETIC benchmark data)",
            "plan_text": "SYNTHETIC benchmark data: quotes nothing from the plan",
            "source": f"SYNTHETIC: uniform random point made by benchmarks/catalogs.py "
                      f"(seed {seed}); not a real place",
            "source_zh": f"合成数据:由 benchmarks/catalogs.py 均匀随机生成(随机种子 {seed}),"
                         f"并非真实地点",
            "accuracy_m": 1,
            "approximate": True,
            "position_note": "SYNTHETIC: a random position, not of any real place",
            "position_note_zh": "合成数据:随机位置,不对应任何真实地点",
        },
    }


def synthetic_collection(n: int, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """GeoJSON FeatureCollection of ``n`` SYNTHETIC points (see :func:`synthetic_points`)."""
    lon, lat = synthetic_points(n, seed)
    features = [
        synthetic_feature(i + 1, float(x), float(y), seed)
        for i, (x, y) in enumerate(zip(lon.tolist(), lat.tolist()))
    ]
    return {"type": "FeatureCollection", "features": features}


def write_json(path: Path, doc: Any) -> int:
    """Write ``doc`` as compact UTF-8 JSON; return the number of bytes written."""
    data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    path.write_bytes(data)
    return len(data)


def build_catalog(dest: Path, n_synthetic: int = 0, seed: int = DEFAULT_SEED) -> Path:
    """Write a catalog directory the service can load from ``CORRIDOR_GEODATA_DIR``.

    The bundled geodata (``geodata/collections.toml`` and ``geodata/data/*``) is copied as
    is; with ``n_synthetic > 0`` a collection :data:`SYNTHETIC_CID` of that many SYNTHETIC
    points is appended (last in map order).

    Parameters
    ----------
    dest
        Directory to write (created if missing).
    n_synthetic
        Number of synthetic points; 0 for the bundled data alone.
    seed
        Seed of the synthetic points.

    Returns
    -------
    pathlib.Path
        ``dest``.
    """
    data = dest / "data"
    data.mkdir(parents=True, exist_ok=True)
    for src in sorted((BUNDLED_GEODATA / "data").iterdir()):
        if src.suffix in {".geojson", ".json"}:
            shutil.copyfile(src, data / src.name)
    toml = (BUNDLED_GEODATA / "collections.toml").read_text(encoding="utf-8")
    if n_synthetic > 0:
        x0, y0, x1, y1 = SYNTHETIC_BOX
        toml += _SYNTHETIC_TOML.format(cid=SYNTHETIC_CID, n=f"{n_synthetic:,}", seed=seed,
                                       x0=x0, x1=x1, y0=y0, y1=y1)
        write_json(data / f"{SYNTHETIC_CID}.geojson", synthetic_collection(n_synthetic, seed))
    (dest / "collections.toml").write_text(toml, encoding="utf-8")
    return dest


def count_in_bbox(doc: dict[str, Any], bbox: Sequence[float]) -> int:
    """Number of Point features of ``doc`` inside ``bbox`` (edges included)."""
    x0, y0, x1, y1 = bbox
    n = 0
    for feat in doc["features"]:
        lon, lat = feat["geometry"]["coordinates"][:2]
        n += x0 <= lon <= x1 and y0 <= lat <= y1
    return n


def expected_near_count(catalog_dir: Path, of: str, km: float,
                        slack_m: float = 50.0) -> tuple[int, int]:
    """How many features ``/api/near?of=<of>&km=<km>`` must return, computed from the files
    alone (not with the service's own code, which is what is being checked).

    Counted: every placed feature of the collections outside the basemap group, except the origin,
    whose geometry comes within ``km`` of the origin's point (0 inside a polygon, else to
    its edge). Distances are measured in an azimuthal equidistant projection centred on the
    origin, where a distance from the centre is the geodesic one (edges are straight there,
    which moves them well under a metre at these sizes).

    Parameters
    ----------
    catalog_dir
        A catalog directory (``collections.toml`` and ``data/``).
    of
        Id of the origin feature (a Point).
    km
        Radius.
    slack_m
        A feature this close to the circle may go either way (the service densifies edges
        its own way): it widens the range returned rather than failing the check.

    Returns
    -------
    tuple of int
        (features within ``km`` less the slack, within ``km`` plus the slack).
    """
    import pyproj
    import shapely
    from shapely.geometry import shape

    meta = tomllib.loads((catalog_dir / "collections.toml").read_text(encoding="utf-8"))
    features = []
    for entry in meta["collection"]:
        if entry["group"] != "basemap":
            path = catalog_dir / "data" / f"{entry['id']}.geojson"
            features += json.loads(path.read_text(encoding="utf-8"))["features"]
    (origin,) = [f for f in features if f["properties"]["id"] == of]
    lon, lat = origin["geometry"]["coordinates"][:2]
    local = pyproj.CRS.from_dict({"proj": "aeqd", "lat_0": lat, "lon_0": lon, "datum": "WGS84"})
    to_local = pyproj.Transformer.from_crs("EPSG:4326", local, always_xy=True)

    def project(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(to_local.transform(xy[:, 0], xy[:, 1]))

    centre = shapely.Point(0.0, 0.0)
    dist = np.array([shapely.transform(shape(f["geometry"]), project).distance(centre)
                     for f in features if f["properties"]["id"] != of and f["geometry"]])
    r = km * 1000.0
    return int(np.sum(dist <= r - slack_m)), int(np.sum(dist <= r + slack_m))
