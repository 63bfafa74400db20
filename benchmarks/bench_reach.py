"""Travel-time reach on a SYNTHETIC road network of about 100,000 edges, in process.

The network is a square grid of ``--side`` x ``--side`` nodes 100 m apart (224: 99,904
edges) laid over Laoshan district: every tenth street a primary road (60 km/h), every
other a residential street (30 km/h), every fifth north-south residential street one-way.
It is stored as a user layer (one GeoPackage, as ``corridor import`` makes it) and read
by the in-process engine. Timed:

- the graph build (once per layer version: the first reach after an import pays it);
- warm reaches (the graph built) from ``--origins`` random origins inside the grid, for
  each case: the whole answer of ``FeatureStore.reach`` (walk-off, Dijkstra, the area's
  grid and polygon), p50 / p95 / max in milliseconds, with the nodes reached, and the p50 of
  the CPU time the process spent on it (on a shared machine, wall time also counts the time
  other processes had the cores).

It prints a table, the machine's load average before and after, and writes
``benchmarks/results/reach.json``. Nothing here is a real street.

    .venv/bin/python -m benchmarks.bench_reach
    .venv/bin/python -m benchmarks.bench_reach --side 100 --origins 10
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Sequence

import numpy as np

from benchmarks.harness import RESULTS_DIR

#: (mode, minutes) asked from every origin.
CASES = (("walk", 15.0), ("cycle", 15.0), ("drive", 10.0), ("drive", 15.0), ("drive", 30.0),
         ("drive", 120.0))
SPACING_M = 100.0


def network(side: int):
    """The SYNTHETIC grid as a layer frame: one LineString per street."""
    import geopandas as gpd
    import shapely

    from corridor.crs import CGCS2000_GK_CM120E, WGS84, transformer

    x0, y0 = transformer(WGS84, CGCS2000_GK_CM120E).transform(120.42, 36.08)
    to_ll = transformer(CGCS2000_GK_CM120E, WGS84)
    along = np.arange(side) * SPACING_M
    lines, highway, oneway, ids = [], [], [], []
    for k in range(side):
        for name, (xs, ys) in (("ew", (x0 + along, np.full(side, y0 + k * SPACING_M))),
                               ("ns", (np.full(side, x0 + k * SPACING_M), y0 + along))):
            lines.append(shapely.LineString(np.column_stack(to_ll.transform(xs, ys))))
            highway.append("primary" if k % 10 == 0 else "residential")
            oneway.append("yes" if name == "ns" and k % 5 == 2 else None)
            ids.append(f"syn-{name}-{k}")
    return gpd.GeoDataFrame({"id": ids, "highway": highway, "oneway": oneway},
                            geometry=lines, crs="EPSG:4326")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_reach",
                                 description=(__doc__ or "").split("\n\n")[0],
                                 epilog="Writes benchmarks/results/reach.json.")
    ap.add_argument("--side", type=int, default=224,
                    help="nodes per side of the SYNTHETIC grid (default 224: 99,904 edges)")
    ap.add_argument("--origins", type=int, default=30, help="random origins per case (default 30)")
    ap.add_argument("--seed", type=int, default=7, help="seed of the origins (default 7)")
    args = ap.parse_args(argv)

    from corridor.crs import CGCS2000_GK_CM120E, WGS84, transformer
    from corridor.model import NewLayer
    from corridor.store import Engine

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-reach-") as root:
        store = Engine.user_layers(root)
        store.put_layer(NewLayer("roads", network(args.side), title_en="SYNTHETIC grid (benchmark)"))
        t = time.perf_counter()
        graph = store.graph("roads")
        build_s = time.perf_counter() - t
        print(f"SYNTHETIC grid {args.side} x {args.side}: {graph.nodes:,} nodes, "
              f"{graph.segments:,} edges; graph built in {build_s:.2f} s")
        x0, y0 = transformer(WGS84, CGCS2000_GK_CM120E).transform(120.42, 36.08)
        to_ll = transformer(CGCS2000_GK_CM120E, WGS84)
        rng = np.random.default_rng(args.seed)
        span = (args.side - 1) * SPACING_M
        xy = rng.uniform(0.25 * span, 0.75 * span, size=(args.origins, 2))
        origins = [tuple(map(float, to_ll.transform(x0 + x, y0 + y))) for x, y in xy]
        store.reach("roads", origins[0], 5.0, "walk")  # warm: the graph is cached now
        rows = []
        print(f"{'mode':<6} {'min':>5} {'nodes p50':>10} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
              f"{'cpu p50':>8}")
        for mode, minutes in CASES:
            ms, cpu, nodes = [], [], []
            for origin in origins:
                t, c = time.perf_counter(), time.process_time()
                r = store.reach("roads", origin, minutes, mode)
                ms.append((time.perf_counter() - t) * 1000.0)
                cpu.append((time.process_time() - c) * 1000.0)
                nodes.append(r.nodes_reached)
            q = statistics.quantiles(ms, n=20) if len(ms) > 1 else ms * 19
            row = {"mode": mode, "minutes": minutes, "nodes_p50": int(statistics.median(nodes)),
                   "p50_ms": round(statistics.median(ms), 1), "p95_ms": round(q[18], 1),
                   "max_ms": round(max(ms), 1), "cpu_p50_ms": round(statistics.median(cpu), 1),
                   "n": len(ms)}
            rows.append(row)
            print(f"{mode:<6} {minutes:>5g} {row['nodes_p50']:>10,} {row['p50_ms']:>8} "
                  f"{row['p95_ms']:>8} {row['max_ms']:>8} {row['cpu_p50_ms']:>8}")
    load_after = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores; load average (1, 5, 15 min) before "
          f"{load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, after "
          f"{load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / "reach.json"
    out.write_text(json.dumps({"side": args.side, "nodes": graph.nodes, "edges": graph.segments,
                               "build_s": round(build_s, 3), "cases": rows,
                               "load_before": load_before, "load_after": load_after,
                               "cores": os.cpu_count()}, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
