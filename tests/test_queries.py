"""The query API on a SYNTHETIC catalog built in this file (invented features, exact expectations)."""

from __future__ import annotations

import math

import pytest
import shapely
from datafiles import synthetic_store
from shapely.geometry import box

from corridor.crs import wgs84_to_bd09, wgs84_to_gcj02
from corridor.errors import InvalidParameter, NotFound
from corridor.model import Feature, Hit
from corridor.queries import (
    at_point,
    by_industry,
    by_name,
    in_bbox,
    intersecting,
    nearest,
    resolve_origin,
    within_distance,
)
from corridor.store import FeatureStore as Catalog


def _col(cid: str, rows: list[dict]) -> tuple[str, list[dict]]:
    return cid, rows


def _ids(found: dict[str, list[Hit]]) -> dict[str, list[str]]:
    return {cid: [h.id for h in hits] for cid, hits in found.items()}


@pytest.fixture(scope="module")
def cat(as_kind) -> Catalog:
    """SYNTHETIC store: invented names and places around Qingdao (in memory, and in PostGIS)."""
    cols = [
        _col("land", [{"id": "land-1", "name_zh": "合成陆地", "name_en": "Synthetic land",
                       "geometry": box(119.9, 35.8, 120.8, 36.5)}]),
        _col("districts", [
            {"id": "dist-w", "name_zh": "合成西区", "name_en": "Synthetic West", "geometry": box(119.9, 35.8, 120.3, 36.5)},
            {"id": "dist-e", "name_zh": "合成东区", "name_en": "Synthetic East", "geometry": box(120.3, 35.8, 120.8, 36.5)},
        ]),
        _col("bays", [{"id": "bay-1", "name_zh": "合成湾", "name_en": "Synthetic Bay", "geometry": box(120.2, 36.0, 120.3, 36.1)}]),
        _col("corridor", [{"id": "corr", "name_zh": "合成走廊", "name_en": "Synthetic corridor", "geometry": box(120.0, 35.9, 120.7, 36.4)}]),
        _col("parks", [
            {"id": "park-chip", "name_zh": "合成芯片园", "name_en": "Synthetic Chip Park",
             "industries_zh": ["半导体", "人工智能"], "industries_en": ["semiconductors", "artificial intelligence"],
             "geometry": box(120.35, 36.25, 120.40, 36.30)},
            {"id": "park-sea", "name_zh": "合成海洋园", "name_en": "Synthetic Ocean Park",
             "industries_zh": ["海洋生物医药"], "industries_en": ["marine biomedicine"],
             "geometry": box(120.60, 36.30, 120.65, 36.35)},
            {"id": "park-rail", "name_zh": "合成轨道园", "name_en": "Synthetic Rail Park",
             "industries_zh": ["轨道交通装备", "新能源新材料"], "industries_en": ["rail transit equipment", "new energy and new materials"],
             "geometry": box(120.10, 36.20, 120.15, 36.25)},
            {"id": "park-retail", "name_zh": "合成商贸园", "name_en": "Synthetic Retail Park",
             "industries_zh": ["零售"], "industries_en": ["retail"], "geometry": box(120.50, 36.00, 120.55, 36.05)},
        ]),
        _col("universities", [
            {"id": "uni-n", "name_zh": "合成甲大学北校区", "name_en": "Synthetic University A North Campus",
             "institution_zh": "合成甲大学", "institution_en": "Synthetic University A", "geometry": shapely.Point(120.38, 36.27)},
            {"id": "uni-s", "name_zh": "合成甲大学南校区", "name_en": "Synthetic University A South Campus",
             "institution_zh": "合成甲大学", "institution_en": "Synthetic University A", "geometry": shapely.Point(120.33, 36.07)},
        ]),
        _col("labs", [{"id": "lab-1", "name_zh": "合成实验室", "name_en": "Synthetic Laboratory", "geometry": shapely.Point(120.40, 36.28)}]),
        _col("zones", [
            {"id": "zone-poly", "name_zh": "合成合作区", "name_en": "Synthetic Zone", "geometry": box(120.36, 36.26, 120.37, 36.27)},
            {"id": "zone-pt", "name_zh": "合成新能源汽车区", "name_en": "Synthetic NEV role",
             "industries_zh": ["新能源汽车"], "industries_en": ["new energy vehicles"], "geometry": shapely.Point(120.365, 36.265)},
        ]),
    ]
    return as_kind(synthetic_store(dict(cols)))


