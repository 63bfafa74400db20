"""Park profiles for investors: ``/parks`` (all ten compared by industry) and
``/parks/<id>`` (industry focus, the plan's words, a small map, what lies within 5 and 10 km)."""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for

from corridor.catalog import Catalog
from corridor.i18n import Lang
from corridor.mapgeom import distance_buffer
from corridor.mapping import MapOptions, build_map
from corridor.mapstyle import HIGHLIGHT_COLOUR
from web import get_catalog
from web.pages import bp
from web.pages.mapview import link_templates
from web.pages.site import page_vars

#: What an investor asks about near a park, and the two radii the profile lists.
NEAR_COLLECTIONS = ("universities", "labs", "facilities", "platforms", "incubators")
RADII_KM = (5.0, 10.0)


def nearby(catalog: Catalog, park_id: str, km: float) -> list[dict[str, Any]]:
    """Institutions within ``km`` of the park, nearest first, as rows for the template."""
    from corridor.queries import within_distance

    wanted = [c for c in NEAR_COLLECTIONS if c in catalog.collections]
    hits = within_distance(catalog, park_id, km, collections=wanted)
    rows = []
    for hit in sorted(hits, key=lambda h: (h.distance_km or 0.0, h.id)):
        c = catalog.collection(hit.collection)
        row = c.feature(hit.id)
        rows.append({"id": hit.id, "collection": c, "row": row, "distance_km": hit.distance_km})
    return rows


def industry_matrix(catalog: Catalog, lang: Lang) -> tuple[list[str], list[dict[str, Any]]]:
    """Columns (every industry any park names, most common first) and one row per park."""
    parks = catalog.collection("parks").gdf
    counts: dict[str, int] = {}
    for items in parks[f"industries_{lang}"]:
        for name in items:
            counts[name] = counts.get(name, 0) + 1
    columns = sorted(counts, key=lambda n: (-counts[n], n))
    rows = [{"id": fid, "row": row, "has": set(row[f"industries_{lang}"])}
            for fid, row in parks.iterrows()]
    return columns, rows


@bp.get("/parks")
def parks() -> str:
    ctx = page_vars()
    catalog = get_catalog()
    columns, rows = industry_matrix(catalog, ctx["lang"])
    return render_template("pages/parks.html", columns=columns, rows=rows,
                           collection=catalog.collection("parks"), **ctx)


@bp.get("/parks/<park_id>")
def park(park_id: str) -> str:
    ctx = page_vars()
    lang: Lang = ctx["lang"]
    catalog = get_catalog()
    row = catalog.collection("parks").feature(park_id)
    near = {km: nearby(catalog, park_id, km) for km in RADII_KM}
    rings = [
        (distance_buffer(row.geometry, km),
         {"color": HIGHLIGHT_COLOUR, "weight": 1.5, "dashArray": "5 5", "fill": False})
        for km in RADII_KM
    ]
    outer = rings[-1][0].bounds
    shown = ["land", "districts", "parks", *NEAR_COLLECTIONS]
    options = MapOptions(lang=lang, asset_base=url_for("pages.vendor", name="X")[:-1],
                         links=link_templates(), controls=False)
    parts = build_map(
        catalog, options, key="park",
        collections=[c for c in shown if c in catalog.collections],
        only_ids={c: [r["id"] for r in near[RADII_KM[-1]] if r["collection"].id == c]
                  for c in NEAR_COLLECTIONS},
        extra=rings, fit=outer,
    )
    map_url = url_for("pages.index", lang=lang, near=park_id, km=f"{RADII_KM[-1]:g}")
    return render_template("pages/park.html", park=row, near=near, parts=parts,
                           map_url=map_url, item_url=request.script_root
                           + f"/api/collections/parks/items/{park_id}", **ctx)
