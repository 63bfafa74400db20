"""Counts of a collection's features per park, per district, and near each university campus.

Over any :class:`~corridor.store.FeatureStore`, with one store call per zone (a park or district
polygon, a campus point), never one per feature: the store answers each with its spatial
index, so a 100,000-point layer is counted in tens of milliseconds.

The zones are the features of the first collection with the matching role
(``collections.toml``, :data:`corridor.model.ROLES`): ``parks`` for ``by="park"``,
``districts`` for ``by="district"``, ``campuses`` (the universities, one point per campus) for
``by="campus"``.

How a feature counts
--------------------
- **per park, per district**: a feature counts for every zone its geometry intersects,
  boundary included (:meth:`~corridor.store.FeatureStore.intersecting`): a point inside or on
  the edge; a line or polygon that overlaps or touches the zone. A parcel straddling two
  districts counts in both, and parks may overlap, so the zone counts can add up to more than
  the features placed. ``outside`` counts the placed features that meet no zone at all.
- **per campus**: a feature counts for every campus within ``km`` of it, by the shortest
  WGS84 geodesic distance between the campus and the feature's geometry (0 inside a polygon;
  :meth:`~corridor.store.FeatureStore.within`). ``outside`` counts the placed features beyond
  ``km`` of every campus.
- A feature whose location is not published (no geometry) counts in ``unplaced`` and in no
  zone; a zone whose own location is not published (a park the plan names without a
  boundary) has ``count`` None: nothing can be said to lie in it.

So ``total = unplaced + placed``, and every placed feature is in at least one zone or in
``outside``.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely

from corridor import checks
from corridor.errors import InvalidParameter, NotFound
from corridor.model import ItemsQuery
from corridor.store.base import FeatureStore

#: What a layer can be counted by, and the role of the collection holding those zones.
BY: dict[str, str] = {"park": "parks", "district": "districts", "campus": "campuses"}
#: Radius around each campus when none is given, in km.
DEFAULT_KM = 5.0
_WORLD = (-180.0, -90.0, 180.0, 90.0)


@dataclass(frozen=True)
class ZoneCount:
    """How many features of the layer lie in (or near) one zone."""

    id: str
    name_zh: str
    name_en: str
    #: None when the zone's own location is not published.
    count: int | None

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


@dataclass(frozen=True)
class LayerStatistics:
    """The counts of one collection by one kind of zone (see the module docstring)."""

    collection: str
    by: str
    #: Id of the collection whose features are the zones.
    zones: str
    #: Radius around each campus (``by="campus"`` only), in km.
    km: float | None
    #: Features in the layer.
    total: int
    #: Features whose location is not published.
    unplaced: int
    #: Placed features in no zone (or beyond ``km`` of every campus).
    outside: int
    counts: tuple[ZoneCount, ...]

    @property
    def placed(self) -> int:
        return self.total - self.unplaced

    def count_of(self, zone_id: str) -> int | None:
        """The count of zone ``zone_id``.

        Raises
        ------
        NotFound
            If no zone has that id.
        """
        for z in self.counts:
            if z.id == zone_id:
                return z.count
        raise NotFound(f"zone {checks.shown(zone_id)} is not one of the {self.zones} counted")


def zone_collection(store: FeatureStore, by: str) -> str:
    """Id of the collection whose features are the zones of ``by`` (park, district, campus).

    Raises
    ------
    InvalidParameter
        For another ``by``.
    NotFound
        If no collection of the store has the role.
    """
    role = BY[checks.choice(by, "by", tuple(BY))]
    ids = store.collection_ids(role)
    if not ids:
        raise NotFound(f"this data has no collection with the role {role!r}, so nothing can be "
                       f"counted by {by}")
    return ids[0]


def layer_statistics(store: FeatureStore, cid: str, by: str, km: object = None) -> LayerStatistics:
    """Count the features of collection ``cid`` per park, per district or near each campus.

    Parameters
    ----------
    by
        ``park``, ``district`` or ``campus``.
    km
        Radius around each campus (default :data:`DEFAULT_KM`), checked by
        :func:`corridor.checks.km`; only with ``by="campus"``.

    Raises
    ------
    NotFound
        For an unknown collection, or a store without the zones' role.
    InvalidParameter
        For another ``by``, a bad ``km``, or a ``km`` with ``by`` other than campus.
    """
    by = checks.choice(by, "by", tuple(BY))
    if by == "campus":
        radius: float | None = checks.km(DEFAULT_KM if km is None else km, "km")
    elif km is not None:
        raise InvalidParameter(f"km={checks.shown(km)} applies to by=campus only; expected no km "
                               f"with by={by}")
    else:
        radius = None
    meta = store.collection(cid)
    zones = zone_collection(store, by)
    placed = placed_count(store, cid)
    seen: set[str] = set()
    counts = []
    for zone in store.features(zones):
        if zone.geometry is None:
            count = None
        else:
            ids = _ids_in(store, cid, zone.geometry, radius)
            seen.update(ids)
            count = len(ids)
        counts.append(ZoneCount(zone.id, str(zone.get("name_zh", zone.id)),
                                str(zone.get("name_en", zone.id)), count))
    return LayerStatistics(cid, by, zones, radius, meta.count, meta.count - placed,
                           placed - len(seen), tuple(counts))


def placed_count(store: FeatureStore, cid: str) -> int:
    """How many features of ``cid`` have a position (the others' is not published).

    Raises
    ------
    NotFound
        For an unknown collection.
    """
    if not store.collection(cid).count:
        return 0
    # one bbox query over the whole world: the store counts, no feature is materialised
    return store.items(cid, ItemsQuery(limit=1, bbox=_WORLD)).matched


def _ids_in(store: FeatureStore, cid: str, zone: shapely.Geometry, km: float | None) -> list[str]:
    """Ids of ``cid``'s features meeting ``zone`` (or within ``km`` of it), each once."""
    if km is None:
        return [f.id for f in store.intersecting(cid, zone)]
    return [f.id for f, _ in store.within(cid, zone, km * 1000.0)]
