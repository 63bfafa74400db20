"""The match report (``/api/match?...&f=pdf``): a summary page with the criteria and the
ranking, then one page per listed park with its points per criterion and, on its map, the
research the match counted (highlighted)."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak

from corridor.match import WEIGHT_NAMES, Criteria, ParkMatch, Reason
from corridor.store import FeatureStore
from web.map.words import N_, Lang, gettext, speaking
from web.reports.document import FRAME_W, PageLink, build, para
from web.reports.mapdraw import Spot
from web.reports.park import (
    NOT_MEASURED,
    RADII_KM,
    RESEARCH_WITHIN,
    footer,
    more_text,
    park_page,
    table,
    within,
)

#: The criteria's names (the weights' names), translated where shown.
CRITERIA = {"industry": N_("industry"), "research": N_("research"), "layer": N_("layer"),
            "area": N_("area")}
#: What a park that names no asked industry is marked with.
NO_MATCH = N_("names no asked industry")
#: :data:`corridor.match.TIE_RULE` as a message (a test checks the two are the same words).
TIE_RULE = N_("parks naming an asked industry first (every park when none is asked); then "
              "higher score; then more industry terms matched; then more research nearby; "
              "then the order of the parks collection")


#: Research features a reason names (nearest first); its count covers them all.
NAMED = 6


def criterion(name: str) -> str:
    """A criterion's name in the current language."""
    return gettext(CRITERIA[name])


def points_of(m: ParkMatch, name: str) -> float:
    return round(sum(r.points for r in m.reasons_of(name)), 6)


def reason_text(store: FeatureStore, r: Reason, c: Criteria, lang: Lang) -> str:
    """One reason in words (the current language's; names in ``lang``): what was counted,
    and its points."""
    pts = f"{r.points:g} " + gettext("pts")
    unmeasured = gettext(NOT_MEASURED)
    if r.criterion == "industry":
        names = ", ".join(zh if lang == "zh" else en for zh, en in r.matched) or "—"
        return criterion("industry") + f" “{r.term}”: {names} · {pts}"
    if r.criterion == "research":
        title = store.collection(r.collection or "").title(lang)
        if r.count is None:
            return f"{title}: {unmeasured}"
        names = ", ".join(f'{n.name_zh if lang == "zh" else n.name_en} {n.distance_km:.1f} km'
                          for n in r.near[:NAMED])
        more = ", " + more_text(len(r.near) - NAMED) if len(r.near) > NAMED else ""
        listed = f" ({names}{more})" if names else ""
        return f"{title} ({within(c.km)}): {r.count}{listed} · {pts}"
    if r.criterion == "layer":
        title = store.collection(r.collection or "").title(lang)
        return f"{title}: {unmeasured if r.count is None else r.count} · {pts}"
    area = unmeasured if r.km2 is None else f"{r.km2:.2f} km²"
    return gettext("Area") + f": {area} · {pts}"


def criteria_lines(store: FeatureStore, c: Criteria, lang: Lang) -> list[Flowable]:
    none = gettext("(none)")
    research = ", ".join(store.collection(cid).title(lang) for cid in c.research) or none
    weights = ", ".join(f"{criterion(n)} {getattr(c.weights, n):g}" for n in WEIGHT_NAMES)
    layer = store.collection(c.layer).title(lang) if c.layer else none
    return [para(gettext("Criteria"), "h2"),
            para(gettext("Industry focus") + ": " + (", ".join(c.industry) or gettext("(any)"))),
            para(gettext(RESEARCH_WITHIN) + f": {research} · {within(c.km)}"),
            para(gettext("Layer") + ": " + layer),
            para(gettext("Weights") + ": " + weights),
            para(gettext("Order") + ": " + gettext(TIE_RULE), "small")]


def match_pdf(store: FeatureStore, c: Criteria, ranked: list[ParkMatch], lang: Lang, url: str,
              park_urls: dict[str, str], date: str) -> bytes:
    """The report of one match in ``lang`` (``url`` is the match's own view, ``park_urls``
    each park's)."""
    with speaking(lang):
        return _match_pdf(store, c, ranked, lang, url, park_urls, date)


def _match_pdf(store: FeatureStore, c: Criteria, ranked: list[ParkMatch], lang: Lang, url: str,
               park_urls: dict[str, str], date: str) -> bytes:
    rank, score = gettext("Rank"), gettext("Score")
    rows = [[rank, gettext("Park"), score, *(criterion(n) for n in WEIGHT_NAMES)]]
    for m in ranked:
        name = m.park.name(lang) + ("" if m.matched else " (" + gettext(NO_MATCH) + ")")
        rows.append([str(m.rank), name, f"{round(m.score, 2):g}",
                     *(f"{round(points_of(m, n), 2):g}" for n in WEIGHT_NAMES)])
    narrow = 15 * mm
    story: list[Flowable] = [
        PageLink(url), para(gettext("Site match"), "title"),
        para(store.title_zh if lang == "zh" else store.title_en, "subtitle"),
        *criteria_lines(store, c, lang), para(rank, "h2"),
        table(rows, [10 * mm, FRAME_W - 10 * mm - 5 * narrow] + [narrow] * 5)]
    for m in ranked:
        extra = [para(f"{rank} {m.rank} · {score} {round(m.score, 2):g}", "h2"),
                 *(para(reason_text(store, r, c, lang), "small") for r in m.reasons)]
        spots = [Spot(n.collection, n.geometry) for r in m.reasons_of("research") for n in r.near
                 if n.geometry is not None]
        rings = sorted({*RADII_KM, c.km})
        story += [PageBreak(), *park_page(store, m.park, lang, park_urls[m.park.id], extra,
                                          spots, rings)]
    return build(story, footer(store, lang, url, date), gettext("Site match"))
