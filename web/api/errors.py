"""API errors: exception classes carrying HTTP status, OGC exception code and a message.

Every 4xx/5xx answered under ``/api`` has one JSON body shape::

    {"code": "<OGC exception code>", "description": "<what was wrong and what was expected>",
     "status": <HTTP status>}

and, when the client asked for HTML, a page rendered from ``api/error.html`` with the same
three values. Domain errors (:mod:`corridor.errors`) map onto these classes here, in one place.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from corridor.errors import (
    Conflict,
    InvalidParameter,
    MissingExtra,
    NotFound,
    ReadOnly,
    Unavailable,
)
from web.negotiate import error_format, is_api_path, page_lang

log = logging.getLogger(__name__)


class ApiError(Exception):
    """Base of every error the API answers on purpose.

    Parameters
    ----------
    description
        Message for the user: name the bad value and say what was expected.
    """

    status = 500
    code = "NoApplicableCode"

    def __init__(self, description: str):
        super().__init__(description)
        self.description = description

    def body(self) -> dict[str, Any]:
        """The JSON error body (the one shape of every API error)."""
        return {"code": self.code, "description": self.description, "status": self.status}


class InvalidParameterValue(ApiError):
    """A malformed or unknown query parameter (400)."""

    status = 400
    code = "InvalidParameterValue"


class ResourceNotFound(ApiError):
    """An unknown collection, feature or path (404)."""

    status = 404
    code = "NotFound"


class NotAcceptable(ApiError):
    """No representation the client accepts (406)."""

    status = 406
    code = "NotAcceptable"


class MethodNotAllowed(ApiError):
    """The API is read-only: GET, HEAD and OPTIONS only (405)."""

    status = 405
    code = "MethodNotAllowed"


class UnsupportedMediaType(ApiError):
    """A body of a type the route does not take, or that this install cannot read: an
    ``.osm.pbf`` without the ``osm`` extra (415)."""

    status = 415
    code = "UnsupportedMediaType"


class PayloadTooLarge(ApiError):
    """A request whose body, or what it unpacks to, is over a limit (413)."""

    status = 413
    code = "RequestTooLarge"


class ConflictError(ApiError):
    """A write that contradicts the stored data, e.g. an id that exists (409)."""

    status = 409
    code = "Conflict"


class ServiceUnavailable(ApiError):
    """The store cannot answer now: its database is down, restarting or busy (503). The
    client may retry after :data:`RETRY_AFTER` seconds."""

    status = 503
    code = "ServiceUnavailable"


#: Seconds a 503 asks the client to wait before retrying.
RETRY_AFTER = 2


class ServerError(ApiError):
    """An unexpected failure (500); logged with its traceback."""

    status = 500
    code = "NoApplicableCode"


def from_exception(exc: BaseException) -> ApiError:
    """Map any exception to the :class:`ApiError` the client sees."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, InvalidParameter):
        return InvalidParameterValue(str(exc))
    if isinstance(exc, NotFound):
        return ResourceNotFound(str(exc))
    if isinstance(exc, Conflict):
        return ConflictError(str(exc))
    if isinstance(exc, ReadOnly):
        return MethodNotAllowed(str(exc))
    if isinstance(exc, Unavailable):
        return ServiceUnavailable(str(exc))
    if isinstance(exc, MissingExtra):  # a file format this install cannot read
        return UnsupportedMediaType(str(exc))
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        for cls in (InvalidParameterValue, ResourceNotFound, NotAcceptable, MethodNotAllowed):
            if cls.status == status:
                if cls is ResourceNotFound:
                    return cls(f"no API resource at {request.path!r}; see /api for the resources")
                return cls(exc.description or exc.name)
        err = ApiError(exc.description or exc.name)
        err.status = status
        err.code = exc.name.replace(" ", "")
        return err
    log.exception("unhandled error answering %s", request.full_path)
    return ServerError("internal error; the request was logged")


def error_response(exc: BaseException) -> Response:
    """Render ``exc`` as the JSON error body, or as an HTML page for browsers
    (:func:`web.negotiate.error_format`), in the request's language (an unsupported ``?lang=``
    may be the error shown, so it is passed over here)."""
    err = from_exception(exc)
    if error_format() == "html":
        html = render_template("api/error.html", error=err.body(), title=f"{err.status} {err.code}",
                               lang=page_lang())
        resp = Response(html, status=err.status, mimetype="text/html")
    else:
        resp = jsonify(err.body())
        resp.status_code = err.status
    resp.headers["Cache-Control"] = "no-store"
    if err.status == 405:
        resp.headers["Allow"] = "GET, HEAD, OPTIONS"
    if err.status == 503:
        resp.headers["Retry-After"] = str(RETRY_AFTER)
    return resp


def unavailable_response(exc: Unavailable) -> Response:
    """503 for a store that cannot answer, outside a blueprint's own handler (the
    per-request refresh, the pages): the API's body under ``/api``, a plain page elsewhere
    (rendering the site's error page would need the store)."""
    log.warning("503 for %s: %s", request.path, exc)
    if is_api_path():
        return error_response(exc)
    html = ("<!doctype html><html lang=\"zh\"><meta charset=\"utf-8\"><title>503</title>"
            "<h1>503 暂时无法服务 Service temporarily unavailable</h1>"
            f"<p>{escape(str(exc))}</p></html>")
    resp = Response(html, status=503, mimetype="text/html")
    resp.headers["Retry-After"] = str(RETRY_AFTER)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def register(bp: Blueprint) -> None:
    """Route every error raised inside the blueprint to :func:`error_response`."""
    bp.register_error_handler(Exception, error_response)

