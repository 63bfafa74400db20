"""Reading and checking layer files (corridor.importing). Every input file is SYNTHETIC,
written by the test into tmp_path; positions are drawn over Qingdao's land."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from datafiles import qingdao_land_file, synthetic_land_points
from pyproj import Geod, Transformer

from corridor import crs
from corridor.errors import InvalidParameter
from corridor.importing import MAX_LISTED, ImportRefused, read_layer
from corridor.region import LandRegion, qingdao_land

GEOD = Geod(ellps="WGS84")
SEA = (121.0, 35.7)  # Yellow Sea, south-east of Laoshan
WEIFANG = (119.16, 36.71)  # land, but another city


@pytest.fixture(scope="module")
def land(store) -> LandRegion:
    return LandRegion(qingdao_land(store))


def write_csv(path: Path, rows: list[list[object]], header: list[str], encoding: str = "utf-8",
              sep: str = ",") -> Path:
    """A SYNTHETIC CSV file."""
    lines = [sep.join(header)] + [sep.join("" if v is None else str(v) for v in r) for r in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def points_csv(tmp_path: Path, n: int = 20, seed: int = 1, name: str = "points.csv") -> tuple[Path, np.ndarray]:
    xy = synthetic_land_points(n, seed)
    rows = [[f"s{i}", f"合成企业{i}", x, y] for i, (x, y) in enumerate(xy)]
    return write_csv(tmp_path / name, rows, ["id", "name", "lon", "lat"]), xy


def refused(path: Path, land: LandRegion, **kwargs: object) -> ImportRefused:
    with pytest.raises(ImportRefused) as info:
        read_layer(path, region=land, **kwargs)  # type: ignore[arg-type]
    return info.value


# --- CSV: columns, types, encodings -----------------------------------------------------------


def test_csv_reads_every_row_with_typed_properties(tmp_path, land):
    xy = synthetic_land_points(5, 2)
    rows = [[f"c{i}", f"合成{i}", x, y, i * 10, f"{i / 4:.2f}", "true" if i % 2 else "false",
             f"0532{i:04d}", "" if i == 3 else f"n{i}"] for i, (x, y) in enumerate(xy)]
    path = write_csv(tmp_path / "t.csv", rows,
                     ["id", "name", "lon", "lat", "staff", "share", "listed", "phone", "note"])
    calls: list[tuple[int, int]] = []
    result = read_layer(path, region=land, progress=lambda d, t: calls.append((d, t)))
    f = result.frame
    assert list(f.columns) == ["id", "name", "staff", "share", "listed", "phone", "note", "geometry"]
    assert list(f["id"]) == [f"c{i}" for i in range(5)]
    assert f["staff"].tolist() == [0, 10, 20, 30, 40] and str(f["staff"].dtype) == "Int64"
    assert f["share"].tolist() == pytest.approx([0, 0.25, 0.5, 0.75, 1.0])
    assert f["listed"].tolist() == [False, True, False, True, False]
    assert f["phone"].tolist() == [f"0532{i:04d}" for i in range(5)]  # leading zeros kept: text
    assert f["note"].isna().tolist() == [False, False, False, True, False]
    assert np.allclose(shapely.get_coordinates(f.geometry.values), xy)
    assert f.crs.to_epsg() == 4326
    assert (result.rows_read, result.format, result.encoding, result.skipped) == (5, "csv", "utf-8", ())
    assert result.id_source == "column 'id'"
    assert calls[-1] == (5, 5)


@pytest.mark.parametrize("lon,lat,sep", [("Lon", "LAT", ","), ("lng", "latitude", "\t"),
                                         ("LONGITUDE", "Latitude", ";"), ("经度", "纬度", ",")])
def test_csv_coordinate_column_names(tmp_path, land, lon, lat, sep):
    xy = synthetic_land_points(3, 3)
    path = write_csv(tmp_path / "t.csv", [[x, y, "x"] for x, y in xy], [lon, lat, "k"], sep=sep)
    f = read_layer(path, region=land).frame
    assert np.allclose(shapely.get_coordinates(f.geometry.values), xy)
    assert list(f.columns) == ["id", "k", "geometry"]
    assert list(f["id"]) == ["1", "2", "3"]  # no id column: the row numbers


def test_gbk_csv_is_detected(tmp_path, land):
    xy = synthetic_land_points(4, 4)
    rows = [[f"g{i}", f"青岛合成企业{i}号", x, y] for i, (x, y) in enumerate(xy)]
    path = write_csv(tmp_path / "gbk.csv", rows, ["编号", "名称", "经度", "纬度"], encoding="gbk")
    result = read_layer(path, region=land, id_field="编号")
    assert result.encoding == "gb18030"
    assert list(result.frame["名称"]) == [f"青岛合成企业{i}号" for i in range(4)]
    assert read_layer(path, region=land, id_field="编号", encoding="gbk").encoding == "gbk"


def test_utf8_bom_is_dropped(tmp_path, land):
    path, _ = points_csv(tmp_path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = read_layer(path, region=land)
    assert result.encoding == "utf-8-sig" and result.id_source == "column 'id'"


def test_undecodable_row_is_reported_by_row_and_line(tmp_path, land):
    path, _ = points_csv(tmp_path, n=6)
    lines = path.read_bytes().split(b"\n")
    lines[4] = lines[4].replace(b"\xe5\x90\x88", b"\xff")  # row 4, line 5: one stray byte
    path.write_bytes(b"\n".join(lines))
    exc = refused(path, land)
    assert [str(p) for p in exc.problems] == [
        "row 4 (line 5): text on line 5 is not valid utf-8 (bytes b'\\xff'); pass the file's encoding"]
    result = read_layer(path, region=land, skip_invalid=True)
    assert result.skipped_rows == [4] and "s3" not in set(result.frame["id"])
    assert len(result.frame) == 5


def test_explicit_encoding_wins(tmp_path, land):
    path, _ = points_csv(tmp_path, n=3)
    exc = refused(path, land, encoding="ascii")  # the names are Chinese: not ASCII
    assert {p.row for p in exc.problems} == {1, 2, 3}
    assert all("not valid ascii" in p.reason for p in exc.problems)
    with pytest.raises(InvalidParameter, match="encoding 'no-such-codec' is not known"):
        read_layer(path, encoding="no-such-codec")


# --- bad rows --------------------------------------------------------------------------------


def test_each_bad_coordinate_is_named(tmp_path, land):
    (x, y), = synthetic_land_points(1, 5)
    rows = [["a", x, y], ["b", "", y], ["c", x, " "], ["d", "东经120", y], ["e", 200, y],
            ["f", x, -95], ["g", "nan", y], ["h", "inf", y]]
    path = write_csv(tmp_path / "bad.csv", rows, ["id", "lon", "lat"])
    exc = refused(path, land)
    assert isinstance(exc, InvalidParameter)
    got = [str(p) for p in exc.problems]
    assert got == [
        "row 2 (line 3): missing longitude (column 'lon' is empty)",
        "row 3 (line 4): missing latitude (column 'lat' is empty)",
        "row 4 (line 5): longitude '东经120' is not a number",
        "row 5 (line 6): longitude 200 is out of range (-180..180)",
        "row 6 (line 7): latitude -95 is out of range (-90..90)",
        "row 7 (line 8): longitude 'nan' is not a number",
        "row 8 (line 9): longitude 'inf' is not a number",
    ]
    assert (exc.rows_read, exc.bad_rows) == (8, 7)
    assert str(exc).startswith("bad.csv: import refused: 7 problem(s) in 7 of 8 rows\n")


def test_lines_count_blank_lines_and_quoted_newlines(tmp_path, land):
    (x, y), = synthetic_land_points(1, 6)
    text = f'id,name,lon,lat\na,"two\nlines",{x},{y}\n\nb,x,,{y}\n'
    (tmp_path / "q.csv").write_text(text, encoding="utf-8")
    exc = refused(tmp_path / "q.csv", land)
    assert [str(p) for p in exc.problems] == ["row 2 (line 5): missing longitude (column 'lon' is empty)"]


def test_duplicate_and_empty_ids_name_both_rows(tmp_path, land):
    xy = synthetic_land_points(5, 7)
    rows = [[i, x, y] for i, (x, y) in zip(["a", "b", "a", "", "b"], xy)]
    exc = refused(write_csv(tmp_path / "d.csv", rows, ["id", "lon", "lat"]), land)
    assert [str(p) for p in exc.problems] == [
        "row 3 (line 4): id 'a' duplicates row 1",
        "row 4 (line 5): empty id (column 'id')",
        "row 5 (line 6): id 'b' duplicates row 2",
    ]


def test_the_listing_is_capped_and_says_how_many_more(tmp_path, land):
    rows = [[f"r{i}", "", 36.1] for i in range(MAX_LISTED + 12)]
    exc = refused(write_csv(tmp_path / "m.csv", rows, ["id", "lon", "lat"]), land)
    assert len(exc.problems) == MAX_LISTED + 12
    text = str(exc)
    assert f"row {MAX_LISTED} (line {MAX_LISTED + 1}):" in text and f"row {MAX_LISTED + 1} " not in text
    assert text.endswith("... and 12 more")


def _utm_distance_m(lon: float, lat: float) -> float:
    """Distance from a point to Qingdao's land, in UTM 51N: an estimate independent of the
    importer's own (EPSG:4549, outline segments)."""
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32651", always_xy=True)
    land_utm = shapely.transform(qingdao_land_file(), lambda c: np.column_stack(to_utm.transform(c[:, 0], c[:, 1])))
    return float(shapely.distance(land_utm, shapely.Point(to_utm.transform(lon, lat))))


