"""Travel-time reach in the PostGIS store: the road graph as tables, searched by pgRouting.

A network's graph is the one :func:`corridor.roads.build_graph` makes of its features (the
same nodes, numbered alike, the same costs), written once per collection version to
``corridor_net_nodes`` and ``corridor_net_edges`` (migration 3) on the first reach after
the version changed; an advisory lock per collection keeps replicas from building it
twice. A reach then asks the database for the node nearest the origin (KNN on the nodes'
EPSG:4549 points), for the travel times within the time left after the walk-off
(``pgr_drivingDistance``, directed, a cost of -1 where the mode may not pass), and for the
arcs out of the reached nodes; :func:`corridor.reach.make_reach` draws the area from them
as the in-memory engine does.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from psycopg import sql

from corridor.crs import to_metric
from corridor.errors import Unavailable
from corridor.model import CollectionMeta
from corridor.reach import WALK_MS, WALK_OFF_LIMIT_M, Reach, make_reach, reached_parts, too_far
from corridor.roads import MODES, build_graph
from corridor.store.pgrows import features_from_rows

#: Migration 3's SQL (``corridor.store.pgschema``).
TABLES_SQL = """
CREATE TABLE corridor_net_built (collection text PRIMARY KEY, version text NOT NULL);
CREATE TABLE corridor_net_nodes (
    collection text NOT NULL, id bigint NOT NULL, lon float8 NOT NULL, lat float8 NOT NULL,
    x float8 NOT NULL, y float8 NOT NULL, geom geometry(Point, 4549) NOT NULL,
    PRIMARY KEY (collection, id));
CREATE INDEX corridor_net_nodes_geom ON corridor_net_nodes USING gist (geom);
CREATE TABLE corridor_net_edges (
    collection text NOT NULL, id bigint NOT NULL, source bigint NOT NULL, target bigint NOT NULL,
    cost_walk float8 NOT NULL, reverse_cost_walk float8 NOT NULL,
    cost_cycle float8 NOT NULL, reverse_cost_cycle float8 NOT NULL,
    cost_drive float8 NOT NULL, reverse_cost_drive float8 NOT NULL,
    PRIMARY KEY (collection, id));
