"""Benchmark ``corridor import`` end to end on a SYNTHETIC CSV of points over Qingdao's land.

Writes N invented points (uniform over the bundled district polygons, labelled SYNTHETIC in
every row) as a UTF-8 CSV, then runs ``python -m web.cli import FILE --layer ...`` in a
fresh process, as a user would, into a temporary layers directory, and times the whole
command (interpreter start, loading the bundled data, reading, checking every row, writing
the GeoPackage with its R-tree). It checks that every row was stored. A second, in-process
run splits the time into reading + checking (corridor.importing.read_layer) and storing
(Engine.put_layer).

Run:  .venv/bin/python -m benchmarks.bench_import [--points 100000] [--seed 7] [--repeat 3]
      [--crs wgs84|gcj02|bd09]
The issue's target: 100,000 points in under 10 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from corridor import crs
from corridor.importing import read_layer
from corridor.model import NewLayer
from corridor.region import LandRegion, qingdao_land
from corridor.store import Engine

ROOT = Path(__file__).resolve().parent.parent
DISTRICTS = ROOT / "geodata" / "data" / "districts.geojson"
INDUSTRIES = ("新一代信息技术", "高端装备", "海洋科技", "生物医药", "新材料", "新能源")


def synthetic_csv(path: Path, n: int, seed: int, coord_sys: str) -> None:
    """``n`` SYNTHETIC points drawn uniformly over Qingdao's land (500 m inside its outline,
    so none falls off it by chance), written in ``coord_sys``."""
    land = shapely.buffer(gpd.read_file(DISTRICTS).geometry.union_all(), -0.005)
    x0, y0, x1, y1 = land.bounds
    rng = np.random.default_rng(seed)
    xy = np.empty((0, 2))
    while len(xy) < n:
        cand = rng.uniform((x0, y0), (x1, y1), size=(2 * n, 2))
        xy = np.concatenate([xy, cand[shapely.contains_xy(land, cand[:, 0], cand[:, 1])]])
    lon, lat = crs.from_wgs84(xy[:n, 0], xy[:n, 1], coord_sys)
    pd.DataFrame({
        "id": [f"syn-{i:06d}" for i in range(n)],
        "name": [f"合成企业{i}(SYNTHETIC)" for i in range(n)],
        "industry": [INDUSTRIES[i % len(INDUSTRIES)] for i in range(n)],
        "staff": rng.integers(5, 5000, n),
        "founded": rng.integers(1990, 2025, n),
        "lon": np.round(lon, 6),
        "lat": np.round(lat, 6),
    }).to_csv(path, index=False)


def time_cli(path: Path, layers: Path, coord_sys: str, n: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "web.cli", "import", str(path), "--layer",
                           "bench", "--crs", coord_sys, "--layers-dir", str(layers)],
                          capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"corridor import failed ({proc.returncode}):\n{proc.stderr}")
    stored = Engine.user_layers(layers).collection("bench").count
    if stored != n:
        sys.exit(f"expected {n} features stored, found {stored}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_import", description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--crs", choices=("wgs84", "gcj02", "bd09"), default="wgs84")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic-firms.csv"
        synthetic_csv(path, args.points, args.seed, args.crs)
        print(f"SYNTHETIC CSV: {args.points:,} points over Qingdao's land, seed {args.seed}, "
              f"{args.crs}, {path.stat().st_size / 1e6:.1f} MB")
        print(f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cpus")
        runs = [time_cli(path, Path(tmp) / "layers", args.crs, args.points) for _ in range(args.repeat)]
        print(f"corridor import (whole command, new process; replaces the layer after the first): "
              f"best {min(runs):.2f} s, median {statistics.median(runs):.2f} s "
              f"({', '.join(f'{r:.2f}' for r in runs)})")

        catalog = Engine.load()
        t0 = time.perf_counter()
        land = LandRegion(qingdao_land(catalog))
        t1 = time.perf_counter()
        result = read_layer(path, coord_sys=args.crs, region=land)
        t2 = time.perf_counter()
        Engine.user_layers(Path(tmp) / "split").put_layer(NewLayer(id="bench", frame=result.frame))
        t3 = time.perf_counter()
        print(f"in process: land region {t1 - t0:.2f} s, read + check {t2 - t1:.2f} s, "
              f"store {t3 - t2:.2f} s")


if __name__ == "__main__":
    main()
