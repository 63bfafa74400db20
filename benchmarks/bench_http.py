"""HTTP throughput of the corridor service against pygeoapi and a bare Flask app, with wrk.

Every server runs under gunicorn on 127.0.0.1 with the same setup (2 sync workers,
--preload); wrk loads one URL at a time (``wrk -t2 -c32 -d<duration>s --latency
--timeout 30s``, with ``Accept-Encoding: gzip``) in interleaved rounds (round 1: every URL once, round 2: every URL
again, ...) and the median req/s per URL is reported. Within a round, bare Flask runs
between every two URLs: a repeated GET's ratio to bare Flask is taken against the mean of
the bare runs just before and just after it (the same minute of the machine's noise), and
its target is judged on the median of those ratios. After each run the script waits
until that server's processes are idle: sync workers go on serving the requests left in
their listen backlog, which would otherwise load the machine during the next run. Runs
with non-2xx responses or socket errors are flagged in the output and the table, never
dropped. The machine is shared and noisy, so the results are ratios measured side by side
in one run, not absolute numbers.

Catalogs, built in a temporary directory:

  (a) the bundled geodata as is (its universities collection has 15 features);
  (b) (a) plus a collection ``synthetic`` of 1,000 SYNTHETIC uniform random points over
      Qingdao (lon 120.0-120.7, lat 35.9-36.5, seeded RNG);
  (c) the same with 100,000 SYNTHETIC points.

Servers: the corridor service (``web:create_app()``) once per catalog; a bare Flask app with
one trivial JSON endpoint (benchmarks/bare_flask.py: the framework's ceiling); pygeoapi with
its GeoJSON provider over the same features (the universities collection and the 1,000
synthetic points).

Also measured: the start time of catalog (c) (process launch to the first 200 on /api) and
the byte size of the map page / on catalogs (a) and (c). The report is a markdown table
(median req/s, ratios to bare Flask, to our /api on the same catalog and to pygeoapi at the
same size), PASS/MISS per target of the issue, and a JSON file with every raw number.

Every request accepts gzip, as browsers, QGIS and GDAL do. Targets (issue 21): repeated
GETs (/api, items+bbox at 15, 1,000 and 100,000 features, /api/near, a z11 tile) >= 0.75x
bare Flask; /api/near from a new random point each request >= 0.3x /api; items+bbox >= 1.2x
pygeoapi at 15 features and >= 30x at 1,000; park profile and map page >= 0.3x /api; the
100,000-feature catalog starts in < 10 s and its map page is < 2 MB (2,000,000 bytes,
uncompressed). A target whose runs had errors is a MISS.

Needs: wrk (apt-get install wrk) and the bench extra (pip install -e '.[bench]').
Example, from the repository root: .venv/bin/python -m benchmarks.bench_http --duration 5 --rounds 3
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from benchmarks.catalogs import DEFAULT_SEED, SYNTHETIC_CID, build_catalog
from benchmarks.harness import (
    RESULTS_DIR,
    ROOT,
    Server,
    ServerError,
    children_cpu_seconds,
    cpu_seconds,
    fetch,
    free_port,
    imported_from,
    server_env,
    system_busy_seconds,
)
from benchmarks.http_plan import (
    ACCEPT_HTML,
    ACCEPT_JSON,
    ITEMS_LIMIT,
    Endpoint,
    check_endpoint,
    make_endpoints,
    write_pygeoapi_files,
)
from benchmarks.http_report import BARE, Summary, bracketed, median_run, report, summarise, versions
from benchmarks.wrk import WrkResult, run_wrk

DEFAULT_OUT = RESULTS_DIR / "http.json"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_http", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--duration", type=float, default=10.0,
                    help="seconds per wrk run (default 10)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="interleaved rounds; the median per URL is reported (default 3)")
    ap.add_argument("--connections", type=int, default=32,
                    help="wrk connections, -c (default 32)")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads, -t (default 2)")
    ap.add_argument("--warmup", type=float, default=2.0,
                    help="seconds of unrecorded wrk load per URL before round 1, so every "
                         "worker has built its caches (default 2; 0 skips it)")
    ap.add_argument("--wrk-timeout", type=float, default=30.0,
                    help="wrk --timeout in seconds (default 30); a response slower than this "
                         "counts as a socket timeout error. wrk's own 2 s would make any URL "
                         "slower than about 16 req/s (32 connections queued on 2 workers) "
                         "time out and measure nothing")
    ap.add_argument("--large", type=int, default=100_000,
                    help="synthetic points of catalog (c) (default 100,000)")
    ap.add_argument("--small", type=int, default=1_000,
                    help="synthetic points of catalog (b) (default 1,000)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED,
                    help=f"seed of the synthetic points (default {DEFAULT_SEED})")
    ap.add_argument("--start-timeout", type=float, default=300.0,
                    help="seconds a server may take to answer its first request (default 300)")
    ap.add_argument("--quick", action="store_true",
                    help="short smoke run: --duration 2 --rounds 1 --warmup 0 (catalog sizes "
                         "unchanged); its numbers are no measurement")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help="JSON file for every raw number (default benchmarks/results/http.json)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory (catalogs, configs, server logs)")
    args = ap.parse_args(argv)
    if args.quick:
        args.duration, args.rounds, args.warmup = 2.0, 1, 0.0
    if args.duration <= 0 or args.rounds < 1 or args.connections < 1 or args.threads < 1:
        ap.error("--duration, --rounds, --connections and --threads must be positive")
    if args.threads > args.connections:
        ap.error("--threads must not exceed --connections (wrk needs a connection per thread)")
    if args.small < ITEMS_LIMIT or args.large < ITEMS_LIMIT:
        ap.error(f"--small and --large must be at least {ITEMS_LIMIT}")
    return args


def check_tools() -> None:
    """Exit with a clear message when wrk, gunicorn or pygeoapi is missing."""
    missing = []
    if shutil.which("wrk") is None:
        missing.append("wrk (apt-get install wrk)")
    for mod in ("gunicorn", "pygeoapi"):
        if importlib.util.find_spec(mod) is None:
            missing.append(f"{mod} (pip install -e '.[bench]')")
    if not Path(sys.executable).with_name("pygeoapi").exists():
        missing.append("the pygeoapi command beside this Python (pip install -e '.[bench]')")
    if missing:
        sys.exit("benchmarks.bench_http needs: " + "; ".join(missing))


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM takes the same path as Ctrl-C, so the servers are stopped on the way out.
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    check_tools()
    signal.signal(signal.SIGTERM, _interrupt)
    bench = Bench(args, Path(tempfile.mkdtemp(prefix="bench-http-")))
    try:
        bench.run()
    finally:
        bench.stop_servers()
        if args.keep:
            print(f"kept {bench.tmp}")
        else:
            shutil.rmtree(bench.tmp, ignore_errors=True)
    return 0


@dataclass
class Bench:
    """One benchmark run: catalogs, servers, checks, rounds and the report."""

    args: argparse.Namespace
    #: Working directory: catalogs, pygeoapi's files, server logs.
    tmp: Path
    servers: dict[str, Server] = field(default_factory=dict)
    catalogs: dict[str, Path] = field(default_factory=dict)
    endpoints: list[Endpoint] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)
    #: Each round's runs in the order they ran (bare Flask between every two).
    sequences: list[list[tuple[str, WrkResult]]] = field(default_factory=list)

    @property
    def sizes(self) -> dict[str, int]:
        """Synthetic points per catalog."""
        return {"a": 0, "b": self.args.small, "c": self.args.large}

    def run(self) -> None:
        """Every step, in order; the report is printed and the JSON written at the end."""
        self.record.update({
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": ["python -m benchmarks.bench_http", *sys.argv[1:]],
            "settings": {k: (str(v) if isinstance(v, Path) else v)
                         for k, v in vars(self.args).items()},
            "versions": versions(),
        })
        info = ", ".join(f"{k} {v}" for k, v in self.record["versions"].items())
        print(f"# bench_http {self.record['date']}\n{info}")
        self.build_catalogs()
        self.start_servers()
        self.endpoints = self.make_endpoints()
        self.check_endpoints()
        self.measure_map_pages()
        rounds = self.measure_rounds()
        self.report(summarise(self.endpoints, rounds), rounds)

    def stop_servers(self) -> None:
        """Stop every server started: signal them all, then wait for each."""
        for srv in self.servers.values():
            srv.terminate()
        for srv in self.servers.values():
            srv.reap()

    def build_catalogs(self) -> None:
        self.record["catalogs"] = {}
        for cat, n in self.sizes.items():
            t0 = time.perf_counter()
            self.catalogs[cat] = build_catalog(self.tmp / f"catalog-{cat}", n, self.args.seed)
            took = time.perf_counter() - t0
            syn = self.catalogs[cat] / "data" / f"{SYNTHETIC_CID}.geojson"
            self.record["catalogs"][cat] = {"synthetic_points": n, "build_s": took,
                                            "synthetic_bytes": syn.stat().st_size if n else 0}
            extra = f" + {n:,} SYNTHETIC points (seed {self.args.seed})" if n else ""
            print(f"catalog ({cat}): bundled data{extra}, written in {took:.1f} s")

    def start_servers(self) -> None:
        """Check which code the servers import, then start them one at a time.

        Catalog (c) starts last and alone, so its start time is not shared with other starts.

        Raises
        ------
        ServerError
            If the servers would import the service from another checkout, or one does not
            answer.
        """
        envs = {cat: server_env({"CORRIDOR_GEODATA_DIR": str(path)})
                for cat, path in self.catalogs.items()}
        where = imported_from(envs["a"])
        print(f"service code imported from: {where}")
        if not Path(where).resolve().is_relative_to(ROOT):
            raise ServerError(f"the servers would import {where}, not this checkout {ROOT}")
        self.record["service_code"] = where

        pg_port = free_port()
        pg_env = write_pygeoapi_files(self.tmp, pg_port, {
            "universities": (self.catalogs["a"] / "data" / "universities.geojson",
                             "Universities (the bundled collection)"),
            SYNTHETIC_CID: (self.catalogs["b"] / "data" / f"{SYNTHETIC_CID}.geojson",
                            f"SYNTHETIC benchmark points ({self.args.small:,} features)"),
        })
        plan = [
            ("bare", "benchmarks.bare_flask:app", server_env({}), "/ping"),
            ("pygeoapi", "pygeoapi.flask_app:APP", server_env(pg_env), "/?f=json"),
            *((f"ours-{cat}", "web:create_app()", envs[cat], "/api") for cat in envs),
        ]
        for name, app, env, ready_path in plan:
            port = pg_port if name == "pygeoapi" else free_port()
            srv = Server(name, app, port, env, self.tmp / f"{name}.log")
            self.servers[name] = srv
            srv.launch()
            secs = srv.wait_ready(ready_path, ACCEPT_JSON, self.args.start_timeout)
            print(f"server {name:9} {app:24} on {srv.base}: "
                  f"first 200 on {ready_path} after {secs:.2f} s")
        self.record["servers"] = {n: {"app": s.app, "port": s.port, "start_s": s.start_s,
                                      "argv": s.argv()} for n, s in self.servers.items()}

    def make_endpoints(self) -> list[Endpoint]:
        """The URLs to measure, with the feature counts each must return."""
        out, size = make_endpoints(self.catalogs, self.args.small, self.args.large)
        self.record["endpoints"] = [asdict(ep) for ep in out]
        self.record["feature_counts"] = size
        return out

    def check_endpoints(self) -> None:
        """One GET per URL: status 200, the right type and feature count; print the sizes."""
        print("\n## checks (one GET each)")
        self.record["checks"] = {}
        for ep in self.endpoints:
            info = check_endpoint(ep, self.servers[ep.server].base, self.args.start_timeout)
            self.record["checks"][ep.key] = info
            feats = f", {info['features']} features" if "features" in info else ""
            if ep.features is not None and ep.features[0] != ep.features[1]:
                feats += f" ({ep.features[0]} to {ep.features[1]} expected)"
            print(f"  {info['status']} {info['bytes']:>10,} B{feats:16} {info['seconds']:7.3f} s"
                  f"  {ep.label}: {info['url']}")

    def measure_map_pages(self) -> None:
        """Byte size of the map page on catalogs (a) and (c): uncompressed (what the browser
        parses, judged by the target) and as sent with ``Accept-Encoding: gzip``."""
        self.record["map_page"] = {}
        for cat in ("a", "c"):
            url = self.servers[f"ours-{cat}"].base + "/"
            plain = fetch(url, {"Accept": ACCEPT_HTML}, timeout=self.args.start_timeout)
            zipped = fetch(url, {"Accept": ACCEPT_HTML, "Accept-Encoding": "gzip"},
                           timeout=self.args.start_timeout)
            if plain.status != 200 or zipped.status != 200:
                raise ServerError(f"map page of catalog ({cat}) answered "
                                  f"{plain.status}/{zipped.status}")
            self.record["map_page"][cat] = {
                "bytes": len(plain.body), "gzip_bytes": len(zipped.body),
                "content_encoding": zipped.headers.get("Content-Encoding"),
                "get_s": plain.seconds,
            }
            print(f"map page / of catalog ({cat}): {len(plain.body):,} B uncompressed, "
                  f"{len(zipped.body):,} B with Accept-Encoding: gzip "
                  f"(GET took {plain.seconds:.2f} s)")

    def wrk(self, ep: Endpoint, duration: float) -> tuple[WrkResult, str, float, float]:
        """One wrk run on ``ep``, then wait until its server is idle.

        Returns
        -------
        tuple
            wrk's parsed result, its output, the seconds waited for the server to be idle,
            and the cores used meanwhile by everything else on the machine (neither the
            server nor wrk): the noise this run was measured in.
        """
        srv = self.servers[ep.server]
        a = self.args
        before = (system_busy_seconds(), cpu_seconds(srv.pids()), children_cpu_seconds())
        t0 = time.perf_counter()
        res, text = run_wrk(srv.base + ep.path, ep.accept, duration, a.threads, a.connections,
                            a.wrk_timeout, ep.script)
        elapsed = time.perf_counter() - t0
        after = (system_busy_seconds(), cpu_seconds(srv.pids()), children_cpu_seconds())
        busy, server, wrk = (y - x for x, y in zip(before, after))
        other_cores = max(0.0, busy - server - wrk) / elapsed
        return res, text, srv.wait_idle(), other_cores

    def measure_rounds(self) -> list[dict[str, WrkResult]]:
        """Warm-up, then ``--rounds`` interleaved rounds of every URL."""
        a = self.args
        self.record["wrk_command"] = (f"wrk -t{a.threads} -c{a.connections} -d{a.duration:g}s "
                                      f"--latency --timeout {a.wrk_timeout:g}s "
                                      f"-H 'Accept: <json or html>' -H 'Accept-Encoding: gzip' URL")
        for srv in self.servers.values():
            srv.wait_idle()  # the checks' requests (a cold big map page) are done
        if a.warmup > 0:
            print(f"\n## warm-up: {a.warmup:g} s per URL (not recorded)")
            for ep in self.endpoints:
                self.wrk(ep, a.warmup)
        rounds: list[dict[str, WrkResult]] = []
        others: list[float] = []
        self.record["rounds"] = []
        self.record["other_cores"] = others
        self.sequences.clear()
        for r in range(1, a.rounds + 1):
            print(f"\n## round {r}/{a.rounds}: {a.duration:g} s per URL, bare Flask between "
                  f"every two")
            results: dict[str, WrkResult] = {}
            raw: dict[str, Any] = {}
            sequence: list[tuple[str, WrkResult]] = []
            for ep in bracketed(self.endpoints):
                res, text, idle_s, other = self.wrk(ep, a.duration)
                others.append(other)
                sequence.append((ep.key, res))
                if ep.key == BARE:
                    raw.setdefault(BARE, []).append({**asdict(res), "errors": res.errors,
                                                     "settle_s": idle_s, "other_cores": other})
                else:
                    results[ep.key] = res
                    raw[ep.key] = {**asdict(res), "errors": res.errors, "settle_s": idle_s,
                                   "other_cores": other, "wrk_output": text}
                flag = (f"  !! ERRORS: {res.non_2xx_3xx} non-2xx/3xx, socket {res.socket_errors}"
                        if res.errors else "")
                if res.requests == 0:
                    flag += "  !! NO RESPONSE COMPLETED"
                p50 = res.latency_ms.get("50%", float("nan"))
                print(f"  {res.requests_per_s:10,.1f} req/s  p50 {p50:8.2f} ms  {ep.label}{flag}"
                      f"  (others used {other:.2f} cores; then {idle_s:.1f} s until idle)")
            results[BARE] = median_run([res for key, res in sequence if key == BARE])
            rounds.append(results)
            self.sequences.append(sequence)
            self.record["rounds"].append(raw)
        return rounds

    def report(self, summary: dict[str, Summary], rounds: list[dict[str, WrkResult]]) -> None:
        """Print the table and the targets; write every number to ``--out``."""
        out = self.args.out
        report(self.record, self.endpoints, summary, rounds, self.servers["ours-c"].start_s,
               self.args.quick, self.sequences)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(self.record, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"\nraw numbers: {out}")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as exc:
        sys.exit(f"interrupted ({str(exc) or 'Ctrl-C'}); every server started was stopped")
