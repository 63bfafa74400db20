"""The PostGIS store: the catalog and every user layer in one PostgreSQL database, shared by
any number of app processes (``CORRIDOR_DATABASE_URL``).

Queries run in the database: bbox on the GiST index of ``(collection, geom)``; "within N
km" with ``ST_DWithin`` on geography, distances from ``ST_Distance`` on geography (the
WGS84 spheroid); nearest by the index's KNN order refined by spheroid distance; CQL2
through pygeofilter's SQLAlchemy backend (:mod:`corridor.store.pgcql`); vector tiles with
``ST_AsMVT``. Two answers come from the cell pyramid of :mod:`corridor.store.pgcells`
rather than from every row they concern: a dense tile reads only the points it keeps, and
the exact number of points of a layer within N km of a point adds up whole cells inside
the circle and tests the rows of its boundary cells only. Name search and
industry terms follow Python rules SQL cannot repeat exactly (NFKC + casefold, fuzzy
``difflib`` scores, whole-word English terms), so they are computed in Python, over each
collection's names and distinct industry terms read once per collection version; the
database then selects the matching rows by position or by term (GIN index).

**Versions.** Every write bumps ``corridor_state.version`` and the collection's version in
the same transaction. :meth:`PostgisStore.refresh` (once a request) reads that one number
and reloads the metadata only when it moved, so a write on one replica is seen by every
other replica's next request, and caches and ETags keyed on :attr:`version` follow it. (A
write also sends ``NOTIFY corridor_changed`` for outside tools; the store itself does not
listen: a notification could arrive after the next request, the counter cannot.)

Writes live in :mod:`corridor.store.pgwrite`; connections in :mod:`corridor.store.pgpool`.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from sqlalchemy import and_, cast, false, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import JSONB

from corridor import checks, tiles
from corridor.errors import InvalidParameter, NotFound, Unavailable
from corridor.geodesic import DENSIFY_DEG
from corridor.geoindex import Probe
from corridor.industry import expand, term_matches
from corridor.model import (
    CollectionMeta,
    Feature,
    Indicator,
    ItemsPage,
    ItemsQuery,
    NewLayer,
    VectorTile,
)
from corridor.store import pgcells, pgcql, pgedit, pgwrite
from corridor.store.base import FeatureStore
from corridor.store.pgpool import Database
from corridor.store.pgschema import LATEST, applied
from corridor.textmatch import name_score, normalize

_F = pgcql.features
_COLUMNS = "fid, doc, ST_AsBinary(geom)"
#: Cached name lists and industry terms, per (collection, version).
_TEXT_CACHE = 64


class LazyProperties(Mapping[str, Any]):
    """A feature's properties, parsed from its GeoJSON text on first access (most responses
    only need the text)."""

    __slots__ = ("_doc", "_props")

    def __init__(self, doc: str) -> None:
        self._doc = doc
        self._props: dict[str, Any] | None = None

    def _get(self) -> dict[str, Any]:
        if self._props is None:
            self._props = json.loads(self._doc)["properties"]
        return self._props

    def __getitem__(self, key: str) -> Any:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


def to_features(cid: str, rows: Sequence[tuple[Any, ...]]) -> list[Feature]:
    """Features from ``(fid, doc, wkb)`` rows."""
    geoms = shapely.from_wkb([r[2] for r in rows]) if rows else []
    return [Feature(cid, r[0], LazyProperties(r[1]), g, r[1].encode())
            for r, g in zip(rows, geoms)]


@dataclass(frozen=True)
class _Snapshot:
    """The metadata of one database version (replaced whole, never mutated)."""

    state: int
    version: str
    metas: list[CollectionMeta]
    by_id: dict[str, CollectionMeta]
    queryables: dict[str, dict[str, dict[str, Any]]]
    indicators: tuple[Indicator, ...]


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
        self._snap: _Snapshot | None = None
        self._texts: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    # --- metadata -------------------------------------------------------------------------

    def refresh(self) -> None:
        state = self.db.run(_state)
        if self._snap is None or state != self._snap.state:
            self._snap = self.db.run(_load_snapshot)

    def check(self) -> None:
        self.db.run(lambda c: c.execute("SELECT 1"))

    def close(self) -> None:
        self.db.close()

    @property
    def _s(self) -> _Snapshot:
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
        return self.db.run(lambda c: c.execute(sql, params).fetchall())

    def get(self, cid: str, fid: str) -> Feature:
        meta = self.collection(cid)
        rows = self._rows(f"SELECT {_COLUMNS} FROM corridor_features "
                          "WHERE collection = %s AND fid = %s", (cid, fid))
        if not rows:
            raise NotFound(f"feature {checks.shown(fid)} not found in collection {cid!r}; "
                           f"expected one of its {meta.count} feature ids")
        return to_features(cid, rows)[0]

    def locate(self, fid: str) -> Feature:
        known = list(self._s.by_id)
        rows = self._rows(f"SELECT collection, {_COLUMNS} FROM corridor_features "
                          "WHERE fid = %s AND collection = ANY(%s)", (fid, known))
        if not rows:
            raise NotFound(f"feature id {checks.shown(fid)} not found in any collection")
        first = min(rows, key=lambda r: known.index(r[0]))
        return to_features(first[0], [first[1:]])[0]

    def features(self, cid: str, ids: Sequence[str] | None = None) -> list[Feature]:
        self.collection(cid)
        if ids is None:
            rows = self._rows(f"SELECT {_COLUMNS} FROM corridor_features WHERE collection = %s "
                              "ORDER BY pos", (cid,))
            return to_features(cid, rows)
        rows = self._rows(f"SELECT {_COLUMNS} FROM corridor_features WHERE collection = %s "
                          "AND fid = ANY(%s)", (cid, list(ids)))
        found = {f.id: f for f in to_features(cid, rows)}
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
            page, count = _near_queries(where, query.near, query.near_m, query.offset + query.limit)
            if not criteria:
                counted = _near_count(meta, query)
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
        feats = to_features(cid, [r[:3] for r in rows])
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
            pos = [p for p, _ in self._name_hits(cid, normalize(q.q))]
            clauses.append(_F.c.pos == func.any(_bigints(pos)))
        if q.industry is not None:
            clauses.append(_F.c.industries.overlap(self._industry_terms(cid, expand(q.industry))))
        if q.asks_time:
            if "year" not in self.queryables(cid):
                clauses.append(false())
            else:
                year = _F.c.properties["year"]
                clauses.append(and_(func.jsonb_typeof(year) == "number",
                                    year.astext.regexp_match(r"^-?[0-9]+$"),
                                    year.astext.cast(pgcql.BigInteger) <= q.until_year))
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
        wkb = _wkb(origin)
        rows = self._rows(
            f"SELECT collection, {_COLUMNS}, ST_Distance(geog, ST_GeogFromWKB(%(o)s)) AS d "
            "FROM corridor_features WHERE collection = ANY(%(c)s) "
            "AND ST_DWithin(geog, ST_GeogFromWKB(%(o)s), %(m)s) ORDER BY d, pos",
            {"o": wkb, "c": list(cids), "m": float(meters)})
        out: dict[str, list[tuple[Feature, float]]] = {cid: [] for cid in cids}
        for cid in cids:
            mine = [r for r in rows if r[0] == cid]
            out[cid] = list(zip(to_features(cid, [r[1:4] for r in mine]), (float(r[4]) for r in mine)))
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
                SELECT {_COLUMNS}, ST_Distance(geog, ST_GeogFromWKB(%(o)s)) AS d
                FROM corridor_features WHERE collection = %(c)s
                AND ST_DWithin(geog, ST_GeogFromWKB(%(o)s), (SELECT max(d) FROM knn) + 0.01)
                ORDER BY d, pos LIMIT %(k)s""",
            {"o": _wkb(origin), "c": cid, "k": int(k)})
        return list(zip(to_features(cid, [r[:3] for r in rows]), (float(r[3]) for r in rows)))

    def intersecting(self, cid: str, geom: shapely.Geometry, areal_only: bool = False) -> list[Feature]:
        self.collection(cid)
        areal = "AND ST_Dimension(geom) = 2" if areal_only else ""
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM corridor_features WHERE collection = %s "
            f"AND ST_Intersects(geom, ST_GeomFromWKB(%s, 4326)) {areal} ORDER BY pos",
            (cid, shapely.to_wkb(geom)))
        return to_features(cid, rows)

    def matching_industry(self, cid: str, terms: frozenset[str]) -> list[Feature]:
        texts = self._industry_terms(cid, terms)
        if not texts:
            return []
        rows = self._rows(f"SELECT {_COLUMNS} FROM corridor_features WHERE collection = %s "
                          "AND industries && %s ORDER BY pos", (cid, texts))
        return to_features(cid, rows)

    def matching_name(self, cid: str, query: str) -> list[tuple[Feature, float]]:
        hits = self._name_hits(cid, query)
        if not hits:
            return []
        rows = self._rows(f"SELECT {_COLUMNS} FROM corridor_features WHERE collection = %s "
                          "AND pos = ANY(%s) ORDER BY pos", (cid, [p for p, _ in hits]))
        return list(zip(to_features(cid, rows), (s for _, s in hits)))

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
        z, x, y = index.z, index.x, index.y
        west, south, east, north = tiles.lonlat_box(index)
        lo, hi = pgcells.tile_ranges(z, x, y)
        params = {"c": cid, "z": z, "x": x, "y": y, "w": west, "s": south, "e": east,
                  "n": north, "lo": lo, "hi": hi, "zs": list(range(z + 1)), "thin": tiles.THIN_ABOVE,
                  "extent": tiles.EXTENT, "buffer": tiles.BUFFER,
                  # a point layer's thinned tile holds nothing but the kept points
                  "points": meta.geometry_types == ("Point",)}
        row = self.db.run(lambda conn: conn.execute(_TILE_SQL, params).fetchone())
        if row and row[0]:
            return VectorTile(bytes(row[0]), -1, -1, False)
        # an empty tile says whether its box holds anything (deeper tiles hold nothing then)
        box = (west, south, east, north)
        return VectorTile(b"", 0, self.items(cid, ItemsQuery(bbox=box, limit=1)).matched, False)

    # --- text matching in Python, over columns cached per collection version --------------

    def _text_column(self, cid: str, what: str) -> Any:
        meta = self.collection(cid)
        key = (f"{what}:{cid}", meta.version)
        hit = self._texts.get(key)
        if hit is not None:
            return hit
        if what == "names":
            value: Any = self._rows("SELECT pos, names FROM corridor_features WHERE collection = %s "
                                    "AND cardinality(names) > 0 ORDER BY pos", (cid,))
        else:
            value = [r[0] for r in self._rows(
                "SELECT DISTINCT unnest(industries) FROM corridor_features WHERE collection = %s",
                (cid,))]
        with self._lock:
            if len(self._texts) >= _TEXT_CACHE:
                self._texts.clear()
            self._texts[key] = value
        return value

    def _name_hits(self, cid: str, query: str) -> list[tuple[int, float]]:
        """(position, best score) of every feature whose names match ``query``, in data order."""
        out = []
        for pos, names in self._text_column(cid, "names"):
            scores = [s for n in names if (s := name_score(query, n)) is not None]
            if scores:
                out.append((int(pos), max(scores)))
        return out

    def _industry_terms(self, cid: str, terms: frozenset[str]) -> list[str]:
        """The collection's industry texts that match ``terms``."""
        return [t for t in self._text_column(cid, "industries") if term_matches(terms, (t,))]


