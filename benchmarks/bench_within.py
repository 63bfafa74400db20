"""Benchmark "within N km of each university campus" on a SYNTHETIC layer of random points.

Compares, on the same points and origins:

* engine  - corridor.geoindex.GeodesicIndex.within (metric STRtree filter + geodesic refinement of the
            thin band near the circle; membership only, distances=False);
* strtree - raw shapely STRtree ``query(..., predicate="dwithin")`` in EPSG:4549 metres,
            the practical floor in Python (plane distance, so not exactly geodesic);
* brute   - pyproj.Geod.inv from the campus to every point (exact, vectorised).

and checks that the three return the same sets up to points within 1 m of the circle.

Run:  .venv/bin/python -m benchmarks.bench_within [--points 1000000] [--seed 42]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import shapely
from pyproj import Geod

from corridor.crs import to_metric
from corridor.geoindex import GeodesicIndex

ROOT = Path(__file__).resolve().parent.parent
UNIVERSITIES = ROOT / "geodata" / "data" / "universities.geojson"
#: Approximate campus positions (WGS84, hand-placed, accurate to a few hundred metres at
#: best); used only when the real universities collection has not been built yet.
APPROX_CAMPUSES = {
    "ouc-laoshan (approx.)": (120.4960, 36.1620),
    "ouc-yushan (approx.)": (120.3370, 36.0640),
    "upc-huangdao (approx.)": (120.1730, 35.9470),
    "sdu-qingdao (approx.)": (120.6850, 36.3640),
    "sdust-huangdao (approx.)": (120.1240, 35.9990),
    "qdu-main (approx.)": (120.4230, 36.0730),
    "qust-laoshan (approx.)": (120.4900, 36.1170),
    "qut-huangdao (approx.)": (120.1900, 35.9700),
    "qau-chengyang (approx.)": (120.3960, 36.3200),
    "rehab-univ (approx.)": (120.4650, 36.1400),
}


def campuses() -> tuple[dict[str, tuple[float, float]], str]:
    if UNIVERSITIES.exists():
        doc = json.loads(UNIVERSITIES.read_text(encoding="utf-8"))
        pts = {
            f["properties"]["id"]: tuple(f["geometry"]["coordinates"][:2])
            for f in doc["features"]
            if f["geometry"]["type"] == "Point"
        }
        if pts:
            return pts, f"real universities collection ({UNIVERSITIES.relative_to(ROOT)})"
    return APPROX_CAMPUSES, "fixed list of APPROXIMATE campus coordinates (real data not built yet)"


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_within", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=1_000_000, help="number of synthetic points (default 1,000,000)")
    ap.add_argument("--seed", type=int, default=42, help="random seed for the synthetic points (default 42)")
    ap.add_argument("--km", type=float, nargs="+", default=[1.0, 5.0, 20.0], help="radii in km (default 1 5 20)")
    ap.add_argument("--repeat", type=int, default=3, help="timing repeats, best taken (default 3)")
    ap.add_argument("--no-brute", action="store_true", help="skip the brute-force geodesic baseline")
    args = ap.parse_args(argv)

    origins, source = campuses()
    rng = np.random.default_rng(args.seed)
    lon = rng.uniform(119.5, 121.0, args.points)
    lat = rng.uniform(35.6, 37.1, args.points)
    print(f"SYNTHETIC layer: {args.points:,} uniform random points over Qingdao "
          f"(119.5-121.0E, 35.6-37.1N), seed {args.seed}")
    print(f"origins: {len(origins)} campuses from the {source}")
    print(f"python {platform.python_version()}, shapely {shapely.__version__}, {platform.machine()}")

    t = time.perf_counter()
    layer = GeodesicIndex.from_lonlat(lon, lat)
    build = time.perf_counter() - t
    t = time.perf_counter()
    x, y = to_metric(lon, lat)
    raw_tree = shapely.STRtree(shapely.points(x, y))
    raw_build = time.perf_counter() - t
    print(f"index build: engine {build:.2f} s, raw STRtree {raw_build:.2f} s ({args.points:,} points)")

    geod = Geod(ellps="WGS84")
    brute_d = {}
    t_brute = 0.0
    if not args.no_brute:
        for name, (olon, olat) in origins.items():
            dt, d = best_of(lambda olon=olon, olat=olat: geod.inv(np.full(lon.shape, olon), np.full(lat.shape, olat), lon, lat)[2], 1)
            brute_d[name], t_brute = d, t_brute + dt

    print(f"\n{'km':>5} {'found':>10} {'engine s':>9} {'strtree s':>9} {'brute s':>8} "
          f"{'engine/strtree':>14} {'brute/engine':>12} {'engine>1m':>9} {'strtree>1m':>10}")
    for km in args.km:
        r = km * 1000
        t_eng = t_raw = 0.0
        found = 0
        bad = [0, 0]
        for name, (olon, olat) in origins.items():
            o = shapely.Point(olon, olat)
            dt, (pos, _) = best_of(lambda o=o, r=r: layer.within(o, r, distances=False), args.repeat)
            t_eng += dt

            def raw(olon: float = olon, olat: float = olat, r: float = r) -> np.ndarray:
                ox, oy = to_metric(olon, olat)
                return raw_tree.query(shapely.points(ox, oy), predicate="dwithin", distance=r)

            dt, raw_pos = best_of(raw, args.repeat)
            t_raw += dt
            found += len(pos)
            if brute_d:
                d = brute_d[name]
                truth = set(np.flatnonzero(d <= r).tolist())
                for j, got in enumerate((set(pos.tolist()), set(np.asarray(raw_pos).tolist()))):
                    diff = np.fromiter(got ^ truth, dtype=np.intp)
                    bad[j] += int(np.sum(np.abs(d[diff] - r) > 1.0))
        brute_col = f"{t_brute:8.2f}" if brute_d else f"{'-':>8}"
        ratio_b = f"{t_brute / t_eng:12.0f}" if brute_d else f"{'-':>12}"
        print(f"{km:5g} {found:10,} {t_eng:9.4f} {t_raw:9.4f} {brute_col} "
              f"{t_eng / t_raw:14.2f} {ratio_b} {bad[0]:9d} {bad[1]:10d}")
    print("\ntimes are totals over all campuses (best of --repeat each); brute force is the same for every radius;"
          "\nengine>1m / strtree>1m: points whose membership differs from brute force while more than 1 m from"
          "\nthe circle (the raw STRtree measures plane metres, whose scale error reaches metres at 20 km)")


if __name__ == "__main__":
    main()
