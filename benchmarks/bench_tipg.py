"""PostGIS mode side by side with tipg (PyPI ``tipg``, on uvicorn) on the same table of
1,000,000 SYNTHETIC points: items with a bbox, and one z11 vector tile.

The database is a throwaway PostgreSQL + PostGIS server (tests/pg.py). The script loads
the bundled catalog and a layer ``firms`` of ``--points`` SYNTHETIC points (seeded random
positions over lon 120.0-120.7, lat 35.9-36.5; no real firm) through the store's import
path, as :mod:`benchmarks.bench_postgis` does. tipg then serves that same table (the
layer's partition of ``corridor_features``: geometry ``geom``, key ``fid``, properties
``fid`` and ``properties``) while ``corridor serve`` serves the layer; both with the same
number of worker processes (``--workers``, default 2: gunicorn for ours, uvicorn for tipg).
wrk (``-t2 -c32``, ``Accept-Encoding: gzip`` as real clients send) loads each URL in
interleaved rounds; the median req/s per URL and the ratio ours / tipg are reported. The
items request is measured twice: the same box on every request (what a map client repeats),
and a new random box on every request (no cache can answer it).

What each answers differs where the designs differ, and the report says so: both items
answers count the matches (``numberMatched``); our tile of a dense layer is drawn from the
store's cell pyramid, tipg's holds every point of the tile up to its ``max_features_per_tile``
(10,000): the bytes of both are printed. Ours keeps final bytes per data version; tipg
queries the database on every request.

    .venv/bin/python -m benchmarks.bench_tipg                     # 1,000,000 points
    .venv/bin/python -m benchmarks.bench_tipg --points 100000 --duration 5 --rounds 1

Needs wrk (apt-get install wrk) and the bench extra (pip install -e '.[bench]': tipg,
uvicorn). Writes ``benchmarks/results/tipg.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.bench_postgis import BBOX, LAYER, prepare
from benchmarks.harness import (
    RESULTS_DIR,
    Server,
    ServerError,
    fetch,
    free_port,
    load_test_helper,
    server_env,
)
from benchmarks.wrk import run_wrk
from corridor.tilematrix import TMS

ZOOM = 11
#: The tile measured: the z11 tile holding the bbox's centre (central Qingdao, dense).
TILE = TMS.tile((BBOX[0] + BBOX[2]) / 2, (BBOX[1] + BBOX[3]) / 2, ZOOM)
MVT = "application/vnd.mapbox-vector-tile"


class Ours(Server):
    """``corridor serve`` on the database."""

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "web.cli", "serve", "--port", str(self.port),
                "--workers", str(self.workers)]


class Tipg(Server):
    """tipg's app on uvicorn."""

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "uvicorn", "tipg.main:app", "--host", "127.0.0.1",
                "--port", str(self.port), "--workers", str(self.workers), "--log-level", "warning"]


@dataclass(frozen=True)
class Url:
    key: str
    server: str
    path: str
    accept: str
    #: A wrk Lua script making each request's path (None: every request asks for ``path``).
    script: str | None = None


def new_box_script(items_path: str) -> str:
    """A wrk script asking for a new 2 km box (lon 120.30-120.45, lat 36.05-36.15) each
    request: no answer is asked twice, so neither server answers from a cache."""
    return f"""
math.randomseed(os.time())
request = function()
  local lon = 120.30 + math.random() * 0.15
  local lat = 36.05 + math.random() * 0.10
  return wrk.format(nil, string.format("{items_path}?bbox=%.6f,%.6f,%.6f,%.6f&limit=10",
                                       lon, lat, lon + 0.022, lat + 0.018))
end
"""


def partition(url: str) -> str:
    """The table holding the layer's features."""
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT part FROM corridor_collections WHERE id = %s", (LAYER,)).fetchone()
    if row is None:
        raise SystemExit(f"error: no layer {LAYER!r} in the database")
    return str(row[0])


def start(url: str, workers: int) -> dict[str, Server]:
    """Both servers, answering and idle."""
    table = partition(url)
    tipg_env = {
        "DATABASE_URL": url, "TIPG_DB_SCHEMAS": '["public"]', "TIPG_DB_TABLES": f'["public.{table}"]',
        "TIPG_TABLE_CONFIG": json.dumps({f"public_{table}": {
            "geomcol": "geom", "pk": "fid", "properties": ["fid", "properties"]}}),
        "TIPG_CATALOG_TTL": "100000",
    }
    log_dir = Path(tempfile.gettempdir())
    servers: dict[str, Server] = {}
    for name, cls, env, ready in (
            ("ours", Ours, {"CORRIDOR_DATABASE_URL": url}, f"/api/collections/{LAYER}"),
            ("tipg", Tipg, tipg_env, f"/collections/public.{table}")):
        port = free_port()
        srv = cls(name, name, port, server_env(env), log_dir / f"bench-tipg-{name}-{port}.log",
                  workers=workers)
        srv.launch()
        servers[name] = srv
        srv.wait_ready(ready, "application/json", 180)
    for srv in servers.values():
        srv.wait_idle()
    return servers


