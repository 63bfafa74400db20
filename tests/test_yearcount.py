"""A layer's features per calendar year (``FeatureStore.year_counts``) on both engines, over
SYNTHETIC layers whose expected counts are computed here from the rows generated: a text date
column, an integer ``year`` column, a declared GeoPackage DATETIME column, two date columns
(ambiguous) and none; rows with missing, blank and unparsable dates counted apart."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from corridor import yearcount
from corridor.model import NewLayer
from corridor.store import Engine

N = 400
#: Values that are in a date column but name no date.
GARBAGE = ["unknown", "2021-02-30", "2021-13-01", "待定", "1850-01-01", "2021-05-06T25:00:00"]


def _frame(columns: dict[str, list]) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(len(columns))
    n = len(next(iter(columns.values())))
    return gpd.GeoDataFrame({"id": [f"f{i}" for i in range(n)], **columns},
                            geometry=gpd.points_from_xy(rng.uniform(120.0, 120.6, n),
                                                        rng.uniform(35.9, 36.4, n)), crs="EPSG:4326")


def _dates(seed: int) -> tuple[list, Counter]:
    """A text date column of N rows (ISO dates, date-times, months, slashed dates, and about
    a tenth missing, blank or garbage) and the Counter of the years it names, None for the
    rows with no date."""
    rng = np.random.default_rng(seed)
    values, years = [], Counter()
    for i in range(N):
        roll = rng.random()
        y, m, d = int(rng.integers(2016, 2027)), int(rng.integers(1, 13)), int(rng.integers(1, 29))
        if roll < 0.04:
            values.append(None)
            years[None] += 1
        elif roll < 0.06:
            values.append("  ")
            years[None] += 1
        elif roll < 0.10:
            values.append(GARBAGE[i % len(GARBAGE)])
            years[None] += 1
        else:
            form = i % 4
            values.append([f"{y:04d}-{m:02d}-{d:02d}", f"{y:04d}-{m:02d}-{d:02d}T08:30:00+08:00",
                           f"{y:04d}-{m:02d}", f"{y}/{m}/{d}"][form])
            years[y] += 1
    return values, years


def _names(n: int = N) -> list[str]:
    return [f"SYNTHETIC firm {i}" for i in range(n)]


def _layers() -> tuple[list[NewLayer], dict[str, Counter]]:
    dated, dated_years = _dates(1)
    rng = np.random.default_rng(2)
    year_vals = [None if i % 9 == 0 else int(rng.integers(2018, 2026)) for i in range(N)]
    stamps = [None if i % 7 == 0 else datetime(2019 + i % 6, 1 + i % 12, 1 + i % 27, i % 24)
              for i in range(N)]
    founded, _ = _dates(3)
    layers = [
        NewLayer("dated", _frame({"name": _names(), "certified": dated,
                                  "staff": list(range(N))}), title_en="SYNTHETIC dated"),
        NewLayer("yearly", _frame({"name": _names(), "year": pd.array(year_vals, dtype="Int64")}),
                 title_en="SYNTHETIC yearly"),
        NewLayer("stamped", _frame({"name": _names(), "seen": pd.array(stamps, dtype="datetime64[ns]")}),
                 title_en="SYNTHETIC stamped"),
        NewLayer("twodates", _frame({"founded": founded, "certified": dated}), title_en="SYNTHETIC two"),
        NewLayer("nodates", _frame({"name": _names(), "staff": list(range(N))}), title_en="SYNTHETIC none"),
    ]
    expected = {
        "dated": dated_years,
        "yearly": Counter(year_vals),
        "stamped": Counter(None if s is None else s.year for s in stamps),
    }
    return layers, expected


@pytest.fixture(scope="module")
def layered(request, store_kind, tmp_path_factory):
    layers, expected = _layers()
    if store_kind == "embedded":
        store = Engine.user_layers(tmp_path_factory.mktemp("years") / "layers")
        for layer in layers:
            store.put_layer(layer)
        yield store, expected
        return
    from conftest import postgis_with

    from corridor.store.postgis import PostgisStore

    store = PostgisStore(postgis_with(request, layers=layers))
    yield store, expected
    store.close()


@pytest.mark.parametrize("cid,column,kind", [("dated", "certified", "date"), ("yearly", "year", "year"),
                                             ("stamped", "seen", "date")])
def test_counts_per_year_match_the_rows(layered, cid, column, kind):
    store, expected = layered
    got = store.year_counts(cid)
    want = expected[cid]
    assert (got.column, got.kind, got.reason) == (column, kind, "")
    assert dict(got.years) == {y: n for y, n in want.items() if y is not None}
    assert [y for y, _ in got.years] == sorted(y for y in want if y is not None)
    assert got.no_date == want[None] > 0
    assert got.total == N == sum(n for _, n in got.years) + got.no_date


def test_missing_blank_and_unparsable_dates_are_counted_apart(layered):
    store, _ = layered
    values, _ = _dates(1)
    got = store.year_counts("dated")
    assert got.empty == sum(v is None or not v.strip() for v in values)
    assert got.unparsable == sum(v in GARBAGE for v in values) > 0


def test_span_fills_the_plan_years_and_runs_a_cumulative_total(layered):
    store, expected = layered
    got = store.year_counts("yearly")
    rows = got.span(2020, 2025)
    want = expected["yearly"]
    assert [y for y, _, _ in rows] == list(range(2018, 2026))
    assert [n for _, n, _ in rows] == [want.get(y, 0) for y in range(2018, 2026)]
    assert [c for _, _, c in rows] == [sum(want.get(x, 0) for x in range(2018, y + 1))
                                       for y in range(2018, 2026)]


def test_two_date_columns_are_ambiguous_and_none_is_said(layered):
    store, _ = layered
    two = store.year_counts("twodates")
    assert (two.column, two.reason, two.ambiguous, two.years) == (None, yearcount.AMBIGUOUS,
                                                                  ("founded", "certified"), ())
    none = store.year_counts("nodates")
    assert (none.column, none.reason, none.ambiguous, none.years) == (None, yearcount.NO_COLUMN, (), ())
    assert none.total == N


@pytest.mark.parametrize("value,kind,key", [
    ("2021-03-04", "date", 2021), ("2021-03-04T23:59:59Z", "date", 2021), ("2021-03", "date", 2021),
    ("2021/3/4", "date", 2021), (" 2022-01-01 ", "date", 2022), ("2021-02-29", "date", "unparsable"),
    ("2021", "date", "unparsable"), ("20210304", "date", "unparsable"), ("", "date", "empty"),
    (None, "date", "empty"), (2021, "year", 2021), (2021.0, "year", 2021), ("2021", "year", 2021),
    (2021.5, "year", "unparsable"), (1899, "year", "unparsable"), (True, "year", "unparsable"),
    ("２０２１-01-01", "date", "unparsable"),
])
def test_value_key(value, kind, key):
    assert yearcount.value_key(value, kind) == key


def test_a_text_column_with_a_few_dates_does_not_qualify():
    cand = yearcount.Candidate("note", "date")
    mostly_text = yearcount.tally(["2021-01-01"] + ["SYNTHETIC text"] * 5, "date")
    assert not yearcount.qualifies(cand, mostly_text)
    assert yearcount.qualifies(cand, yearcount.tally(["2021-01-01"] * 8 + ["x"] * 2, "date"))
    assert yearcount.qualifies(yearcount.Candidate("d", "date", declared=True), yearcount.tally([None], "date"))
