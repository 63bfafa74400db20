"""The "within N km" queries of the PostGIS store's items: the page ordered by exact
(spheroid) distance and the count, the latter from the cell pyramid where it applies
(:mod:`corridor.store.pgcircle`)."""

from __future__ import annotations

from typing import Any

import shapely
from sqlalchemy import and_, func, literal_column, or_, select

from corridor.geodesic import DENSIFY_DEG
from corridor.model import CollectionMeta, ItemsQuery
from corridor.store import pgcircle, pgcql

_F = pgcql.features


def near_queries(where: Any, near: shapely.Geometry, meters: float, first: int) -> tuple[Any, Any]:
    """The page query (ordered by exact distance, then position) and the count query of the
    features matching ``where`` within ``meters`` of ``near``, for a page ending at ``first``.

    The count decides most features on the sphere (cheap) and computes the spheroid distance
    only in the thin band where the two could disagree. The page asks the index for the
    ``first`` nearest (KNN order, on the sphere), then ranks exactly every feature within
    the largest of their spheroid distances: any ``first`` features bound the true
    ``first``-th distance, so nothing is missed.
    """
    origin = _geography(near)
    geog = _F.c.geog
    inner, outer = pgcircle.sphere_band(meters)
    member = and_(func.ST_DWithin(geog, origin, outer, False),
                  or_(func.ST_DWithin(geog, origin, inner, False),
                      func.ST_DWithin(geog, origin, meters)))
    count = select(func.count()).select_from(_F).where(where, member)
    knn = (select(func.ST_Distance(geog, origin).label("d"))
           .where(where, func.ST_DWithin(geog, origin, meters))
           .order_by(geog.op("<->")(origin)).limit(first).cte("knn"))
    reach = func.least(meters, select(func.max(knn.c.d)).scalar_subquery() + 0.01)
    dist = func.ST_Distance(geog, origin).label("d")
    page = (select(_F.c.fid, _F.c.doc, func.ST_AsBinary(_F.c.geom), dist)
            .where(where, func.ST_DWithin(geog, origin, reach))
            .order_by(literal_column("d"), _F.c.pos))
    return page, count


def near_count(meta: CollectionMeta, query: ItemsQuery) -> tuple[str, dict[str, Any]] | None:
    """The count query of a near query with no other criterion, from the cell pyramid
    (:func:`corridor.store.pgcircle.circle_cover`), for a point origin and a collection of
    points; None where it does not apply (then every candidate row is tested)."""
    origin, meters = query.near, query.near_m
    if meta.geometry_types != ("Point",) or not isinstance(origin, shapely.Point) \
            or origin.is_empty or meters is None:
        return None
    spacing = pgcircle.spacing_for(meta.count, meta.extent, meters)
    cover = pgcircle.circle_cover(origin.x, origin.y, meters, spacing)
    if cover is None:
        return None
    return pgcircle.COUNT_SQL, pgcircle.count_params(meta.id, cover, origin_wkb(origin), meters,
                                                     query.near_id)


def origin_wkb(origin: shapely.Geometry) -> bytes:
    """WKB of a distance origin, its edges densified as the stored geographies' are."""
    if not isinstance(origin, shapely.Point):
        origin = shapely.segmentize(origin, DENSIFY_DEG)
    return bytes(shapely.to_wkb(origin))


def _geography(geom: shapely.Geometry) -> Any:
    return func.ST_GeogFromWKB(pgcql.bindparam(None, origin_wkb(geom), type_=pgcql.LargeBinary))

