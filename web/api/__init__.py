"""OGC API - Features blueprint (mounted at ``/api``).

Modules: :mod:`~web.api.params` parses and validates, :mod:`~web.api.cql` filters,
:mod:`~web.api.crs` converts coordinates, :mod:`~web.api.formats` negotiates and serialises,
:mod:`~web.api.openapi` describes, :mod:`~web.api.errors` answers errors, :mod:`~web.api.http`
adds ETag/Cache-Control/compression/CORS. The views live in :mod:`~web.api.landing`,
:mod:`~web.api.features`, :mod:`~web.api.spatial` and :mod:`~web.api.tiles`.
"""

from __future__ import annotations

from typing import NoReturn

from flask import Blueprint, Flask, request

bp = Blueprint("api", __name__)

from web.api import errors, http

errors.register(bp)
http.register(bp)

from web.api import features, landing, spatial, statistics, tiles  # noqa: F401


def init_app(app: Flask) -> None:
    """App-level parts of the API: compression and CORS (see :mod:`web.api.http`)."""
    http.init_app(app)


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest: str) -> NoReturn:
    """Unknown ``/api`` paths, and writes to known ones, with the API's error body (routing
    errors happen before a blueprint is chosen, so its error handler would not see them)."""
    if request.method not in ("GET", "HEAD"):
        raise errors.MethodNotAllowed(f"{request.method} is not allowed; the API is read-only (GET)")
    raise errors.ResourceNotFound(f"no API resource at {request.path!r}; see /api for the resources")
