"""Pages rendered once per language and data version, then served from memory with their
gzip form and an ETag.

A page's HTML depends only on the store's data version, the page's path, its query string
(the language switch keeps every parameter) and the language it resolved to; that is the
cache key. The cache is per app, bounded by bytes (least recently used pages are dropped),
and keeps each page's gzip bytes (:class:`web.conditional.Body`) so a request does no
rendering and no compression; :func:`web.conditional.respond` answers it (304, gzip, Vary).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Response, current_app, request

from web.cache import BoundedCache
from web.conditional import Body, respond
from web.extensions import get_store
from web.negotiate import page_lang
from web.ops import content_security_policy, script_hashes

#: Bytes of pages kept per app, both forms (a page is a few hundred kB at most, the map
#: page the largest at about 1 MB; its gzip form a fifth of that): every page of one data
#: version in both languages, and a few versions' maps while they age out. With the map
#: parts (:data:`web.pages.mapview.MAX_MAPS`) this is what bounds a worker's growth under
#: edits (benchmarks/bench_memory.py).
MAX_PAGE_BYTES = 32 * 2**20
#: Seconds browsers may reuse a page before revalidating it (with its ETag).
PAGE_MAX_AGE = 60


@dataclass(frozen=True)
class CachedPage:
    """A rendered page: its bytes (both forms), its ETag and its inline scripts' hashes."""

    body: Body
    etag: str
    #: SHA-256 CSP sources of the page's inline scripts (see :mod:`web.ops`).
    script_hashes: list[str]


class PageCache:
    """A bounded, thread-safe map from page key to :class:`CachedPage`.

    Parameters
    ----------
    max_bytes
        The bound on the pages' bytes (both forms).
    """

    def __init__(self, max_bytes: int = MAX_PAGE_BYTES) -> None:
        self._pages: BoundedCache[CachedPage] = BoundedCache(max_bytes, lambda p: p.body.nbytes)
        #: How many pages were rendered (not served from the cache): the tests observe it.
        self.renders = 0

    def get(self, key: Hashable) -> CachedPage | None:
        return self._pages.get(key)

    @property
    def nbytes(self) -> float:
        """Bytes held now (both forms of every page), at most ``max_bytes``."""
        return self._pages.currsize

    def put(self, key: Hashable, html: str) -> CachedPage:
        """Keep the page ``html`` under ``key`` (with its gzip form, ETag and script hashes)."""
        data = html.encode()
        page = CachedPage(Body.of(data), hashlib.sha256(data).hexdigest()[:32], script_hashes(html))
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
               tuple(sorted(request.args.items(multi=True))), page_lang())
        cache = page_cache()
        page = cache.get(key)
        if page is None:
            page = cache.put(key, view(*args, **kwargs))
        return respond(page.body, "text/html; charset=utf-8", page.etag, weak=False,
                       cache_control=f"public, max-age={PAGE_MAX_AGE}", vary="Accept-Language",
                       headers=[("Content-Security-Policy", content_security_policy(page.script_hashes))])

    return wrapper
