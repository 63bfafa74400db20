"""The match report (``/api/match?...&f=pdf``): a summary page with the criteria and the
ranking, then one page per listed park with its points per criterion and, on its map, the
research the match counted (highlighted)."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak

from corridor.match import WEIGHT_NAMES, Criteria, ParkMatch, Reason
from corridor.store import FeatureStore
from web.map.words import Lang, t
from web.reports.document import FRAME_W, PageLink, build, para
from web.reports.mapdraw import Spot
from web.reports.park import RADII_KM, footer, park_page, table
from web.reports.words import w

#: The criteria's names in each language (the weights' names).
CRITERIA = {"industry": {"zh": "产业", "en": "industry"},
            "research": {"zh": "科研资源", "en": "research"},
            "layer": {"zh": "图层", "en": "layer"},
            "area": {"zh": "面积", "en": "area"}}


#: Research features a reason names (nearest first); its count covers them all.
NAMED = 6


def criterion(name: str, lang: Lang) -> str:
    return CRITERIA[name][lang]


def points_of(m: ParkMatch, name: str) -> float:
    return round(sum(r.points for r in m.reasons_of(name)), 6)


def reason_text(store: FeatureStore, r: Reason, c: Criteria, lang: Lang) -> str:
    """One reason in words: what was counted, and its points."""
    pts = f'{r.points:g} {w(lang, "points")}'
    if r.criterion == "industry":
        names = ", ".join(zh if lang == "zh" else en for zh, en in r.matched) or "—"
        return f"{criterion('industry', lang)} “{r.term}”: {names} · {pts}"
    if r.criterion == "research":
        title = store.collection(r.collection or "").title(lang)
        if r.count is None:
            return f"{title}: {w(lang, 'not_measured')}"
        names = ", ".join(f'{n.name_zh if lang == "zh" else n.name_en} {n.distance_km:.1f} km'
                          for n in r.near[:NAMED])
        more = f', {w(lang, "more", n=len(r.near) - NAMED)}' if len(r.near) > NAMED else ""
        listed = f" ({names}{more})" if names else ""
        return f'{title} ({t(lang, "within", km=f"{c.km:g}")}): {r.count}{listed} · {pts}'
    if r.criterion == "layer":
        title = store.collection(r.collection or "").title(lang)
        return f"{title}: {w(lang, 'not_measured') if r.count is None else r.count} · {pts}"
    return f'{w(lang, "area")}: {w(lang, "not_measured") if r.km2 is None else f"{r.km2:.2f} km²"} · {pts}'


def criteria_lines(store: FeatureStore, c: Criteria, lang: Lang) -> list[Flowable]:
    research = ", ".join(store.collection(cid).title(lang) for cid in c.research) or w(lang, "none")
    weights = ", ".join(f"{criterion(n, lang)} {getattr(c.weights, n):g}" for n in WEIGHT_NAMES)
    layer = store.collection(c.layer).title(lang) if c.layer else w(lang, "none")
    return [para(w(lang, "criteria"), "h2"),
            para(f'{t(lang, "industry")}: {", ".join(c.industry) or w(lang, "any")}'),
            para(f'{w(lang, "research_within")}: {research} · {t(lang, "within", km=f"{c.km:g}")}'),
            para(f'{t(lang, "collection")}: {layer}'),
            para(f'{w(lang, "weights")}: {weights}'),
            para(f'{w(lang, "order")}: {w(lang, "tie_rule")}', "small")]


def match_pdf(store: FeatureStore, c: Criteria, ranked: list[ParkMatch], lang: Lang, url: str,
              park_urls: dict[str, str], date: str) -> bytes:
    """The report of one match (``url`` is the match's own view, ``park_urls`` each park's)."""
    rows = [[w(lang, "rank"), t(lang, "park"), w(lang, "score"),
             *(criterion(n, lang) for n in WEIGHT_NAMES)]]
    for m in ranked:
        name = m.park.name(lang) + ("" if m.matched else f" ({w(lang, 'no_match')})")
        rows.append([str(m.rank), name, f"{round(m.score, 2):g}",
                     *(f"{round(points_of(m, n), 2):g}" for n in WEIGHT_NAMES)])
    narrow = 15 * mm
    story: list[Flowable] = [
        PageLink(url), para(w(lang, "match"), "title"),
        para(store.title_zh if lang == "zh" else store.title_en, "subtitle"),
        *criteria_lines(store, c, lang), para(w(lang, "rank"), "h2"),
        table(rows, [10 * mm, FRAME_W - 10 * mm - 5 * narrow] + [narrow] * 5)]
    for m in ranked:
        extra = [para(f'{w(lang, "rank")} {m.rank} · {w(lang, "score")} {round(m.score, 2):g}', "h2"),
                 *(para(reason_text(store, r, c, lang), "small") for r in m.reasons)]
        spots = [Spot(n.collection, n.geometry) for r in m.reasons_of("research") for n in r.near
                 if n.geometry is not None]
        rings = sorted({*RADII_KM, c.km})
        story += [PageBreak(), *park_page(store, m.park, lang, park_urls[m.park.id], extra,
                                          spots, rings)]
    return build(story, footer(store, lang, url, date), w(lang, "match"))
