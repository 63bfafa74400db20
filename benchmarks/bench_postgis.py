"""The PostGIS store with 1,000,000 SYNTHETIC points: query latency, and throughput with one
and two app processes sharing the database.

The database is a throwaway PostgreSQL + PostGIS server started for the run (tests/pg.py:
Debian's ``postgresql`` and ``postgresql-15-postgis-3``), unless ``--database-url`` names an
empty database. The script

1. initialises the schema, loads the bundled catalog (``corridor db init``, ``db load``) and
   imports a layer ``firms`` of ``--points`` SYNTHETIC points (random positions over lon
   120.0-120.7, lat 35.9-36.5, seeded; no real firm) through the store's import path;
2. times the store's queries in this process (the database's work plus the store's), one
   at a time: bbox limit 10 (a box about 2 km across in central Qingdao), within 5 km of a
   university campus as an items page (limit 10, sorted by distance, with the exact number
   matched), the same as the full list of every point within 5 km, a z11 vector tile over
   central Qingdao (``ST_AsMVT``; the densest tile of the layer), and the per-request
   version check;
3. serves the app with ``corridor serve`` (gunicorn, 1 worker x 4 threads, pool of 4) and,
   once it has rendered its pages (in the background at start), times the same bbox and
   near requests over HTTP, each on a new connection;
4. measures throughput of the bbox request with wrk: one app process alone, then two app
   processes (two ``corridor serve`` of one worker each, on one database) loaded side by
   side. The machine has 2 cores shared by the database, the app processes and wrk, so the
   second process can add little: the ratio says how much.

Prints a table and writes ``benchmarks/results/postgis.json``.

    .venv/bin/python -m benchmarks.bench_postgis                    # 1,000,000 points, ~9 min
    .venv/bin/python -m benchmarks.bench_postgis --points 100000 --requests 50 --duration 5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.harness import (
    RESULTS_DIR,
    Server,
    ServerError,
    fetch,
    free_port,
    load_test_helper,
    server_env,
)
from benchmarks.wrk import parse_wrk, run_wrk
from corridor.tilematrix import TMS

LAYER = "firms"
CAMPUS = "ouc-yushan"
BBOX = (120.370, 36.060, 120.392, 36.078)  # about 2 km x 2 km, central Qingdao
KM = 5.0
ZOOM = 11


def timed(fn: Callable[[], Any], n: int) -> dict[str, float]:
    """p50 and p95 in ms of ``n`` calls of ``fn`` (after 5 warm-up calls)."""
    for _ in range(5):
        fn()
    ms = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1000.0)
    q = statistics.quantiles(ms, n=20)
    return {"p50_ms": round(statistics.median(ms), 2), "p95_ms": round(q[18], 2), "n": n}


def prepare(url: str, points: int) -> dict[str, float]:
    """Schema, catalog and the SYNTHETIC layer; returns the seconds each took."""
    import psycopg

    from corridor.model import NewLayer
    from corridor.store import Engine
    from corridor.store.pgschema import migrate
    from corridor.store.pgwrite import load_catalog
    from corridor.store.postgis import PostgisStore

    out = {}
    t0 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
        load_catalog(conn, Engine.load())
    out["schema_and_catalog_s"] = round(time.perf_counter() - t0, 2)
    frame = load_test_helper("datafiles").synthetic_frame(points, seed=11)
    store = PostgisStore(url)
    try:
        t0 = time.perf_counter()
        store.put_layer(NewLayer(LAYER, frame, title_en="SYNTHETIC firms (benchmark)"))
        out["import_s"] = round(time.perf_counter() - t0, 2)
    finally:
        store.close()
    return out


def store_latency(url: str, n: int) -> dict[str, Any]:
    from corridor.model import ItemsQuery
    from corridor.store.postgis import PostgisStore

    store = PostgisStore(url)
    try:
        store.refresh()
        campus = store.get("universities", CAMPUS).geometry
        x, y, _ = TMS.tile(campus.x, campus.y, ZOOM)  # the one tile matrix definition
        near = ItemsQuery(near=campus, near_m=KM * 1000, near_id=CAMPUS, limit=10)
        box = ItemsQuery(bbox=BBOX, limit=10)
        out: dict[str, Any] = {
            "bbox_limit10": timed(lambda: store.items(LAYER, box), n),
            "near5km_limit10": timed(lambda: store.items(LAYER, near), n),
            "within5km_all": timed(lambda: store.within(LAYER, campus, KM * 1000), max(n // 5, 10)),
            f"tile_z{ZOOM}": timed(lambda: store.tile(LAYER, ZOOM, x, y).data, max(n // 4, 10)),
            "version_check": timed(store.refresh, n),
        }
        out["counts"] = {"bbox": store.items(LAYER, box).matched,
                         "near5km": store.items(LAYER, near).matched,
                         "tile": f"{ZOOM}/{x}/{y}, {len(store.tile(LAYER, ZOOM, x, y).data)} bytes"}
        return out
    finally:
        store.close()


def page_urls(url: str) -> list[tuple[str, str]]:
    """(URL, Accept-Language) of every page variant a ``corridor serve`` worker renders in
    the background at start (:func:`web.serve.warm`), for the database at ``url``."""
    from web import create_app
    from web.serve import page_paths

    app = create_app({"DATABASE_URL": url})
    try:
        paths = page_paths(app)
    finally:
        app.extensions["corridor_store"].close()
    return [(u, lang) for path in paths for lang in ("zh", "en") for u in (f"{path}?lang={lang}", path)]


class App(Server):
    """``corridor serve`` on the database (one gunicorn worker), in a child.

    Each worker renders the pages in the background at start (their statistics query the
    database), which must not share the machine with the timed requests: the app counts as
    ready once it answers every page of ``pages`` from its cache and has gone idle.
    """

    def __init__(self, url: str, pages: Sequence[tuple[str, str]], threads: int = 4) -> None:
        port = free_port()
        env = server_env({"CORRIDOR_DATABASE_URL": url, "CORRIDOR_DATABASE_POOL_SIZE": str(threads)})
        log = Path(tempfile.gettempdir()) / f"bench-postgis-{port}.log"
        super().__init__("corridor", "corridor serve", port, env, log, workers=1)
        self.threads = threads
        self.launch()
        t0 = time.perf_counter()
        try:
            self.wait_ready(f"/api/collections/{LAYER}", "application/json", 120)
        except ServerError as exc:
            self.stop()
            raise SystemExit(f"error: {exc}") from None
        while any(fetch(self.base + u, {"Accept-Language": lang}).seconds > 0.05 for u, lang in pages):
            time.sleep(0.5)
        self.wait_idle()
        #: seconds from answering to ready
        self.settle_s = round(time.perf_counter() - t0, 1)

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "web.cli", "serve", "--port", str(self.port),
                "--workers", str(self.workers), "--threads", str(self.threads)]

    def stop(self) -> None:
        self.terminate()
        self.reap(60)
        self.log.unlink(missing_ok=True)


def http_latency(app: App, n: int) -> dict[str, Any]:
    items = f"{app.base}/api/collections/{LAYER}/items"
    urls = {"healthz": f"{app.base}/healthz",
            "bbox_limit10": f"{items}?bbox={','.join(map(str, BBOX))}&limit=10",
            "near5km_limit10": f"{items}?near={CAMPUS}&km={KM:g}&limit=10"}

    def get(url: str) -> None:
        r = fetch(url)
        if r.status != 200:
            raise SystemExit(f"error: {url} answered {r.status}: {r.body[:300]!r}")

    return {name: timed(lambda u=url: get(u), n) for name, url in urls.items()}


def throughput(url: str, pages: Sequence[tuple[str, str]], duration: float) -> dict[str, Any]:
    """req/s of the bbox request: one app process alone, then two side by side."""
    path = f"/api/collections/{LAYER}/items?bbox={','.join(map(str, BBOX))}&limit=10"
    out: dict[str, Any] = {}
    one = App(url, pages)
    try:
        res, _ = run_wrk(one.base + path, "application/json", duration, 1, 8, 30)
        out["one_process"] = {"rps": round(res.requests_per_s, 1),
                              "p50_ms": res.latency_ms.get("50%"), "errors": res.errors}
        two = App(url, pages)
        try:
            procs = [subprocess.Popen(["wrk", "-t1", "-c4", f"-d{duration:g}s", "--latency",
                                       "--timeout", "30s", "-H", "Accept: application/json",
                                       base + path], stdout=subprocess.PIPE, text=True)
                     for base in (one.base, two.base)]
            results = [parse_wrk(p.communicate(timeout=duration + 120)[0]) for p in procs]
        finally:
            two.stop()
    finally:
        one.stop()
    total = sum(r.requests_per_s for r in results)
    out["two_processes"] = {"rps": round(total, 1),
                            "each": [round(r.requests_per_s, 1) for r in results],
                            "p50_ms": [r.latency_ms.get("50%") for r in results],
                            "errors": sum(r.errors for r in results)}
    out["ratio"] = round(total / out["one_process"]["rps"], 2)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_postgis", description=__doc__.split("\n\n")[0],
                                 epilog="Writes benchmarks/results/postgis.json.")
    ap.add_argument("--points", type=int, default=1_000_000, help="SYNTHETIC points (default 1000000)")
    ap.add_argument("--requests", type=int, default=200, help="timed calls per query (default 200)")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds of each wrk run (default 10)")
    ap.add_argument("--database-url", default=None,
                    help="an empty database to use instead of a throwaway server")
    args = ap.parse_args(argv)
    if args.points < 10_000 or args.requests < 20:
        ap.error("--points must be >= 10000 and --requests >= 20")
    cluster = None
    url = args.database_url
    if url is None:
        pg = load_test_helper("pg")
        bindir = pg.server_bin()
        if bindir is None:
            ap.error("no PostgreSQL + PostGIS server found (apt-get install postgresql "
                     "postgresql-15-postgis-3), and no --database-url")
        cluster = pg.Cluster(bindir, {"shared_buffers": "512MB", "max_connections": "100"}).init()
        url = cluster.new_database()
    try:
        doc: dict[str, Any] = {"points": args.points, "machine": f"{platform.machine()}, "
                               f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at start"}
        doc["load"] = prepare(url, args.points)
        print(f"{args.points:,} SYNTHETIC points imported in {doc['load']['import_s']} s", flush=True)
        doc["store"] = store_latency(url, args.requests)
        pages = page_urls(url)
        app = App(url, pages)
        try:
            doc["http"] = http_latency(app, args.requests)
            doc["http"]["app_settled_s"] = app.settle_s
        finally:
            app.stop()
        doc["throughput"] = throughput(url, pages, args.duration)
        doc["machine"] += f"; load {os.getloadavg()[0]:.1f} at end"
    finally:
        if cluster is not None:
            cluster.destroy()
    out = RESULTS_DIR / "postgis.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"{'query':<28}{'store p50 ms':>14}{'HTTP p50 ms':>13}")
    for name in ("bbox_limit10", "near5km_limit10", "within5km_all", f"tile_z{ZOOM}", "version_check"):
        http = doc["http"].get(name, {}).get("p50_ms", "")
        print(f"{name:<28}{doc['store'][name]['p50_ms']:>14}{http!s:>13}")
    t = doc["throughput"]
    print(f"bbox req/s: 1 process {t['one_process']['rps']}, 2 processes {t['two_processes']['rps']} "
          f"(x{t['ratio']}); counts {doc['store']['counts']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
