"""The one place that validates what callers pass in: distances, counts, coordinates, boxes,
choices among names, languages, coordinate systems and free text.

The domain, the API and the pages all call these; each returns the value in its canonical
type or raises :class:`~corridor.errors.InvalidParameter` with a message that repeats the
bad value (shortened if long) and says what is expected. Text forms (``"5"``, ``" 120.4"``)
are accepted wherever a number is, so query-string parsers need no checks of their own.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from corridor.errors import InvalidParameter

#: Largest distance a query accepts, in km (Qingdao spans about 200 km).
MAX_KM = 300.0
#: Largest k of a nearest query (and a name search's limit).
MAX_K = 1000
#: Longest search text (q, industry): names are short; longer text is a mistake or abuse.
MAX_TEXT = 200
#: Longest feature id.
MAX_ID = 200
#: Longest CQL2 filter (URL-encoded it still fits the service's URL limit, 8000).
MAX_FILTER = 4000
#: Characters of a bad value repeated in a message.
SHOWN = 120

CoordSys = Literal["wgs84", "gcj02", "bd09"]
COORD_SYSTEMS: tuple[str, ...] = ("wgs84", "gcj02", "bd09")
Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")


def shown(value: Any) -> str:
    """``repr`` of a value, cut to :data:`SHOWN` characters (with its full length said)."""
    text = repr(value)
    if len(text) <= SHOWN:
        return text
    return f"{text[:SHOWN]}... ({len(str(value))} characters)"


def _number(value: Any) -> float | None:
    """``value`` as a float if it is a real number or numeric text, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if isinstance(value, str) and len(value) <= 64:
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def km(value: Any, name: str = "distance") -> float:
    """A distance in kilometres, 0 < km <= :data:`MAX_KM`.

    Raises
    ------
    InvalidParameter
        If ``value`` is not such a number (NaN, inf, 0, negative, too large, not numeric).
    """
    v = _number(value)
    if v is None or not math.isfinite(v) or not 0 < v <= MAX_KM:
        raise InvalidParameter(
            f"{name}={shown(value)} is not valid; expected a number of kilometres "
            f"greater than 0 and at most {MAX_KM:g}"
        )
    return v


def k(value: Any, name: str = "k") -> int:
    """A count from 1 to :data:`MAX_K` (an integer or integer text).

    Raises
    ------
    InvalidParameter
        If ``value`` is not an integer in range.
    """
    if isinstance(value, str) and re.fullmatch(r"\s*\+?\d{1,9}\s*", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= MAX_K:
        raise InvalidParameter(
            f"{name}={shown(value)} is not valid; expected an integer from 1 to {MAX_K}"
        )
    return int(value)


def lonlat(lon: Any, lat: Any) -> tuple[float, float]:
    """A WGS84-style position: -180 <= lon <= 180, -90 <= lat <= 90, both finite.

    Raises
    ------
    InvalidParameter
        If either is not a number or is out of range.
    """
    x, y = _number(lon), _number(lat)
    if x is None or y is None:
        raise InvalidParameter(
            f"coordinate ({shown(lon)}, {shown(lat)}) is not valid; expected two numbers lon, lat"
        )
    if not (math.isfinite(x) and math.isfinite(y) and abs(x) <= 180 and abs(y) <= 90):
        raise InvalidParameter(
            f"coordinate ({shown(lon)}, {shown(lat)}) is not valid; expected -180 <= lon <= 180 "
            "and -90 <= lat <= 90"
        )
    return x, y


def bbox(value: Any) -> tuple[float, float, float, float]:
    """A lon/lat box (minx, miny, maxx, maxy) with minx < maxx and miny < maxy.

    Raises
    ------
    InvalidParameter
        Unless it is four finite lon/lat numbers with each minimum below its maximum.
    """
    ok = isinstance(value, (tuple, list)) and len(value) == 4
    if ok:
        try:
            x0, y0 = lonlat(value[0], value[1])
            x1, y1 = lonlat(value[2], value[3])
            ok = x0 < x1 and y0 < y1
        except InvalidParameter:
            ok = False
    if not ok:
        raise InvalidParameter(
            f"bbox {shown(value)} is not valid; expected (minlon, minlat, maxlon, maxlat) with "
            "minlon < maxlon, minlat < maxlat, lon in -180..180 and lat in -90..90"
        )
    return x0, y0, x1, y1


def coord_sys(value: Any) -> CoordSys:
    """A coordinate system name: wgs84, gcj02 (AMap, Tencent) or bd09 (Baidu).

    ``GCJ-02``, ``gcj_02`` and any case are accepted.

    Raises
    ------
    InvalidParameter
        For any other name.
    """
    key = value.strip().lower().replace("-", "").replace("_", "") if isinstance(value, str) else None
    if key not in COORD_SYSTEMS:
        raise InvalidParameter(
            f"coordinate system {shown(value)} is not supported; expected one of "
            f"{', '.join(COORD_SYSTEMS)}"
        )
    return key  # type: ignore[return-value]


def lang(value: Any, default: Lang = "zh", exact: bool = False) -> Lang:
    """A language code, zh or en; ``default`` when ``value`` is empty or None.

    Parameters
    ----------
    exact
        Take ``value`` only as it is: exactly zh or en, never empty (a query parameter,
        whose published schema lists those two values). Otherwise surrounding blanks and
        case are forgiven, and an empty value is ``default``.

    Raises
    ------
    InvalidParameter
        If ``value`` names another language (or, with ``exact``, is not exactly zh or en).
    """
    if exact:
        key = value if isinstance(value, str) else None
    elif value is None or value == "":
        return default
    else:
        key = value.strip().lower() if isinstance(value, str) else None
    if key not in LANGS:
        raise InvalidParameter(f"lang={shown(value)} is not supported; expected zh or en")
    return key  # type: ignore[return-value]


def choice(value: Any, name: str, choices: Sequence[str]) -> str:
    """One of ``choices`` (surrounding blanks ignored; case matters).

    Raises
    ------
    InvalidParameter
        For anything else, naming the value and the choices.
    """
    key = value.strip() if isinstance(value, str) else None
    if key is None or key not in choices:
        raise InvalidParameter(f"{name}={shown(value)} is not valid; expected one of {', '.join(choices)}")
    return key


def text(value: Any, name: str, max_len: int = MAX_TEXT) -> str:
    """Non-empty search text of at most ``max_len`` characters, stripped.

    Raises
    ------
    InvalidParameter
        If it is not a string, is blank, or is longer than ``max_len``.
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameter(f"{name} {shown(value)} is not valid; expected a non-empty string")
    limit(value, name, max_len)
    return value.strip()


def limit(value: str, name: str, max_len: int) -> str:
    """``value`` itself if it has at most ``max_len`` characters.

    Raises
    ------
    InvalidParameter
        Naming the parameter, its length and the limit.
    """
    if len(value) > max_len:
        raise InvalidParameter(
            f"{name} is {len(value)} characters long ({shown(value)}); expected at most {max_len}"
        )
    return value
