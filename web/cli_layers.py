"""The user-layer commands of ``corridor``: ``import``, ``layers`` and ``drop``.

Each command reads its settings as the web app does (:mod:`web.cli_settings`) and writes to
the store :func:`corridor.factory.open_store` opens from them: the GeoPackage files of the
layers directory (``--layers-dir``, else the ``LAYERS_DIR`` setting, else ``layers`` in the
app's instance folder), or the PostGIS database of ``--database-url``, else of
``$CORRIDOR_DATABASE_URL`` (unless ``--layers-dir`` asks for files). The store applies the
read-only rule of the bundled collections. Exit status: 0 done; 1 the file or its rows were
refused, the store refused the change (a bundled collection's name), or the settings or the
store are bad or unreachable; 2 a bad command line (unknown option value, invalid layer
name, missing file).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from corridor.errors import CorridorError, InvalidParameter, NotFound
from corridor.settings import Settings
from corridor.store import FeatureStore
from web.cli_settings import command_settings, describe, opened_store

#: Skipped rows listed by ``corridor import --skip-invalid`` (the count of the rest follows).
LISTED_SKIPS = 50


def _error(message: str, status: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return status


def _settings(args: argparse.Namespace) -> Settings:
    """The command's settings: ``--layers-dir`` means those files, even when a database is
    configured; ``--database-url`` that database."""
    if args.layers_dir is not None:
        return command_settings(layers_dir=args.layers_dir, database_url="")
    return command_settings(database_url=args.database_url)


def _with_store(command: Any) -> Any:
    """``command(args, store, settings)`` run on the store of its settings, closed after; a
    bad setting, bad bundled data or an unreachable database is reported, exit status 1."""
    def run(args: argparse.Namespace) -> int:
        try:
            chosen = _settings(args)
            with opened_store(chosen) as store:
                return int(command(args, store, chosen))
        except CorridorError as exc:
            return _error(str(exc), 1)
    return run


def _check_import_args(args: argparse.Namespace) -> None:
    """Raise InvalidParameter for a bad command line the store need not see."""
    from corridor.layerfiles import check_encoding, file_format
    from corridor.store.layerrules import check_layer_id

    check_layer_id(args.layer)
    if not args.file.is_file():
        raise InvalidParameter(f"{args.file}: no such file")
    file_format(args.file)
    check_encoding(args.encoding)


def _cmd_import(args: argparse.Namespace) -> int:
    try:
        _check_import_args(args)  # before the store is opened or the file read
    except InvalidParameter as exc:
        return _error(str(exc), 2)
    return int(_with_store(_import)(args))


def _import(args: argparse.Namespace, store: FeatureStore, chosen: Settings) -> int:
    from tqdm import tqdm

    from corridor.importing import ImportRefused, list_problems, read_layer
    from corridor.indicators import check_indicator
    from corridor.model import NewLayer
    from corridor.region import LandRegion, qingdao_land

    if args.indicator is not None:
        try:
            check_indicator(store, args.indicator)
        except InvalidParameter as exc:
            return _error(str(exc), 2)
    # the store's read-only rule, asked before a long file is read (put_layer asks it again)
    store.check_writable(args.layer)
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
                region=LandRegion(qingdao_land(store)), progress=progress)
            bar.set_description(f"storing layer {args.layer}")
            meta = store.put_layer(NewLayer(
                id=args.layer, frame=result.frame, title_zh=args.title_zh or "",
                title_en=args.title_en or "", indicator=args.indicator, source=result.describe()))
    except ImportRefused as exc:
        hint = "" if exc.rows_read == exc.bad_rows else (
            f"\n(--skip-invalid imports the {exc.rows_read - exc.bad_rows} valid rows and lists "
            "the skipped ones)")
        return _error(f"{exc}{hint}", 1)
    for old, new in result.renamed.items():
        print(f"note: column {old!r} renamed {new!r} (the layer file reserves that name)", file=sys.stderr)
    if result.skipped:
        print(f"warning: skipped {len(result.skipped_rows)} invalid rows of {result.rows_read}:\n"
              f"{list_problems(result.skipped, LISTED_SKIPS)}", file=sys.stderr)
    print(f"imported {meta.count} features into layer {meta.id!r} (version {meta.version}) from "
          f"{result.describe()}")
    if meta.network:
        print(f"layer {meta.id!r} is a road network: /api/reach?network={meta.id} answers travel "
              "times over it")
    return 0


@_with_store
def _cmd_layers(args: argparse.Namespace, store: FeatureStore, chosen: Settings) -> int:
    metas = [m for m in store.collections() if m.editable]
    if not metas:
        print(f"no layers in {describe(chosen)}")
        return 0
    header = ("id", "count", "version", "source")
    rows = [header, *((m.id, f"{m.count:,}", m.version, store.provenance(m.id)["source"])
                      for m in metas)]
    widths = [max(len(r[k]) for r in rows) for k in range(3)]
    for r in rows:
        print(f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}")
    return 0


@_with_store
def _cmd_drop(args: argparse.Namespace, store: FeatureStore, chosen: Settings) -> int:
    try:
        store.drop_layer(args.name)  # ReadOnly for a bundled collection: exit 1
    except NotFound:
        from corridor.store.layerrules import check_layer_id

        try:
            check_layer_id(args.name)
        except InvalidParameter as exc:  # not a name a layer can have: say the rule
            return _error(str(exc), 2)
        names = [m.id for m in store.collections() if m.editable]
        return _error(f"no layer {args.name!r} in {describe(chosen)}; the layers are "
                      f"{', '.join(names) or '(none)'}", 1)
    print(f"dropped layer {args.name!r}")
    return 0


def _add_store_options(parser: argparse.ArgumentParser) -> None:
    """``--layers-dir`` or ``--database-url``: where the layers are, when not as configured."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--layers-dir", type=Path, default=None, metavar="DIR",
                       help="directory of the user layers, even when a database is configured "
                            "(default: the LAYERS_DIR setting, e.g. $CORRIDOR_LAYERS_DIR, else "
                            "'layers' in the web app's instance folder, which the served app "
                            "reads too)")
    where.add_argument("--database-url", default=None, metavar="URL",
                       help="PostGIS database holding the layers (default: "
                            "$CORRIDOR_DATABASE_URL or the instance config; unset, the layers "
                            "are files)")


