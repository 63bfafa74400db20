"""Filtering with CQL2 (OGC API - Features Part 3): parse with pygeofilter, check, evaluate.

pygeofilter parses CQL2 text and CQL2 JSON into an AST; this module checks that the AST only
names queryables and supported operators (so mistakes are an
:class:`~corridor.errors.InvalidParameter` naming the bad part), and evaluates it into a
boolean mask over a GeoDataFrame with pygeofilter's geopandas backend, converting geometry
literals to WGS84 lon,lat on the way. Only stores call :func:`evaluate`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pygeofilter import ast, values
from pygeofilter.backends.evaluator import handle
from pygeofilter.backends.geopandas.evaluate import GeoPandasEvaluator
from pygeofilter.parsers.cql2_json import parse as parse_json
from pygeofilter.parsers.cql2_text import parse as parse_text

from corridor import checks
from corridor.errors import InvalidParameter

GeomFn = Callable[[shapely.Geometry], shapely.Geometry]

FILTER_LANGS = ("cql2-text", "cql2-json")

#: AST node classes the service evaluates (comparison, logical, like/in/between, null, spatial).
_SUPPORTED = (
    ast.Not, ast.And, ast.Or, ast.Comparison, ast.Between, ast.Like, ast.In, ast.IsNull,
    ast.SpatialComparisonPredicate, ast.Attribute, ast.Function,
)
_LITERALS = (str, int, float, bool, values.Geometry, values.Envelope)


def parse_filter(text: str, lang: str | None) -> ast.AstType:
    """Parse ``text`` in ``lang`` (default cql2-text).

    Raises
    ------
    InvalidParameter
        If the language is unknown or the text does not parse.
    """
    lang = (lang or "cql2-text").strip().lower()
    if lang not in FILTER_LANGS:
        raise InvalidParameter(
            f"filter-lang={lang!r} is not supported; expected one of {', '.join(FILTER_LANGS)}"
        )
    if not text.strip():
        raise InvalidParameter("filter is empty; expected a CQL2 expression")
    checks.limit(text, "filter", checks.MAX_FILTER)
    try:
        if lang == "cql2-json":
            return parse_json(json.loads(text))
        return parse_text(text)
    except Exception as exc:  # noqa: BLE001  (lark, json, pygeofilter raise many types)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidParameter(
            f"filter {text[:200]!r} is not valid {lang}: {first[:300]}; expected e.g. "
            "\"kind = 'park'\" or \"S_INTERSECTS(geometry, POINT(120.4 36.1))\""
        ) from None


def check_filter(node: Any, queryables: dict[str, dict[str, Any]]) -> None:
    """Check every attribute, operator and literal in the AST.

    Raises
    ------
    InvalidParameter
        Naming the unknown property, the unsupported operator or the mismatched literal.
    """
    if isinstance(node, _LITERALS) or node is None:
        return
    if isinstance(node, (list, tuple)):
        for sub in node:
            check_filter(sub, queryables)
        return
    if not isinstance(node, _SUPPORTED):
        name = getattr(getattr(node, "op", None), "value", None) or type(node).__name__
        raise InvalidParameter(
            f"filter operator {name!r} is not supported; expected comparison (=, <>, <, <=, >, "
            ">=), logical (AND, OR, NOT), LIKE, IN, BETWEEN, IS NULL or spatial (S_INTERSECTS...)"
        )
    if isinstance(node, ast.Attribute):
        if node.name not in queryables:
            raise InvalidParameter(
                f"filter property {node.name!r} is not queryable; expected one of "
                f"{', '.join(queryables)}"
            )
        return
    if isinstance(node, ast.Function) and node.name.lower() != "bbox":
        raise InvalidParameter(f"filter function {node.name!r} is not supported")
    if isinstance(node, ast.Comparison | ast.Between | ast.In | ast.Like):
        _check_types(node, queryables)
    for sub in node.get_sub_nodes():
        check_filter(sub, queryables)


def _check_types(node: Any, queryables: dict[str, dict[str, Any]]) -> None:
    lhs = node.lhs
    if not isinstance(lhs, ast.Attribute) or lhs.name not in queryables:
        return
    qtype = queryables[lhs.name].get("type")
    if isinstance(node, ast.Like):
        if qtype != "string":
            raise InvalidParameter(f"LIKE needs a string property; {lhs.name!r} is {qtype}")
        return
    if isinstance(node, ast.Comparison):
        literals = [node.rhs]
    elif isinstance(node, ast.Between):
        literals = [node.low, node.high]
    else:
        literals = list(node.sub_nodes)
    for lit in literals:
        if isinstance(lit, ast.Node):
            continue
        ok = {
            "string": isinstance(lit, str),
            "number": isinstance(lit, int | float) and not isinstance(lit, bool),
            "integer": isinstance(lit, int) and not isinstance(lit, bool),
            "boolean": isinstance(lit, bool),
        }.get(str(qtype), False)
        if not ok:
            raise InvalidParameter(
                f"filter compares {lhs.name!r} ({qtype}) with {lit!r}; expected a {qtype} value"
            )


def bbox_function(*coords: float) -> shapely.Geometry:
    """The box of the filter function ``BBOX(minx, miny, maxx, maxy)`` (or its 6-number 3D
    form), in the filter's CRS.

    Raises
    ------
    InvalidParameter
        For another number of arguments.
    """
    if len(coords) == 6:
        coords = (coords[0], coords[1], coords[3], coords[4])
    if len(coords) != 4:
        raise InvalidParameter("BBOX() needs 4 or 6 numbers")
    return shapely.box(*coords)


class _Evaluator(GeoPandasEvaluator):
    """pygeofilter's geopandas evaluator with geometry literals converted to WGS84."""

    def __init__(self, df: gpd.GeoDataFrame, to_wgs84: GeomFn | None):
        super().__init__(df, None, {"bbox": self._bbox})
        self.to_wgs84 = to_wgs84

    def _convert(self, geom: shapely.Geometry) -> shapely.Geometry:
        return self.to_wgs84(geom) if self.to_wgs84 else geom

    def _bbox(self, *coords: float) -> shapely.Geometry:
        return self._convert(bbox_function(*coords))

    @handle(values.Geometry)
    def geometry(self, node: values.Geometry) -> shapely.Geometry:
        return self._convert(shapely.geometry.shape(node))

    @handle(values.Envelope)
    def envelope(self, node: values.Envelope) -> shapely.Geometry:
        return self._convert(shapely.box(node.x1, node.y1, node.x2, node.y2))


def evaluate(root: Any, gdf: gpd.GeoDataFrame, to_wgs84: GeomFn | None) -> np.ndarray:
    """Boolean mask of the rows of ``gdf`` that match the (checked) filter ``root``.

    Raises
    ------
    InvalidParameter
        If evaluation fails (e.g. an invalid geometry literal).
    """
    if len(gdf) == 0:
        return np.zeros(0, dtype=bool)
    try:
        result = _Evaluator(gdf, to_wgs84).evaluate(root)
    except InvalidParameter:
        raise
    except Exception as exc:  # noqa: BLE001  (pandas/shapely raise many types)
        raise InvalidParameter(f"filter cannot be evaluated: {exc}"[:400]) from None
    if isinstance(result, pd.Series):
        return result.fillna(False).to_numpy(dtype=bool)
    if isinstance(result, bool | np.bool_):
        return np.full(len(gdf), bool(result))
    raise InvalidParameter("filter is not a condition; expected a predicate, e.g. kind = 'park'")
