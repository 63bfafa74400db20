"""Feature stores: the one interface every read and write goes through (:class:`FeatureStore`),
and its implementations: :class:`MemoryStore` for the bundled data, :class:`LayerStore` for
user layers (GeoPackage files that take imports and edits), and :class:`CompositeStore`,
the two as one."""

from corridor.store.base import FeatureStore
from corridor.store.composite import CompositeStore
from corridor.store.geodata import GEODATA_DIR
from corridor.store.layers import LayerStore
from corridor.store.memory import MemoryStore

__all__ = ["FeatureStore", "MemoryStore", "LayerStore", "CompositeStore", "GEODATA_DIR"]