def test_points_in_the_sea_or_outside_qingdao_say_how_far(tmp_path, land):
    (x, y), = synthetic_land_points(1, 8)
    rows = [["ok", x, y], ["sea", *SEA], ["weifang", *WEIFANG]]
    exc = refused(write_csv(tmp_path / "far.csv", rows, ["id", "lon", "lat"]), land)
    assert [p.row for p in exc.problems] == [2, 3]
    for problem, (lon, lat) in zip(exc.problems, [SEA, WEIFANG]):
        m = re.search(r"lies ([\d.]+) km off Qingdao's land", problem.reason)
        assert m, problem.reason
        assert float(m.group(1)) * 1000 == pytest.approx(_utm_distance_m(lon, lat), rel=0.02, abs=150)
        assert "declared wgs84" in problem.reason


def test_points_just_off_the_coast_pass_within_the_tolerance(tmp_path, land):
    """A point 200 m off the outline (a quay, a pier) is accepted; 2 km off is not."""
    to_m = Transformer.from_crs("EPSG:4326", "EPSG:4549", always_xy=True)
    to_ll = Transformer.from_crs("EPSG:4549", "EPSG:4326", always_xy=True)
    land_m = shapely.transform(qingdao_land_file(), lambda c: np.column_stack(to_m.transform(c[:, 0], c[:, 1])))
    # walk out from the coast at the land's southernmost vertex, straight south
    c = shapely.get_coordinates(land_m)
    sx, sy = c[np.argmin(c[:, 1])]
    near = to_ll.transform(sx, sy - 200)
    far = to_ll.transform(sx, sy - 2000)
    path = write_csv(tmp_path / "coast.csv", [["near", *near], ["far", *far]], ["id", "lon", "lat"])
    result = read_layer(path, region=land, skip_invalid=True)
    assert list(result.frame["id"]) == ["near"] and result.skipped_rows == [2]
    assert "2.0 km off" in result.skipped[0].reason


