"""The interface words of the map and pages: English in the source, Chinese in a gettext
catalog, read with the standard library's :mod:`gettext` and Jinja's i18n extension.

The words are gettext messages: English msgids where they are used (``gettext`` and
``ngettext`` in Python, ``_()`` and ``ngettext`` in the templates), their Chinese in
``web/translations/zh/LC_MESSAGES/messages.po`` (compiled to ``messages.mo`` beside it;
``babel.cfg`` tells ``pybabel extract`` where to look; Babel's tools are needed only to
extract and compile, so they are in the ``dev`` and ``test`` extras, not the install). Each
catalog is read once. A request speaks the language :func:`web.negotiate.page_lang`
decides for it; code that renders for a given language, as the map builder does, says so
with :func:`speaking`. Words chosen by a data value (a feature's kind, status...) are msgids in
the tables below, marked with :func:`N_` for extraction and translated where shown.

Feature names and plan text come from the data. The English reading of the plan's section
references and values (:func:`plan_ref`, :func:`value_text`) is made from the Chinese here.
"""

from __future__ import annotations

import gettext as stdlib_gettext
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context, has_request_context
from markupsafe import Markup, escape

from corridor import checks
from corridor.checks import LANGS, Lang  # noqa: F401 - re-exported for the pages
from web.negotiate import page_lang

#: Where the catalogs are (``<lang>/LC_MESSAGES/messages.po`` and ``.mo``).
TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"
#: Each language's name in itself, for the page's language switch.
LANGUAGE_NAMES: dict[Lang, str] = {"zh": "中文", "en": "English"}


def N_(msgid: str) -> str:  # noqa: N802 - the gettext convention's name
    """Mark ``msgid`` for extraction without translating it (it is translated where shown)."""
    return msgid


#: Feature kinds (the ``kind`` property); unknown kinds show as stored.
KINDS: dict[str, str] = {
    "land": N_("land"),
    "district": N_("district"),
    "bay": N_("bay"),
    "corridor": N_("innovation corridor"),
    "park": N_("park"),
    "university_campus": N_("university campus"),
    "university": N_("university"),
    "national_lab": N_("national laboratory"),
    "provincial_lab": N_("provincial laboratory"),
    "research_institute": N_("research institute"),
    "innovation_center": N_("technology innovation centre"),
    "innovation_centre": N_("technology innovation centre"),
    "science_park": N_("science park"),
    "belt": N_("industrial belt"),
    "street": N_("innovation street"),
    "major_facility": N_("major science facility"),
    "innovation_platform": N_("innovation platform"),
    "incubator": N_("incubator"),
    "accelerator": N_("accelerator"),
    "innovation_hub": N_("innovation hub"),
    "cooperation_zone": N_("cooperation zone"),
    "cooperation_platform": N_("cooperation platform"),
    "district_role": N_("district role"),
}

#: The plan's indicator attributes (属性 column of its 一(三) table), as the data has them.
ATTRIBUTES: dict[str, str] = {"预期性": N_("indicative"), "约束性": N_("binding")}

#: A feature's ``status`` (as of the plan).
STATUS: dict[str, str] = {
    "operating": N_("operating"),
    "under_construction": N_("under construction"),
    "planned": N_("planned"),
}

#: Where a feature's ``position_basis`` says its position comes from.
BASIS: dict[str, str] = {
    "evidence": N_("coordinates the sources give"),
    "host": N_("the position of its host"),
    "district": N_("the whole district"),
    "recalled": N_("recalled; no source with a coordinate was found"),
    "unplaced": N_("location not published; not placed"),
}

#: How a feature is placed when not at a site of its own (:func:`web.map.popup.placement`).
PLACEMENT: dict[str, str] = {
    "home": N_("Placed at its home institution: shown where its host or parent institution "
               "is, not at a site of its own"),
    "symbolic": N_("Symbolic placement: the plan names no site, so this position is only "
                   "indicative"),
}

#: The layer control's groups of collections (a collection's ``group``).
GROUP_TITLES: dict[str, str] = {
    "basemap": N_("Basemap"),
    "plan": N_("Plan"),
    "institutions": N_("Institutions"),
    "user": N_("User layers"),
    "tiles": N_("Online tiles (need internet)"),
}

