"""Extension: ``/collections/{cid}/statistics?by=park|district|campus&km=5``, the counts of a
collection's features per park, per district or within ``km`` of each university campus
(:mod:`corridor.stats`), as JSON, CSV or HTML. Computed once per data version
(:mod:`web.layerstats`) and served from the document cache after that.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, request

from corridor import checks
from corridor.stats import BY, DEFAULT_KM, LayerStatistics
from web.api import params
from web.api.blueprint import bp
from web.api.formats import html_response, json_response
from web.api.links import link, self_and_alternates, url
from web.api.openapi import Document, describes, ok
from web.extensions import get_store
from web.layerstats import statistics as cached_statistics
from web.negotiate import lang, negotiate

#: Formats of the statistics resource.
STATS_FORMATS = ("json", "html", "csv")
#: How a feature counts, for each ``by`` (see :mod:`corridor.stats`).
RULES = {
    "park": "a feature counts for every park its geometry intersects (boundary included); parks "
            "may overlap, so the counts can add up to more than the features placed",
    "district": "a feature counts for every district its geometry intersects (boundary "
                "included); a feature straddling a boundary counts in both districts",
    "campus": "a feature counts for every campus within km of it (shortest WGS84 geodesic "
              "distance from the campus to the feature's geometry, 0 inside a polygon)",
}


def statistics_doc(st: LayerStatistics, title: str, lg: str) -> dict[str, Any]:
    """The JSON document of one collection's statistics (without links)."""
    return {
        "collection": st.collection,
        "title": title,
        "by": st.by,
        "zones": st.zones,
        "km": st.km,
        "rule": RULES[st.by],
        "total": st.total,
        "placed": st.placed,
        "unplaced": st.unplaced,
        "outside": st.outside,
        "counts": [{"id": z.id, "name": z.name(lg), "name_zh": z.name_zh, "name_en": z.name_en,
                    "count": z.count} for z in st.counts],
    }


#: The statistics' parameters. ``km`` is checked with ``by`` (:func:`corridor.stats.layer_statistics`):
#: whether it may be given depends on it.
STATISTICS = params.Params(
    params.Param("by", "Extension: count per park, per district, or within km of each "
                 "university campus. A feature counts for every park or district its geometry "
                 "intersects (boundary included), or every campus within km of it (geodesic).",
                 {"type": "string", "enum": list(BY)}, lambda t: checks.choice(t, "by", tuple(BY)),
                 default="park"),
    params.Param("km", "Extension: radius around each campus in kilometres (by=campus only; "
                 f"default {DEFAULT_KM:g}).",
                 {"type": "number", "exclusiveMinimum": True, "minimum": 0, "maximum": checks.MAX_KM},
                 key="km-statistics"),
    params.f_param("f-statistics", STATS_FORMATS, "JSON, HTML or CSV (a row per zone)"),
    params.LANG,
)


@bp.get("/collections/<cid>/statistics")
def statistics(cid: str) -> Response:
    v = STATISTICS.read(request.args)
    store = get_store()
    meta = store.collection(cid)
    fmt = negotiate(STATS_FORMATS)
    lg = lang()
    st = cached_statistics(store, cid, v["by"], v["km"])
    doc = statistics_doc(st, meta.title(lg), lg)
    if fmt == "csv":
        return _csv(doc)
    doc["links"] = self_and_alternates(fmt, STATS_FORMATS) + [
        link(url("collection", cid=cid), "collection", "json", meta.title(lg)),
        link(url("collection", cid=st.zones), "related", "json",
             f"the zones counted: {store.collection(st.zones).title(lg)}"),
    ]
    if fmt == "html":
        return html_response("statistics.html", doc=doc, title=f"Statistics of {cid} by {st.by}",
                             lang=lg)
    return json_response(doc)


def _csv(doc: dict[str, Any]) -> Response:
    """A row per zone (id, names, count; count empty for a zone whose location is not
    published), then the features outside every zone and those not placed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["zone_id", "zone_name_zh", "zone_name_en", "count"])
    for z in doc["counts"]:
        writer.writerow([z["id"], z["name_zh"], z["name_en"], "" if z["count"] is None else z["count"]])
    writer.writerow(["", "不在任何区域内", "outside every zone", doc["outside"]])
    writer.writerow(["", "位置未公布", "location not published", doc["unplaced"]])
    resp = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    resp.headers["Content-Type"] = "text/csv; charset=utf-8"
    km = f"-{doc['km']:g}km" if doc["km"] is not None else ""
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="{doc["collection"]}-by-{doc["by"]}{km}.csv"')
    return resp


@describes
def _describe(doc: Document) -> None:
    """The statistics of each collection."""
    for c in doc.store.collections():
        answer = ok("statistics")
        answer["content"]["text/csv"] = {"schema": {"type": "string"}}
        doc.get(f"/collections/{c.id}/statistics", f"statistics_{c.id}", f"Extension: counts of "
                f"{c.title_en} per park, per district or near each university campus", STATISTICS,
                answer, [c.id], ("400", "404", "406"))
