"""Text normalisation and fuzzy name scoring for search (Chinese and English).

Matching ignores case and full-width/half-width differences: both sides go through
Unicode NFKC (which maps full-width Latin letters, digits and brackets such as ``（`` to
their ASCII forms) and ``str.casefold``. Traditional characters are out of scope.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

_SPACE = re.compile(r"\s+")

#: Scores by tier: exact = 3, prefix in (2, 3), substring in (1, 2), fuzzy in [FUZZY_MIN, 1).
EXACT = 3.0
FUZZY_MIN = 0.75


def normalize(text: str) -> str:
    """NFKC, casefold and collapse whitespace."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def name_score(query: str, field: str) -> float | None:
    """Score how well normalised ``query`` matches normalised ``field`` (higher is better).

    Exact match scores :data:`EXACT`; a prefix ``2 + coverage``; a substring
    ``1 + coverage`` (``coverage`` = share of the field the query covers, so tighter
    matches rank first); otherwise the best :class:`difflib.SequenceMatcher` ratio of the
    query against the whole field or any window of the field of the query's length, kept
    when at least :data:`FUZZY_MIN` and at most a quarter of the query's characters (at
    least one) are unmatched. Returns None for no match.
    """
    if not query or not field:
        return None
    if query == field:
        return EXACT
    coverage = len(query) / len(field)
    if field.startswith(query):
        return 2.0 + coverage
    if query in field:
        return 1.0 + coverage
    n = len(query)
    windows = [field] + [field[i : i + n] for i in range(max(0, len(field) - n + 1))]
    best = 0.0
    for w in windows:
        sm = SequenceMatcher(None, query, w, autojunk=False)
        matched = sum(b.size for b in sm.get_matching_blocks())
        # A fuzzy match may miss at most a quarter of the query (at least one character).
        if n - matched <= max(1, n // 4):
            best = max(best, sm.ratio())
    return best if best >= FUZZY_MIN else None


def best_score(query: str, fields: list[str]) -> float | None:
    """Best :func:`name_score` of normalised ``query`` over raw ``fields`` (None if none match)."""
    scores = [s for f in fields if (s := name_score(query, normalize(f))) is not None]
    return max(scores) if scores else None
