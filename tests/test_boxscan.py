"""The bbox page of large point collections (corridor/boxscan.py, numpy) against a
brute-force box test in plain Python, on SYNTHETIC points: random boxes, points on the edges
and corners, boxes with no point, degenerate boxes, duplicates, matches only at the end of
the order; all boxes with west <= east (none crosses the antimeridian). And numba is gone."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from corridor import boxscan
from corridor.geoindex import SLAB_MAX_POINTS, GeodesicIndex

ROOT = Path(__file__).resolve().parent.parent


def brute(lon, lat, box) -> list[int]:
    """Positions, ascending, of the points in the box, edges included: one test a point."""
    x0, y0, x1, y1 = box
    return [i for i, (a, b) in enumerate(zip(lon.tolist(), lat.tolist()))
            if x0 <= a <= x1 and y0 <= b <= y1]


def page(lon, lat, box, k, max_slab=SLAB_MAX_POINTS):
    """:func:`boxscan.box_page` over points given in position order, sorted by lon as
    :class:`GeodesicIndex` sorts them."""
    by_lon = np.argsort(lon, kind="stable")
    return boxscan.box_page(lon[by_lon], lat[by_lon], by_lon, lon, lat, *box, k, max_slab)


def test_box_page_on_random_boxes_matches_brute_force():
    """400 random boxes (tiny to wider than the data, half of them with edges through
    points) over 12,000 SYNTHETIC points, some of them repeated and some on a shared lon,
    for pages from 1 to more than match: the count and the first ``k``, ascending."""
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
        want = brute(lon, lat, (x0, y0, x1, y1))
        for k in (1, 10, 257, 20_000):
            matched, first = index.box_page(x0, y0, x1, y1, k)
            assert matched == len(want), ((x0, y0, x1, y1), k)
            assert first.tolist() == want[:k], ((x0, y0, x1, y1), k)


def _lattice() -> tuple[np.ndarray, np.ndarray]:
    """SYNTHETIC points on a 60 x 60 lattice of exact binary fractions (1/256 degree apart),
    shuffled, with every 9th point repeated at the end of the order."""
    rng = np.random.default_rng(3)
    gx, gy = np.meshgrid(120.0 + np.arange(60) / 256, 36.0 + np.arange(60) / 256)
    order = rng.permutation(gx.size)
    lon, lat = gx.ravel()[order], gy.ravel()[order]
    return np.r_[lon, lon[::9]], np.r_[lat, lat[::9]]


@pytest.mark.parametrize("box", [
    (120.0 + 10 / 256, 36.0 + 20 / 256, 120.0 + 30 / 256, 36.0 + 25 / 256),  # edges on lattice lines
    (120.0 + 10 / 256, 36.0 + 20 / 256, 120.0 + 10 / 256, 36.0 + 50 / 256),  # zero width: one column
    (120.0 + 10 / 256, 36.0 + 20 / 256, 120.0 + 40 / 256, 36.0 + 20 / 256),  # zero height: one row
    (120.0 + 7 / 256, 36.0 + 9 / 256, 120.0 + 7 / 256, 36.0 + 9 / 256),  # a point: one site, repeated
    (120.0 + 10.5 / 256, 36.0, 120.0 + 10.9 / 256, 37.0),  # between two columns: no point
    (119.0, 35.0, 119.5, 35.5),  # beside the data: no point
    (120.0 + 59 / 256, 36.0 + 59 / 256, 121.0, 37.0),  # the last corner only
    (119.0, 35.0, 121.0, 37.0),  # everything
])
def test_edges_degenerate_and_empty_boxes_match_brute_force(box):
    """Points on an edge or a corner count, a box of zero width or height holds its line's
    points, a box with no point gives 0 and no positions, and repeated points all count,
    each at its position: for pages of 0, 1, 7 and more than match, on both ways of finding
    the page (the in-order scan for small pages, the slab's matches sorted for large)."""
    lon, lat = _lattice()
    want = brute(lon, lat, box)
    for k in (0, 1, 7, len(lon) + 1):
        matched, first = page(lon, lat, box, k)
        assert matched == len(want) and first.tolist() == want[:k], k
        assert first.dtype == np.intp


def test_the_scan_goes_on_until_the_page_is_found():
    """All the box's points at the end of the order, a few of them, behind 20,000 that share
    its lon: the in-order scan passes chunk after chunk before it finds them."""
    rng = np.random.default_rng(8)
    lon = rng.uniform(120.0, 120.5, 20_010)
    lat = np.r_[rng.uniform(35.0, 35.9, 20_000), rng.uniform(36.0, 36.1, 10)]
    box = (120.0, 36.0, 120.5, 36.1)
    want = brute(lon, lat, box)
    assert want == list(range(20_000, 20_010))
    for k in (1, 3, 10, 11):
        assert page(lon, lat, box, k)[1].tolist() == want[:k]


def test_a_slab_wider_than_asked_is_left_to_the_tree():
    """More points in the box's lon range than ``max_slab``: no answer (the caller asks its
    tree), while the same box within the limit is answered."""
    lon, lat = _lattice()
    box = (120.0, 36.0, 120.0 + 4 / 256, 36.0 + 4 / 256)
    slab = int(np.count_nonzero(lon <= box[2]))
    assert page(lon, lat, box, 5, max_slab=slab - 1) is None
    assert page(lon, lat, box, 5, max_slab=slab)[1].tolist() == brute(lon, lat, box)[:5]


def test_nothing_depends_on_numba():
    """The project declares neither numba nor llvmlite, and a large point collection's bbox
    page, through the in-process engine's index, imports neither."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = project["dependencies"] + sum(project["optional-dependencies"].values(), [])
    assert not [d for d in declared if d.lower().startswith(("numba", "llvmlite"))]
    code = (
        "import sys\n"
        "import numpy as np\n"
        "import corridor.store.engine\n"
        "from corridor.geoindex import GeodesicIndex\n"
        "rng = np.random.default_rng(1)\n"
        "index = GeodesicIndex.from_lonlat(rng.uniform(120, 121, 10_000), rng.uniform(36, 37, 10_000))\n"
        "matched, first = index.box_page(120.2, 36.2, 120.3, 36.3, 5)\n"
        "assert matched > 5 and len(first) == 5\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numba', 'llvmlite')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_served_by_forked_workers(tmp_path):
    """Under the production server (2 forked workers, 2 threads each), bbox pages of a
    6,000-point SYNTHETIC collection (above the scan's 4,096 points), asked on new
    connections spread over both workers and from several threads at once, match the
    brute-force box test over the collection's file."""
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
        want = brute(lon, lat, box)
        assert got == (len(want), [ids[i] for i in want[:7]]), box
