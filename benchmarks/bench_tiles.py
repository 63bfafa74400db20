"""Vector tiles of a 100,000-point layer: tile latency through the API, and the map's first
render in headless Chromium, on the production server (`corridor serve`), on loopback.

The layer is SYNTHETIC: 100,000 uniform random points over Qingdao (lon 120.0-120.7,
lat 35.9-36.5, seeded), stored as the user layer ``synthetic`` with the real layer store (a
GeoPackage in a temporary ``CORRIDOR_LAYERS_DIR``, as ``corridor import`` stores it) beside
the bundled catalog.

Measured, per round (each round starts a fresh server, so its tile cache is empty):

* **cold** tiles: the first request of each z11 tile of a 3 x 3 block centred on central
  Qingdao (120.38E, 36.07N, Shinan): the tile is read from the store, encoded and gzipped;
* **warm** tiles: ``--warm`` more requests of each of those tiles, answered from the tile
  cache (the LRU keyed on the collection's version).

Requests are sequential, one connection each (urllib), accepting gzip as browsers do; the
server runs one gunicorn worker, so "warm" means the process that encoded the tile answers
(with N workers each encodes a tile once). Times are client-side wall clock per request.

The map: in round 1, right after the server starts (the map page itself is rendered before
the workers fork; no tile is cached yet), headless Chromium (Playwright driving Debian's
``/usr/bin/chromium``, a fresh browser context) opens ``/?lang=zh`` with the synthetic layer
on (its default). **First render** is the time from the start of navigation to the moment
the layer has loaded every tile of the opening view and drawn them (Leaflet's GridLayer
done loading, features on the canvas); the other layers are in the page itself. It is
measured again on a second fresh context once those tiles are cached by the server. A
screenshot of the first visit is saved beside the JSON results.

Targets (issue 11): tile p50 < 50 ms; first render < 3 s.

Example: .venv/bin/python -m benchmarks.bench_tiles            # 3 rounds, ~1 min
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.catalogs import synthetic_points
from benchmarks.harness import RESULTS_DIR, Server, free_port, start_corridor_serve
from corridor.tilematrix import TMS

CENTRAL = (120.38, 36.07)
ZOOM = 11
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: In the page: when the synthetic layer has loaded its tiles and drawn some features, the
#: milliseconds since navigation started, the tiles and the features drawn (else null).
DRAWN = """() => {
    var M = window.corridorMaps && window.corridorMaps.main;
    var l = M && M.layers.synthetic;
    if (!l || !l._map || l._loading || !l._vectorTiles) { return null; }
    var tiles = 0, features = 0;
    for (var k in l._vectorTiles) {
        var r = l._vectorTiles[k];
        if (!r._map) { continue; }
        tiles++;
        features += Object.keys(r._features).length;
    }
    return features > 0 ? {ms: performance.now(), tiles: tiles, features: features,
                           zoom: M.map.getZoom()} : null; }"""

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get_ms(url: str) -> tuple[float, int, int]:
    """GET ``url`` accepting gzip; (milliseconds, status, bytes on the wire)."""
    req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    t0 = time.perf_counter()
    with _OPENER.open(req, timeout=60) as resp:
        body = resp.read()
        return (time.perf_counter() - t0) * 1000, resp.status, len(body)


def block_urls(base: str) -> list[str]:
    """The z11 tiles of the 3 x 3 block centred on central Qingdao, centre first."""
    c = TMS.tile(*CENTRAL, ZOOM)
    offsets = [(0, 0)] + [(dx, dy) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dx, dy) != (0, 0)]
    return [f"{base}/api/collections/synthetic/tiles/WebMercatorQuad/{ZOOM}/{c.y + dy}/{c.x + dx}"
            for dx, dy in offsets]


def map_render(base: str, shot: Path | None) -> dict[str, Any]:
    """Open the map in a fresh headless Chromium context; the first render (see module doc)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN",
                                      bypass_csp=True)  # only for this script's own probes
            page = ctx.new_page()
            tiles: list[str] = []
            page.on("request", lambda r: tiles.append(r.url) if "/tiles/" in r.url else None)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            t0 = time.perf_counter()
            page.goto(base + "/?lang=zh")
            drawn = page.wait_for_function(DRAWN, timeout=60_000).json_value()
            wall = time.perf_counter() - t0
            timing = page.evaluate("() => { var t = performance.getEntriesByType('navigation')[0];"
                                   " return {dom: t.domContentLoadedEventEnd, load: t.loadEventEnd}; }")
            if shot is not None:
                page.wait_for_timeout(300)
                page.screenshot(path=str(shot))
            ctx.close()
        finally:
            browser.close()
    return {"first_render_s": drawn["ms"] / 1000, "wall_s": wall, "tiles_drawn": drawn["tiles"],
            "features_drawn": drawn["features"], "zoom": drawn["zoom"], "tile_requests": len(tiles),
            "dom_content_loaded_s": timing["dom"] / 1000, "load_s": timing["load"] / 1000,
            "errors": errors}


def store_layer(root: Path, n: int, seed: int) -> None:
    """Store ``n`` SYNTHETIC points as user layer ``synthetic`` under ``root``."""
    import geopandas as gpd
    import shapely

    from corridor.model import NewLayer
    from corridor.store import Engine

    lon, lat = synthetic_points(n, seed)
    frame = gpd.GeoDataFrame(
        {"id": [f"synthetic-{i:06d}" for i in range(n)],
         "name_zh": [f"合成点{i}(SYNTHETIC)" for i in range(n)],
         "name_en": [f"SYNTHETIC point {i}" for i in range(n)]},
        geometry=shapely.points(lon, lat), crs="EPSG:4326")
    Engine.user_layers(root).put_layer(NewLayer("synthetic", frame, title_zh="合成基准测试点(SYNTHETIC,非真实数据)",
                                        title_en="Benchmark points (SYNTHETIC, not real data)"))


