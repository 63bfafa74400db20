"""Worker memory under edits: ``--edits`` feature edits to a SYNTHETIC user layer, each followed
by views of the map page ``/`` in both languages, against one ``corridor serve`` worker.

Every edit makes a new data version, so every map view after it renders the page anew: what a
worker keeps per version (rendered pages, map parts, answers) must leave as versions pass, or
its memory grows with every edit. The script samples the worker's resident set size
(``VmRSS`` of /proc) after start and warm-up, and every ``--every`` edits, and reports the
growth; the target is at most +200 MB after 1,000 edits.

    .venv/bin/python -m benchmarks.bench_memory                  # 1,000 edits (~40 min)
    .venv/bin/python -m benchmarks.bench_memory --edits 100      # a quick look

The layer (``firms``, 200 SYNTHETIC points, tests/datafiles.py) lives in a temporary
directory. Writes ``benchmarks/results/memory.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.harness import (
    RESULTS_DIR,
    ROOT,
    Server,
    fetch,
    free_port,
    load_test_helper,
    server_env,
)

TOKEN = "benchmark-memory-token"
LAYER = "firms"


class Serve(Server):
    """``corridor serve`` with one worker."""

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "web.cli", "serve", "--port", str(self.port),
                "--workers", str(self.workers)]


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` in MB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def worker_pid(srv: Server) -> int:
    """The one worker of the gunicorn master ``srv``."""
    workers = [p for p in srv.pids() if srv.proc is not None and p != srv.proc.pid]
    if len(workers) != 1:
        raise RuntimeError(f"expected one worker, found {workers}")
    return workers[0]


def edit(base: str, i: int) -> None:
    """Add one SYNTHETIC feature to the layer, on land in central Qingdao (lon 120.36-120.44,
    lat 36.08-36.14: the API refuses positions in the sea)."""
    body = json.dumps({"type": "Feature", "properties": {"name_en": f"SYNTHETIC edit {i}"},
                       "geometry": {"type": "Point",
                                    "coordinates": [120.36 + (i % 41) * 0.002, 36.08 + (i % 31) * 0.002]}})
    req = urllib.request.Request(f"{base}/api/collections/{LAYER}/items", data=body.encode(),
                                 method="POST", headers={"Content-Type": "application/geo+json",
                                                         "Authorization": f"Bearer {TOKEN}"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=60) as resp:
            if resp.status != 201:
                raise RuntimeError(f"edit {i} answered {resp.status}")
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"edit {i} answered {exc.code}: {exc.read()[:300]!r}") from None


def view_map(base: str) -> float:
    """GET / in Chinese and in English (accepting gzip); the seconds both took."""
    t0 = time.perf_counter()
    for lang in ("zh", "en"):
        resp = fetch(f"{base}/?lang={lang}", {"Accept": "text/html", "Accept-Encoding": "gzip"}, timeout=120)
        if resp.status != 200:
            raise RuntimeError(f"/?lang={lang} answered {resp.status}")
    return time.perf_counter() - t0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_memory", description=__doc__.split("\n\n")[0],
                                 epilog="Writes benchmarks/results/memory.json.")
    ap.add_argument("--edits", type=int, default=1000, help="feature edits (default 1000)")
    ap.add_argument("--every", type=int, default=50, help="sample RSS every N edits (default 50)")
    args = ap.parse_args(argv)
    if args.edits < 1 or args.every < 1:
        ap.error("--edits and --every must be >= 1")
    from corridor.model import NewLayer
    from corridor.store import Engine

    with tempfile.TemporaryDirectory() as tmp:
        layers = Path(tmp) / "layers"
        Engine.user_layers(layers).put_layer(NewLayer(
            LAYER, load_test_helper("datafiles").synthetic_frame(200), title_en="SYNTHETIC firms (benchmark)"))
        port = free_port()
        env = server_env({"CORRIDOR_LAYERS_DIR": str(layers), "CORRIDOR_ADMIN_TOKEN": TOKEN})
        srv = Serve("corridor", "corridor serve", port, env, Path(tmp) / "serve.log", workers=1)
        srv.launch()
        try:
            srv.wait_ready("/healthz", "application/json", 180)
            view_map(srv.base)  # warm: the first version's pages
            srv.wait_idle()
            pid = worker_pid(srv)
            samples: list[dict[str, Any]] = [{"edits": 0, "rss_mb": round(rss_mb(pid), 1)}]
            print(f"worker {pid}: {samples[0]['rss_mb']} MB after start and one map view", flush=True)
            views: list[float] = []
            for i in range(1, args.edits + 1):
                edit(srv.base, i)
                views.append(view_map(srv.base))
                if i % args.every == 0 or i == args.edits:
                    samples.append({"edits": i, "rss_mb": round(rss_mb(pid), 1),
                                    "view_s": round(sum(views[-args.every:]) / len(views[-args.every:]), 2)})
                    print(f"{i:>6} edits: {samples[-1]['rss_mb']} MB, map views (zh + en) "
                          f"{samples[-1]['view_s']} s", flush=True)
            if worker_pid(srv) != pid:
                raise RuntimeError("the worker was replaced during the run (a crash or timeout)")
        finally:
            srv.terminate()
            srv.reap(30)
    start, end = samples[0]["rss_mb"], samples[-1]["rss_mb"]
    peak = max(s["rss_mb"] for s in samples)
    doc = {"edits": args.edits, "samples": samples, "start_mb": start, "end_mb": end, "peak_mb": peak,
           "growth_mb": round(end - start, 1), "machine": f"{os.cpu_count()} cores, load "
           f"{os.getloadavg()[0]:.1f} at end", "commit": _commit()}
    out = RESULTS_DIR / "memory.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2) + "\n")
    verdict = "PASS" if peak - start <= 200 else "MISS"
    print(f"{verdict}  worker RSS {start} MB -> {end} MB after {args.edits} edits (peak {peak} MB, "
          f"growth {end - start:+.1f} MB; target <= +200 MB)")
    return 0


def _commit() -> str:
    proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return proc.stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
