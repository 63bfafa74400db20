"""Park profiles for investors: ``/parks`` (all ten compared by industry group) and
``/parks/<id>`` (industry focus, the plan's words, a small map with the park marked, what
lies within 5 and 10 km). Both count, for each user layer, its features in each park."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, render_template, request, url_for
from markupsafe import Markup

from corridor.errors import NotFound
from corridor.mapgeom import distance_buffer
from corridor.model import Feature
from corridor.queries import within_distance
from corridor.store import FeatureStore
from web.extensions import get_store
from web.layerstats import park_counts
from web.map.build import build_map
from web.map.controls import legend_html
from web.map.options import MapOptions
from web.map.style import HIGHLIGHT_COLOUR
from web.map.words import STATUS, Lang, gettext, plan_ref
from web.pages.blueprint import bp
from web.pages.cache import cached_page
from web.pages.industries import INDUSTRY_GROUPS, OTHER_GROUP, groups_of
from web.pages.mapview import link_templates
from web.pages.site import PageError, page_vars

#: The two radii a park profile lists what lies within.
RADII_KM = (5.0, 10.0)


def parks_collection(store: FeatureStore) -> str:
    """Id of the collection with the ``parks`` role.

    Raises
    ------
    NotFound
        If the store has none.
    """
    ids = store.collection_ids("parks")
    if not ids:
        raise NotFound("this data has no collection with the role 'parks'")
    return ids[0]


def nearby(store: FeatureStore, park_id: str, km: float) -> list[dict[str, Any]]:
    """Features of the ``nearby`` collections within ``km`` of the park, nearest first, as
    rows for the template."""
    hits = within_distance(store, park_id, km, collections=store.collection_ids("nearby"))
    return [{"id": h.id, "collection": store.collection(h.collection), "row": h.feature.properties,
             "distance_km": h.distance_km}
            for h in sorted(hits, key=lambda h: (h.distance_km or 0.0, h.id))]


def industry_matrix(
    parks: list[Feature], lang: Lang
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Columns: the industry groups any park has (in plan order), each with how many parks;
    rows: one per park, with the park's own terms (in ``lang``) under each of its groups."""
    rows = []
    for park in parks:
        row = park.properties
        cells: dict[str, list[str]] = {}
        for zh, en in zip(row["industries_zh"], row["industries_en"], strict=True):
            for g in groups_of(zh, en):
                terms = cells.setdefault(g.key, [])
                label = zh if lang == "zh" else en
                if label not in terms:
                    terms.append(label)
        rows.append({"id": park.id, "row": row, "cells": cells})
    columns = [
        {"key": g.key, "title": g.title(lang), "parks": sum(g.key in r["cells"] for r in rows)}
        for g in (*INDUSTRY_GROUPS, OTHER_GROUP)
    ]
    return [c for c in columns if c["parks"]], rows


def layer_columns(store: FeatureStore, lang: Lang) -> list[dict[str, Any]]:
    """One column per user layer: its title, total and count per park id (None for a park
    whose location is not published), from the statistics cached per data version."""
    return [{"id": meta.id, "title": meta.title(lang), "total": st.total,
             "counts": {z.id: z.count for z in st.counts},
             "stats_url": url_for("api.statistics", cid=meta.id, by="park", lang=lang)}
            for meta, st in park_counts(store)]


def _grown(box: tuple[float, float, float, float], share: float) -> tuple[float, float, float, float]:
    """``box`` grown by ``share`` of its size on every side (the map's margin, and panning)."""
    x0, y0, x1, y1 = box
    dx, dy = (x1 - x0) * share, (y1 - y0) * share
    return (x0 - dx, y0 - dy, x1 + dx, y1 + dy)


@bp.get("/parks")
@cached_page
def parks() -> str:
    ctx = page_vars()
    store = get_store()
    cid = parks_collection(store)
    columns, rows = industry_matrix(store.features(cid), ctx["lang"])
    return render_template("pages/parks.html", columns=columns, rows=rows,
                           layers=layer_columns(store, ctx["lang"]),
                           collection=store.collection(cid), **ctx)


