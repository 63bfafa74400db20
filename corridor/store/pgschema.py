"""The PostGIS store's schema, as numbered migrations applied in order (``corridor db init``).

A migration is applied once: ``corridor_migrations`` records each applied number, and an
advisory lock keeps two replicas starting together from applying one twice. Each migration
runs in its own transaction, so a failed one leaves the schema as it was.

Tables (``corridor_`` prefix, so the schema can share a database):

- ``corridor_state``: one row. ``version`` is bumped by every write, so a replica learns with
  one indexed read per request whether anything changed; the writer also locks this row, so
  writes are serialised. It holds the plan's indicators too.
- ``corridor_collections``: metadata per collection: display position, its
  ``collections.toml``-style entry (titles, group, roles, geometry types; for a user layer
  also its declared column types), whether it takes edits, version, count, extent, its
  queryables (``json``, so their order is kept) and the next data-order position.
- ``corridor_features``: one row per feature: data-order position, properties (``jsonb``,
  for filters), the ready GeoJSON text (its key order kept), the normalised names and raw
  industry terms, the geometry in EPSG:4326, and its geography densified to
  :data:`corridor.geodesic.DENSIFY_DEG`. It is partitioned by collection (``LIST``): each
  collection is one table (``corridor_collections.part``) with its own GiST indexes on
  ``geom`` (bbox, intersection, tiles) and ``geog`` (geodesic distance), so a query names
  one collection and touches only its table, and a layer is imported into a table of its
  own, indexed in bulk, then swapped in (:mod:`corridor.store.pgwrite`).

Migration 3 adds the road graphs of the networks (:mod:`corridor.store.pgreach`) and
creates the pgRouting extension where the server has it.

Migration 2 adds each point's cell columns (``mkey``, ``kz``, ``kn``: the cell pyramid of
:mod:`corridor.store.pgcells`, for dense tiles and exact counts within N km) and their
indexes, and computes them for the collections already stored. A migration may have such a
Python step (:data:`STEPS`), run after its SQL in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from corridor.store import pgreach as _pgreach

#: Advisory lock key held while migrating (any constant unlikely to clash).
MIGRATION_LOCK = 0x636F7272  # "corr"

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (1, "tables and indexes", """
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE corridor_state (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    version bigint NOT NULL DEFAULT 0,
    indicators jsonb NOT NULL DEFAULT '[]',
    catalog text NOT NULL DEFAULT ''
);
INSERT INTO corridor_state DEFAULT VALUES;
CREATE TABLE corridor_collections (
    id text PRIMARY KEY,
    position integer NOT NULL,
    entry jsonb NOT NULL,
    editable boolean NOT NULL DEFAULT false,
    version text NOT NULL,
    part text NOT NULL UNIQUE,
    count bigint NOT NULL DEFAULT 0,
    extent float8[],
    queryables json NOT NULL DEFAULT '{}',
    next_pos bigint NOT NULL DEFAULT 0
);
CREATE TABLE corridor_features (
    collection text NOT NULL,
    fid text NOT NULL,
    pos bigint NOT NULL,
    properties jsonb NOT NULL,
    doc text NOT NULL,
    names text[] NOT NULL DEFAULT '{}',
    industries text[] NOT NULL DEFAULT '{}',
    geom geometry(Geometry, 4326),
    -- for geodesic distances: edges densified in lon/lat first, so that they follow the
    -- straight lon/lat edges of GeoJSON (RFC 7946), not great circles, within millimetres
    geog geography GENERATED ALWAYS AS (ST_Segmentize(geom, 0.002)::geography) STORED,
    PRIMARY KEY (collection, fid)
) PARTITION BY LIST (collection);
CREATE INDEX corridor_features_order ON corridor_features (collection, pos);
CREATE INDEX corridor_features_fid ON corridor_features (fid);
CREATE INDEX corridor_features_geom ON corridor_features USING gist (geom);
CREATE INDEX corridor_features_geog ON corridor_features USING gist (geog);
CREATE INDEX corridor_features_industries ON corridor_features USING gin (industries);
"""),
    (2, "cell pyramid for dense tiles and counts within N km", """
ALTER TABLE corridor_features ADD COLUMN mkey bigint, ADD COLUMN kz smallint,
    ADD COLUMN kn integer[];
CREATE INDEX corridor_features_cell ON corridor_features (mkey);
CREATE INDEX corridor_features_kept ON corridor_features (kz, mkey) WHERE kz IS NOT NULL;
"""),
    (3, "road graphs of the networks, for pgRouting", _pgreach.TABLES_SQL),
)

LATEST = MIGRATIONS[-1][0]


def _fill_cells(conn: Any) -> None:
    """Compute the cell columns of every collection already stored."""
    from corridor.store.pgcells import fill

    for (cid,) in conn.execute("SELECT id FROM corridor_collections ORDER BY id").fetchall():
        fill(conn, cid)


#: Python steps of migrations, run after the migration's SQL, in its transaction.
STEPS: dict[int, Callable[[Any], None]] = {2: _fill_cells, 3: _pgreach.create_pgrouting}


def applied(conn: Any) -> list[int]:
    """Numbers of the migrations applied to the database (empty for a database never
    initialised)."""
    exists = conn.execute("SELECT to_regclass('corridor_migrations') IS NOT NULL").fetchone()[0]
    if not exists:
        return []
    return [r[0] for r in conn.execute("SELECT number FROM corridor_migrations ORDER BY number")]


def migrate(conn: Any) -> list[tuple[int, str]]:
    """Apply every migration not yet applied, in order; returns those applied now.

    ``conn`` is a psycopg connection in autocommit mode.
    """
    done: list[tuple[int, str]] = []
    conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        conn.execute("""CREATE TABLE IF NOT EXISTS corridor_migrations (
            number integer PRIMARY KEY, name text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now())""")
        have = set(applied(conn))
        for number, name, sql in MIGRATIONS:
            if number in have:
                continue
            with conn.transaction():
                conn.execute(sql)
                step = STEPS.get(number)
                if step is not None:
                    step(conn)
                conn.execute("INSERT INTO corridor_migrations (number, name) VALUES (%s, %s)",
                             (number, name))
            done.append((number, name))
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
    return done
