"""The area within a buffer distance of many line pieces, drawn on a grid.

Unioning one buffer polygon per reached arc takes GEOS seconds for tens of thousands of
arcs; a grid takes milliseconds. The grid's cells are ``cell`` metres (a tenth of the
buffer; coarser only where the area would need more than :data:`MAX_CELLS` cells).

1. Each piece is sampled at most ``cell`` apart; a cell holding a sample is on the
   network. A network's whole segments are sampled once, when its graph is built
   (:func:`segment_samples`, :data:`SAMPLE_SPACING_M` apart, no farther than any cell); a
   reach samples only the pieces it cuts short.
2. The area is every cell whose centre lies within ``reach = buffer - √2·cell`` of the
   centre of a cell on the network (an exact disk of cells: for each row offset, the row
   widened by the disk's half-width there).

Any point of such a cell lies within ``buffer`` of a piece (half a cell diagonal from each
centre), so the area never reaches beyond the buffer; and it holds every point within
``reach - √2·cell - cell/2`` of a piece (the ``inner`` distance returned). The cells are
joined row by row into runs, and the runs into one polygon (a coverage union, cheap since
they do not overlap).

The grid is held as bits, 64 cells of a row to a word, so widening a row, shifting rows
and finding where runs start and end are a few operations over words rather than cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from corridor.crs import CGCS2000_GK_CM120E, WGS84, transformer

#: The most cells a grid may have (a coarser cell beyond).
MAX_CELLS = 4_000_000
#: How far apart a network's segments are sampled once per graph: a tenth of the walk-off
#: buffer (:data:`corridor.reach.WALK_OFF_BUFFER_M`), the finest cell drawn for it.
SAMPLE_SPACING_M = 10.0

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Words = NDArray[np.uint64]


@dataclass(frozen=True)
class Samples:
    """Points along a network's segments, ends included, at most ``spacing`` apart (EPSG:4549):
    those of segment ``k`` are ``x[first[k]:first[k + 1]], y[first[k]:first[k + 1]]``."""

    x: FloatArray
    y: FloatArray
    first: IntArray
    spacing: float

    def on(self, segments: NDArray[np.bool_]) -> tuple[FloatArray, FloatArray]:
        """The samples of the segments marked in ``segments`` (one flag per segment)."""
        picked = np.flatnonzero(segments)
        if 4 * len(picked) > len(segments):  # most of them: cheaper to drop the others
            pick = np.repeat(segments, np.diff(self.first))
            return self.x[pick], self.y[pick]
        start, counts = self.first[picked], np.diff(self.first)[picked]
        at = np.repeat(start - (np.cumsum(counts) - counts), counts) + np.arange(int(counts.sum()))
        return self.x[at], self.y[at]


def _samples(x1: FloatArray, y1: FloatArray, x2: FloatArray, y2: FloatArray,
             spacing: float) -> tuple[FloatArray, FloatArray, IntArray]:
    """Points along each piece, its ends included, at most ``spacing`` apart, and the
    piece of each."""
    n = np.ceil(np.hypot(x2 - x1, y2 - y1) / spacing).astype(np.int64) + 1
    k = np.repeat(np.arange(len(n)), n)
    j = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    f = j / np.maximum(n[k] - 1, 1)
    return x1[k] + (x2 - x1)[k] * f, y1[k] + (y2 - y1)[k] * f, k


def segment_samples(x1: FloatArray, y1: FloatArray, x2: FloatArray, y2: FloatArray,
                    spacing: float = SAMPLE_SPACING_M) -> Samples:
    """:class:`Samples` of the segments ``(x1, y1)-(x2, y2)`` (EPSG:4549)."""
    x1, y1, x2, y2 = (np.asarray(a, dtype=float) for a in (x1, y1, x2, y2))
    sx, sy, k = _samples(x1, y1, x2, y2, spacing)
    return Samples(sx, sy, np.searchsorted(k, np.arange(len(x1) + 1)), spacing)


def covered_area(x1: FloatArray, y1: FloatArray, x2: FloatArray, y2: FloatArray,
                 buffer: float,
                 sampled: tuple[FloatArray, FloatArray, float] | None = None,
                 ) -> tuple[shapely.Geometry, float]:
    """The grid area within ``buffer`` metres of the pieces ``(x1, y1)-(x2, y2)``
    (EPSG:4549), and of the pieces already ``sampled`` as ``(x, y, spacing)`` (points at most
    ``spacing`` apart along them, their ends included), in WGS84 lon/lat, and the distance
    within which it holds every point (see the module docstring). An empty polygon for no
    pieces."""
    x1, y1, x2, y2 = (np.asarray(a, dtype=float) for a in (x1, y1, x2, y2))
    px, py, spacing = sampled if sampled is not None else (np.zeros(0), np.zeros(0), 0.0)
    xs = [a for a in (x1, x2, px) if len(a)]
    ys = [a for a in (y1, y2, py) if len(a)]
    if not xs:
        return shapely.Polygon(), buffer
    lo_x, hi_x = min(float(a.min()) for a in xs) - buffer, max(float(a.max()) for a in xs) + buffer
    lo_y, hi_y = min(float(a.min()) for a in ys) - buffer, max(float(a.max()) for a in ys) + buffer
    cell = max(buffer / 10.0, spacing, math.sqrt((hi_x - lo_x) * (hi_y - lo_y) / MAX_CELLS))
    reach = buffer - math.sqrt(2.0) * cell
    x0, y0 = math.floor(lo_x / cell) * cell, math.floor(lo_y / cell) * cell
    nx, ny = int(math.ceil((hi_x - x0) / cell)) + 1, int(math.ceil((hi_y - y0) / cell)) + 1
    sx, sy, _ = _samples(x1, y1, x2, y2, cell)
    width = -(-nx // 64) * 64
    on = np.zeros((ny, width), dtype=bool)
    flat = on.reshape(-1)
    scale = 1.0 / cell
    for ax, ay in ((sx, sy), (px, py)):
        flat[((ay - y0) * scale).astype(np.int64) * width
             + ((ax - x0) * scale).astype(np.int64)] = True
    words = np.packbits(on, axis=1, bitorder="little").view(np.uint64)
    grid = _dilated(words, reach / cell) & _row_mask(nx, words.shape[1])
    area = _polygon(grid, x0, y0, cell)
    return area, reach - math.sqrt(2.0) * cell - cell / 2.0


def _row_mask(nx: int, n_words: int) -> Words:
    """A row of words with the bits of the ``nx`` columns set."""
    mask = np.zeros(n_words * 64, dtype=bool)
    mask[:nx] = True
    return np.packbits(mask, bitorder="little").view(np.uint64)


def _shifted(a: Words, s: int) -> Words:
    """The rows of bits ``a`` moved ``s`` columns right (towards higher columns; left for a
    negative ``s``), ``0 < |s| < 64``, with the bits carried between the words of a row."""
    out = np.empty_like(a)
    if s > 0:
        np.left_shift(a, np.uint64(s), out=out)
        out[:, 1:] |= a[:, :-1] >> np.uint64(64 - s)
    else:
        np.right_shift(a, np.uint64(-s), out=out)
        out[:, :-1] |= a[:, 1:] << np.uint64(64 + s)
    return out


def _dilated(on: Words, radius: float) -> Words:
    """Cells within ``radius`` cells (centre to centre, ``radius`` < 64) of a cell of
    ``on``: for each row offset ``dy``, the row's cells within ``floor(sqrt(r² - dy²))``
    columns, shifted."""
    ny = on.shape[0]
    r = int(math.floor(radius))
    half = {dy: int(math.floor(math.sqrt(max(radius * radius - dy * dy, 0.0))))
            for dy in range(-r, r + 1)}
    out = np.zeros_like(on)
    near = on.copy()  # widened by w columns each side, w growing from 0
    for w in range(r + 1):
        if w:
            near |= _shifted(on, w)
            near |= _shifted(on, -w)
        for dy in (d for d, h in half.items() if h == w):
            if dy >= 0:
                out[dy:] |= near[:ny - dy]
            else:
                out[:dy] |= near[-dy:]
    return out


def _bits(words: Words) -> tuple[IntArray, IntArray]:
    """Row and column of every set bit of the rows of words, in row then column order."""
    row, word = np.nonzero(words)
    bits = np.unpackbits(words[row, word].view(np.uint8).reshape(-1, 8), axis=1,
                         bitorder="little")
    which, bit = np.nonzero(bits)
    return row[which], word[which] * 64 + bit


def _runs(grid: Words) -> tuple[IntArray, IntArray, IntArray]:
    """Row, first column and end column (exclusive) of every run of marked cells, by row
    then column: a run starts at a cell whose left neighbour is off and ends after one
    whose right neighbour is off (the grid's margin keeps runs off its edges)."""
    rows, first = _bits(grid & ~_shifted(grid, 1))
    _, last = _bits(grid & ~_shifted(grid, -1))
    return rows, first, last + 1


def _rectangles(rows: IntArray, first: IntArray, last: IntArray,
                width: int) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """The runs joined into rectangles where the rows above repeat them exactly: each
    rectangle's bottom row, top row, first and end column."""
    key = rows * width + first
    below = np.minimum(np.searchsorted(key, key - width), len(key) - 1)
    repeats = (key[below] == key - width) & (last[below] == last)
    by_column = np.lexsort((rows, last, first))  # a rectangle's runs are together here
    starts = ~repeats[by_column]
    rect = np.cumsum(starts) - 1
    bottom = by_column[starts]
    top = np.zeros(len(bottom), dtype=np.int64)
    np.maximum.at(top, rect, rows[by_column])
    return rows[bottom], top, first[bottom], last[bottom]


def _polygon(grid: Words, x0: float, y0: float, cell: float) -> shapely.Geometry:
    """The marked cells as one lon/lat (Multi)Polygon: the runs of cells of each row, joined
    where rows repeat them, as rectangles unioned as a coverage. A coverage's polygons must
    share vertices where they share edges, so each rectangle's bottom (top) edge also gets
    the run ends of the row below (above) it that fall inside it."""
    rows, run_first, run_last = _runs(grid)
    if not len(rows):
        return shapely.Polygon()
    width = grid.shape[1] * 64 + 2
    keys = np.empty(2 * len(rows), dtype=np.int64)  # run ends by (row, column), in order
    keys[0::2], keys[1::2] = rows * width + run_first, rows * width + run_last
    ends_x = keys % width
    low, high, first, last = _rectangles(rows, run_first, run_last, width)
    lo_b = np.searchsorted(keys, (low - 1) * width + first, side="right")
    hi_b = np.searchsorted(keys, (low - 1) * width + last, side="left")
    lo_t = np.searchsorted(keys, (high + 1) * width + first, side="right")
    hi_t = np.searchsorted(keys, (high + 1) * width + last, side="left")
    nb, nt = hi_b - lo_b, hi_t - lo_t
    size = 5 + nb + nt
    box = np.repeat(np.arange(len(low)), size)
    j = np.arange(int(size.sum())) - np.repeat(np.cumsum(size) - size, size)
    b_nb, b_nt = nb[box], nt[box]
    below = (j >= 1) & (j <= b_nb)
    above = (j >= b_nb + 3) & (j <= b_nb + 2 + b_nt)
    gx = np.where(j == 0, first[box], 0)
    gx = np.where(below, ends_x[np.minimum(lo_b[box] + j - 1, len(keys) - 1)], gx)
    gx = np.where((j == b_nb + 1) | (j == b_nb + 2), last[box], gx)
    gx = np.where(above, ends_x[np.clip(hi_t[box] - (j - b_nb - 2), 0, len(keys) - 1)], gx)
    gx = np.where(j >= b_nb + b_nt + 3, first[box], gx)
    top = (j >= b_nb + 2) & (j <= b_nb + b_nt + 3)
    gy = np.where(top, high[box] + 1, low[box])
    coords = np.column_stack([x0 + gx * cell, y0 + gy * cell])
    rings = shapely.linearrings(coords, indices=box)
    area = shapely.simplify(shapely.coverage_union_all(shapely.polygons(rings)), 0.0)
    to_lonlat = transformer(CGCS2000_GK_CM120E, WGS84)
    return shapely.transform(area, lambda c: np.column_stack(to_lonlat.transform(c[:, 0], c[:, 1])))
