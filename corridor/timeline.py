"""The plan over time: OGC intervals (``datetime``) and the features' own intervals.

A plan feature carries ``interval = [start, end]`` (ISO dates, None for an open end) from
``geodata/inventory/dates.toml``; ``start`` is the first day of the period the evidence
publishes ("2021-03" gives 2021-03-01) and ``end`` is always open (no feature has ended).

A feature matches a requested interval when its own interval intersects it:

* a dated feature ``[s, e]`` matches ``[qs, qe]`` when ``s <= qe`` and ``e >= qs`` (open ends
  always hold);
* "planned, no date" (``status = "planned"``, start None) matches only a request whose end
  is open (``2024-01-01/..``): it may come into being at any later time, never at a date
  we could name;
* a feature whose start is not published but which is not only planned (it exists, or its
  status is not known), and a feature with no ``interval`` at all (districts, bays, user
  layers), has an open start: it matches every request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from corridor.checks import shown
from corridor.errors import InvalidParameter

_DATE = r"\d{4}-\d{2}-\d{2}"
_INSTANT = re.compile(rf"{_DATE}(?:[Tt ]\d{{2}}:\d{{2}}:\d{{2}}(?:\.\d+)?(?:[Zz]|[+-]\d{{2}}:\d{{2}}))?")
_OPEN = ("", "..")
#: The plan's years: 2020 is its baseline, 2025 its target year.
FIRST_YEAR = 2020
LAST_YEAR = 2025
_YEAR = re.compile(r"\d{4}")
EXPECTED = ("expected an RFC 3339 date or date-time, or an interval start/end with `..` for "
            "an open end, e.g. 2020-01-01/2022-12-31, ../2021-06-30 or 2024-01-01/..")


@dataclass(frozen=True)
class Interval:
    """A requested interval of days; None is an open end. An instant has start == end."""

    start: date | None
    end: date | None

    @property
    def open_end(self) -> bool:
        return self.end is None


def iso_date(text: str) -> date | None:
    """The day of an ISO 8601 / RFC 3339 date or date-time (either case of ``T`` and ``Z``);
    None when ``text`` is not a real one."""
    try:
        return datetime.fromisoformat(text.replace("z", "Z").replace("t", "T")).date()
    except ValueError:
        return None


def _day(text: str, whole: str) -> date:
    day = iso_date(text)
    if day is None:
        raise InvalidParameter(f"datetime={whole!r}: {text!r} is not a real date; {EXPECTED}")
    return day


def parse_interval(text: str) -> Interval:
    """``datetime`` of OGC API - Features: an instant or an interval with open ends.

    Raises
    ------
    InvalidParameter
        If it is neither, names no real date, is open at both ends (``../..``) or ends
        before it starts; the message repeats the value and says what is expected.
    """
    ends = text.strip().split("/")
    if len(ends) > 2 or not all(_INSTANT.fullmatch(e) or (len(ends) == 2 and e in _OPEN) for e in ends):
        raise InvalidParameter(f"datetime={text!r} is not valid; {EXPECTED}")
    if len(ends) == 1:
        day = _day(ends[0], text)
        return Interval(day, day)
    if ends[0] in _OPEN and ends[1] in _OPEN:
        raise InvalidParameter(f"datetime={text!r} is open at both ends; {EXPECTED}")
    start = None if ends[0] in _OPEN else _day(ends[0], text)
    end = None if ends[1] in _OPEN else _day(ends[1], text)
    if start is not None and end is not None and end < start:
        raise InvalidParameter(f"datetime={text!r} ends before it starts; {EXPECTED}")
    return Interval(start, end)


def plan_year(value: Any, name: str) -> int:
    """A year of the plan, :data:`FIRST_YEAR` to :data:`LAST_YEAR`, from text such as "2023".

    Raises
    ------
    InvalidParameter
        If ``value`` is not a four-digit year in that range; the message names ``name``, repeats
        the value and gives the range.
    """
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and _YEAR.fullmatch(text) and FIRST_YEAR <= int(text) <= LAST_YEAR:
        return int(text)
    raise InvalidParameter(
        f"{name}={shown(value)} is not a year of the plan; expected a year from {FIRST_YEAR} to {LAST_YEAR}")


def first_day(published: str) -> date:
    """The first day of a published date "YYYY", "YYYY-MM" or "YYYY-MM-DD"."""
    parts = [int(p) for p in published.split("-")] + [1, 1]
    return date(parts[0], parts[1], parts[2])


#: A feature's interval as :func:`meets` reads it: (start, end, planned with no date).
FeatureInterval = tuple[date | None, date | None, bool]
_ISO_DAY = re.compile(_DATE)


def _iso_day(value: Any) -> date | None:
    """An ISO date ``YYYY-MM-DD``, or None for anything else (an open end; a user layer's
    column that happens to be called ``interval`` is not ours to refuse)."""
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def feature_interval(props: Mapping[str, Any]) -> FeatureInterval:
    """(start, end, planned with no date) of a feature's properties."""
    interval = props.get("interval")
    if not isinstance(interval, list | tuple) or len(interval) != 2:
        return None, None, False
    start, end = _iso_day(interval[0]), _iso_day(interval[1])
    return start, end, start is None and props.get("status") == "planned"


def meets(feature: FeatureInterval, q: Interval) -> bool:
    """Whether a feature's parsed interval matches the requested one (module docstring)."""
    start, end, undated_plan = feature
    if undated_plan:
        return q.open_end
    return ((q.end is None or start is None or start <= q.end)
            and (q.start is None or end is None or end >= q.start))


def matches(props: Mapping[str, Any], q: Interval) -> bool:
    """Whether the feature with ``props`` matches the requested interval (module docstring)."""
    return meets(feature_interval(props), q)