def test_swapped_lon_lat_is_recognised(tmp_path, land):
    xy = synthetic_land_points(2, 9)
    rows = [[f"w{i}", y, x] for i, (x, y) in enumerate(xy)]  # lat in the lon column
    exc = refused(write_csv(tmp_path / "sw.csv", rows, ["id", "lon", "lat"]), land)
    assert len(exc.problems) == 2
    for p in exc.problems:
        assert "is out of range (-90..90)" in p.reason and "lon and lat look swapped" in p.reason


def test_projected_metres_are_recognised(tmp_path, land):
    xy = synthetic_land_points(2, 10)
    e, n = Transformer.from_crs("EPSG:4326", "EPSG:4549", always_xy=True).transform(xy[:, 0], xy[:, 1])
    rows = [[f"m{i}", round(a, 2), round(b, 2)] for i, (a, b) in enumerate(zip(e, n))]
    exc = refused(write_csv(tmp_path / "m.csv", rows, ["id", "lon", "lat"]), land)
    for p in exc.problems:
        assert "the numbers look like metres in EPSG:4549" in p.reason, p.reason


def test_skip_invalid_keeps_the_valid_rows_and_lists_the_others(tmp_path, land):
    xy = synthetic_land_points(4, 11)
    rows = [["a", *xy[0]], ["b", "", xy[1][1]], ["c", *SEA], ["d", *xy[3]], ["a", *xy[2]]]
    result = read_layer(write_csv(tmp_path / "s.csv", rows, ["id", "lon", "lat"]), region=land,
                        skip_invalid=True)
    assert list(result.frame["id"]) == ["a", "d"]
    assert result.skipped_rows == [2, 3, 5]
    assert [p.row for p in result.skipped] == [2, 3, 5]
    assert "duplicates row 1" in result.skipped[2].reason


