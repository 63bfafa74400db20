"""Park profiles for investors: ``/parks`` (all ten compared by industry group) and
``/parks/<id>`` (industry focus, the plan's words, a small map with the park marked, what
lies within 5 and 10 km)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import render_template, request, url_for
from markupsafe import Markup

from corridor.errors import NotFound
from corridor.industry import expand, term_matches
from corridor.mapgeom import distance_buffer
from corridor.model import Feature
from corridor.queries import within_distance
from corridor.store import FeatureStore
from web import get_store
from web.map.build import MapOptions, build_map, legend_html
from web.map.style import HIGHLIGHT_COLOUR
from web.map.words import Lang, t
from web.pages import bp
from web.pages.cache import cached_page
from web.pages.mapview import link_templates
from web.pages.site import page_vars

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


@dataclass(frozen=True)
class IndustryGroup:
    """An industry group of the plan, for comparing parks: its names and the terms that put a
    park's industry into it (each expanded through :func:`corridor.industry.expand`, so the
    synonym groups of :mod:`corridor.industry` count too)."""

    key: str
    zh: str
    en: str
    terms: tuple[str, ...]

    def title(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en


#: The plan's industry groups (三(一) strategic emerging industries, 二(四) marine economy,
#: 五(一) the parks' own wording), in the order the comparison shows them. An industry may
#: belong to two groups (海洋生物医药 is marine and biomedicine).
INDUSTRY_GROUPS: tuple[IndustryGroup, ...] = (
    IndustryGroup("it", "新一代信息技术", "Next-generation IT & digital",
                  ("新一代信息技术", "信息技术", "大数据", "5G", "物联网", "软件", "电子信息", "电子",
                   "信息安全", "网络", "通信", "数字经济")),
    IndustryGroup("ai", "人工智能", "Artificial intelligence", ("人工智能",)),
    IndustryGroup("semi", "集成电路与半导体", "Semiconductors & ICs", ("半导体",)),
    IndustryGroup("equip", "高端装备与智能制造", "High-end equipment & intelligent manufacturing",
                  ("高端装备", "智能制造", "机器人", "先进制造", "轻型动力")),
    IndustryGroup("rail", "轨道交通装备", "Rail transit equipment",
                  ("轨道交通", "轨道", "动车组", "列车")),
    IndustryGroup("marine", "海洋经济", "Marine economy",
                  ("海洋", "海上", "高技术船舶", "船舶")),
    IndustryGroup("bio", "生物医药与医疗器械", "Biomedicine & medical devices",
                  ("生物医药", "医疗器械", "医药", "药物", "医疗")),
    IndustryGroup("materials", "新材料与新能源", "New materials & new energy",
                  ("新材料", "新能源", "氢能")),
    IndustryGroup("aero", "航空与无人系统", "Aviation & unmanned systems",
                  ("航空", "无人机", "无人系统")),
    IndustryGroup("appliances", "智能家电", "Smart home appliances", ("智能家电", "家电")),
    IndustryGroup("services", "现代服务与绿色经济", "Modern services & green economy",
                  ("现代服务", "服务业", "绿色经济")),
)
OTHER_GROUP = IndustryGroup("other", "其他", "Other", ())


def groups_of(industry_zh: str, industry_en: str) -> list[IndustryGroup]:
    """The groups one industry (both its names) belongs to; ``[OTHER_GROUP]`` if none."""
    names = [n for n in (industry_zh, industry_en) if n]
    out = [g for g in INDUSTRY_GROUPS
           if any(term_matches(expand(term), names) for term in g.terms)]
    return out or [OTHER_GROUP]


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
                           collection=store.collection(cid), **ctx)


@bp.get("/parks/<park_id>")
@cached_page
def park(park_id: str) -> str:
    ctx = page_vars()
    lang: Lang = ctx["lang"]
    store = get_store()
    cid = parks_collection(store)
    feature = store.get(cid, park_id)
    item_url = request.script_root + f"/api/collections/{cid}/items/{park_id}"
    if feature.geometry is None:  # listed in the plan, location not published: no map
        return render_template("pages/park.html", park=feature.properties, near={}, parts=None,
                               legend="", map_url=None, item_url=item_url, **ctx)
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
    label = f'{t(lang, "this_park")}: {feature.name(lang)}'
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
    return render_template("pages/park.html", park=feature.properties, near=near, parts=parts,
                           legend=legend, map_url=map_url, item_url=item_url, **ctx)
