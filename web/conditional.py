"""Conditional GET and compression of final bytes, written once for the API documents
(:mod:`web.api.http`), the pages (:mod:`web.pages.cache`) and the vector tiles
(:mod:`web.api.tiles`).

A cached response body is kept as a :class:`Body`: its bytes and their gzip form, made once
when the body is made, so a request does no compression. :func:`respond` answers a GET of a
body: ``304 Not Modified`` when ``If-None-Match`` names its ETag (weak comparison, as RFC
9110 asks of If-None-Match), else the body (its gzip form when the client accepts gzip),
with the ETag, ``Cache-Control`` and one ``Vary`` header, as a :class:`FinalResponse`.
A response too large to keep is made a :class:`Body` all the same (:mod:`web.api.http`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import Response, request
from isal import igzip
from werkzeug.datastructures import Headers
from werkzeug.http import quote_etag

from web.negotiate import accepts_gzip

#: Bodies smaller than this are kept and sent as they are (gzip would not pay for itself).
GZIP_MIN_BYTES = 512
#: What a cache entry costs besides its bytes (key, object headers): an empty body is not free.
ENTRY_OVERHEAD = 256


class FinalResponse(Response):
    """A response made by :func:`respond` or :func:`not_modified`: final bytes, validators and
    caching headers set. The API's response cache (:mod:`web.api.http`) keeps no second copy
    of it, and tags it no further."""


@dataclass(frozen=True)
class Body:
    """The final bytes of a response and their gzip form (None when too small to gain)."""

    data: bytes
    gzipped: bytes | None

    @classmethod
    def of(cls, data: bytes, min_size: int = GZIP_MIN_BYTES) -> Body:
        """``data`` with its gzip form, made by ISA-L (python-isal) at its level 1: a near
        answer of 43 kB takes 0.13 ms to 14.6 kB, where the standard library's zlib at
        level 1 takes 0.56 ms to 14.4 kB (benchmarks/README.md, bench_http, "quiet machine"). No timestamp, so
        the same bytes give the same gzip bytes in every worker."""
        packed = igzip.compress(data, compresslevel=1, mtime=0) if len(data) >= min_size else None
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

    ``names``: :func:`header_names` of ``headers``. One header, not a second one.
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


def not_modified(etag: str, weak: bool, cache_control: str, vary: str,
                 headers: Iterable[tuple[str, str]] = ()) -> FinalResponse:
    """A ``304 Not Modified`` with the validator and the caching headers a 200 would carry,
    and ``headers``."""
    resp = FinalResponse(status=304, headers=[*_validators(etag, weak, cache_control, vary), *headers])
    del resp.headers["Content-Type"]  # no body
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
        More headers of the response (none of those above), on a 304 too (a cache updates
        the stored response's headers from a 304: a page's Content-Security-Policy must
        survive revalidation).
    """
    if body is not None and body.gzipped is not None and "Accept-Encoding" not in vary:
        vary = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
    if is_fresh(etag):
        return not_modified(etag, weak, cache_control, vary, headers)
    # the headers in one list, handed to the response as it is made (each header set one by
    # one on werkzeug's Headers looks for an earlier one of its name first)
    listed = [*_validators(etag, weak, cache_control, vary), *headers]
    if body is None or not body.data:
        resp = FinalResponse(status=204, headers=listed)
        del resp.headers["Content-Type"]
    elif body.gzipped is not None and accepts_gzip():
        listed.append(("Content-Encoding", "gzip"))
        resp = FinalResponse(body.gzipped, headers=listed, content_type=content_type)
    else:
        resp = FinalResponse(body.data, headers=listed, content_type=content_type)
    return resp


def _validators(etag: str, weak: bool, cache_control: str, vary: str) -> list[tuple[str, str]]:
    listed = [("ETag", quote_etag(etag, weak)), ("Cache-Control", cache_control)]
    if vary:
        listed.append(("Vary", vary))
    return listed
