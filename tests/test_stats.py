"""Layer statistics (corridor.stats) and indicator tags (corridor.indicators), checked against
brute force: shapely on the raw polygons read with geopandas (FileCatalog) and geographiclib
geodesics, over a SYNTHETIC user layer beside the bundled collections."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from datafiles import (
    SYNTHETIC_USER_ENTRY,
    brute_campuses,
    brute_zones,
    bundled_with,
    geodata_with_synthetic,
    synthetic_points,
    synthetic_user_layer,
)

from corridor.errors import DataError, InvalidParameter, NotFound
from corridor.indicators import check_indicator, tagged_layers
from corridor.stats import BY, DEFAULT_KM, layer_statistics
from corridor.store import GEODATA_DIR, Engine

ENTRY = SYNTHETIC_USER_ENTRY
KM = DEFAULT_KM


@pytest.fixture(scope="module")
def features():
    return synthetic_user_layer(ring_km=KM)


@pytest.fixture(scope="module")
def user_store(features):
    return bundled_with(ENTRY, features)


def check_against(st, expected, features):
    assert [z.id for z in st.counts] == list(expected)
    for z in st.counts:
        want = expected[z.id]
        assert z.count == (None if want is None else len(want)), z.id
    placed = [f["id"] for f in features if f["geometry"] is not None]
    met = set().union(*(v for v in expected.values() if v is not None))
    assert st.total == len(features)
    assert st.unplaced == len(features) - len(placed)
    assert st.outside == len(set(placed) - met)


def test_counts_per_park_match_brute_force(user_store, features, catalog):
    st = layer_statistics(user_store, "synthetic", "park")
    expected = brute_zones(features, catalog.collection("parks"))
    check_against(st, expected, features)
    assert st.zones == "parks" and st.km is None
    # every placed park holds at least its representative point and a vertex of its outline
    assert all(z.count is None or z.count >= 2 for z in st.counts)
    assert st.outside > 1000  # most of the random points lie in no park


def test_counts_per_district_match_brute_force(user_store, features, catalog):
    st = layer_statistics(user_store, "synthetic", "district")
    expected = brute_zones(features, catalog.collection("districts"))
    check_against(st, expected, features)
    # the random points over land and sea: some in every district, some in the sea
    assert all(z.count for z in st.counts) and st.outside > 0


@pytest.mark.parametrize("km", [KM, 3.0])
def test_counts_within_km_of_each_campus_match_geodesic_brute_force(user_store, features, catalog, km):
    st = layer_statistics(user_store, "synthetic", "campus", None if km == KM else str(km))
    expected = brute_campuses(features, catalog.collection("universities"), km)
    check_against(st, expected, features)
    assert st.km == km and st.zones == "universities"


def test_features_without_a_position_are_counted_not_dropped(user_store, features):
    unplaced = sum(f["geometry"] is None for f in features)
    assert unplaced == 5
    for by in BY:
        st = layer_statistics(user_store, "synthetic", by)
        assert st.unplaced == unplaced and st.placed == len(features) - unplaced


def test_a_park_without_a_published_location_has_no_count(user_store, catalog):
    unplaced_parks = [pid for pid, g in catalog.collection("parks").gdf.geometry.items() if g is None]
    assert unplaced_parks
    st = layer_statistics(user_store, "synthetic", "park")
    for pid in unplaced_parks:
        assert st.count_of(pid) is None
    with pytest.raises(NotFound, match="nowhere"):
        st.count_of("nowhere")


def test_a_polygon_counts_in_every_district_it_meets(store):
    shinan, shibei = (store.get("districts", d).geometry for d in ("shinan", "shibei"))
    border = shinan.boundary.intersection(shibei.boundary)
    assert not border.is_empty
    p = shapely.get_coordinates(border)[0]
    square = {"type": "Polygon", "coordinates": [[[p[0] - 0.002, p[1] - 0.002], [p[0] + 0.002, p[1] - 0.002],
                                                  [p[0] + 0.002, p[1] + 0.002], [p[0] - 0.002, p[1] + 0.002],
                                                  [p[0] - 0.002, p[1] - 0.002]]]}
    feat = synthetic_points(1)[0]
    feat["geometry"] = square
    st = layer_statistics(bundled_with(ENTRY, [feat]), "synthetic", "district")
    assert {z.id: z.count for z in st.counts if z.count} == {"shinan": 1, "shibei": 1}
    assert st.outside == 0 and st.unplaced == 0 and st.total == 1


def test_an_empty_layer_counts_nothing():
    st = layer_statistics(bundled_with(ENTRY, []), "synthetic", "district")
    assert (st.total, st.unplaced, st.outside) == (0, 0, 0)
    assert all(z.count == 0 for z in st.counts)


class _Spy:
    """Counts the calls a store receives, to show the work is per zone, not per feature."""

    def __init__(self, store):
        self.store, self.calls = store, []

    def __getattr__(self, name):
        attr = getattr(self.store, name)
        if not callable(attr):
            return attr

        def call(*args, **kw):
            self.calls.append((name, args[0] if args else None))
            return attr(*args, **kw)
        return call


@pytest.mark.parametrize(("by", "primitive", "zones"), [
    ("park", "intersecting", "parks"), ("district", "intersecting", "districts"),
    ("campus", "within", "universities")])
def test_one_store_query_per_zone_never_one_per_feature(user_store, by, primitive, zones):
    spy = _Spy(user_store)
    layer_statistics(spy, "synthetic", by)  # type: ignore[arg-type]
    placed_zones = sum(f.geometry is not None for f in user_store.features(zones))
    assert sum(name == primitive for name, _ in spy.calls) == placed_zones
    # the layer's features are never listed one by one: only the zones are
    assert ("features", "synthetic") not in spy.calls
    assert len(spy.calls) < placed_zones + 10


@pytest.mark.parametrize(("by", "km", "message"), [
    ("parks", None, "by='parks' is not valid; expected one of park, district, campus"),
    ("", None, "by='' is not valid"),
    (None, None, "by=None"),
    ("campus", "0", "km='0' is not valid; expected a number of kilometres greater than 0"),
    ("campus", "nan", "km='nan'"),
    ("campus", 301, "at most 300"),
    ("campus", "five", "km='five'"),
    ("park", 5, "km=5 applies to by=campus only"),
])
def test_bad_by_or_km_is_refused_naming_the_value(user_store, by, km, message):
    with pytest.raises(InvalidParameter) as exc:
        layer_statistics(user_store, "synthetic", by, km)
    assert message in str(exc.value)


def test_unknown_collection_or_missing_role(user_store):
    with pytest.raises(NotFound, match="nope"):
        layer_statistics(user_store, "nope", "park")
    bare = Engine.from_features([(dict(ENTRY, indicator=None), synthetic_points(3))])
    with pytest.raises(NotFound, match="role 'districts'"):
        layer_statistics(bare, "synthetic", "district")


# --- indicator tags ----------------------------------------------------------------------------


@pytest.mark.parametrize("tag", ["high-tech-enterprises", "高新技术企业数量", " Number of high-tech enterprises "])
def test_check_indicator_takes_an_id_or_an_exact_name(store, tag):
    assert check_indicator(store, tag).id == "high-tech-enterprises"
    assert check_indicator(store.indicators(), tag).target == 8000


@pytest.mark.parametrize("tag", ["high-tech", "高新技术企业", "", None, 5])
def test_check_indicator_refuses_anything_else_listing_the_choices(store, tag):
    with pytest.raises(InvalidParameter) as exc:
        check_indicator(store, tag)
    text = str(exc.value)
    assert repr(tag) in text and "high-tech-enterprises (高新技术企业数量)" in text
    assert all(i.id in text for i in store.indicators())


def test_stores_refuse_a_tag_naming_no_indicator(store, tmp_path):
    with pytest.raises(InvalidParameter, match="'high-tech'"):
        Engine.from_features([(dict(ENTRY, indicator="high-tech"), synthetic_points(2))],
                                  store.indicators())
    root = geodata_with_synthetic(tmp_path / "geodata", synthetic_points(2), GEODATA_DIR,
                                  dict(ENTRY, geometry=["Point"], indicator="high-tech"))
    with pytest.raises(DataError) as exc:
        Engine.load(root)
    assert "'indicator'" in str(exc.value) and "high-tech-enterprises" in str(exc.value)


def test_a_tag_by_name_is_stored_as_the_id(store, tmp_path):
    root = geodata_with_synthetic(tmp_path / "geodata", synthetic_points(2), GEODATA_DIR,
                                  dict(ENTRY, geometry=["Point"], indicator="高新技术企业数量"))
    loaded = Engine.load(root)
    assert loaded.collection("synthetic").indicator == "high-tech-enterprises"
    assert loaded.collection("synthetic").group == "user"


def test_tagged_layers_groups_collections_by_indicator(user_store):
    tagged = tagged_layers(user_store.collections())
    assert list(tagged) == ["high-tech-enterprises"]
    assert [m.id for m in tagged["high-tech-enterprises"]] == ["synthetic"]


def test_statistics_hold_for_a_large_point_layer(store):
    """100,000 SYNTHETIC points: the sums reconcile (zones + outside = placed for districts,
    which do not overlap; a point on a shared border may count twice)."""
    pts = synthetic_points(100_000, seed=3)
    big = bundled_with(dict(ENTRY, geometry=["Point"]), pts)
    st = layer_statistics(big, "synthetic", "district")
    counted = sum(z.count or 0 for z in st.counts)
    assert st.total == 100_000 and st.unplaced == 0
    assert 0 <= counted + st.outside - st.placed <= 5
    lon = np.array([f["geometry"]["coordinates"][0] for f in pts])
    lat = np.array([f["geometry"]["coordinates"][1] for f in pts])
    shinan = store.get("districts", "shinan").geometry
    assert st.count_of("shinan") == int(shapely.intersects_xy(shinan, lon, lat).sum())
