"""Pages rendered once per language and data version, then served from memory with their
gzip form and an ETag.

A page's HTML depends only on the store's data version, the page's path, its query string
(the language switch keeps every parameter) and the language it resolved to; that is the
cache key. The cache is per app, bounded (least recently used pages are dropped), and keeps
each page's gzip bytes so a request does no rendering and no compression.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Response, current_app, request

from web import get_store
from web.lru import LRU
from web.ops import content_security_policy, script_hashes
from web.pages.lang import current_lang

#: Pages kept per app (each a few hundred kB at most; the map page is the largest).
MAX_PAGES = 256
#: Seconds browsers may reuse a page before revalidating it (with its ETag).
PAGE_MAX_AGE = 60


@dataclass(frozen=True)
class CachedPage:
    html: bytes
    gzipped: bytes
    etag: str
    #: SHA-256 CSP sources of the page's inline scripts (see :mod:`web.ops`).
    script_hashes: list[str]


class PageCache:
    """A bounded, thread-safe map from page key to :class:`CachedPage`."""

    def __init__(self, max_pages: int = MAX_PAGES) -> None:
        self._pages: LRU[CachedPage] = LRU(max_pages)
        #: How many pages were rendered (not served from the cache): the tests observe it.
        self.renders = 0

    def get(self, key: tuple[Any, ...]) -> CachedPage | None:
        return self._pages.get(key)

    def put(self, key: tuple[Any, ...], html: str) -> CachedPage:
        body = html.encode()
        page = CachedPage(body, gzip.compress(body, compresslevel=6, mtime=0),
                          hashlib.sha256(body).hexdigest()[:32], script_hashes(html))
        self.renders += 1
        self._pages.put(key, page)
        return page


def page_cache() -> PageCache:
    """The current app's page cache (created with the app)."""
    cache: PageCache = current_app.extensions["corridor_page_cache"]
    return cache


def cached_page(view: Callable[..., str]) -> Callable[..., Response]:
    """Serve ``view``'s HTML from the page cache, rendering it on a miss.

    Errors (NotFound, InvalidParameter) raised by the view propagate to the error pages and
    are never cached.
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        key = (get_store().version, request.script_root, request.path,
               tuple(sorted(request.args.items(multi=True))), current_lang())
        cache = page_cache()
        page = cache.get(key)
        if page is None:
            page = cache.put(key, view(*args, **kwargs))
        if request.if_none_match.contains(page.etag):
            resp = Response(status=304)
        elif "gzip" in request.accept_encodings:
            resp = Response(page.gzipped, mimetype="text/html")
            resp.headers["Content-Encoding"] = "gzip"
        else:
            resp = Response(page.html, mimetype="text/html")
        resp.set_etag(page.etag)
        resp.headers["Content-Security-Policy"] = content_security_policy(page.script_hashes)
        resp.headers["Cache-Control"] = f"public, max-age={PAGE_MAX_AGE}"
        resp.headers["Vary"] = "Accept-Encoding, Accept-Language"  # a new response: no Vary yet
        return resp

    return wrapper
