"""The questions of the brief, asked of the real bundled catalog, checked independently."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from geographiclib.geodesic import Geodesic

from corridor import crs, queries

INSTITUTIONS = ("universities", "labs", "facilities", "platforms", "incubators")


def _reference_km(origin, geom) -> float:
    """Brute force: min geodesic distance from a point to a geometry densified to ~10 m."""
    if geom.covers(origin):
        return 0.0
    if geom.geom_type == "Point":
        coords = np.array([[geom.x, geom.y]])
    else:
        coords = shapely.get_coordinates(shapely.segmentize(geom.boundary, 0.0001))
    g = Geodesic.WGS84
    return min(g.Inverse(origin.y, origin.x, lat, lon)["s12"] for lon, lat in coords) / 1000.0


def _ids(found):
    return {cid: [h.id for h in hits] for cid, hits in found.items()}


def test_within_5km_of_a_campus_matches_brute_force(catalog, store):
    origin = catalog.locate("ouc-laoshan")[1].geometry
    hits = queries.within_distance(store, "ouc-laoshan", 5)
    got = {(h.collection, h.id): h.distance_km for h in hits}
    expected = {}
    for cid in ("parks", "bays", "corridor", "zones", *INSTITUTIONS):
        for fid, geom in catalog.collection(cid).gdf.geometry.items():
            if fid == "ouc-laoshan":
                continue
            d = _reference_km(origin, geom)
            if d <= 5.0:
                expected[(cid, fid)] = d
    assert set(got) == set(expected)
    for key, d in expected.items():
        assert got[key] == pytest.approx(d, rel=1e-3, abs=0.002), key
    assert [h.distance_km for h in hits] == sorted(h.distance_km for h in hits)
    assert len(expected) >= 3  # the campus has research nearby: the test is not vacuous


def test_which_park_is_here(catalog, store):
    park = catalog.collection("parks").feature("park-jiaozhou-bay-north").geometry
    p = park.representative_point()
    here = _ids(queries.at_point(store, p.x, p.y))
    assert "park-jiaozhou-bay-north" in here["parks"]
    assert here["districts"] == ["chengyang"]
    # The same place as an AMap (GCJ-02) user would give it.
    glon, glat = crs.wgs84_to_gcj02(p.x, p.y)
    assert _ids(queries.at_point(store, float(glon), float(glat), coord_sys="gcj02")) == here


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


def test_nearest_university_to_a_park(store):
    hits = queries.nearest(store, "park-blue-silicon-valley", 1, collections=["universities"])
    assert hits[0].id == "sdu-qingdao"