def in_process(layers: Path) -> dict[str, Any]:
    """Encoding alone, in this process (no HTTP, no gzip): wall and CPU milliseconds of
    :func:`corridor.tiles.render_tile` for each tile of the block, once (cold), and what the
    central tile holds. CPU time is less disturbed than wall time by other work on a busy
    machine."""
    from corridor.store import Engine
    from corridor.tiles import parse_tile, render_tile

    store = Engine.user_layers(layers)
    wall, cpu = [], []
    central: dict[str, Any] = {}
    for url in block_urls(""):
        z, y, x = url.rsplit("/", 3)[1:]
        t = parse_tile(z, x, y)
        w0, c0 = time.perf_counter(), time.thread_time()
        vt = render_tile(store, "synthetic", t)
        cpu.append((time.thread_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
        if not central:
            central = {"features": vt.features, "points_in_buffered_tile": vt.candidates,
                       "thinned": vt.thinned, "bytes": len(vt.data)}
    return {"wall_ms": summary(wall), "cpu_ms": summary(cpu), "central_tile": central}


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50": statistics.median(values), "p90": pct(values, 90),
            "max": max(values)}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_tiles", description=__doc__.split("\n\n")[0])
    p.add_argument("--points", type=int, default=100_000, help="SYNTHETIC points (default 100,000)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--rounds", type=int, default=3, help="fresh servers, each with a cold cache")
    p.add_argument("--warm", type=int, default=20, help="warm requests per tile and round")
    p.add_argument("--no-browser", action="store_true", help="skip the map render")
    p.add_argument("--out", type=Path, default=RESULTS_DIR / "tiles.json")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cold: list[float] = []
    warm: list[float] = []
    sizes: dict[str, int] = {}
    browser: dict[str, Any] = {}
    loads: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-tiles-") as tmp:
        layers = Path(tmp) / "layers"
        store_layer(layers, args.points, args.seed)
        os.environ["CORRIDOR_LAYERS_DIR"] = str(layers)  # for `corridor serve` below
        for rnd in range(args.rounds):
            port = free_port()
            log = args.out.with_suffix(".server.log")
            proc, started = start_corridor_serve(port, 1, log)
            base = f"http://127.0.0.1:{port}"
            try:
                # the worker renders the other pages in the background after it starts:
                # measure once it is done (and nothing of ours runs)
                Server("corridor serve", "", port, {}, log, proc=proc).wait_idle()
                loads.append(os.getloadavg()[0])
                if rnd == 0 and not args.no_browser:
                    browser["cold"] = map_render(base, args.out.with_name("tiles-map.png"))
                    browser["warm"] = map_render(base, None)
                    browser["server_start_s"] = started
                urls = block_urls(base)
                for url in urls:
                    ms, status, size = get_ms(url)
                    assert status == 200, (url, status)
                    cold.append(ms)
                    sizes[url.split("/WebMercatorQuad/")[1]] = size
                for _ in range(args.warm):
                    for url in urls:
                        warm.append(get_ms(url)[0])
            finally:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=60)
        encoding = in_process(layers)
    central = block_urls("")[0].split("/WebMercatorQuad/")[1]
    doc: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "command": ["python -m benchmarks.bench_tiles", *(argv if argv is not None else sys.argv[1:])],
        "points": args.points, "seed": args.seed, "rounds": args.rounds, "zoom": ZOOM,
        "central_tile": central, "gzip_bytes": sizes,
        "cold_ms": summary(cold), "warm_ms": summary(warm), "map": browser,
        "cold_samples_ms": cold, "in_process": encoding, "load_average_1min": loads,
    }
    args.out.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    print(f"SYNTHETIC layer: {args.points:,} uniform random points over Qingdao, seed {args.seed}; "
          f"z{ZOOM} tiles of the 3 x 3 block around {CENTRAL} (centre {central}, "
          f"{sizes[central]:,} bytes gzipped)")
    for name, s in (("cold", doc["cold_ms"]), ("warm", doc["warm_ms"])):
        print(f"  {name:4} tile: p50 {s['p50']:6.1f} ms  p90 {s['p90']:6.1f} ms  max {s['max']:6.1f} ms"
              f"  ({s['n']} requests)")
    enc = doc["in_process"]
    print(f"  encoding alone (in process, cold): p50 {enc['wall_ms']['p50']:.1f} ms wall, "
          f"{enc['cpu_ms']['p50']:.1f} ms CPU; central tile {enc['central_tile']['features']:,} "
          f"features kept of {enc['central_tile']['points_in_buffered_tile']:,} points")
    print(f"  machine load (1-min average) when each round started: "
          f"{', '.join(f'{x:.1f}' for x in loads)} (2 cores, shared)")
    for name in ("cold", "warm"):
        if name in browser:
            b = browser[name]
            print(f"  map, {name} server: first render {b['first_render_s']:.2f} s at z{b['zoom']} "
                  f"({b['tiles_drawn']} tiles, {b['features_drawn']:,} features drawn, "
                  f"{b['tile_requests']} tile requests; DOMContentLoaded {b['dom_content_loaded_s']:.2f} s)"
                  + (f"  ERRORS {b['errors']}" if b["errors"] else ""))
    ok = doc["cold_ms"]["p50"] < 50 and (not browser or browser["cold"]["first_render_s"] < 3)
    print("targets (tile p50 < 50 ms, first render < 3 s):", "PASS" if ok else "MISS")
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
