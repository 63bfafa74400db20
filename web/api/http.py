"""HTTP behaviour of the API: ETag/304, Cache-Control, compression and CORS.

Responses are a pure function of the loaded data and the request (path, query string,
Accept), apart from ``timeStamp``. So the ETag is a weak validator computed from those
inputs *before* the work is done: a matching ``If-None-Match`` is answered 304 at once.
Compression is Flask-Compress (gzip/br/zstd, by Accept-Encoding); CORS is flask-cors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache, wraps
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from flask_compress import Compress
from flask_cors import CORS
from werkzeug.datastructures import Headers

from corridor.errors import NotFound
from web.lru import LRU, app_lru

#: Seconds clients and proxies may reuse an API response.
MAX_AGE = 300
COMPRESS_MIMETYPES = [
    "application/json", "application/geo+json", "application/schema+json",
    "application/vnd.oai.openapi+json", "application/vnd.google-earth.kml+xml",
    "text/html", "text/csv", "text/css", "application/javascript", "text/javascript",
]


def init_app(app: Flask) -> None:
    """Register compression and CORS on the app (CORS only for ``/api/*``)."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESS_MIMETYPES)
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    # Flask-Compress iterates streamed responses (static files) without closing the file,
    # leaking a handle per request; those files are small and cached, so send them as is.
    app.config.setdefault("COMPRESS_STREAMS", False)
    Compress(app)
    origins = str(app.config.get("CORS_ORIGINS") or "*").strip()
    allowed: str | list[str] = "*" if origins == "*" else [o.strip() for o in origins.split(",")]
    CORS(app, send_wildcard=allowed == "*", resources={r"/api/*": {"origins": allowed, "methods": ["GET", "HEAD", "OPTIONS"],
                                      "expose_headers": ["ETag", "Content-Crs", "Link",
                                                         "Content-Coord-Sys", "OATiles-hint"]}})
    # flask-cors appended its response hook last: let it answer once per request shape
    hooks = app.after_request_funcs[None]
    hooks.append(remembered_cors(hooks.pop()))  # type: ignore[arg-type]  # a sync hook
    # ETags derive from the data's version and the package version: stable across restarts
    # and workers, new whenever the served data (a layer edit, too) or the code changes.
    app.extensions["corridor_code_version"] = _code_version()


#: Request shapes whose CORS headers are remembered (path, method and the CORS request
#: headers: a few per API route, more for per-feature paths, which come and go).
MAX_CORS_SHAPES = 4096
_CORS_INPUTS = ("PATH_INFO", "REQUEST_METHOD", "HTTP_ORIGIN", "HTTP_ACCESS_CONTROL_REQUEST_METHOD",
                "HTTP_ACCESS_CONTROL_REQUEST_HEADERS",
                "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK")


def header_names(headers: Headers) -> set[str]:
    """The names, lower-cased, of ``headers``: one pass, where asking werkzeug's headers
    about an absent name raises and catches an HTTP exception (a few microseconds each)."""
    return {name.lower() for name, _ in headers.items()}


def add_vary(headers: Headers, names: set[str], values: str) -> None:
    """Add ``values`` (comma-separated) to the one ``Vary`` header, those not there yet.

    ``names``: :func:`header_names` of ``headers``. One header, not a second one: a second
    would be lost when Flask-Compress rewrites the first.
    """
    if "vary" not in names:
        headers.add("Vary", values)
        names.add("vary")
        return
    vary = headers["Vary"]
    present = {v.strip() for v in vary.split(",")}
    missing = [v for v in values.split(", ") if v not in present]
    if missing:
        headers["Vary"] = ", ".join([vary, *missing])


def remembered_cors(cors_hook: Callable[[Response], Response]) -> Callable[[Response], Response]:
    """flask-cors's response hook, asked once per request shape.

    The headers flask-cors adds follow from its fixed options and the request's path (which
    resource matches), method, ``Origin`` and CORS request headers, and it adds none to a
    response that has ``Access-Control-Allow-Origin`` already. So, per shape, it is run once
    on an empty response, and the headers it added there are added to every response of that
    shape: its answer, without working it out again on every request (about a fifth of the
    cost of the API's cheapest responses). Its ``Vary: Origin`` (a list of origins) joins
    the response's one ``Vary`` header (:func:`add_vary`).
    """
    shapes: LRU[list[tuple[str, str]]] = LRU(MAX_CORS_SHAPES)

    @wraps(cors_hook)
    def hook(resp: Response) -> Response:
        env = request.environ
        key = tuple(env.get(name) for name in _CORS_INPUTS)
        added = shapes.get(key)
        if added is None:
            probe = Response()
            before = len(probe.headers)
            cors_hook(probe)
            added = list(probe.headers.items())[before:]
            shapes.put(key, added)
        h = resp.headers
        names = header_names(h)
        if added and "access-control-allow-origin" not in names:
            for name, value in added:
                if name == "Vary":
                    add_vary(h, names, value)
                else:
                    h.add(name, value)
        return resp

    return hook


#: API documents kept per app (landing, conformance, collections, queryables, indicators).
MAX_DOCUMENTS = 512


def cached_document(view: Callable[..., Response]) -> Callable[..., Response]:
    """Serve ``view``'s 200 responses from memory, built once per data version and request.

    For the API's fixed documents: a pure function of the data, the URL (host, path, query)
    and the headers that negotiate (Accept, Accept-Language), which form the key.
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        from web import get_store

        env = request.environ
        version = get_store().version
        key = (version, env.get("HTTP_HOST", ""), env.get("SCRIPT_NAME", ""),
               env.get("PATH_INFO", ""), env.get("QUERY_STRING", ""), env.get("HTTP_ACCEPT", ""),
               env.get("HTTP_ACCEPT_LANGUAGE", ""))
        documents: LRU[tuple[bytes, str, list[tuple[str, str]]]] = app_lru("corridor_api_documents", MAX_DOCUMENTS)
        hit = documents.get(key)
        if hit is not None:
            body, content_type, headers = hit
            resp = Response(body, content_type=content_type, headers=headers)
            resp.corridor_tagged = True  # type: ignore[attr-defined]
            return resp
        resp = view(*args, **kwargs)
        if resp.status_code == 200 and not resp.direct_passthrough:
            # kept with what _tag would add, so that a hit needs no tagging work
            _tag_response(resp, version)
            documents.put(key, (resp.get_data(), resp.content_type or "", list(resp.headers.items())))
        return resp

    return wrapper


@cache
def _code_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("qingdao-corridor")
    except PackageNotFoundError:
        return "dev"


def collection_etag(version: str) -> str:
    """The ETag of a response that depends only on one collection (its ``version``), the
    code and the request (path, query, Accept, Accept-Language): it stays valid while other collections
    change, unlike the API-wide tag of :func:`_etag`."""
    env = request.environ
    key = "\n".join((version, _code_version(), env.get("PATH_INFO", ""),
                     env.get("QUERY_STRING", ""), env.get("HTTP_ACCEPT", ""),
                     env.get("HTTP_ACCEPT_LANGUAGE", "")))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _etag(version: str | None = None) -> str:
    """The API-wide ETag of this request: the store's data version (``version``, if the
    caller has it), the code, the path, query, Accept and Accept-Language (an HTML page's
    language may come from it)."""
    if version is None:
        from web import get_store

        version = get_store().version
    env = request.environ
    key = "\n".join((f"{version}-{current_app.extensions.get('corridor_code_version', '0')}",
                     env.get("PATH_INFO", ""), env.get("QUERY_STRING", ""),
                     env.get("HTTP_ACCEPT", ""), env.get("HTTP_ACCEPT_LANGUAGE", "")))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _vary(html: bool) -> str:
    """What a response varies with: Accept, and for an HTML page (whose language
    Accept-Language may decide) Accept-Language too."""
    return "Accept, Accept-Language" if html else "Accept"


def _tag_response(resp: Response, version: str | None = None) -> None:
    """Add the ETag, Cache-Control and ``Vary`` (:func:`_vary`) a successful GET carries
    (those the view did not set itself)."""
    h = resp.headers
    names = header_names(h)
    if "etag" not in names:  # absent: added, not set (setting looks for it again)
        h.add("ETag", f'W/"{_etag(version)}"')
    if "cache-control" not in names:
        h.add("Cache-Control", cache_control())
    add_vary(h, names, _vary(h.get("Content-Type", "").startswith("text/html")))


def register(bp: Blueprint) -> None:
    """Answer matching If-None-Match with 304; tag successful GET responses."""

    @bp.before_request
    def _not_modified() -> Response | None:
        env = request.environ
        if env.get("HTTP_IF_NONE_MATCH") and env.get("REQUEST_METHOD") in ("GET", "HEAD"):
            tag = _etag()
            if request.if_none_match.contains_weak(tag):
                resp = Response(status=304)
                resp.set_etag(tag, weak=True)
                resp.headers["Cache-Control"] = cache_control()
                from web.api.features import wants_html

                resp.headers["Vary"] = _vary(wants_html())
                return resp
        return None

    @bp.after_request
    def _tag(resp: Response) -> Response:
        if getattr(resp, "corridor_tagged", False):  # from cached_document, tagged already
            return resp
        if resp.status_code == 200 and request.environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            _tag_response(resp)
        return resp


def cache_control() -> str:
    """Reuse for :data:`MAX_AGE` what only the bundled catalog decides (it changes only with a
    new deployment); anything a layer import or edit can change is revalidated on every use
    (``no-cache``: the ETag makes that a cheap 304)."""
    from web import get_store

    cid = (request.view_args or {}).get("cid")
    if cid is not None:
        try:
            if not get_store().collection(cid).editable:
                return f"public, max-age={MAX_AGE}"
        except NotFound:
            pass
    return "no-cache"