_TILE_SQL = """
WITH kept AS MATERIALIZED (
    SELECT f.pos, f.fid, f.geom, f.properties, coalesce(f.kn[%(z)s - f.kz + 1], 1) AS n
    FROM unnest(%(lo)s::bigint[], %(hi)s::bigint[]) AS r(lo, hi)
    CROSS JOIN LATERAL (
        SELECT pos, fid, geom, properties, kz, kn FROM corridor_features
        WHERE collection = %(c)s AND kz = ANY(%(zs)s::smallint[]) AND mkey BETWEEN r.lo AND r.hi
        OFFSET 0) AS f),
thin AS MATERIALIZED (SELECT coalesce(sum(n), 0) > %(thin)s AS yes FROM kept),
shown AS (
    SELECT pos, fid, geom, properties, n FROM kept WHERE (SELECT yes FROM thin)
    UNION ALL
    SELECT pos, fid, geom, properties, NULL FROM corridor_features
    WHERE collection = %(c)s
      AND ST_Intersects(geom, ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326))
      AND (NOT (SELECT yes FROM thin) OR (NOT %(points)s AND GeometryType(geom) <> 'POINT')))
SELECT ST_AsMVT(m, %(c)s, %(extent)s, 'geom') FROM (
    SELECT ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s),
                        %(extent)s, %(buffer)s, true) AS geom,
           fid AS id,
           CASE WHEN jsonb_typeof(properties->'name_zh') = 'string'
                THEN NULLIF(properties->>'name_zh', '') END AS name_zh,
           CASE WHEN jsonb_typeof(properties->'name_en') = 'string'
                THEN NULLIF(properties->>'name_en', '') END AS name_en,
           n
    FROM shown ORDER BY pos) m
WHERE m.geom IS NOT NULL
"""


