"""``/indicators``: the plan's seven main indicators, baseline against target, and the
feature count of each user layer tagged with one beside its target, with its count per
calendar year of its date column (:meth:`corridor.store.FeatureStore.year_counts`): per year
and cumulative, the cumulative count being what a count indicator's target compares with."""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from corridor.indicators import tagged_layers
from corridor.model import CollectionMeta, Indicator
from corridor.store import FeatureStore
from corridor.yearcount import AMBIGUOUS, PLAN_YEARS
from web.extensions import get_store
from web.map.words import Lang, attribute_label, gettext, ngettext, plan_ref, value_text
from web.pages.blueprint import bp
from web.pages.cache import cached_page
from web.pages.chart import indicator_svg, year_svg
from web.pages.site import page_vars

#: The plan's mark of a 2019 figure (its note: 带“∗”号的为2019年数据).
STAR = "∗"


def by_year(store: FeatureStore, meta: CollectionMeta, ind: Indicator, target: str,
            lang: Lang) -> dict[str, object]:
    """What the page shows of a tagged layer's features per year: the rows (year, dated in
    it, cumulative), the features with no date, a chart, and the words; or why there is no
    count by year."""
    yc = store.year_counts(meta.id)
    layer = meta.title(lang)
    out: dict[str, object] = {"id": meta.id, "layer": layer, "column": yc.column, "rows": []}
    if yc.column is None:
        out["why"] = (gettext("No count by year: layer “%(layer)s” has several date columns "
                              "(%(columns)s), so none is taken; import it with one.",
                              layer=layer, columns=", ".join(f"“{c}”" for c in yc.ambiguous))
                      if yc.reason == AMBIGUOUS else
                      gettext("No count by year: layer “%(layer)s” has no date column (a "
                              "column of dates or date-times, or a “year” column of years).",
                              layer=layer))
        return out
    rows = yc.span(*PLAN_YEARS)
    title = gettext("“%(layer)s” by year of “%(column)s”", layer=layer, column=yc.column)
    cumulative = {y: c for y, _, c in rows}[PLAN_YEARS[1]]
    out.update(rows=rows, title=title, no_date=yc.no_date, empty=yc.empty,
               unparsable=yc.unparsable,
               no_date_text=gettext("No date: %(empty)s without a value in “%(column)s”, "
                                    "%(unparsable)s whose value is not a date; they are in no year.",
                                    empty=f"{yc.empty:,}", unparsable=f"{yc.unparsable:,}",
                                    column=yc.column),
               chart=Markup(year_svg(rows, title, lang)),
               against=gettext("Cumulative to the end of %(year)s: %(count)s, target %(target)s.",
                               year=PLAN_YEARS[1], count=f"{cumulative:,}", target=target))
    return out



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
            "by_year": [by_year(store, m, ind, f"{target} {unit}", lang) for m in tagged.get(ind.id, [])],
        })
    return render_template("pages/indicators.html", indicators=items, rows=rows, chart=chart,
                           any_imported=any(r["imported"] for r in rows), **ctx)
