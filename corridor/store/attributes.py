"""The non-spatial side of a collection, built once from its features: queryables with a
value column each, normalised names, an industry-term index and the GeoDataFrame CQL2 is
evaluated on; and the selection of an items query's non-spatial criteria over them.

The in-process engine builds it per layer snapshot (:mod:`corridor.store.engine.snapshot`): once
at load for a bundled collection, once per version for a user layer
(after an edit, on the first attribute query).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
from numpy.typing import NDArray

from corridor import cql, timeline
from corridor.crs import WGS84
from corridor.industry import expand, term_matches
from corridor.model import Extent, Feature, ItemsQuery
from corridor.textmatch import name_score, normalize

IntArray = NDArray[np.intp]
#: Properties a name search looks at.
NAME_FIELDS = ("name_zh", "name_en", "aliases_zh", "aliases_en", "institution_zh", "institution_en")
INDUSTRY_FIELDS = ("industries_zh", "industries_en")
EMPTY = np.zeros(0, dtype=np.intp)


@dataclass(frozen=True)
class Attributes:
    """Lookup structures over a list of features (positions index that list)."""

    features: list[Feature]
    positions: dict[str, int]
    queryables: dict[str, dict[str, Any]]
    columns: dict[str, NDArray[np.object_]]
    names: list[list[str]]
    industries: dict[str, IntArray]
    frame: gpd.GeoDataFrame
    #: Each feature's interval, parsed once (:func:`corridor.timeline.feature_interval`).
    intervals: list[timeline.FeatureInterval] = field(default_factory=list)

    @classmethod
    def build(cls, features: list[Feature], geometry_types: tuple[str, ...]) -> Attributes:
        """Index ``features`` (their properties without None values), in list order."""
        props_list = [dict(f.properties) for f in features]
        queryables, columns = queryables_of(props_list, geometry_types)
        industries: dict[str, list[int]] = {}
        for i, p in enumerate(props_list):
            for name in INDUSTRY_FIELDS:
                for text in p.get(name) or []:
                    industries.setdefault(normalize(text), []).append(i)
        frame = (
            gpd.GeoDataFrame(props_list, geometry=[f.geometry for f in features], crs=WGS84)
            if features else gpd.GeoDataFrame({"id": []}, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)
        )
        return cls(
            features=features,
            positions={f.id: i for i, f in enumerate(features)},
            queryables=queryables,
            columns=columns,
            names=[[normalize(n) for n in strings(p, NAME_FIELDS)] for p in props_list],
            industries={t: np.unique(np.asarray(v, dtype=np.intp)) for t, v in industries.items()},
            frame=frame,
            intervals=[timeline.feature_interval(p) for p in props_list],
        )

    def select(self, q: ItemsQuery, in_box: Callable[[Extent], IntArray]) -> IntArray | None:
        """Ascending positions matching every criterion of ``q`` but ``near`` (None: all).

        ``in_box`` answers the bbox criterion with ascending positions (the store's index)."""
        sel: IntArray | None = None

        def narrow(pos: IntArray) -> None:
            nonlocal sel
            sel = pos if sel is None else np.intersect1d(sel, pos, assume_unique=True)

        if q.bbox is not None:
            narrow(in_box(q.bbox))
        for name, value in q.equals.items():
            column = self.columns.get(name)
            narrow(EMPTY if column is None else np.flatnonzero(column == value))
        if q.q is not None:
            narrow(np.array([i for i, _ in self.matching_name(normalize(q.q))], dtype=np.intp))
        if q.industry is not None:
            narrow(self.industry_positions(expand(q.industry)))
        if q.when is not None:
            narrow(self.existing_in(q.when))
        if q.filter is not None:
            rows = np.arange(len(self.features)) if sel is None else sel
            frame = self.frame if sel is None else self.frame.iloc[sel]
            sel = rows[cql.evaluate(q.filter, frame, q.filter_to_wgs84)]
        return sel

    def matching_name(self, query: str) -> list[tuple[int, float]]:
        """Positions whose names match the normalised ``query``, with the best score."""
        out = []
        for i, names in enumerate(self.names):
            scores = [s for n in names if (s := name_score(query, n)) is not None]
            if scores:
                out.append((i, max(scores)))
        return out

    def industry_positions(self, terms: frozenset[str]) -> IntArray:
        hits = [pos for text, pos in self.industries.items() if term_matches(terms, (text,))]
        if not hits:
            return EMPTY
        return np.unique(np.concatenate(hits))

    def existing_in(self, when: timeline.Interval) -> IntArray:
        """Positions of the features whose own interval meets ``when``
        (:func:`corridor.timeline.matches`)."""
        return np.flatnonzero([timeline.meets(fi, when) for fi in self.intervals]).astype(np.intp)


def strings(props: dict[str, Any], fields: Sequence[str]) -> list[str]:
    out: list[str] = []
    for f in fields:
        v = props.get(f)
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, list):
            out.extend(x for x in v if isinstance(x, str))
    return out


def queryables_of(
    props_list: list[dict[str, Any]], geometry_types: tuple[str, ...]
) -> tuple[dict[str, dict[str, Any]], dict[str, NDArray[np.object_]]]:
    """Scalar properties as JSON-schema snippets, and a value column for each.

    A property is queryable when all its present values share one JSON type: boolean
    (present in every feature), integer (present in every feature; with gaps it is a
    number), number, or string. Lists (industries) are not: use ``industry``.
    """
    names: dict[str, None] = {}
    for p in props_list:
        names.update(dict.fromkeys(p))
    out: dict[str, dict[str, Any]] = {}
    columns: dict[str, NDArray[np.object_]] = {}
    for name in names:
        values = [p.get(name) for p in props_list]
        present = [v for v in values if v is not None]
        complete = len(present) == len(values)
        if all(isinstance(v, bool) for v in present):
            typ = "boolean" if complete else None
        elif all(isinstance(v, int) and not isinstance(v, bool) for v in present):
            typ = "integer" if complete else "number"
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
            typ = "number"
        elif all(isinstance(v, str) for v in present):
            typ = "string"
        else:
            typ = None
        if not present or not all(isinstance(v, (bool, int, float, str)) for v in present):
            continue
        # every scalar property gets a value column: a store whose queryables come from a
        # declared schema (user layers) compares on it even where values are missing
        column = np.empty(len(values), dtype=object)
        column[:] = values
        columns[name] = column
        if typ is not None:
            out[name] = {"title": name, "type": typ}
    out["geometry"] = geometry_queryable(geometry_types)
    return out, columns


def geometry_queryable(geometry_types: Sequence[str]) -> dict[str, str]:
    """The queryable of a collection's geometry (Part 3's ``geometry-<type>-or-multi``)."""
    kinds = {t.replace("Multi", "").lower() for t in geometry_types}
    fmt = f"geometry-{kinds.pop()}-or-multi" if len(kinds) == 1 else "geometry-any"
    return {"title": "geometry", "format": fmt, "x-ogc-role": "primary-geometry"}
