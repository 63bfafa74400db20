"""The compiled box page (corridor/boxscan.py) against numpy's plain box test, on SYNTHETIC
points, and its fallback where numba has nowhere to cache the compiled loops."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from corridor.geoindex import GeodesicIndex

ROOT = Path(__file__).resolve().parent.parent


def test_box_page_on_random_boxes_matches_the_plain_box_test():
    """The compiled box page against numpy's box test on 400 random boxes (tiny to wider
    than the data, half of them with edges through points) over 12,000 SYNTHETIC points,
    some of them repeated and some on a shared lon, for pages from 1 to more than match:
    the count and the first ``k``, ascending."""
    rng = np.random.default_rng(11)
    lon, lat = rng.uniform(120.0, 120.6, 12_000), rng.uniform(35.9, 36.4, 12_000)
    lon[::7] = 120.3  # a column of points sharing one lon, the slab's edge for some boxes
    lon[5000:5100], lat[5000:5100] = lon[:100], lat[:100]  # duplicates, later in the order
    index = GeodesicIndex.from_lonlat(lon, lat)
    for _ in range(400):
        x0, x1 = np.sort(rng.uniform(119.95, 120.65, 2))
        y0, y1 = np.sort(rng.uniform(35.85, 36.45, 2))
        if rng.random() < 0.5:  # edges through points: a point on an edge counts
            i, j = rng.integers(0, len(lon), 2)
            x0, x1 = sorted((lon[i], lon[j]))
            y0, y1 = sorted((lat[i], lat[j]))
        want = np.flatnonzero((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
        for k in (1, 10, 257, 20_000):
            matched, first = index.box_page(x0, y0, x1, y1, k)
            assert matched == len(want), ((x0, y0, x1, y1), k)
            assert first.tolist() == want[:k].tolist(), ((x0, y0, x1, y1), k)


def test_compiles_without_a_writable_cache():
    """Where numba finds no place to cache compiled code (a read-only install run by a user
    without a home directory, as in the Dockerfile), the loops are compiled in the process
    instead of failing the import. No cache locator applies to a plain script here."""
    code = (
        "import numpy as np\n"
        "from corridor import boxscan\n"
        "assert boxscan._count._cache.__class__.__name__ == 'NullCache'\n"
        "lon = np.array([120.1, 120.2, 120.3]); lat = np.array([36.0, 36.1, 36.2])\n"
        "order = np.argsort(lon)\n"
        "print(boxscan.box_page(lon[order], lat[order], order, lon, lat, 120.15, 36, 120.3, 36.3, 5, 10))\n"
    )
    env = {"NUMBA_CACHE_LOCATOR_CLASSES": "IPythonCacheLocator", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(2, array([1, 2]))"


def test_served_by_forked_workers(tmp_path):
    """Under the production server the loops are compiled in the master while it loads the
    data, and its forked workers (2, with 2 threads each) use them: bbox pages of a
    6,000-point SYNTHETIC collection, asked on new connections spread over both workers and
    from several threads at once, match the plain box test over the collection's file."""
    from concurrent.futures import ThreadPoolExecutor

    from test_faults import server
    from test_layers_served import request

    from benchmarks import catalogs

    root = catalogs.build_catalog(tmp_path / "cat", 6_000, seed=3)
    doc = json.loads((root / "data" / f"{catalogs.SYNTHETIC_CID}.geojson").read_text(encoding="utf-8"))
    ids = [f["id"] for f in doc["features"]]
    lon = np.array([f["geometry"]["coordinates"][0] for f in doc["features"]])
    lat = np.array([f["geometry"]["coordinates"][1] for f in doc["features"]])
    boxes = [(120.3, 36.05, 120.4, 36.15), (120.0, 35.9, 120.7, 36.5), (120.21, 36.1, 120.23, 36.12),
             (121.0, 37.0, 121.1, 37.1), (float(lon[9]), float(lat[9]), float(lon[9]) + 0.05, float(lat[9]) + 0.05),
             # a corner on the first point: the in-order scan must count it
             (float(lon[0]), float(lat[0]), float(lon[0]) + 0.3, float(lat[0]) + 0.3)]

    def ask(box):
        path = (f"/api/collections/{catalogs.SYNTHETIC_CID}/items?limit=7&bbox="
                + ",".join(repr(v) for v in box))
        status, _, body = request(port, "GET", path, headers={"Accept": "application/geo+json"})
        assert status == 200, body
        page = json.loads(body)
        return page["numberMatched"], [f["id"] for f in page["features"]]

    with server(geodata=root, workers=2, threads=2) as (_, port):
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(ask, boxes * 6))
    for box, got in zip(boxes * 6, answers):
        x0, y0, x1, y1 = box
        want = np.flatnonzero((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
        assert got == (len(want), [ids[i] for i in want[:7]]), box