# --- distances -------------------------------------------------------------------------------


def test_within_from_a_campus_excludes_itself_and_basemap(cat: Catalog) -> None:
    hits = within_distance(cat, "uni-n", 3)
    ids = [h.id for h in hits]
    assert "uni-n" not in ids
    assert {"park-chip", "corr", "lab-1", "zone-poly", "zone-pt"} <= set(ids)
    assert not {"land-1", "dist-e", "dist-w"} & set(ids)
    assert [h.distance_km for h in hits] == sorted(h.distance_km for h in hits)
    chip = next(h for h in hits if h.id == "park-chip")
    assert chip.distance_km == 0.0  # the campus lies inside the park


def test_within_only_some_collections_and_from_a_point(cat: Catalog) -> None:
    hits = within_distance(cat, (120.38, 36.27), 30, collections=["districts", "parks"])
    assert {h.collection for h in hits} == {"districts", "parks"}
    assert hits[0].distance_km == 0.0


def test_polygon_origin_counts_from_its_edge(cat: Catalog) -> None:
    # lab-1 (120.40, 36.28) lies on park-chip's east edge: distance 0.
    hits = within_distance(cat, "park-chip", 1, collections=["labs"])
    assert [(h.collection, h.id, h.distance_km) for h in hits] == [("labs", "lab-1", 0.0)]


@pytest.mark.parametrize("coord_sys,convert", [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09), ("GCJ-02", wgs84_to_gcj02)])
def test_point_inputs_are_converted_from_chinese_web_systems(cat: Catalog, coord_sys: str, convert) -> None:
    lon, lat = 120.3651, 36.2651
    clon, clat = (float(v) for v in convert(lon, lat))
    assert abs(clon - lon) + abs(clat - lat) > 1e-3  # the offset is real (hundreds of metres)
    assert _ids(at_point(cat, clon, clat, coord_sys)) == _ids(at_point(cat, lon, lat))
    assert at_point(cat, clon, clat)["zones"] == []  # unconverted, it misses the small zone
    got = within_distance(cat, (clon, clat), 5, coord_sys=coord_sys)
    ref = within_distance(cat, (lon, lat), 5)
    assert [h.id for h in got] == [h.id for h in ref]
    assert all(math.isclose(a.distance_km, b.distance_km, abs_tol=1e-6) for a, b in zip(got, ref))
    origin = resolve_origin(cat, (clon, clat), coord_sys)
    assert origin.distance(shapely.Point(lon, lat)) < 1e-8


def test_nearest_across_and_per_collection(cat: Catalog) -> None:
    top = nearest(cat, "uni-s", 2)
    assert len(top) == 2 and all(h.id != "uni-s" for h in top)
    assert [h.id for h in top] == ["corr", "bay-1"]  # inside the corridor, then the bay
    per = nearest(cat, (120.38, 36.27), 1, collections=["parks", "labs"], per_collection=True)
    assert [(h.collection, h.id) for h in per] == [("parks", "park-chip"), ("labs", "lab-1")]
    assert len(nearest(cat, "uni-n", 1000, collections=["universities"])) == 1


# --- containment and selection ---------------------------------------------------------------


def test_at_point_reports_every_polygon_collection(cat: Catalog) -> None:
    got = _ids(at_point(cat, 120.365, 36.265))
    assert got == {"parks": ["park-chip"], "districts": ["dist-e"], "bays": [], "corridor": ["corr"], "zones": ["zone-poly"]}
    assert _ids(at_point(cat, 125.0, 30.0)) == {"parks": [], "districts": [], "bays": [], "corridor": [], "zones": []}


def test_bbox_and_polygon_selection(cat: Catalog) -> None:
    hits = in_bbox(cat, (120.37, 36.26, 120.39, 36.28), collections=["parks", "universities", "labs"])
    assert [(h.collection, h.id) for h in hits] == [("parks", "park-chip"), ("universities", "uni-n")]
    tri = {"type": "Polygon", "coordinates": [[[120.3, 36.0], [120.49, 36.0], [120.3, 36.2], [120.3, 36.0]]]}
    ids = [h.id for h in intersecting(cat, tri, collections=["universities", "bays", "parks"])]
    assert ids == ["bay-1", "uni-s"]
    text = '{"type": "Feature", "properties": {}, "geometry": ' + str(tri).replace("'", '"') + "}"
    assert [h.id for h in intersecting(cat, text, collections=["universities", "bays", "parks"])] == ids