CREATE INDEX corridor_net_edges_source ON corridor_net_edges (collection, source);
CREATE INDEX corridor_net_edges_target ON corridor_net_edges (collection, target);
"""


def create_pgrouting(conn: Any) -> None:
    """Create the pgRouting extension where the server has it and the role may (migration
    3's step); without it every other question still works, and a reach says what is
    missing (a superuser can run ``CREATE EXTENSION pgrouting`` later)."""
    import psycopg

    row = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pgrouting'").fetchone()
    if not row:
        return
    try:
        with conn.transaction():  # a savepoint: a role that may not create it changes nothing
            conn.execute("CREATE EXTENSION IF NOT EXISTS pgrouting")
    except psycopg.errors.InsufficientPrivilege:
        pass


def _cost(a: np.ndarray) -> list[float]:
    return np.where(np.isfinite(a), a, -1.0).tolist()  # type: ignore[no-any-return]


def build(conn: Any, meta: CollectionMeta) -> None:
    """Make the graph tables hold network ``meta`` at its version (a no-op when they do)."""
    cid = meta.id
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('corridor_net:' || %s))", (cid,))
        row = conn.execute("SELECT version FROM corridor_net_built WHERE collection = %s",
                           (cid,)).fetchone()
        if row and row[0] == meta.version:
            return
        rows = conn.execute("SELECT fid, doc, ST_AsBinary(geom) FROM corridor_features "
                            "WHERE collection = %s ORDER BY pos", (cid,)).fetchall()
        graph = build_graph((f.geometry, f.properties) for f in features_from_rows(cid, rows))
        conn.execute("DELETE FROM corridor_net_nodes WHERE collection = %s", (cid,))
        conn.execute("DELETE FROM corridor_net_edges WHERE collection = %s", (cid,))
        with conn.cursor().copy("COPY corridor_net_nodes (collection, id, lon, lat, x, y, geom) "
                                "FROM STDIN") as copy:
            for i, ((lon, lat), (x, y)) in enumerate(zip(graph.lonlat.tolist(), graph.xy.tolist())):
                copy.write_row((cid, i + 1, lon, lat, x, y, f"SRID=4549;POINT({x!r} {y!r})"))
        costs = [_cost(c) for m in MODES for c in graph.cost[m]]
        with conn.cursor().copy(
                "COPY corridor_net_edges (collection, id, source, target, cost_walk, "
                "reverse_cost_walk, cost_cycle, reverse_cost_cycle, cost_drive, reverse_cost_drive) "
                "FROM STDIN") as copy:
            for k, (u, v) in enumerate(zip(graph.u.tolist(), graph.v.tolist())):
                copy.write_row((cid, k + 1, u + 1, v + 1, *(c[k] for c in costs)))
        conn.execute("ANALYZE corridor_net_nodes")
        conn.execute("ANALYZE corridor_net_edges")
        conn.execute("INSERT INTO corridor_net_built VALUES (%s, %s) ON CONFLICT (collection) "
                     "DO UPDATE SET version = EXCLUDED.version", (cid, meta.version))


def reach(conn: Any, meta: CollectionMeta, origin: tuple[float, float], minutes: float,
          mode: str) -> Reach:
    """:meth:`corridor.store.FeatureStore.reach` answered by the database.

    Raises
    ------
    InvalidParameter
        For an origin off the network beyond the walk-off limit.
    Unavailable
        If the server has no pgRouting.
    """
    if not conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'pgrouting'").fetchone():
        raise Unavailable("the database has no pgRouting extension, which travel-time reach "
                          "needs; install it (Debian: postgresql-15-pgrouting) and, as a "
                          "superuser, CREATE EXTENSION pgrouting")
    build(conn, meta)
    cid = meta.id
    ox, oy = (float(v) for v in to_metric(origin[0], origin[1]))
    start = conn.execute(
        "SELECT id, x, y FROM corridor_net_nodes WHERE collection = %s "
        "ORDER BY geom <-> ST_SetSRID(ST_MakePoint(%s, %s), 4549), id LIMIT 1",
        (cid, ox, oy)).fetchone()
    if start is None:
        raise too_far(cid, origin, None)
    walk = math.hypot(start[1] - ox, start[2] - oy)
    if walk > WALK_OFF_LIMIT_M:
        raise too_far(cid, origin, walk)
    limit, t0 = minutes * 60.0, walk / WALK_MS
    edges = sql.SQL("SELECT id, source, target, {} AS cost, {} AS reverse_cost "
                    "FROM corridor_net_edges WHERE collection = {}").format(
        sql.Identifier(f"cost_{mode}"), sql.Identifier(f"reverse_cost_{mode}"), sql.Literal(cid))
    found: list[tuple[int, float]] = []
    if t0 <= limit:
        found = conn.execute(
            "SELECT node, agg_cost FROM pgr_drivingDistance(%s, %s::bigint, %s::float8, true) "
            "ORDER BY agg_cost, node", (edges.as_string(conn), start[0], limit - t0)).fetchall()
    ids = [n for n, _ in found]
    seconds = {n: t0 + a for n, a in found}
    nodes = {r[0]: r[1:] for r in conn.execute(
        "SELECT id, lon, lat, x, y FROM corridor_net_nodes WHERE collection = %s "
        "AND id = ANY(%s)", (cid, ids)).fetchall()}
    arcs = conn.execute(sql.SQL(
        "SELECT e.id, e.source, e.target, e.{}, e.{}, s.x, s.y, t.x, t.y "
        "FROM corridor_net_edges e "
        "JOIN corridor_net_nodes s ON s.collection = e.collection AND s.id = e.source "
        "JOIN corridor_net_nodes t ON t.collection = e.collection AND t.id = e.target "
        "WHERE e.collection = %s AND (e.source = ANY(%s) OR e.target = ANY(%s))").format(
        sql.Identifier(f"cost_{mode}"), sql.Identifier(f"reverse_cost_{mode}")),
        (cid, ids, ids)).fetchall()
    tail_xy, head_xy, tail_s, cost = [], [], [], []
    for _, src, dst, fwd, bwd, sx, sy, tx, ty in arcs:
        ways = []
        if fwd >= 0 and src in seconds:
            ways.append(((sx, sy), (tx, ty), seconds[src], fwd))
        if bwd >= 0 and dst in seconds:
            ways.append(((tx, ty), (sx, sy), seconds[dst], bwd))
        whole = [w for w in ways if w[2] + w[3] <= limit]
        if len(whole) == 2:  # travelled whole both ways: one part for the area
            ways = [whole[0]]
        for a, b, t, c in ways:
            tail_xy.append(a)
            head_xy.append(b)
            tail_s.append(t)
            cost.append(c)
    parts = reached_parts(np.asarray(tail_xy, dtype=float).reshape(-1, 2),
                          np.asarray(head_xy, dtype=float).reshape(-1, 2),
                          np.asarray(tail_s, dtype=float), np.asarray(cost, dtype=float), limit)
    lonlat = np.asarray([nodes[n][:2] for n in ids], dtype=float).reshape(-1, 2)
    return make_reach(cid, mode, minutes, origin, np.array([ox, oy]),
                      np.array([start[1], start[2]]), lonlat,
                      np.asarray([seconds[n] for n in ids], dtype=float), parts)
