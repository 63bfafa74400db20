"""Landing page, conformance, the OpenAPI document and its HTML rendering, indicators."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, current_app, request

from corridor.indicators import tagged_layers
from corridor.model import CollectionMeta
from corridor.stats import placed_count
from corridor.store import FeatureStore
from corridor.yearcount import PLAN_YEARS, YearCounts
from web.api import params
from web.api.blueprint import bp
from web.api.errors import ResourceNotFound
from web.api.formats import DOC_FORMATS, html_response, json_response
from web.api.links import REL_TILING_SCHEMES, link, self_and_alternates, statistics_links, url
from web.api.openapi import HTML, OPENAPI_MEDIA_TYPE, Document, describes, ok, openapi_document
from web.api.tiles import CONFORMANCE as TILES_CONFORMANCE
from web.extensions import get_store
from web.negotiate import lang, negotiate

#: OGC conformance classes the service implements (checked by the tests against behaviour).
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    *TILES_CONFORMANCE,
]

#: The parameters of the documentation page (HTML only).
DOCS_PAGE = params.Params(params.f_param("f-html", ("html",), "HTML only"), params.LANG)

#: Swagger UI files served for /api/docs (from the swagger-ui-bundle package, read once).
_DOC_ASSETS = {
    "swagger-ui-bundle.js": "application/javascript",
    "swagger-ui-standalone-preset.js": "application/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}


def extension_links(store: FeatureStore) -> list[dict[str, str]]:
    """Links to the near / nearest / at extensions with example parameters that work on this
    data: the first park (else the first feature of a ``near`` collection) and a point in it."""
    example = None
    for cid in store.collection_ids("parks") + store.collection_ids("near"):
        placed = [f for f in store.features(cid) if f.geometry is not None]
        if placed:
            example = placed[0]
            break
    if example is None or example.geometry is None:
        return []
    pt = example.geometry.representative_point()
    return [
        link(url("near", of=example.id, km=5), "describedby", "json",
             f"extension: features within km of a place (e.g. 5 km of {example.id})"),
        link(url("nearest", of=example.id, k=3), "describedby", "json",
             f"extension: k nearest features (e.g. the 3 nearest to {example.id})"),
        link(url("at", lon=f"{pt.x:.5f}", lat=f"{pt.y:.5f}"), "describedby", "json",
             f"extension: features containing a point (e.g. {pt.x:.5f},{pt.y:.5f})"),
    ]


@bp.get("")
@bp.get("/")
def landing() -> Response:
    params.DOC.read(request.args)
    fmt = negotiate(DOC_FORMATS)
    store = get_store()
    lg = lang()
    links = self_and_alternates(fmt, DOC_FORMATS) + [
        {"href": url("openapi", f="json"), "rel": "service-desc", "type": OPENAPI_MEDIA_TYPE,
         "title": "the API definition (OpenAPI 3.0)"},
        link(url("docs"), "service-doc", "html", "the API documentation"),
        link(url("conformance"), "conformance", "json", "OGC conformance classes implemented"),
        link(url("collections"), "data", "json", "the feature collections"),
        link(url("tile_matrix_sets"), REL_TILING_SCHEMES, "json", "the tile matrix sets of the vector tiles"),
        link(url("indicators"), "http://www.opengis.net/def/rel/ogc/1.0/data-meta", "json",
             "the plan's seven main indicators"),
        *extension_links(store),
    ]
    doc = {
        "title": store.title_zh if lg == "zh" else store.title_en,
        "description": "OGC API - Features and Tiles service of the Qingdao 2021-2025 S&T innovation plan's "
        "map: parks, universities, labs, facilities, platforms, incubators, zones and the corridor.",
        "links": links,
    }
    if fmt == "html":
        return html_response("landing.html", doc=doc, title=doc["title"])
    return json_response(doc)


@bp.get("/conformance")
def conformance() -> Response:
    params.DOC.read(request.args)
    fmt = negotiate(DOC_FORMATS)
    doc = {"conformsTo": CONFORMANCE, "links": self_and_alternates(fmt, DOC_FORMATS)}
    if fmt == "html":
        return html_response("conformance.html", doc=doc, title="Conformance")
    return json_response(doc)


@bp.get("/openapi")
def openapi() -> Response:
    params.DOC.read(request.args)
    fmt = negotiate(DOC_FORMATS)
    if fmt == "html":
        return docs()
    resp = Response(openapi_document(), mimetype="application/vnd.oai.openapi+json")
    resp.headers["Content-Type"] = OPENAPI_MEDIA_TYPE
    return resp


@bp.get("/docs")
def docs() -> Response:
    DOCS_PAGE.read(request.args)
    if "f" in request.args:
        negotiate(("html",))  # this page is HTML only: any other f is a 406
    return html_response("docs.html", title="API documentation", spec_url=url("openapi", f="json"))


@bp.get("/docs/assets/<name>")
def docs_asset(name: str) -> Response:
    params.DOC.read(request.args)
    cache = current_app.extensions.setdefault("corridor_doc_assets", {})
    if name not in _DOC_ASSETS:
        raise ResourceNotFound(f"no documentation asset {name!r}")
    if name not in cache:
        import swagger_ui_bundle

        cache[name] = (Path(swagger_ui_bundle.swagger_ui_path) / name).read_bytes()
    resp = Response(cache[name], mimetype=_DOC_ASSETS[name])
    resp.headers["Cache-Control"] = "public, max-age=86400"
    return resp


def by_year(yc: YearCounts) -> dict[str, Any]:
    """A layer's features per year of its date column (:mod:`corridor.yearcount`): the years
    that have features, each with its cumulative count, and the features with no date; or,
    with ``column`` null, why not (``reason``, and the ``ambiguous`` columns)."""
    per = dict(yc.years)
    return {"column": yc.column, "kind": yc.kind, "reason": yc.reason or None,
            "ambiguous": list(yc.ambiguous),
            "years": [{"year": y, "count": n, "cumulative": c} for y, n, c in yc.span(*PLAN_YEARS)
                      if y in per],
            "no_date": {"empty": yc.empty, "unparsable": yc.unparsable}}


def imported(store: FeatureStore, meta: CollectionMeta, lg: str) -> dict[str, Any]:
    """A layer tagged with an indicator: its feature count (and how many are placed), with
    links to its items and statistics."""
    return {"collection": meta.id, "title": meta.title(lg), "count": meta.count,
            "placed": placed_count(store, meta.id), "by_year": by_year(store.year_counts(meta.id)),
            "links": [link(url("collection", cid=meta.id), "collection", "json", meta.title(lg)),
                      *statistics_links(store, meta.id)]}


@bp.get("/indicators")
def indicators() -> Response:
    params.DOC.read(request.args)
    fmt = negotiate(DOC_FORMATS)
    lg = lang()
    store = get_store()
    tagged = tagged_layers(store.collections())
    rows = []
    for ind in store.indicators():
        rows.append({
            "id": ind.id,
            "number": ind.number,
            "name": ind.name_zh if lg == "zh" else ind.name_en,
            "name_zh": ind.name_zh,
            "name_en": ind.name_en,
            "unit": ind.unit_zh if lg == "zh" else ind.unit_en,
            "baseline": {"value": ind.baseline, "text": ind.baseline_label(lg),
                         "year": ind.baseline_year},
            "target": {"value": ind.target, "text": ind.target_label(lg), "year": 2025},
            "attribute": ind.attribute(lg),
            "attribute_zh": ind.attribute_zh,
            "attribute_en": ind.attribute_en,
            "plan_ref": ind.plan_ref,
            "plan_text": ind.plan_text,
            "imported": [imported(store, m, lg) for m in tagged.get(ind.id, [])],
        })
    doc = {"indicators": rows, "links": self_and_alternates(fmt, DOC_FORMATS)}
    if fmt == "html":
        return html_response("indicators.html", doc=doc, title="Indicators")
    return json_response(doc)


@describes
def _describe(doc: Document) -> None:
    """The landing page, conformance, this document and its HTML rendering, the indicators."""
    doc.get("/", "getLandingPage", "Landing page", params.DOC, ok("landingPage"), ["Capabilities"])
    doc.get("/conformance", "getConformance", "OGC conformance classes", params.DOC,
            ok("confClasses"), ["Capabilities"])
    doc.get("/openapi", "getOpenAPI", "This OpenAPI document", params.DOC,
            {"description": "OK", "content": {OPENAPI_MEDIA_TYPE: {"schema": {"type": "object"}}, **HTML}},
            ["Capabilities"])
    doc.get("/docs", "getDocs", "This document rendered as HTML (Swagger UI)", DOCS_PAGE,
            {"description": "OK", "content": HTML}, ["Capabilities"])
    doc.get("/indicators", "getIndicators", "Extension: the plan's seven main indicators (unit, "
            "2020 baseline with its year, 2025 target)", params.DOC, ok("indicators"), ["Plan"])
