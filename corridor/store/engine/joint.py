"""The catalog's small collections in one geodesic index, for a distance question asked of
many collections at once (``/api/near`` over the whole catalog).

Asked collection by collection, such a question pays each collection's fixed costs (a tree
query, the vector set-up of a few edges, a geodesic call) once per collection: most of its
time, for collections of tens of features. One index over all of them pays them once. The
answers are the same, feature by feature and to the last bit: every distance is computed by
the same functions from the same prepared edges, and what is within is decided the same
way (:meth:`corridor.geoindex.GeodesicIndex.within`).

Built once with the engine, over the read-only catalog only (a user layer changes; it is
asked on its own), and over the collections asked together by default: basemap
collections (land, districts: large polygons whose every query is costly) and collections
larger than :data:`JOINT_MAX_FEATURES` (which have their own fast paths) stay out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from corridor.geoindex import GeodesicIndex, Probe
from corridor.model import Feature
from corridor.store.engine.snapshot import Snapshot

#: A catalog collection with more placed features than this is not joined.
JOINT_MAX_FEATURES = 4096


class JointIndex:
    """One :class:`~corridor.geoindex.GeodesicIndex` over the placed features of the
    catalog collections that join (:func:`joins`), remembering each item's collection."""

    def __init__(self, snapshots: Sequence[Snapshot]) -> None:
        members = [s for s in snapshots if joins(s)]
        #: The collections in the index, in catalog order.
        self.cids: tuple[str, ...] = tuple(s.meta.id for s in members)
        self._features: list[Feature] = [s.features[p] for s in members for p in s.placed.tolist()]
        self._owner: list[int] = np.repeat(np.arange(len(members)), [len(s.placed) for s in members]).tolist()
        geoms = np.empty(len(self._features), dtype=object)
        geoms[:] = [f.geometry for f in self._features]
        self.index = GeodesicIndex(geoms) if len(geoms) else None

    def within(self, origin: Probe, meters: float, cids: Sequence[str]
               ) -> dict[str, list[tuple[Feature, float]]]:
        """What :meth:`Snapshot.within` answers for each of ``cids`` that is in the index,
        from one query: each collection's features within ``meters`` of ``origin``, in the
        same order (distance, then position in the collection)."""
        out: dict[str, list[tuple[Feature, float]]] = {cid: [] for cid in cids if cid in self.cids}
        if self.index is None or not out:
            return out
        pos, d = self.index.within(origin, meters, distances=True)
        assert d is not None
        groups = [out.get(cid) for cid in self.cids]
        for i, x in zip(pos.tolist(), d.tolist()):
            group = groups[self._owner[i]]
            if group is not None:
                group.append((self._features[i], x))
        return out


def joins(snapshot: Snapshot) -> bool:
    """Whether a catalog collection joins the index: placed features, at most
    :data:`JOINT_MAX_FEATURES` of them, and not a basemap."""
    return 0 < len(snapshot.placed) <= JOINT_MAX_FEATURES and not snapshot.meta.has_role("basemap")
