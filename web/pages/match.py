"""The site-match page, ``/match``: a form with the industry vocabulary, the research
collections, the distance, a layer and the weights; the parks ranked (:mod:`corridor.match`)
with their reasons, each placed park on a small map with the research counted highlighted;
a permalink keeping every criterion, and the CSV and PDF of the same match."""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from markupsafe import Markup

from corridor.errors import InvalidParameter
from corridor.match import WEIGHT_NAMES, Criteria, ParkMatch, layer_choices, match
from corridor.store import FeatureStore
from web.api.errors import InvalidParameterValue
from web.api.match import criteria_query, read_criteria
from web.extensions import get_store
from web.map.words import Lang, gettext
from web.pages.blueprint import bp
from web.pages.cache import cached_page
from web.pages.industries import vocabulary
from web.pages.site import PageError, page_vars
from web.reports.mapdraw import MapGeometry, Spot, svg_map
from web.reports.match import TIE_RULE, criterion, reason_text

#: Size of each park's map on the page, in CSS pixels.
MAP_PX = 220
#: Parameters a form sends once per ticked box, read as one comma-separated list.
_LISTS = ("industry", "research")


def form_query() -> dict[str, str]:
    """The request's query with the form's repeated boxes joined into one list each."""
    out = {}
    for name in request.args:
        values = request.args.getlist(name)
        out[name] = ",".join(values) if name in _LISTS else values[-1]
    return out


def park_map(store: FeatureStore, m: ParkMatch, c: Criteria, lang: Lang) -> Markup | None:
    """The park's small map, the research the match counted highlighted (None: unplaced)."""
    if m.park.geometry is None:
        return None
    spots = [Spot(n.collection, n.geometry) for r in m.reasons_of("research") for n in r.near
             if n.geometry is not None]
    g = MapGeometry(store, m.park, spots, (c.km,), MAP_PX, MAP_PX)
    return Markup(svg_map(g, m.park.name(lang)))


def results(store: FeatureStore, c: Criteria, lang: Lang) -> list[dict[str, Any]]:
    return [{"m": m, "reasons": [reason_text(store, r, c, lang) for r in m.reasons],
             "map": park_map(store, m, c, lang)} for m in match(store, c)]


@bp.get("/match")
@cached_page
def match_page() -> str:
    store = get_store()
    query = form_query()
    ctx = page_vars()
    lang: Lang = ctx["lang"]
    query.pop("lang", None)
    try:
        c, _ = read_criteria(store, query)
    except (InvalidParameter, InvalidParameterValue) as exc:
        raise PageError(400, str(exc), url_for("pages.match_page", lang=lang),
                        gettext("Site match")) from None
    q = criteria_query(c)
    vocab = vocabulary(store, lang)
    offered = {term["query"] for group in vocab for term in group["terms"]}
    return render_template(
        "pages/match.html", criteria=c, vocab=vocab,
        extra_terms=[term for term in c.industry if term not in offered],
        research=[store.collection(cid) for cid in store.collection_ids("nearby")],
        layers=[store.collection(cid) for cid in layer_choices(store)],
        weights=[(n, criterion(n), getattr(c.weights, n)) for n in WEIGHT_NAMES],
        tie_rule=gettext(TIE_RULE),
        results=results(store, c, lang),
        permalink=url_for("pages.match_page", lang=lang, **q),
        csv_url=url_for("api.site_match", f="csv", **q),
        pdf_url=url_for("api.site_match", f="pdf", lang=lang, **q),
        json_url=url_for("api.site_match", **q), **ctx)
