"""The database commands of ``corridor``: ``db init``, ``db load`` and ``db status``.

They act on the PostgreSQL + PostGIS database of ``--database-url``, else of the
``DATABASE_URL`` setting the web app reads (``$CORRIDOR_DATABASE_URL`` or the instance
config; :mod:`web.cli_settings`). Exit status: 0 done; 1 the
database refused or cannot be reached, or the data is bad; 2 a bad command line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from corridor.errors import CorridorError
from corridor.extras import require
from corridor.factory import open_catalog
from corridor.settings import Settings
from web.cli_settings import command_settings

URL_HELP = ("database URL, e.g. postgresql://corridor:secret@db:5432/corridor (default: "
            "the DATABASE_URL setting: $CORRIDOR_DATABASE_URL or the instance config)")


def _connect(chosen: Settings) -> Any:
    import psycopg

    if not chosen.database_url:
        raise CorridorError("no database: give --database-url or set CORRIDOR_DATABASE_URL")
    try:
        return psycopg.connect(chosen.database_url, autocommit=True, connect_timeout=10,
                               application_name="corridor-cli")
    except psycopg.Error as exc:
        raise CorridorError(f"cannot connect to the database: {str(exc).strip()}") from None


def _cmd_init(args: argparse.Namespace) -> int:
    from corridor.store.pgschema import LATEST, migrate

    with _connect(command_settings(database_url=args.database_url)) as conn:
        done = migrate(conn)
    for number, name in done:
        print(f"applied migration {number}: {name}")
    print(f"schema at migration {LATEST}" + ("" if done else " (nothing to do)"))
    return 0


def _cmd_load(args: argparse.Namespace) -> int:
    from corridor.store.pgschema import LATEST, applied
    from corridor.store.pgwrite import load_catalog

    chosen = command_settings(database_url=args.database_url, geodata_dir=args.geodata)
    src = open_catalog(chosen)  # validated before anything is written
    with _connect(chosen) as conn:
        if LATEST not in applied(conn):
            raise CorridorError("the database has no corridor schema yet; run `corridor db init` "
                                "first")
        loaded = load_catalog(conn, src)
    total = sum(n for _, n in loaded)
    print(f"loaded {total} features in {len(loaded)} collections "
          f"({', '.join(f'{cid} {n}' for cid, n in loaded)}) and {len(src.indicators())} "
          f"indicators; data version {src.version}")
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from corridor.store.pgschema import LATEST, applied

    with _connect(command_settings(database_url=args.database_url)) as conn:
        have = applied(conn)
        print(f"schema: migration {max(have) if have else 'none'} of {LATEST}")
        if LATEST not in have:
            print("run `corridor db init`")
            return 1
        rows = conn.execute("SELECT id, editable, count, version FROM corridor_collections "
                            "ORDER BY position, id").fetchall()
        state = conn.execute("SELECT version FROM corridor_state").fetchone()[0]
    print(f"writes so far: {state}")
    for cid, editable, count, version in rows:
        print(f"{cid:<24} {'layer' if editable else 'catalog':<8} {count:>10,}  {version}")
    if not rows:
        print("no collections: run `corridor db load`")
    return 0


def _run(fn: Any) -> Any:
    def wrapped(args: argparse.Namespace) -> int:
        try:
            require("postgis")  # before a command imports the driver
            return int(fn(args))
        except CorridorError as exc:  # DataError, a bad setting, the database, no driver
            print(f"error: {exc}", file=sys.stderr)
            return 1
    return wrapped


def add_commands(sub: Any) -> None:
    """Add ``db`` (with ``init``, ``load`` and ``status``) to the ``corridor`` subcommands."""
    db = sub.add_parser(
        "db", help="set up the PostgreSQL + PostGIS database of a scaled-out deployment",
        description=(
            "Commands for the PostGIS store, which holds the catalog and every user layer for "
            "any number of app replicas (the app uses it when CORRIDOR_DATABASE_URL is set). "
            "First `corridor db init` (the schema), then `corridor db load` (the bundled "
            "catalog); `corridor import` then stores layers in the database too. The "
            "database needs the PostGIS extension available (Debian: postgresql-15-postgis-3; "
            "image: postgis/postgis)."
        ),
    )
    cmds = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    init = cmds.add_parser(
        "init", help="create or upgrade the schema (safe to repeat)",
        description=(
            "Apply every schema migration the database lacks, in order, each in its own "
            "transaction (recorded in table corridor_migrations; an advisory lock keeps "
            "replicas starting together from racing). Creates the postgis extension if it "
            "is missing, which needs a role allowed to do so. Running it again does nothing."
        ),
    )
    init.add_argument("--database-url", default=None, metavar="URL", help=URL_HELP)
    init.set_defaults(func=_run(_cmd_init))
    load = cmds.add_parser(
        "load", help="load (or reload) the bundled catalog and indicators into the database",
        description=(
            "Read and validate the geodata (as `corridor validate` does), then replace the "
            "catalog collections and the plan's indicators in the database in one "
            "transaction: replicas keep serving the old catalog until it commits, then see "
            "the new one on their next request. User layers are kept. A collection's version "
            "is the digest of its file, so an unchanged collection keeps its version."
        ),
    )
    load.add_argument("--geodata", type=Path, default=None,
                      help="geodata directory (default: the bundled data)")
    load.add_argument("--database-url", default=None, metavar="URL", help=URL_HELP)
    load.set_defaults(func=_run(_cmd_load))
    status = cmds.add_parser(
        "status", help="show the schema version and each collection's size and version",
        description="Print the applied schema migration, the write counter, and per collection "
                    "its kind (catalog or user layer), feature count and version. Exit status 1 "
                    "if the schema is missing or old.")
    status.add_argument("--database-url", default=None, metavar="URL", help=URL_HELP)
    status.set_defaults(func=_run(_cmd_status))
