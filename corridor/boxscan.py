"""A box page over a large point collection, in numpy, from an ordering computed at load.

A bbox-only items request (a map view, a client paging) needs the number of points in the
lon/lat box and the first ``k`` of them in collection order. The points are kept sorted by
longitude as well (:class:`corridor.geoindex.GeodesicIndex` sorts them once, at load), so
the box's lon slab is two binary searches and the count one comparison pass over the
slab's latitudes. The first ``k`` come from whichever is shorter: an in-order scan of the
positions, in chunks sized from the box's share of the points, until ``k`` are found, or
the slab's matches sorted.

Every comparison is of the stored float64 values with the box's edges (edges included),
so the answers are exact: the same count and the same positions as a brute-force test.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

#: The smallest chunk of positions the in-order scan tests at once.
MIN_CHUNK = 256


def box_page(lon_sorted: FloatArray, lat_by_lon: FloatArray, by_lon: IntArray,
             lon: FloatArray, lat: FloatArray, x0: float, y0: float, x1: float, y1: float,
             k: int, max_slab: int) -> tuple[int, IntArray] | None:
    """How many points lie in the lon/lat box (edges included), and the first ``k`` of
    their positions, ascending; None when the box's lon slab holds more than ``max_slab``
    points (the caller then asks its tree).

    ``lon_sorted``, ``lat_by_lon`` and ``by_lon`` are the points in ascending lon (their lon,
    their lat, their positions); ``lon`` and ``lat`` are in position order.
    """
    i0 = int(np.searchsorted(lon_sorted, x0, side="left"))
    i1 = int(np.searchsorted(lon_sorted, x1, side="right"))
    if i1 - i0 > max_slab:
        return None
    slab = lat_by_lon[i0:i1]
    inside = (slab >= y0) & (slab <= y1)
    matched = int(np.count_nonzero(inside))
    want = min(k, matched)
    if want <= 0:
        return matched, np.zeros(0, dtype=np.intp)
    if want * len(lon) > matched * (i1 - i0):
        # an in-order scan would pass about want * n / matched positions, more than the slab
        # holds: gather the slab's matches and sort them instead
        return matched, np.sort(by_lon[i0:i1][inside])[:want]
    return matched, _first_in_box(lon, lat, x0, y0, x1, y1, want,
                                  max(MIN_CHUNK, 2 * want * len(lon) // matched))


def _first_in_box(lon: FloatArray, lat: FloatArray, x0: float, y0: float, x1: float,
                  y1: float, want: int, chunk: int) -> IntArray:
    """The first ``want`` positions in the box, ascending (at least ``want`` are in it),
    testing ``chunk`` positions at a time, the chunk doubling after each miss."""
    found: list[IntArray] = []
    got = start = 0
    while got < want and start < len(lon):
        a, b = lon[start:start + chunk], lat[start:start + chunk]
        hits = np.flatnonzero((a >= x0) & (a <= x1) & (b >= y0) & (b <= y1))
        found.append(hits[:want - got] + start)
        got += len(found[-1])
        start += chunk
        chunk *= 2
    return found[0] if len(found) == 1 else np.concatenate(found)
