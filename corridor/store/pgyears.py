"""The tallies behind :meth:`~corridor.store.FeatureStore.year_counts` in SQL: each candidate
column's values grouped in the database, each distinct value then read by
:func:`corridor.yearcount.value_key`, so both engines decide and count alike.

A text that has a letter or digit (so it is not blank) but no four digits in a row can name
no year: the database groups all such texts as one (``sure_bad``), so a column of names
comes back as a handful of rows rather than one per name."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from corridor.yearcount import UNPARSABLE, Candidate, Tally, value_key

TALLY_SQL = """
SELECT sure_bad, CASE WHEN sure_bad THEN NULL ELSE v END, count(*)
FROM (SELECT properties -> %s AS v FROM corridor_features WHERE collection = %s) AS s,
LATERAL (SELECT coalesce(jsonb_typeof(v) = 'string' AND (v #>> '{}') ~ '[0-9A-Za-z]'
                         AND (v #>> '{}') !~ '[0-9]{4}', false) AS sure_bad) AS b
GROUP BY 1, 2
"""


def year_tallies(conn: Any, cid: str, cands: Sequence[Candidate]) -> dict[Candidate, Tally]:
    """:func:`corridor.yearcount.tally` of each candidate column of collection ``cid``."""
    out: dict[Candidate, Tally] = {}
    for cand in cands:
        counts: Tally = Counter()
        for sure_bad, value, n in conn.execute(TALLY_SQL, (cand.name, cid)).fetchall():
            counts[UNPARSABLE if sure_bad else value_key(value, cand.kind)] += n
        out[cand] = counts
    return out
