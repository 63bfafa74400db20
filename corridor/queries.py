"""Spatial and text queries over the catalog: within N km, nearest k, what is here, bbox,
intersecting a polygon, by industry and by name.

Every distance is the shortest geodesic on the WGS84 ellipsoid (see
:mod:`corridor.geodesic`), computed by the indexed :class:`~corridor.layer.Layer` engine
that also serves large user point layers. Point inputs accept a coordinate system
(``wgs84``, ``gcj02`` for AMap/Tencent, ``bd09`` for Baidu) and are converted to WGS84
first. Bad input raises :class:`~corridor.errors.InvalidParameter` (or
:class:`~corridor.errors.NotFound` for unknown ids and collections) with a message that
repeats the value and says what is expected; nothing is silently clamped.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from corridor.catalog import Catalog, Collection
from corridor.crs import WGS84, check_coord_sys, to_wgs84
from corridor.errors import InvalidParameter
from corridor.geodesic import distances_to_geometries_m
from corridor.geojson_input import parse_geometry
from corridor.industry import expand, term_matches
from corridor.layer import Layer
from corridor.textmatch import best_score, normalize

#: Collections left out when ``collections=None`` for within/nearest/industry/name.
BASEMAP = ("land", "districts")
#: Collections whose polygons :func:`at_point` reports.
AT_POINT = ("parks", "districts", "bays", "corridor", "zones")
MAX_KM = 300.0
MAX_K = 1000
NAME_FIELDS = ("name_zh", "name_en", "institution_zh", "institution_en")

Origin = str | tuple[float, float]


@dataclass(frozen=True)
class Hit:
    """One feature found by a query."""

    collection: str
    id: str
    distance_km: float | None = None  # geodesic, set by distance queries
    score: float | None = None  # set by name search (higher = better)


# --- input checks ----------------------------------------------------------------------------


def check_km(km: Any) -> float:
    """Return ``km`` as a float distance, or raise.

    Raises
    ------
    InvalidParameter
        Unless ``km`` is a real number with 0 < km <= :data:`MAX_KM`.
    """
    ok = isinstance(km, (int, float, np.integer, np.floating)) and not isinstance(km, bool)
    if not ok or not math.isfinite(km) or not 0 < km <= MAX_KM:
        raise InvalidParameter(
            f"distance {km!r} km is not valid; expected a number of kilometres "
            f"greater than 0 and at most {MAX_KM:g}"
        )
    return float(km)


def check_k(k: Any, name: str = "k") -> int:
    """Return ``k`` as an int in 1..:data:`MAX_K`, or raise.

    Raises
    ------
    InvalidParameter
        If ``k`` is not an integer in range.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= MAX_K:
        raise InvalidParameter(f"{name}={k!r} is not valid; expected an integer from 1 to {MAX_K}")
    return int(k)


def check_lonlat(lon: Any, lat: Any) -> tuple[float, float]:
    """Return (lon, lat) as floats, or raise.

    Raises
    ------
    InvalidParameter
        Unless both are finite numbers with -180 <= lon <= 180 and -90 <= lat <= 90.
    """
    for v in (lon, lat):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise InvalidParameter(
                f"coordinate ({lon!r}, {lat!r}) is not valid; expected two numbers lon, lat"
            )
    if not (math.isfinite(lon) and math.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90):
        raise InvalidParameter(
            f"coordinate ({lon!r}, {lat!r}) is not valid; expected -180 <= lon <= 180 "
            "and -90 <= lat <= 90"
        )
    return float(lon), float(lat)


def _check_text(text: Any, what: str) -> str:
    if not isinstance(text, str) or not normalize(text):
        raise InvalidParameter(f"{what} {text!r} is not valid; expected a non-empty string")
    return text


def select_collections(
    catalog: Catalog, collections: Sequence[str] | None, default: Sequence[str] | None = None
) -> list[Collection]:
    """The requested collections in catalog order (default: all but :data:`BASEMAP`).

    Raises
    ------
    NotFound
        For an unknown collection id (the message lists the valid ones).
    InvalidParameter
        If ``collections`` is a bare string or an empty list.
    """
    if collections is None:
        wanted = list(default) if default is not None else [
            c for c in catalog.collections if c not in BASEMAP
        ]
        return [catalog.collections[c] for c in catalog.collections if c in wanted]
    if isinstance(collections, str) or not len(collections):
        raise InvalidParameter(
            f"collections {collections!r} is not valid; expected a non-empty list of "
            f"collection ids from {', '.join(catalog.collections)}"
        )
    for cid in collections:
        catalog.collection(cid)  # raises NotFound listing the valid ids
    return [catalog.collections[c] for c in catalog.collections if c in set(collections)]


