"""The in-process engine (:class:`Engine`): the bundled catalog as read-only layers and the
user layers (GeoPackage files) as editable ones, answered by one implementation."""

from corridor.store.engine.engine import Engine

__all__ = ["Engine"]
