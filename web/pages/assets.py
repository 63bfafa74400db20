"""Leaflet and folium-plugin scripts and stylesheets, served by the app itself.

The files come from the ``folium-offline`` package, which bundles the exact files folium's
classes link to on CDNs (keyed by those URLs, images inlined as data URIs). Only the files a
map built by :mod:`web.map.build` declares are served; the page never leaves the app's host.
"""

from __future__ import annotations

from functools import cache

from flask import Response, abort

from web.map.build import asset_files
from web.pages.blueprint import bp

_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


@cache
def vendored() -> dict[str, str]:
    """File name -> file text, for every asset the map uses (loaded once)."""
    from offlinefolium.elements import _res  # the package's URL -> content table

    files = asset_files()
    missing = sorted(name for name, url in files.items() if url not in _res)
    if missing:
        raise RuntimeError(f"folium-offline lacks {', '.join(missing)}; pin folium to its version")
    return {name: _res[url] for name, url in files.items()}


@bp.get("/vendor/<name>")
def vendor(name: str) -> Response:
    text = vendored().get(name)
    suffix = name[name.rfind("."):]
    if text is None or suffix not in _TYPES:
        abort(404)
    resp = Response(text, mimetype=_TYPES[suffix].split(";")[0])
    resp.headers["Content-Type"] = _TYPES[suffix]
    resp.cache_control.public = True
    resp.cache_control.max_age = 86400
    return resp