def _near_queries(where: Any, near: shapely.Geometry, meters: float, first: int) -> tuple[Any, Any]:
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
    inner, outer = pgcells.sphere_band(meters)
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


def _near_count(meta: CollectionMeta, query: ItemsQuery) -> tuple[str, dict[str, Any]] | None:
    """The count query of a near query with no other criterion, from the cell pyramid
    (:func:`corridor.store.pgcells.circle_cover`), for a point origin and a collection of
    points; None where it does not apply (then every candidate row is tested)."""
    origin, meters = query.near, query.near_m
    if meta.geometry_types != ("Point",) or not isinstance(origin, shapely.Point) \
            or origin.is_empty or meters is None:
        return None
    spacing = pgcells.spacing_for(meta.count, meta.extent, meters)
    cover = pgcells.circle_cover(origin.x, origin.y, meters, spacing)
    if cover is None:
        return None
    return pgcells.COUNT_SQL, pgcells.count_params(meta.id, cover, _wkb(origin), meters,
                                                   query.near_id)


def _wkb(origin: shapely.Geometry) -> bytes:
    """WKB of a distance origin, its edges densified as the stored geographies' are."""
    if not isinstance(origin, shapely.Point):
        origin = shapely.segmentize(origin, DENSIFY_DEG)
    return bytes(shapely.to_wkb(origin))


