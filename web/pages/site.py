"""What every page shares: the language (its words: :mod:`web.map.words`), the language
switch, and the error pages.

Every error a person meets on a page is in the page's language, inside the site's chrome, and
offers a way on (the JSON helper under ``/map-data/`` answers with the error body instead).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import jsonify, render_template, request, url_for
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from corridor import checks
from corridor.checks import LANGS, Lang
from corridor.errors import InvalidParameter, NotFound
from web.api.errors import error_response
from web.map.popup import zh_marked
from web.map.words import LANGUAGE_NAMES, gettext
from web.negotiate import is_api_path, page_lang, unsupported_lang
from web.pages.blueprint import bp


@bp.app_template_filter("zh")
def zh_filter(text: Any, lang: str) -> Markup:
    """``{{ value|zh(lang) }}``: the text with its Chinese runs marked ``lang="zh"`` on a page
    in another language (see :func:`web.map.popup.zh_marked`)."""
    return Markup(zh_marked(str(text or ""), checks.lang(lang)))


def other_lang(lang: Lang) -> Lang:
    """The language the page's switch offers."""
    return next(x for x in LANGS if x != lang)


def lang_switch_url(lang: Lang) -> str:
    """This page's URL with every parameter kept and ``lang`` set to ``lang``."""
    args = request.args.to_dict(flat=True)
    args["lang"] = lang
    return f"{request.path}?{urlencode(args)}"


def page_vars() -> dict[str, Any]:
    """Template variables of every page: language (:func:`web.negotiate.page_lang`, the
    language its words are in), language-switch link, and a notice when ``?lang=`` named a
    language the site lacks."""
    lang = page_lang()
    other = other_lang(lang)
    asked = unsupported_lang()
    notice = gettext("There is no “%(asked)s” version; this page is in English.", asked=asked)
    return {"lang": lang, "other_lang": other, "other_lang_name": LANGUAGE_NAMES[other],
            "switch_url": lang_switch_url(other), "lang_notice": notice if asked else ""}


class PageError(Exception):
    """An error to show a person: status, a message in the page's language, and a way on."""

    def __init__(self, status: int, message: str, back_url: str, back_label: str):
        super().__init__(message)
        self.status = status
        self.message = message
        self.back_url = back_url
        self.back_label = back_label


def _error_page(status: int, message: str, back_url: str | None = None,
                back_label: str | None = None) -> Any:
    if request.path.startswith("/map-data/"):
        code = "InvalidParameterValue" if status == 400 else "NotFound"
        return jsonify({"code": code, "description": message, "status": status}), status
    ctx = page_vars()
    lang = ctx["lang"]
    return render_template(
        "pages/error.html", status=status, message=message,
        title=gettext("Page not found") if status == 404 else gettext("Something in the request is wrong"),
        back_url=back_url or url_for("pages.index", lang=lang),
        back_label=back_label or gettext("Back to the map"), **ctx,
    ), status


@bp.errorhandler(PageError)
def page_error(exc: PageError) -> Any:
    return _error_page(exc.status, exc.message, exc.back_url, exc.back_label)


@bp.errorhandler(InvalidParameter)
def bad_parameter(exc: InvalidParameter) -> Any:
    return _error_page(400, str(exc))


@bp.errorhandler(NotFound)
def not_found(exc: NotFound) -> Any:
    return _error_page(404, str(exc))


@bp.app_errorhandler(404)
def no_such_page(exc: HTTPException) -> Any:
    """Any unknown address outside the API: the site's own 404 page, in the page's language."""
    if is_api_path():
        return error_response(exc)
    return _error_page(404, gettext("There is no page at “%(path)s” on this site.", path=request.path[:200]))
