"""``/indicators``: the plan's seven main indicators, baseline against target."""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from web import get_catalog
from web.pages import bp
from web.pages.chart import indicator_svg
from web.pages.site import page_vars


@bp.get("/indicators")
def indicators() -> str:
    ctx = page_vars()
    items = get_catalog().indicators
    chart = Markup(indicator_svg(items, ctx["lang"]))
    return render_template("pages/indicators.html", indicators=items, chart=chart, **ctx)
