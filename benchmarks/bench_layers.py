"""Query latency on a user layer of 100,000 SYNTHETIC points, through the API.

The layer is stored with the real layer store (one GeoPackage, as ``corridor import`` makes
it) in a temporary directory; ``corridor``'s app then runs under gunicorn exactly as in
``benchmarks.bench_http`` (2 sync workers, preloaded) and this script sends requests one at a time,
each on a new connection, timing each from send to last byte:

- ``/healthz`` (the framework's trivial endpoint, measured in the same run as a reference);
- bbox, limit 10: a box about 2 km across in central Qingdao (Shinan/Shibei);
- near, limit 10: within 5 km of a university campus (``ouc-yushan``), sorted by distance;
- an attribute filter (CQL2) on the same layer, for comparison;
- the same bbox after an edit (POST with the admin token), so the timing includes the worker
  catching up with another process's write.

It prints p50 and p95 in milliseconds and writes ``benchmarks/results/layers.json``. The
points are SYNTHETIC: random positions over lon 120.0-120.7, lat 35.9-36.5; no real firm.

    .venv/bin/python -m benchmarks.bench_layers            # 100,000 points, 300 requests each
    .venv/bin/python -m benchmarks.bench_layers --points 20000 --requests 100
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.harness import RESULTS_DIR, Server, fetch, free_port, load_test_helper, server_env

TOKEN = "benchmark-token"
BBOX = "120.370,36.060,120.392,36.078"  # about 2 km x 2 km, central Qingdao
NEAR = "near=ouc-yushan&km=5"


def make_layer(root: Path, n: int) -> float:
    """Store ``n`` SYNTHETIC points as layer ``firms``; return the seconds it took."""
    from corridor.model import NewLayer
    from corridor.store import Engine

    frame = load_test_helper("datafiles").synthetic_frame(n, seed=11)
    t0 = time.perf_counter()
    Engine.user_layers(root).put_layer(NewLayer("firms", frame, title_en="SYNTHETIC firms (benchmark)"))
    return time.perf_counter() - t0


def timings(url: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        r = fetch(url)
        if r.status != 200:
            raise SystemExit(f"error: {url} answered {r.status}: {r.body[:300]!r}")
        out.append(r.seconds * 1000.0)
    return out


def summary(ms: Sequence[float]) -> dict[str, float]:
    q = statistics.quantiles(ms, n=20)
    return {"p50_ms": round(statistics.median(ms), 2), "p95_ms": round(q[18], 2), "n": len(ms)}


def post(url: str, body: dict[str, Any]) -> int:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Content-Type": "application/geo+json", "Authorization": f"Bearer {TOKEN}"})
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req, timeout=30) as resp:
        return int(resp.status)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_layers", description=__doc__.split("\n\n")[0],
                                 epilog="Writes benchmarks/results/layers.json.")
    ap.add_argument("--points", type=int, default=100_000, help="SYNTHETIC points in the layer (default 100000)")
    ap.add_argument("--requests", type=int, default=300, help="requests per endpoint (default 300)")
    args = ap.parse_args(argv)
    if args.points < 1000 or args.requests < 20:
        ap.error("--points must be >= 1000 and --requests >= 20")
    with tempfile.TemporaryDirectory() as tmp:
        layers = Path(tmp) / "layers"
        store_s = make_layer(layers, args.points)
        env = server_env({"CORRIDOR_LAYERS_DIR": str(layers), "CORRIDOR_ADMIN_TOKEN": TOKEN})
        server = Server("ours", "web:create_app()", free_port(), env, Path(tmp) / "server.log")
        server.launch()
        try:
            start_s = server.wait_ready("/healthz", "application/json", 120)
            base = server.base
            items = f"{base}/api/collections/firms/items"
            urls = {
                "healthz": f"{base}/healthz",
                "bbox_limit10": f"{items}?bbox={BBOX}&limit=10",
                "near5km_limit10": f"{items}?{NEAR}&limit=10",
                "cql_limit10": f"{items}?filter=staff%20%3E%20400%20AND%20kind%20%3D%20%27chip%27&limit=10",
            }
            for url in urls.values():  # warm both workers
                timings(url, 4)
            results: dict[str, Any] = {}
            for name, url in urls.items():
                results[name] = summary(timings(url, args.requests))
            after = []
            for i in range(min(args.requests, 50)):
                post(items, {"type": "Feature", "id": f"bench-{i}", "properties": {"kind": "chip"},
                             "geometry": {"type": "Point", "coordinates": [120.38, 36.07]}})
                after += timings(f"{urls['bbox_limit10']}", 1)
            results["bbox_after_each_edit"] = summary(after)
        finally:
            server.terminate()
    doc = {"points": args.points, "layer_store_seconds": round(store_s, 2),
           "server_start_seconds": round(start_s, 2), "results": results,
           "note": "SYNTHETIC points; sequential requests, each on a new connection; gunicorn 2 sync workers"}
    out = RESULTS_DIR / "layers.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"{args.points:,} SYNTHETIC points stored in {store_s:.2f} s; server ready in {start_s:.2f} s")
    print(f"{'endpoint':<24}{'p50 ms':>10}{'p95 ms':>10}{'x healthz p50':>16}")
    ref = results["healthz"]["p50_ms"]
    for name, r in results.items():
        print(f"{name:<24}{r['p50_ms']:>10.2f}{r['p95_ms']:>10.2f}{r['p50_ms'] / ref:>16.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
