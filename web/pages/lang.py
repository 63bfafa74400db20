"""Which language a page speaks: ``?lang=zh|en``, else the browser's Accept-Language, else the
``DEFAULT_LANG`` setting."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, request

from corridor import checks
from corridor.errors import InvalidParameter
from web.map.words import LANGS, Lang
from web.query import preferred_language, query_arg


def current_lang() -> Lang:
    """The language of this request: a ``?lang=`` other than zh or en is ignored (a page in
    a language it has beats an error page; :func:`unsupported_lang` says it was asked)."""
    default = checks.lang(current_app.config.get("DEFAULT_LANG"), "zh")
    asked = query_arg("lang")
    if asked:
        try:
            return checks.lang(asked, default)
        except InvalidParameter:
            pass
    best = preferred_language(request.environ.get("HTTP_ACCEPT_LANGUAGE", ""))
    return default if best is None else checks.lang(best, default)


def unsupported_lang() -> str | None:
    """The ``?lang=`` of this request if it names a language the pages do not have."""
    asked = query_arg("lang")
    if not asked:
        return None
    try:
        checks.lang(asked, "zh")
    except InvalidParameter:
        return asked[:20]
    return None


def other_lang(lang: Lang) -> Lang:
    return next(x for x in LANGS if x != lang)


def lang_switch_url(lang: Lang) -> str:
    """This page's URL with every parameter kept and ``lang`` set to ``lang``."""
    args = request.args.to_dict(flat=True)
    args["lang"] = lang
    return f"{request.path}?{urlencode(args)}"
