"""``/indicators``: the plan's seven main indicators, baseline against target, and the
feature count of each user layer tagged with one beside its target."""

from __future__ import annotations

from flask import render_template
from flask_babel import ngettext
from markupsafe import Markup

from corridor.indicators import tagged_layers
from web.extensions import get_store
from web.map.words import attribute_label, plan_ref, value_text
from web.pages.blueprint import bp
from web.pages.cache import cached_page
from web.pages.chart import indicator_svg
from web.pages.site import page_vars

#: The plan's mark of a 2019 figure (its note: 带“∗”号的为2019年数据).
STAR = "∗"


@bp.get("/indicators")
@cached_page
def indicators() -> str:
    ctx = page_vars()
    store = get_store()
    items = store.indicators()
    lang = ctx["lang"]
    chart = Markup(indicator_svg(items, lang))
    tagged = tagged_layers(store.collections())
    rows = []
    for ind in items:
        target = value_text(ind.target_text, lang)
        unit = ind.unit_zh if lang == "zh" else ind.unit_en
        rows.append({
            "ind": ind, "starred": ind.baseline_text.endswith(STAR),
            "baseline": value_text(ind.baseline_text.removesuffix(STAR), lang),
            "target": target,
            "attribute": attribute_label(ind.attribute_zh),
            "plan_ref": plan_ref(ind.plan_ref, lang),
            # each layer tagged with the indicator, its count beside the target
            "imported": [{"id": m.id, "count": m.count,
                          "text": ngettext("imported: %(count)s feature in layer “%(layer)s”, "
                                           "target %(target)s",
                                           "imported: %(count)s features in layer “%(layer)s”, "
                                           "target %(target)s",
                                           m.count, count=f"{m.count:,}", layer=m.title(lang),
                                           target=f"{target} {unit}")}
                         for m in tagged.get(ind.id, [])],
        })
    return render_template("pages/indicators.html", indicators=items, rows=rows, chart=chart,
                           any_imported=any(r["imported"] for r in rows), **ctx)
