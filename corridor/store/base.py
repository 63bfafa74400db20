"""The feature store interface: every read of features goes through it.

A store holds collections of features and answers, per collection, the few primitive
questions the service asks: get one feature, a page of items matching a query, the features
within a geodesic distance of a geometry or nearest to it, those intersecting a geometry,
and those matching an industry or a name. Cross-collection questions
(:mod:`corridor.queries`) are built from these, so a store only implements them once.

Like pygeoapi's providers or GDAL's layers, implementations differ only in where the data
lives. There are two engines: :class:`corridor.store.engine.Engine` in this process (the
bundled catalog as read-only layers, user layers as GeoPackage files) and
:class:`corridor.store.postgis.PostgisStore` (one database shared by replicas). What a store
can do is declared here (tiles, provenance, transactions), never probed: every engine
implements all of it, and the rule that bundled collections are read-only is applied here,
once (:meth:`FeatureStore.check_writable`). Each collection has a version that changes
exactly when its features do; caches and ETags key on :attr:`FeatureStore.version`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

import shapely

from corridor import checks, yearcount
from corridor.errors import InvalidParameter, NotFound, ReadOnly
from corridor.model import (
    CollectionMeta,
    Feature,
    Indicator,
    ItemsPage,
    ItemsQuery,
    NewLayer,
    VectorTile,
)
from corridor.reach import Reach, check_minutes, check_mode
from corridor.store.layerrules import check_layer_id
from corridor.yearcount import Candidate, Tally, YearCounts


def read_only(cid: str) -> ReadOnly:
    """The one error of a write to read-only collection ``cid`` (:meth:`FeatureStore.check_writable`;
    an engine's own guard against a race raises it too)."""
    return ReadOnly(f"collection {cid!r} is part of the bundled catalog and read-only; "
                    "only user layers take writes, under a name the catalog does not use")


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

    # --- declared capabilities: tiles and provenance ---------------------------------------

    @abstractmethod
    def tile(self, cid: str, z: int, x: int, y: int) -> VectorTile:
        """Collection ``cid`` over WebMercatorQuad tile ``z/x/y`` (:mod:`corridor.tiles`)
        as a Mapbox Vector Tile: one layer named ``cid``, the layout of :mod:`corridor.tiles`.

        Raises
        ------
        NotFound
            For an unknown collection.
        """

    @abstractmethod
    def provenance(self, cid: str) -> dict[str, str]:
        """What was recorded of where collection ``cid`` came from: ``source`` (a user
        layer's file, format, encoding and coordinate system) and ``imported`` (UTC time,
        ISO 8601); both empty for a bundled collection, whose sources are per feature.

        Raises
        ------
        NotFound
            For an unknown collection.
        """

    # --- declared question: a layer's features per calendar year -------------------------

    def year_counts(self, cid: str) -> YearCounts:
        """Collection ``cid``'s features per calendar year of its one date column, with the
        features that have no date apart; or, where no column or several qualify, why not.

        Which column is the date column is decided once, in :mod:`corridor.yearcount`;
        each engine only tallies the candidate columns' values (:meth:`_year_tallies`).

        Raises
        ------
        NotFound
            For an unknown collection.
        """
        meta = self.collection(cid)
        cands = yearcount.candidates(self.queryables(cid))
        return yearcount.decide(cid, meta.count, self._year_tallies(cid, cands) if cands else {})

    @abstractmethod
    def _year_tallies(self, cid: str, cands: Sequence[Candidate]) -> dict[Candidate, Tally]:
        """For each of ``cands``, :func:`corridor.yearcount.tally` of its value in every
        feature of ``cid`` (None where a feature has none)."""

    # --- declared capability: travel-time reach on a road network ---------------------------

    def networks(self) -> list[str]:
        """Ids of the collections that are road networks (:attr:`CollectionMeta.network`)."""
        return [m.id for m in self.collections() if m.network]

    def reach(self, network: str, origin: tuple[float, float], minutes: float, mode: str) -> Reach:
        """Where one can be within ``minutes`` of ``origin`` (WGS84 lon, lat) travelling by
        ``mode`` over road network ``network`` (:mod:`corridor.reach`).

        The checks live here, once; each engine answers in :meth:`_reach` (in memory, or
        with pgRouting), the same way.

        Raises
        ------
        InvalidParameter
            For an unknown network or a collection that is not one, minutes not in
            (0, 180], an unknown mode, or an origin farther than the walk-off limit from
            the network; each message names the value and what is expected.
        """
        known = self.networks()
        expected = ", ".join(known) or "(no road network is stored: import one)"
        if network not in self.collection_ids():
            raise InvalidParameter(f"network={checks.shown(network)} is not a collection; "
                                   f"expected a road network: {expected}")
        meta = self.collection(network)
        if not meta.network:
            raise InvalidParameter(
                f"network={network!r} is not a road network (its geometries are "
                f"{', '.join(meta.geometry_types) or 'none'}; a network is a user layer of "
                f"lines); expected one of: {expected}")
        return self._reach(meta, origin, check_minutes(minutes), check_mode(mode))

    @abstractmethod
    def _reach(self, meta: CollectionMeta, origin: tuple[float, float], minutes: float,
               mode: str) -> Reach:
        """:meth:`reach` over ``meta``, a road network, with checked minutes and mode."""

    # --- transactions: the read-only rule lives here, once -----------------------------------

    def check_writable(self, cid: str) -> None:
        """Raise :class:`ReadOnly` if ``cid`` names a read-only (bundled) collection; an
        unknown id passes (it may become a new layer).

        Every write below checks this first, so the rule and its message are the same for
        every engine and every caller (the API answers 405, the command line exits 1)."""
        if self._read_only(cid):
            raise read_only(cid)

    def _editable(self, cid: str) -> None:
        self.check_writable(cid)
        self.collection(cid)  # NotFound for an unknown collection

    def put_layer(self, layer: NewLayer) -> CollectionMeta:
        """Store ``layer`` as collection ``layer.id``, replacing any previous version of it
        atomically: until the new version is complete, readers see the old one whole.

        Raises
        ------
        InvalidParameter
            If ``layer.id`` is not a valid layer id, or the layer breaks a layer rule.
        ReadOnly
            If ``layer.id`` names a read-only collection.
        """
        check_layer_id(layer.id)
        self.check_writable(layer.id)
        return self._put_layer(layer)

    def drop_layer(self, cid: str) -> None:
        """Delete user layer ``cid``.

        Raises
        ------
        NotFound
            If there is no such collection.
        ReadOnly
            If ``cid`` is not a user layer.
        """
        self._editable(cid)
        self._drop_layer(cid)

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
        self._editable(cid)
        return self._create(cid, feature)

    def replace(self, cid: str, fid: str, feature: Mapping[str, Any]) -> Feature:
        """Replace feature ``fid`` of ``cid`` by a GeoJSON Feature (its id stays ``fid``).

        Raises
        ------
        ReadOnly, NotFound, InvalidParameter
            As for :meth:`create`; NotFound if ``fid`` does not exist.
        """
        self._editable(cid)
        return self._replace(cid, fid, feature)

    def delete(self, cid: str, fid: str) -> None:
        """Delete feature ``fid`` of ``cid``.

        Raises
        ------
        ReadOnly, NotFound
        """
        self._editable(cid)
        self._delete(cid, fid)

    # what each engine implements, called only after the rule above held

    @abstractmethod
    def _read_only(self, cid: str) -> bool:
        """Whether ``cid`` names a read-only collection (False for an unknown id)."""

    @abstractmethod
    def _put_layer(self, layer: NewLayer) -> CollectionMeta: ...

    @abstractmethod
    def _drop_layer(self, cid: str) -> None: ...

    @abstractmethod
    def _create(self, cid: str, feature: Mapping[str, Any]) -> Feature: ...

    @abstractmethod
    def _replace(self, cid: str, fid: str, feature: Mapping[str, Any]) -> Feature: ...

    @abstractmethod
    def _delete(self, cid: str, fid: str) -> None: ...
