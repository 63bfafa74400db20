"""Vector tiles in the domain (corridor.tiles): tile matrix set math against the slippy-map
formulas, validation messages, and the encoded tiles decoded again (mapbox_vector_tile) and
compared with the store, on the bundled data and on a SYNTHETIC 100,000-point layer."""

from __future__ import annotations

import math

import mapbox_vector_tile
import numpy as np
import pytest
from datafiles import synthetic_points

from corridor.errors import InvalidParameter, NotFound
from corridor.store import Engine
from corridor.tiles import (
    BUFFER,
    EXTENT,
    MAX_ZOOM,
    THIN_ABOVE,
    THIN_CELL,
    TileIndex,
    encode_tile,
    parse_tile,
    render_tile,
    tile_matrix_set,
    tile_of,
)

#: Central Qingdao (Shinan, near the May Fourth Square), for the z11 tile of the issue.
CENTRAL = (120.38, 36.07)


def slippy(lon: np.ndarray, lat: np.ndarray, z: int) -> tuple[np.ndarray, np.ndarray]:
    """Global pixel position (256-pixel tiles) by the OSM slippy-map formulas: an independent
    reference for the Web Mercator math."""
    n = 256 * 2**z
    x = (np.asarray(lon) + 180.0) / 360.0 * n
    rad = np.radians(np.asarray(lat))
    y = (1.0 - np.log(np.tan(rad) + 1.0 / np.cos(rad)) / math.pi) / 2.0 * n
    return x, y


def tile_units(lon, lat, t: TileIndex) -> np.ndarray:
    """Where lon/lat should land in tile ``t``, in tile units (y down)."""
    x, y = slippy(lon, lat, t.z)
    scale = EXTENT / 256
    return np.column_stack(((x - t.x * 256) * scale, (y - t.y * 256) * scale))


def decode(data: bytes) -> dict:
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})


@pytest.fixture(scope="module")
def big():
    """A store holding 100,000 SYNTHETIC points over Qingdao (uniform, seeded)."""
    feats = synthetic_points(100_000, seed=2)
    entry = {"id": "synthetic", "group": "institutions", "roles": [], "geometry": ["Point"],
             "title_zh": "合成点(测试)", "title_en": "Synthetic points (test only)"}
    store = Engine.from_features([(entry, feats)])
    coords = np.array([f["geometry"]["coordinates"] for f in feats])
    return store, coords


# --- tile matrix set ---------------------------------------------------------------------------


@pytest.mark.parametrize("args, error, words", [
    (("a", 0, 0), InvalidParameter, ["'a'", "0 to 24"]),
    (("1.5", 0, 0), InvalidParameter, ["'1.5'", "0 to 24"]),
    (("-1", 0, 0), InvalidParameter, ["'-1'", "0 to 24"]),
    (("", 0, 0), InvalidParameter, ["tileMatrix", "0 to 24"]),
    ((25, 0, 0), NotFound, ["25", "0 to 24"]),
    (("99999", 0, 0), NotFound, ["99999", "0 to 24"]),
    ((2, 4, 0), NotFound, ["tileCol 4", "0 to 3"]),
    ((2, 0, 4), NotFound, ["tileRow 4", "0 to 3"]),
    ((3, "x", 0), InvalidParameter, ["tileCol 'x'", "0 to 7"]),
    ((0, 0, "٣"), InvalidParameter, ["tileRow", "0 to 0"]),  # not ASCII digits
    ((True, 0, 0), InvalidParameter, ["tileMatrix", "0 to 24"]),
])
def test_bad_tile_indexes_are_named_with_the_valid_range(args, error, words):
    with pytest.raises(error) as err:
        parse_tile(*args)
    for w in words:
        assert w in str(err.value), (w, str(err.value))


@pytest.mark.parametrize("z, x, y", [(0, 0, 0), (11, 1708, 804), (24, 2**24 - 1, 0), ("7", "106", "50")])
def test_valid_tile_indexes_parse(z, x, y):
    assert parse_tile(z, x, y) == TileIndex(int(z), int(x), int(y))


