"""What the HTTP benchmark measures: the URLs, with the answer each must give before it is
loaded, and pygeoapi's configuration for the same features (its GeoJSON provider)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.catalogs import SYNTHETIC_CID, count_in_bbox, expected_near_count
from benchmarks.harness import ServerError, fetch, server_env
from corridor.tilematrix import TMS

#: Query boxes of the items requests (lon/lat, CRS84).
UNIVERSITIES_BBOX = (120.0, 35.8, 120.8, 36.5)
SYNTHETIC_BBOX = (120.3, 36.05, 120.4, 36.15)
ITEMS_LIMIT = 10
NEAR_OF, NEAR_KM = "ouc-laoshan", 5
#: /api/near keeps its answers per question and data version, so the fixed near URL measures
#: a repeated question. This one asks from a new random point each request (central
#: Qingdao, lon 120.30-120.50, lat 36.05-36.20): every answer is computed.
NEAR_POINT = (120.38, 36.07)
NEW_POINT_SCRIPT = f"""
-- each wrk thread has its own Lua state: seeded alike (os.time() alone), the threads would
-- ask the same points in the same order, and all but the first asking would be answered
-- from the cache. setup() numbers the threads; init() seeds each with its number.
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("id", threads)
end
init = function(args)
  math.randomseed(os.time() * 1000 + id)
end
request = function()
  local lon = 120.30 + math.random() * 0.20
  local lat = 36.05 + math.random() * 0.15
  return wrk.format(nil, string.format("/api/near?of=%.6f,%.6f&km={NEAR_KM}", lon, lat))