def test_nothing_valid_is_refused_even_when_skipping(tmp_path, land):
    path = write_csv(tmp_path / "n.csv", [["a", *SEA]], ["id", "lon", "lat"])
    with pytest.raises(ImportRefused):
        read_layer(path, region=land, skip_invalid=True)


# --- coordinate systems ----------------------------------------------------------------------


@pytest.mark.parametrize("cs,forward", [("gcj02", crs.wgs84_to_gcj02), ("bd09", crs.wgs84_to_bd09)])
def test_gcj02_and_bd09_are_converted_to_wgs84(tmp_path, land, cs, forward):
    truth = synthetic_land_points(50, 12)
    gx, gy = forward(truth[:, 0], truth[:, 1])
    rows = [[f"p{i}", f"{a:.9f}", f"{b:.9f}"] for i, (a, b) in enumerate(zip(gx, gy))]
    path = write_csv(tmp_path / f"{cs}.csv", rows, ["id", "lon", "lat"])
    result = read_layer(path, region=land, coord_sys=cs)
    got = shapely.get_coordinates(result.frame.geometry.values)
    _, _, err = GEOD.inv(got[:, 0], got[:, 1], truth[:, 0], truth[:, 1])
    assert np.max(err) < 1.0
    assert "converted to WGS84" in result.describe()
    # read as WGS84, the same numbers are hundreds of metres off: the conversion happened
    raw = shapely.get_coordinates(read_layer(path, coord_sys="wgs84").frame.geometry.values)
    _, _, shift = GEOD.inv(raw[:, 0], raw[:, 1], truth[:, 0], truth[:, 1])
    assert np.min(shift) > 100


def test_reserved_column_names_are_renamed(tmp_path, land):
    xy = synthetic_land_points(2, 21)
    rows = [[f"r{i}", i, f"g{i}", f"x{i}", x, y] for i, (x, y) in enumerate(xy)]
    path = write_csv(tmp_path / "fid.csv", rows, ["id", "FID", "geom", "geom_1", "lon", "lat"])
    result = read_layer(path, region=land)
    assert result.renamed == {"FID": "FID_1", "geom": "geom_2"}
    assert list(result.frame.columns) == ["id", "FID_1", "geom_2", "geom_1", "geometry"]
    assert result.frame["FID_1"].tolist() == [0, 1] and result.frame["geom_2"].tolist() == ["g0", "g1"]


def test_without_a_region_only_the_coordinates_are_checked(tmp_path):
    path = write_csv(tmp_path / "r.csv", [["a", *SEA], ["b", 181, 0]], ["id", "lon", "lat"])
    with pytest.raises(ImportRefused) as info:
        read_layer(path)
    assert [p.row for p in info.value.problems] == [2]


# --- GeoJSON, GeoPackage, Shapefile -------------------------------------------------------


def feature(fid: object, geometry: dict | None, **props: object) -> dict:
    out: dict = {"type": "Feature", "geometry": geometry, "properties": props}
    if fid is not None:
        out["id"] = fid
    return out


def write_geojson(path: Path, feats: list[dict], encoding: str = "utf-8") -> Path:
    path.write_bytes(json.dumps({"type": "FeatureCollection", "features": feats},
                                ensure_ascii=False).encode(encoding))
    return path


