"""Query parameters, declared once: how each is read and how the OpenAPI document describes it.

A :class:`Param` names a parameter, its JSON schema, its description, its default and the
function that turns its text into a value (the checks are :mod:`corridor.checks`'). An
operation's parameters are a :class:`Params`; :meth:`Params.read` refuses unknown and
repeated names (an unknown name is a 400: OGC API - Features allows it, and a typo like
``bobx`` must not silently return everything) and parses the rest. The same declarations give
the operation's OpenAPI parameters (:meth:`Param.spec`), so the two cannot drift apart.

Every problem is an :class:`InvalidParameterValue` (or a domain
:class:`~corridor.errors.InvalidParameter`) whose message repeats the bad value and says
what was expected.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from corridor import checks, timeline
from web.api.crs import CRS_URIS, parse_crs
from web.api.errors import InvalidParameterValue
from web.api.formats import DOC_FORMATS, FEATURE_FORMATS

DEFAULT_LIMIT = 10
MAX_LIMIT = 10000
#: Defaults that OpenAPI can state (a parsed value of another type is left out of the schema).
_JSON_DEFAULTS = (bool, int, float, str)


@dataclass(frozen=True)
class Param:
    """One query parameter.

    Parameters
    ----------
    name
        The name in the query string.
    description
        What it does, for the OpenAPI document.
    schema
        Its JSON schema (OpenAPI 3.0 flavour); ``default`` is added from ``default``.
    parse
        Text to value; raises with a message naming the value and what is expected.
    default
        The value when the parameter is absent.
    required
        Whether it must be given; ``missing`` then says what is expected.
    field
        The :class:`~corridor.model.ItemsQuery` attribute the value fills (a tuple: the
        value is a tuple spread over several; a dict attribute: the value goes in under the
        parameter's name), for :meth:`Params.fill`.
    key
        Its name under ``components/parameters`` (default ``name``); None: described inline.
    extra
        More OpenAPI keys of the parameter object (``style``, ``explode``).
    """

    name: str
    description: str
    schema: Mapping[str, Any]
    parse: Callable[[str], Any] = str
    default: Any = None
    required: bool = False
    missing: str = ""
    field: str | tuple[str, ...] | None = None
    key: str | None = ""
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def ref(self) -> str | None:
        """Its name under ``components/parameters`` (None: described inline)."""
        return None if self.key is None else (self.key or self.name)

    def spec(self) -> dict[str, Any]:
        """The OpenAPI 3.0 parameter object."""
        schema = dict(self.schema)
        if isinstance(self.default, _JSON_DEFAULTS):
            schema["default"] = self.default
        return {"name": self.name, "in": "query", "required": self.required,
                "description": self.description, "schema": schema, **self.extra}

    def missing_error(self) -> InvalidParameterValue:
        """The error for this parameter absent where it is needed."""
        return InvalidParameterValue(f"{self.name} is missing; expected {self.missing}")

    def read(self, text: str | None) -> Any:
        """The value of ``text`` (None: the parameter is absent).

        Raises
        ------
        InvalidParameterValue, InvalidParameter
            If it is required and absent, or ``parse`` refuses the text.
        """
        if text is None:
            if self.required:
                raise self.missing_error()
            return self.default
        return self.parse(text)


@dataclass(frozen=True)
class Values:
    """The parameters of one request: parsed (defaults for the absent) and as given."""

    parsed: dict[str, Any]
    raw: dict[str, str]

    def __getitem__(self, name: str) -> Any:
        return self.parsed[name]

    def given(self, name: str) -> bool:
        return name in self.raw


class Params:
    """The query parameters of one operation, in the order they are checked."""

    def __init__(self, *params: Param):
        self.params = params
        self.by_name = {p.name: p for p in params}
        if len(self.by_name) != len(params):
            raise ValueError(f"a parameter is declared twice in {[p.name for p in params]}")

    def __iter__(self) -> Iterator[Param]:
        return iter(self.params)

    def __add__(self, more: Params | tuple[Param, ...]) -> Params:
        return Params(*self.params, *more)

    def read(self, query: Mapping[str, Any]) -> Values:
        """Parse ``query`` (``request.args``, a MultiDict).

        Raises
        ------
        InvalidParameterValue, InvalidParameter
            On an unknown or repeated name, a missing required one or a bad value.
        """
        raw: dict[str, str] = {}
        for name in query:
            if name not in self.by_name:
                raise InvalidParameterValue(
                    f"unknown query parameter {checks.shown(name)}; expected one of "
                    f"{', '.join(sorted(self.by_name))}")
            got = query.getlist(name) if hasattr(query, "getlist") else [query[name]]
            if len(got) > 1:
                raise InvalidParameterValue(f"parameter {name!r} given {len(got)} times; expected once")
            raw[name] = got[0]
        return Values({p.name: p.read(raw.get(p.name)) for p in self.params}, raw)

    def fill(self, target: Any, values: Values) -> Any:
        """Set the attributes of ``target`` that the parameters name (:attr:`Param.field`)."""
        for p in self.params:
            if p.field is None:
                continue
            value = values[p.name]
            if isinstance(p.field, tuple):
                for name, part in zip(p.field, value, strict=True):
                    setattr(target, name, part)
            elif isinstance(getattr(target, p.field), dict):
                if value is not None:
                    getattr(target, p.field)[p.name] = value
            else:
                setattr(target, p.field, value)
        return target


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


def parse_bool(name: str) -> Callable[[str], bool]:
    """A parser of ``true`` / ``false`` (any case) for parameter ``name``."""
    def parse(text: str) -> bool:
        low = text.strip().lower()
        if low not in ("true", "false"):
            raise InvalidParameterValue(f"{name}={checks.shown(text)} is not valid; expected true or false")
        return low == "true"
    return parse


def parse_text(name: str) -> Callable[[str], str]:
    """A parser of search text for parameter ``name`` (see :func:`corridor.checks.text`)."""
    def parse(text: str) -> str:
        if not text.strip():
            raise InvalidParameterValue(f"{name} is empty; expected some text to match")
        return checks.text(text, name)
    return parse


def parse_lang(text: str) -> str:
    """``lang``: exactly zh or en (:func:`corridor.checks.lang`, the one check; the request's
    language is :func:`web.negotiate.lang`)."""
    return checks.lang(text, exact=True)


def parse_limit(text: str) -> int:
    """``limit``: values above 10000 are clamped to 10000 (as Part 1 says)."""
    return min(parse_int("limit", text, 1), MAX_LIMIT)


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


def parse_of(text: str, name: str = "of") -> str | tuple[float, float]:
    """A feature id or ``lon,lat``: the origin of near/nearest queries.

    Raises
    ------
    InvalidParameterValue
        If it is empty, over-long, or a malformed coordinate pair.
    """
    t = text.strip()
    if "," in t:
        parts = t.split(",")
        if len(parts) != 2:
            raise InvalidParameterValue(
                f"{name}={checks.shown(text)} is not valid; expected lon,lat e.g. 120.38,36.07")
        return checks.lonlat(parts[0], parts[1])
    if not t:
        raise InvalidParameterValue(f"{name} is empty; expected a feature id or lon,lat")
    checks.limit(t, name, checks.MAX_ID)
    return t


def parse_collections(text: str) -> list[str]:
    """``collections``: comma-separated collection ids (see :func:`known_collections`)."""
    ids = [c.strip() for c in text.split(",") if c.strip()]
    if not ids:
        raise InvalidParameterValue("collections is empty; expected comma-separated collection ids")
    return ids


def known_collections(ids: list[str] | None, known: list[str]) -> list[str] | None:
    """``ids`` if each is one of ``known`` (None: all).

    Raises
    ------
    InvalidParameterValue
        Naming the first unknown id and the known ones.
    """
    for cid in ids or ():
        if cid not in known:
            raise InvalidParameterValue(
                f"collections: {checks.shown(cid)} is not a collection; expected some of "
                f"{', '.join(known)}")
    return ids


#: The pattern OpenAPI states for ``datetime`` (the parser also takes ``t``, ``z`` and blanks).
_DT_SCHEMA = r"(\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?|\.\.)?"
DATETIME_PATTERN = f"^{_DT_SCHEMA}(/{_DT_SCHEMA})?$"
#: ``datetime``, declared once for the items API and the cross-collection queries.
DATETIME = Param(
    "datetime", "OGC instant or interval (`2020-01-01/2022-12-31`, `../2021-06-30`, "
    "`2024-01-01/..`, `2021-06-30`) against each feature's own `interval` [start, end] (from "
    "its dated evidence): a feature matches when its interval intersects this one. A feature "
    "planned with no date matches only an interval open at its end (`../..` is refused); a "
    "feature whose start is not published, or with no interval, has an open start and "
    "matches every interval.",
    {"type": "string", "pattern": DATETIME_PATTERN, "minLength": 10},
    timeline.parse_interval, field="when")


def parse_property_value(name: str, text: str, schema: Mapping[str, Any]) -> Any:
    """Parse the value of a ``property=value`` equality parameter by the property's type."""
    typ = schema.get("type")
    if typ == "boolean":
        return parse_bool(name)(text)
    if typ == "number":
        return parse_number(name, text, -1e300, 1e300)
    if typ == "integer":
        return parse_int(name, text, -(10**18))
    return text


def equality(name: str, schema: Mapping[str, Any]) -> Param:
    """The ``name=value`` parameter of a queryable property (Part 3), filling ``equals``."""
    return Param(name, f"Features whose {name} equals this value (Part 3 queryables).",
                 {"type": schema["type"]}, lambda t: parse_property_value(name, t, schema),
                 field="equals", key=None)


def f_param(key: str, formats: tuple[str, ...] | list[str], what: str) -> Param:
    """The ``f`` parameter of operations answering ``formats`` (negotiated by
    :func:`web.negotiate.negotiate`, which names a format not offered: a 406)."""
    return Param("f", f"Response format (overrides Accept): {what}.",
                 {"type": "string", "enum": list(formats)}, key=key)


def crs_param(name: str, description: str) -> Param:
    """A CRS-by-reference parameter (Part 2): a URI or safe CURIE; default CRS84."""
    return Param(name, description, {"type": "string", "format": "uri", "enum": list(CRS_URIS)},
                 lambda t: parse_crs(t, name), default=parse_crs(None))


LANG = Param("lang", "Language of titles (zh or en; default: the server's DEFAULT_LANG).",
             {"type": "string", "enum": list(checks.LANGS)}, parse_lang)
COORD_SYS = Param(
    "coord-sys", "Extension: coordinate system of point inputs (near, of, lon/lat, bbox) AND of "
    "output coordinates: wgs84 (default), gcj02 (AMap, Tencent) or bd09 (Baidu), so features "
    "line up on those basemaps. Only with the default crs; not for GeoPackage/KML output.",
    {"type": "string", "enum": list(checks.COORD_SYSTEMS)}, checks.coord_sys, default="wgs84")
CRS = crs_param("crs", "CRS of the output coordinates (Part 2). EPSG:4326 and EPSG:4490 are "
                "lat,lon; EPSG:4549 is northing,easting in metres; CRS84 (default) is lon,lat.")
KM = Param("km", "Extension: distance in kilometres for near.",
           {"type": "number", "exclusiveMinimum": True, "minimum": 0, "maximum": checks.MAX_KM},
           lambda t: checks.km(t, "km"), missing="a distance in kilometres, e.g. km=5")
F_FEATURES = f_param("f-features", ["json", *FEATURE_FORMATS],
                     "GeoJSON (json/geojson), HTML, CSV (properties, two coordinate columns for "
                     "points and WKT), GeoPackage, KML")
#: The parameters of a document resource (landing page, collections, ...).
DOC = Params(f_param("f-doc", DOC_FORMATS, "JSON or HTML"), LANG)
#: The parameters of a JSON-only resource (the tiles' metadata).
JSON_ONLY = Params(f_param("f-json", ("json",), "JSON only"), LANG)