# --- origins and the per-collection engine ---------------------------------------------------


def resolve_origin(catalog: Catalog, of: Origin, coord_sys: str = "wgs84") -> shapely.Geometry:
    """Turn a feature id or a (lon, lat) in ``coord_sys`` into a WGS84 shapely geometry.

    Raises
    ------
    NotFound
        If ``of`` is an id no collection holds.
    InvalidParameter
        For an empty id, a malformed or out-of-range coordinate, or an unknown ``coord_sys``.
    """
    cs = check_coord_sys(coord_sys)
    if isinstance(of, str):
        if not of.strip():
            raise InvalidParameter(f"origin {of!r} is not valid; expected a feature id or (lon, lat)")
        _, row = catalog.locate(of)
        return row.geometry
    if not isinstance(of, (tuple, list)) or len(of) != 2:
        raise InvalidParameter(f"origin {of!r} is not valid; expected a feature id or (lon, lat)")
    lon, lat = check_lonlat(*of)
    wlon, wlat = to_wgs84(lon, lat, cs)
    return shapely.Point(float(wlon), float(wlat))


# Keyed by id(gdf) with a weak reference to check identity (GeoDataFrames are unhashable);
# a dead or different referent means the id was reused and the entry is rebuilt.
_LAYERS: dict[int, tuple[weakref.ref[gpd.GeoDataFrame], Layer]] = {}


def collection_layer(collection: Collection) -> Layer:
    """The (cached) :class:`Layer` over a collection's geometries, built on first use."""
    gdf = collection.gdf
    hit = _LAYERS.get(id(gdf))
    if hit is None or hit[0]() is not gdf:
        for key in [k for k, (ref, _) in _LAYERS.items() if ref() is None]:
            del _LAYERS[key]
        hit = (weakref.ref(gdf), Layer(gdf.geometry))
        _LAYERS[id(gdf)] = hit
    return hit[1]


