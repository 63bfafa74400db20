"""Name search and industry terms of the PostGIS store, in Python: they follow rules SQL
cannot repeat exactly (NFKC + casefold, fuzzy ``difflib`` scores, whole-word English
terms), so each collection's names and distinct industry terms are read once per collection
version and matched here; the database then selects the matching rows by position or term."""

from __future__ import annotations

import threading
from typing import Any

from corridor.industry import term_matches
from corridor.model import CollectionMeta
from corridor.store.pgpool import Database
from corridor.textmatch import name_score

#: Cached name lists and industry terms, per (collection, version).
_TEXT_CACHE = 64


class TextColumns:
    """The names and industry terms of each collection, read from the database once per
    collection version (at most :data:`_TEXT_CACHE` kept)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._texts: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def _column(self, meta: CollectionMeta, what: str) -> Any:
        key = (f"{what}:{meta.id}", meta.version)
        hit = self._texts.get(key)
        if hit is not None:
            return hit
        if what == "names":
            value: Any = self.db.fetch_all(
                "SELECT pos, names FROM corridor_features WHERE collection = %s "
                "AND cardinality(names) > 0 ORDER BY pos", (meta.id,))
        else:
            value = [r[0] for r in self.db.fetch_all(
                "SELECT DISTINCT unnest(industries) FROM corridor_features WHERE collection = %s",
                (meta.id,))]
        with self._lock:
            if len(self._texts) >= _TEXT_CACHE:
                self._texts.clear()
            self._texts[key] = value
        return value

    def name_hits(self, meta: CollectionMeta, query: str) -> list[tuple[int, float]]:
        """(position, best score) of every feature whose names match ``query`` (normalised),
        in data order."""
        out = []
        for pos, names in self._column(meta, "names"):
            scores = [s for n in names if (s := name_score(query, n)) is not None]
            if scores:
                out.append((int(pos), max(scores)))
        return out

    def industry_terms(self, meta: CollectionMeta, terms: frozenset[str]) -> list[str]:
        """The collection's industry texts that match ``terms``."""
        return [t for t in self._column(meta, "industries") if term_matches(terms, (t,))]
