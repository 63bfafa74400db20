"""Reading the request's query string (what it prefers is :mod:`web.negotiate`'s)."""

from __future__ import annotations

from flask import request


def query_arg(name: str, default: str | None = None) -> str | None:
    """The first value of the query parameter ``name``, or ``default`` when it is absent.

    ``request.args.get`` answers an absent name by raising and catching werkzeug's
    ``BadRequestKeyError``, an HTTP exception built for the purpose, a few microseconds each
    time; most parameters are absent from most requests, and several are asked per request.
    """
    args = request.args
    return args[name] if name in args else default