def test_tile_bounds_agree_with_the_slippy_map_formulas():
    for z in (0, 5, 11, 17):
        t = tile_of(*CENTRAL, z)
        px, py = slippy(np.array([CENTRAL[0]]), np.array([CENTRAL[1]]), z)
        assert (t.x, t.y) == (int(px[0] // 256), int(py[0] // 256))
        west, south, east, north = t.lonlat_bounds
        assert west <= CENTRAL[0] <= east and south <= CENTRAL[1] <= north
        # the corners are where the formulas put the tile's pixel corners
        cx, cy = slippy(np.array([west, east]), np.array([north, south]), z)
        assert np.allclose(cx, [t.x * 256, (t.x + 1) * 256], atol=1e-6)
        assert np.allclose(cy, [t.y * 256, (t.y + 1) * 256], atol=1e-6)
    assert TileIndex(0, 0, 0).bounds == pytest.approx((-20037508.342789244, -20037508.342789244,
                                                       20037508.342789244, 20037508.342789244))


def test_tile_matrix_set_is_the_standard_web_mercator_quad():
    tms = tile_matrix_set()
    assert tms["id"] == "WebMercatorQuad" and tms["crs"].endswith("/EPSG/0/3857")
    matrices = tms["tileMatrices"]
    assert [m["id"] for m in matrices] == [str(z) for z in range(MAX_ZOOM + 1)]
    # the values OGC 17-083r4 annex D publishes for tile matrix 0
    assert matrices[0]["scaleDenominator"] == pytest.approx(559082264.0287178)
    assert matrices[0]["cellSize"] == pytest.approx(156543.03392804097)
    assert matrices[11]["matrixWidth"] == 2048 and matrices[11]["tileHeight"] == 256
    assert all(m["pointOfOrigin"] == [-20037508.342789244, 20037508.342789244] for m in matrices)


# --- encoding: the bundled data ----------------------------------------------------------------


def test_every_bundled_collection_encodes_where_the_store_says(store):
    for c in store.collections():
        assert c.extent is not None
        t = tile_of((c.extent[0] + c.extent[2]) / 2, (c.extent[1] + c.extent[3]) / 2, 10)
        vt = render_tile(store, c.id, t)
        if not vt.data:
            assert vt.features == 0
            continue
        layer = decode(vt.data)[c.id]
        assert list(decode(vt.data)) == [c.id] and layer["extent"] == EXTENT
        assert len(layer["features"]) == vt.features
        for f in layer["features"]:
            feat = store.get(c.id, f["properties"]["id"])
            assert f["properties"].get("name_en") == feat.properties.get("name_en")
            assert set(f["properties"]) <= {"id", "name_zh", "name_en"}
            if feat.geometry.geom_type == "Point":
                want = tile_units([feat.geometry.x], [feat.geometry.y], t)[0]
                # within a tile unit (1/16 of a pixel): the encoding rounds to whole units
                assert np.allclose(f["geometry"]["coordinates"], want, atol=1.0)
            else:
                coords = np.array(_coords(f["geometry"]))
                assert coords.min() >= -BUFFER and coords.max() <= EXTENT + BUFFER


def _coords(geom: dict) -> list:
    out: list = []

    def walk(c):
        if isinstance(c[0], (int, float)):
            out.append(c)
        else:
            for x in c:
                walk(x)
    walk(geom["coordinates"])
    return out


def test_polygons_are_cut_to_the_buffered_tile(store):
    """A deep tile in a district keeps a small piece, inside tile + buffer."""
    t = tile_of(120.40, 36.12, 15)
    layer = decode(encode_tile(store, "districts", t.z, t.x, t.y))["districts"]
    assert layer["features"]
    for f in layer["features"]:
        xy = np.array(_coords(f["geometry"]))
        assert xy.min() >= -BUFFER and xy.max() <= EXTENT + BUFFER
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_a_tile_without_features_is_empty_and_says_so(store):
    t = tile_of(0.0, 0.0, 9)  # the Gulf of Guinea
    vt = render_tile(store, "universities", t)
    assert (vt.data, vt.features, vt.candidates) == (b"", 0, 0)
    assert encode_tile(store, "universities", t.z, t.x, t.y) == b""
    with pytest.raises(NotFound):
        encode_tile(store, "no-such-collection", 0, 0, 0)


# --- encoding: 100,000 SYNTHETIC points ---------------------------------------------------------


def _inside(coords: np.ndarray, t: TileIndex) -> np.ndarray:
    """Positions of the points inside tile ``t`` plus its buffer (by the reference formulas)."""
    xy = tile_units(coords[:, 0], coords[:, 1], t)
    return np.flatnonzero(((xy >= -BUFFER) & (xy <= EXTENT + BUFFER)).all(axis=1))


def test_a_dense_tile_is_thinned_to_one_point_per_cell_and_counts_the_rest(big):
    store, coords = big
    t = tile_of(*CENTRAL, 11)
    vt = render_tile(store, "synthetic", t)
    inside = _inside(coords, t)
    assert vt.thinned and vt.candidates == len(inside) > THIN_ABOVE
    feats = decode(vt.data)["synthetic"]["features"]
    side = EXTENT // THIN_CELL + 2
    assert len(feats) == vt.features <= side * side
    # every point of the tile is counted once, by the point kept in its cell
    assert sum(f["properties"]["n"] for f in feats) == len(inside)
    ids = [f["properties"]["id"] for f in feats]
    assert len(set(ids)) == len(ids)
    xy = tile_units(coords[inside, 0], coords[inside, 1], t)
    cell_of = {int(i): tuple(np.floor(p / THIN_CELL).astype(int)) for i, p in zip(inside, xy)}
    cells = [cell_of[int(f["properties"]["id"].rsplit("-", 1)[1])] for f in feats]
    assert len(set(cells)) == len(cells)  # one per cell
    for f, cell in zip(feats[:50], cells[:50]):
        pos = int(f["properties"]["id"].rsplit("-", 1)[1])
        first = min(i for i, c in cell_of.items() if c == cell)
        assert pos == first  # the first in data order
        assert np.allclose(f["geometry"]["coordinates"], tile_units(*coords[pos], t).ravel(), atol=1.0)


def test_neighbouring_thinned_tiles_keep_the_same_points_on_their_edge(big):
    store, coords = big
    a = tile_of(*CENTRAL, 11)
    b = TileIndex(a.z, a.x + 1, a.y)
    fa = decode(encode_tile(store, "synthetic", a.z, a.x, a.y))["synthetic"]["features"]
    fb = decode(encode_tile(store, "synthetic", b.z, b.x, b.y))["synthetic"]["features"]
    # a's right buffer is b's first column of cells
    edge_a = {f["properties"]["id"] for f in fa if EXTENT <= f["geometry"]["coordinates"][0] < EXTENT + THIN_CELL}
    edge_b = {f["properties"]["id"] for f in fb if 0 <= f["geometry"]["coordinates"][0] < THIN_CELL}
    assert edge_a and edge_a == edge_b


def test_a_sparse_tile_keeps_every_point(big):
    store, coords = big
    t = tile_of(*CENTRAL, 15)
    vt = render_tile(store, "synthetic", t)
    inside = _inside(coords, t)
    assert not vt.thinned and 0 < vt.features == len(inside) <= THIN_ABOVE
    feats = decode(vt.data)["synthetic"]["features"]
    assert sorted(int(f["properties"]["id"].rsplit("-", 1)[1]) for f in feats) == sorted(inside)
    assert all("n" not in f["properties"] for f in feats)
    for f in feats:
        pos = int(f["properties"]["id"].rsplit("-", 1)[1])
        assert np.allclose(f["geometry"]["coordinates"], tile_units(*coords[pos], t).ravel(), atol=1.0)
        assert f["properties"]["name_en"] == f"Synthetic point {pos}"