# --- text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "term,expected",
    [
        ("人工智能", ["park-chip"]),
        ("AI", ["park-chip"]),
        ("ａｉ", ["park-chip"]),  # full-width
        ("chips", ["park-chip"]),
        ("集成电路", ["park-chip"]),
        ("Semiconductor", ["park-chip"]),
        ("marine biomedicine", ["park-sea"]),
        ("生物医药", ["park-sea"]),
        ("rail transit", ["park-rail"]),
        ("轨道交通", ["park-rail"]),
        ("NEV", ["zone-pt"]),
        ("新能源汽车", ["zone-pt"]),
        ("quantum", []),
    ],
)
def test_by_industry_with_synonyms(cat: Catalog, term: str, expected: list[str]) -> None:
    assert [h.id for h in by_industry(cat, term)] == expected


def test_by_name_ranks_exact_prefix_substring_fuzzy(cat: Catalog) -> None:
    hits = by_name(cat, "合成甲大学")
    assert [h.id for h in hits[:2]] == ["uni-n", "uni-s"] and hits[0].score == 3.0  # institution exact
    assert [h.id for h in by_name(cat, "合成芯片园")] == ["park-chip"]
    pref = by_name(cat, "synthetic rail")
    assert pref[0].id == "park-rail" and 2 < pref[0].score < 3
    sub = by_name(cat, "ocean park")
    assert sub[0].id == "park-sea" and 1 < sub[0].score < 2
    fuzzy = by_name(cat, "Synthetic Laboratry")
    assert fuzzy[0].id == "lab-1" and fuzzy[0].score < 1
    assert by_name(cat, "ＳＹＮＴＨＥＴＩＣ　ＢＡＹ")[0].id == "bay-1"  # full-width + ideographic space
    assert len(by_name(cat, "synthetic", limit=3)) == 3
    scores = [h.score for h in by_name(cat, "synthetic")]
    assert scores == sorted(scores, reverse=True)


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("km", [0, -1, -0.001, float("nan"), float("inf"), -float("inf"), 300.001, 1e9, "five", "nan", None, True])
def test_bad_distances(cat: Catalog, km) -> None:
    with pytest.raises(InvalidParameter, match="expected a number of kilometres") as exc:
        within_distance(cat, "uni-n", km)
    assert repr(km) in str(exc.value)


@pytest.mark.parametrize("k", [0, -1, 1001, 2.5, "3.5", "-3", None, True])
def test_bad_k(cat: Catalog, k) -> None:
    with pytest.raises(InvalidParameter, match="expected an integer from 1 to 1000") as exc:
        nearest(cat, "uni-n", k)
    assert repr(k) in str(exc.value)


@pytest.mark.parametrize(
    "of",
    [(181.0, 36.0), (-180.5, 0.0), (120.0, 90.1), (120.0, -91.0), (float("nan"), 36.0),
     (120.0, float("inf")), (120.0,), (120.0, 36.0, 1.0), ("120", "north"), None, 5, ""],
)
def test_bad_origins(cat: Catalog, of) -> None:
    with pytest.raises(InvalidParameter, match="expected") as exc:
        within_distance(cat, of, 5)
    assert repr(of)[:10].strip("()") in str(exc.value) or of == ""


@pytest.mark.parametrize("lon,lat", [(200.0, 36.0), (120.0, 95.0), (float("nan"), 36.0), ("x", 36.0)])
def test_bad_at_point(cat: Catalog, lon, lat) -> None:
    with pytest.raises(InvalidParameter, match=r"expected"):
        at_point(cat, lon, lat)


def test_bad_coordinate_system(cat: Catalog) -> None:
    with pytest.raises(InvalidParameter, match="'mercator'.*expected one of wgs84, gcj02, bd09"):
        within_distance(cat, (120.3, 36.1), 5, coord_sys="mercator")


@pytest.mark.parametrize("call", [
    lambda c: within_distance(c, "no-such-feature", 5),
    lambda c: nearest(c, "no-such-feature", 3),
])
def test_unknown_feature(cat: Catalog, call) -> None:
    with pytest.raises(NotFound, match="'no-such-feature'"):
        call(cat)


