"""What every page shares: the language, the interface words, and the error pages."""

from __future__ import annotations

from typing import Any

from flask import jsonify, render_template, request

from corridor.errors import InvalidParameter, NotFound
from web.map.words import table
from web.pages import bp
from web.pages.lang import current_lang, lang_switch_url, other_lang


def page_vars() -> dict[str, Any]:
    """Template variables of every page: language, words, language-switch link."""
    lang = current_lang()
    other = other_lang(lang)
    return {"lang": lang, "ui": table(lang), "other_lang": other,
            "switch_url": lang_switch_url(other)}


def _error_page(status: int, message: str) -> Any:
    if request.path.startswith("/map-data/"):
        code = "InvalidParameterValue" if status == 400 else "NotFound"
        return jsonify({"code": code, "description": message, "status": status}), status
    try:
        ctx = page_vars()
    except InvalidParameter:  # a bad ?lang= itself: answer in the default language
        ctx = {"lang": "zh", "ui": table("zh"), "other_lang": "en", "switch_url": "/?lang=en"}
    return render_template("pages/error.html", status=status, message=message, **ctx), status


@bp.errorhandler(InvalidParameter)
def bad_parameter(exc: InvalidParameter) -> Any:
    return _error_page(400, str(exc))


@bp.errorhandler(NotFound)
def not_found(exc: NotFound) -> Any:
    return _error_page(404, str(exc))
