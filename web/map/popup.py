"""The HTML of a feature's popup: both names, kind, industries, the plan's own words with their
section reference, where the position comes from and how far off it may be (accuracy,
position note, home-institution placement, source; the provenance texts in the popup's language)
and links. Every value from the data is escaped."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from web.map.words import BASIS, PLACEMENT, STATUS, Lang, gettext, kind_label, plan_ref, speaking


@dataclass(frozen=True)
class LinkTemplates:
    """URL patterns the popups link to; ``{cid}``, ``{fid}`` and ``{lang}`` are filled in.

    Map building does not know the app's routes, so the views pass these in.
    """

    item: str = "/api/collections/{cid}/items/{fid}"
    park: str = "/parks/{fid}?lang={lang}"
    items: str = "/api/collections/{cid}/items"
    #: Leaflet's tile URL template of a collection's vector tiles (``{cid}`` filled in here,
    #: ``{z}``/``{y}``/``{x}`` by Leaflet).
    tiles: str = "/api/collections/{cid}/tiles/WebMercatorQuad/{z}/{y}/{x}"


_CJK_RUN = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+")


def zh_marked(text: str, lang: Lang) -> str:
    """``text`` as HTML; on a page not in Chinese, each run of Chinese characters in it (a
    name quoted in English provenance, "AMap (高德)") is marked ``lang="zh"``."""
    if lang == "zh":
        return escape(text)
    out, at = [], 0
    for m in _CJK_RUN.finditer(text):
        out.append(escape(text[at:m.start()]))
        out.append(f'<span lang="zh">{escape(m.group())}</span>')
        at = m.end()
    out.append(escape(text[at:]))
    return "".join(out)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def popup_html(cid: str, props: Mapping[str, Any], lang: Lang, links: LinkTemplates,
               profile: bool = False, same_point: Sequence[tuple[str, str]] = ()) -> str:
    """Popup HTML for the feature with properties ``props`` in collection ``cid``; with
    ``profile`` it links the feature's park profile page; ``same_point`` lists the features
    (id, name) drawn at exactly the same position, each a button that opens its popup."""
    with speaking(lang):
        other: Lang = "en" if lang == "zh" else "zh"
        fid = str(props["id"])
        name = zh_marked(_text(props.get(f"name_{lang}")), lang)
        alt = escape(_text(props.get(f"name_{other}")))
        rows = [f'<div class="pp-name" lang="{lang}">{name}</div>']
        if alt and alt != name:
            rows.append(f'<div class="pp-alt" lang="{other}">{alt}</div>')
        rows.append(_row(gettext("Kind"), escape(kind_label(_text(props.get("kind")), lang))))
        inst = _text(props.get(f"institution_{lang}"))
        if inst:
            rows.append(_row(gettext("Institution"), zh_marked(inst, lang)))
        industries = props.get(f"industries_{lang}") or []
        if industries:
            rows.append(_row(gettext("Industry focus"), zh_marked("、".join(industries) if lang == "zh"
                                                                 else ", ".join(industries), lang)))
        plan_text = _text(props.get("plan_text"))
        if plan_text:
            rows.append(plan_words_html(props, lang, "pp-plan"))
        rows.append(_row(gettext("Position accuracy"), _accuracy(props, lang), "pp-accuracy"))
        placed = placement(props)
        if placed:
            how = gettext(PLACEMENT[placed])
            rows.append(f'<div class="pp-row pp-placed pp-placed-{placed}">{escape(how)}</div>')
        note = provenance(props, "position_note", lang)
        if note:
            rows.append(_row(gettext("Position note"), zh_marked(note, lang), "pp-note"))
        source = provenance(props, "source", lang)
        if source:
            rows.append(_row(gettext("Position source"), zh_marked(source, lang), "pp-source"))
        basis = _text(props.get("position_basis"))
        if basis:
            rows.append(_row(gettext("Position from"), escape(gettext(BASIS[basis])), "pp-basis"))
        status = _text(props.get("status"))
        if status:
            when = f' · {props["year"]} ({zh_marked(_text(props.get("year_event")), lang)})' if props.get("year") else ""
            rows.append(_row(gettext("Status (as of the plan)"), escape(gettext(STATUS[status])) + when, "pp-status"))
        evidence = props.get("evidence") or []
        if evidence:
            rows.append(evidence_html(evidence, lang))
        if same_point:
            others = ", ".join(f'<button type="button" class="pp-open" data-fid="{escape(ofid)}">'
                               f'{zh_marked(oname, lang)}</button>' for ofid, oname in same_point)
            rows.append(_row(gettext("%(n)s more at this same point", n=len(same_point)), others, "pp-same"))
        item_url = escape(links.item.format(cid=cid, fid=fid, lang=lang))
        api_link, profile_link, centre = gettext("API item"), gettext("Park profile"), gettext("centre here")
        link_items = [f'<a href="{item_url}" target="_blank" class="pp-api">{escape(api_link)}</a>']
        if profile:
            link_items.append(
                f'<a href="{escape(links.park.format(cid=cid, fid=fid, lang=lang))}" '
                f'class="pp-profile">{escape(profile_link)}</a>'
            )
        link_items.append(
            f'<button type="button" class="pp-centre" data-fid="{escape(fid)}">{escape(centre)}</button>'
        )
        rows.append(f'<div class="pp-links">{" · ".join(link_items)}</div>')
        return f'<div class="corridor-popup" data-fid="{escape(fid)}">{"".join(rows)}</div>'


def evidence_html(evidence: list[Mapping[str, Any]], lang: Lang) -> str:
    """The evidence list: each source's title (linked when it has a url), its date, what it
    says and the coordinate it gives with the coordinate system named."""
    items = []
    for e in evidence:
        title = zh_marked(_text(e.get("title")), lang)
        url = _text(e.get("url"))
        head = f'<a href="{escape(url)}" target="_blank" rel="noopener">{title}</a>' if url else title
        if _text(e.get("published")):
            head += f' ({escape(_text(e.get("published")))})'
        point = e.get("point")
        where = (f'{escape(_text(e.get("crs")))} {point[0]}, {point[1]}' if point
                 else escape(gettext("(no coordinate)")))
        doc = _text(e.get("document"))
        items.append(f'<li>{head}: {zh_marked(_text(e.get("says")), lang)} '
                     f'<span class="pp-ev-crs">[{where}]</span>'
                     + (f' <span class="pp-ev-doc">{zh_marked(doc, lang)}</span>' if doc and not url else "")
                     + "</li>")
    title = gettext("Evidence for the position")
    return (f'<details class="pp-evidence"><summary>{escape(title)} '
            f'({len(evidence)})</summary><ul>{"".join(items)}</ul></details>')


def plan_words_html(props: Mapping[str, Any], lang: Lang, cls: str) -> str:
    """The plan's words a feature quotes, with its section reference: verbatim Chinese (marked
    ``lang="zh"``); on an English page our English rendering first, labelled as ours."""
    ref = _text(props.get("plan_ref"))
    ref_html = escape(plan_ref(ref, lang))
    if lang != "zh" and ref and plan_ref(ref, lang) != ref:
        ref_html += f' / <span lang="zh">{escape(ref)}</span>'
    label = gettext("The plan's words")
    out = [f'<div class="{cls}"><b>{escape(label)}</b>'
           f'<span class="pp-ref">{ref_html}</span>']
    english = _text(props.get("plan_text_en"))
    if lang != "zh" and english:
        ours, verbatim = gettext("Our translation"), gettext("Verbatim, in Chinese")
        out.append(f'<p class="pp-translation"><span class="pp-label">'
                   f'{escape(ours)}:</span> {zh_marked(english, lang)}</p>'
                   f'<div class="pp-label">{escape(verbatim)}:</div>')
    out.append(f'<blockquote lang="zh">{escape(_text(props.get("plan_text")))}</blockquote></div>')
    return "".join(out)


def provenance(props: Mapping[str, Any], key: str, lang: Lang) -> str:
    """The feature's ``source`` or ``position_note`` in ``lang``: the ``<key>_zh`` text in
    Chinese, the English ``<key>`` otherwise (and as a fallback if the Chinese is missing)."""
    if lang == "zh":
        zh = _text(props.get(f"{key}_zh"))
        if zh:
            return zh
    return _text(props.get(key))


def _row(label: str, value_html: str, cls: str = "") -> str:
    extra = f" {cls}" if cls else ""
    return f'<div class="pp-row{extra}"><b>{escape(label)}</b>: {value_html}</div>'


def format_accuracy(metres: float) -> str:
    """``±600 m`` below a kilometre, ``±1.5 km`` / ``±30 km`` from one kilometre up."""
    if metres >= 1000:
        return f"±{metres / 1000:.1f} km".replace(".0 km", " km")
    return f"±{metres:,.0f} m" if metres >= 1 else f"±{metres:g} m"


def _accuracy(props: Mapping[str, Any], lang: Lang) -> str:
    acc = props.get("accuracy_m")
    parts = []
    if isinstance(acc, (int, float)) and not isinstance(acc, bool) and acc == acc:
        parts.append(f'<span class="pp-acc">{format_accuracy(float(acc))}</span>')
    if props.get("approximate"):
        parts.append(escape(gettext("approximate position/boundary")))
    return "; ".join(parts)


_HOME = re.compile(r"home[- ]institution placement", re.IGNORECASE)
_SYMBOLIC = re.compile(r"symbolic placement", re.IGNORECASE)
#: A clause of the position note that starts "Placed at/in/with ...": the item sits at the
#: institution, park or zone that hosts it, not at a site of its own.
_PLACED_CLAUSE = re.compile(r"(?:^|[;:]\s*)placed (?:at|in|with)\b", re.IGNORECASE)


def placement(props: Mapping[str, Any]) -> str | None:
    """``"home"`` if the item is drawn at its home (host, lead, parent) institution rather than
    a site of its own, ``"symbolic"`` if its position is only a token, else None.

    The curated data says so in words: its ``source`` begins "Home-institution placement" /
    "Symbolic placement", or a clause of ``position_note`` begins "Placed at/in/with". Only the
    English fields are read (``source_zh`` / ``position_note_zh`` say the same in Chinese), so
    the flag is the same whichever language the popup is in.
    """
    source = _text(props.get("source"))
    note = _text(props.get("position_note"))
    if _SYMBOLIC.search(source) or _SYMBOLIC.search(note):
        return "symbolic"
    if _HOME.search(source) or _HOME.search(note) or _PLACED_CLAUSE.search(note):
        return "home"
    return None
