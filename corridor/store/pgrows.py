"""Features from the rows of ``corridor_features``: the columns every feature query selects,
and properties parsed from the stored GeoJSON text only when asked for."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import shapely

from corridor.model import Feature

#: The columns of a feature row, in the order :func:`features_from_rows` reads them.
FEATURE_COLUMNS = "fid, doc, ST_AsBinary(geom)"


class LazyProperties(Mapping[str, Any]):
    """A feature's properties, parsed from its GeoJSON text on first access (most responses
    only need the text)."""

    __slots__ = ("_doc", "_props")

    def __init__(self, doc: str) -> None:
        self._doc = doc
        self._props: dict[str, Any] | None = None

    def _get(self) -> dict[str, Any]:
        if self._props is None:
            self._props = json.loads(self._doc)["properties"]
        return self._props

    def __getitem__(self, key: str) -> Any:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


def features_from_rows(cid: str, rows: Sequence[tuple[Any, ...]]) -> list[Feature]:
    """Features from ``(fid, doc, wkb)`` rows."""
    geoms = shapely.from_wkb([r[2] for r in rows]) if rows else []
    return [Feature(cid, r[0], LazyProperties(r[1]), g, r[1].encode())
            for r, g in zip(rows, geoms)]

