"""Reading the request: its query string and the language it prefers."""

from __future__ import annotations

from functools import lru_cache

from flask import request
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header


def query_arg(name: str, default: str | None = None) -> str | None:
    """The first value of the query parameter ``name``, or ``default`` when it is absent.

    ``request.args.get`` answers an absent name by raising and catching werkzeug's
    ``BadRequestKeyError``, an HTTP exception built for the purpose, a few microseconds each
    time; most parameters are absent from most requests, and several are asked per request.
    """
    args = request.args
    return args[name] if name in args else default


@lru_cache(maxsize=256)
def preferred_language(accept_language: str) -> str | None:
    """zh or en, as an Accept-Language value prefers them (None: neither), remembered per
    value (clients send few distinct ones)."""
    best = parse_accept_header(accept_language, LanguageAccept).best_match(
        ["zh", "zh-CN", "zh-TW", "zh-HK", "en"])
    if not best:
        return None
    return "zh" if best.lower().startswith("zh") else "en"