@pytest.mark.parametrize("call", [
    lambda c: within_distance(c, "uni-n", 5, collections=["parks", "nope"]),
    lambda c: nearest(c, "uni-n", 3, collections=["nope"]),
    lambda c: in_bbox(c, (120, 36, 121, 37), collections=["nope"]),
    lambda c: intersecting(c, {"type": "Point", "coordinates": [120, 36]}, collections=["nope"]),
    lambda c: by_industry(c, "AI", collections=["nope"]),
    lambda c: by_name(c, "x", collections=["nope"]),
])
def test_unknown_collection_lists_valid_ones(cat: Catalog, call) -> None:
    with pytest.raises(NotFound, match="'nope' not found; expected one of land, districts, bays"):
        call(cat)


@pytest.mark.parametrize("collections", ["parks", []])
def test_bad_collections_argument(cat: Catalog, collections) -> None:
    with pytest.raises(InvalidParameter, match="expected a non-empty list of collection ids"):
        within_distance(cat, "uni-n", 5, collections=collections)


@pytest.mark.parametrize("bbox", [
    (120.5, 36.0, 120.4, 36.1), (120.4, 36.1, 120.5, 36.1), (120.0, 36.0, 181.0, 37.0),
    (120.0, 36.0, 121.0), (120.0, float("nan"), 121.0, 37.0), "120,36,121,37", None,
])
def test_bad_bbox(cat: Catalog, bbox) -> None:
    with pytest.raises(InvalidParameter, match=r"expected \(minlon, minlat, maxlon, maxlat\)"):
        in_bbox(cat, bbox)


@pytest.mark.parametrize("geometry,why", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a GeoJSON geometry"),
    ({"type": "Circle", "coordinates": [120, 36]}, "expected a GeoJSON geometry"),
    ({"type": "FeatureCollection", "features": []}, "expected a GeoJSON geometry"),
    ({"type": "Polygon", "coordinates": "abc"}, "malformed coordinates"),
    ({"type": "Polygon", "coordinates": [[[120, 36], [121, 36]]]}, "malformed coordinates"),
    ({"type": "Polygon", "coordinates": []}, "empty"),
    ({"type": "Polygon", "coordinates": [[[120, 36], [121, 37], [121, 36], [120, 37], [120, 36]]]}, "invalid: Self-intersection"),
    ({"type": "Point", "coordinates": [36, 200]}, "expected -180 <= lon <= 180"),
    ({"type": "Point", "coordinates": [float("nan"), 36]}, "expected -180 <= lon <= 180"),
])
def test_bad_geojson(cat: Catalog, geometry, why: str) -> None:
    with pytest.raises(InvalidParameter, match=why):
        intersecting(cat, geometry)


@pytest.mark.parametrize("text", ["", "   ", "\u3000", None, 3])
def test_empty_search_terms(cat: Catalog, text) -> None:
    with pytest.raises(InvalidParameter, match="expected a non-empty string"):
        by_name(cat, text)
    with pytest.raises(InvalidParameter, match="expected a non-empty string"):
        by_industry(cat, text)


@pytest.mark.parametrize("limit", [0, -3, 1001, 1.5])
def test_bad_limit(cat: Catalog, limit) -> None:
    with pytest.raises(InvalidParameter, match="limit="):
        by_name(cat, "synthetic", limit=limit)


def test_numeric_text_is_read_like_numbers(cat: Catalog) -> None:
    """One validator serves the API's query strings and the domain's numbers alike."""
    as_text = within_distance(cat, ("120.38", " 36.27"), "5")
    as_numbers = within_distance(cat, (120.38, 36.27), 5)
    assert [(h.id, h.distance_km) for h in as_text] == [(h.id, h.distance_km) for h in as_numbers]
    assert [h.id for h in nearest(cat, "uni-n", "2")] == [h.id for h in nearest(cat, "uni-n", 2)]


def test_over_long_search_text_is_refused_without_work(cat: Catalog) -> None:
    with pytest.raises(InvalidParameter, match="100000 characters long.*expected at most 200"):
        by_name(cat, "x" * 100_000)


def test_hit_is_frozen(cat: Catalog) -> None:
    h = Hit(cat.get("parks", "park-chip"))
    with pytest.raises(AttributeError):
        h.distance_km = 1.0  # type: ignore[misc]
    assert (h.collection, h.id) == ("parks", "park-chip")
    assert h.distance_km is None and h.score is None and isinstance(h.feature, Feature)
