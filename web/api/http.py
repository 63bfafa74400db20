"""HTTP behaviour of the API: ETag/304, Cache-Control, compression and CORS.

Responses are a pure function of the loaded data and the request (path, query string,
Accept, Accept-Language), apart from ``timeStamp``. So the ETag is a weak validator computed
from those inputs *before* the work is done: a matching ``If-None-Match`` is answered 304 at
once (:mod:`web.conditional` makes the 304). ETags derive from the data's version and the
package version: stable across restarts and workers, new whenever the served data (a layer
edit, too) or the code changes. Fixed documents are kept with their gzip form
(:func:`cached_document`); other responses are compressed by Flask-Compress (gzip/br/zstd,
by Accept-Encoding). CORS is flask-cors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, wraps
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Any

from flask import Blueprint, Flask, Response, request
from flask_compress import Compress
from flask_cors import CORS

from corridor.errors import NotFound
from web.cache import BoundedCache, app_cache
from web.conditional import Body, add_vary, header_names, is_fresh, not_modified, respond
from web.extensions import get_store
from web.negotiate import answers_html
from web.ops import content_security_policy, script_hashes

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
    # Flask runs after_request hooks last-registered first: this one, registered between
    # Flask-Compress and flask-cors, runs after flask-cors and before Flask-Compress
    app.after_request(one_vary_header)
    origins = str(app.config.get("CORS_ORIGINS") or "*").strip()
    allowed: str | list[str] = "*" if origins == "*" else [o.strip() for o in origins.split(",")]
    CORS(app, send_wildcard=allowed == "*", resources={r"/api/*": {"origins": allowed, "methods": ["GET", "HEAD", "OPTIONS"],
                                      "expose_headers": ["ETag", "Content-Crs", "Link",
                                                         "Content-Coord-Sys", "OATiles-hint"]}})


def one_vary_header(resp: Response) -> Response:
    """Merge the response's ``Vary`` headers into one (flask-cors adds its ``Vary: Origin``
    as a second header, which Flask-Compress, rewriting the first, would drop)."""
    varies = resp.headers.getlist("Vary")
    if len(varies) > 1:
        names = (v.strip() for value in varies for v in value.split(","))
        resp.headers["Vary"] = ", ".join(dict.fromkeys(n for n in names if n))
    return resp


#: Bytes of API documents kept per app (landing, conformance, collections, queryables,
#: indicators, statistics, tilesets; a few kB each, both forms).
MAX_DOCUMENT_BYTES = 16 * 2**20


@dataclass(frozen=True)
class CachedDocument:
    """An API document's final bytes and the headers a 200 of it carries."""

    body: Body
    content_type: str
    etag: str
    weak: bool
    cache_control: str
    vary: str
    #: The view's other headers (e.g. Content-Disposition, Content-Security-Policy).
    headers: tuple[tuple[str, str], ...]


def cached_document(view: Callable[..., Response]) -> Callable[..., Response]:
    """Serve ``view``'s 200 responses from memory, built once per data version and request.

    For the API's fixed documents: a pure function of the data, the URL (host, path, query)
    and the headers that negotiate (Accept, Accept-Language), which form the key. The
    document is kept with its gzip form (:class:`web.conditional.Body`), so a request for it
    does no rendering and no compression.
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        env = request.environ
        version = get_store().version
        key = (version, env.get("HTTP_HOST", ""), env.get("SCRIPT_NAME", ""),
               env.get("PATH_INFO", ""), env.get("QUERY_STRING", ""), env.get("HTTP_ACCEPT", ""),
               env.get("HTTP_ACCEPT_LANGUAGE", ""))
        documents: BoundedCache[CachedDocument] = app_cache(
            "corridor_api_documents", MAX_DOCUMENT_BYTES, lambda d: d.body.nbytes + 64 * len(d.headers))
        doc = documents.get(key)
        if doc is None:
            resp = view(*args, **kwargs)
            if resp.status_code != 200 or resp.direct_passthrough:
                return resp
            doc = _document(resp, version)
            documents.put(key, doc)
        served = respond(doc.body, doc.content_type, doc.etag, weak=doc.weak,
                         cache_control=doc.cache_control, vary=doc.vary, headers=doc.headers)
        served.corridor_tagged = True  # type: ignore[attr-defined]
        return served

    return wrapper


def _document(resp: Response, version: str) -> CachedDocument:
    """What :func:`cached_document` keeps of a view's 200 response."""
    _tag_response(resp, version)
    h = resp.headers
    data = resp.get_data()
    others = [(k, v) for k, v in h.items()
              if k.lower() not in ("content-type", "content-length", "etag", "cache-control", "vary")]
    content_type = resp.content_type or ""
    if content_type.startswith("text/html") and "content-security-policy" not in header_names(h):
        # the app's page policy reads the body, which may go out gzipped: decided here
        others.append(("Content-Security-Policy",
                       content_security_policy(script_hashes(data.decode()))))
    etag, weak = resp.get_etag()  # _tag_response made sure there is one
    return CachedDocument(Body.of(data), content_type, str(etag), bool(weak),
                          h.get("Cache-Control", cache_control()), h.get("Vary", ""), tuple(others))


@cache
def _code_version() -> str:
    try:
        return package_version("qingdao-corridor")
    except PackageNotFoundError:
        return "dev"


def request_etag(version: str) -> str:
    """The ETag of this request's answer when it depends on data of version ``version``
    (the store's, or one collection's: then it stays valid while other collections change),
    the code, and the request: path, query, Accept and Accept-Language (an HTML page's
    language may come from it)."""
    env = request.environ
    key = "\n".join((version, _code_version(), env.get("PATH_INFO", ""),
                     env.get("QUERY_STRING", ""), env.get("HTTP_ACCEPT", ""),
                     env.get("HTTP_ACCEPT_LANGUAGE", "")))
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
        h.add("ETag", f'W/"{request_etag(get_store().version if version is None else version)}"')
    if "cache-control" not in names:
        h.add("Cache-Control", cache_control())
    add_vary(h, names, _vary(h.get("Content-Type", "").startswith("text/html")))


def register(bp: Blueprint) -> None:
    """Answer matching If-None-Match with 304; tag successful GET responses."""

    @bp.before_request
    def _not_modified() -> Response | None:
        env = request.environ
        if env.get("HTTP_IF_NONE_MATCH") and env.get("REQUEST_METHOD") in ("GET", "HEAD"):
            tag = request_etag(get_store().version)
            if is_fresh(tag):
                return not_modified(tag, True, cache_control(), _vary(answers_html()))
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
    cid = (request.view_args or {}).get("cid")
    if cid is not None:
        try:
            if not get_store().collection(cid).editable:
                return f"public, max-age={MAX_AGE}"
        except NotFound:
            pass
    return "no-cache"
