"""How fast hostile uploads and edits are refused by a running ``corridor serve``, and what
the refusal says.

Sent over HTTP to the production server (one worker, writes on with a token):

* a zipped "Shapefile" whose members expand to ``--zip-mb`` MB of zeros (a real zip bomb,
  built here; over the 256 MiB upload limit at the default 1,024 MB);
* a GeoJSON Feature nested 100,000 arrays deep, as a feature edit (POST items);
* the same document as a ``.geojson`` layer upload.

Each is timed from the request to the answer; the target is a refusal in under 2 s, a 4xx
whose message names the problem, and no server path (``/tmp/``, ``/vsi``) in it.

    .venv/bin/python -m benchmarks.bench_hostile
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks.harness import RESULTS_DIR, Server, free_port, server_env

TOKEN = "benchmark-hostile-token"
DEEP = 100_000


class Serve(Server):
    def argv(self) -> list[str]:
        return [sys.executable, "-m", "web.cli", "serve", "--port", str(self.port), "--workers", "1"]


def zip_bomb(megabytes: int) -> bytes:
    """A zip of a 'Shapefile' whose .shp is ``megabytes`` MB of zeros (deflated to ~1/1000)."""
    buf = io.BytesIO()
    chunk = bytes(2**20)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("roads.shp", "w", force_zip64=True) as member:
            for _ in range(megabytes):
                member.write(chunk)
        for ext in ("shx", "dbf", "prj"):
            zf.writestr(f"roads.{ext}", b"\0" * 100)
    return buf.getvalue()


def deep_feature() -> bytes:
    return ('{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": '
            + "[" * DEEP + "]" * DEEP + "}}").encode()


def send(url: str, method: str, body: bytes, content_type: str, filename: str) -> tuple[int, str, float]:
    req = urllib.request.Request(url, data=body, method=method, headers={
        "Content-Type": content_type, "Authorization": f"Bearer {TOKEN}",
        "Content-Disposition": f'attachment; filename="{filename}"'})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    t0 = time.perf_counter()
    try:
        with opener.open(req, timeout=120) as resp:
            status, text = resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read().decode("utf-8", "replace")
    return status, text, time.perf_counter() - t0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_hostile", description=__doc__.split("\n\n")[0],
                                 epilog="Writes benchmarks/results/hostile.json.")
    ap.add_argument("--zip-mb", type=int, default=1024, help="MB the zip bomb unpacks to (default 1024)")
    args = ap.parse_args(argv)
    if args.zip_mb < 300:
        ap.error("--zip-mb must be >= 300 (above the 256 MiB upload limit)")
    bomb, deep = zip_bomb(args.zip_mb), deep_feature()
    cases = [
        (f"zip bomb ({len(bomb):,} B unpacking to {args.zip_mb:,} MB), layer upload", "PUT",
         "/api/collections/roads", bomb, "application/zip", "roads.zip"),
        (f"Feature nested {DEEP:,} deep, feature edit", "POST", "/api/collections/roads/items",
         deep, "application/geo+json", "feature.geojson"),
        (f"Feature nested {DEEP:,} deep, layer upload", "PUT", "/api/collections/deep",
         deep, "application/geo+json", "deep.geojson"),
    ]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        env = server_env({"CORRIDOR_LAYERS_DIR": str(Path(tmp) / "layers"), "CORRIDOR_ADMIN_TOKEN": TOKEN})
        srv = Serve("corridor", "corridor serve", free_port(), env, Path(tmp) / "serve.log", workers=1)
        srv.launch()
        try:
            srv.wait_ready("/healthz", "application/json", 180)
            # a layer to edit: a one-feature upload
            one = json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
                "name_en": "SYNTHETIC"}, "geometry": {"type": "Point", "coordinates": [120.38, 36.07]}}]})
            status, text, _ = send(srv.base + "/api/collections/roads", "PUT", one.encode(),
                                   "application/geo+json", "roads.geojson")
            if status not in (200, 201):
                raise SystemExit(f"error: the set-up upload answered {status}: {text[:300]}")
            for label, method, path, body, ctype, name in cases:
                status, text, seconds = send(srv.base + path, method, body, ctype, name)
                leaks = [p for p in ("/tmp/", "/vsi", "corridor-upload") if p in text]
                results.append({"case": label, "status": status, "seconds": round(seconds, 3),
                                "message": text[:400], "server_paths": leaks})
        finally:
            srv.terminate()
            srv.reap(30)
    out = RESULTS_DIR / "hostile.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    for r in results:
        ok = 400 <= r["status"] < 500 and r["seconds"] < 2 and not r["server_paths"]
        print(f"{'PASS' if ok else 'MISS'}  {r['case']}: {r['status']} in {r['seconds']:.3f} s; "
              f"{r['message'][:200]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
