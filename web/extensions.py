"""The objects :func:`web.create_app` keeps on the app, and the accessors views use.

A module of its own, below every blueprint, so that views reach the store without importing
the package that builds the app (and registers those views): no import cycle.
"""

from __future__ import annotations

from flask import current_app

from corridor.store import FeatureStore

#: ``app.extensions`` key of the app's feature store.
STORE = "corridor_store"


def get_store() -> FeatureStore:
    """The feature store of the current app (opened once in :func:`web.create_app`)."""
    store: FeatureStore = current_app.extensions[STORE]
    return store
