"""Queryables from per-key counts, so a database store can keep them current through edits
without scanning its table.

For each collection the store keeps, per property name and JSON value kind, how many
features have it and where it was first seen (position in data order, then index among that
feature's properties). :func:`queryables_from_keys` then gives exactly what
:class:`~corridor.store.memory.MemoryStore` derives from the values themselves: the same
types under the same rules, in the same first-seen order (after deletes, a key keeps the
place where it was first seen).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: A key's counts: name, kind, number of features, first position, index in that feature.
KeyRow = tuple[str, str, int, int, int]


def kind_of(value: Any) -> str:
    """The JSON kind of a property value: boolean, integer, number, string or other."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "other"


def count_keys(rows: Iterable[tuple[int, Mapping[str, Any]]]) -> dict[tuple[str, str], list[int]]:
    """Counts ``(name, kind) -> [n, first_pos, first_idx]`` over ``(position, properties)``
    rows (properties without missing values), in data order."""
    out: dict[tuple[str, str], list[int]] = {}
    for pos, props in rows:
        for idx, (name, value) in enumerate(props.items()):
            key = (name, kind_of(value))
            hit = out.get(key)
            if hit is None:
                out[key] = [1, pos, idx]
            else:
                hit[0] += 1
    return out


def geometry_queryable(geometry_types: Sequence[str]) -> dict[str, Any]:
    """The ``geometry`` queryable of a collection holding ``geometry_types``."""
    kinds = {t.replace("Multi", "").lower() for t in geometry_types}
    fmt = f"geometry-{kinds.pop()}-or-multi" if len(kinds) == 1 else "geometry-any"
    return {"title": "geometry", "format": fmt, "x-ogc-role": "primary-geometry"}


def _type(kinds: set[str], complete: bool) -> str | None:
    if kinds <= {"boolean"}:
        return "boolean" if complete else None
    if kinds <= {"integer"}:
        return "integer" if complete else "number"
    if kinds <= {"integer", "number"}:
        return "number"
    if kinds <= {"string"}:
        return "string"
    return None


def queryables_from_keys(keys: Iterable[KeyRow], count: int,
                         geometry_types: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Queryables (JSON-schema snippets, ``geometry`` last) of a collection of ``count``
    features from its key counts: a property is queryable when all its values share one
    type (boolean and integer only when every feature has it; integers with gaps are
    numbers); lists and objects never are."""
    names: dict[str, dict[str, int]] = {}
    first: dict[str, tuple[int, int]] = {}
    for name, kind, n, pos, idx in keys:
        if n <= 0:
            continue
        names.setdefault(name, {})[kind] = n
        first[name] = min(first.get(name, (pos, idx)), (pos, idx))
    out: dict[str, dict[str, Any]] = {}
    for name in sorted(names, key=lambda k: first[k]):
        kinds = names[name]
        typ = _type(set(kinds), sum(kinds.values()) == count)
        if typ is not None:
            out[name] = {"title": name, "type": typ}
    out["geometry"] = geometry_queryable(geometry_types)
    return out