def distances_km(origin: shapely.Geometry, gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.Series:
    """Geodesic distance in km from a WGS84 ``origin`` to each geometry of ``gdf``.

    Distances are the shortest WGS84 geodesic between the geometries (0 when they
    intersect; a polygon counts from its edge). ``gdf`` in another CRS is reprojected to
    WGS84 first; a ``gdf`` without CRS is taken as lon/lat.

    Returns
    -------
    pandas.Series
        Float km, indexed like ``gdf``.

    Raises
    ------
    InvalidParameter
        If ``origin`` or a geometry of ``gdf`` is empty or missing.
    """
    geo = gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf
    if geo.crs is not None and not geo.crs.equals(WGS84):
        geo = geo.to_crs(WGS84)
    if origin is None or shapely.is_empty(origin) or geo.isna().any():
        raise InvalidParameter("distance from or to an empty or missing geometry is undefined")
    try:
        d = distances_to_geometries_m(origin, geo.values)
    except ValueError as exc:
        raise InvalidParameter(str(exc)) from None
    return pd.Series(d / 1000.0, index=geo.index, dtype=float)


def _origin_id(of: Origin) -> str | None:
    return of if isinstance(of, str) else None


# --- distance queries ------------------------------------------------------------------------


def within_distance(
    catalog: Catalog,
    of: Origin,
    km: float,
    collections: Sequence[str] | None = None,
    coord_sys: str = "wgs84",
) -> list[Hit]:
    """Features within ``km`` kilometres (geodesic, WGS84) of a feature or a point.

    The distance is the shortest geodesic between the origin's geometry and each feature's
    geometry: 0 when they intersect (a point inside a polygon), a polygon counts from its
    edge. A feature used as origin is not reported.

    Returns
    -------
    list of Hit
        With ``distance_km``, nearest first (ties by collection order, then id).

    Raises
    ------
    InvalidParameter
        For a bad distance, coordinate, coordinate system or collections list.
    NotFound
        For an unknown feature id or collection.
    """
    meters = check_km(km) * 1000.0
    cols = select_collections(catalog, collections)
    origin = resolve_origin(catalog, of, coord_sys)
    skip = _origin_id(of)
    hits: list[tuple[float, int, str, Hit]] = []
    for rank, col in enumerate(cols):
        pos, d = collection_layer(col).within(origin, meters, distances=True)
        assert d is not None
        for p, dist in zip(pos, d):
            fid = str(col.gdf.index[p])
            if fid != skip:
                hits.append((float(dist), rank, fid, Hit(col.id, fid, float(dist) / 1000.0)))
    hits.sort(key=lambda t: t[:3])
    return [h for *_, h in hits]


def nearest(
    catalog: Catalog,
    of: Origin,
    k: int,
    collections: Sequence[str] | None = None,
    per_collection: bool = False,
    coord_sys: str = "wgs84",
) -> list[Hit]:
    """The ``k`` features nearest to a feature or point (geodesic, as :func:`within_distance`).

    With ``per_collection=True`` the ``k`` nearest of each collection, grouped in catalog
    order, each group nearest first; otherwise the ``k`` nearest overall. Fewer are returned
    when fewer exist. The origin feature itself is never reported.

    Raises
    ------
    InvalidParameter
        For a bad ``k`` (1..:data:`MAX_K`), coordinate, coordinate system or collections list.
    NotFound
        For an unknown feature id or collection.
    """
    k = check_k(k)
    cols = select_collections(catalog, collections)
    origin = resolve_origin(catalog, of, coord_sys)
    skip = _origin_id(of)
    groups: list[list[tuple[float, int, str, Hit]]] = []
    for rank, col in enumerate(cols):
        layer = collection_layer(col)
        pos: Sequence[int] | np.ndarray
        d: Sequence[float] | np.ndarray
        pos, d = layer.nearest(origin, min(k + 1, len(layer))) if len(layer) else ([], [])
        group = [
            (float(dist), rank, fid, Hit(col.id, fid, float(dist) / 1000.0))
            for p, dist in zip(pos, d)
            if (fid := str(col.gdf.index[p])) != skip
        ]
        groups.append(sorted(group, key=lambda t: t[:3])[:k])
    if per_collection:
        return [h for g in groups for *_, h in g]
    merged = sorted((t for g in groups for t in g), key=lambda t: t[:3])[:k]
    return [h for *_, h in merged]


# --- containment and area selection ----------------------------------------------------------


def at_point(catalog: Catalog, lon: float, lat: float, coord_sys: str = "wgs84") -> dict[str, list[str]]:
    """Ids of the polygons containing a point, for each of :data:`AT_POINT` in the catalog.

    A point on a boundary counts as inside (both neighbours are reported). Point features
    (e.g. point zones) are ignored.

    Returns
    -------
    dict
        ``{"parks": [...], "districts": [...], "bays": [...], "corridor": [...], "zones": [...]}``
        (every such collection the catalog has; an empty list when none contains the point).

    Raises
    ------
    InvalidParameter
        For a bad coordinate or coordinate system.
    """
    cs = check_coord_sys(coord_sys)
    lon, lat = check_lonlat(lon, lat)
    wlon, wlat = to_wgs84(lon, lat, cs)
    pt = shapely.Point(float(wlon), float(wlat))
    out: dict[str, list[str]] = {}
    for cid in AT_POINT:
        col = catalog.collections.get(cid)
        if col is None:
            continue
        idx = np.sort(col.tree.query(pt, predicate="intersects"))
        geoms = col.gdf.geometry.values
        out[cid] = [str(col.gdf.index[i]) for i in idx if shapely.get_dimensions(geoms[i]) == 2]
    return out


def check_bbox(bbox: Any) -> tuple[float, float, float, float]:
    """Return ``bbox`` as (minx, miny, maxx, maxy) floats, or raise.

    Raises
    ------
    InvalidParameter
        Unless it is four finite lon/lat numbers with minx < maxx and miny < maxy.
    """
    ok = isinstance(bbox, (tuple, list)) and len(bbox) == 4
    if ok:
        try:
            check_lonlat(bbox[0], bbox[1])
            check_lonlat(bbox[2], bbox[3])
        except InvalidParameter:
            ok = False
    if not ok or not (bbox[0] < bbox[2] and bbox[1] < bbox[3]):
        raise InvalidParameter(
            f"bbox {bbox!r} is not valid; expected (minlon, minlat, maxlon, maxlat) with "
            "minlon < maxlon, minlat < maxlat, lon in -180..180 and lat in -90..90"
        )
    return float(bbox[0]), float(bbox[1]), float(bbox[2]), float(bbox[3])


def _select(cols: list[Collection], geom: shapely.Geometry) -> list[Hit]:
    hits = []
    for col in cols:
        for i in np.sort(col.tree.query(geom, predicate="intersects")):
            hits.append(Hit(col.id, str(col.gdf.index[i])))
    return hits


def in_bbox(
    catalog: Catalog, bbox: tuple[float, float, float, float], collections: Sequence[str] | None = None
) -> list[Hit]:
    """Features whose geometry intersects a lon/lat box (WGS84), in catalog order.

    ``collections=None`` means every collection, basemap included.

    Raises
    ------
    InvalidParameter
        For a malformed box or collections list.
    NotFound
        For an unknown collection.
    """
    box = shapely.box(*check_bbox(bbox))
    return _select(select_collections(catalog, collections, list(catalog.collections)), box)


def intersecting(
    catalog: Catalog, geometry: dict[str, Any] | str, collections: Sequence[str] | None = None
) -> list[Hit]:
    """Features whose geometry intersects a GeoJSON geometry (dict or JSON text, WGS84).

    ``collections=None`` means every collection, basemap included.

    Raises
    ------
    InvalidParameter
        For malformed GeoJSON, invalid polygons, bad coordinates or a bad collections list.
    NotFound
        For an unknown collection.
    """
    geom = parse_geometry(geometry)
    return _select(select_collections(catalog, collections, list(catalog.collections)), geom)


# --- text queries ----------------------------------------------------------------------------


def _strings(row: pd.Series, fields: Sequence[str]) -> list[str]:
    out: list[str] = []
    for f in fields:
        v = row.get(f)
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, (list, tuple, np.ndarray)):
            out.extend(x for x in v if isinstance(x, str))
    return out


