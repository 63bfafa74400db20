"""The feature store interface: every read of features goes through it.

A store holds collections of features and answers, per collection, the few primitive
questions the service asks: get one feature, a page of items matching a query, the features
within a geodesic distance of a geometry or nearest to it, those intersecting a geometry,
and those matching an industry or a name. Cross-collection questions
(:mod:`corridor.queries`) are built from these, so a store only implements them once.

Like pygeoapi's providers or GDAL's layers, implementations differ only in where the data
lives: :class:`corridor.store.memory.MemoryStore` holds the bundled data in memory with
everything derivable computed at load. Each collection has a version that changes exactly
when its features do; caches and ETags key on :attr:`FeatureStore.version`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

import shapely

from corridor.errors import NotFound, ReadOnly
from corridor.model import CollectionMeta, Feature, Indicator, ItemsPage, ItemsQuery, NewLayer


class FeatureStore(ABC):
    """Collections of features with their metadata, indexes and versions."""

    title_zh: str = "青岛湾区科创走廊"
    title_en: str = "Qingdao bay-area S&T innovation corridor"

    # --- metadata -------------------------------------------------------------------------

    @property
    @abstractmethod
    def version(self) -> str:
        """Digest of everything the store serves: changes exactly when any of it changes."""

    def refresh(self) -> None:
        """Catch up with writes other processes made (a cheap check when nothing changed).

        The web app calls it once a request, before anything is read; a store whose data
        cannot change from outside (the bundled in-memory store) does nothing."""
        return None

    def close(self) -> None:
        """Release what the store holds open (a database store's connections); a later read
        may open them again. Stores holding nothing open do nothing."""
        return None

    def check(self) -> None:
        """Raise if the store cannot answer now (a database store pings its server; the
        in-memory store, loaded and validated, always can)."""
        return None

    @abstractmethod
    def collections(self) -> list[CollectionMeta]:
        """Every collection, in display order."""

    def collection(self, cid: str) -> CollectionMeta:
        """The metadata of collection ``cid``.

        Raises
        ------
        NotFound
            If there is no such collection (the message lists the valid ids).
        """
        for meta in self.collections():
            if meta.id == cid:
                return meta
        raise NotFound(
            f"collection {cid!r} not found; expected one of "
            f"{', '.join(m.id for m in self.collections())}"
        )

    def collection_ids(self, role: str | None = None) -> list[str]:
        """Ids of the collections, in display order; only those with ``role`` if given."""
        return [m.id for m in self.collections() if role is None or role in m.roles]

    @abstractmethod
    def indicators(self) -> tuple[Indicator, ...]:
        """The plan's main indicators."""

    @abstractmethod
    def queryables(self, cid: str) -> dict[str, dict[str, Any]]:
        """Queryable properties of ``cid`` as JSON-schema snippets, ``geometry`` last.

        Raises
        ------
        NotFound
            For an unknown collection.
        """

    @property
    def extent(self) -> tuple[float, float, float, float] | None:
        """Lon/lat extent of every collection together (None when all are empty)."""
        boxes = [m.extent for m in self.collections() if m.extent is not None]
        if not boxes:
            return None
        return (min(b[0] for b in boxes), min(b[1] for b in boxes),
                max(b[2] for b in boxes), max(b[3] for b in boxes))

    # --- features -------------------------------------------------------------------------

    @abstractmethod
    def get(self, cid: str, fid: str) -> Feature:
        """Feature ``fid`` of collection ``cid``.

        Raises
        ------
        NotFound
            For an unknown collection or feature.
        """

    @abstractmethod
    def locate(self, fid: str) -> Feature:
        """Feature ``fid`` from whichever collection holds it (ids are unique in a store).

        Raises
        ------
        NotFound
            If no collection holds it.
        """

    @abstractmethod
    def features(self, cid: str, ids: Sequence[str] | None = None) -> list[Feature]:
        """Every feature of ``cid`` in data order, or those of ``ids`` that exist, in that order.

        Raises
        ------
        NotFound
            For an unknown collection.
        """

    @abstractmethod
    def items(self, cid: str, query: ItemsQuery) -> ItemsPage:
        """The page of ``cid``'s features matching every criterion of ``query``.

        Raises
        ------
        NotFound
            For an unknown collection.
        InvalidParameter
            If the filter cannot be evaluated.
        """

    # --- spatial and text primitives (one collection each) --------------------------------

    @abstractmethod
    def within(self, cid: str, origin: shapely.Geometry, meters: float) -> list[tuple[Feature, float]]:
        """Features of ``cid`` within ``meters`` (WGS84 geodesic) of ``origin``, with their
        distances in metres, nearest first, ties in data order."""

    def within_each(
        self, cids: Sequence[str], origin: shapely.Geometry, meters: float
    ) -> dict[str, list[tuple[Feature, float]]]:
        """:meth:`within` for several collections at once (a store may share the work of
        preparing the origin, or answer in one round trip)."""
        return {cid: self.within(cid, origin, meters) for cid in cids}

    @abstractmethod
    def nearest(self, cid: str, origin: shapely.Geometry, k: int) -> list[tuple[Feature, float]]:
        """The ``k`` features of ``cid`` nearest to ``origin`` (geodesic), nearest first."""

    @abstractmethod
    def intersecting(self, cid: str, geom: shapely.Geometry, areal_only: bool = False) -> list[Feature]:
        """Features of ``cid`` whose geometry intersects ``geom`` (lon/lat), in data order;
        with ``areal_only`` only polygons count."""

    @abstractmethod
    def matching_industry(self, cid: str, terms: frozenset[str]) -> list[Feature]:
        """Features of ``cid`` whose industries contain any of the normalised ``terms``
        (:func:`corridor.industry.term_matches`), in data order."""

    @abstractmethod
    def matching_name(self, cid: str, query: str) -> list[tuple[Feature, float]]:
        """Features of ``cid`` whose name or institution matches the normalised ``query``
        (:func:`corridor.textmatch.name_score`), with the best score, in data order."""

    # --- writes (stores holding user layers; every method refuses by default) ------------

    @property
    def writable(self) -> bool:
        """Whether this store takes writes at all (layers and feature edits)."""
        return False

    def put_layer(self, layer: NewLayer) -> CollectionMeta:
        """Store ``layer`` as collection ``layer.id``, replacing any previous version of it
        atomically: until the new version is complete, readers see the old one whole.

        Raises
        ------
        ReadOnly
            If the store takes no layers, or ``layer.id`` names a read-only collection.
        """
        raise ReadOnly("this store takes no user layers")

    def drop_layer(self, cid: str) -> None:
        """Delete user layer ``cid``.

        Raises
        ------
        NotFound
            If there is no such collection.
        ReadOnly
            If ``cid`` is not a user layer.
        """
        raise ReadOnly(f"collection {cid!r} is read-only")

    def create(self, cid: str, feature: Mapping[str, Any]) -> Feature:
        """Add a GeoJSON Feature (its ``id``, or a new one when it has none) to ``cid``.

        Raises
        ------
        ReadOnly
            If ``cid`` takes no edits.
        Conflict
            If a feature with that id exists.
        InvalidParameter
            If the geometry or a property does not fit the layer (the message says which).
        """
        raise ReadOnly(f"collection {cid!r} is read-only")

    def replace(self, cid: str, fid: str, feature: Mapping[str, Any]) -> Feature:
        """Replace feature ``fid`` of ``cid`` by a GeoJSON Feature (its id stays ``fid``).

        Raises
        ------
        ReadOnly, NotFound, InvalidParameter
            As for :meth:`create`; NotFound if ``fid`` does not exist.
        """
        raise ReadOnly(f"collection {cid!r} is read-only")

    def delete(self, cid: str, fid: str) -> None:
        """Delete feature ``fid`` of ``cid``.

        Raises
        ------
        ReadOnly, NotFound
        """
        raise ReadOnly(f"collection {cid!r} is read-only")
