"""The plan's industry groups and one normalised industry vocabulary.

The data names industries in the words of each quote: 84 raw (Chinese, English) pairs with
near-duplicates ("智能航运"/"智慧航运", "新能源汽车" in two cases). The map's industry filter
offers one term per synonym group of :mod:`corridor.industry` (else per case-folded English
term), under the same industry groups the park comparison on ``/parks`` uses, sorted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from corridor.industry import SYNONYMS, expand, term_matches
from corridor.store import FeatureStore
from corridor.textmatch import normalize
from web.map.words import Lang


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
                   "信息安全", "网络", "通信", "数字经济", "云计算")),
    IndustryGroup("ai", "人工智能", "Artificial intelligence", ("人工智能",)),
    IndustryGroup("semi", "集成电路与半导体", "Semiconductors & ICs", ("半导体",)),
    IndustryGroup("equip", "高端装备与智能制造", "High-end equipment & intelligent manufacturing",
                  ("高端装备", "智能制造", "机器人", "先进制造", "轻型动力")),
    IndustryGroup("rail", "轨道交通装备", "Rail transit equipment",
                  ("轨道交通", "轨道", "动车组", "列车")),
    IndustryGroup("marine", "海洋经济", "Marine economy",
                  ("海洋", "海上", "高技术船舶", "船舶", "航运", "码头")),
    IndustryGroup("bio", "生物医药与医疗器械", "Biomedicine & medical devices",
                  ("生物医药", "医疗器械", "医药", "药物", "医疗", "康复", "生命", "康养")),
    IndustryGroup("materials", "新材料与新能源", "New materials & new energy",
                  ("新材料", "新能源", "氢能", "能源", "电池", "材料")),
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



_MEMBERS = tuple(frozenset(normalize(term) for term in group) for group in SYNONYMS)


def vocabulary_key(zh: str, en: str) -> tuple[str, str]:
    """Which vocabulary term an industry (both its names) is: the synonym group that names
    either exactly, else its case-folded English name."""
    names = {normalize(zh), normalize(en)}
    for i, members in enumerate(_MEMBERS):
        if members & names:
            return ("group", str(i))
    return ("en", normalize(en) or normalize(zh))


def vocabulary(store: FeatureStore, lang: Lang) -> list[dict[str, Any]]:
    """The industry filter's choices: per industry group (plan order), its terms sorted
    (English case-insensitively; Chinese by code point, which is radical-and-stroke order),
    each ``{"query": term for the API's industry=, "label": shown}``. A term sits in the first
    group it belongs to; its label is the wording the data uses most for it."""
    wordings: dict[tuple[str, str], Counter[tuple[str, str]]] = {}
    for c in store.collections():
        if c.has_role("basemap") or c.count > 10000:
            continue  # basemaps name no industries; user layers would swamp the list
        for f in store.features(c.id):
            zh_list, en_list = f.get("industries_zh") or [], f.get("industries_en") or []
            for zh, en in zip(zh_list, en_list, strict=True):
                wordings.setdefault(vocabulary_key(zh, en), Counter())[(zh, en)] += 1
    by_group: dict[str, list[dict[str, str]]] = {}
    for key, counts in wordings.items():
        zh, en = min(counts, key=lambda p: (-counts[p], len(p[1]), p))
        if key[0] == "group":  # the group's own head term reads best, where the data uses it
            head = SYNONYMS[int(key[1])][0]
            zh = head if any(normalize(z) == normalize(head) for z, _ in counts) else zh
        label = zh if lang == "zh" else en
        group = groups_of(zh, en)[0]
        by_group.setdefault(group.key, []).append({"query": label, "label": label})
    out = []
    for g in (*INDUSTRY_GROUPS, OTHER_GROUP):
        terms = by_group.get(g.key)
        if terms:
            terms.sort(key=lambda x: (x["label"].casefold(), x["label"]))
            out.append({"key": g.key, "title": g.title(lang), "terms": terms})
    return out
