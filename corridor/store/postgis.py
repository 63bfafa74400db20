"""The PostGIS store: the catalog and every user layer in one PostgreSQL database, shared by
any number of app processes (``CORRIDOR_DATABASE_URL``).

Queries run in the database: bbox on the GiST index of ``(collection, geom)``; "within N
km" with ``ST_DWithin`` on geography, distances from ``ST_Distance`` on geography (the
WGS84 spheroid); nearest by the index's KNN order refined by spheroid distance; CQL2
through pygeofilter's SQLAlchemy backend (:mod:`corridor.store.pgcql`); vector tiles with
``ST_AsMVT``. Two answers come from the cell pyramid of :mod:`corridor.store.pgcells`
rather than from every row they concern: a dense tile reads only the points it keeps, and
the exact number of points of a layer within N km of a point adds up whole cells inside
the circle and tests the rows of its boundary cells only. Name search and industry terms
are matched in Python (:mod:`corridor.store.pgtext`); the database then selects the matching
rows by position or by term (GIN index).

**Versions.** Every write bumps ``corridor_state.version`` and the collection's version in
the same transaction. :meth:`PostgisStore.refresh` (once a request) reads that one number
and reloads the metadata only when it moved, so a write on one replica is seen by every
other replica's next request, and caches and ETags keyed on :attr:`version` follow it. (A
write also sends ``NOTIFY corridor_changed`` for outside tools; the store itself does not
listen: a notification could arrive after the next request, the counter cannot.)

Writes live in :mod:`corridor.store.pgwrite` and :mod:`corridor.store.pgedit`; connections
in :mod:`corridor.store.pgpool`; the metadata snapshot in :mod:`corridor.store.pgsnapshot`;
rows become features in :mod:`corridor.store.pgrows`; the near and tile queries are
:mod:`corridor.store.pgnear` and :mod:`corridor.store.pgtile`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import shapely
from sqlalchemy import and_, cast, false, func, select
from sqlalchemy.dialects.postgresql import JSONB

from corridor import checks, tiles
from corridor.errors import InvalidParameter, NotFound
from corridor.geoindex import Probe
from corridor.industry import expand
from corridor.model import (
    CollectionMeta,
    Feature,
    Indicator,
    ItemsPage,
    ItemsQuery,
    NewLayer,
    VectorTile,
)
from corridor.reach import Reach
from corridor.store import pgcql, pgedit, pgreach, pgtime, pgwrite, pgyears
from corridor.store.base import FeatureStore
from corridor.store.pgnear import near_count, near_queries, origin_wkb
from corridor.store.pgpool import Database
from corridor.store.pgrows import FEATURE_COLUMNS, features_from_rows
from corridor.store.pgsnapshot import Snapshot, load_snapshot, write_counter
from corridor.store.pgtext import TextColumns
from corridor.store.pgtile import TILE_SQL, tile_params
from corridor.textmatch import normalize
from corridor.yearcount import Candidate, Tally

_F = pgcql.features


class PostgisStore(FeatureStore):
    """Collections in a PostgreSQL/PostGIS database (schema: :mod:`corridor.store.pgschema`).

    Nothing is read at construction; the first :meth:`refresh` (or any read) loads the
    metadata.

    Parameters
    ----------
    url
        Database URL (``postgresql://user:pass@host:5432/db``).
    pool_size, pool_timeout
        Connections per process, and seconds a request waits for one (see
        :class:`~corridor.store.pgpool.Database`).
    """

    def __init__(self, url: str, pool_size: int = 4, pool_timeout: float = 2.0) -> None:
        self.db = Database(url, pool_size=pool_size, timeout=pool_timeout)
        self._snap: Snapshot | None = None
        self._texts = TextColumns(self.db)

    # --- metadata -------------------------------------------------------------------------

    def refresh(self) -> None:
        state = self.db.run(write_counter)
        if self._snap is None or state != self._snap.state:
            self._snap = self.db.run(load_snapshot)

    def check(self) -> None:
        self.db.run(lambda c: c.execute("SELECT 1"))

    def close(self) -> None:
        self.db.close()

    @property
    def _s(self) -> Snapshot:
        if self._snap is None:
            self.refresh()
        assert self._snap is not None
        return self._snap

    @property
    def version(self) -> str:
        return self._s.version

    def collections(self) -> list[CollectionMeta]:
        return list(self._s.metas)

    def collection(self, cid: str) -> CollectionMeta:
        meta = self._s.by_id.get(cid)
        if meta is None:
            raise NotFound(f"collection {checks.shown(cid)} not found; expected one of "
                           f"{', '.join(self._s.by_id)}")
        return meta

    def indicators(self) -> tuple[Indicator, ...]:
        return self._s.indicators

    def provenance(self, cid: str) -> dict[str, str]:
        """What the import of layer ``cid`` recorded: ``source`` (file, format, encoding,
        coordinate system) and ``imported`` (UTC time, ISO 8601), as the in-process engine records them.

        Raises
        ------
        NotFound
            If there is no such collection.
        """
        self.collection(cid)
        entry = self.db.run(lambda c: c.execute(
            "SELECT entry FROM corridor_collections WHERE id = %s", (cid,)).fetchone())
        return {key: str((entry[0] if entry else {}).get(key) or "") for key in ("source", "imported")}

    def queryables(self, cid: str) -> dict[str, dict[str, Any]]:
        self.collection(cid)
        return self._s.queryables[cid]

    # --- features -------------------------------------------------------------------------

    def _rows(self, sql: str, params: Any) -> list[tuple[Any, ...]]:
        return self.db.fetch_all(sql, params)

    def get(self, cid: str, fid: str) -> Feature:
        meta = self.collection(cid)
        rows = self._rows(f"SELECT {FEATURE_COLUMNS} FROM corridor_features "
                          "WHERE collection = %s AND fid = %s", (cid, fid))
        if not rows:
            raise NotFound(f"feature {checks.shown(fid)} not found in collection {cid!r}; "
                           f"expected one of its {meta.count} feature ids")
        return features_from_rows(cid, rows)[0]

    def locate(self, fid: str) -> Feature:
        known = list(self._s.by_id)
        rows = self._rows(f"SELECT collection, {FEATURE_COLUMNS} FROM corridor_features "
                          "WHERE fid = %s AND collection = ANY(%s)", (fid, known))
        if not rows:
            raise NotFound(f"feature id {checks.shown(fid)} not found in any collection")
        first = min(rows, key=lambda r: known.index(r[0]))
        return features_from_rows(first[0], [first[1:]])[0]

    def features(self, cid: str, ids: Sequence[str] | None = None) -> list[Feature]:
        self.collection(cid)
        if ids is None:
            rows = self._rows(f"SELECT {FEATURE_COLUMNS} FROM corridor_features WHERE collection = %s "
                              "ORDER BY pos", (cid,))
            return features_from_rows(cid, rows)
        rows = self._rows(f"SELECT {FEATURE_COLUMNS} FROM corridor_features WHERE collection = %s "
                          "AND fid = ANY(%s)", (cid, list(ids)))
        found = {f.id: f for f in features_from_rows(cid, rows)}
        return [found[i] for i in ids if i in found]

    def items(self, cid: str, query: ItemsQuery) -> ItemsPage:
        meta = self.collection(cid)
        criteria = self._criteria(cid, query)
        where = and_(_F.c.collection == cid, *criteria)
        counted: tuple[str, dict[str, Any]] | None = None
        if query.near is not None:
            assert query.near_m is not None
            if query.near_id is not None:
                where = and_(where, _F.c.fid != query.near_id)
            page, count = near_queries(where, query.near, query.near_m, query.offset + query.limit)
            if not criteria:
                counted = near_count(meta, query)
        else:
            page = select(_F.c.fid, _F.c.doc, func.ST_AsBinary(_F.c.geom)).where(where).order_by(_F.c.pos)
            count = select(func.count()).select_from(_F).where(where)
        page = page.offset(query.offset).limit(query.limit)
        everything = query.near is None and not criteria
        page_sql, page_args = pgcql.compiled(page)
        count_sql, count_args = counted or pgcql.compiled(count)

        def run(conn: Any) -> tuple[int, list[tuple[Any, ...]]]:
            with conn.transaction():  # one snapshot for the count and the page
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                rows = conn.execute(page_sql, page_args).fetchall()
                matched = meta.count if everything else conn.execute(count_sql, count_args).fetchone()[0]
            return int(matched), rows

        matched, rows = self._filtered(run, query)
        feats = features_from_rows(cid, [r[:3] for r in rows])
        if query.near is None:
            return ItemsPage(matched, feats)
        return ItemsPage(matched, feats, [float(r[3]) / 1000.0 for r in rows])

    def _filtered(self, fn: Any, query: ItemsQuery) -> Any:
        """Run an items query; a filter the database cannot evaluate (a GEOS error on an
        odd literal) is the caller's mistake, as in the in-memory store."""
        import psycopg

        try:
            return self.db.run(fn)
        except psycopg.errors.DataError as exc:
            raise InvalidParameter(f"filter cannot be evaluated: {exc}"[:400]) from None
        except (psycopg.errors.InternalError, psycopg.ProgrammingError) as exc:
            if query.filter is None:
                raise
            raise InvalidParameter(f"filter cannot be evaluated: {exc}"[:400]) from None

    def _criteria(self, cid: str, q: ItemsQuery) -> list[Any]:
        """SQL conditions of every criterion of ``q`` but ``near``."""
        clauses: list[Any] = []
        if q.bbox is not None:
            clauses.append(func.ST_Intersects(_F.c.geom, func.ST_MakeEnvelope(*q.bbox, 4326)))
        for name, value in q.equals.items():
            if name not in self.queryables(cid):
                clauses.append(false())
            else:
                doc = json.dumps({name: value}, ensure_ascii=False)
                clauses.append(_F.c.properties.contains(cast(doc, JSONB)))
        if q.q is not None:
            pos = [p for p, _ in self._texts.name_hits(self.collection(cid), normalize(q.q))]
            clauses.append(_F.c.pos == func.any(_bigints(pos)))
        if q.industry is not None:
            terms = self._texts.industry_terms(self.collection(cid), expand(q.industry))
            clauses.append(_F.c.industries.overlap(terms))
        if q.when is not None:
            clauses.append(pgtime.interval_matches(_F.c.properties, q.when))
        if q.filter is not None:
            clauses.append(pgcql.to_sql(q.filter, self.queryables(cid), q.filter_to_wgs84))
        return clauses

    # --- spatial and text primitives ------------------------------------------------------

    def within(self, cid: str, origin: shapely.Geometry | Probe, meters: float) -> list[tuple[Feature, float]]:
        return self.within_each([cid], origin, meters)[cid]

    def within_each(
        self, cids: Sequence[str], origin: shapely.Geometry | Probe, meters: float
    ) -> dict[str, list[tuple[Feature, float]]]:
        for cid in cids:
            self.collection(cid)
        if isinstance(origin, Probe):
            origin = origin.geom
        if not cids:
            return {}
        wkb = origin_wkb(origin)
        rows = self._rows(
            f"SELECT collection, {FEATURE_COLUMNS}, ST_Distance(geog, ST_GeogFromWKB(%(o)s)) AS d "
            "FROM corridor_features WHERE collection = ANY(%(c)s) "
            "AND ST_DWithin(geog, ST_GeogFromWKB(%(o)s), %(m)s) ORDER BY d, pos",
            {"o": wkb, "c": list(cids), "m": float(meters)})
        out: dict[str, list[tuple[Feature, float]]] = {cid: [] for cid in cids}
        for cid in cids:
            mine = [r for r in rows if r[0] == cid]
            out[cid] = list(zip(features_from_rows(cid, [r[1:4] for r in mine]), (float(r[4]) for r in mine)))
        return out

    def nearest(self, cid: str, origin: shapely.Geometry, k: int) -> list[tuple[Feature, float]]:
        self.collection(cid)
        # Any k features bound the k-th nearest distance: take the index's k nearest on
        # the sphere, then rank everything within the largest of their spheroid distances.
        rows = self._rows(
            f"""WITH knn AS (
                  SELECT ST_Distance(geog, ST_GeogFromWKB(%(o)s)) AS d
                  FROM corridor_features WHERE collection = %(c)s AND geom IS NOT NULL
                  ORDER BY geog <-> ST_GeogFromWKB(%(o)s) LIMIT %(k)s)
                SELECT {FEATURE_COLUMNS}, ST_Distance(geog, ST_GeogFromWKB(%(o)s)) AS d
                FROM corridor_features WHERE collection = %(c)s
                AND ST_DWithin(geog, ST_GeogFromWKB(%(o)s), (SELECT max(d) FROM knn) + 0.01)
                ORDER BY d, pos LIMIT %(k)s""",
            {"o": origin_wkb(origin), "c": cid, "k": int(k)})
        return list(zip(features_from_rows(cid, [r[:3] for r in rows]), (float(r[3]) for r in rows)))

    def intersecting(self, cid: str, geom: shapely.Geometry, areal_only: bool = False) -> list[Feature]:
        self.collection(cid)
        areal = "AND ST_Dimension(geom) = 2" if areal_only else ""
        rows = self._rows(
            f"SELECT {FEATURE_COLUMNS} FROM corridor_features WHERE collection = %s "
            f"AND ST_Intersects(geom, ST_GeomFromWKB(%s, 4326)) {areal} ORDER BY pos",
            (cid, shapely.to_wkb(geom)))
        return features_from_rows(cid, rows)

    def matching_industry(self, cid: str, terms: frozenset[str]) -> list[Feature]:
        texts = self._texts.industry_terms(self.collection(cid), terms)
        if not texts:
            return []
        rows = self._rows(f"SELECT {FEATURE_COLUMNS} FROM corridor_features WHERE collection = %s "
                          "AND industries && %s ORDER BY pos", (cid, texts))
        return features_from_rows(cid, rows)

    def matching_name(self, cid: str, query: str) -> list[tuple[Feature, float]]:
        hits = self._texts.name_hits(self.collection(cid), query)
        if not hits:
            return []
        rows = self._rows(f"SELECT {FEATURE_COLUMNS} FROM corridor_features WHERE collection = %s "
                          "AND pos = ANY(%s) ORDER BY pos", (cid, [p for p, _ in hits]))
        return list(zip(features_from_rows(cid, rows), (s for _, s in hits)))

    def _year_tallies(self, cid: str, cands: Sequence[Candidate]) -> dict[Candidate, Tally]:
        return self.db.run(  # type: ignore[no-any-return]
            lambda conn: pgyears.year_tallies(conn, cid, cands))

    # --- reach (pgRouting) -----------------------------------------------------------------

    def _reach(self, meta: CollectionMeta, origin: tuple[float, float], minutes: float,
               mode: str) -> Reach:
        return self.db.run(  # type: ignore[no-any-return]
            lambda conn: pgreach.reach(conn, meta, origin, minutes, mode), retry=False)

    # --- writes (user layers; the catalog comes from `corridor db load`) -----------------

    def _write(self, fn: Any) -> Any:
        """Run a write transaction (never retried: it may have committed), then catch up."""
        try:
            return self.db.run(fn, retry=False)
        finally:
            self.refresh()

    def _read_only(self, cid: str) -> bool:
        meta = self._s.by_id.get(cid)
        return meta is not None and not meta.editable

    def _put_layer(self, layer: NewLayer) -> CollectionMeta:
        indicators = self.indicators()
        self._write(lambda c: pgwrite.put_layer(c, layer, indicators))
        return self.collection(layer.id)

    def _drop_layer(self, cid: str) -> None:
        self._write(lambda c: pgedit.drop_layer(c, cid))

    def _create(self, cid: str, feature: Mapping[str, Any]) -> Feature:
        return self._write(lambda c: pgedit.create(c, cid, feature))  # type: ignore[no-any-return]

    def _replace(self, cid: str, fid: str, feature: Mapping[str, Any]) -> Feature:
        return self._write(lambda c: pgedit.replace(c, cid, fid, feature))  # type: ignore[no-any-return]

    def _delete(self, cid: str, fid: str) -> None:
        self._write(lambda c: pgedit.delete(c, cid, fid))

    # --- vector tiles ---------------------------------------------------------------------

    def tile(self, cid: str, z: int, x: int, y: int) -> VectorTile:
        """The Mapbox Vector Tile of ``cid`` at WebMercatorQuad ``z``/``x``/``y``, built by
        ``ST_AsMVT`` in the database (empty bytes: no feature), as
        :mod:`corridor.tiles` describes it: one layer named ``cid``, extent 4096, a
        128-unit buffer, properties ``id``, ``name_zh``, ``name_en``; a tile of more than
        1,000 points keeps the first point (data order) of each 128-unit cell, with ``n``.

        The points kept at this zoom are read from the cell pyramid
        (:mod:`corridor.store.pgcells`); their counts add up to the tile's points, which
        decides whether it is thinned. Otherwise every feature of the tile is read.

        Raises
        ------
        NotFound
            For an unknown collection, or a tile outside WebMercatorQuad.
        InvalidParameter
            For a tile index that is not a non-negative integer.
        """
        meta = self.collection(cid)
        index = tiles.parse_tile(z, x, y)
        params = tile_params(meta, index)
        row = self.db.run(lambda conn: conn.execute(TILE_SQL, params).fetchone())
        if row and row[0]:
            return VectorTile(bytes(row[0]), -1, -1, False)
        # an empty tile says whether its box holds anything (deeper tiles hold nothing then)
        box = tiles.lonlat_box(index)
        return VectorTile(b"", 0, self.items(cid, ItemsQuery(bbox=box, limit=1)).matched, False)


def _bigints(values: list[int]) -> Any:
    from sqlalchemy.dialects.postgresql import ARRAY

    return pgcql.bindparam(None, values, type_=ARRAY(pgcql.BigInteger))

