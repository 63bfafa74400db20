"""The one tile matrix definition (corridor.tilematrix): every tile bound, index and grid
cell of the service is morecantile's WebMercatorQuad, here held against a fresh
morecantile instance, and the served document parses back into the same tile matrix set."""

from __future__ import annotations

import morecantile
import numpy as np
import pytest

from corridor import tilematrix
from corridor.store import pgcells
from corridor.tiles import (
    BUFFER,
    EXTENT,
    TileIndex,
    lonlat_box,
    parse_tile,
    tile_matrix_set,
    tile_of,
)

REFERENCE = morecantile.tms.get("WebMercatorQuad")
#: Tiles from the whole range: the single tile, Qingdao at z11 and z17, both far corners of z24.
TILES = [(0, 0, 0), (1, 1, 0), (11, 1708, 803), (17, 109343, 51442), (24, 0, 2**24 - 1),
         (24, 2**24 - 1, 0)]


@pytest.mark.parametrize(("z", "x", "y"), TILES)
def test_tile_bounds_are_morecantiles(z, x, y):
    t = parse_tile(z, x, y)
    assert t.bounds == tuple(REFERENCE.xy_bounds(x, y, z))
    assert t.lonlat_bounds == pytest.approx(tuple(REFERENCE.bounds(x, y, z)), abs=1e-12)
    # the box a tile reads: one thinning cell beyond each edge, cut to the world's edges
    west, south, east, north = REFERENCE.bounds(x, y, z)
    w, s, e, n = lonlat_box(t)
    assert (w, s, e, n) == pytest.approx(tuple(REFERENCE.bounds(x, y, z)), abs=(east - west) / 8)
    assert (w < west) == (x > 0) and (e > east) == (x < 2**z - 1)
    assert (n > north) == (y > 0) and (s < south) == (y < 2**z - 1)
    assert tuple(REFERENCE.bbox) == (-180.0, tilematrix.LONLAT_BBOX[1], 180.0, tilematrix.LONLAT_BBOX[3])
    assert REFERENCE.bbox.left <= w and e <= REFERENCE.bbox.right
    assert REFERENCE.bbox.bottom <= s and n <= REFERENCE.bbox.top
    if 0 < x < 2**z - 1:  # longitudes are linear in Web Mercator x
        assert (e - w) == pytest.approx((east - west) * (1 + 2 * BUFFER / EXTENT), rel=1e-9)


def test_tile_of_is_morecantiles_tile_and_edges_take_far_points():
    rng = np.random.default_rng(20)
    for lon, lat, z in zip(rng.uniform(-180, 180, 200), rng.uniform(-85, 85, 200), rng.integers(0, 25, 200)):
        t = REFERENCE.tile(lon, lat, int(z))
        assert tile_of(lon, lat, int(z)) == TileIndex(t.z, t.x, t.y)
    assert tile_of(0.0, 89.0, 3) == TileIndex(3, 4, 0)
    assert tile_of(-180.0, -89.0, 5) == TileIndex(5, 0, 31)
    assert tile_of(200.0, 10.0, 4) == TileIndex(4, 15, 7)


def test_the_grids_are_the_tile_matrices_and_split_them_past_the_last():
    rng = np.random.default_rng(21)
    lon, lat = rng.uniform(-180, 180, 300), rng.uniform(-85, 85, 300)
    for z in (0, 3, 11, 24):
        cx, cy = tilematrix.grid_cells(lon, lat, z)
        want = [REFERENCE.tile(a, b, z) for a, b in zip(lon, lat)]
        assert list(zip(cx.tolist(), cy.tolist())) == [(t.x, t.y) for t in want]
        assert tilematrix.grid_side(z) == REFERENCE.matrix(z).matrixWidth
        w, n = tilematrix.grid_corners(cx, cy, z)
        ul = [REFERENCE.ul(t) for t in want]
        assert np.allclose(w, [c.x for c in ul], atol=1e-9) and np.allclose(n, [c.y for c in ul], atol=1e-9)
    # level 29, the cell pyramid's: each zoom-24 tile in 32 x 32 cells
    cx, cy = tilematrix.grid_cells(lon, lat, pgcells.LEVEL)
    tiles24 = tilematrix.grid_cells(lon, lat, 24)
    assert (cx // 32 == tiles24[0]).all() and (cy // 32 == tiles24[1]).all()
    assert tilematrix.grid_side(pgcells.LEVEL) == 2**29
    with pytest.raises(ValueError, match="-1"):
        tilematrix.grid_side(-1)


def test_the_served_document_is_the_standard_matrix_set_and_parses_back():
    doc = tile_matrix_set()
    assert {k: v for k, v in doc.items() if k != "boundingBox"} == REFERENCE.model_dump(
        mode="json", exclude_none=True)
    assert doc["boundingBox"]["lowerLeft"] == [-20037508.342789244, -20037508.342789244]
    assert doc["boundingBox"]["crs"] == "http://www.opengis.net/def/crs/EPSG/0/3857"
    # a client building its matrix set from the document gets the same tiles
    parsed = morecantile.TileMatrixSet.model_validate(doc)
    for z, x, y in TILES:
        assert tuple(parsed.xy_bounds(x, y, z)) == TileIndex(z, x, y).bounds
    assert tile_matrix_set() is not doc  # each caller may add its links to its own copy
