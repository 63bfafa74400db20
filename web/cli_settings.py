"""The settings and the store of a ``corridor`` command, read as the web app reads them.

Every command builds one :class:`corridor.settings.Settings` with :func:`corridor.settings.load`
from the app's instance folder (:func:`web.instance_path`), its options given on the command
line on top: defaults < instance ``config.py`` < ``CORRIDOR_*`` environment < options. The
store comes from :func:`corridor.factory.open_store`, as the app's does, so a layer the
command line writes is the one the served app reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import web
from corridor import factory, settings
from corridor.settings import Settings
from corridor.store import FeatureStore


def overrides(**options: Any) -> dict[str, Any]:
    """The options that were given (not None) as settings: ``layers_dir`` becomes
    ``LAYERS_DIR``; a path becomes text, as an instance config or the environment gives it."""
    return {name.upper(): str(value) if isinstance(value, Path) else value
            for name, value in options.items() if value is not None}


def command_settings(**options: Any) -> Settings:
    """The settings of a command whose options are ``options`` (None: not given), read from
    the app's instance folder and environment with the given options on top.

    Raises
    ------
    corridor.errors.InvalidParameter
        If the instance config cannot be read, or a setting has the wrong type (the message
        names the file or the setting).
    """
    folder = web.instance_path()
    return Settings.from_mapping(settings.load(folder, overrides(**options)), folder)


@contextmanager
def opened_store(chosen: Settings, *, lazy: bool = True) -> Iterator[FeatureStore]:
    """The store of ``chosen`` (one database connection for a database), closed at the end.

    It raises what :func:`corridor.factory.open_store` raises.
    """
    store = factory.open_store(chosen, lazy=lazy, pool_size=1)
    try:
        yield store
    finally:
        store.close()


def describe(chosen: Settings) -> str:
    """Where the user layers of ``chosen`` live, for messages."""
    return "the database" if chosen.database_url else str(chosen.layers_dir)