def _geography(geom: shapely.Geometry) -> Any:
    return func.ST_GeogFromWKB(pgcql.bindparam(None, _wkb(geom), type_=pgcql.LargeBinary))


def _bigints(values: list[int]) -> Any:
    from sqlalchemy.dialects.postgresql import ARRAY

    return pgcql.bindparam(None, values, type_=ARRAY(pgcql.BigInteger))


_NO_SCHEMA = ("the database has no corridor schema (or an old one); run `corridor db init`, "
              "then `corridor db load`")


def _state(conn: Any) -> int:
    """The database's write counter (one indexed read)."""
    import psycopg

    try:
        return int(conn.execute("SELECT version FROM corridor_state").fetchone()[0])
    except psycopg.errors.UndefinedTable:
        raise Unavailable(_NO_SCHEMA) from None


def _load_snapshot(conn: Any) -> _Snapshot:
    if LATEST not in applied(conn):
        raise Unavailable(_NO_SCHEMA)
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        state, indicators, catalog = conn.execute(
            "SELECT version, indicators, catalog FROM corridor_state").fetchone()
        rows = conn.execute(
            "SELECT id, entry, editable, version, count, extent, queryables "
            "FROM corridor_collections ORDER BY position, id").fetchall()
    metas, queryables = [], {}
    digest = hashlib.sha256(catalog.encode())
    for cid, entry, editable, version, count, extent, qables in rows:
        metas.append(CollectionMeta(
            id=cid, group=entry.get("group", "plan"), title_zh=entry.get("title_zh", cid),
            title_en=entry.get("title_en", cid), description_zh=entry.get("description_zh", ""),
            description_en=entry.get("description_en", ""),
            geometry_types=tuple(entry.get("geometry", ())), roles=frozenset(entry.get("roles", [])),
            count=int(count), extent=tuple(extent) if extent else None, version=version,
            editable=editable, indicator=entry.get("indicator") or None))
        queryables[cid] = qables
        digest.update(f"|{cid}:{version}".encode())
    inds = tuple(Indicator(**i) for i in indicators)
    return _Snapshot(int(state), digest.hexdigest()[:16], metas, {m.id: m for m in metas},
                     queryables, inds)
