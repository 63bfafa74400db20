"""Site match (corridor.match) against brute force built from the data files themselves
(geopandas, geographiclib), on the in-process engine and on PostGIS."""

from __future__ import annotations

import pytest
from datafiles import (
    SYNTHETIC_USER_ENTRY,
    brute_zones,
    bundled_with,
    synthetic_user_layer,
)
from matchbrute import AMBIGUOUS_M, area_km2, research_near, unique_terms

from corridor.errors import InvalidParameter
from corridor.match import TIE_RULE, Weights, criteria, match


def test_an_industry_only_one_park_names_ranks_that_park_first(any_store, catalog):
    terms = unique_terms(catalog)
    assert len(terms) > 20
    for term, pid in terms:
        ranked = match(any_store, criteria(any_store, [term]))
        assert ranked[0].park.id == pid, term
        assert ranked[0].matched and ranked[0].reasons_of("industry")[0].matched
        assert not any(m.matched for m in ranked[1:]), term
        assert [m.rank for m in ranked] == list(range(1, len(ranked) + 1))


@pytest.mark.parametrize("km", [5.0, 10.0])
def test_research_counts_equal_a_geodesic_brute_force(any_store, catalog, km):
    ranked = match(any_store, criteria(any_store, km=km))
    research = [c.id for c in catalog.collections.values() if "nearby" in c.roles]
    assert {r.collection for r in ranked[0].reasons_of("research")} == set(research)
    parks = catalog.collection("parks").gdf
    for m in ranked:
        geom = parks.loc[m.park.id].geometry
        if geom is None:  # location not published: said so, nothing measured
            assert not m.placed
            assert all(r.count is None and not r.near and r.points == 0
                       for r in m.reasons_of("research"))
            assert m.reasons_of("area")[0].km2 is None
            continue
        assert m.placed
        assert m.reasons_of("area")[0].km2 == pytest.approx(area_km2(geom), rel=1e-3)
        for r in m.reasons_of("research"):
            sure_in, sure_out, dist = research_near(catalog, m.park.id, r.collection, km)
            got = {n.id: n.distance_km * 1000 for n in r.near}
            assert sure_in <= set(got) and not sure_out & set(got), (m.park.id, r.collection)
            assert r.count == len(got) and r.points == len(got)
            for fid, d in got.items():
                assert d == pytest.approx(dist[fid], abs=AMBIGUOUS_M), fid


def test_changing_a_weight_reorders_as_the_breakdown_predicts(any_store, catalog):
    data_order = list(catalog.collection("parks").gdf.index)
    base = match(any_store, criteria(any_store, ["海洋", "人工智能"], weights={"area": 0}))
    heavy = {"industry": 1, "research": 0, "area": 1}
    reweighted = match(any_store, criteria(any_store, ["海洋", "人工智能"], weights=heavy))
    w = Weights(**heavy)

    def key(m):
        terms = sum(bool(r.matched) for r in m.reasons_of("industry"))
        research = sum(r.count or 0 for r in m.reasons_of("research"))
        km2 = m.reasons_of("area")[0].km2 or 0.0
        score = round(terms * w.industry + research * w.research + km2 * w.area, 6)
        return (terms == 0, -score, -terms, -research, data_order.index(m.park.id))

    predicted = [m.park.id for m in sorted(base, key=key)]
    assert [m.park.id for m in reweighted] == predicted
    assert predicted != [m.park.id for m in base]  # the weight did change the order
    for m in reweighted:
        assert m.score == pytest.approx(sum(r.points for r in m.reasons))


def test_the_user_layer_counts_per_park_as_brute_force(as_kind, catalog):
    features = synthetic_user_layer(n_random=400)
    store = as_kind(bundled_with(SYNTHETIC_USER_ENTRY, features))
    expected = brute_zones(features, catalog.collection("parks"))
    ranked = match(store, criteria(store, research=[], layer="synthetic", weights={"layer": 2}))
    for m in ranked:
        (r,) = m.reasons_of("layer")
        want = expected[m.park.id]
        assert r.count == (None if want is None else len(want)), m.park.id
        assert r.points == 2 * (r.count or 0)
    scores = [m.score for m in ranked if m.placed]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("kwargs, named", [
    ({"industry": ["no-such-industry"]}, "no-such-industry"),
    ({"research": ["parks"]}, "parks"),
    ({"km": "-3"}, "-3"),
    ({"km": "abc"}, "abc"),
    ({"layer": "nope"}, "nope"),
    ({"weights": {"industry": "-1"}}, "-1"),
    ({"weights": {"price": 1}}, "price"),
    ({"industry": [" "]}, "industry"),
])
def test_bad_criteria_name_the_value(store, kwargs, named):
    with pytest.raises(InvalidParameter, match=named.replace("-", r"\-")):
        criteria(store, **kwargs)


def test_no_industry_asked_ranks_every_park_as_a_match(store):
    ranked = match(store, criteria(store))
    assert all(m.matched for m in ranked) and "score" in TIE_RULE
    unplaced = [m for m in ranked if not m.placed]
    assert unplaced and all(m.score == 0 for m in unplaced)
