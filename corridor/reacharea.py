"""The area within a buffer distance of many line pieces, drawn on a grid.

Unioning one buffer polygon per reached arc takes GEOS seconds for tens of thousands of
arcs; a grid takes milliseconds. The grid's cells are ``cell`` metres (a tenth of the
buffer; coarser only where the area would need more than :data:`MAX_CELLS` cells).

1. Each piece is sampled at most ``cell`` apart; a cell holding a sample is on the
   network.
2. The area is every cell whose centre lies within ``reach = buffer - √2·cell`` of the
   centre of a cell on the network (an exact disk of cells, as one pass per row offset over
   running counts).

Any point of such a cell lies within ``buffer`` of a piece (half a cell diagonal from each
centre), so the area never reaches beyond the buffer; and it holds every point within
``reach - √2·cell - cell/2`` of a piece (the ``inner`` distance returned). The cells are
joined row by row into runs, and the runs into one polygon (a coverage union, cheap since
they do not overlap).
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from numpy.typing import NDArray

from corridor.crs import CGCS2000_GK_CM120E, WGS84, transformer

#: The most cells a grid may have (a coarser cell beyond).
MAX_CELLS = 4_000_000

FloatArray = NDArray[np.float64]


def _samples(x1: FloatArray, y1: FloatArray, x2: FloatArray, y2: FloatArray,
             spacing: float) -> tuple[FloatArray, FloatArray]:
    """Points along each piece, its ends included, at most ``spacing`` apart."""
    n = np.ceil(np.hypot(x2 - x1, y2 - y1) / spacing).astype(np.int64) + 1
    k = np.repeat(np.arange(len(n)), n)
    j = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    f = j / np.maximum(n[k] - 1, 1)
    return x1[k] + (x2 - x1)[k] * f, y1[k] + (y2 - y1)[k] * f


def covered_area(x1: FloatArray, y1: FloatArray, x2: FloatArray, y2: FloatArray,
                 buffer: float) -> tuple[shapely.Geometry, float]:
    """The grid area within ``buffer`` metres of the pieces ``(x1, y1)-(x2, y2)``
    (EPSG:4549), in WGS84 lon/lat, and the distance within which it holds every point
    (see the module docstring). An empty polygon for no pieces."""
    x1, y1, x2, y2 = (np.asarray(a, dtype=float) for a in (x1, y1, x2, y2))
    if not len(x1):
        return shapely.Polygon(), buffer
    lo_x, hi_x = float(min(x1.min(), x2.min())) - buffer, float(max(x1.max(), x2.max())) + buffer
    lo_y, hi_y = float(min(y1.min(), y2.min())) - buffer, float(max(y1.max(), y2.max())) + buffer
    cell = max(buffer / 10.0, math.sqrt((hi_x - lo_x) * (hi_y - lo_y) / MAX_CELLS))
    reach = buffer - math.sqrt(2.0) * cell
    x0, y0 = math.floor(lo_x / cell) * cell, math.floor(lo_y / cell) * cell
    nx, ny = int(math.ceil((hi_x - x0) / cell)) + 1, int(math.ceil((hi_y - y0) / cell)) + 1
    sx, sy = _samples(x1, y1, x2, y2, cell)
    on = np.zeros((ny, nx), dtype=bool)
    scale = 1.0 / cell
    on[((sy - y0) * scale).astype(np.int64), ((sx - x0) * scale).astype(np.int64)] = True
    area = _polygon(_dilated(on, reach / cell), x0, y0, cell)
    return area, reach - math.sqrt(2.0) * cell - cell / 2.0


def _dilated(on: NDArray[np.bool_], radius: float) -> NDArray[np.bool_]:
    """Cells within ``radius`` cells (centre to centre) of a cell of ``on``: for each row
    offset ``dy``, the row's cells within ``floor(sqrt(r² - dy²))`` columns, shifted."""
    ny, nx = on.shape
    r = int(math.floor(radius))
    # running counts over the rows, padded by r empty columns each side: the cells of row
    # y within w columns of column x number counts[y, r+x+w+1] - counts[y, r+x-w]
    counts = np.zeros((ny, nx + 2 * r + 1), dtype=np.int32)
    np.cumsum(on, axis=1, out=counts[:, r + 1:r + 1 + nx])
    counts[:, r + 1 + nx:] = counts[:, r + nx:r + 1 + nx]
    out = np.zeros_like(on)
    widths: dict[int, NDArray[np.bool_]] = {}
    for dy in range(-r, r + 1):
        w = int(math.floor(math.sqrt(max(radius * radius - dy * dy, 0.0))))
        near = widths.get(w)
        if near is None:
            near = widths[w] = counts[:, r + w + 1:r + w + 1 + nx] > counts[:, r - w:r - w + nx]
        if dy >= 0:
            out[dy:] |= near[:ny - dy]
        else:
            out[:dy] |= near[-dy:]
    return out


def _polygon(grid: NDArray[np.bool_], x0: float, y0: float, cell: float) -> shapely.Geometry:
    """The marked cells as one lon/lat (Multi)Polygon: the runs of cells of each row as
    rectangles, unioned as a coverage. A coverage's polygons must share vertices where they
    share edges, so each rectangle's bottom (top) edge also gets the run ends of the row
    below (above) that fall inside it."""
    ny, nx = grid.shape
    padded = np.zeros((ny, nx + 2), dtype=np.int8)
    padded[:, 1:-1] = grid
    step = np.diff(padded, axis=1)
    at_row, at_col = np.nonzero(step)  # per row, a run's start (+1) then its end (-1)
    if not len(at_row):
        return shapely.Polygon()
    rows, first, last = at_row[0::2], at_col[0::2], at_col[1::2]
    width = nx + 2
    keys = np.empty(2 * len(rows), dtype=np.int64)  # run ends by (row, column), in order
    keys[0::2], keys[1::2] = rows * width + first, rows * width + last
    ends_x = keys % width
    lo_b = np.searchsorted(keys, (rows - 1) * width + first, side="right")
    hi_b = np.searchsorted(keys, (rows - 1) * width + last, side="left")
    lo_t = np.searchsorted(keys, (rows + 1) * width + first, side="right")
    hi_t = np.searchsorted(keys, (rows + 1) * width + last, side="left")
    nb, nt = hi_b - lo_b, hi_t - lo_t
    size = 5 + nb + nt
    box = np.repeat(np.arange(len(rows)), size)
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
    gy = rows[box] + top
    coords = np.column_stack([x0 + gx * cell, y0 + gy * cell])
    rings = shapely.linearrings(coords, indices=box)
    area = shapely.simplify(shapely.coverage_union_all(shapely.polygons(rings)), 0.0)
    to_lonlat = transformer(CGCS2000_GK_CM120E, WGS84)
    return shapely.transform(area, lambda c: np.column_stack(to_lonlat.transform(c[:, 0], c[:, 1])))
