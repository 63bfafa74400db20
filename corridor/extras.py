"""The optional parts of the install (the extras of ``pyproject.toml``) and the one check,
per extra, that its packages can be imported.

``pip install .`` installs what serving the bundled data and importing GeoPackage, GeoJSON,
CSV and Shapefile layers needs. Two features need more:

- ``postgis``: the PostGIS store (``CORRIDOR_DATABASE_URL``, ``corridor db``): psycopg,
  psycopg-pool, SQLAlchemy and GeoAlchemy2;
- ``osm``: reading OpenStreetMap extracts (``.osm.pbf``): pyosmium.

Each is imported only by the modules of its feature, after :func:`require` has said it is
there, so a missing one is an error naming the ``pip install`` that adds it, not a traceback.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from corridor.errors import MissingExtra


@dataclass(frozen=True)
class Extra:
    """What an extra is for, and the modules it installs with the name each is installed by
    (as ``pyproject.toml`` lists it)."""

    purpose: str
    modules: dict[str, str]  # module -> distribution


#: The extras of pyproject.toml that code checks for.
EXTRAS = {
    "postgis": Extra("the PostGIS store (CORRIDOR_DATABASE_URL, `corridor db`)",
                     {"psycopg": "psycopg", "psycopg_pool": "psycopg-pool",
                      "sqlalchemy": "sqlalchemy", "geoalchemy2": "geoalchemy2"}),
    "osm": Extra("reading an OpenStreetMap extract (.osm.pbf, with pyosmium)",
                 {"osmium": "osmium"}),
}


def install_command(extra: str) -> str:
    """The command that installs ``extra``."""
    return f"pip install 'qingdao-corridor[{extra}]'"


def require(extra: str) -> None:
    """Import the modules of ``extra`` (once each; later calls find them loaded).

    Raises
    ------
    corridor.errors.MissingExtra
        If one cannot be imported: the message names the feature, the missing packages and
        the ``pip install`` that adds them.
    """
    spec = EXTRAS[extra]
    missing = []
    for module, dist in spec.modules.items():
        try:
            importlib.import_module(module)
        except ImportError as exc:
            absent = isinstance(exc, ModuleNotFoundError) and exc.name in spec.modules
            # else installed but broken (psycopg without libpq): say why
            missing.append(dist if absent else f"{dist} ({exc})")
    if missing:
        raise MissingExtra(extra, (
            f"{spec.purpose} needs the optional package{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}, which {'are' if len(missing) > 1 else 'is'} not installed; "
            f"install the {extra!r} extra: "
            f"{install_command(extra)} (from a checkout: pip install '.[{extra}]')"))
