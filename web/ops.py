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
import os
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from web.extensions import get_store

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


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response | tuple[Response, int]:
    """Readiness: the store is loaded, validated and reachable."""
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
        return STRICT_POLICY
    tiles = [host for key, host in TILE_HOSTS.items() if current_app.config.get(key)]
    img = " ".join(["'self'", "data:", *tiles])
    return (
        f"default-src 'self'; script-src 'self' {' '.join(hashes)}; "
        f"style-src 'self' 'unsafe-inline'; img-src {img}; connect-src 'self'; "
        "font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    ).replace("script-src 'self' ;", "script-src 'self';")


def init_app(app: Flask) -> None:
    """Register the health blueprint, the request limits and the page policy, and wrap the
    app in :class:`Operations` (request id, security headers, access log)."""
    app.register_blueprint(bp)
    log = logging.getLogger(ACCESS_LOG)
    if not log.handlers:
        log.addHandler(AccessLineHandler())
        log.setLevel(logging.INFO)
        log.propagate = False
    max_url = int(app.config["MAX_URL_LENGTH"])

    @app.before_request
    def _limits() -> Response | None:
        env = request.environ
        url_length = len(env.get("PATH_INFO", "")) + len(env.get("QUERY_STRING", "")) + 1
        if url_length > max_url:
            return _limit_error(414, f"the URL is {url_length} bytes; expected at most {max_url}")
        if env.get("CONTENT_LENGTH"):
            # a layer upload may be larger than any other body
            limit = app.config["MAX_UPLOAD_LENGTH" if request.endpoint == "api_edits.put_layer"
                               else "MAX_CONTENT_LENGTH"]
            size = request.content_length or 0
            if size > limit:
                return _limit_error(413, f"the request body is {size} bytes; expected at most {limit}")
        return None

    @app.after_request
    def _page_policy(resp: Response) -> Response:
        # an HTML page not from the page cache (error pages, API pages as HTML): its policy
        # allows its own inline scripts by hash; every other response gets the strict
        # default from Operations
        h = resp.headers
        # cheapest test first: Content-Type is looked up near the head of the header list
        if (h.get("Content-Type", "").startswith("text/html") and not resp.direct_passthrough
                and "Content-Security-Policy" not in h):
            h["Content-Security-Policy"] = content_security_policy(
                script_hashes(resp.get_data(as_text=True)))
        return resp

    app.wsgi_app = Operations(app.wsgi_app, log)  # type: ignore[method-assign]


#: The policy of every response that is not an HTML page (JSON, tiles, files).
STRICT_POLICY = "default-src 'none'; frame-ancestors 'none'"
_STRICT = ("Content-Security-Policy", STRICT_POLICY)


class Operations:
    """WSGI middleware around the Flask app: what every response needs, whatever made it.

    - **Request id:** an incoming ``X-Request-ID`` that looks like one is kept, else a new
      one is made; it is in the environ (``corridor.request_id``), the response and the log.
    - **Security headers** (:data:`SECURITY_HEADERS`), and the strict
      :data:`STRICT_POLICY` on any response the app gave no Content-Security-Policy.
    - **One JSON access-log line** a request, when the response starts.

    Done at the WSGI level, with plain header lists, this costs a few microseconds a request
    (the same work in Flask's request hooks, through its header objects, cost ten times as
    much, a tenth of the cheapest request).
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], log: logging.Logger) -> None:
        self.app = app
        self.log = log

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        rid = incoming if incoming and _REQUEST_ID.match(incoming) else os.urandom(16).hex()
        environ["corridor.request_id"] = rid
        log = self.log

        def starting(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.append(("X-Request-ID", rid))
            headers.extend(SECURITY_HEADERS)
            length, policy = None, False
            for name, value in headers:
                if name == "Content-Length":
                    length = value
                elif name == "Content-Security-Policy":
                    policy = True
            if not policy:
                headers.append(_STRICT)
            if log.isEnabledFor(logging.INFO):
                _log(log, environ, status, length, started, rid)
            return start_response(status, headers, exc_info)

        return self.app(environ, starting)


def _limit_error(status: int, message: str) -> Response:
    resp = jsonify({"code": "RequestTooLarge" if status == 413 else "URITooLong",
                    "description": message, "status": status})
    resp.status_code = status
    return resp


#: The access line's timestamp (UTC).
_LOG_TIME = "%Y-%m-%dT%H:%M:%S"
#: A string JSON can hold as it is: no quote, backslash or control character (the line keeps
#: other characters unescaped, as ``json.dumps(..., ensure_ascii=False)`` does).
_JSON_PLAIN = re.compile(r'[^"\\\x00-\x1f]*')


def _json_str(text: str) -> str:
    return f'"{text}"' if _JSON_PLAIN.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def _log(log: logging.Logger, env: dict[str, Any], status: str, length: str | None,
         started: float, rid: str) -> None:
    """One JSON line: ts, method, path, query, status, duration_ms, request_id, bytes.

    Written out directly (the same line ``json.dumps`` of the dict gives, strings escaped
    only when they need it): on the cheapest requests, building the line through a dict and
    the JSON encoder cost a tenth of the request."""
    path = env.get("PATH_INFO", "")
    try:  # WSGI hands the path over as latin-1 decoded bytes; they are UTF-8
        path = path.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:
        pass
    size = str(int(length)) if length is not None and length.isdigit() else "null"
    line = (f'{{"ts": "{time.strftime(_LOG_TIME, time.gmtime())}", "method": {_json_str(env.get("REQUEST_METHOD", ""))}, '
            f'"path": {_json_str(path[:300])}, "query": {_json_str(env.get("QUERY_STRING", "")[:300])}, '
            f'"status": {int(status[:3])}, "duration_ms": {(time.perf_counter() - started) * 1000:.2f}, '
            f'"request_id": {_json_str(rid)}, "bytes": {size}}}')
    handlers = log.handlers
    if (len(handlers) == 1 and type(handlers[0]) is AccessLineHandler and not log.filters
            and not handlers[0].filters and handlers[0].level <= logging.INFO):
        handlers[0].write_line(log, line)  # the default set-up: straight to its stream
    else:
        # handle(makeRecord(...)) is log.info without looking up the caller's frame (the
        # record's file and line would name this function anyway)
        log.handle(log.makeRecord(log.name, logging.INFO, __file__, 0, line, (), None))


class AccessLineHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The access log's handler unless logging is configured otherwise: each line as it is,
    to standard error.

    While it is the logger's only handler and no filter is set, a line goes straight to the
    stream without a log record (building the record and formatting it cost about a tenth of
    the cheapest request); with any other set-up, lines are ordinary log records.
    """

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(message)s"))

    def write_line(self, log: logging.Logger, line: str) -> None:
        """Write ``line`` as :meth:`emit` would write a record of it."""
        self.acquire()
        try:
            self.stream.write(line + self.terminator)
            self.flush()
        except Exception:  # noqa: BLE001 - as logging does: report, never fail the request
            self.handleError(log.makeRecord(log.name, logging.INFO, __file__, 0, line, (), None))
        finally:
            self.release()
