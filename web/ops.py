"""What running the service in production needs of the app itself: health endpoints, a
request id and one JSON access-log line per request, security headers on every response,
and limits on URL and body size.

The Content-Security-Policy allows scripts from the app's own origin plus the exact inline
scripts of the page, by their SHA-256 hashes (folium renders the map's script inline; a
hash, unlike a nonce, survives the page cache). Tiles come only from the app, or from a
tile host the configuration enables.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import time
import uuid
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request

bp = Blueprint("ops", __name__)

#: An incoming X-Request-ID is kept when it looks like one (else a new one is made).
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
#: Inline <script> blocks that run (not JSON data blocks, not src= scripts).
_INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>(.*?)</script>", re.S)
#: Tile hosts a configuration may enable (see web.pages.mapview.configured_tiles).
TILE_HOSTS = {"TIANDITU_KEY": "https://*.tianditu.gov.cn",
              "ENABLE_OSM_TILES": "https://tile.openstreetmap.org"}
ACCESS_LOG = "corridor.access"
#: Headers every response carries (besides its request id and its CSP).
SECURITY_HEADERS = (("X-Content-Type-Options", "nosniff"),
                    ("Referrer-Policy", "strict-origin-when-cross-origin"),
                    ("X-Frame-Options", "DENY"))


def url_size() -> int:
    """Length of the request's path and query as sent (read from the WSGI environ, without
    the decoding ``request.full_path`` does)."""
    env = request.environ
    return len(env.get("PATH_INFO", "")) + len(env.get("QUERY_STRING", "")) + 1


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response | tuple[Response, int]:
    """Readiness: the store is loaded, validated and reachable."""
    from web import get_store

    try:
        store = get_store()
        store.check()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", said plainly
        return jsonify({"status": "not ready", "reason": type(exc).__name__}), 503
    return jsonify({"status": "ready", "data_version": store.version})


#: Vendored scripts that compile templates with ``new Function`` (leaflet-measure embeds
#: lodash's template), so a page loading one needs 'unsafe-eval'. Still only the app's
#: own scripts run; replacing the plugin would let the map page drop it.
EVAL_SCRIPTS = ("leaflet-measure.min.js",)


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The site's icon (browsers ask for it on every page, the API's HTML pages included)."""
    resp = current_app.send_static_file("favicon.svg")
    resp.cache_control.public = True
    resp.cache_control.max_age = 86400
    return resp


def script_hashes(html: str) -> list[str]:
    """CSP source expressions for every inline script of ``html`` (plus 'unsafe-eval' when
    it loads one of :data:`EVAL_SCRIPTS`)."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]
    if any(f"/{name}\"" in html for name in EVAL_SCRIPTS):
        hashes.append("'unsafe-eval'")
    return hashes


def content_security_policy(hashes: list[str] | None = None) -> str:
    """The policy of a page with these inline-script hashes (None: a non-HTML response)."""
    if hashes is None:
        return "default-src 'none'; frame-ancestors 'none'"
    tiles = [host for key, host in TILE_HOSTS.items() if current_app.config.get(key)]
    img = " ".join(["'self'", "data:", *tiles])
    return (
        f"default-src 'self'; script-src 'self' {' '.join(hashes)}; "
        f"style-src 'self' 'unsafe-inline'; img-src {img}; connect-src 'self'; "
        "font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    ).replace("script-src 'self' ;", "script-src 'self';")


def init_app(app: Flask) -> None:
    """Register the health blueprint and the per-request hooks."""
    app.register_blueprint(bp)
    log = logging.getLogger(ACCESS_LOG)
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False

    @app.before_request
    def _start() -> Response | None:
        g.start = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        url_length = url_size()
        too_long = url_length > app.config["MAX_URL_LENGTH"]
        # a layer upload may be larger than any other body
        body_limit = app.config["MAX_UPLOAD_LENGTH" if request.endpoint == "api_edits.put_layer"
                                else "MAX_CONTENT_LENGTH"]
        too_big = (request.content_length or 0) > body_limit
        if too_long or too_big:
            status, what, limit = ((414, "URL", app.config["MAX_URL_LENGTH"]) if too_long else
                                   (413, "request body", body_limit))
            size = url_length if too_long else request.content_length
            return _limit_error(status, f"the {what} is {size} bytes; expected at most {limit}")
        return None

    @app.after_request
    def _finish(resp: Response) -> Response:
        h = resp.headers
        extra = [("X-Request-ID", g.get("request_id", "")), *SECURITY_HEADERS]
        if "Content-Security-Policy" not in h:
            is_html = resp.mimetype == "text/html" and not resp.direct_passthrough
            hashes = script_hashes(resp.get_data(as_text=True)) if is_html else None
            extra.append(("Content-Security-Policy", content_security_policy(hashes)))
        h.extend(extra)  # one call: no view sets these, so nothing to replace
        _log(log, resp)
        return resp


def _limit_error(status: int, message: str) -> Response:
    resp = jsonify({"code": "RequestTooLarge" if status == 413 else "URITooLong",
                    "description": message, "status": status})
    resp.status_code = status
    return resp


def _log(log: logging.Logger, resp: Response) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    env = request.environ
    entry: dict[str, Any] = {
        "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
        "method": env.get("REQUEST_METHOD", ""),
        "path": request.path[:300],
        "query": env.get("QUERY_STRING", "")[:300],
        "status": resp.status_code,
        "duration_ms": round((time.perf_counter() - g.get("start", time.perf_counter())) * 1000, 2),
        "request_id": g.get("request_id", ""),
        "bytes": resp.content_length,
    }
    log.info(json.dumps(entry, ensure_ascii=False))
