"""Links of API responses: absolute URLs with the current query, and the alternates."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from flask import request, url_for

from corridor.errors import NotFound
from corridor.stats import BY, DEFAULT_KM, zone_collection
from corridor.store import FeatureStore
from web.cache import BoundedCache, app_cache
from web.negotiate import MEDIA_TYPES

#: OGC link relations of the tiles resources (OGC API - Tiles, 2D TMS).
REL_TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
REL_TILING_SCHEMES = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
REL_TILESETS_VECTOR = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
REL_GEODATA = "http://www.opengis.net/def/rel/ogc/1.0/geodata"

_TITLES = {
    "json": "this document as JSON", "geojson": "this document as GeoJSON",
    "html": "this document as HTML", "csv": "this document as CSV",
    "gpkg": "this document as GeoPackage", "kml": "this document as KML",
}


#: Absolute URLs already built, per app: a URL is a pure function of the route and values
#: and of the request's scheme, host and mount point, which the keys hold.
MAX_URLS = 4096


def _origin(env: dict[str, Any]) -> tuple[str, str, str, str, str]:
    """What an absolute URL of this request depends on besides the route: scheme, host (or
    server name and port) and the mount point."""
    return (env.get("wsgi.url_scheme", ""), env.get("HTTP_HOST", ""), env.get("SERVER_NAME", ""),
            env.get("SERVER_PORT", ""), env.get("SCRIPT_NAME", ""))


#: Text a query string holds as it is (quote_plus leaves it alone).
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


def _quoted(text: str) -> str:
    """``quote_plus(text)``, without its work for the usual names, numbers and formats."""
    return text if _UNRESERVED.fullmatch(text) else quote_plus(text)


def url(endpoint: str, **values: Any) -> str:
    """Absolute URL of an API endpoint (``endpoint`` without the ``api.`` prefix), built by
    Flask's ``url_for`` once per endpoint, values and origin."""
    key = ("url", endpoint, tuple(sorted(values.items())), _origin(request.environ))
    urls: BoundedCache[str] = app_cache("corridor_urls", MAX_URLS)
    built = urls.get(key)
    if built is None:
        built = url_for(f"api.{endpoint}", _external=True, **values)
        urls.put(key, built)
    return built


def _request_parts() -> tuple[str, list[tuple[str, str]]]:
    """The request's URL without its query, and its query parameters as (name, ``k=v`` as
    sent): worked out once per request (a response builds several links from them)."""
    env = request.environ  # the request's own dict holds them for the request
    parts: tuple[str, list[tuple[str, str]]] | None = env.get("corridor.link_parts")
    if parts is None:
        raw = env.get("QUERY_STRING", "")  # as sent (WSGI: bytes decoded as latin-1)
        pairs = [(unquote_plus(p.split("=", 1)[0]), p) for p in raw.split("&") if p]
        # werkzeug's base_url, once per path and origin (it re-quotes the path every time)
        key = ("base", env.get("PATH_INFO", ""), _origin(env))
        urls: BoundedCache[str] = app_cache("corridor_urls", MAX_URLS)
        base = urls.get(key)
        if base is None:
            base = request.base_url
            urls.put(key, base)
        parts = env["corridor.link_parts"] = (base, pairs)
    return parts


def with_args(**changes: Any) -> str:
    """The current request URL with some query parameters changed (None removes one).

    Built from the request's own URL and its query string as sent (already encoded) rather
    than by routing and encoding again: every response's alternates are built this way.
    """
    base, pairs = _request_parts()
    kept = [p for name, p in pairs if name not in changes]
    kept += [f"{_quoted(k)}={_quoted(str(v))}" for k, v in changes.items() if v is not None]
    return f"{base}?{'&'.join(kept)}" if kept else base


def self_and_alternates(fmt: str, formats: tuple[str, ...]) -> list[dict[str, str]]:
    """``self`` in the chosen format and an ``alternate`` link for each other format."""
    base, pairs = _request_parts()
    kept = "&".join(p for name, p in pairs if name != "f")
    prefix = f"{base}?{kept}&f=" if kept else f"{base}?f="
    links = [{"href": prefix + _quoted(fmt), "rel": "self", "type": MEDIA_TYPES[fmt],
              "title": _TITLES[fmt]}]
    for other in formats:
        if other != fmt:
            links.append({"href": prefix + _quoted(other), "rel": "alternate",
                          "type": MEDIA_TYPES[other], "title": _TITLES[other]})
    return links


def link(href: str, rel: str, fmt: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": MEDIA_TYPES[fmt], "title": title}


def statistics_links(store: FeatureStore, cid: str) -> list[dict[str, str]]:
    """Links to ``cid``'s statistics by each kind of zone the store has."""
    out = []
    for by in BY:
        try:
            zones = zone_collection(store, by)
        except NotFound:
            continue
        extra = {"km": f"{DEFAULT_KM:g}"} if by == "campus" else {}
        title = (f"statistics: features within {DEFAULT_KM:g} km of each campus ({zones})"
                 if by == "campus" else f"statistics: features per {by} ({zones})")
        out.append(link(url("statistics", cid=cid, by=by, **extra), "related", "json", title))
    return out
