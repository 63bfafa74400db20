"""Reach questions over any store: the area within M minutes of a feature or a point, and
the features inside it with their travel times (:mod:`corridor.reach` says how both are
measured)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

from corridor.crs import to_metric
from corridor.model import Hit
from corridor.queries import Origin, resolve_origin, select_collections
from corridor.reach import Reach
from corridor.store.base import FeatureStore


def reach_from(store: FeatureStore, of: Origin, minutes: float, network: str, mode: str,
               coord_sys: str = "wgs84") -> Reach:
    """The reach from a feature (its point, or a point on its surface for a line or
    polygon) or a lon, lat in ``coord_sys``.

    Raises
    ------
    InvalidParameter
        For a bad origin, network, minutes or mode (:meth:`FeatureStore.reach`).
    NotFound
        For an unknown feature id.
    """
    origin = resolve_origin(store, of, coord_sys)
    point = origin if origin.geom_type == "Point" else shapely.point_on_surface(origin)
    return store.reach(network, (point.x, point.y), minutes, mode)


def within_reach(store: FeatureStore, reach: Reach, collections: Sequence[str] | None = None,
                 skip: str | None = None) -> list[Hit]:
    """The features inside ``reach``'s area, with their travel times, soonest first (ties
    in collection order, then by id). A feature is inside when its point (for a line or
    polygon, a point on its surface) is; the network itself is left out unless named,
    and so is the feature ``skip`` (the origin).

    Raises
    ------
    NotFound
        For an unknown collection.
    """
    cids = select_collections(store, collections)
    if collections is None:
        cids = [c for c in cids if c != reach.network]
    area = reach.area
    if area.is_empty:
        return []
    shapely.prepare(area)
    found: list[tuple[float, int, str, Hit]] = []
    for rank, cid in enumerate(cids):
        feats = [f for f in store.intersecting(cid, area) if f.id != skip]
        if not feats:
            continue
        geoms = np.asarray([f.geometry for f in feats], dtype=object)
        points = np.where(shapely.get_type_id(geoms) == 0, geoms, shapely.point_on_surface(geoms))
        inside = shapely.covers(area, points)
        x, y = to_metric(shapely.get_x(points), shapely.get_y(points))
        seconds = reach.seconds_at(np.column_stack([x, y]))
        for f, ok, s in zip(feats, inside, seconds):
            if ok and np.isfinite(s):
                found.append((float(s), rank, f.id, Hit(f, travel_s=float(s))))
    found.sort(key=lambda t: t[:3])
    return [h for *_, h in found]
