"""The temporal criterion (``datetime``) in SQL, with the semantics of
:func:`corridor.timeline.matches`: a feature's ``interval`` [start, end] must meet the
requested one; "planned, no date" meets only an open-ended request; an unknown start is open."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, and_, case, cast, func, literal, or_, true

from corridor.timeline import Interval


def interval_matches(properties: Any, when: Interval) -> Any:
    """A boolean SQL expression over the ``properties`` jsonb column."""
    interval = properties["interval"]
    start, end = interval[0].astext, interval[1].astext
    undated_plan = and_(func.jsonb_typeof(interval) == "array", start.is_(None),
                        properties["status"].astext == "planned")
    meets = and_(
        true() if when.end is None else or_(start.is_(None), cast(start, Date) <= literal(when.end, Date)),
        true() if when.start is None else or_(end.is_(None), cast(end, Date) >= literal(when.start, Date)),
    )
    return case((undated_plan, literal(when.end is None)), else_=meets)
