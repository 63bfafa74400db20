"""HTTP behaviour of the API: ETag/304, Cache-Control, compression and CORS.

Responses are a pure function of the loaded data and the request (path, query string,
Accept, Accept-Language), apart from ``timeStamp`` (the time the answer was made, which a kept answer keeps). So the ETag is a weak validator computed
from those inputs *before* the work is done: a matching ``If-None-Match`` is answered 304 at
once (:mod:`web.conditional` makes the 304). ETags derive from the data's version and the
package version: stable across restarts and workers, new whenever the served data (a layer
edit, too) or the code changes. Every successful GET of the API is kept: its final bytes and their gzip form, with its
ETag, in a cache bounded in bytes and entries (:func:`responses`), keyed on what decides the
answer (:func:`response_key`). A repeated request is one look-up: no view, no compression, no
tagging. A response too large to keep is compressed the same way, once, and served without
being kept. CORS is flask-cors: an answer is kept once flask-cors has added its headers
(:func:`keep_final`), and flask-cors leaves a response that carries them as it is.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from urllib.parse import unquote_plus

from flask import Blueprint, Flask, Response, request
from flask_cors import CORS

from corridor.errors import NotFound
from web.cache import BoundedCache, app_cache
from web.conditional import (
    Body,
    FinalResponse,
    add_vary,
    header_names,
    is_fresh,
    not_modified,
    respond,
)
from web.extensions import get_store
from web.negotiate import answers_html
from web.ops import content_security_policy, script_hashes

#: Seconds clients and proxies may reuse an API response.
MAX_AGE = 300


def init_app(app: Flask) -> None:
    """Register CORS on the app (only for ``/api/*``), and the hook that keeps a GET's
    answer once every other hook has had its say (:func:`keep_final`)."""
    # Flask runs after_request hooks last-registered first: keep_final runs last of all,
    # one_vary_header after flask-cors
    app.after_request(keep_final)
    app.after_request(one_vary_header)
    origins = str(app.config.get("CORS_ORIGINS") or "*").strip()
    allowed: str | list[str] = "*" if origins == "*" else [o.strip() for o in origins.split(",")]
    CORS(app, send_wildcard=allowed == "*", resources={r"/api/*": {"origins": allowed, "methods": ["GET", "HEAD", "OPTIONS"],
                                      "expose_headers": ["ETag", "Content-Crs", "Link",
                                                         "Content-Coord-Sys", "OATiles-hint"]}})


def keep_final(resp: Response) -> Response:
    """Keep the answer a view left for the response cache (:func:`keep`), with the headers
    the app's later hooks added to it: flask-cors's (which leaves a response that already
    carries ``Access-Control-Allow-Origin`` as it is, so a kept answer is not evaluated
    again) and the merged ``Vary``. The key holds the request's ``Origin``, which flask-cors's
    answer may echo."""
    env = request.environ
    kept: CachedResponse | None = env.pop(_PENDING, None)
    if kept is not None and resp.status_code in (200, 204) and _KEY in env:
        responses().put(env[_KEY], kept.with_headers_of(resp))
    return resp


def one_vary_header(resp: Response) -> Response:
    """Merge the response's ``Vary`` headers into one (flask-cors adds its ``Vary: Origin``
    as a second header, where one list is easier on caches and clients)."""
    varies = resp.headers.getlist("Vary")
    if len(varies) > 1:
        names = (v.strip() for value in varies for v in value.split(","))
        resp.headers["Vary"] = ", ".join(dict.fromkeys(n for n in names if n))
    return resp


#: Bytes of API responses kept per app (both forms), and how many responses at most.
MAX_RESPONSE_BYTES = 128 * 2**20
MAX_RESPONSES = 8192
#: A response larger than this (both forms) is served but not kept: one such answer would
#: push out hundreds of others.
MAX_KEPT_BYTES = 8 * 2**20
_KEY = "corridor.response_key"
_PENDING = "corridor.response_to_keep"
#: Headers a :class:`CachedResponse` holds in its own fields (or :func:`respond` makes).
_OWN_HEADERS = frozenset({"content-type", "content-length", "content-encoding", "etag",
                          "cache-control", "vary"})


@dataclass(frozen=True)
class CachedResponse:
    """An API response's final bytes (both forms) and the headers a 200 of it carries."""

    body: Body
    content_type: str
    etag: str
    weak: bool
    cache_control: str
    vary: str
    #: The view's other headers (e.g. Content-Crs, Link, Content-Disposition).
    headers: tuple[tuple[str, str], ...]

    @property
    def nbytes(self) -> int:
        """What the entry costs a byte-bounded cache."""
        return self.body.nbytes + sum(len(k) + len(v) for k, v in self.headers)

    def with_headers_of(self, resp: Response) -> CachedResponse:
        """This answer with the other headers and the ``Vary`` of ``resp`` (its final
        response, after every hook)."""
        h = resp.headers
        others = tuple((k, v) for k, v in h.items() if k.lower() not in _OWN_HEADERS)
        return replace(self, vary=h.get("Vary", self.vary), headers=others)

    def serve(self) -> Response:
        """This response to the current request: 304, gzip or identity (:func:`respond`)."""
        return respond(self.body, self.content_type, self.etag, weak=self.weak,
                       cache_control=self.cache_control, vary=self.vary, headers=self.headers)


def responses() -> BoundedCache[CachedResponse]:
    """The current app's response cache."""
    return app_cache("corridor_responses", MAX_RESPONSE_BYTES, lambda r: r.nbytes, MAX_RESPONSES)


def response_key() -> tuple[str, str, str, str, tuple[str, ...], str, str, str]:
    """What decides a GET's answer: the data version, the URL (host, path, the query in
    :func:`normal_query` form) and the headers that negotiate format and language (Accept,
    Accept-Language), and the ``Origin`` the CORS headers answer. The encoding is not in the key: an entry holds both forms and
    :func:`respond` picks one."""
    env = request.environ
    return (get_store().version, env.get("HTTP_HOST", ""), env.get("SCRIPT_NAME", ""),
            env.get("PATH_INFO", ""), normal_query(env.get("QUERY_STRING", "")),
            env.get("HTTP_ACCEPT", ""), env.get("HTTP_ACCEPT_LANGUAGE", ""),
            env.get("HTTP_ORIGIN", ""))


@lru_cache(maxsize=1024)
def normal_query(query_string: str) -> tuple[str, ...]:
    """A query string as the response cache keys it: its ``name=value`` parts as sent
    (still percent-encoded, so a part's ``&`` or ``=`` cannot run into the next), in the
    order of their decoded names, the parts of one name in their own order. Two queries
    that differ only in the order of their names get one entry; any other difference gets
    its own. Remembered per query string: 1,024 of them, each at most ``MAX_URL_LENGTH``."""
    if not query_string:
        return ()
    return tuple(sorted(query_string.split("&"), key=lambda part: unquote_plus(part.partition("=")[0])))


def _kept(resp: Response) -> CachedResponse:
    """What the response cache keeps of a view's tagged 200 response."""
    h = resp.headers
    data = resp.get_data()
    others = [(k, v) for k, v in h.items() if k.lower() not in _OWN_HEADERS]
    content_type = resp.content_type or ""
    if content_type.startswith("text/html") and "content-security-policy" not in header_names(h):
        # the app's page policy reads the body, which may go out gzipped: decided here
        others.append(("Content-Security-Policy",
                       content_security_policy(script_hashes(data.decode()))))
    etag, weak = resp.get_etag()  # _tag_response made sure there is one
    return CachedResponse(Body.of(data), content_type, str(etag), bool(weak),
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
    """Serve repeated GETs from the response cache (:func:`responses`); answer a matching
    If-None-Match with 304 before any work; tag and keep successful GET responses."""

    @bp.before_request
    def _from_cache() -> Response | None:
        env = request.environ
        if env.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        key = env[_KEY] = response_key()
        kept = responses().get(key)
        if kept is not None:
            return kept.serve()
        if env.get("HTTP_IF_NONE_MATCH"):
            tag = request_etag(key[0])
            if is_fresh(tag):
                return not_modified(tag, True, cache_control(), _vary(answers_html()))
        return None

    @bp.after_request
    def _keep(resp: Response) -> Response:
        if isinstance(resp, FinalResponse) or resp.status_code != 200:
            return resp  # from the caches (made by respond), or not a success
        key = request.environ.get(_KEY)
        if key is None:  # not a GET
            return resp
        _tag_response(resp, key[0])
        if resp.direct_passthrough or resp.is_streamed:
            return resp  # a file sent as it is read
        return keep(_kept(resp))  # too large to keep: served all the same, gzipped once


def keep(kept: CachedResponse) -> Response:
    """``kept`` served to this GET, and kept in the response cache (unless larger than
    :data:`MAX_KEPT_BYTES`) once the app's last hook has run (:func:`keep_final`). For a
    view that makes its own :class:`~web.conditional.Body` (a tile)."""
    env = request.environ
    if _KEY in env and kept.nbytes <= MAX_KEPT_BYTES:
        env[_PENDING] = kept
    return kept.serve()


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
