"""Extension: ``/match``, every park ranked against an investor's criteria
(:mod:`corridor.match`), as JSON (the criteria echoed, a breakdown per park), CSV, HTML and a
PDF report (:mod:`web.reports`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

from flask import Response, request, url_for

from corridor import checks
from corridor.match import (
    DEFAULT_KM,
    MAX_WEIGHT,
    TIE_RULE,
    WEIGHT_NAMES,
    Criteria,
    ParkMatch,
    Reason,
    Weights,
    criteria,
    match,
    weight,
)
from corridor.store import FeatureStore
from web.api import params
from web.api.blueprint import bp
from web.api.formats import html_response, json_response
from web.api.links import link, self_and_alternates, url, with_args
from web.api.openapi import SCHEMAS, Document, describes, ok
from web.extensions import get_store
from web.negotiate import lang, negotiate

#: Formats of the match resource.
MATCH_FORMATS = ("json", "html", "csv", "pdf")
#: What separates the terms or ids of one parameter (ASCII, full-width and enumeration commas).
_SEPARATORS = re.compile(r"[,，、]")
#: The view a match report's QR code opens.
MATCH_VIEW = "pages.match_page"
DISTANCE_RULE = ("shortest WGS84 geodesic from the park's boundary to the feature (0 inside "
                 "the park); a park whose location is not published is not measured")


def split_list(name: str) -> Callable[[str], list[str]]:
    """A parser of a comma-separated list for parameter ``name`` (empty: an empty list)."""
    def parse(text: str) -> list[str]:
        items = [p.strip() for p in _SEPARATORS.split(text) if p.strip()]
        for item in items:
            checks.limit(item, name, checks.MAX_TEXT)
        return items
    return parse


def _weight_param(name: str) -> params.Param:
    default = getattr(Weights(), name)

    def parse(text: str) -> float:
        return weight(text, name)

    return params.Param(
        f"w-{name}", f"Extension: points per {_UNITS[name]} (default {default:g}).",
        {"type": "number", "minimum": 0, "maximum": MAX_WEIGHT},
        parse, key=f"w-{name}")


_UNITS = {"industry": "asked industry term the park names",
          "research": "research feature within km of the park",
          "layer": "feature of the layer in the park",
          "area": "km² of the park's area"}

#: The match's parameters (checked together by :func:`corridor.match.criteria`).
MATCH = params.Params(
    params.Param("industry", "Extension: industry terms of the vocabulary, comma-separated, "
                 "Chinese or English (synonyms count), e.g. 半导体,marine biomedicine. Parks "
                 "naming none are listed after those naming one.",
                 {"type": "string"}, split_list("industry"), default=[], key="industry-match"),
    params.Param("research", "Extension: research collections counted near each park "
                 "(comma-separated ids; default all of them; empty: none).",
                 {"type": "string"}, split_list("research"), key="research-match"),
    params.Param("km", f"Extension: research within this many km of the park's boundary "
                 f"(geodesic; default {DEFAULT_KM:g}).",
                 {"type": "number", "exclusiveMinimum": True, "minimum": 0, "maximum": checks.MAX_KM},
                 lambda t: checks.km(t, "km"), default=DEFAULT_KM, key="km-match"),
    params.Param("layer", "Extension: a layer (e.g. imported firms) whose features in each "
                 "park count.", {"type": "string"}, lambda t: checks.text(t, "layer"),
                 key="layer-match"),
    *(_weight_param(n) for n in WEIGHT_NAMES),
    params.f_param("f-match", MATCH_FORMATS, "JSON, HTML, CSV (a row per park) or a PDF report"),
    params.LANG,
)


def read_criteria(store: FeatureStore, query: Any) -> tuple[Criteria, params.Values]:
    """The checked criteria of a query string (the API's and the ``/match`` page's).

    Raises
    ------
    InvalidParameterValue, InvalidParameter
        Naming the first bad value.
    """
    v = MATCH.read(query)
    given = {n: v[f"w-{n}"] for n in WEIGHT_NAMES if v.given(f"w-{n}")}
    return criteria(store, v["industry"], v["research"], v["km"], v["layer"], given), v


def reason_doc(r: Reason, km: float) -> dict[str, Any]:
    """One reason as JSON: the criterion, its points and what they were counted from."""
    doc: dict[str, Any] = {"criterion": r.criterion, "points": r.points}
    if r.criterion == "industry":
        doc["term"] = r.term
        doc["matched"] = [{"zh": zh, "en": en} for zh, en in r.matched]
    elif r.criterion == "research":
        doc.update(collection=r.collection, km=km, count=r.count,
                   features=[{"id": n.id, "name_zh": n.name_zh, "name_en": n.name_en,
                              "distance_km": round(n.distance_km, 3)} for n in r.near])
    elif r.criterion == "layer":
        doc.update(collection=r.collection, count=r.count)
    else:
        doc["km2"] = r.km2
    if r.criterion != "industry" and r.count is None and r.km2 is None:
        doc["note"] = "location not published: nothing measured"
    return doc


def criteria_doc(c: Criteria) -> dict[str, Any]:
    return {"industry": list(c.industry), "research": list(c.research), "km": c.km,
            "layer": c.layer, "weights": {n: getattr(c.weights, n) for n in WEIGHT_NAMES},
            "default_weights": {n: getattr(Weights(), n) for n in WEIGHT_NAMES},
            "distance": DISTANCE_RULE, "tie_rule": TIE_RULE}


def match_doc(c: Criteria, ranked: list[ParkMatch]) -> dict[str, Any]:
    """The JSON document of a match (without links)."""
    return {"criteria": criteria_doc(c), "matches": [
        {"park": {"id": m.park.id, "name_zh": m.park.get("name_zh"), "name_en": m.park.get("name_en")},
         "rank": m.rank, "score": m.score, "matched": m.matched, "placed": m.placed,
         "reasons": [reason_doc(r, c.km) for r in m.reasons]} for m in ranked]}


@bp.get("/match")
def site_match() -> Response:
    store = get_store()
    c, _ = read_criteria(store, request.args)
    fmt = negotiate(MATCH_FORMATS)
    lg = lang()
    ranked = match(store, c)
    if fmt == "pdf":
        return _pdf(store, c, ranked, lg)
    doc = match_doc(c, ranked)
    if fmt == "csv":
        return _csv(store, doc)
    doc["links"] = self_and_alternates(fmt, MATCH_FORMATS[:3]) + [
        {"href": with_args(f="pdf"), "rel": "alternate", "type": "application/pdf",
         "title": "this match as a PDF report"},
        link(url("collection", cid=store.collection_ids("parks")[0]), "related", "json", "the parks")]
    if fmt == "html":
        return html_response("match.html", doc=doc, title="Site match", lang=lg)
    return json_response(doc)


def criteria_query(c: Criteria) -> dict[str, Any]:
    """The query parameters that ask for ``c`` again (a permalink keeps every criterion)."""
    q: dict[str, Any] = {"industry": ",".join(c.industry), "research": ",".join(c.research), "km": f"{c.km:g}"}
    if c.layer:
        q["layer"] = c.layer
    q.update({f"w-{n}": f"{getattr(c.weights, n):g}" for n in WEIGHT_NAMES})
    return q


def _pdf(store: FeatureStore, c: Criteria, ranked: list[ParkMatch], lg: str) -> Response:
    """The match report: its QR codes open the match's page and each park's profile."""
    from web.reports.match import match_pdf
    from web.reports.views import pdf_response, today

    view = url_for(MATCH_VIEW, _external=True, lang=lg, **criteria_query(c))
    parks = {m.park.id: url_for("pages.park", park_id=m.park.id, lang=lg, _external=True)
             for m in ranked}
    return pdf_response(match_pdf(store, c, ranked, checks.lang(lg), view, parks, today()),
                        f"match-{lg}.pdf")


def _csv(store: FeatureStore, doc: dict[str, Any]) -> Response:
    """A row per park, in rank order: its points per criterion and what they count."""
    crit = doc["criteria"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    km = f"{crit['km']:g}"
    writer.writerow(["rank", "park_id", "name_zh", "name_en", "matched", "placed", "score",
                     "industry_points", "industries_matched"]
                    + [f"{cid}_within_{km}km" for cid in crit["research"]]
                    + ["research_points", "layer_count", "layer_points", "area_km2", "area_points"])
    for m in doc["matches"]:
        by: dict[str, list[dict[str, Any]]] = {}
        for r in m["reasons"]:
            by.setdefault(r["criterion"], []).append(r)

        def points(kind: str) -> float:
            return round(sum(r["points"] for r in by.get(kind, [])), 6)  # noqa: B023

        layer = by.get("layer", [{}])[0]
        writer.writerow([m["rank"], m["park"]["id"], m["park"]["name_zh"], m["park"]["name_en"],
                         m["matched"], m["placed"], m["score"], points("industry"),
                         "; ".join(x["zh"] for r in by.get("industry", []) for x in r["matched"])]
                        + ["" if r["count"] is None else r["count"] for r in by.get("research", [])]
                        + [points("research"), "" if layer.get("count") is None else layer["count"],
                           points("layer"), "" if by["area"][0]["km2"] is None else by["area"][0]["km2"],
                           points("area")])
    resp = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    resp.headers["Content-Type"] = "text/csv; charset=utf-8"
    resp.headers["Content-Disposition"] = 'attachment; filename="match.csv"'
    return resp


_NUMBER = {"type": "number"}
SCHEMAS["match"] = {
    "type": "object", "required": ["criteria", "matches"], "properties": {
        "criteria": {"type": "object", "required": ["industry", "research", "km", "weights", "tie_rule"]},
        "matches": {"type": "array", "items": {"type": "object", "required": [
            "park", "rank", "score", "reasons"], "properties": {
            "park": {"type": "object", "required": ["id", "name_zh", "name_en"]},
            "rank": {"type": "integer", "minimum": 1}, "score": _NUMBER,
            "matched": {"type": "boolean"}, "placed": {"type": "boolean"},
            "reasons": {"type": "array", "items": {"type": "object", "required": ["criterion", "points"],
                                                   "properties": {"criterion": {"type": "string", "enum": list(WEIGHT_NAMES)},
                                                                  "points": _NUMBER}}}}}},
        "links": {"type": "array"}}}


@describes
def _describe(doc: Document) -> None:
    """The site match."""
    answer = ok("match")
    answer["content"]["text/csv"] = {"schema": {"type": "string"}}
    answer["content"]["application/pdf"] = {"schema": {"type": "string", "format": "binary"}}
    doc.get("/match", "match", "Extension: every park ranked on industry, research nearby, a "
            "layer's count and area, with the points of each criterion", MATCH, answer, ["Spatial"],
            ("400", "406"))
