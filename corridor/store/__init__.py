"""Feature stores: the one declared contract every read and write goes through
(:class:`FeatureStore`), and its two engines: :class:`~corridor.store.engine.Engine` in this
process (the bundled catalog as read-only layers, user layers as GeoPackage files) and
:class:`~corridor.store.postgis.PostgisStore` (PostgreSQL + PostGIS, imported on demand: it
needs a database driver)."""

from corridor.store.base import FeatureStore
from corridor.store.engine import Engine
from corridor.store.geodata import GEODATA_DIR

__all__ = ["FeatureStore", "Engine", "GEODATA_DIR"]