@bp.get("/parks.csv")
def parks_csv() -> Response:
    """The park comparison as CSV: a row per park, a column per industry group, each cell the
    park's own terms in that group (``; `` between them), in the request's language; then a
    column per user layer with the park's count of its features."""
    ctx = page_vars()
    lang: Lang = ctx["lang"]
    store = get_store()
    columns, rows = industry_matrix(store.features(parks_collection(store)), lang)
    layers = layer_columns(store, lang)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["id", gettext("Park")] + [c["title"] for c in columns]
                    + [layer["title"] for layer in layers])
    for r in rows:
        counts = [layer["counts"].get(r["id"]) for layer in layers]
        writer.writerow([r["id"], r["row"][f"name_{lang}"]]
                        + ["; ".join(r["cells"].get(c["key"], [])) for c in columns]
                        + ["" if n is None else n for n in counts])
    # a byte-order mark, so that spreadsheet programs read the Chinese as UTF-8
    resp = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    resp.headers["Content-Type"] = "text/csv; charset=utf-8"
    resp.headers["Content-Disposition"] = f'attachment; filename="parks-{lang}.csv"'
    resp.headers["Vary"] = "Accept-Language"  # a new response: no Vary yet
    return resp


def _profile_words(feature: Feature, lang: Lang) -> dict[str, str]:
    """The profile's words made from the park's data: its plan section reference and status."""
    status = feature.properties.get("status")
    return {"plan_ref_text": plan_ref(feature.properties.get("plan_ref", ""), lang),
            "status_text": gettext(STATUS[status]) if status else ""}


def no_such_park(park_id: str, lang: Lang) -> PageError:
    """The 404 page of a park id the data lacks (a park's page or its report)."""
    message = gettext("There is no park with the id “%(id)s”. Choose one from the list of "
                      "parks.", id=park_id[:200])
    return PageError(404, message, url_for("pages.parks", lang=lang), gettext("See all the parks"))


@bp.get("/parks/<park_id>")
@cached_page
def park(park_id: str) -> str:
    ctx = page_vars()
    lang: Lang = ctx["lang"]
    store = get_store()
    cid = parks_collection(store)
    try:
        feature = store.get(cid, park_id)
    except NotFound:
        raise no_such_park(park_id, lang) from None
    item_url = request.script_root + f"/api/collections/{cid}/items/{park_id}"
    layers = [{**layer, "count": layer["counts"].get(park_id)} for layer in layer_columns(store, lang)]
    if feature.geometry is None:  # listed in the plan, location not published: no map
        return render_template("pages/park.html", park=feature.properties, near={}, parts=None,
                               layers=layers,
                               **_profile_words(feature, lang),
                               same_as_previous=[], legend="", map_url=None, item_url=item_url,
                               **ctx)
    near = {km: nearby(store, park_id, km) for km in RADII_KM}
    rings = [
        (distance_buffer(feature.geometry, km),
         {"color": HIGHLIGHT_COLOUR, "weight": 1.5, "dashArray": "5 5", "fill": False})
        for km in RADII_KM
    ]
    outer = rings[-1][0].bounds
    listed = store.collection_ids("nearby")
    drawn = [c.id for c in store.collections()
             if c.id == cid or c.id in listed or (c.has_role("basemap") and c.count <= 1000)]
    options = MapOptions(lang=lang, asset_base=url_for("pages.vendor", name="X")[:-1],
                         links=link_templates(), controls=False, legend=False)
    label = gettext("This park") + f": {feature.name(lang)}"
    parts = build_map(
        store, options, key="park",
        collections=drawn,
        only_ids={c: [r["id"] for r in near[RADII_KM[-1]] if r["collection"].id == c]
                  for c in listed},
        extra=rings, fit=outer,
        marked=[(feature.geometry, label)],
        clip_basemap=_grown(outer, 0.5),
    )
    # beside the small map rather than on it (a part of each collection is drawn: no counts)
    legend = Markup(legend_html(store, lang, drawn, counts=False, marked=label))
    map_url = url_for("pages.index", lang=lang, near=park_id, km=f"{RADII_KM[-1]:g}")
    ids = [[r["id"] for r in rows] for rows in near.values()]
    same = [i > 0 and ids[i] == ids[i - 1] for i in range(len(ids))]
    return render_template("pages/park.html", park=feature.properties, near=near, parts=parts,
                           **_profile_words(feature, lang),
                           same_as_previous=same, layers=layers,
                           legend=legend, map_url=map_url, item_url=item_url, **ctx)
