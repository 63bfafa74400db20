"""Conditional GET and compression of final bytes, written once for the API documents
(:mod:`web.api.http`), the pages (:mod:`web.pages.cache`) and the vector tiles
(:mod:`web.api.tiles`).

A cached response body is kept as a :class:`Body`: its bytes and their gzip form, made once
when the body is made, so a request does no compression. :func:`respond` answers a GET of a
body: ``304 Not Modified`` when ``If-None-Match`` names its ETag (weak comparison, as RFC
9110 asks of If-None-Match), else the body (its gzip form when the client accepts gzip),
with the ETag, ``Cache-Control`` and one ``Vary`` header, as a :class:`FinalResponse`.
Responses too large to keep are compressed by Flask-Compress (:mod:`web.api.http`).
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from dataclasses import dataclass

from flask import Response, request
from werkzeug.datastructures import Headers

from web.negotiate import accepts_gzip

#: Bodies smaller than this are kept and sent as they are (gzip would not pay for itself).
GZIP_MIN_BYTES = 512
#: What a cache entry costs besides its bytes (key, object headers): an empty body is not free.
ENTRY_OVERHEAD = 256


class FinalResponse(Response):
    """A response made by :func:`respond` or :func:`not_modified`: final bytes, validators and
    caching headers set. The API's response cache (:mod:`web.api.http`) keeps no second copy
    of it, and tags it no further; Flask-Compress leaves it alone (it is gzipped already, or
    below the size worth compressing, or the client takes no gzip)."""


@dataclass(frozen=True)
class Body:
    """The final bytes of a response and their gzip form (None when too small to gain)."""

    data: bytes
    gzipped: bytes | None

    @classmethod
    def of(cls, data: bytes, min_size: int = GZIP_MIN_BYTES) -> Body:
        """``data`` with its gzip form: level 1, nginx's default ``gzip_comp_level`` (a near
        answer of 43 kB: 0.39 ms to 14.4 kB, where level 6 takes 1.0 ms to 12.7 kB); no
        timestamp, so the same bytes give the same gzip bytes in every worker."""
        packed = gzip.compress(data, compresslevel=1, mtime=0) if len(data) >= min_size else None
        return cls(data, packed)

    @property
    def nbytes(self) -> int:
        """Bytes held, both forms and :data:`ENTRY_OVERHEAD` (a cache's ``getsizeof``)."""
        return len(self.data) + len(self.gzipped or b"") + ENTRY_OVERHEAD


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


def is_fresh(etag: str) -> bool:
    """Whether this GET's ``If-None-Match`` names ``etag`` (weak comparison)."""
    return bool(request.environ.get("HTTP_IF_NONE_MATCH")) and request.if_none_match.contains_weak(etag)


def not_modified(etag: str, weak: bool, cache_control: str, vary: str) -> FinalResponse:
    """A ``304 Not Modified`` with the validator and the caching headers a 200 would carry."""
    resp = FinalResponse(status=304)
    del resp.headers["Content-Type"]  # no body
    _validators(resp, etag, weak, cache_control, vary)
    return resp


def respond(body: Body | None, content_type: str, etag: str, *, weak: bool, cache_control: str,
            vary: str, headers: Iterable[tuple[str, str]] = ()) -> FinalResponse:
    """The answer to a GET of ``body``: 304 when :func:`is_fresh`, else ``body``.

    Parameters
    ----------
    body
        The bytes, or None (or empty) for ``204 No Content``.
    content_type
        The body's ``Content-Type`` (with its charset, for text).
    etag
        Its entity tag (without quotes), weak when ``weak``.
    cache_control, vary
        The ``Cache-Control`` value, and what the response varies with besides
        ``Accept-Encoding`` (which is added when there is a gzip form), e.g.
        ``"Accept-Language"``; empty for nothing.
    headers
        More headers of the response, on a 304 too (a cache updates the stored response's
        headers from a 304: a page's Content-Security-Policy must survive revalidation).
    """
    if body is not None and body.gzipped is not None:
        vary = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
    if is_fresh(etag):
        resp = not_modified(etag, weak, cache_control, vary)
    elif body is None or not body.data:
        resp = FinalResponse(status=204)
        del resp.headers["Content-Type"]
    elif body.gzipped is not None and accepts_gzip():
        resp = FinalResponse(body.gzipped, content_type=content_type)
        resp.headers["Content-Encoding"] = "gzip"
    else:
        resp = FinalResponse(body.data, content_type=content_type)
    if resp.status_code != 304:
        _validators(resp, etag, weak, cache_control, vary)
    for name, value in headers:
        resp.headers[name] = value
    return resp


def _validators(resp: Response, etag: str, weak: bool, cache_control: str, vary: str) -> None:
    resp.set_etag(etag, weak=weak)
    resp.headers["Cache-Control"] = cache_control
    if vary:
        resp.headers["Vary"] = vary  # a new response: no Vary yet
