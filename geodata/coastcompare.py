"""Compare two coastlines: the translation between them, with the shoreline's own offset apart.

Used by the tests to prove the GCJ-02 -> WGS84 conversion of the AMap districts against
GSHHG. Two independent drawings of the same coast differ in three ways:

* a **translation** (what a datum or an obfuscation like GCJ-02 does): the same for every
  stretch of coast, whichever way it faces;
* a **normal offset**: one source draws the shore at a different line (low water against
  high water, an outer generalisation) and so lies seaward of the other on every face,
  east and west, north and south alike;
* **local differences**: generalisation, and land reclaimed after the older survey.

A plain translation fit on a coast that mostly faces one way mistakes the normal offset for
a translation. :func:`fit` separates them: each vertex's signed distance to the other coast
(positive seaward) is modelled as ``n . t + b``, with ``n`` the outward normal there, ``t``
the translation and ``b`` the normal offset, solved by iteratively reweighted least squares
(Tukey's biweight, so reclaimed stretches hundreds of metres off carry no weight), and
re-projected onto the shifted coast each round (point-to-line ICP). Both directions are used:
vertices of ``a`` against ``b``'s coast and vertices of ``b`` against ``a``'s coast.

All inputs are in a metric CRS (EPSG:4549 in this project).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

#: Tukey biweight cut-off (metres): vertices further off than this after the fit carry no
#: weight. Set from the sources' generalisation (vertices ~100 m apart in both), not from
#: the result; the cut-off is annealed from 1 km so that a shift as large as GCJ-02's is
#: found before it applies.
TUKEY_C_M = 300.0


@dataclass(frozen=True)
class CoastFit:
    """Result of :func:`fit` (metres, east/north; ``a`` relative to ``b``)."""

    east: float
    north: float
    normal: float  # how far a's shore lies seaward of b's (negative: landward)
    n_a: int  # vertices of a used (non-zero final weight)
    n_b: int
    rms: float  # weighted RMS of the residuals after the fit

    @property
    def shift(self) -> np.ndarray:
        return np.array([self.east, self.north])

    @property
    def length(self) -> float:
        return float(np.hypot(self.east, self.north))


def _segment_tree(land: BaseGeometry) -> tuple[shapely.STRtree, np.ndarray]:
    segments = []
    for ring in shapely.get_parts(land.boundary):
        xy = shapely.get_coordinates(ring)
        segments.append(shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1)))
    segs = np.concatenate(segments)
    return shapely.STRtree(segs), segs


def _signed(points: np.ndarray, land: BaseGeometry, tree, segs) -> tuple[np.ndarray, np.ndarray]:
    """Signed distance (positive outside ``land``) and outward unit normal at the nearest point."""
    pts = shapely.points(points)
    idx, dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
    near = shapely.get_coordinates(shapely.shortest_line(pts[idx[0]], segs[idx[1]]))[1::2]
    vec = points[idx[0]] - near
    outside = ~shapely.contains_xy(land, points[idx[0], 0], points[idx[0], 1])
    sign = np.where(outside, 1.0, -1.0)
    norm = np.maximum(np.hypot(vec[:, 0], vec[:, 1]), 1e-9)
    normal = sign[:, None] * vec / norm[:, None]
    out_d = np.full(len(points), np.nan)
    out_n = np.full((len(points), 2), np.nan)
    out_d[idx[0]] = sign * dist
    out_n[idx[0]] = normal
    return out_d, out_n


def coastal_vertices(land: BaseGeometry, other: BaseGeometry, within_m: float) -> np.ndarray:
    """Vertices of ``land``'s boundary within ``within_m`` of ``other``'s boundary (x, y)."""
    xy = shapely.get_coordinates(land.boundary)
    tree, _ = _segment_tree(other)
    _, d = tree.query_nearest(shapely.points(xy), return_distance=True, all_matches=False)
    return xy[d < within_m]


def fit(
    a: BaseGeometry,
    b: BaseGeometry,
    pa: np.ndarray,
    pb: np.ndarray,
    *,
    iterations: int = 60,
    c: float = TUKEY_C_M,
) -> CoastFit:
    """Translation and normal offset of land ``a`` relative to land ``b``.

    Parameters
    ----------
    a, b
        Land (multi)polygons, metric CRS; their boundaries are the coastlines.
    pa, pb
        (n, 2) coastal vertices of ``a`` and of ``b`` to compare (e.g. from
        :func:`coastal_vertices`, restricted to the stretches of coast of interest).
    """
    shapely.prepare(a)
    shapely.prepare(b)
    tree_a, segs_a = _segment_tree(a)
    tree_b, segs_b = _segment_tree(b)
    t = np.zeros(2)
    off = 0.0
    for k in range(iterations):
        # Anneal the cut-off from 1 km down to c: the first rounds see a shift as large as
        # GCJ-02's whole offset without discarding the coast it moved.
        ck = max(c, 1000.0 * 0.7**k)
        # a's vertices moved back by t, against b's coast: d_a - off = n.dt + doff.
        # b's vertices moved by t, against a's coast:      d_b + off = -(n.dt + doff).
        # (dt, doff: the corrections still to make; n: outward normal at the nearest point.)
        da, na = _signed(pa - t, b, tree_b, segs_b)
        db, nb = _signed(pb + t, a, tree_a, segs_a)
        rows = np.vstack(
            [np.column_stack([na, np.ones(len(na))]), -np.column_stack([nb, np.ones(len(nb))])]
        )
        rhs = np.concatenate([da - off, db + off])
        ok = np.isfinite(rhs)
        u = np.where(ok, rhs, np.inf) / ck
        w = np.where(np.abs(u) < 1, (1 - u * u) ** 2, 0.0)
        sw = np.sqrt(w[ok])
        sol, *_ = np.linalg.lstsq(rows[ok] * sw[:, None], rhs[ok] * sw, rcond=None)
        t = t + sol[:2]
        off = off + sol[2]
        if ck == c and np.hypot(*sol[:2]) < 0.01 and abs(sol[2]) < 0.01:
            break
    da, na = _signed(pa - t, b, tree_b, segs_b)
    db, nb = _signed(pb + t, a, tree_a, segs_a)
    r = np.concatenate([da - off, db + off])
    u = r / c
    w = np.where(np.abs(u) < 1, (1 - u * u) ** 2, 0.0)
    rms = float(np.sqrt(np.sum(w * r * r) / np.sum(w)))
    n_a = int((w[: len(da)] > 0).sum())
    return CoastFit(float(t[0]), float(t[1]), float(off), n_a, int((w[len(da) :] > 0).sum()), rms)
