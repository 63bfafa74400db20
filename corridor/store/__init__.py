"""Feature stores: the one interface every read goes through (:class:`FeatureStore`), and
its implementations (:class:`MemoryStore` for the bundled data)."""

from corridor.store.base import FeatureStore
from corridor.store.geodata import GEODATA_DIR
from corridor.store.memory import MemoryStore

__all__ = ["FeatureStore", "MemoryStore", "GEODATA_DIR"]
