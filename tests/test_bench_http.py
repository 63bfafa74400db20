"""The benchmarks without wrk or servers: the SYNTHETIC catalog builder must make catalogs
the service loads, the wrk parser must not lose errors, and every benchmark is a module of
the ``benchmarks`` package that runs with ``python -m`` and edits no ``sys.path``."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from datafiles import FileCatalog as Catalog

from benchmarks import catalogs, harness, wrk
from corridor.store import Engine

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
SCRIPTS = sorted(p.stem for p in BENCH.glob("*.py") if p.stem.startswith(("bench_", "load_")))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = catalogs.build_catalog(tmp_path_factory.mktemp("cat") / "b", 1_000, seed=7)
    Engine.load(root)  # the service accepts it
    return root, Catalog(root)


def test_synthetic_catalog_loads_with_every_point_in_the_box(built):
    root, catalog = built
    bundled = Catalog()
    assert list(catalog.collections) == [*bundled.collections, catalogs.SYNTHETIC_CID]
    syn = catalog.collection(catalogs.SYNTHETIC_CID)
    assert len(syn) == 1_000
    assert syn.gdf.index.is_unique
    assert len(catalog.collection("universities")) == len(bundled.collection("universities"))
    x0, y0, x1, y1 = catalogs.SYNTHETIC_BOX
    lon, lat = syn.gdf.geometry.x.to_numpy(), syn.gdf.geometry.y.to_numpy()
    assert ((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)).all()
    # spread over the box, not piled up in a corner
    assert lon.min() < x0 + 0.05 and lon.max() > x1 - 0.05
    assert lat.min() < y0 + 0.05 and lat.max() > y1 - 0.05
    assert syn.gdf["name_en"].str.startswith("SYNTHETIC benchmark point ").all()
    assert syn.gdf["source"].str.startswith("SYNTHETIC").all()
    doc = json.loads((root / "data" / "synthetic.geojson").read_text(encoding="utf-8"))
    assert catalogs.count_in_bbox(doc, catalogs.SYNTHETIC_BOX) == 1_000


def test_synthetic_points_are_seeded():
    a = catalogs.synthetic_points(50, seed=3)
    assert all(np.array_equal(u, v) for u, v in zip(a, catalogs.synthetic_points(50, seed=3)))
    assert not np.array_equal(a[0], catalogs.synthetic_points(50, seed=4)[0])


def test_bundled_only_catalog_has_no_synthetic_collection(tmp_path):
    catalog = Catalog(catalogs.build_catalog(tmp_path / "a"))
    assert catalogs.SYNTHETIC_CID not in catalog.collections


WRK_WITH_ERRORS = """\
Running 5s test @ http://127.0.0.1:8000/api
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.10ms    3.20ms  40.00ms   80.00%
    Req/Sec     1.30k   120.00     1.50k    70.00%
  Latency Distribution
     50%   11.50ms
     75%   13.00ms
     90%   15.20ms
     99%    1.20s{pad}
  12990 requests in 5.01s, 9.50MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 7
