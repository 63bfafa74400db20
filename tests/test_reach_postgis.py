"""The PostGIS store's reach (pgRouting's ``pgr_drivingDistance``) held to the in-memory
engine's on the SYNTHETIC networks of tests/reachnets.py: the same nodes reached, the same
times, the same features listed, the same refusals."""

from __future__ import annotations

import numpy as np
import pytest
from reachnets import CORNER, grid_with_oneway_and_island, lonlat, points_frame
from test_reach import CASES, ORIGIN_XY, POINTS

from corridor.errors import InvalidParameter
from corridor.model import NewLayer
from corridor.reachquery import within_reach
from corridor.store import Engine

pytestmark = pytest.mark.postgis

NET = grid_with_oneway_and_island()


def _layers():
    return [NewLayer("roads", NET.frame(), title_en="SYNTHETIC roads"),
            NewLayer("spots", points_frame(POINTS), title_en="SYNTHETIC spots")]


@pytest.fixture(scope="module")
def both(request, tmp_path_factory):
    from conftest import postgis_with

    from corridor.store.postgis import PostgisStore

    memory = Engine.user_layers(tmp_path_factory.mktemp("reach-pg"))
    for layer in _layers():
        memory.put_layer(layer)
    pg = PostgisStore(postgis_with(request, layers=_layers()))
    yield memory, pg
    pg.close()


def _by_node(reach) -> dict[tuple[float, float], float]:
    return {(round(x, 7), round(y, 7)): t for (x, y), t in zip(reach.nodes.tolist(), reach.seconds.tolist())}


@pytest.mark.parametrize(("mode", "minutes"), CASES)
def test_pgrouting_reaches_what_memory_reaches(both, mode, minutes):
    memory, pg = both
    origin = lonlat(*ORIGIN_XY)
    a, b = memory.reach("roads", origin, minutes, mode), pg.reach("roads", origin, minutes, mode)
    ta, tb = _by_node(a), _by_node(b)
    assert set(ta) == set(tb) and len(ta) == a.nodes_reached == b.nodes_reached > 0
    for node, t in ta.items():
        assert tb[node] == pytest.approx(t, abs=1e-6)
    assert b.walk_off_m == pytest.approx(a.walk_off_m, abs=1e-6)
    assert b.area.symmetric_difference(a.area).area <= 1e-6 * a.area.area
    ha, hb = within_reach(memory, a, ["spots"]), within_reach(pg, b, ["spots"])
    assert [h.id for h in ha] == [h.id for h in hb]
    assert np.allclose([h.travel_s for h in ha], [h.travel_s for h in hb], atol=1e-6)


def test_the_same_refusals(both):
    memory, pg = both
    far = lonlat(CORNER[0] + 20_000.0, CORNER[1])
    for store in both:
        with pytest.raises(InvalidParameter, match="walk-off limit"):
            store.reach("roads", far, 5, "walk")
        with pytest.raises(InvalidParameter, match="'spots' is not a road network"):
            store.reach("spots", far, 5, "walk")
    assert pg.networks() == memory.networks() == ["roads"]


def test_a_new_version_of_the_network_is_routed_anew(request):
    """Replacing the layer (slower streets) changes the database's answer at once."""
    from conftest import postgis_with

    from corridor.store.postgis import PostgisStore

    pg = PostgisStore(postgis_with(request, layers=_layers()))
    try:
        origin = lonlat(*ORIGIN_XY)
        before = pg.reach("roads", origin, 4.0, "drive").nodes_reached
        slow = NET.frame()
        slow["speed_kmh"] = slow["speed_kmh"] / 2
        pg.put_layer(NewLayer("roads", slow))
        after = pg.reach("roads", origin, 4.0, "drive").nodes_reached
        assert after < before
    finally:
        pg.close()
