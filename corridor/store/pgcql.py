"""CQL2 filters as SQL for the PostGIS store: pygeofilter's SQLAlchemy backend, with
GeoAlchemy2 geometry literals, every value a bound parameter.

The filter must select exactly what the in-memory store selects (pygeofilter's geopandas
backend, :mod:`corridor.cql`). Two things differ from pygeofilter's SQL defaults, so they are
handled here:

- **Missing values.** In the data frame a missing property is NaN, and every predicate on
  it is false, except ``<>``, which is true; ``NOT`` then flips that plain boolean. SQL's
  three-valued logic would make ``NOT (x = 1)`` unknown, so each leaf predicate is
  coalesced to its data-frame value (false, or true for ``<>``) before logic combines them.
- **Types and order.** A queryable's JSON values share one type (see
  :meth:`~corridor.store.FeatureStore.queryables`), so the property is read from ``jsonb``
  as that SQL type; strings compare with the ``C`` collation, code point by code point, as
  Python compares them.

Geometry literals are converted to WGS84 lon/lat by the query's function (``filter-crs``)
and sent as WKB parameters; spatial predicates are GEOS's, in lon/lat, as shapely's are.
"""

from __future__ import annotations

from typing import Any

import shapely
from geoalchemy2 import Geography, Geometry
from pygeofilter import ast, values
from pygeofilter.backends.evaluator import handle
from pygeofilter.backends.sqlalchemy import filters
from pygeofilter.backends.sqlalchemy.evaluate import SQLAlchemyFilterEvaluator
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    LargeBinary,
    MetaData,
    Table,
    Text,
    and_,
    bindparam,
    cast,
    false,
    func,
    not_,
    true,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.sql.elements import ColumnElement

from corridor.cql import GeomFn, bbox_function
from corridor.errors import InvalidParameter

metadata = MetaData()
features = Table(
    "corridor_features", metadata,
    Column("collection", Text, primary_key=True),
    Column("fid", Text, primary_key=True),
    Column("pos", BigInteger),
    Column("properties", JSONB),
    Column("doc", Text),
    Column("names", ARRAY(Text)),
    Column("industries", ARRAY(Text)),
    Column("geom", Geometry(srid=4326, spatial_index=False)),
    Column("geog", Geography(srid=4326, spatial_index=False)),
)
DIALECT = postgresql.psycopg.dialect()  # type: ignore[attr-defined]

_SPATIAL = {"INTERSECTS": func.ST_Intersects, "DISJOINT": func.ST_Disjoint,
            "CONTAINS": func.ST_Contains, "WITHIN": func.ST_Within, "TOUCHES": func.ST_Touches,
            "CROSSES": func.ST_Crosses, "OVERLAPS": func.ST_Overlaps, "EQUALS": func.ST_Equals}


def geometry_param(geom: shapely.Geometry) -> ColumnElement[Any]:
    """A lon/lat geometry as a bound WKB parameter, in SQL an EPSG:4326 geometry."""
    return func.ST_GeomFromWKB(bindparam(None, shapely.to_wkb(geom), type_=LargeBinary), 4326,
                               type_=Geometry(srid=4326))


def column_of(name: str, spec: dict[str, Any]) -> ColumnElement[Any]:
    """The SQL expression of queryable ``name`` (``spec`` is its JSON-schema snippet)."""
    if name == "geometry" and spec.get("x-ogc-role") == "primary-geometry":
        return features.c.geom
    text = features.c.properties[name].astext
    kind = spec.get("type")
    if kind == "integer":
        return cast(text, BigInteger)
    if kind == "number":
        return cast(text, Float)
    if kind == "boolean":
        return cast(text, Boolean)
    return text.collate("C")


def like_pattern(pattern: str, wildcard: str, single: str, escape: str) -> str:
    """A LIKE pattern with the parser's wildcard, single-character and escape characters as
    SQL's ``%``, ``_`` and ``\\``, read as pygeofilter's data-frame backend reads it: the escape
    character makes a following wildcard, single character or escape literal, and is
    literal itself before anything else."""
    out, i = [], 0
    while i < len(pattern):
        ch, i = pattern[i], i + 1
        if ch == escape and i < len(pattern) and pattern[i] in (wildcard, single, escape):
            ch, i = pattern[i], i + 1
        elif ch == wildcard or ch == single:
            out.append("%" if ch == wildcard else "_")
            continue
        out.append("\\" + ch if ch in "%_\\" else ch)
    return "".join(out)


