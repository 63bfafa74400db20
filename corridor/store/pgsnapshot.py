"""The metadata of one version of the PostGIS store's database (collections, queryables,
indicators), read in one snapshot, and the write counter that says when to read it again."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from corridor.errors import Unavailable
from corridor.model import CollectionMeta, Indicator
from corridor.roads import is_network
from corridor.store.pgschema import LATEST, applied


@dataclass(frozen=True)
class Snapshot:
    """The metadata of one database version (replaced whole, never mutated)."""

    state: int
    version: str
    metas: list[CollectionMeta]
    by_id: dict[str, CollectionMeta]
    queryables: dict[str, dict[str, dict[str, Any]]]
    indicators: tuple[Indicator, ...]


_NO_SCHEMA = ("the database has no corridor schema (or an old one); run `corridor db init`, "
              "then `corridor db load`")


def write_counter(conn: Any) -> int:
    """The database's write counter (one indexed read)."""
    import psycopg

    try:
        return int(conn.execute("SELECT version FROM corridor_state").fetchone()[0])
    except psycopg.errors.UndefinedTable:
        raise Unavailable(_NO_SCHEMA) from None


def load_snapshot(conn: Any) -> Snapshot:
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
            editable=editable, indicator=entry.get("indicator") or None,
            network=is_network(tuple(entry.get("geometry", ())), user_layer=editable)))
        queryables[cid] = qables
        digest.update(f"|{cid}:{version}".encode())
    inds = tuple(Indicator(**i) for i in indicators)
    return Snapshot(int(state), digest.hexdigest()[:16], metas, {m.id: m for m in metas},
                     queryables, inds)
