"""Industry-focus matching with a small synonym table grounded in the plan's vocabulary.

Each group lists the plan's Chinese term(s) first, then the English renderings a user may
type. Line numbers refer to ``shared/plan/qingdao-sti-plan-2021.zh.txt``. A term matches a
feature when it, or any member of a group it belongs to, occurs in one of the feature's
``industries_zh`` / ``industries_en`` entries: Chinese terms as substrings (so 生物医药 also
finds 海洋生物医药), Latin terms as whole words with an optional plural "s"/"es" (so "AI"
does not match "retail" and "chip" finds "chips").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from corridor.textmatch import normalize

SYNONYMS: tuple[tuple[str, ...], ...] = (
    # 三(一)1 l.390-393 "新一代人工智能城市云脑 ... 人工智能"; 五(一)1 l.756-758 "人工智能+高端装备制造"
    ("人工智能", "AI", "artificial intelligence"),
    # 三(一)5 l.436-438 "第三代半导体材料 ... 集成电路"; 三(一)1 l.393-395 "微电子 ... 光电子芯片";
    # 五(一)1 l.758 "半导体"
    ("半导体", "集成电路", "芯片", "微电子", "semiconductor", "integrated circuit", "IC", "chip",
     "microelectronics"),
    # 二(四)1 l.293 "海洋生物医药产业"; 五(一)2 l.768 "海洋生物医药主导产业"
    ("海洋生物医药", "海洋医药", "marine biomedicine", "marine biopharmaceutical",
     "marine biomedical", "marine pharmaceutical"),
    # 三(一)6 l.440 "生物医药及医疗器械"; 五(一)3 l.772; 专栏8 4 l.815
    ("生物医药", "biomedicine", "biopharmaceutical", "biomedical", "biopharma"),
    # 三(一)2 l.401 "轨道交通装备"; 五(一)1 l.760; 五(一)5 l.792 "青岛轨道交通产业示范区"
    ("轨道交通", "轨道交通装备", "轨道交通装备制造", "rail transit", "rail transit equipment",
     "rail transit equipment manufacturing", "railway", "rail"),
    # 三(一)4 l.419-425 "新能源汽车"; 五(二)2 l.838 "新能源汽车产业集聚区"
    ("新能源汽车", "NEV", "new energy vehicle", "new-energy vehicle", "electric vehicle", "EV"),
    # 三(一)1 l.390; 五(一)1 l.755 "新一代信息技术"
    ("新一代信息技术", "next-generation information technology", "new-generation information technology",
     "next-generation IT"),
    # 三(一)3 l.411; 五(一)3 l.774 "智能家电"
    ("智能家电", "smart home appliance", "smart appliance", "intelligent home appliance"),
    # 三(一)5 l.427; 五(一)4 l.782 "新材料"
    ("新材料", "new material", "advanced material"),
    # 五(一)1 l.758 "大数据、5G"
    ("大数据", "big data"),
    # 三(一)3 l.413; 专栏8 1 l.804 "物联网"
    ("物联网", "IoT", "internet of things"),
    # 专栏8 1 l.804 "软件信息"
    ("软件", "software"),
    # 专栏8 2 l.811, 5 l.820 "电子信息"
    ("电子信息", "电子信息产业", "electronic information", "electronic information industry",
     "electronics"),
    # 五(一)1 l.760 "智能制造装备"; 专栏8 5 l.820 "智能制造"
    ("智能制造", "intelligent manufacturing", "smart manufacturing"),
    # 五(一)1 l.760 "机器人"
    ("机器人", "robot", "robotics"),
    # 三(一)6 l.440; 五(一)1 l.758 "高端医疗器械"
    ("医疗器械", "medical device", "medical equipment"),
    # 五(一)2 l.768 "海洋信息"
    ("海洋信息", "marine information", "ocean information"),
    # 五(一)4 l.788 "无人机为重点的航空产业"
    ("无人机", "UAV", "drone", "unmanned aerial vehicle"),
    ("航空", "aviation", "aeronautics", "aerospace"),
    # 专栏7 8 l.716 "氢能"
    ("氢能", "hydrogen", "hydrogen energy"),
    # 五(一)4 l.786 "高技术船舶"
    ("高技术船舶", "high-tech ship", "high-tech shipbuilding"),
    # 专栏1 5 l.236 "智能航运科学实验设施"; 专栏2 6 l.282 "智慧航运"
    ("智能航运", "智慧航运", "intelligent shipping", "smart shipping"),
    # 五(一)1 l.760 "康复医疗"; 三(四) l.554 "康复领域"
    ("康复医疗", "康复", "rehabilitation medicine", "rehabilitation"),
)


def _is_cjk_free(term: str) -> bool:
    return all(ord(ch) < 0x2E80 for ch in term)


@lru_cache(maxsize=1)
def _groups() -> tuple[frozenset[str], ...]:
    return tuple(frozenset(normalize(t) for t in group) for group in SYNONYMS)


def expand(term: str) -> frozenset[str]:
    """The normalised term plus every synonym of every group it belongs to.

    An English plural ("chips", "robotics" is kept) also looks up its singular.
    """
    t = normalize(term)
    keys = {t}
    if _is_cjk_free(t) and len(t) > 3 and t.endswith("s") and not t.endswith("ss"):
        keys.add(t[:-1])
    out = set(keys)
    for group in _groups():
        if group & keys:
            out |= group
    return frozenset(out)


@lru_cache(maxsize=512)
def _pattern(term: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z0-9])" + re.escape(term) + r"(?:s|es)?(?![a-z0-9])")


def term_matches(terms: frozenset[str], industries: Iterable[str]) -> bool:
    """Whether any of the (normalised) ``terms`` occurs in any of the ``industries``."""
    for raw in industries:
        text = normalize(raw)
        for t in terms:
            if _is_cjk_free(t):
                if _pattern(t).search(text):
                    return True
            elif t in text:
                return True
    return False
