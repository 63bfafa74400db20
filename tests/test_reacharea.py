"""The reach's two cheap steps against slow exact answers: :func:`corridor.reach.settle`
(numpy delta-stepping) against a plain Dijkstra written here, and the grid area of
:mod:`corridor.reacharea` against the exact buffer of its pieces, on SYNTHETIC random
networks and pieces (nothing here is a real street)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from corridor.crs import CGCS2000_GK_CM120E, WGS84, transformer
from corridor.reach import settle
from corridor.reacharea import covered_area, segment_samples
from corridor.roads import Arcs

#: SYNTHETIC pieces lie east and north of this point (EPSG:4549 metres, Laoshan district).
CORNER = transformer(WGS84, CGCS2000_GK_CM120E).transform(120.45, 36.12)
BUFFER = 100.0


def random_arcs(rng: np.random.Generator, n: int, m: int, window: float) -> Arcs:
    """A SYNTHETIC directed graph of ``n`` nodes and ``m`` arcs, costs from tiny to large."""
    tail, head = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = tail != head
    tail, head = tail[keep], head[keep]
    cost = np.exp(rng.uniform(math.log(0.01), math.log(300.0), len(tail)))
    order = np.argsort(tail, kind="stable")
    tail, head, cost = tail[order], head[order], cost[order]
    indptr = np.searchsorted(tail, np.arange(n + 1))
    none = np.full(len(tail), -1)
    return Arcs(indptr, head, cost, none, np.ones(len(tail), bool), none, window)


def plain_dijkstra(arcs: Arcs, start: int, t0: float, limit: float) -> dict[int, float]:
    """O(n²) Dijkstra over the arcs, no heap: the nodes within ``limit`` and their times."""
    n = len(arcs.indptr) - 1
    best, done = [math.inf] * n, [False] * n
    best[start] = t0
    while True:
        x = min((i for i in range(n) if not done[i]), key=lambda i: (best[i], i), default=None)
        if x is None or best[x] > limit:
            break
        done[x] = True
        for k in range(arcs.indptr[x], arcs.indptr[x + 1]):
            y = int(arcs.head[k])
            best[y] = min(best[y], best[x] + float(arcs.cost[k]))
    return {i: best[i] for i in range(n) if best[i] <= limit}


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("window", [0.001, 30.0, 1e6])
def test_settle_gives_dijkstras_times_in_dijkstras_order(seed, window):
    """Any window (a node relaxed before its time is final is relaxed again): the same
    nodes, the same times to the last bit, by time then node number."""
    rng = np.random.default_rng(seed)
    arcs = random_arcs(rng, 300, 900, window)
    start, t0, limit = int(rng.integers(300)), float(rng.uniform(0, 50)), 600.0
    expected = plain_dijkstra(arcs, start, t0, limit)
    nodes, times = settle(arcs, start, t0, limit)
    assert len(expected) > 20  # the graph is connected enough to test something
    assert dict(zip(nodes.tolist(), times.tolist())) == expected
    assert sorted(zip(times.tolist(), nodes.tolist())) == list(zip(times.tolist(), nodes.tolist()))


def pieces(rng: np.random.Generator, n: int, span: float):
    x1 = CORNER[0] + rng.uniform(0, span, n)
    y1 = CORNER[1] + rng.uniform(0, span, n)
    angle, length = rng.uniform(0, 2 * math.pi, n), rng.exponential(150.0, n)
    return x1, y1, x1 + length * np.cos(angle), y1 + length * np.sin(angle)


def check_area(area, inner, x1, y1, x2, y2, rng):
    """Every point of the area is within the buffer of a piece (up to the millimetres of a
    round trip through lon/lat); every point within ``inner`` of a piece is in the area."""
    assert area.is_valid and inner > 0
    to_m = transformer(WGS84, CGCS2000_GK_CM120E)
    metric = shapely.transform(area, lambda c: np.column_stack(to_m.transform(c[:, 0], c[:, 1])))
    lines = shapely.linestrings(np.stack([np.column_stack([x1, y1]),
                                          np.column_stack([x2, y2])], axis=1))
    network = shapely.union_all(lines)
    exact = network.buffer(BUFFER, quad_segs=64)
    assert metric.difference(exact.buffer(0.01)).is_empty
    assert shapely.get_coordinates(metric).shape[0] > 4
    # points near the pieces (a random point of a random piece, moved up to ``inner``) are
    # inside; points anywhere around that the area covers are within the buffer
    k, f = rng.integers(0, len(x1), 3000), rng.uniform(0, 1, 3000)
    angle, off = rng.uniform(0, 2 * math.pi, 3000), rng.uniform(0, inner - 0.01, 3000)
    near = shapely.points(np.column_stack([x1[k] + (x2 - x1)[k] * f + off * np.cos(angle),
                                           y1[k] + (y2 - y1)[k] * f + off * np.sin(angle)]))
    assert shapely.covers(metric, near).all()
    lo_x, lo_y, hi_x, hi_y = exact.bounds
    pts = shapely.points(np.column_stack([rng.uniform(lo_x, hi_x, 3000),
                                          rng.uniform(lo_y, hi_y, 3000)]))
    inside = shapely.covers(metric, pts)
    assert inside.sum() > 10
    assert (shapely.distance(pts[inside], network) <= BUFFER + 0.01).all()


@pytest.mark.parametrize(("n", "span"), [(1, 10.0), (40, 2_000.0), (3_000, 40_000.0)])
def test_the_grid_area_lies_inside_the_buffer_and_holds_what_it_says(n, span):
    """Small areas (10 m cells) and one wide enough for coarser cells than the samples."""
    rng = np.random.default_rng(n)
    x1, y1, x2, y2 = pieces(rng, n, span)
    area, inner = covered_area(x1, y1, x2, y2, BUFFER)
    check_area(area, inner, x1, y1, x2, y2, rng)


@pytest.mark.parametrize(("n", "span", "share"), [(60, 2_000.0, 0.1), (60, 2_000.0, 0.9),
                                                  (3_000, 40_000.0, 0.5)])
def test_pieces_sampled_once_draw_the_same_kind_of_area(n, span, share):
    """Some pieces from their :class:`Samples` (few or most of them picked), the others
    sampled by the call: the same guarantees for all of them together."""
    rng = np.random.default_rng(n + 1)
    x1, y1, x2, y2 = pieces(rng, n, span)
    samples = segment_samples(x1, y1, x2, y2)
    picked = rng.uniform(size=n) < share
    px, py = samples.on(picked)
    assert len(px) >= 2 * picked.sum()
    rest = ~picked
    area, inner = covered_area(x1[rest], y1[rest], x2[rest], y2[rest], BUFFER,
                               (px, py, samples.spacing))
    check_area(area, inner, x1, y1, x2, y2, rng)
    alone, _ = covered_area(x1[rest], y1[rest], x2[rest], y2[rest], BUFFER)
    assert area.area > alone.area  # the sampled pieces are drawn too


def test_samples_picked_are_those_of_the_segments_asked_for():
    rng = np.random.default_rng(5)
    x1, y1, x2, y2 = pieces(rng, 200, 3_000.0)
    samples = segment_samples(x1, y1, x2, y2)
    for share in (0.05, 0.95):
        picked = rng.uniform(size=200) < share
        px, py = samples.on(picked)
        got = shapely.points(np.column_stack([px, py]))
        lines = shapely.linestrings(np.stack([np.column_stack([x1, y1]),
                                              np.column_stack([x2, y2])], axis=1))
        on_picked = shapely.distance(got, shapely.union_all(lines[picked])) < 1e-6
        assert on_picked.all()
        ends = shapely.points(np.column_stack([x1[picked], y1[picked]]))
        assert (shapely.distance(ends, shapely.multipoints(got)) < 1e-9).all()
        gaps = np.hypot(np.diff(px), np.diff(py))
        steps = gaps[gaps < samples.spacing + 1e-9]
        assert len(steps) >= len(px) - 2 * picked.sum()
