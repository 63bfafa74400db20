"""OGC API - Features blueprint (mounted at ``/api``).

Modules: :mod:`~web.api.params` parses and validates, :mod:`~web.api.cql` filters,
:mod:`~web.api.crs` converts coordinates, :mod:`~web.api.formats` serialises (the format
is negotiated in :mod:`web.negotiate`), :mod:`~web.api.openapi` describes,
:mod:`~web.api.errors` answers errors, :mod:`~web.api.http` adds ETag/Cache-Control/
CORS. :mod:`~web.api.blueprint` holds the blueprint; the views live in
:mod:`~web.api.landing`, :mod:`~web.api.features`, :mod:`~web.api.spatial`,
:mod:`~web.api.statistics`, :mod:`~web.api.reach`, :mod:`~web.api.match` and :mod:`~web.api.tiles`, imported here so that their routes
are registered.
"""

from __future__ import annotations

from flask import Flask

from web.api import features, http, landing, match, reach, spatial, statistics, tiles  # noqa: F401
from web.api.blueprint import bp

__all__ = ["bp", "init_app"]


def init_app(app: Flask) -> None:
    """App-level parts of the API: CORS (see :mod:`web.api.http`)."""
    http.init_app(app)