Requests/sec:   2592.81
Transfer/sec:      1.90MB
""".format(pad=" ")  # wrk pads a latency in whole seconds with a trailing space


def test_wrk_parser_keeps_rate_latency_and_errors():
    res = wrk.parse_wrk(WRK_WITH_ERRORS)
    assert res.requests_per_s == pytest.approx(2592.81)
    assert res.requests == 12990
    assert res.latency_ms["50%"] == pytest.approx(11.5)
    assert res.latency_ms["99%"] == pytest.approx(1200.0)
    assert res.non_2xx_3xx == 7
    assert res.socket_errors == {"connect": 0, "read": 3, "write": 0, "timeout": 2}
    assert res.errors == 12


def test_wrk_parser_refuses_output_without_a_rate():
    with pytest.raises(ValueError):
        wrk.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_expected_near_count_is_geodesic_and_skips_origin_and_basemap(tmp_path):
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    lon0, lat0 = 120.45, 36.12

    def at(km: float, azimuth: float) -> list[float]:
        lon, lat, _ = geod.fwd(lon0, lat0, azimuth, km * 1000)
        return [lon, lat]

    def point(fid: str, coords: list[float]) -> dict:
        return {"type": "Feature", "properties": {"id": fid},
                "geometry": {"type": "Point", "coordinates": coords}}

    # a triangle pointing at the origin: its nearest point is the vertex 4.9 km north-east
    a, b, c = at(4.9, 45), at(6.0, 40), at(6.0, 50)
    triangle = {"type": "Feature", "properties": {"id": "area"},
              "geometry": {"type": "Polygon", "coordinates": [[a, b, c, a]]}}
    docs = {
        "things": [point("origin", [lon0, lat0]), point("in", at(4.9, 10)),
                   point("out", at(5.1, 200)), triangle],
        "ground": [point("base-in", at(1.0, 0))],
    }
    (tmp_path / "data").mkdir()
    toml = ""
    for cid, feats in docs.items():
        group = "basemap" if cid == "ground" else "institutions"
        toml += f'[[collection]]\nid = "{cid}"\ngroup = "{group}"\n\n'
        (tmp_path / "data" / f"{cid}.geojson").write_text(
            json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    (tmp_path / "collections.toml").write_text(toml, encoding="utf-8")
    assert catalogs.expected_near_count(tmp_path, "origin", 5, slack_m=50) == (2, 2)
    # "in" at 4.9 km, "out" at 5.1 km and the triangle's vertex fall inside a 200 m slack
    assert catalogs.expected_near_count(tmp_path, "origin", 5, slack_m=200) == (0, 3)


def _is_sys_path(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "path"
            and isinstance(node.value, ast.Name) and node.value.id == "sys")


def _sys_path_edits(source: str) -> list[int]:
    """Lines that call a method of ``sys.path`` or assign to it (or to an item of it)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            hit = _is_sys_path(node.func.value)
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            hit = any(_is_sys_path(t.value if isinstance(t, ast.Subscript) else t) for t in targets)
        else:
            continue
        if hit:
            lines.append(node.lineno)
    return sorted(lines)


@pytest.mark.parametrize("source, lines", [
    ("import sys\nsys.path.insert(0, 'x')\n", [2]),
    ("import sys\nsys.path.append('x')\nsys.path += ['y']\n", [2, 3]),
    ("import sys\nsys.path = ['x']\nsys.path[0] = 'y'\n", [2, 3]),
    ("import sys\nprint(sys.path, 'sys.path.insert')\nos.path.join('a')\n", []),
])
def test_the_sys_path_check_finds_edits(source, lines):
    assert _sys_path_edits(source) == lines


def test_no_benchmark_edits_sys_path():
    """Every module imports its siblings and the service as a package does."""
    hits = {p.name: _sys_path_edits(p.read_text(encoding="utf-8")) for p in BENCH.glob("*.py")}
    assert {name: lines for name, lines in hits.items() if lines} == {}


def test_every_module_is_small():
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in BENCH.glob("*.py")}
    assert {name: n for name, n in sizes.items() if n >= 400} == {}


@pytest.mark.parametrize("script", SCRIPTS)
def test_benchmark_runs_as_a_module(script):
    """``python -m benchmarks.<script> --help`` from the repository root, as the READMEs say,
    imports the harness and the service and explains itself under the name it is run by."""
    proc = subprocess.run([sys.executable, "-m", f"benchmarks.{script}", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"usage: python -m benchmarks.{script} ")


def test_test_helpers_load_by_path_and_leave_sys_path_alone():
    before = list(sys.path)
    datafiles = harness.load_test_helper("datafiles")
    frame = datafiles.synthetic_frame(20, seed=11)
    assert len(frame) == 20 and frame["name_en"].str.startswith("SYNTHETIC").all()
    assert harness.load_test_helper("datafiles") is datafiles  # loaded once
    assert callable(harness.load_test_helper("pg").server_bin)
    assert sys.path == before
    with pytest.raises(FileNotFoundError, match="no test helper"):
        harness.load_test_helper("no_such_helper")