#: The words the page's script (``web/static/map.js``) shows, by the name it uses; the
#: script fills in the ``{n}``-style fields itself.
SCRIPT_WORDS: dict[str, str] = {
    "accuracy": N_("Position accuracy"),
    "api_link": N_("API item"),
    "centre_here": N_("centre here"),
    "copied": N_("Copied"),
    "copy_link": N_("Copy link"),
    "error": N_("Query failed"),
    "here": N_("Here"),
    "inside": N_("inside"),
    "km": N_("km"),
    "km_not_number": N_("Enter a radius in kilometres."),
    "km_not_positive": N_("The radius must be more than 0 km."),
    "km_too_far": N_("The radius can be at most {max} km."),
    "layers": N_("Layers"),
    "legend": N_("Legend"),
    "loading": N_("Loading…"),
    "near_bad_centre": N_("The centre “{of}” is not understood: expected a feature or "
                          "“lon,lat”. Pick a centre on the map."),
    "near_found": N_("{n} within {km} km."),
    "minutes": N_("min"),
    "minutes_bad": N_("Enter a time of more than 0 and at most {max} minutes."),
    "reach_found": N_("{n} within {minutes} minutes ({nodes} road nodes reached)."),
    "near_pick": N_("pick a feature or click the map"),
    "near_unknown": N_("No feature “{of}” to centre on (the link names none). Pick a centre "
                       "on the map."),
    "no_results": N_("No results"),
    "point": N_("Point"),
    "source": N_("Position source"),
    "tile_thinned": N_("At this zoom this dot stands for about {n} points close together; "
                       "zoom in to see each."),
}


def init_app(app: Flask) -> None:
    """Give ``app``'s templates the words (Jinja's i18n extension, ``_()`` and ``ngettext``)
    in the language of the moment (:func:`current_lang`), escaped like any text."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    # Jinja's i18n extension trusts translations as markup; ours are text ("S&T")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # the i18n extension's
        gettext=_markup_gettext, ngettext=_markup_ngettext, newstyle=True)


@lru_cache(maxsize=len(LANGS))  # one entry a language the service speaks
def catalog(lang: Lang) -> stdlib_gettext.NullTranslations:
    """The words of ``lang``, read once: English is the source's own (no catalog); another
    language's catalog is ``TRANSLATIONS/<lang>/LC_MESSAGES/messages.mo``.

    Raises
    ------
    FileNotFoundError
        If that catalog is missing (an install without its compiled catalog).
    """
    if lang == "en":
        return stdlib_gettext.NullTranslations()
    return stdlib_gettext.translation("messages", TRANSLATIONS, [lang])


#: The language :func:`speaking` imposes (None: the request's or the app's own).
_SPEAKING: ContextVar[Lang | None] = ContextVar("corridor_speaking", default=None)


def current_lang() -> Lang:
    """The language words are shown in now: the one :func:`speaking` imposes, else this
    request's (:func:`web.negotiate.page_lang`), else the app's ``DEFAULT_LANG``.

    Raises
    ------
    RuntimeError
        Outside :func:`speaking` and without an app context: no language is known.
    """
    forced = _SPEAKING.get()
    if forced is not None:
        return forced
    if has_request_context():
        return page_lang()
    if has_app_context():
        return checks.lang(current_app.config.get("DEFAULT_LANG"), "zh")
    raise RuntimeError("interface words outside an app need a language: use speaking(lang)")


def gettext(msgid: str, **variables: Any) -> str:
    """``msgid`` in the current language, its ``%(name)s`` fields filled from ``variables``
    (none given: the text as is)."""
    text = catalog(current_lang()).gettext(msgid)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """The form for ``num`` in the current language, its fields filled from ``variables``
    and ``num`` (as ``%(num)d``)."""
    variables.setdefault("num", num)
    return catalog(current_lang()).ngettext(singular, plural, num) % variables


def _markup_gettext(msgid: str) -> Markup:
    return escape(catalog(current_lang()).gettext(msgid))


def _markup_ngettext(singular: str, plural: str, num: int) -> Markup:
    return escape(catalog(current_lang()).ngettext(singular, plural, num))


@contextmanager
def speaking(lang: Lang) -> Iterator[None]:
    """Show the words in ``lang`` inside the block (whatever the request asked)."""
    token = _SPEAKING.set(lang)
    try:
        yield
    finally:
        _SPEAKING.reset(token)


def script_words() -> dict[str, str]:
    """:data:`SCRIPT_WORDS` in the current language, for the page's script."""
    return {key: gettext(msgid) for key, msgid in SCRIPT_WORDS.items()}


def kind_label(kind: str, lang: Lang) -> str:
    """A feature kind in ``lang``; kinds :data:`KINDS` lacks are shown with underscores as spaces."""
    msgid = KINDS.get(kind)
    if msgid is None:
        return kind.replace("_", " ")
    with speaking(lang):
        return gettext(msgid)


def attribute_label(attribute_zh: str) -> str:
    """An indicator's attribute in the current language (one :data:`ATTRIBUTES` lacks as stored)."""
    msgid = ATTRIBUTES.get(attribute_zh)
    return attribute_zh if msgid is None else gettext(msgid)


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
