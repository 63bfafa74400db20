"""The app's bounded caches (:mod:`web.cache`) and the one conditional GET and gzip of final
bytes (:mod:`web.conditional`) that the API documents, the pages and the tiles share."""

from __future__ import annotations

import gzip
import threading

import pytest
from conftest import MINI_GEODATA

from web.cache import BoundedCache, app_cache
from web.conditional import ENTRY_OVERHEAD, GZIP_MIN_BYTES, Body, respond
from web.ops import script_hashes


def test_least_recently_used_goes_first():
    cache: BoundedCache[int] = BoundedCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recently used
    cache.put("c", 3)
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3
    assert len(cache) == 2


def test_a_byte_bound_counts_bytes_not_entries():
    cache: BoundedCache[Body] = BoundedCache(10_000, lambda b: b.nbytes)
    small = Body.of(b"x" * 100)  # below GZIP_MIN_BYTES: one form only
    assert small.gzipped is None and small.nbytes == 100 + ENTRY_OVERHEAD
    for i in range(50):
        cache.put(i, small)
    assert cache.currsize <= 10_000 and len(cache) == 10_000 // small.nbytes
    assert cache.get(49) is small and cache.get(0) is None
    # a body larger than the whole cache is not kept, and evicts nothing
    held = len(cache)
    cache.put("huge", Body(b"y" * 20_000, None))
    assert cache.get("huge") is None and len(cache) == held


def test_a_byte_bound_cache_can_bound_its_entries_too():
    """Both bounds hold: many small bodies stop at max_entries, a few large ones at the bytes."""
    cache: BoundedCache[Body] = BoundedCache(100_000, lambda b: b.nbytes, max_entries=5)
    for i in range(20):
        cache.put(i, Body(b"x" * 10, None))
    assert len(cache) == 5 and cache.get(19) is not None and cache.get(14) is None
    for i in range(20):
        cache.put(("big", i), Body(b"y" * 30_000, None))
    assert len(cache) == 3 and cache.currsize <= 100_000


def test_an_empty_body_still_costs_its_entry():
    """204 tiles have no bytes: without the overhead a byte bound would hold any number."""
    cache: BoundedCache[Body] = BoundedCache(10 * ENTRY_OVERHEAD, lambda b: b.nbytes)
    for i in range(100):
        cache.put(i, Body.of(b""))
    assert len(cache) == 10


def test_threads_share_a_cache_safely():
    cache: BoundedCache[int] = BoundedCache(64)
    errors = []

    def work(n: int) -> None:
        try:
            for i in range(2_000):
                cache.put((n, i % 100), i)
                cache.get((n, (i * 7) % 100))
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(cache) == 64


def test_caches_are_per_app(mini_app):
    from web import create_app

    other = create_app({"TESTING": True, "GEODATA_DIR": str(MINI_GEODATA)})
    with mini_app.app_context():
        mine = app_cache("corridor_test_cache", 4)
        assert app_cache("corridor_test_cache", 99) is mine and mine.maxsize == 4
    with other.app_context():
        assert app_cache("corridor_test_cache", 4) is not mine


def test_body_keeps_a_reproducible_gzip_form():
    data = b'{"type":"FeatureCollection"}' * 100
    a, b = Body.of(data), Body.of(data)
    assert a.gzipped == b.gzipped and gzip.decompress(a.gzipped) == data  # no timestamp in it
    assert Body.of(b"x" * (GZIP_MIN_BYTES - 1)).gzipped is None


@pytest.mark.parametrize(("headers", "status", "encoding"), [
    ({}, 200, None),
    ({"Accept-Encoding": "gzip"}, 200, "gzip"),
    ({"Accept-Encoding": "br"}, 200, None),
    ({"If-None-Match": 'W/"tag-1"'}, 304, None),
    ({"If-None-Match": '"tag-1"', "Accept-Encoding": "gzip"}, 304, None),  # weak comparison
    ({"If-None-Match": '"other", "tag-1"'}, 304, None),
    ({"If-None-Match": '"other"'}, 200, None),
])
def test_respond(mini_app, headers, status, encoding):
    body = Body.of(b"<p>page</p>" * 100)
    with mini_app.test_request_context("/", headers=headers):
        resp = respond(body, "text/html; charset=utf-8", "tag-1", weak=True, cache_control="no-cache",
                       vary="Accept-Language", headers=[("X-Extra", "1")])
    assert resp.status_code == status
    assert resp.headers["ETag"] == 'W/"tag-1"' and resp.headers["Cache-Control"] == "no-cache"
    assert resp.headers.getlist("Vary") == ["Accept-Language, Accept-Encoding"]
    assert resp.headers.get("Content-Encoding") == encoding
    assert resp.headers["X-Extra"] == "1"  # on a 304 too: a cache updates the stored headers
    if status == 304:
        assert resp.get_data() == b"" and "Content-Type" not in resp.headers
    else:
        data = resp.get_data()
        assert (gzip.decompress(data) if encoding else data) == body.data


def test_respond_without_a_body_is_204(mini_app):
    with mini_app.test_request_context("/"):
        resp = respond(Body.of(b""), "application/vnd.mapbox-vector-tile", "t", weak=True,
                       cache_control="public, max-age=300", vary="Accept-Encoding")
    assert resp.status_code == 204 and not resp.get_data() and "Content-Type" not in resp.headers
    assert resp.headers["Vary"] == "Accept-Encoding" and resp.headers["ETag"] == 'W/"t"'


@pytest.mark.parametrize("query", ["", "?f=html"])
def test_api_documents_are_kept_with_their_gzip_form(query):
    """A cached API document goes out gzipped from memory (no compression per request), the
    same bytes as the plain one, with one ETag; an HTML one keeps its page policy."""
    from web import create_app

    client = create_app({"TESTING": True, "GEODATA_DIR": str(MINI_GEODATA)}).test_client()
    path = "/api/collections" + query
    plain = client.get(path)
    for _ in range(2):  # built, then served from the cache
        zipped = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert zipped.status_code == 200 and zipped.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(zipped.data) == plain.data
        assert zipped.headers["ETag"] == plain.headers["ETag"]
        assert len(zipped.headers.getlist("Vary")) == 1
        assert {"Accept", "Accept-Encoding"} <= {v.strip() for v in zipped.headers["Vary"].split(",")}
    if query:
        csp = zipped.headers["Content-Security-Policy"]
        assert all(h in csp for h in script_hashes(plain.get_data(as_text=True)))
    again = client.get(path, headers={"If-None-Match": plain.headers["ETag"], "Accept-Encoding": "gzip"})
    assert again.status_code == 304 and not again.data
