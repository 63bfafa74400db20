"""benchmarks/bench_http.py without wrk or servers: its SYNTHETIC catalog builder must make
catalogs the service loads, and its wrk parser must not lose errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from datafiles import FileCatalog as Catalog

from benchmarks import bench_http
from corridor.store import Engine


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = bench_http.build_catalog(tmp_path_factory.mktemp("cat") / "b", 1_000, seed=7)
    Engine.load(root)  # the service accepts it
    return root, Catalog(root)


def test_synthetic_catalog_loads_with_every_point_in_the_box(built):
    root, catalog = built
    bundled = Catalog()
    assert list(catalog.collections) == [*bundled.collections, bench_http.SYNTHETIC_CID]
    syn = catalog.collection(bench_http.SYNTHETIC_CID)
    assert len(syn) == 1_000
    assert syn.gdf.index.is_unique
    assert len(catalog.collection("universities")) == len(bundled.collection("universities"))
    x0, y0, x1, y1 = bench_http.SYNTHETIC_BOX
    lon, lat = syn.gdf.geometry.x.to_numpy(), syn.gdf.geometry.y.to_numpy()
    assert ((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)).all()
    # spread over the box, not piled up in a corner
    assert lon.min() < x0 + 0.05 and lon.max() > x1 - 0.05
    assert lat.min() < y0 + 0.05 and lat.max() > y1 - 0.05
    assert syn.gdf["name_en"].str.startswith("SYNTHETIC benchmark point ").all()
    assert syn.gdf["source"].str.startswith("SYNTHETIC").all()
    doc = json.loads((root / "data" / "synthetic.geojson").read_text(encoding="utf-8"))
    assert bench_http.count_in_bbox(doc, bench_http.SYNTHETIC_BOX) == 1_000


def test_synthetic_points_are_seeded():
    a = bench_http.synthetic_points(50, seed=3)
    assert all(np.array_equal(u, v) for u, v in zip(a, bench_http.synthetic_points(50, seed=3)))
    assert not np.array_equal(a[0], bench_http.synthetic_points(50, seed=4)[0])


def test_bundled_only_catalog_has_no_synthetic_collection(tmp_path):
    catalog = Catalog(bench_http.build_catalog(tmp_path / "a"))
    assert bench_http.SYNTHETIC_CID not in catalog.collections


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
    res = bench_http.parse_wrk(WRK_WITH_ERRORS)
    assert res.requests_per_s == pytest.approx(2592.81)
    assert res.requests == 12990
    assert res.latency_ms["50%"] == pytest.approx(11.5)
    assert res.latency_ms["99%"] == pytest.approx(1200.0)
    assert res.non_2xx_3xx == 7
    assert res.socket_errors == {"connect": 0, "read": 3, "write": 0, "timeout": 2}
    assert res.errors == 12


def test_wrk_parser_refuses_output_without_a_rate():
    with pytest.raises(ValueError):
        bench_http.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


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
    assert bench_http.expected_near_count(tmp_path, "origin", 5, slack_m=50) == (2, 2)
    # "in" at 4.9 km, "out" at 5.1 km and the triangle's vertex fall inside a 200 m slack
    assert bench_http.expected_near_count(tmp_path, "origin", 5, slack_m=200) == (0, 3)
