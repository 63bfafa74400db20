"""The side-by-side view, ``/compare``: the plan as it stood (现状, default 2020) beside what it
plans (规划, default 2025), as two synchronised maps of the same layers as the main map.

The server validates and renders the years the link asks for (``left``, ``right``, ``undated``);
the page's script (``static/compare.js``) filters each map to its year by the features'
intervals, keeps the two views together, and writes years and view back into the address.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for

from corridor import checks
from corridor.errors import InvalidParameter
from corridor.timeline import FIRST_YEAR, LAST_YEAR, plan_year
from web.cache import BoundedCache, app_cache
from web.extensions import get_store
from web.map.build import build_map
from web.map.options import MapOptions, MapParts
from web.map.style import style_for
from web.map.words import Lang, gettext
from web.pages.blueprint import bp
from web.pages.cache import cached_page
from web.pages.mapview import configured_tiles, link_templates
from web.pages.site import PageError, page_vars

#: Pairs of maps kept per app (about 2 MB a pair): the current data version in both languages.
MAX_PAIRS = 2
#: The years each side opens on: the plan's baseline and its target year.
DEFAULTS = {"left": FIRST_YEAR, "right": LAST_YEAR}


def map_pair(lang: Lang) -> tuple[MapParts, MapParts]:
    """The left and right maps in ``lang``, built once per data version, language and tiles:
    every feature is in both (the script shows each map's year), without the main map's
    controls (the page gives each map its own year and its own counts)."""
    tiles = configured_tiles()
    store = get_store()
    cache: BoundedCache[tuple[MapParts, MapParts]] = app_cache("corridor_compare_maps", MAX_PAIRS)
    key = (store.version, lang, tiles, request.script_root)
    pair = cache.get(key)
    if pair is None:
        options = MapOptions(lang=lang, asset_base=url_for("pages.vendor", name="X")[:-1],
                             links=link_templates(), tiles=tiles, controls=False, legend=False)
        pair = (build_map(store, options, key="left"), build_map(store, options, key="right"))
        cache.put(key, pair)
    return pair


def _bad(message: str, lang: Lang) -> PageError:
    return PageError(400, message, url_for("pages.compare", lang=lang), gettext("Compare 2020 and 2025"))


def read_years(lang: Lang) -> tuple[int, int, bool]:
    """``left``, ``right`` and ``undated`` of the request (defaults 2020, 2025, shown).

    Raises
    ------
    PageError
        400 naming the bad value and the plan's years (or what ``undated`` takes).
    """
    years = {}
    for side, default in DEFAULTS.items():
        value = request.args.get(side)
        try:
            years[side] = default if value is None else plan_year(value, side)
        except InvalidParameter:
            raise _bad(gettext(
                "%(name)s=%(value)s is not a year of the plan: choose a year from %(first)s to %(last)s.",
                name=side, value=checks.shown(value), first=FIRST_YEAR, last=LAST_YEAR), lang) from None
    undated = request.args.get("undated", "1")
    try:
        checks.choice(undated, "undated", ("0", "1"))
    except InvalidParameter:
        raise _bad(gettext(
            "undated=%(value)s is not valid: use 1 to show plans with no date, or 0 to hide them.",
            value=checks.shown(undated)), lang) from None
    return years["left"], years["right"], undated == "1"


def side_words() -> dict[str, str]:
    """The headings and legend words the script fills in (``{year}``, ``{n}``)."""
    return {"left": gettext("%(year)s current state", year="{year}"),
            "right": gettext("%(year)s planned", year="{year}"),
            "total": gettext("%(n)s features shown", n="{n}")}


@bp.get("/compare")
@cached_page
def compare() -> str:
    ctx = page_vars()
    lang: Lang = ctx["lang"]
    left, right, undated = read_years(lang)
    store = get_store()
    parts = map_pair(lang)
    words = side_words()
    legend = [{"id": c.id, "title": c.title(lang), "swatch": style_for(c.id).swatch(c.points_only),
               "tiled_count": c.count}
              for c in store.collections() if c.group != "basemap"]
    sides: list[dict[str, Any]] = [
        {"key": key, "year": year, "parts": p, "title": words[key].replace("{year}", str(year))}
        for key, year, p in (("left", left, parts[0]), ("right", right, parts[1]))]
    config = {"lang": lang, "ui": words, "main": url_for("pages.index"),
              "years": [FIRST_YEAR, LAST_YEAR]}
    return render_template("pages/compare.html", sides=sides, legend=legend, undated=undated,
                           years=list(range(FIRST_YEAR, LAST_YEAR + 1)), config=config, **ctx)