def test_geojson_feature_ids_and_nested_properties(tmp_path, land):
    xy = synthetic_land_points(3, 13)
    feats = [feature(f"f{i}", {"type": "Point", "coordinates": [x, y]}, name=f"合成{i}",
                     tags=["a", "b"], extra={"k": i}, n=i) for i, (x, y) in enumerate(xy)]
    result = read_layer(write_geojson(tmp_path / "f.geojson", feats), region=land)
    f = result.frame
    assert list(f["id"]) == ["f0", "f1", "f2"] and result.id_source == "GeoJSON feature ids"
    assert [json.loads(v) for v in f["tags"]] == [["a", "b"]] * 3
    assert [json.loads(v) for v in f["extra"]] == [{"k": 0}, {"k": 1}, {"k": 2}]
    assert f["n"].tolist() == [0, 1, 2] and f["name"].tolist() == ["合成0", "合成1", "合成2"]


def test_geojson_integer_ids_and_geometry_problems(tmp_path, land):
    xy = synthetic_land_points(2, 14)
    cx, cy = xy[0]
    bowtie = [[[cx, cy], [cx + 0.01, cy + 0.01], [cx + 0.01, cy], [cx, cy + 0.01], [cx, cy]]]
    feats = [
        feature(7, {"type": "Point", "coordinates": list(xy[1])}),
        feature(9, None),
        feature(11, {"type": "Polygon", "coordinates": bowtie}),
        feature(7, {"type": "Point", "coordinates": [500000.0, 4000000.0]}),
    ]
    exc = refused(write_geojson(tmp_path / "g.geojson", feats), land)
    got = [(p.row, p.reason) for p in exc.problems]
    assert got[0] == (2, "no geometry")
    assert got[1][0] == 3 and got[1][1].startswith("invalid geometry: Self-intersection")
    assert got[2][0] == 4 and got[2][1].startswith("longitude 500000 is out of range")
    assert "metres in EPSG:4549" in got[2][1]
    assert got[3] == (4, "id '7' duplicates row 1")
    assert len(got) == 4 and [p.line for p in exc.problems] == [None] * 4


def test_gbk_geojson_is_read(tmp_path, land):
    (x, y), = synthetic_land_points(1, 15)
    path = write_geojson(tmp_path / "gbk.geojson",
                         [feature("a", {"type": "Point", "coordinates": [x, y]}, 名称="合成园区")], "gbk")
    result = read_layer(path, region=land)
    assert result.encoding == "gb18030" and result.frame["名称"].tolist() == ["合成园区"]


