"""The functions that build the store the settings name, for the web app and the command line.

- ``DATABASE_URL`` set: the PostGIS engine (:class:`corridor.store.postgis.PostgisStore`),
  one database holding the catalog and every user layer; its metadata is read now, so a
  missing schema stops start-up.
- Otherwise the in-process engine: the bundled catalog (``GEODATA_DIR``) as read-only layers
  and the user layers' GeoPackage files under ``LAYERS_DIR``.
"""

from __future__ import annotations

from corridor.extras import require
from corridor.settings import Settings
from corridor.store.base import FeatureStore


def open_store(settings: Settings, *, lazy: bool = False, pool_size: int | None = None) -> FeatureStore:
    """The store of ``settings``.

    Parameters
    ----------
    settings
        Which engine, and where its data lives.
    lazy
        Load a user layer only when it is first read (commands that write one layer);
        a serving store loads every layer at once.
    pool_size
        Database connections to keep, instead of ``settings.database_pool_size``.

    Raises
    ------
    corridor.errors.DataError
        If a geodata file is missing or invalid.
    corridor.errors.Unavailable
        If the database cannot be reached or has no schema.
    corridor.errors.MissingExtra
        If ``DATABASE_URL`` is set and the ``postgis`` extra is not installed.
    """
    if settings.database_url:
        require("postgis")
        from corridor.store.postgis import PostgisStore

        store = PostgisStore(settings.database_url,
                             pool_size=pool_size or settings.database_pool_size,
                             pool_timeout=settings.database_pool_timeout)
        try:
            store.refresh()
        except BaseException:
            store.close()
            raise
        return store
    from corridor.store.engine import Engine

    return Engine.open(settings.geodata_dir, settings.layers_dir, lazy=lazy)


def open_catalog(settings: Settings) -> FeatureStore:
    """The bundled catalog of ``settings.geodata_dir`` alone, loaded and validated in this
    process, whatever store the settings name: what ``corridor validate`` checks and
    ``corridor db load`` copies into a database.

    Raises
    ------
    corridor.errors.DataError
        If a geodata file is missing or invalid.
    """
    from corridor.store.engine import Engine

    return Engine.load(settings.geodata_dir)
