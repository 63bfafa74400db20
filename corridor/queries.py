"""Questions across collections, over any :class:`~corridor.store.FeatureStore`: within N km,
nearest k, what is here, bbox, intersecting a polygon, by industry and by name.

Every distance is the shortest geodesic on the WGS84 ellipsoid (see
:mod:`corridor.geodesic`), answered per collection by the store. Point inputs accept a
coordinate system (``wgs84``, ``gcj02`` for AMap/Tencent, ``bd09`` for Baidu) and are
converted to WGS84 first. Bad input raises :class:`~corridor.errors.InvalidParameter` (or
:class:`~corridor.errors.NotFound` for unknown ids and collections) with a message that
repeats the value and says what is expected (:mod:`corridor.checks`); nothing is clamped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import shapely

from corridor import checks, timeline
from corridor.crs import to_wgs84
from corridor.errors import InvalidParameter
from corridor.geojson_input import parse_geometry
from corridor.industry import expand
from corridor.model import Hit
from corridor.store.base import FeatureStore
from corridor.textmatch import normalize

Origin = str | tuple[float, float]


def select_collections(
    store: FeatureStore, collections: Sequence[str] | None, everything: bool = False
) -> list[str]:
    """The requested collection ids in store order.

    ``collections=None`` means every collection but the ``basemap`` ones, or every one with
    ``everything=True``.

    Raises
    ------
    NotFound
        For an unknown collection id (the message lists the valid ones).
    InvalidParameter
        If ``collections`` is a bare string or an empty list.
    """
    if collections is None:
        return [m.id for m in store.collections() if everything or not m.has_role("basemap")]
    if isinstance(collections, str) or not len(collections):
        raise InvalidParameter(
            f"collections {checks.shown(collections)} is not valid; expected a non-empty list of "
            f"collection ids from {', '.join(store.collection_ids())}"
        )
    for cid in collections:
        store.collection(cid)  # raises NotFound listing the valid ids
    wanted = set(collections)
    return [cid for cid in store.collection_ids() if cid in wanted]


def resolve_origin(store: FeatureStore, of: Origin, coord_sys: str = "wgs84") -> shapely.Geometry:
    """Turn a feature id or a (lon, lat) in ``coord_sys`` into a WGS84 shapely geometry.

    Raises
    ------
    NotFound
        If ``of`` is an id no collection holds.
    InvalidParameter
        For an empty or over-long id, a malformed or out-of-range coordinate, or an
        unknown ``coord_sys``.
    """
    return locate_origin(store, of, coord_sys)[0]


def locate_origin(store: FeatureStore, of: Origin,
                  coord_sys: str = "wgs84") -> tuple[shapely.Geometry, str | None]:
    """:func:`resolve_origin`, with the collection of the feature ``of`` names (None for a
    lon, lat), from one look-up of the id.

    Raises
    ------
    NotFound, InvalidParameter
        As :func:`resolve_origin`.
    """
    cs = checks.coord_sys(coord_sys)
    if isinstance(of, str):
        if not of.strip():
            raise InvalidParameter(f"origin {of!r} is not valid; expected a feature id or (lon, lat)")
        checks.limit(of, "origin id", checks.MAX_ID)
        feature = store.locate(of)
        if feature.geometry is None:
            raise InvalidParameter(
                f"feature {of!r} has no position (its location is not published), so no "
                "distance can be measured from it; expected a placed feature or lon,lat")
        return feature.geometry, feature.collection
    if not isinstance(of, (tuple, list)) or len(of) != 2:
        raise InvalidParameter(
            f"origin {checks.shown(of)} is not valid; expected a feature id or (lon, lat)"
        )
    lon, lat = checks.lonlat(*of)
    wlon, wlat = to_wgs84(lon, lat, cs)
    return shapely.Point(float(wlon), float(wlat)), None


def _origin_id(of: Origin) -> str | None:
    return of if isinstance(of, str) else None


# --- distance queries ------------------------------------------------------------------------


def within_distance(
    store: FeatureStore,
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
    meters = checks.km(km) * 1000.0
    cids = select_collections(store, collections)
    origin = resolve_origin(store, of, coord_sys)
    skip = _origin_id(of)
    found: list[tuple[float, int, str, Hit]] = []
    for rank, pairs in enumerate(store.within_each(cids, origin, meters).values()):
        for feat, d in pairs:
            if feat.id != skip:
                found.append((d, rank, feat.id, Hit(feat, d / 1000.0)))
    found.sort(key=lambda t: t[:3])
    return [h for *_, h in found]


def nearest(
    store: FeatureStore,
    of: Origin,
    k: int,
    collections: Sequence[str] | None = None,
    per_collection: bool = False,
    coord_sys: str = "wgs84",
) -> list[Hit]:
    """The ``k`` features nearest to a feature or point (geodesic, as :func:`within_distance`).

    With ``per_collection=True`` the ``k`` nearest of each collection, grouped in store
    order, each group nearest first; otherwise the ``k`` nearest overall. Fewer are returned
    when fewer exist. The origin feature itself is never reported.

    Raises
    ------
    InvalidParameter
        For a bad ``k`` (1..:data:`corridor.checks.MAX_K`), coordinate, coordinate system or
        collections list.
    NotFound
        For an unknown feature id or collection.
    """
    k = checks.k(k)
    cids = select_collections(store, collections)
    origin = resolve_origin(store, of, coord_sys)
    skip = _origin_id(of)
    groups: list[list[tuple[float, int, str, Hit]]] = []
    for rank, cid in enumerate(cids):
        group = [(d, rank, f.id, Hit(f, d / 1000.0))
                 for f, d in store.nearest(cid, origin, k + 1) if f.id != skip]
        groups.append(sorted(group, key=lambda t: t[:3])[:k])
    if per_collection:
        return [h for g in groups for *_, h in g]
    merged = sorted((t for g in groups for t in g), key=lambda t: t[:3])[:k]
    return [h for *_, h in merged]


# --- containment and area selection ----------------------------------------------------------


def during(hits: list[Hit], when: timeline.Interval | None) -> list[Hit]:
    """The ``hits`` whose feature's interval meets ``when`` (:func:`corridor.timeline.matches`);
    all of them when ``when`` is None. The order is kept."""
    if when is None:
        return hits
    return [h for h in hits if timeline.matches(h.feature.properties, when)]


def at_point(store: FeatureStore, lon: float, lat: float, coord_sys: str = "wgs84") -> dict[str, list[Hit]]:
    """The polygons containing a point, for every collection with the ``at`` role.

    A point on a boundary counts as inside (both neighbours are reported). Point features
    (e.g. point zones) are ignored.

    Returns
    -------
    dict
        Collection id -> hits in data order (an empty list when none contains the point),
        for each ``at`` collection in store order.

    Raises
    ------
    InvalidParameter
        For a bad coordinate or coordinate system.
    """
    cs = checks.coord_sys(coord_sys)
    lon, lat = checks.lonlat(lon, lat)
    wlon, wlat = to_wgs84(lon, lat, cs)
    pt = shapely.Point(float(wlon), float(wlat))
    return {cid: [Hit(f) for f in store.intersecting(cid, pt, areal_only=True)]
            for cid in store.collection_ids("at")}


def in_bbox(
    store: FeatureStore, bbox: Any, collections: Sequence[str] | None = None
) -> list[Hit]:
    """Features whose geometry intersects a lon/lat box (WGS84), in store order.

    ``collections=None`` means every collection, basemap included.

    Raises
    ------
    InvalidParameter
        For a malformed box or collections list.
    NotFound
        For an unknown collection.
    """
    box = shapely.box(*checks.bbox(bbox))
    return [Hit(f) for cid in select_collections(store, collections, everything=True)
            for f in store.intersecting(cid, box)]


def intersecting(
    store: FeatureStore, geometry: dict[str, Any] | str, collections: Sequence[str] | None = None
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
    return [Hit(f) for cid in select_collections(store, collections, everything=True)
            for f in store.intersecting(cid, geom)]


# --- text queries ----------------------------------------------------------------------------


def by_industry(store: FeatureStore, term: str, collections: Sequence[str] | None = None) -> list[Hit]:
    """Features whose ``industries_zh``/``industries_en`` match ``term`` or a synonym.

    See :mod:`corridor.industry` for the synonym table and the matching rules (NFKC,
    case-insensitive). Results are in store order.

    Raises
    ------
    InvalidParameter
        For an empty or over-long term or a bad collections list.
    NotFound
        For an unknown collection.
    """
    terms = expand(checks.text(term, "industry term"))
    return [Hit(f) for cid in select_collections(store, collections)
            for f in store.matching_industry(cid, terms)]


def by_name(
    store: FeatureStore, text: str, collections: Sequence[str] | None = None, limit: int | None = None
) -> list[Hit]:
    """Features whose name or institution (zh/en) matches ``text``, best first.

    Exact > prefix > substring > fuzzy (see :func:`corridor.textmatch.name_score`); ties
    by store order then id. ``limit`` caps the number of hits.

    Raises
    ------
    InvalidParameter
        For an empty or over-long text, a bad ``limit`` (1..:data:`corridor.checks.MAX_K`)
        or a bad collections list.
    NotFound
        For an unknown collection.
    """
    query = normalize(checks.text(text, "search text"))
    if limit is not None:
        limit = checks.k(limit, "limit")
    found: list[tuple[float, int, str, Hit]] = []
    for rank, cid in enumerate(select_collections(store, collections)):
        for feat, score in store.matching_name(cid, query):
            found.append((-score, rank, feat.id, Hit(feat, score=score)))
    found.sort(key=lambda t: t[:3])
    hits = [h for *_, h in found]
    return hits[:limit] if limit is not None else hits
