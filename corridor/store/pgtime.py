"""The temporal criterion (``datetime``) in SQL, with the semantics of
:func:`corridor.timeline.matches`: a feature's ``interval`` [start, end] must meet the
requested one; "planned, no date" meets only an open-ended request; an unknown start is open."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, and_, case, cast, false, func, literal, or_, true

from corridor.timeline import Interval


def _day(text: Any, pair: Any) -> Any:
    """The ISO date ``text`` of a two-element array, else NULL (an open end), as
    :func:`corridor.timeline.feature_interval` reads it."""
    return case((and_(pair, text.regexp_match(r"^\d{4}-\d{2}-\d{2}$")), cast(text, Date)), else_=None)


def interval_matches(properties: Any, when: Interval) -> Any:
    """A boolean SQL expression over the ``properties`` jsonb column."""
    interval = properties["interval"]
    # CASE, not AND: SQL does not promise to test the type before taking the length
    pair = case((func.jsonb_typeof(interval) == "array", func.jsonb_array_length(interval) == 2), else_=false())
    start, end = _day(interval[0].astext, pair), _day(interval[1].astext, pair)
    undated_plan = and_(pair, start.is_(None), properties["status"].astext == "planned")
    meets = and_(
        true() if when.end is None else or_(start.is_(None), start <= literal(when.end, Date)),
        true() if when.start is None else or_(end.is_(None), end >= literal(when.start, Date)),
    )
    return case((undated_plan, literal(when.end is None)), else_=meets)
