"""The API driven over HTTP by clients nobody here wrote: OWSLib and GDAL's OAPIF driver."""

from __future__ import annotations

import pytest
import shapely

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.fixture(scope="module")
def real(catalog):
    """The bundled data as its files hold it (the live server serves the same files)."""
    return catalog


@pytest.fixture(scope="module")
def point_cid(real):
    return next(cid for cid, c in real.collections.items() if len(c) >= 2
                and set(c.geometry_types) == {"Point"})


def test_owslib_features(live_server, real, point_cid):
    from owslib.ogcapi.features import Features

    api = Features(f"{live_server}/api")
    assert [c["id"] for c in api.collections()["collections"]] == list(real.collections)
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in api.conformance()["conformsTo"]
    gdf = real.collections[point_cid].gdf
    minx, miny, maxx, maxy = gdf.total_bounds
    box = [minx, miny, (minx + maxx) / 2, (miny + maxy) / 2]
    expected = sorted(gdf.index[gdf.intersects(shapely.box(*box))])
    got = api.collection_items(point_cid, bbox=box, limit=1000)
    assert sorted(f["id"] for f in got["features"]) == expected
    assert got["numberMatched"] == len(expected)
    fid = str(gdf.index[0])
    item = api.collection_item(point_cid, fid)
    assert item["id"] == fid
    assert item["geometry"]["coordinates"] == pytest.approx(list(gdf.geometry.iloc[0].coords[0]))
    qables = api.collection_queryables(point_cid)
    assert {"name_zh", "kind", "geometry"} <= set(qables["properties"])


def test_gdal_oapif_reads_a_layer(live_server, real, point_cid):
    import geopandas as gpd

    df = gpd.read_file(f"OAPIF:{live_server}/api", layer=point_cid)
    gdf = real.collections[point_cid].gdf
    assert sorted(df["id"]) == sorted(gdf.index)
    assert df.crs.equals("OGC:CRS84")


def test_gdal_oapif_bbox(live_server, real, point_cid):
    import geopandas as gpd

    gdf = real.collections[point_cid].gdf
    minx, miny, maxx, maxy = gdf.total_bounds
    box = (minx, miny, (minx + maxx) / 2, (miny + maxy) / 2)
    df = gpd.read_file(f"OAPIF:{live_server}/api", layer=point_cid, bbox=box)
    assert sorted(df["id"]) == sorted(gdf.index[gdf.intersects(shapely.box(*box))])


def test_gdal_oapif_follows_next_links(live_server, real):
    import pyogrio

    cid = max(real.collections, key=lambda c: len(real.collections[c]))
    n = len(real.collections[cid])
    assert n >= 2, "need a few features to page through"
    size = max(1, n // 3)  # at least three pages
    df = pyogrio.read_dataframe(f"OAPIF:{live_server}/api", layer=cid, PAGE_SIZE=size)
    assert sorted(df["id"]) == sorted(real.collections[cid].gdf.index)
