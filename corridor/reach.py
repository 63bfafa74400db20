"""Travel-time reach on a road network: where one can be within M minutes of an origin.

The question (both engines answer it the same way, :meth:`FeatureStore.reach`):

1. **Walk-off.** The origin walks, at walking speed, in a straight line to the network
   node nearest to it (EPSG:4549 metres). That walk counts toward the time. An origin
   farther than :data:`WALK_OFF_LIMIT_M` from every node is refused.
2. **Network.** From that node, the shortest travel times over the mode's arcs
   (:mod:`corridor.roads`), up to M minutes: :func:`settle` (delta-stepping over the arcs
   in compressed sparse rows, with numpy) in memory, ``pgr_drivingDistance`` in PostGIS.
3. **Area.** The parts of the network reached within M minutes (whole arcs, and the first
   part of an arc whose far end is out of time, as far as the time left carries), with the
   walk-off line, are buffered by :data:`WALK_OFF_BUFFER_M`: the area is that buffer,
   drawn on a grid (:mod:`corridor.reacharea`) so it stays cheap however many arcs are
   reached. It lies wholly inside the exact buffer and holds every point within
   :attr:`Reach.buffer_min_m` of a reached part.
4. **Features.** A feature's travel time is the least, over the reached parts within the
   walk-off buffer of it, of the time to the part's nearest point plus the walk from there
   at walking speed (:meth:`Reach.seconds_at`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import shapely
from numpy.typing import NDArray

from corridor import checks
from corridor.errors import InvalidParameter
from corridor.reacharea import covered_area
from corridor.roads import MODE_KMH, MODES, Arcs, RoadGraph

#: Distance around the reached network that counts as reached (walked off the road).
WALK_OFF_BUFFER_M = 100.0
#: The farthest an origin may lie from the network's nearest node.
WALK_OFF_LIMIT_M = 500.0
MAX_MINUTES = 180.0
#: Walking speed of the walk-off, m/s.
WALK_MS = MODE_KMH["walk"] / 3.6

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def check_minutes(value: object, name: str = "minutes") -> float:
    """Minutes of travel, 0 < minutes <= :data:`MAX_MINUTES`.

    Raises
    ------
    InvalidParameter
        Naming the value and the range expected.
    """
    v = checks._number(value)
    if v is None or not math.isfinite(v) or not 0 < v <= MAX_MINUTES:
        raise InvalidParameter(f"{name}={checks.shown(value)} is not valid; expected a number of "
                               f"minutes greater than 0 and at most {MAX_MINUTES:g}")
    return v


def check_mode(value: object, name: str = "mode") -> str:
    """One of :data:`corridor.roads.MODES`.

    Raises
    ------
    InvalidParameter
        Naming the value and the modes.
    """
    return checks.choice(value, name, MODES)


def too_far(network: str, origin: tuple[float, float], distance_m: float | None) -> InvalidParameter:
    """The error of an origin off the network beyond the walk-off limit."""
    where = "has no nodes" if distance_m is None else f"is {distance_m:,.0f} m away"
    return InvalidParameter(
        f"origin {origin[0]:.6f},{origin[1]:.6f} is off network {network!r}: its nearest node "
        f"{where}; expected an origin within {WALK_OFF_LIMIT_M:g} m (the walk-off limit) of it")


def settle(arcs: Arcs, start: int, t0: float, limit: float) -> tuple[IntArray, FloatArray]:
    """Nodes reached from ``start`` (reached at ``t0`` seconds) within ``limit`` seconds,
    by time then node number (the order Dijkstra settles them in), with their times.

    Shortest times are found by relaxing, with numpy, every arc out of the nodes whose time
    improved and lies within :attr:`Arcs.window_s` of the earliest such node (delta-stepping:
    a node relaxed before its time is final is relaxed again when it improves, so the times
    are exact, and those of Dijkstra to the last bit: each is the least sum, in the same
    order, over the ways to the node)."""
    n = len(arcs.indptr) - 1
    indptr, head, cost, window = arcs.indptr, arcs.head, arcs.cost, arcs.window_s
    # times start just above the limit, so "shorter than known" also means "within it"
    best = np.full(n, math.nextafter(limit, math.inf))
    best[start] = t0
    pending = np.array([start], dtype=np.int64)  # improved, not relaxed since
    is_pending = np.zeros(n, dtype=bool)
    is_pending[start] = True
    slot = np.zeros(n, dtype=np.int64)  # scratch: which of a round's heads names each node
    while len(pending):
        times = best[pending]
        now = times < times.min() + window
        active, pending = pending[now], pending[~now]
        is_pending[active] = False
        first = indptr[active]
        counts = indptr[active + 1] - first
        total = int(counts.sum())
        if not total:
            continue
        idx = np.repeat(first - (np.cumsum(counts) - counts), counts) + np.arange(total)
        ty = np.repeat(best[active], counts) + cost[idx]
        y = head[idx]
        shorter = ty < best[y]
        if shorter.any():
            y = y[shorter]
            np.minimum.at(best, y, ty[shorter])
            k = np.arange(len(y))
            slot[y] = k
            y = y[(slot[y] == k) & ~is_pending[y]]  # each node once, if not pending already
            is_pending[y] = True
            pending = np.concatenate([pending, y])
    reached = np.flatnonzero(best <= limit)
    times = best[reached]
    by_time = np.lexsort((reached, times))
    return reached[by_time], times[by_time]


@dataclass(frozen=True)
class Parts:
    """Reached parts of the network as straight pieces in EPSG:4549 metres: from
    ``(x1, y1)``, reached at ``t1`` seconds, to ``(x2, y2)``, travelled at ``speed`` m/s."""

    x1: FloatArray
    y1: FloatArray
    x2: FloatArray
    y2: FloatArray
    t1: FloatArray
    speed: FloatArray


def reached_parts(tail_xy: FloatArray, head_xy: FloatArray, tail_s: FloatArray,
                  cost: FloatArray, limit: float) -> Parts:
    """The reached part of each arc out of a reached node: whole when its head is reached
    in time along it, else as far as the time left carries."""
    length = np.hypot(*(head_xy - tail_xy).T)
    frac = np.clip((limit - tail_s) / np.where(cost > 0, cost, 1.0), 0.0, 1.0)
    frac[cost <= 0] = 1.0
    end = tail_xy + (head_xy - tail_xy) * frac[:, None]
    speed = np.where(cost > 0, length / np.where(cost > 0, cost, 1.0), np.inf)
    return Parts(tail_xy[:, 0], tail_xy[:, 1], end[:, 0], end[:, 1], tail_s, speed)


_FIELDS = ("x1", "y1", "x2", "y2", "t1", "speed")


def _joined(a: Parts, b: Parts) -> Parts:
    return Parts(*(np.concatenate([getattr(a, f), getattr(b, f)]) for f in _FIELDS))


def _taken(a: Parts, mask: NDArray[np.bool_]) -> Parts:
    return Parts(*(getattr(a, f)[mask] for f in _FIELDS))


@dataclass(frozen=True)
class Reach:
    """The answer to "where can one be within ``minutes`` of ``origin``"."""

    network: str
    mode: str
    minutes: float
    origin: tuple[float, float]
    #: Straight distance from the origin to the node the network is entered at, metres.
    walk_off_m: float
    #: Lon/lat of each node reached within the time, and its time in seconds.
    nodes: FloatArray
    seconds: FloatArray
    parts: Parts = field(repr=False)
    #: The area reached, a (Multi)Polygon in lon/lat.
    area: shapely.Geometry = field(repr=False)
    buffer_m: float = WALK_OFF_BUFFER_M
    #: Every point this close to a reached part is inside the area (the grid's cost).
    buffer_min_m: float = WALK_OFF_BUFFER_M

    @property
    def nodes_reached(self) -> int:
        return len(self.seconds)

    @cached_property
    def _tree(self) -> shapely.STRtree:
        p = self.parts
        return shapely.STRtree(shapely.linestrings(
            np.stack([np.column_stack([p.x1, p.y1]), np.column_stack([p.x2, p.y2])], axis=1)))

    def seconds_at(self, xy: FloatArray) -> FloatArray:
        """Travel time in seconds to each point ``xy`` (EPSG:4549 metres): network to the
        nearest point of a reached part within the walk-off buffer, then walking; NaN
        where no reached part is that close."""
        out = np.full(len(xy), np.nan)
        if not len(xy) or not len(self.parts.x1):
            return out
        pts, p = shapely.points(xy), self.parts
        qi, ki = self._tree.query(pts, predicate="dwithin", distance=self.buffer_m)
        if not len(qi):
            return out
        ax, ay = p.x1[ki], p.y1[ki]
        dx, dy = p.x2[ki] - ax, p.y2[ki] - ay
        px, py = xy[qi, 0], xy[qi, 1]
        len2 = dx * dx + dy * dy
        s = np.clip(((px - ax) * dx + (py - ay) * dy) / np.where(len2 > 0, len2, 1.0), 0, 1)
        along = np.sqrt(len2) * s
        off = np.hypot(px - (ax + s * dx), py - (ay + s * dy))
        t = p.t1[ki] + along / p.speed[ki] + off / WALK_MS
        t[off > self.buffer_m] = np.inf
        best = np.full(len(xy), np.inf)
        np.minimum.at(best, qi, t)
        out[np.isfinite(best)] = best[np.isfinite(best)]
        return out


def make_reach(network: str, mode: str, minutes: float, origin: tuple[float, float],
               origin_xy: FloatArray, start_xy: FloatArray, nodes: FloatArray,
               seconds: FloatArray, arc_parts: Parts,
               sampled: tuple[NDArray[np.bool_], FloatArray, FloatArray, float] | None = None,
               ) -> Reach:
    """Assemble a :class:`Reach` from the walk-off and what the search reached (the nodes,
    their times, and :func:`reached_parts` of the arcs out of them). ``sampled`` is
    ``(mask, x, y, spacing)``: the parts in ``mask`` are drawn from points ``x, y`` along them
    (at most ``spacing`` apart, ends included) rather than sampled again."""
    limit = minutes * 60.0
    walk = float(np.hypot(*(start_xy - origin_xy)))
    walk_part = reached_parts(origin_xy[None, :], start_xy[None, :], np.zeros(1),
                              np.array([walk / WALK_MS]), limit)
    parts = _joined(walk_part, arc_parts)
    drawn, points = parts, None
    if sampled is not None:
        drawn, points = _joined(walk_part, _taken(arc_parts, ~sampled[0])), sampled[1:]
    area, inner = covered_area(drawn.x1, drawn.y1, drawn.x2, drawn.y2, WALK_OFF_BUFFER_M, points)
    return Reach(network, mode, minutes, origin, walk, nodes, seconds, parts, area,
                 WALK_OFF_BUFFER_M, inner)


def reach_on_graph(graph: RoadGraph, network: str, origin: tuple[float, float],
                   minutes: float, mode: str) -> Reach:
    """:class:`Reach` from ``origin`` (WGS84 lon/lat) over ``graph`` in memory.

    Raises
    ------
    InvalidParameter
        For an origin farther than :data:`WALK_OFF_LIMIT_M` from every node.
    """
    from corridor.crs import to_metric

    ox, oy = to_metric(origin[0], origin[1])
    origin_xy = np.array([float(ox), float(oy)])
    if not graph.nodes:
        raise too_far(network, origin, None)
    found = graph.tree.query_nearest(shapely.Point(origin_xy), all_matches=True)
    start = int(np.min(found))
    walk = float(np.hypot(*(graph.xy[start] - origin_xy)))
    if walk > WALK_OFF_LIMIT_M:
        raise too_far(network, origin, walk)
    limit = minutes * 60.0
    arcs = graph.arcs[mode]
    if walk / WALK_MS > limit:
        order, times = np.zeros(0, np.int64), np.zeros(0)
    else:
        order, times = settle(arcs, start, walk / WALK_MS, limit)
    counts = arcs.indptr[order + 1] - arcs.indptr[order]
    first = np.repeat(arcs.indptr[order] - np.cumsum(counts) + counts, counts)
    idx = first + np.arange(int(counts.sum()))
    tails, tail_s = np.repeat(order, counts), np.repeat(times, counts)
    heads = arcs.head[idx]
    # a segment travelled whole both ways is one part: the arc out of the end settled first
    whole = tail_s + arcs.cost[idx] <= limit
    whole_arc = np.zeros(len(arcs.head), dtype=bool)
    whole_arc[idx[whole]] = True
    rank = np.empty(graph.nodes, dtype=np.int64)
    rank[order] = np.arange(len(order))
    twin = arcs.twin[idx]
    keep = ~(whole & (twin >= 0) & whole_arc[twin] & (rank[heads] < rank[tails]))
    idx, tails, heads, tail_s, whole = idx[keep], tails[keep], heads[keep], tail_s[keep], whole[keep]
    parts = reached_parts(graph.xy[tails], graph.xy[heads], tail_s, arcs.cost[idx], limit)
    segments = np.zeros(graph.segments, dtype=bool)
    segments[arcs.segment[idx[whole]]] = True
    samples = graph.samples
    return make_reach(network, mode, minutes, origin, origin_xy, graph.xy[start],
                      graph.lonlat[order], times, parts,
                      (whole, *samples.on(segments), samples.spacing))
