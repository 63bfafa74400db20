"""The ``corridor`` command: validate the bundled data, serve the app, import, list and drop
user layers (:mod:`web.cli_layers`) and set up a database (:mod:`web.cli_db`).

It sits above the web app it serves. Every command reads the app's settings
(:mod:`web.cli_settings`: defaults < instance config < ``CORRIDOR_*`` < its options) and
opens its store with :mod:`corridor.factory`, as the app does."""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from corridor.errors import CorridorError
from corridor.factory import open_catalog
from corridor.settings import Settings
from corridor.store import FeatureStore
from web.cli_db import add_commands as add_db_commands
from web.cli_layers import add_commands as add_layer_commands
from web.cli_settings import command_settings, overrides


def _load_catalog(args: argparse.Namespace) -> tuple[FeatureStore, Settings] | None:
    """The bundled catalog of ``--geodata``, else of the ``GEODATA_DIR`` setting, else the
    bundled data; None after reporting bad data or a bad setting."""
    try:
        chosen = command_settings(geodata_dir=args.geodata)
        return open_catalog(chosen), chosen
    except CorridorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def _cmd_validate(args: argparse.Namespace) -> int:
    from corridor.relations import EXCEPTIONS_FILE as RELATION_EXCEPTIONS
    from corridor.validate import default_plan_path, validate_all

    loaded = _load_catalog(args)
    if loaded is None:
        return 1
    store, chosen = loaded
    plan = args.plan or default_plan_path()
    if plan is None:
        print(
            "warning: plan text not found beside the project; plan_text quotes not checked "
            "(pass --plan PATH)",
            file=sys.stderr,
        )
    elif not plan.exists():
        print(f"error: --plan {plan}: no such file", file=sys.stderr)
        return 2
    root = chosen.geodata_dir
    checklist = root / "inventory" / "checklist.toml" if root else None
    exceptions = root / RELATION_EXCEPTIONS if root else None
    problems = validate_all(store, plan, checklist, exceptions)
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    metas = store.collections()
    counts = ", ".join(f"{c.id} {c.count}" for c in metas)
    total = sum(c.count for c in metas)
    status = "FAILED" if problems else "ok"
    print(f"{status}: {total} features ({counts}); {len(store.indicators())} indicators")
    return 1 if problems else 0


def _cmd_summary(args: argparse.Namespace) -> int:
    loaded = _load_catalog(args)
    if loaded is None:
        return 1
    store = loaded[0]
    print("| collection | features | approximate | accuracy_m (min / median / max) |")
    print("| --- | ---: | ---: | --- |")
    for c in store.collections():
        feats = store.features(c.id)
        acc = [float(f.get("accuracy_m")) for f in feats]
        approx = sum(bool(f.get("approximate")) for f in feats)
        print(
            f"| {c.id} | {c.count} | {approx} | "
            f"{min(acc):,.0f} / {statistics.median(acc):,.0f} / {max(acc):,.0f} |"
        )
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from web import create_app
    from web.serve import run

    given = overrides(geodata_dir=args.geodata, host=args.host, port=args.port,
                      workers=args.workers, threads=args.threads)
    try:
        # the options override the settings the app reads (instance config, CORRIDOR_*)
        app = create_app(given)
    except CorridorError as exc:  # bad data or setting; no database, or no schema in it
        print(f"error: refusing to start: {exc}", file=sys.stderr)
        return 1
    c = app.config
    print(f"Serving the corridor map on http://{c['HOST']}:{c['PORT']}/ with {args.server} "
          f"({c['WORKERS']} workers x {c['THREADS']} threads; data version {app.extensions['corridor_store'].version}); "
          "Ctrl+C to stop", flush=True)
    run(app, args.server)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="corridor",
        description=(
            "Qingdao bay-area S&T innovation corridor map service: validate the bundled "
            "geodata, serve the map and the OGC API - Features, import, list and drop "
            "user layers, and set up the PostGIS database of a scaled-out deployment."
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    val = sub.add_parser(
        "validate",
        help="check every feature of the geodata (structure, plan quotes, inventory, relations)",
        description=(
            "Load the geodata and check every feature: valid geometry inside Qingdao, unique "
            "ids, required properties, each plan_text quoted verbatim from the plan, every "
            "inventory item and all ten parks present, and every stated relation kept by the "
            "geometry (district_zh, relies_on, in_park; exceptions in "
            "relation_exceptions.toml beside the data). Exit status 1 on any problem."
        ),
    )
    val.add_argument("--geodata", type=Path, default=None, help="geodata directory (default: the GEODATA_DIR setting, else the bundled data)")
    val.add_argument(
        "--plan",
        type=Path,
        default=None,
        help="plan text file (default: ../shared/plan/qingdao-sti-plan-2021.zh.txt if present)",
    )
    val.set_defaults(func=_cmd_validate)

    summ = sub.add_parser(
        "summary",
        help="print a Markdown table of feature counts and positional accuracy per collection",
        description=(
            "Print, per collection, how many features it holds, how many are approximate and "
            "the min/median/max accuracy_m (the honest error radius of their positions)."
        ),
    )
    summ.add_argument("--geodata", type=Path, default=None, help="geodata directory (default: the GEODATA_DIR setting, else the bundled data)")
    summ.set_defaults(func=_cmd_summary)

    srv = sub.add_parser(
        "serve",
        help="serve the map and API in production (gunicorn; waitress on Windows)",
        description=(
            "Serve the web app on HOST:PORT. The data is loaded and checked once, before the "
            "worker processes fork; the service refuses to start on bad data and names the "
            "file. Each option defaults to its CORRIDOR_* environment variable (CORRIDOR_HOST, "
            "CORRIDOR_PORT, CORRIDOR_WORKERS, CORRIDOR_THREADS, CORRIDOR_GEODATA_DIR), then "
            "to the default shown."
        ),
    )
    srv.add_argument("--host", default=None, help="interface to bind (default 127.0.0.1)")
    srv.add_argument("--port", type=int, default=None, help="TCP port (default 8000)")
    srv.add_argument("--workers", type=int, default=None, help="worker processes (default 2)")
    srv.add_argument("--threads", type=int, default=None, help="threads per worker (default 4)")
    srv.add_argument("--server", choices=("gunicorn", "waitress"), default="gunicorn",
                     help="gunicorn (default), or waitress where gunicorn cannot run (Windows)")
    srv.add_argument("--geodata", type=Path, default=None, help="geodata directory (default: the GEODATA_DIR setting, else the bundled data)")
    srv.set_defaults(func=_cmd_serve)
    add_layer_commands(sub)
    add_db_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
