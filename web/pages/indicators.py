"""``/indicators``: the plan's seven main indicators, baseline against target."""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from web import get_store
from web.pages import bp
from web.pages.cache import cached_page
from web.pages.chart import indicator_svg
from web.pages.site import page_vars


@bp.get("/indicators")
@cached_page
def indicators() -> str:
    ctx = page_vars()
    items = get_store().indicators()
    chart = Markup(indicator_svg(items, ctx["lang"]))
    return render_template("pages/indicators.html", indicators=items, chart=chart, **ctx)
