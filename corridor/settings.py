"""The service's settings: one table (name, default, help) and one typed object read from it.

Both the web app (:func:`web.create_app`) and the command line (:mod:`web.cli`) build a
:class:`Settings` with :func:`load`, in increasing precedence from

1. the defaults of :data:`SETTINGS`;
2. ``config.py`` in the instance folder (upper-case names, as Flask's ``from_pyfile``);
3. environment variables prefixed ``CORRIDOR_`` (values parsed as JSON where they parse,
   as Flask's ``from_prefixed_env``), e.g. ``CORRIDOR_DATABASE_URL``;
4. explicit overrides (the app's ``test_config``, command-line options).

The store the settings name is opened by :func:`corridor.factory.open_store`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corridor.errors import InvalidParameter

#: Environment variables of the settings start with this.
ENV_PREFIX = "CORRIDOR_"

#: Settings: name -> (default, help). Documented in the README; a test checks that.
SETTINGS: dict[str, tuple[Any, str]] = {
    "GEODATA_DIR": (None, "Directory holding collections.toml and data/ (default: bundled geodata)."),
    "TIANDITU_KEY": ("", "Tianditu (天地图) API key; when set, Tianditu tile layers are offered (off by default)."),
    "ENABLE_OSM_TILES": (False, "Offer the OpenStreetMap tile layer (off by default; needs internet)."),
    "DEFAULT_LANG": ("zh", "Language when neither ?lang= nor Accept-Language decides (zh or en)."),
    "CORS_ORIGINS": ("*", "Origins allowed to call the API from browsers: * or a comma-separated list."),
    "MAX_URL_LENGTH": (8000, "Longest URL (path and query) answered; longer is a 414."),
    "MAX_CONTENT_LENGTH": (1_048_576, "Largest request body in bytes; larger is a 413."),
    "HOST": ("127.0.0.1", "Address `corridor serve` listens on (0.0.0.0 in the container)."),
    "PORT": (8000, "Port `corridor serve` listens on."),
    "WORKERS": (2, "Worker processes of `corridor serve` (gunicorn; the data is loaded once, before they fork)."),
    "THREADS": (4, "Threads per worker: a slow client holds one thread, not a whole worker."),
    "GRACEFUL_TIMEOUT": (30, "Seconds a stopping worker (SIGTERM) has to finish the requests it holds."),
    "DATABASE_URL": ("", "PostgreSQL/PostGIS URL (`postgresql://user:password@host:5432/db`). Set, one PostGIS store holds the catalog and every user layer (`corridor db init`, then `corridor db load`); unset, the bundled data is served from memory."),
    "DATABASE_POOL_SIZE": (4, "Database connections each worker process keeps; replicas x WORKERS x this must stay below the server's max_connections (see Scale-out)."),
    "DATABASE_POOL_TIMEOUT": (2.0, "Seconds a request waits for a free database connection before it is answered 503."),
    "LAYERS_DIR": (None, "Directory of the user layers (one GeoPackage each; default: `layers` in the app's instance folder, as `corridor import` uses)."),
    "ADMIN_TOKEN": ("", "Bearer token that allows writes (feature edits, layer uploads); empty: the API is read-only and has no write endpoints."),
    "MAX_UPLOAD_LENGTH": (268_435_456, "Largest layer file a web upload may send, in bytes (256 MiB); also the most a zip may unpack to."),
}


@dataclass(frozen=True)
class Settings:
    """The settings that choose and size the store (the web app keeps the rest in its
    config, under the same names)."""

    geodata_dir: Path | None
    layers_dir: Path
    database_url: str
    database_pool_size: int
    database_pool_timeout: float

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], instance_path: Path | str) -> Settings:
        """The typed settings of ``values`` (names as in :data:`SETTINGS`; missing ones take
        their defaults); ``LAYERS_DIR`` defaults to ``layers`` in ``instance_path``.

        Raises
        ------
        InvalidParameter
            If a value has the wrong type (the message names the setting and the value).
        """
        def get(name: str) -> Any:
            return values.get(name, SETTINGS[name][0])

        geodata, layers = get("GEODATA_DIR"), get("LAYERS_DIR")
        return cls(
            geodata_dir=Path(geodata) if geodata else None,
            layers_dir=Path(layers) if layers else Path(instance_path) / "layers",
            database_url=str(get("DATABASE_URL") or ""),
            database_pool_size=_number(int, "DATABASE_POOL_SIZE", get("DATABASE_POOL_SIZE"), 1),
            database_pool_timeout=_number(float, "DATABASE_POOL_TIMEOUT", get("DATABASE_POOL_TIMEOUT"), 0),
        )


def _number(kind: type, name: str, value: Any, least: float) -> Any:
    try:
        out = kind(value)
    except (TypeError, ValueError):
        out = None
    if out is None or isinstance(value, bool) or out < least:
        raise InvalidParameter(f"setting {ENV_PREFIX}{name}={value!r}; expected "
                               f"{'an integer' if kind is int else 'a number'} >= {least}")
    return out


def load(instance_path: Path | str, overrides: Mapping[str, Any] | None = None,
         environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Every setting of :data:`SETTINGS` (and any other upper-case name the instance config
    or the environment gives), by the precedence of the module docstring.

    Raises
    ------
    InvalidParameter
        If the instance config cannot be read (the message names the file).
    """
    out: dict[str, Any] = {name: default for name, (default, _) in SETTINGS.items()}
    config = Path(instance_path) / "config.py"
    if config.is_file():
        scope: dict[str, Any] = {"__file__": str(config)}
        try:
            exec(compile(config.read_bytes(), str(config), "exec"), scope)  # noqa: S102
        except Exception as exc:
            raise InvalidParameter(f"instance config {config}: {exc}") from exc
        out.update({k: v for k, v in scope.items() if k.isupper()})
    env = os.environ if environ is None else environ
    for key in sorted(env):
        if key.startswith(ENV_PREFIX):
            raw = env[key]
            try:
                value: Any = json.loads(raw)
            except ValueError:
                value = raw
            out[key[len(ENV_PREFIX):]] = value
    out.update(overrides or {})
    return out
