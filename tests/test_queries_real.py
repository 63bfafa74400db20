"""The questions of the brief, asked of the real bundled catalog, checked independently."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import shapely
from geographiclib.geodesic import Geodesic
from shapely.geometry import shape

from corridor import crs, queries

INSTITUTIONS = ("universities", "labs", "facilities", "platforms", "incubators")
#: The raw bundled GeoJSON, read directly for independent expectations.
GEODATA = Path(__file__).resolve().parents[1] / "geodata" / "data"



@pytest.fixture(scope="module")
def store(store, as_kind):
    """The bundled data, in memory and in PostGIS."""
    return as_kind(store)


def _raw(cid: str) -> list[dict]:
    return json.loads((GEODATA / f"{cid}.geojson").read_text(encoding="utf-8"))["features"]


def _rings(geometry: dict) -> list[list[list[float]]]:
    """Every ring (outer and holes) of a GeoJSON Polygon or MultiPolygon."""
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [ring for polygon in polygons for ring in polygon]


def _ray_cast(geometry: dict, lon: float, lat: float) -> bool:
    """Even-odd ray casting over the raw coordinates (a point in a hole is outside)."""
    inside = False
    for ring in _rings(geometry):
        for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
            if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


def _raw_containing(cid: str, lon: float, lat: float) -> list[str]:
    return sorted(f["properties"]["id"] for f in _raw(cid)
                  if f["geometry"] and f["geometry"]["type"] in ("Polygon", "MultiPolygon")
                 and _ray_cast(f["geometry"], lon, lat))


def _reference_km(origin, geom) -> float:
    """Brute force: min geodesic distance from a point to a geometry densified to ~10 m."""
    if geom.covers(origin):
        return 0.0
    if geom.geom_type == "Point":
        coords = np.array([[geom.x, geom.y]])
    else:
        coords = shapely.get_coordinates(shapely.segmentize(geom.boundary, 0.0001))
    # A flat-earth estimate (within a fraction of a percent here) only skips vertices that are
    # clearly farther than the nearest one; the minimum is taken over exact geodesics.
    rough = np.hypot((coords[:, 0] - origin.x) * math.cos(math.radians(origin.y)), coords[:, 1] - origin.y)
    coords = coords[rough * 111.2 <= rough.min() * 111.2 * 1.02 + 0.1]
    g = Geodesic.WGS84
    return min(g.Inverse(origin.y, origin.x, lat, lon, Geodesic.DISTANCE)["s12"] for lon, lat in coords) / 1000.0


def _ids(found):
    return {cid: [h.id for h in hits] for cid, hits in found.items()}


def test_within_5km_of_a_campus_matches_brute_force(catalog, store):
    origin = catalog.locate("ouc-laoshan")[1].geometry
    hits = queries.within_distance(store, "ouc-laoshan", 5)
    got = {(h.collection, h.id): h.distance_km for h in hits}
    expected = {}
    for cid in ("parks", "bays", "corridor", "zones", *INSTITUTIONS):
        for fid, geom in catalog.collection(cid).gdf.geometry.items():
            if fid == "ouc-laoshan" or geom is None:  # itself; a feature with no published site
                continue
            d = _reference_km(origin, geom)
            if d <= 5.0:
                expected[(cid, fid)] = d
    assert set(got) == set(expected)
    for key, d in expected.items():
        assert got[key] == pytest.approx(d, rel=1e-3, abs=0.002), key
    assert [h.distance_km for h in hits] == sorted(h.distance_km for h in hits)
    assert len(expected) >= 3  # the campus has research nearby: the test is not vacuous


#: A point in the high-tech zone's main park on the north shore of Jiaozhou Bay: the zone's
#: 创业大厦 at 智力岛路1号, whose Baidu marker (BD-09 120.284544, 36.272343, on the
#: 青岛智能产业技术研究院 contact page) is this in WGS84 (~1.2 km from the BD-09 figures). It
#: is in 城阳区, about 10 km west of the former Liuting airport (流亭机场, ZSQD, 36.266N
#: 120.374E): 胶州市 ends to the west (at ~120.21E), 即墨区 to the north (~36.31N), 李沧区 to
#: the south-east (~36.24N) and 崂山区 to the east (~120.41E) -- checked below from the raw
#: boundaries.
IN_CHENGYANG = (120.272959, 36.266327)


def _bbox(geometry: dict) -> tuple[float, float, float, float]:
    xs, ys = zip(*(pt for ring in _rings(geometry) for pt in ring), strict=True)
    return min(xs), min(ys), max(xs), max(ys)


def test_which_park_is_here(store, client):
    lon, lat = IN_CHENGYANG
    # independent of the code: district boxes from the raw coordinates rule out all but one,
    # and ray casting puts the point inside 城阳's outline and the park's
    boxes = {f["properties"]["id"]: _bbox(f["geometry"]) for f in _raw("districts")}
    assert len(boxes) == 10
    assert [d for d, (x0, y0, x1, y1) in boxes.items() if x0 <= lon <= x1 and y0 <= lat <= y1] == ["chengyang"]
    assert _raw_containing("districts", lon, lat) == ["chengyang"]
    assert _raw_containing("parks", lon, lat) == ["park-jiaozhou-bay-north"]
    # the collections /api/at answers for (polygons only)
    expected = {cid: _raw_containing(cid, lon, lat) for cid in ("parks", "districts", "bays", "corridor", "zones")}

    here = _ids(queries.at_point(store, lon, lat))
    assert here == expected
    assert here["districts"] == ["chengyang"] and here["parks"] == ["park-jiaozhou-bay-north"]
    # The same through the HTTP API, and as an AMap (GCJ-02) user would give the place.
    glon, glat = (float(v) for v in crs.wgs84_to_gcj02(lon, lat))
    for query in (f"lon={lon}&lat={lat}", f"lon={glon}&lat={glat}&coord-sys=gcj02"):
        contains = client.get(f"/api/at?{query}").get_json()["contains"]
        assert contains == {cid: ids for cid, ids in expected.items() if ids}, query

    # The point above is in no other district's bounding box, so it cannot tell outlines from
    # boxes. 青岛农业大学城阳校区 (its name says 城阳; the campus point is ~1 km from the 即墨
    # boundary) is also inside 即墨区's bounding box: only the outlines put it in 城阳 alone.
    qau = next(f for f in _raw("universities") if f["properties"]["id"] == "qau-chengyang")
    assert "城阳" in qau["properties"]["name_zh"]
    qlon, qlat = qau["geometry"]["coordinates"]
    assert {d for d, (x0, y0, x1, y1) in boxes.items() if x0 <= qlon <= x1 and y0 <= qlat <= y1} == {
        "chengyang", "jimo"}
    assert _raw_containing("districts", qlon, qlat) == ["chengyang"]
    assert _ids(queries.at_point(store, qlon, qlat))["districts"] == ["chengyang"]


def test_a_point_in_jiaozhou_bay_is_in_the_bay(catalog, store):
    bay = catalog.collection("bays").feature("bay-jiaozhou").geometry
    p = bay.representative_point()
    here = _ids(queries.at_point(store, p.x, p.y))
    assert here["bays"] == ["bay-jiaozhou"] and here["districts"] == []


@pytest.mark.parametrize(
    "term,park",
    [("半导体", "park-jiaozhou-bay-north"), ("chips", "park-jiaozhou-bay-north"),
     ("AI", "park-jiaozhou-bay-north"), ("rail transit", "park-jiaozhou-bay-north"),
     ("海洋生物医药", "park-blue-silicon-valley"), ("ＭＡＲＩＮＥ　ＢＩＯＭＥＤＩＣＩＮＥ", "park-blue-silicon-valley")],
)
def test_which_parks_focus_on(store, term, park):
    ids = [h.id for h in queries.by_industry(store, term, collections=["parks"])]
    assert park in ids
    assert len(ids) < 10  # a filter, not everything


def test_name_search_finds_every_campus_of_an_institution(store):
    ids = [h.id for h in queries.by_name(store, "中国海洋大学", collections=["universities"])]
    assert {"ouc-yushan", "ouc-laoshan", "ouc-west-coast"} <= set(ids)
    assert queries.by_name(store, "ocean univ")[0].id.startswith("ouc-")


def test_nearest_university_to_a_park(store, client):
    park = next(shape(f["geometry"]) for f in _raw("parks") if f["properties"]["id"] == "park-blue-silicon-valley")
    reference = {f["properties"]["id"]: _reference_km(shape(f["geometry"]), park) for f in _raw("universities")}
    ranking = sorted(reference, key=reference.get)
    gaps = [reference[b] - reference[a] for a, b in zip(ranking, ranking[1:], strict=False)]
    assert min(gaps) > 0.05  # no near-ties: the order is well defined
    # 山东大学(青岛) lies inside the park's outline (the Blue Silicon Valley at Aoshan Bay);
    # the next campus (青岛农业大学城阳校区) is about 16 km away
    assert ranking[0] == "sdu-qingdao" and reference["sdu-qingdao"] == 0.0

    hits = queries.nearest(store, "park-blue-silicon-valley", 1, collections=["universities"])
    assert [h.id for h in hits] == ranking[:1]
    doc = client.get(f"/api/nearest?of=park-blue-silicon-valley&k={len(ranking)}&collections=universities").get_json()
    assert [f["id"] for f in doc["features"]] == ranking
    for feat in doc["features"]:
        assert feat["properties"]["distance_km"] == pytest.approx(reference[feat["id"]], abs=0.01), feat["id"]
