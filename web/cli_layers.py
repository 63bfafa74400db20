"""The user-layer commands of ``corridor``: ``import``, ``layers`` and ``drop``.

Layers are stored by :class:`corridor.store.LayerStore` in the layers directory the web app
reads too (``--layers-dir``, else ``$CORRIDOR_LAYERS_DIR``, else ``layers`` in the app's
instance folder), or, when ``$CORRIDOR_DATABASE_URL`` is set and no ``--layers-dir`` is
given, in that PostGIS database (:class:`corridor.store.postgis.PostgisStore`), as the web
app does. Exit status: 0 done; 1 the file or its rows were refused, or the store
refused the change; 2 a bad command line (unknown option value, invalid or taken layer
name, missing file).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corridor.errors import CorridorError, InvalidParameter, ReadOnly

if TYPE_CHECKING:
    from corridor.store import FeatureStore
    from corridor.store.postgis import PostgisStore

#: Skipped rows listed by ``corridor import --skip-invalid`` (the count of the rest follows).
LISTED_SKIPS = 50


def _error(message: str, status: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return status


def _layers_dir(args: argparse.Namespace) -> Path:
    if args.layers_dir is not None:
        return Path(args.layers_dir)
    from web import default_layers_dir  # the web app's own setting, so both agree

    return default_layers_dir()


def _database(args: argparse.Namespace) -> PostgisStore | None:
    """The PostGIS store the web app uses, when $CORRIDOR_DATABASE_URL is set and no
    --layers-dir asks for files."""
    from web.cli_db import database_url

    url = database_url(args) if args.layers_dir is None else None
    if url is None:
        return None
    store: PostgisStore | None = getattr(args, "opened_database", None)
    if store is None:
        from corridor.store.postgis import PostgisStore

        store = args.opened_database = PostgisStore(url, pool_size=1)
    store.refresh()
    return store


def _closing(command: Any) -> Any:
    """``command``, closing the database connections it opened (if any) when it ends."""
    def run(args: argparse.Namespace) -> int:
        try:
            return int(command(args))
        finally:
            db = getattr(args, "opened_database", None)
            if db is not None:
                db.close()
    return run


def _stores(args: argparse.Namespace) -> tuple[FeatureStore, FeatureStore]:
    """(the catalog, the store layers go to): the bundled data and the layer files, or the
    database holding both."""
    from corridor.store import Engine

    db = _database(args)
    if db is not None:
        return db, db
    store = Engine.open(None, _layers_dir(args), lazy=True)
    return store, store


def _check_import_args(args: argparse.Namespace, catalog: FeatureStore) -> None:
    """Raise InvalidParameter for a bad command line, before the file is read."""
    from corridor.indicators import check_indicator
    from corridor.layerfiles import check_encoding, file_format
    from corridor.store.layerrules import check_layer_id

    check_layer_id(args.layer)
    catalog.check_writable(args.layer)  # the store's one read-only rule, before the file is read
    if not args.file.is_file():
        raise InvalidParameter(f"{args.file}: no such file")
    file_format(args.file)
    check_encoding(args.encoding)
    if args.indicator is not None:
        check_indicator(catalog, args.indicator)


def _cmd_import(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from corridor.importing import ImportRefused, list_problems, read_layer
    from corridor.model import NewLayer
    from corridor.region import LandRegion, qingdao_land

    catalog, store = _stores(args)
    try:
        _check_import_args(args, catalog)
    except (InvalidParameter, ReadOnly) as exc:
        return _error(str(exc), 2)
    # The bar shows on a terminal, when the import takes more than a second.
    bar = tqdm(desc="checking rows", unit=" rows", file=sys.stderr, delay=1.0, leave=False,
               disable=None)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        with bar:
            result = read_layer(
                args.file, coord_sys=args.crs, encoding=args.encoding, id_field=args.id_field,
                layer=args.source_layer, skip_invalid=args.skip_invalid,
                region=LandRegion(qingdao_land(catalog)), progress=progress)
            bar.set_description(f"storing layer {args.layer}")
            meta = store.put_layer(NewLayer(
                id=args.layer, frame=result.frame, title_zh=args.title_zh or "",
                title_en=args.title_en or "", indicator=args.indicator, source=result.describe()))
    except ImportRefused as exc:
        hint = "" if exc.rows_read == exc.bad_rows else (
            f"\n(--skip-invalid imports the {exc.rows_read - exc.bad_rows} valid rows and lists "
            "the skipped ones)")
        return _error(f"{exc}{hint}", 1)
    except CorridorError as exc:
        return _error(str(exc), 1)
    for old, new in result.renamed.items():
        print(f"note: column {old!r} renamed {new!r} (the layer file reserves that name)", file=sys.stderr)
    if result.skipped:
        print(f"warning: skipped {len(result.skipped_rows)} invalid rows of {result.rows_read}:\n"
              f"{list_problems(result.skipped, LISTED_SKIPS)}", file=sys.stderr)
    print(f"imported {meta.count} features into layer {meta.id!r} (version {meta.version}) from "
          f"{result.describe()}")
    return 0


def _cmd_layers(args: argparse.Namespace) -> int:
    from corridor.store import Engine

    db = _database(args)
    store: FeatureStore
    if db is not None:
        store, where = db, "the database"
    else:
        root = _layers_dir(args)
        store, where = Engine.user_layers(root), str(root)
    metas = [m for m in store.collections() if m.editable]
    if not metas:
        print(f"no layers in {where}")
        return 0
    rows = [(m.id, f"{m.count:,}", m.version, store.provenance(m.id)["source"]) for m in metas]
    widths = [max(len(r[k]) for r in [("id", "count", "version", "source"), *rows]) for k in range(3)]
    for r in [("id", "count", "version", "source"), *rows]:
        print(f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}")
    return 0


def _cmd_drop(args: argparse.Namespace) -> int:
    from corridor.errors import NotFound

    _, store = _stores(args)
    try:
        store.drop_layer(args.name)
    except NotFound:
        names = [m.id for m in store.collections() if m.editable]
        where = "the database" if _database(args) is not None else _layers_dir(args)
        return _error(f"no layer {args.name!r} in {where}; the layers are "
                      f"{', '.join(names) or '(none)'}", 1)
    except CorridorError as exc:
        return _error(str(exc), 1)
    print(f"dropped layer {args.name!r}")
    return 0


def add_commands(sub: Any) -> None:
    """Add ``import``, ``layers`` and ``drop`` to the ``corridor`` subcommand parsers."""
    dir_help = ("directory of the user layers (default: $CORRIDOR_LAYERS_DIR, else 'layers' in "
                "the web app's instance folder, which the served app reads too); without it, "
                "$CORRIDOR_DATABASE_URL, when set, sends the layers to that PostGIS database")
    imp = sub.add_parser(
        "import",
        help="import a CSV, GeoJSON, GeoPackage or zipped Shapefile as a user layer",
        description=(
            "Read FILE, check every row and store it as layer NAME (replacing any previous "
            "version atomically). Formats, by extension: .csv (a header row with lon/lat "
            "columns: lon, lng, longitude or 经度 and lat, latitude or 纬度, any case), "
            ".geojson/.json, .gpkg, .zip (a zipped Shapefile) or .shp. Text is read as UTF-8 "
            "(with or without BOM), else GB18030/GBK, unless --encoding says otherwise. Each "
            "bad row is reported by number (and CSV line): missing, non-numeric or "
            "out-of-range coordinates, positions off Qingdao's land (a wrong --crs, swapped "
            "lon/lat, projected metres), invalid geometries, empty or duplicate ids, "
            "undecodable text; one bad row refuses the import unless --skip-invalid is given. "
            "Ids come from --id-field, else GeoJSON feature ids, else an 'id' column, else "
            "the row numbers. Exit status: 0 imported, 1 refused, 2 bad command line."
        ),
    )
    imp.add_argument("file", type=Path, metavar="FILE", help="the file to import")
    imp.add_argument("--layer", required=True, metavar="NAME",
                     help="layer id: a lower-case letter, then up to 62 of a-z, 0-9, _ or -; "
                          "not a bundled collection's id")
    imp.add_argument("--crs", choices=("wgs84", "gcj02", "bd09"), default="wgs84",
                     help="what the file's lon/lat are: wgs84 (default; GPS, OpenStreetMap, "
                          "天地图), gcj02 (AMap/高德, Tencent) or bd09 (Baidu); converted to WGS84")
    imp.add_argument("--encoding", default=None, metavar="ENC",
                     help="text encoding of a CSV, GeoJSON or Shapefile .dbf (e.g. gbk); "
                          "default: UTF-8, else GB18030")
    imp.add_argument("--id-field", default=None, metavar="F",
                     help="column holding unique feature ids (it becomes 'id')")
    imp.add_argument("--source-layer", default=None, metavar="L",
                     help="layer to read from a GeoPackage or zip holding several")
    imp.add_argument("--title-zh", default=None, metavar="T", help="Chinese title (default: NAME)")
    imp.add_argument("--title-en", default=None, metavar="T", help="English title (default: NAME)")
    imp.add_argument("--indicator", default=None, metavar="ID",
                     help="plan indicator the layer counts (an id of indicators.json, e.g. "
                          "high-tech-enterprises), shown beside its 2025 target")
    imp.add_argument("--skip-invalid", action="store_true",
                     help="import the valid rows and list the skipped ones, instead of refusing")
    imp.add_argument("--layers-dir", default=None, metavar="DIR", help=dir_help)
    imp.set_defaults(func=_closing(_cmd_import))

    lay = sub.add_parser(
        "layers", help="list the user layers: id, feature count, version, source",
        description="List the stored user layers with their feature count, version and the "
                    "file each was imported from.")
    lay.add_argument("--layers-dir", default=None, metavar="DIR", help=dir_help)
    lay.set_defaults(func=_closing(_cmd_layers))

    drop = sub.add_parser(
        "drop", help="delete a user layer",
        description="Delete user layer NAME (its GeoPackage file). Bundled collections cannot "
                    "be dropped. Exit status 1 if there is no such layer.")
    drop.add_argument("name", metavar="NAME", help="the layer id")
    drop.add_argument("--layers-dir", default=None, metavar="DIR", help=dir_help)
    drop.set_defaults(func=_closing(_cmd_drop))