def urls(url: str) -> list[Url]:
    table = partition(url)
    box = ",".join(f"{v:g}" for v in BBOX)
    ours_items, tipg_items = f"/api/collections/{LAYER}/items", f"/collections/public.{table}/items"
    return [
        Url("ours items, new bbox", "ours", f"{ours_items}?bbox={box}&limit=10", "application/geo+json",
            new_box_script(ours_items)),
        Url("tipg items, new bbox", "tipg", f"{tipg_items}?bbox={box}&limit=10", "application/geo+json",
            new_box_script(tipg_items)),
        Url("ours items+bbox", "ours", f"/api/collections/{LAYER}/items?bbox={box}&limit=10",
            "application/geo+json"),
        Url("tipg items+bbox", "tipg", f"/collections/public.{table}/items?bbox={box}&limit=10",
            "application/geo+json"),
        Url(f"ours z{ZOOM} tile", "ours",
            f"/api/collections/{LAYER}/tiles/WebMercatorQuad/{ZOOM}/{TILE.y}/{TILE.x}", MVT),
        Url(f"tipg z{ZOOM} tile", "tipg",
            f"/collections/public.{table}/tiles/WebMercatorQuad/{ZOOM}/{TILE.x}/{TILE.y}", MVT),
    ]


def check(servers: dict[str, Server], measured: Sequence[Url]) -> dict[str, Any]:
    """GET each URL once: it must answer 200; returns what it answered."""
    out = {}
    for u in measured:
        resp = fetch(servers[u.server].base + u.path, {"Accept": u.accept})
        if resp.status != 200:
            raise ServerError(f"{u.key}: {u.path} answered {resp.status}: {resp.body[:300]!r}")
        ctype = {k.lower(): v for k, v in resp.headers.items()}.get("content-type")
        info: dict[str, Any] = {"bytes": len(resp.body), "content_type": ctype}
        if u.accept != MVT:
            doc = json.loads(resp.body)
            info.update(features=len(doc["features"]), matched=doc.get("numberMatched"))
        out[u.key] = info
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_tipg", description=__doc__.split("\n\n")[0],
                                 epilog="Writes benchmarks/results/tipg.json.")
    ap.add_argument("--points", type=int, default=1_000_000, help="SYNTHETIC points (default 1000000)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes of each server (default 2)")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds of each wrk run (default 10)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    ap.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    args = ap.parse_args(argv)
    if args.points < 10_000 or args.rounds < 1 or args.workers < 1:
        ap.error("--points must be >= 10000, --rounds and --workers >= 1")
    missing = [m for m in ("tipg", "uvicorn") if importlib.util.find_spec(m) is None]
    if missing or shutil.which("wrk") is None:
        ap.error(f"needs wrk (apt-get install wrk) and {', '.join(missing) or 'the bench extra'} "
                 f"(pip install -e '.[bench]')")
    pg = load_test_helper("pg")
    bindir = pg.server_bin()
    if bindir is None:
        ap.error("no PostgreSQL + PostGIS server found (apt-get install postgresql postgresql-15-postgis-3)")
    cluster = pg.Cluster(bindir, {"shared_buffers": "512MB", "max_connections": "200"}).init()
    servers: dict[str, Server] = {}
    try:
        url = cluster.new_database()
        doc: dict[str, Any] = {"points": args.points, "workers": args.workers,
                               "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                                          f"load {os.getloadavg()[0]:.1f} at start"}
        doc["load"] = prepare(url, args.points)
        servers = start(url, args.workers)
        measured = urls(url)
        doc["answers"] = check(servers, measured)
        runs: dict[str, list[float]] = {u.key: [] for u in measured}
        errors: dict[str, int] = {u.key: 0 for u in measured}
        for _ in range(args.rounds):
            for u in measured:
                srv = servers[u.server]
                res, _text = run_wrk(srv.base + u.path, u.accept, args.duration, 2, args.connections, 30,
                                     u.script)
                runs[u.key].append(res.requests_per_s)
                errors[u.key] += res.errors
                srv.wait_idle()
        doc["rps"] = {k: [round(v, 1) for v in vs] for k, vs in runs.items()}
        doc["errors"] = errors
        median = {k: statistics.median(vs) for k, vs in runs.items()}
        doc["ratios"] = {
            "items, new bbox each request, ours/tipg": round(
                median["ours items, new bbox"] / median["tipg items, new bbox"], 2),
            "items+bbox ours/tipg": round(median["ours items+bbox"] / median["tipg items+bbox"], 2),
            f"z{ZOOM} tile ours/tipg": round(median[f"ours z{ZOOM} tile"] / median[f"tipg z{ZOOM} tile"], 2),
        }
        doc["machine"] += f"; load {os.getloadavg()[0]:.1f} at end"
    finally:
        for srv in servers.values():
            srv.terminate()
            srv.reap(30)
        cluster.destroy()
    out = RESULTS_DIR / "tipg.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"{'URL':<26}{'median req/s':>14}{'errors':>8}  answer")
    for key, vs in doc["rps"].items():
        print(f"{key:<26}{statistics.median(vs):>14,.1f}{errors[key]:>8}  {doc['answers'][key]}")
    for name, value in doc["ratios"].items():
        verdict = "PASS" if value >= 1.0 and not any(errors.values()) else "MISS"
        print(f"{verdict}  {name}: {value}x (target >= 1.0x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
