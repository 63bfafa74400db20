"""The few words of the reports that the interface does not have (the rest come from
:func:`web.map.words.t`)."""

from __future__ import annotations

from web.map.words import Lang

WORDS: dict[str, dict[str, str]] = {
    "profile": {"zh": "园区简介", "en": "Park profile"},
    "match": {"zh": "园区选址匹配", "en": "Site match"},
    "generated": {"zh": "生成于 {date}(UTC)· 数据版本 {version}",
                  "en": "Made {date} (UTC) · data version {version}"},
    "scan": {"zh": "扫码在线查看", "en": "Scan to open online"},
    "page": {"zh": "第 {n} 页", "en": "Page {n}"},
    "scale": {"zh": "比例尺", "en": "Scale"},
    "research_within": {"zh": "周边科研资源(距园区边界,测地线)",
                        "en": "Research near the park (from its boundary, geodesic)"},
    "nearest": {"zh": "最近的 {n} 个", "en": "The {n} nearest"},
    "more": {"zh": "另有 {n} 个", "en": "and {n} more"},
    "criteria": {"zh": "匹配条件", "en": "Criteria"},
    "rank": {"zh": "排名", "en": "Rank"},
    "score": {"zh": "得分", "en": "Score"},
    "points": {"zh": "分", "en": "pts"},
    "no_match": {"zh": "不含所选产业", "en": "names no asked industry"},
    "weights": {"zh": "权重", "en": "Weights"},
    "any": {"zh": "(不限)", "en": "(any)"},
    "none": {"zh": "(无)", "en": "(none)"},
    "area": {"zh": "面积", "en": "Area"},
    "order": {"zh": "排序规则", "en": "Order"},
    # corridor.match.TIE_RULE, in both languages
    "tie_rule": {"zh": "含所选产业的园区在前(未选产业时全部园区均计为匹配);其次得分高者在前;"
                       "再次匹配产业条数多者在前;再次周边科研资源多者在前;最后按园区数据顺序",
                 "en": "parks naming an asked industry first (every park when none is asked); "
                       "then higher score; then more industry terms matched; then more research "
                       "nearby; then the order of the parks collection"},
    "not_measured": {"zh": "地点未公布:未计量", "en": "location not published: not measured"},
    "no_layers": {"zh": "尚无用户图层", "en": "No user layers loaded"},
}


def w(lang: Lang, key: str, **fmt: object) -> str:
    """Report word ``key`` in ``lang``."""
    text = WORDS[key][lang]
    return text.format(**fmt) if fmt else text