def by_industry(catalog: Catalog, term: str, collections: Sequence[str] | None = None) -> list[Hit]:
    """Features whose ``industries_zh``/``industries_en`` match ``term`` or a synonym.

    See :mod:`corridor.industry` for the synonym table and the matching rules (NFKC,
    case-insensitive). Results are in catalog order.

    Raises
    ------
    InvalidParameter
        For an empty term or a bad collections list.
    NotFound
        For an unknown collection.
    """
    terms = expand(_check_text(term, "industry term"))
    hits = []
    for col in select_collections(catalog, collections):
        for fid, row in col.gdf.iterrows():
            if term_matches(terms, _strings(row, ("industries_zh", "industries_en"))):
                hits.append(Hit(col.id, str(fid)))
    return hits


def by_name(
    catalog: Catalog, text: str, collections: Sequence[str] | None = None, limit: int | None = None
) -> list[Hit]:
    """Features whose name or institution (zh/en) matches ``text``, best first.

    Exact > prefix > substring > fuzzy (see :func:`corridor.textmatch.name_score`); ties
    by catalog order then id. ``limit`` caps the number of hits.

    Raises
    ------
    InvalidParameter
        For an empty text, a bad ``limit`` (1..:data:`MAX_K`) or a bad collections list.
    NotFound
        For an unknown collection.
    """
    query = normalize(_check_text(text, "search text"))
    if limit is not None:
        limit = check_k(limit, "limit")
    found: list[tuple[float, int, str, Hit]] = []
    for rank, col in enumerate(select_collections(catalog, collections)):
        for fid, row in col.gdf.iterrows():
            s = best_score(query, _strings(row, NAME_FIELDS))
            if s is not None:
                found.append((-s, rank, str(fid), Hit(col.id, str(fid), score=s)))
    found.sort(key=lambda t: t[:3])
    hits = [h for *_, h in found]
    return hits[:limit] if limit is not None else hits
