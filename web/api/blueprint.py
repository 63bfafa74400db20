"""The API's blueprint, with what applies to every resource on it: the error body
(:mod:`web.api.errors`), the HTTP caching rules (:mod:`web.api.http`) and the answer for
unknown paths. (Each operation's parameters, ``lang`` among them, are checked by its
declaration in :mod:`web.api.params`.)

A module of its own so that the view modules can register their routes on :data:`bp`
without importing :mod:`web.api`, whose ``__init__`` imports them (no import cycle).
"""

from __future__ import annotations

from typing import NoReturn

from flask import Blueprint, request

from web.api import errors, http

bp = Blueprint("api", __name__)

errors.register(bp)
http.register(bp)


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest: str) -> NoReturn:
    """Unknown ``/api`` paths, and writes to known ones, with the API's error body (routing
    errors happen before a blueprint is chosen, so its error handler would not see them)."""
    if request.method not in ("GET", "HEAD"):
        raise errors.MethodNotAllowed(f"{request.method} is not allowed; the API is read-only (GET)")
    raise errors.ResourceNotFound(f"no API resource at {request.path!r}; see /api for the resources")
