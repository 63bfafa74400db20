"""Parse and validate query parameters. Every problem is an :class:`InvalidParameterValue`
whose message repeats the bad value and says what was expected.

Routes call :func:`args` with the parameter names they accept (an unknown name is a 400:
OGC API - Features allows it, and a typo like ``bobx`` must not silently return everything),
then the ``parse_*`` helpers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal, overload

from corridor import checks
from corridor.checks import MAX_K, MAX_KM  # noqa: F401 - re-exported for openapi and spatial
from corridor.store import FeatureStore
from web.api.errors import InvalidParameterValue

DEFAULT_LIMIT = 10
MAX_LIMIT = 10000
#: Parameters every API resource accepts.
COMMON = frozenset({"f", "lang"})
#: Parameters of an items request other than the queryable properties.
ITEMS_PARAMS = frozenset({
    "bbox", "bbox-crs", "crs", "limit", "offset", "datetime", "q", "industry", "near", "km",
    "coord-sys", "filter", "filter-lang", "filter-crs"
})


def args(query: Mapping[str, Any], allowed: Iterable[str]) -> dict[str, str]:
    """Return the query parameters as a plain dict, refusing unknown and repeated names.

    Parameters
    ----------
    query
        ``request.args`` (a MultiDict).
    allowed
        Names this resource accepts, besides :data:`COMMON`.

    Raises
    ------
    InvalidParameterValue
        On an unknown or repeated parameter.
    """
    known = set(allowed) | COMMON
    out: dict[str, str] = {}
    for name in query:
        if name not in known:
            raise InvalidParameterValue(
                f"unknown query parameter {checks.shown(name)}; expected one of "
                f"{', '.join(sorted(known))}"
            )
        got = query.getlist(name) if hasattr(query, "getlist") else [query[name]]
        if len(got) > 1:
            raise InvalidParameterValue(f"parameter {name!r} given {len(got)} times; expected once")
        out[name] = got[0]
    if out.get("lang", "zh") not in ("zh", "en"):
        raise InvalidParameterValue(f"lang={out['lang']!r} is not supported; expected zh or en")
    return out


def parse_number(name: str, text: str, lo: float, hi: float) -> float:
    """Parse a finite number in [lo, hi].

    Raises
    ------
    InvalidParameterValue
        If ``text`` is not such a number.
    """
    try:
        value = float(text.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not lo <= value <= hi:
        raise InvalidParameterValue(f"{name}={text!r} is not valid; expected a number in [{lo:g}, {hi:g}]")
    return value


def parse_int(name: str, text: str, lo: int, hi: int | None = None) -> int:
    """Parse an integer >= lo (and <= hi when given).

    Raises
    ------
    InvalidParameterValue
        If ``text`` is not such an integer.
    """
    t = text.strip()
    if not re.fullmatch(r"[+-]?\d{1,18}", t) or int(t) < lo or (hi is not None and int(t) > hi):
        upper = f" and at most {hi}" if hi is not None else ""
        raise InvalidParameterValue(f"{name}={text!r} is not valid; expected an integer of at least {lo}{upper}")
    return int(t)


def parse_limit(text: str | None) -> int:
    """``limit``: default 10; values above 10000 are clamped to 10000 (as Part 1 says)."""
    if text is None:
        return DEFAULT_LIMIT
    return min(parse_int("limit", text, 1), MAX_LIMIT)


def parse_offset(text: str | None) -> int:
    """``offset``: default 0."""
    return 0 if text is None else parse_int("offset", text, 0)


def parse_bbox(text: str, name: str = "bbox") -> tuple[float, ...]:
    """Parse ``minx,miny,maxx,maxy`` (or 6 numbers with heights), in the bbox CRS axis order.

    Raises
    ------
    InvalidParameterValue
        Unless there are 4 or 6 finite numbers with each minimum <= its maximum.
    """
    parts = text.split(",")
    expected = f"expected 4 (or 6) comma-separated numbers, e.g. {name}=120.1,36.0,120.5,36.4"
    if len(parts) not in (4, 6):
        raise InvalidParameterValue(f"{name}={text!r} has {len(parts)} values; {expected}")
    try:
        nums = tuple(float(p) for p in parts)
    except ValueError:
        raise InvalidParameterValue(f"{name}={text!r} is not numeric; {expected}") from None
    if not all(math.isfinite(n) for n in nums):
        raise InvalidParameterValue(f"{name}={text!r} has a non-finite value; {expected}")
    half = len(nums) // 2
    if any(nums[i] > nums[i + half] for i in range(half)):
        raise InvalidParameterValue(
            f"{name}={text!r} has a minimum above its maximum; expected lower corner first"
        )
    return nums


def parse_lonlat(text: str, name: str) -> tuple[float, float]:
    """Parse ``lon,lat`` (in the request's coord-sys).

    Raises
    ------
    InvalidParameterValue
        Unless two finite numbers with lon in [-180, 180] and lat in [-90, 90].
    """
    parts = text.split(",")
    if len(parts) != 2:
        raise InvalidParameterValue(
            f"{name}={checks.shown(text)} is not valid; expected lon,lat e.g. 120.38,36.07")
    return checks.lonlat(parts[0], parts[1])


def parse_of(text: str, name: str = "of") -> str | tuple[float, float]:
    """A feature id or ``lon,lat``: the origin of near/nearest queries.

    Raises
    ------
    InvalidParameterValue
        If it is empty, over-long, or a malformed coordinate pair.
    """
    t = text.strip()
    if "," in t:
        return parse_lonlat(t, name)
    if not t:
        raise InvalidParameterValue(f"{name} is empty; expected a feature id or lon,lat")
    checks.limit(t, name, checks.MAX_ID)
    return t


@overload
def parse_km(text: str | None, required: Literal[True] = ...) -> float: ...


@overload
def parse_km(text: str | None, required: bool) -> float | None: ...


def parse_km(text: str | None, required: bool = True) -> float | None:
    """``km``: a distance in kilometres, (0, MAX_KM] (see :func:`corridor.checks.km`)."""
    if text is None:
        if required:
            raise InvalidParameterValue("km is missing; expected a distance in kilometres, e.g. km=5")
        return None
    return checks.km(text, "km")


def parse_coord_sys(text: str | None) -> str:
    """``coord-sys``: wgs84 (default), gcj02 or bd09."""
    return "wgs84" if text is None else checks.coord_sys(text)


def parse_collections(text: str | None, store: FeatureStore) -> list[str] | None:
    """``collections``: comma-separated collection ids (None: all)."""
    if text is None:
        return None
    ids = [c.strip() for c in text.split(",") if c.strip()]
    if not ids:
        raise InvalidParameterValue("collections is empty; expected comma-separated collection ids")
    known = store.collection_ids()
    for cid in ids:
        if cid not in known:
            raise InvalidParameterValue(
                f"collections: {checks.shown(cid)} is not a collection; expected some of "
                f"{', '.join(known)}"
            )
    return ids


_DT = r"\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2}))?"


def parse_datetime(text: str | None) -> tuple[bool, int | None]:
    """``datetime`` (Part 1): an RFC 3339 instant or interval.

    Returns
    -------
    (given, until_year)
        Whether a datetime was given, and the year of the instant or of the interval's end
        (None for an open end ``..``): features exist from their ``year`` on, so a feature
        matches when its year is at most this one.
    """
    if text is None:
        return False, None
    ends = text.split("/")
    if len(ends) > 2 or not all(re.fullmatch(_DT, e) or (len(ends) == 2 and e in ("", "..")) for e in ends):
        raise InvalidParameterValue(
            f"datetime={text!r} is not valid; expected an RFC 3339 date-time or interval, "
            "e.g. 2021-01-01T00:00:00Z or 2021-01-01T00:00:00Z/.."
        )
    for e in ends:
        if e not in ("", ".."):
            try:
                datetime.fromisoformat(e.replace("z", "Z").replace("t", "T"))
            except ValueError:
                raise InvalidParameterValue(f"datetime={text!r}: {e!r} is not a real date-time") from None
    end = ends[-1]
    return True, (None if end in ("", "..") else int(end[:4]))


def parse_property_value(name: str, text: str, schema: dict[str, Any]) -> Any:
    """Parse the value of a ``property=value`` equality parameter by the property's type."""
    typ = schema.get("type")
    if typ == "boolean":
        low = text.strip().lower()
        if low not in ("true", "false"):
            raise InvalidParameterValue(f"{name}={text!r} is not valid; expected true or false")
        return low == "true"
    if typ == "number":
        return parse_number(name, text, -1e300, 1e300)
    if typ == "integer":
        return parse_int(name, text, -(10**18))
    return text