def _known(expr: ColumnElement[Any], missing: bool) -> ColumnElement[Any]:
    """``expr``, with the value the data frame gives when an operand is missing."""
    return func.coalesce(expr, true() if missing else false())


class _Evaluator(SQLAlchemyFilterEvaluator):
    """pygeofilter's SQLAlchemy evaluator with data-frame null semantics, typed properties
    and converted geometry literals (see the module docstring)."""

    def __init__(self, queryables: dict[str, dict[str, Any]], to_wgs84: GeomFn | None):
        super().__init__({n: column_of(n, s) for n, s in queryables.items()}, False)
        self.to_wgs84 = to_wgs84

    def _literal(self, geom: shapely.Geometry) -> ColumnElement[Any]:
        return geometry_param(self.to_wgs84(geom) if self.to_wgs84 else geom)

    @handle(ast.Comparison, subclasses=True)
    def comparison(self, node: Any, lhs: Any, rhs: Any) -> Any:
        return _known(filters.runop(lhs, rhs, node.op.value), node.op.value == "<>")

    @handle(ast.Between)
    def between(self, node: Any, lhs: Any, low: Any, high: Any) -> Any:
        inside = _known(filters.between(lhs, low, high), False)
        return not_(inside) if node.not_ else inside

    @handle(ast.Like)
    def like(self, node: Any, lhs: Any) -> Any:
        if not isinstance(node.pattern, str):
            raise InvalidParameter(f"LIKE needs a text pattern; got {node.pattern!r}")
        pattern = like_pattern(node.pattern, node.wildcard, node.singlechar, node.escapechar or "\\")
        matched = _known(filters.like(lhs, pattern, not node.nocase), False)
        return not_(matched) if node.not_ else matched

    @handle(ast.In)
    def in_(self, node: Any, lhs: Any, *options: Any) -> Any:
        member = _known(filters.runop(lhs, list(options), "in"), False)
        return not_(member) if node.not_ else member

    @handle(ast.SpatialComparisonPredicate, subclasses=True)
    def spatial_operation(self, node: Any, lhs: Any, rhs: Any) -> Any:
        return _known(_SPATIAL[node.op.name](lhs, rhs), False)

    @handle(ast.Function)
    def function(self, node: Any, *arguments: Any) -> Any:
        if node.name.lower() != "bbox":
            raise InvalidParameter(f"filter function {node.name!r} is not supported")
        return self._literal(bbox_function(*arguments))

    @handle(values.Geometry)
    def geometry(self, node: Any) -> Any:
        return self._literal(shapely.geometry.shape(node))

    @handle(values.Envelope)
    def envelope(self, node: Any) -> Any:
        return self._literal(shapely.box(node.x1, node.y1, node.x2, node.y2))


def to_sql(root: Any, queryables: dict[str, dict[str, Any]],
           to_wgs84: GeomFn | None) -> ColumnElement[bool]:
    """The WHERE clause of a checked CQL2 AST (:func:`corridor.cql.check_filter`).

    Raises
    ------
    InvalidParameter
        If a part of the filter cannot be translated (e.g. an invalid geometry literal).
    """
    try:
        clause = _Evaluator(queryables, to_wgs84).evaluate(root)
    except InvalidParameter:
        raise
    except Exception as exc:  # noqa: BLE001  (shapely, pygeofilter raise many types)
        raise InvalidParameter(f"filter cannot be evaluated: {exc}"[:400]) from None
    if isinstance(clause, bool):  # a literal TRUE / FALSE
        return true() if clause else false()
    if not isinstance(clause, ColumnElement):
        raise InvalidParameter("filter is not a condition; expected a predicate, e.g. kind = 'park'")
    return and_(true(), clause)


def compiled(stmt: Any) -> tuple[str, dict[str, Any]]:
    """SQL text with ``%(name)s`` placeholders and its parameters (for psycopg)."""
    c = stmt.compile(dialect=DIALECT, compile_kwargs={"render_postcompile": True})
    return str(c), dict(c.params)
