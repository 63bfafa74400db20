"""Writes: OGC API - Features Part 4 (Create, Replace, Delete) on user layers.

Registered by :func:`web.create_app` only when ``ADMIN_TOKEN`` is set: a read-only
deployment has no write route at all (a write there is a 405 from the catch-all). With a
token, every write needs ``Authorization: Bearer <token>``: none is a 401 with a
``WWW-Authenticate`` challenge, a wrong one a 403. The token is compared in constant time,
and never logged or echoed (the access log records the path, never headers).

- ``POST /api/collections/{cid}/items``: a GeoJSON Feature -> 201, ``Location`` of the new item;
- ``PUT /api/collections/{cid}/items/{fid}``: replace the feature -> 200 with it;
- ``DELETE /api/collections/{cid}/items/{fid}``: -> 204.

The bundled catalog's collections are read-only (405). Writes are never cached.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from flask import Blueprint, Response, current_app, request

from web import get_store
from web.api import errors
from web.api.links import url

edits_bp = Blueprint("api_edits", __name__)
errors.register(edits_bp)
FEATURE_TYPES = ("application/geo+json", "application/json")


class Unauthorized(errors.ApiError):
    """A write without credentials (401)."""

    status = 401
    code = "Unauthorized"


class Forbidden(errors.ApiError):
    """A write with a wrong token (403)."""

    status = 403
    code = "Forbidden"


@edits_bp.before_request
def _authorise() -> None:
    token = str(current_app.config.get("ADMIN_TOKEN") or "")
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if not header:
        raise Unauthorized("this write needs the admin token: send 'Authorization: Bearer <token>'")
    if scheme.lower() != "bearer" or not given.strip():
        raise Unauthorized("the Authorization header is not a bearer token; expected "
                           "'Authorization: Bearer <token>'")
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise Forbidden("the admin token is wrong")


@edits_bp.after_request
def _no_store(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "no-store"
    if resp.status_code == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="corridor"'
    return resp


def _feature_body() -> dict[str, Any]:
    """The request body as a GeoJSON object (clear 400/415 otherwise)."""
    mimetype = request.mimetype
    if mimetype not in FEATURE_TYPES:
        err = errors.ApiError(f"Content-Type {mimetype or '(none)'!r} is not accepted; expected "
                              f"{' or '.join(FEATURE_TYPES)} with a GeoJSON Feature")
        err.status, err.code = 415, "UnsupportedMediaType"
        raise err
    try:
        body = json.loads(request.get_data(cache=False) or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.InvalidParameterValue(f"the body is not valid JSON ({exc}); expected a GeoJSON Feature") from None
    if not isinstance(body, dict):
        raise errors.InvalidParameterValue("the body is not a JSON object; expected a GeoJSON Feature")
    return body


def _feature_response(text: bytes, status: int, location: str | None = None) -> Response:
    resp = Response(text, status=status, mimetype="application/geo+json")
    if location:
        resp.headers["Location"] = location
    return resp


@edits_bp.post("/collections/<cid>/items")
def create(cid: str) -> Response:
    feat = get_store().create(cid, _feature_body())
    return _feature_response(feat.json, 201, url("item", cid=cid, fid=feat.id))


@edits_bp.put("/collections/<cid>/items/<fid>")
def replace(cid: str, fid: str) -> Response:
    feat = get_store().replace(cid, fid, _feature_body())
    return _feature_response(feat.json, 200)


@edits_bp.delete("/collections/<cid>/items/<fid>")
def delete(cid: str, fid: str) -> Response:
    get_store().delete(cid, fid)
    return Response(status=204)