def firms_frame(n: int, seed: int) -> gpd.GeoDataFrame:
    xy = synthetic_land_points(n, seed)
    return gpd.GeoDataFrame({"code": [f"k{i}" for i in range(n)], "名称": [f"合成{i}" for i in range(n)],
                             "fid_like": np.arange(n)},
                            geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:4326")


def test_geopackage_layers_are_chosen_and_projected_files_reprojected(tmp_path, land):
    frame = firms_frame(4, 16)
    path = tmp_path / "two.gpkg"
    frame.to_file(path, layer="first")
    frame.to_crs("EPSG:4549").to_file(path, layer="metric")
    with pytest.raises(InvalidParameter, match=r"holds 2 layers \('first', 'metric'\); name the one"):
        read_layer(path, region=land)
    with pytest.raises(InvalidParameter, match="no layer 'third'"):
        read_layer(path, region=land, layer="third")
    result = read_layer(path, region=land, layer="metric", id_field="code")
    assert result.reprojected_from == "EPSG:4549" and result.layer == "metric"
    got = shapely.get_coordinates(result.frame.geometry.values)
    assert np.allclose(got, shapely.get_coordinates(frame.geometry.values), atol=1e-7)
    assert list(result.frame.columns) == ["id", "名称", "fid_like", "geometry"]
    with pytest.raises(InvalidParameter, match="applies only to lon/lat data"):
        read_layer(path, layer="metric", coord_sys="gcj02")


def write_shapefile_zip(tmp_path: Path, frames: dict[str, gpd.GeoDataFrame], cpg: bool) -> Path:
    folder = tmp_path / "shp"
    folder.mkdir()
    for name, frame in frames.items():
        frame.to_file(folder / f"{name}.shp", encoding="gbk")
        if not cpg:
            (folder / f"{name}.cpg").unlink()
    path = tmp_path / "layer.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f"data/{f.name}")
    return path


@pytest.mark.parametrize("cpg", [True, False])
def test_zipped_shapefile_in_gbk(tmp_path, land, cpg):
    frame = firms_frame(3, 17)
    result = read_layer(write_shapefile_zip(tmp_path, {"firms": frame}, cpg), region=land,
                        id_field="code")
    assert result.format == "shapefile" and result.layer == "firms"
    assert result.frame["名称"].tolist() == ["合成0", "合成1", "合成2"]
    assert list(result.frame["id"]) == ["k0", "k1", "k2"]
    if not cpg:
        assert result.encoding == "gb18030"


def test_undecodable_shapefile_rows_are_reported_by_row(tmp_path, land):
    frame = firms_frame(3, 22)
    frame.to_file(tmp_path / "u.shp", encoding="utf-8")
    (tmp_path / "u.cpg").unlink()
    dbf = bytearray((tmp_path / "u.dbf").read_bytes())
    dbf[dbf.find("合成1".encode())] = 0xFF  # a stray byte in the second record
    (tmp_path / "u.dbf").write_bytes(bytes(dbf))
    exc = refused(tmp_path / "u.shp", land, id_field="code")
    assert [str(p) for p in exc.problems] == [
        "row 2: text is not valid utf-8 (bytes b'\\xff'); pass the file's encoding"]
    result = read_layer(tmp_path / "u.shp", region=land, id_field="code", skip_invalid=True)
    assert result.frame["名称"].tolist() == ["合成0", "合成2"] and result.encoding == "utf-8"


def test_zip_with_several_shapefiles_needs_a_layer(tmp_path, land):
    path = write_shapefile_zip(tmp_path, {"a": firms_frame(2, 18), "b": firms_frame(3, 19)}, True)
    with pytest.raises(InvalidParameter, match=r"holds 2 layers \('a', 'b'\)"):
        read_layer(path, region=land)
    assert len(read_layer(path, region=land, layer="b").frame) == 3


# --- problems with the file ------------------------------------------------------------------


@pytest.mark.parametrize("name,content,message", [
    ("x.xlsx", b"", r"cannot tell the format from the extension '.xlsx'"),
    ("e.csv", b"", r"the file is empty"),
    ("c.csv", b"id,x,y\n1,120.4,36.1\n", r"no longitude column; expected one named lon, lng, longitude or 经度 .*'id', 'x', 'y'"),
    ("two.csv", b"lon,lng,lat\n1,2,3\n", r"columns 'lon', 'lng' all look like the longitude"),
    ("d.csv", b"a,a,lon,lat\n1,2,120.4,36.1\n", r"repeats the column name\(s\) 'a'"),
    ("k.csv", b"Name,name,lon,lat\n1,2,120.4,36.1\n", r"'Name' and 'name' differ only in case"),
    ("w.csv", b"lon,lat\n120.4,36.1,9\n", r"not a readable CSV"),
    ("j.geojson", b"{not json", r"GDAL cannot read it as geojson"),
])
def test_file_problems_are_clear(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidParameter, match=message) as info:
        read_layer(path)
    assert not isinstance(info.value, ImportRefused)


def test_id_field_problems(tmp_path, land):
    path, _ = points_csv(tmp_path, n=2)
    with pytest.raises(InvalidParameter, match="no column 'code' to take the ids from"):
        read_layer(path, id_field="code")
    with pytest.raises(InvalidParameter, match="column 'id' would clash with them"):
        read_layer(path, id_field="name")
    with pytest.raises(InvalidParameter, match="no such file"):
        read_layer(tmp_path / "missing.csv")


def test_large_csv_reads_quickly_enough_to_have_progress(tmp_path, land):
    """45,000 rows: progress is reported chunk by chunk, every row ends up in the frame."""
    xy = synthetic_land_points(45_000, 20, inset_deg=0.01)
    pd.DataFrame({"id": [f"b{i}" for i in range(len(xy))], "lon": xy[:, 0], "lat": xy[:, 1]}).to_csv(
        tmp_path / "big.csv", index=False)
    calls: list[tuple[int, int]] = []
    result = read_layer(tmp_path / "big.csv", region=land, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(20_000, 45_000), (40_000, 45_000), (45_000, 45_000)]
    assert len(result.frame) == 45_000 and result.frame["id"].is_unique
