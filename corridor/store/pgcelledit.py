"""The cell pyramid of :mod:`corridor.store.pgcells` kept exact under edits of single
features: a point added or removed changes the count, and possibly the kept point, of its
25 cells (one a zoom), and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from corridor.store.pgcells import MAX_ZOOM, ZOOM_TO_LEVEL, cell_keys, cell_range, zoom_shift

#: The kept point of each of a point's 25 cells (one a zoom), the point itself left out.
_KEPT_SQL = """
SELECT c.z, k.pos, k.kz, k.kn, k.mkey
FROM unnest(%(z)s::integer[], %(lo)s::bigint[], %(hi)s::bigint[]) AS c(z, lo, hi)
CROSS JOIN LATERAL (
    SELECT pos, kz, kn, mkey FROM corridor_features
    WHERE collection = %(c)s AND kz = ANY(%(zs)s::smallint[]) AND kz <= c.z
      AND mkey BETWEEN c.lo AND c.hi AND pos <> %(p)s
    OFFSET 0) AS k
"""


@dataclass
class _Point:
    """A stored point's cell columns."""

    pos: int
    mkey: int
    kz: int | None
    kn: list[int] | None

    def count(self, z: int) -> int:
        """Points in its cell at zoom ``z`` (it must be kept there)."""
        assert self.kz is not None and z >= self.kz
        i = z - self.kz
        return self.kn[i] if self.kn and i < len(self.kn) else 1


def _kept(conn: Any, cid: str, key: int, skip: int, zooms: Sequence[int],
          child: bool = False) -> dict[int, _Point]:
    """The kept point (other than ``skip``) of the cell of ``key`` at each of ``zooms``
    (with ``child``: of the cells at zoom + 1 that share the zoom's cell but not ``key``)."""
    args: dict[str, list[int]] = {"z": [], "lo": [], "hi": []}
    for z in zooms:
        if child:
            mine = key >> zoom_shift(z + 1)
            for j in range(4):
                sib = ((mine >> 2) << 2) | j
                if sib != mine:
                    lo, hi = cell_range(sib, z + 1 + ZOOM_TO_LEVEL)
                    args["z"].append(z + 1)
                    args["lo"].append(lo)
                    args["hi"].append(hi)
        else:
            lo, hi = cell_range(key >> zoom_shift(z), z + ZOOM_TO_LEVEL)
            args["z"].append(z)
            args["lo"].append(lo)
            args["hi"].append(hi)
    rows = conn.execute(_KEPT_SQL, {**args, "c": cid, "p": skip,
                                    "zs": list(range(MAX_ZOOM + 1))}).fetchall()
    out: dict[int, _Point] = {}
    for z, pos, kz, kn, mkey in rows:
        point = _Point(int(pos), int(mkey), kz, kn)
        best = out.get(z - 1 if child else z)
        if best is None or point.pos < best.pos:  # of siblings: the first in data order
            out[z - 1 if child else z] = point
    return out


def add_point(conn: Any, cid: str, pos: int, lon: float, lat: float) -> None:
    """Enter the stored feature at ``pos``, a point at ``lon``, ``lat``, into the pyramid
    of collection ``cid`` (its own cell columns are written here)."""
    key = _key(lon, lat)
    if key is None:
        return
    before = _kept(conn, cid, key, pos, range(MAX_ZOOM + 1))
    after: dict[int, tuple[int, int]] = {}  # zoom -> (kept pos, count)
    for z in range(MAX_ZOOM + 1):
        old = before.get(z)
        if old is None:
            after[z] = (pos, 1)
        else:
            after[z] = (min(pos, old.pos), old.count(z) + 1)
    me = _Point(pos, key, None, None)
    _store(conn, cid, key, after, [me, *before.values()])


def remove_point(conn: Any, cid: str, pos: int) -> None:
    """Take the stored feature at ``pos`` out of the pyramid of collection ``cid`` (before
    it is deleted or moved); nothing happens if it has no cell."""
    row = conn.execute("SELECT mkey, kz, kn FROM corridor_features WHERE collection = %s "
                       "AND pos = %s", (cid, pos)).fetchone()
    if row is None or row[0] is None:
        return
    me = _Point(pos, int(row[0]), row[1], row[2])
    key = me.mkey
    before = _kept(conn, cid, key, pos, range(MAX_ZOOM + 1))
    # the cells it was kept in need a new kept point: the first of their children's
    mine = range(me.kz, MAX_ZOOM + 1) if me.kz is not None else range(0)
    siblings = _kept(conn, cid, key, pos, [z for z in mine if z < MAX_ZOOM], child=True)
    twin = conn.execute("SELECT pos, kz, kn FROM corridor_features WHERE collection = %s "
                        "AND mkey = %s AND pos <> %s ORDER BY pos LIMIT 1",
                        (cid, key, pos)).fetchone() if me.kz is not None else None
    after: dict[int, tuple[int, int]] = {}
    heirs: list[_Point] = []
    for z in range(MAX_ZOOM, -1, -1):
        count = (me.count(z) if z in mine else before[z].count(z)) - 1
        if z not in mine:
            after[z] = (before[z].pos, count)
            continue
        if count == 0:
            continue
        options = [p for p in (siblings.get(z),) if p is not None]
        if z == MAX_ZOOM and twin is not None:
            options.append(_Point(int(twin[0]), key, twin[1], twin[2]))
        if z + 1 in after:
            options.append(next(p for p in heirs if p.pos == after[z + 1][0]))
        heir = min(options, key=lambda p: p.pos)
        heirs.append(heir)
        after[z] = (heir.pos, count)
    _store(conn, cid, key, after, [*before.values(), *heirs])


def _key(lon: float, lat: float) -> int | None:
    keys, ok = cell_keys(np.array([lon]), np.array([lat]))
    return int(keys[0]) if ok[0] else None


def _store(conn: Any, cid: str, key: int, after: dict[int, tuple[int, int]],
           touched: Sequence[_Point]) -> None:
    """Write the cell columns of the points ``touched`` (each once), given the new kept
    point and count ``after[z]`` of the cell of ``key`` at each zoom (absent: empty).

    At a zoom where a touched point shares the cell of ``key``, its state is the cell's new
    one; at deeper zooms it is in another cell, which the edit did not change.
    """
    seen: dict[int, _Point] = {}
    for p in touched:
        seen.setdefault(p.pos, p)
    rows = []
    for p in seen.values():
        flags, counts = [], []
        for z in range(MAX_ZOOM + 1):
            if p.mkey >> zoom_shift(z) == key >> zoom_shift(z):
                kept = z in after and after[z][0] == p.pos
                flags.append(kept)
                counts.append(after[z][1] if kept else 0)
            else:
                kept = p.kz is not None and z >= p.kz
                flags.append(kept)
                counts.append(p.count(z) if kept else 0)
        kz = flags.index(True) if True in flags else None
        kn = counts[kz:] if kz is not None else []
        while kn and kn[-1] == 1:
            kn.pop()
        rows.append((p.mkey, kz, kn or None, cid, p.pos))
    conn.cursor().executemany("UPDATE corridor_features SET mkey = %s, kz = %s, kn = %s "
                              "WHERE collection = %s AND pos = %s", rows)
