"""A layer's feature count per calendar year, from its one date column.

Which column is "the date column" is decided here, once, for every engine: the engines only
tally the values of the candidate columns (:func:`candidates`) with :func:`value_key`, and
:func:`decide` reads those tallies.

Candidates
----------
- a column named like a year (``year``, ``*_year``, ``年份``, ``年度``, ``年``; any case) of
  integers, numbers or text: a value is a year when it is a whole number, or a text of four
  digits, in :data:`YEARS`;
- any other text column: a value is a date when it is an ISO 8601 date or date-time
  (``2021-03-04``, ``2021-03-04T10:00:00Z``), a month (``2021-03``) or the same with
  slashes (``2021/3/4``): its calendar year counts, whatever its time zone.

A candidate qualifies when the layer file declares it a date (GeoPackage ``DATE`` or
``DATETIME``: queryable format ``date`` / ``date-time``), or when at least one value is a
date (a year) and they are at least :data:`MIN_SHARE` of its non-empty values. Exactly one
qualifying column gives the counts; none, or more than one, gives no counts and says why
(:attr:`YearCounts.reason`, and the ambiguous columns): nothing is guessed.

In the counted column, a row whose value is missing or blank, or not a date (a year), is
counted apart (:attr:`YearCounts.empty`, :attr:`YearCounts.unparsable`): every row is in
exactly one year or in "no date".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from corridor.timeline import iso_date

#: Years a value may name to count (older or later values are "not a date").
YEARS = (1900, 2100)
#: Share of a column's non-empty values that must be dates (years) for it to qualify.
MIN_SHARE = 0.8
#: Column names read as years (compared in lower case); ``*_year`` too.
YEAR_NAMES = frozenset({"year", "年份", "年度", "年"})
#: The tally keys of a value that is no year: missing or blank, and present but not a date.
EMPTY, UNPARSABLE = "empty", "unparsable"
#: The years a count by year always shows: the plan's baseline year to its target year.
PLAN_YEARS = (2020, 2025)
#: Why a layer has no count by year.
NO_COLUMN, AMBIGUOUS = "no-date-column", "ambiguous"

_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[Tt ][0-9:.,]+(?:[Zz]|[+-][0-9:]+)?)?", re.ASCII)
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)
_SLASHED = re.compile(r"([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})", re.ASCII)
_YEAR_TEXT = re.compile(r"[0-9]{4}", re.ASCII)

#: A tally of one column: year -> rows, plus :data:`EMPTY` and :data:`UNPARSABLE`.
Tally = Counter[int | str]


@dataclass(frozen=True)
class Candidate:
    """A column that may be the date column: ``kind`` ``date`` or ``year``; ``declared``
    when the layer file types it as a date."""

    name: str
    kind: str
    declared: bool = False


def is_year_name(name: str) -> bool:
    low = name.strip().lower()
    return low in YEAR_NAMES or low.endswith("_year")


def candidates(queryables: Mapping[str, Mapping[str, Any]]) -> tuple[Candidate, ...]:
    """The columns of a layer (its queryables) that could hold its dates, in column order."""
    out = []
    for name, schema in queryables.items():
        if name == "id" or "x-ogc-role" in schema:
            continue
        typ = schema.get("type")
        if is_year_name(name) and typ in ("integer", "number", "string"):
            out.append(Candidate(name, "year"))
        elif typ == "string":
            out.append(Candidate(name, "date", schema.get("format") in ("date", "date-time")))
    return tuple(out)


def _real(y: int, m: int, d: int) -> bool:
    try:
        date(y, m, d)
    except ValueError:
        return False
    return True


def _date_year(text: str) -> int | None:
    if m := _DAY.fullmatch(text):
        if len(text) > 10 and iso_date(text) is None:  # a date-time: the time must be real too
            return None
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := _MONTH.fullmatch(text):
        y, mo, d = int(m[1]), int(m[2]), 1
    elif m := _SLASHED.fullmatch(text):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    else:
        return None
    return y if _real(y, mo, d) else None


def value_key(value: Any, kind: str) -> int | str:
    """The year ``value`` names in a column of ``kind`` (``date`` or ``year``), or
    :data:`EMPTY` (missing or blank) or :data:`UNPARSABLE` (anything else)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return EMPTY
    year: int | None = None
    if isinstance(value, str):
        text = value.strip()
        if kind == "year":
            year = int(text) if _YEAR_TEXT.fullmatch(text) else None
        else:
            year = _date_year(text)
    elif kind == "year" and isinstance(value, int | float) and not isinstance(value, bool):
        year = int(value) if float(value).is_integer() else None
    if year is None or not YEARS[0] <= year <= YEARS[1]:
        return UNPARSABLE
    return year


def tally(values: Iterable[Any], kind: str) -> Tally:
    """:func:`value_key` of each value, counted."""
    return Counter(value_key(v, kind) for v in values)


def qualifies(cand: Candidate, counts: Tally) -> bool:
    """Whether ``cand``, with the tally of its values, is a date column (module docstring)."""
    if cand.declared:
        return True
    dated = sum(n for k, n in counts.items() if isinstance(k, int))
    return dated > 0 and dated >= MIN_SHARE * (dated + counts[UNPARSABLE])


@dataclass(frozen=True)
class YearCounts:
    """A collection's features per calendar year of its date column, or why there are none."""

    collection: str
    #: The date column, or None (see :attr:`reason`).
    column: str | None
    #: ``date`` or ``year``: what the column holds (None without a column).
    kind: str | None
    #: "" with a column; :data:`NO_COLUMN` or :data:`AMBIGUOUS` without one.
    reason: str
    #: The columns that qualified, when more than one did.
    ambiguous: tuple[str, ...]
    #: (year, features dated in it), oldest first; only years with features.
    years: tuple[tuple[int, int], ...]
    #: Features with no value in the column, and with a value that is not a date.
    empty: int
    unparsable: int
    #: Every feature of the collection.
    total: int

    @property
    def no_date(self) -> int:
        return self.empty + self.unparsable

    def span(self, first: int, last: int) -> list[tuple[int, int, int]]:
        """(year, dated in it, dated in it or earlier) for every year from the earlier of
        ``first`` and the first year present to the later of ``last`` and the last one;
        years before the span cannot exist, so the running total starts at 0."""
        per = dict(self.years)
        lo = min([first, *per])
        hi = max([last, *per])
        out, running = [], 0
        for y in range(lo, hi + 1):
            running += per.get(y, 0)
            out.append((y, per.get(y, 0), running))
        return out


def decide(cid: str, total: int, tallies: Mapping[Candidate, Tally]) -> YearCounts:
    """The counts by year of collection ``cid`` (``total`` features) from the tallies of its
    candidate columns, in column order (module docstring)."""
    chosen = [c for c, t in tallies.items() if qualifies(c, t)]
    if len(chosen) != 1:
        reason = NO_COLUMN if not chosen else AMBIGUOUS
        return YearCounts(cid, None, None, reason, tuple(c.name for c in chosen) if chosen else (),
                          (), 0, 0, total)
    cand = chosen[0]
    counts = tallies[cand]
    years = tuple(sorted((k, n) for k, n in counts.items() if isinstance(k, int)))
    dated = sum(n for _, n in years)
    # a row without the property at all is not in the tally of an engine that reads only
    # the values present; it is empty too
    empty = total - dated - counts[UNPARSABLE]
    return YearCounts(cid, cand.name, cand.kind, "", (), years, empty, counts[UNPARSABLE], total)
