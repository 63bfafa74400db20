"""Links of API responses: absolute URLs with the current query, and the alternates."""

from __future__ import annotations

from typing import Any

from flask import request, url_for

from web.api.formats import MEDIA_TYPES

_TITLES = {
    "json": "this document as JSON", "geojson": "this document as GeoJSON",
    "html": "this document as HTML", "csv": "this document as CSV",
    "gpkg": "this document as GeoPackage", "kml": "this document as KML",
}


def url(endpoint: str, **values: Any) -> str:
    """Absolute URL of an API endpoint (``endpoint`` without the ``api.`` prefix)."""
    return url_for(f"api.{endpoint}", _external=True, **values)


def with_args(**changes: Any) -> str:
    """The current request URL with some query parameters changed (None removes one)."""
    args = {k: v for k, v in request.args.items()}
    for k, v in changes.items():
        if v is None:
            args.pop(k, None)
        else:
            args[k] = str(v)
    endpoint = request.endpoint or "api.landing"
    return url_for(endpoint, _external=True, **(request.view_args or {}), **args)


def self_and_alternates(fmt: str, formats: tuple[str, ...]) -> list[dict[str, str]]:
    """``self`` in the chosen format and an ``alternate`` link for each other format."""
    links = [{"href": with_args(f=fmt), "rel": "self", "type": MEDIA_TYPES[fmt],
              "title": _TITLES[fmt]}]
    for other in formats:
        if other != fmt:
            links.append({"href": with_args(f=other), "rel": "alternate",
                          "type": MEDIA_TYPES[other], "title": _TITLES[other]})
    return links


def link(href: str, rel: str, fmt: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": MEDIA_TYPES[fmt], "title": title}
