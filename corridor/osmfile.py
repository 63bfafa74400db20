"""Read an OpenStreetMap extract (``.osm.pbf``) as a road-network layer, offline, with
pyosmium.

Only ways with a ``highway`` tag are kept, each as a LineString through its nodes' positions
(a way of fewer than two located nodes, cut off by the extract's edge, is left out), with
the columns ``id`` (the way id), ``highway``, ``oneway``, ``maxspeed`` and ``name`` (missing
where the way has no such tag). What the speeds are made of them: :mod:`corridor.roads`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from corridor.errors import InvalidParameter
from corridor.extras import require
from corridor.layerfiles import RawTable

#: The tags kept as columns (besides the way id).
TAGS = ("highway", "oneway", "maxspeed", "name")


def read_osm(path: Path) -> RawTable:
    """The highway ways of the extract ``path``.

    Raises
    ------
    InvalidParameter
        If pyosmium cannot read the file, or it holds no highway way.
    MissingExtra
        If pyosmium (the ``osm`` extra) is not installed.
    """
    require("osm")
    import osmium

    rows: dict[str, list[Any]] = {"id": [], **{t: [] for t in TAGS}}
    lines: list[shapely.Geometry] = []
    try:
        for way in osmium.FileProcessor(str(path)).with_locations().with_filter(
                osmium.filter.KeyFilter("highway")):
            if not isinstance(way, osmium.osm.Way):
                continue
            coords = [(n.lon, n.lat) for n in way.nodes if n.location.valid()]
            if len(coords) < 2:
                continue
            lines.append(shapely.LineString(coords))
            rows["id"].append(str(way.id))
            for tag in TAGS:
                rows[tag].append(way.tags.get(tag))
    except RuntimeError as exc:  # libosmium's errors: not PBF, truncated, bad blocks
        raise InvalidParameter(f"{path.name}: pyosmium cannot read it as an OSM PBF file: "
                               f"{str(exc)[:200]}") from None
    if not lines:
        raise InvalidParameter(f"{path.name}: no way with a highway tag (and two located nodes); "
                               "expected an OpenStreetMap extract holding roads")
    table = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in rows.items()})
    geoms = np.empty(len(lines), dtype=object)
    geoms[:] = lines
    return RawTable("osm", "utf-8", table, np.arange(1, len(lines) + 1), geometries=geoms,
                    layer="highway ways")
