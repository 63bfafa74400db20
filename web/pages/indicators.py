"""``/indicators``: the plan's seven main indicators, baseline against target."""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from web import get_store
from web.map.words import ATTRIBUTES, plan_ref, value_text
from web.pages import bp
from web.pages.cache import cached_page
from web.pages.chart import indicator_svg
from web.pages.site import page_vars

#: The plan's mark of a 2019 figure (its note: 带“∗”号的为2019年数据).
STAR = "∗"


@bp.get("/indicators")
@cached_page
def indicators() -> str:
    ctx = page_vars()
    items = get_store().indicators()
    lang = ctx["lang"]
    chart = Markup(indicator_svg(items, lang))
    rows = [{"ind": ind, "starred": ind.baseline_text.endswith(STAR),
             "baseline": value_text(ind.baseline_text.removesuffix(STAR), lang),
             "target": value_text(ind.target_text, lang),
             "attribute": ATTRIBUTES.get(ind.attribute_zh, {}).get(lang, ind.attribute_zh),
             "plan_ref": plan_ref(ind.plan_ref, lang)} for ind in items]
    return render_template("pages/indicators.html", indicators=items, rows=rows, chart=chart, **ctx)