end
"""
#: The vector tile measured: zoom 11 over central Qingdao (the tile holding NEAR_POINT), of
#: the universities collection.
TILE_ZOOM = 11
#: The park whose profile page is measured (a real id of geodata/data/parks.geojson).
PARK_ID = "park-blue-silicon-valley"

ACCEPT_JSON = "application/json"
ACCEPT_HTML = "text/html"


def pygeoapi_config(port: int, collections: dict[str, tuple[Path, str]]) -> dict[str, Any]:
    """A minimal pygeoapi configuration serving GeoJSON files with its GeoJSON provider.

    Parameters
    ----------
    port
        Port the server listens on (also its public URL).
    collections
        Collection id -> (GeoJSON file, title).
    """
    base = f"http://127.0.0.1:{port}"
    resources = {
        cid: {
            "type": "collection",
            "title": title,
            "description": f"{title} (same features as the corridor service's benchmark)",
            "keywords": ["benchmark"],
            "extents": {"spatial": {"bbox": [119.0, 35.2, 121.6, 37.4],
                                    "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
            "providers": [{"type": "feature", "name": "GeoJSON", "data": str(path),
                           "id_field": "id"}],
        }
        for cid, (path, title) in collections.items()
    }
    return {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": base,
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": ["en-US"],
            "cors": False,
            "pretty_print": False,
            "limits": {"default_items": ITEMS_LIMIT, "max_items": 10_000},
            # Only its HTML pages would show tiles; this loopback URL is never fetched here.
            "map": {"url": "http://127.0.0.1/no-tiles/{z}/{x}/{y}.png", "attribution": "none"},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {"title": "pygeoapi benchmark baseline",
                               "description": "pygeoapi serving the benchmark's GeoJSON files",
                               "keywords": ["benchmark"], "url": base,
                               "terms_of_service": "none"},
            "license": {"name": "none", "url": base},
            "provider": {"name": "benchmark"},
            "contact": {"name": "benchmark"},
        },
        "resources": resources,
    }


def write_pygeoapi_files(workdir: Path, port: int,
                         collections: dict[str, tuple[Path, str]]) -> dict[str, str]:
    """Write pygeoapi's config and OpenAPI document; return the env variables naming them.

    The config is written as JSON, which YAML parsers read as YAML (no YAML writer needed).

    Raises
    ------
    ServerError
        If ``pygeoapi openapi generate`` fails.
    """
    config = workdir / "pygeoapi-config.yml"
    openapi = workdir / "pygeoapi-openapi.yml"
    config.write_text(json.dumps(pygeoapi_config(port, collections), indent=1), encoding="utf-8")
    env = {"PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    cli = Path(sys.executable).with_name("pygeoapi")
    proc = subprocess.run([str(cli), "openapi", "generate", str(config), "--output-file",
                           str(openapi)], env=server_env(env), capture_output=True, text=True,
                          timeout=300)
    if proc.returncode != 0 or not openapi.exists():
        raise ServerError(f"pygeoapi openapi generate failed:\n{proc.stdout}\n{proc.stderr}")
    return env


@dataclass(frozen=True)
class Endpoint:
    """One URL to measure."""

    key: str
    label: str
    server: str
    path: str
    accept: str
    #: Least and most features the response may hold (equal but for a feature within the
    #: computation's slack of a distance limit); None: not a FeatureCollection.
    features: tuple[int, int] | None = None
    #: Key of our /api endpoint on the same catalog (the reference of the "x our /api" ratio).
    api_ref: str | None = None
    #: Key of the pygeoapi endpoint on the same features, if any.
    pygeoapi_ref: str | None = None
    #: A wrk Lua script making each request's path (``path`` is then only what the checks
    #: fetch once); None: every request asks for ``path``.
    script: str | None = None


def check_endpoint(ep: Endpoint, base: str, timeout: float) -> dict[str, Any]:
    """GET the endpoint once and check its status, type and feature count.

    Raises
    ------
    ServerError
        On any mismatch.
    """
    resp = fetch(base + ep.path, {"Accept": ep.accept}, timeout=timeout)
    ctype = resp.headers.get("Content-Type", "")
    info: dict[str, Any] = {"url": base + ep.path, "status": resp.status, "bytes": len(resp.body),
                            "content_type": ctype, "seconds": round(resp.seconds, 4)}
    if resp.status != 200:
        raise ServerError(f"{ep.label}: {base + ep.path} answered {resp.status}: "
                          f"{resp.body[:300]!r}")
    if ep.accept == ACCEPT_HTML and not ctype.startswith("text/html"):
        raise ServerError(f"{ep.label}: expected an HTML page, got {ctype!r}")
    if ep.features is not None:
        doc = json.loads(resp.body)
        got = len(doc.get("features", [])) if doc.get("type") == "FeatureCollection" else None
        info["features"] = got
        lo, hi = ep.features
        if got is None or not lo <= got <= hi:
            want = f"{lo}" if lo == hi else f"{lo} to {hi}"
            raise ServerError(f"{ep.label}: expected a FeatureCollection of {want} "
                              f"features, got {got}")
    return info


def make_endpoints(catalogs: dict[str, Path], small: int,
                   large: int) -> tuple[list[Endpoint], dict[str, int]]:
    """The URLs to measure on catalogs "a", "b" and "c", with the feature counts each must
    return (counted from the catalogs' files).

    Parameters
    ----------
    catalogs
        Catalog directory by name: "a" the bundled data, "b" and "c" with ``small`` and
        ``large`` synthetic points.

    Returns
    -------
    tuple
        The endpoints, and the features of the measured collection per catalog (the
        universities of "a", the synthetic points of "b" and "c").
    """
    data = {cat: path / "data" for cat, path in catalogs.items()}
    univ = json.loads((data["a"] / "universities.geojson").read_text("utf-8"))
    n_univ = len(univ["features"])
    n = min(ITEMS_LIMIT, count_in_bbox(univ, UNIVERSITIES_BBOX))
    univ_n = (n, n)
    syn_n: dict[str, tuple[int, int]] = {}
    for cat in ("b", "c"):
        doc = json.loads((data[cat] / f"{SYNTHETIC_CID}.geojson").read_text("utf-8"))
        n = min(ITEMS_LIMIT, count_in_bbox(doc, SYNTHETIC_BBOX))
        syn_n[cat] = (n, n)
    size = {"a": n_univ, "b": small, "c": large}
    ubox = ",".join(f"{v:g}" for v in UNIVERSITIES_BBOX)
    sbox = ",".join(f"{v:g}" for v in SYNTHETIC_BBOX)
    items = {"a": f"/api/collections/universities/items?bbox={ubox}&limit={ITEMS_LIMIT}",
             "b": f"/api/collections/{SYNTHETIC_CID}/items?bbox={sbox}&limit={ITEMS_LIMIT}"}
    items["c"] = items["b"]
    tile = TMS.tile(*NEAR_POINT, TILE_ZOOM)
    out = [Endpoint("bare", "bare Flask /ping", "bare", "/ping", ACCEPT_JSON)]
    out += [Endpoint(f"api@{cat}", f"ours /api ({cat})", f"ours-{cat}", "/api", ACCEPT_JSON,
                     api_ref=f"api@{cat}") for cat in ("a", "b", "c")]
    out += [Endpoint(f"items@{cat}", f"ours items+bbox @ {size[cat]:,} ({cat})", f"ours-{cat}",
                     items[cat], ACCEPT_JSON, univ_n if cat == "a" else syn_n[cat],
                     f"api@{cat}", f"pygeoapi@{cat}" if cat != "c" else None)
            for cat in ("a", "b", "c")]
    out += [
        Endpoint("pygeoapi@a", f"pygeoapi items+bbox @ {n_univ:,}", "pygeoapi",
                 items["a"].removeprefix("/api") + "&f=json", ACCEPT_JSON, univ_n),
        Endpoint("pygeoapi@b", f"pygeoapi items+bbox @ {small:,}", "pygeoapi",
                 items["b"].removeprefix("/api") + "&f=json", ACCEPT_JSON, syn_n["b"]),
        Endpoint("near@a", f"ours /api/near?of={NEAR_OF}&km={NEAR_KM} (a)", "ours-a",
                 f"/api/near?of={NEAR_OF}&km={NEAR_KM}", ACCEPT_JSON,
                 expected_near_count(catalogs["a"], NEAR_OF, NEAR_KM), "api@a"),
        Endpoint("near-new@a", f"ours /api/near from a new point each request, km={NEAR_KM} (a)",
                 "ours-a", f"/api/near?of={NEAR_POINT[0]:g},{NEAR_POINT[1]:g}&km={NEAR_KM}",
                 ACCEPT_JSON, None, "api@a", script=NEW_POINT_SCRIPT),
        Endpoint("tile@a", f"ours universities tile z{TILE_ZOOM}/{tile.y}/{tile.x} (a)", "ours-a",
                 f"/api/collections/universities/tiles/WebMercatorQuad/{TILE_ZOOM}/{tile.y}/{tile.x}",
                 "application/vnd.mapbox-vector-tile", None, "api@a"),
        Endpoint("park@a", f"ours /parks/{PARK_ID} (a)", "ours-a", f"/parks/{PARK_ID}",
                 ACCEPT_HTML, None, "api@a"),
        Endpoint("map@a", "ours / map page (a)", "ours-a", "/", ACCEPT_HTML, None, "api@a"),
    ]
    return out, size
