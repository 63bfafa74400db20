"""Load and cold start of the production server (`corridor serve`, gunicorn, 2 workers) under a
realistic mix of requests, on loopback.

Measures, in one run:

* cold start: from launching `corridor serve` to the first 200 of ``/healthz`` and of the
  map page ``/``;
* a mix of eight request kinds at once for ``--duration`` seconds with ``--connections``
  connections in all (split evenly): the map page, items with a bbox, ``/api/near``,
  ``/api/at``, name search, park profiles (the ten parks in turn), a 304 revalidation
  (``If-None-Match``) and ``/healthz``, every request accepting gzip as browsers do; one wrk
  process per kind, all running together, so
  each kind's throughput and latency are measured under the others' load;
* for each kind: requests/s, p50 and p99 latency, errors and timeouts, and its throughput as
  a ratio to ``/healthz`` in the same run (these machines are shared and noisy: ratios are
  what can be compared across runs).

Requires wrk (Debian: ``apt-get install wrk``). Every request goes to 127.0.0.1; every load
runs for a bounded time and stops by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.harness import RESULTS_DIR, ROOT, fetch, free_port, start_corridor_serve
from benchmarks.wrk import WrkResult, parse_wrk

PARKS = json.loads((ROOT / "geodata" / "data" / "parks.geojson").read_text(encoding="utf-8"))
PARK_IDS = [f["properties"]["id"] for f in PARKS["features"]]


@dataclass(frozen=True)
class Kind:
    """One kind of request in the mix."""

    key: str
    path: str
    accept: str = "application/json"
    #: Paths taken in turn (a wrk Lua script), instead of ``path`` alone.
    rotate: tuple[str, ...] = ()
    revalidate: bool = False


MIX = (
    Kind("healthz", "/healthz"),
    Kind("map page", "/?lang=zh", "text/html"),
    Kind("items+bbox", "/api/collections/universities/items?bbox=120.2,36.0,120.6,36.4&limit=10"),
    Kind("near", "/api/near?of=ouc-laoshan&km=5"),
    Kind("at", "/api/at?lon=120.38&lat=36.30"),
    Kind("search", "/api/collections/universities/items?q=%E5%A4%A7%E5%AD%A6&limit=10"),
    Kind("park profiles", "/parks/", "text/html", rotate=tuple(f"/parks/{p}?lang=en" for p in PARK_IDS)),
    Kind("304 revalidation", "/api/collections/parks/items?limit=10", revalidate=True),
)


def wrk_argv(kind: Kind, base: str, duration: float, connections: int, etag: str | None,
             script_dir: Path) -> list[str]:
    # as browsers and HTTP libraries do, every request accepts gzip
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{duration:g}s", "--latency", "--timeout", "10s",
            "-H", f"Accept: {kind.accept}", "-H", "Accept-Encoding: gzip"]
    if kind.revalidate:
        assert etag
        argv += ["-H", f"If-None-Match: {etag}"]
    if kind.rotate:
        script = script_dir / f"{kind.key.replace(' ', '-')}.lua"
        paths = ", ".join(json.dumps(p) for p in kind.rotate)
        script.write_text(
            f"local paths = {{{paths}}}\nlocal i = 0\n"
            "request = function()\n  i = i % #paths + 1\n  return wrk.format(\"GET\", paths[i])\nend\n",
            encoding="utf-8")
        argv += ["-s", str(script)]
    return [*argv, base + (kind.rotate[0] if kind.rotate else kind.path)]


def run_mix(base: str, duration: float, connections: int) -> dict[str, WrkResult]:
    """Every kind at once, ``connections // len(MIX)`` connections each."""
    each = max(1, connections // len(MIX))
    first = fetch(base + MIX[-1].path, {"Accept": MIX[-1].accept})
    etag = first.headers.get("ETag")
    assert first.status == 200 and etag, "the revalidated resource has no ETag"
    assert fetch(base + MIX[-1].path, {"Accept": MIX[-1].accept, "If-None-Match": etag}).status == 304
    with tempfile.TemporaryDirectory() as tmp:
        procs = {k.key: subprocess.Popen(wrk_argv(k, base, duration, each, etag, Path(tmp)),
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for k in MIX}
        out = {}
        for key, proc in procs.items():
            stdout, stderr = proc.communicate(timeout=duration + 120)
            if proc.returncode != 0:
                raise RuntimeError(f"wrk for {key} failed:\n{stdout}\n{stderr}")
            out[key] = parse_wrk(stdout)
    return out


def table(results: dict[str, WrkResult], cold: dict[str, float]) -> str:
    base = results["healthz"].requests_per_s
    lines = ["| request | req/s | p50 ms | p99 ms | errors | timeouts | x /healthz |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for kind in MIX:
        r = results[kind.key]
        lines.append(
            f"| {kind.key} | {r.requests_per_s:,.0f} | {r.latency_ms.get('50%', float('nan')):.1f} | "
            f"{r.latency_ms.get('99%', float('nan')):.1f} | {r.errors - r.socket_errors.get('timeout', 0)} | "
            f"{r.socket_errors.get('timeout', 0)} | {r.requests_per_s / base:.2f} |")
    lines.append("")
    lines.append(f"Cold start: first 200 from /healthz after {cold['/healthz']:.2f} s, "
                 f"from the map page after {cold['/']:.2f} s.")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.load_mix",
        description="Load the production server (`corridor serve`) on loopback with a realistic "
                    "mix of requests, and time its cold start. Needs wrk (apt-get install wrk).")
    p.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    p.add_argument("--connections", type=int, default=64,
                   help="connections in all, split evenly over the 8 kinds (default 64)")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    p.add_argument("--out", type=Path, default=RESULTS_DIR / "load.json",
                   help="where to write every number as JSON")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if subprocess.run(["which", "wrk"], capture_output=True).returncode != 0:
        print("error: wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    port = free_port()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    log = args.out.with_suffix(".server.log")
    proc, cold = start_corridor_serve(port, args.workers, log)
    try:
        results = run_mix(f"http://127.0.0.1:{port}", args.duration, args.connections)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    text = table(results, cold)
    print(text)
    doc: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "command": ["python -m benchmarks.load_mix", *(argv if argv is not None else sys.argv[1:])],
        "cold_start_s": cold, "workers": args.workers, "connections": args.connections,
        "duration_s": args.duration, "results": {k: asdict(v) for k, v in results.items()},
        "table_markdown": text,
    }
    args.out.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    failed = sum(r.errors for r in results.values())
    if failed:
        print(f"error: {failed} failed requests", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