def add_commands(sub: Any) -> None:
    """Add ``import``, ``layers`` and ``drop`` to the ``corridor`` subcommand parsers."""
    imp = sub.add_parser(
        "import",
        help="import a CSV, GeoJSON, GeoPackage, zipped Shapefile or OSM extract as a user layer",
        description=(
            "Read FILE, check every row and store it as layer NAME (replacing any previous "
            "version atomically). Formats, by extension: .csv (a header row with lon/lat "
            "columns: lon, lng, longitude or 经度 and lat, latitude or 纬度, any case), "
            ".geojson/.json, .gpkg, .zip (a zipped Shapefile), .shp, or .osm.pbf (an "
            "OpenStreetMap extract, read offline: its ways with a highway tag, as lines with "
            "highway, oneway, maxspeed and name). A layer of lines only (LineString or "
            "MultiLineString) is a road network: /api/reach answers travel times over it "
            "(an optional speed_kmh column gives each line's speed). Text is read as UTF-8 "
            "(with or without BOM), else GB18030/GBK, unless --encoding says otherwise. Each "
            "bad row is reported by number (and CSV line): missing, non-numeric or "
            "out-of-range coordinates, positions off Qingdao's land (a wrong --crs, swapped "
            "lon/lat, projected metres), invalid geometries, empty or duplicate ids, "
            "undecodable text; one bad row refuses the import unless --skip-invalid is given. "
            "Ids come from --id-field, else GeoJSON feature ids, else an 'id' column, else "
            "the row numbers. Exit status: 0 imported; 1 refused (bad rows, or NAME is a "
            "bundled collection's, which the store keeps read-only); 2 bad command line."
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
    _add_store_options(imp)
    imp.set_defaults(func=_cmd_import)

    lay = sub.add_parser(
        "layers", help="list the user layers: id, feature count, version, source",
        description="List the stored user layers with their feature count, version and the "
                    "file each was imported from.")
    _add_store_options(lay)
    lay.set_defaults(func=_cmd_layers)

    drop = sub.add_parser(
        "drop", help="delete a user layer",
        description="Delete user layer NAME (its GeoPackage file, or its rows in the "
                    "database). Bundled collections cannot be dropped. Exit status 1 if there "
                    "is no such layer or NAME is a bundled collection's; 2 if NAME is not a valid layer id.")
    drop.add_argument("name", metavar="NAME", help="the layer id")
    _add_store_options(drop)
    drop.set_defaults(func=_cmd_drop)
