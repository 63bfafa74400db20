"""Road networks: what a user layer of lines means as a network, and its graph.

A user layer whose geometries are all LineStrings or MultiLineStrings is a road network
(:func:`is_network`; :attr:`corridor.model.CollectionMeta.network` says so). Every vertex
of its lines is a node (vertices at the same position, to 1e-7 degrees, are one node) and
every pair of consecutive vertices an edge, so an edge is a straight segment whose length
is measured in CGCS2000 / Gauss-Kruger CM 120E metres (EPSG:4549: within 0.01% of the
geodesic length across Qingdao).

How fast each mode travels an edge (``docs/reach.md`` has the table):

- ``drive``: the edge's ``speed_kmh`` if it is a positive number, else its OSM ``maxspeed``
  (``50``, ``50 km/h``, ``30 mph``), else the speed of its OSM ``highway`` class
  (:data:`DRIVE_KMH`), else :data:`MODE_KMH` ``["drive"]``. Classes for people only
  (footway, path, steps...) are closed to cars. ``oneway`` = ``yes``/``1``/``true`` lets cars
  go along the line's direction only, ``-1``/``reverse`` only against it.
- ``walk`` and ``cycle``: their own speed (:data:`MODE_KMH`), slower where ``speed_kmh`` is
  lower; both ignore ``oneway``. Motorways are closed to both, steps to bicycles.

This module builds the graph (:class:`RoadGraph`) from features, in memory, once per layer
version; it does no I/O and knows nothing of engines.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from corridor.crs import to_metric
from corridor.reacharea import Samples, segment_samples

MODES = ("walk", "cycle", "drive")
#: Each mode's own speed, km/h (drive: a road with no class and no speed).
MODE_KMH: dict[str, float] = {"walk": 5.0, "cycle": 15.0, "drive": 30.0}
#: Driving speed of each OSM ``highway`` class, km/h; None: closed to cars.
DRIVE_KMH: dict[str, float | None] = {
    "motorway": 100.0, "motorway_link": 60.0, "trunk": 80.0, "trunk_link": 50.0,
    "primary": 60.0, "primary_link": 40.0, "secondary": 50.0, "secondary_link": 40.0,
    "tertiary": 40.0, "tertiary_link": 30.0, "unclassified": 30.0, "residential": 30.0,
    "road": 30.0, "service": 20.0, "track": 15.0, "living_street": 10.0,
    "footway": None, "path": None, "pedestrian": None, "steps": None, "cycleway": None,
    "bridleway": None, "corridor": None,
}
#: Classes closed to walking and to cycling.
NO_WALK = frozenset({"motorway", "motorway_link"})
NO_CYCLE = frozenset({"motorway", "motorway_link", "steps"})
ONEWAY_FORWARD = frozenset({"yes", "1", "true"})
ONEWAY_BACKWARD = frozenset({"-1", "reverse"})
#: Node positions are the same node when equal after rounding to this many degrees.
NODE_DIGITS = 7
LINE_TYPES = frozenset({"LineString", "MultiLineString"})

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def is_network(geometry_types: Sequence[str], user_layer: bool) -> bool:
    """Whether a collection of these geometry types is a road network: a user layer of
    lines only (the bundled catalog holds none)."""
    return user_layer and bool(geometry_types) and set(geometry_types) <= LINE_TYPES


def _text(value: Any) -> str:
    return value.strip().lower() if isinstance(value, str) else ""


def _positive(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    v = float(value)
    return v if math.isfinite(v) and v > 0 else None


_MAXSPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph)?\s*$")


def maxspeed_kmh(value: Any) -> float | None:
    """An OSM ``maxspeed`` in km/h (``50``, ``50 km/h``, ``30 mph``); None for anything
    else (``signals``, ``none``, ``CN:urban``)."""
    if not isinstance(value, str):
        return _positive(value)
    m = _MAXSPEED.match(value.lower())
    if not m or float(m[1]) <= 0:
        return None
    return float(m[1]) * (1.609344 if m[2] == "mph" else 1.0)


def edge_speeds(props: Mapping[str, Any]) -> tuple[dict[str, float | None], int]:
    """Speed in km/h of each mode on an edge with these properties (None: closed), and its
    driving direction: 0 both ways, 1 along the line only, -1 against it only."""
    highway = _text(props.get("highway"))
    own = _positive(props.get("speed_kmh"))
    drive: float | None
    if own is not None:
        drive = own
    elif (limit := maxspeed_kmh(props.get("maxspeed"))) is not None:
        drive = limit
    elif highway in DRIVE_KMH:
        drive = DRIVE_KMH[highway]
    else:
        drive = MODE_KMH["drive"]
    cap = own if own is not None else math.inf
    speeds = {
        "walk": None if highway in NO_WALK else min(MODE_KMH["walk"], cap),
        "cycle": None if highway in NO_CYCLE else min(MODE_KMH["cycle"], cap),
        "drive": drive,
    }
    oneway = _text(props.get("oneway"))
    direction = 1 if oneway in ONEWAY_FORWARD else -1 if oneway in ONEWAY_BACKWARD else 0
    return speeds, direction


@dataclass(frozen=True)
class Arcs:
    """One mode's directed arcs in compressed sparse rows: the arcs out of node ``n`` are
    ``indptr[n]:indptr[n + 1]``, each with its head node, cost in seconds and segment."""

    indptr: IntArray
    head: IntArray
    cost: FloatArray
    segment: IntArray
    #: Whether the arc runs along its segment (tail = the segment's ``u``).
    along: NDArray[np.bool_]
    #: The arc over the same segment the other way, -1 where the mode has none.
    twin: IntArray
    #: Width in seconds of the time windows :func:`corridor.reach.settle` relaxes at once.
    window_s: float


@dataclass(frozen=True)
class RoadGraph:
    """The graph of one version of a road-network layer.

    ``lonlat`` and ``xy`` (EPSG:4549 metres) hold the nodes in a fixed order (sorted by
    rounded lon, then lat, so every engine numbers them alike); segment ``k`` joins nodes
    ``u[k]`` and ``v[k]`` (in line direction) over ``length[k]`` metres; ``cost[mode]``
    are its (along, against) costs in seconds, ``inf`` where the mode may not pass.
    """

    lonlat: FloatArray
    xy: FloatArray
    u: IntArray
    v: IntArray
    length: FloatArray
    cost: dict[str, tuple[FloatArray, FloatArray]]
    arcs: dict[str, Arcs]
    #: The nodes as points in metres, for the node nearest an origin.
    tree: shapely.STRtree
    #: Points along every segment, for the area a reach covers.
    samples: Samples

    @property
    def nodes(self) -> int:
        return len(self.lonlat)

    @property
    def segments(self) -> int:
        return len(self.u)

    @property
    def nbytes(self) -> int:
        """Bytes held in the graph's arrays, and about 100 per node for its STRtree (what a
        bounded cache of graphs counts)."""
        return _array_bytes(vars(self)) + 100 * self.nodes


def _array_bytes(value: object) -> int:
    """Bytes of the numpy arrays in ``value``: an array, a mapping, a sequence or a
    dataclass of them (other values count 0)."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, Mapping):
        return sum(_array_bytes(v) for v in value.values())
    if isinstance(value, (tuple, list)):
        return sum(_array_bytes(v) for v in value)
    if hasattr(value, "__dataclass_fields__"):
        return sum(_array_bytes(getattr(value, f)) for f in value.__dataclass_fields__)
    return 0


def _lines(geometry: shapely.Geometry | None) -> list[FloatArray]:
    if geometry is None or geometry.is_empty:
        return []
    parts = shapely.get_parts(geometry) if geometry.geom_type == "MultiLineString" else [geometry]
    return [shapely.get_coordinates(p) for p in parts if p.geom_type == "LineString"]


def build_graph(features: Iterable[tuple[shapely.Geometry | None, Mapping[str, Any]]]) -> RoadGraph:
    """The graph of ``(geometry, properties)`` pairs of a network layer (see the module
    docstring); features that are not lines are left out."""
    coords: list[FloatArray] = []
    seg_props: list[tuple[dict[str, float | None], int]] = []
    per_line: list[int] = []
    for geometry, props in features:
        speeds = edge_speeds(props)
        for line in _lines(geometry):
            if len(line) < 2:
                continue
            coords.append(line[:, :2])
            per_line.append(len(line) - 1)
            seg_props.append(speeds)
    if not coords:
        empty_i, empty_f = np.zeros(0, np.int64), np.zeros(0)
        arcs = {m: _csr(0, empty_i, empty_i, empty_f, empty_f) for m in MODES}
        return RoadGraph(np.zeros((0, 2)), np.zeros((0, 2)), empty_i, empty_i, empty_f,
                         {m: (empty_f, empty_f) for m in MODES}, arcs, shapely.STRtree([]),
                         segment_samples(empty_f, empty_f, empty_f, empty_f))
    allc = np.concatenate(coords)
    keys = np.round(allc * 10**NODE_DIGITS).astype(np.int64)
    uniq, node_of = np.unique(keys, axis=0, return_inverse=True)
    node_of = node_of.ravel()
    lonlat = uniq.astype(float) / 10**NODE_DIGITS
    x, y = to_metric(lonlat[:, 0], lonlat[:, 1])
    xy = np.column_stack([x, y])
    starts = np.cumsum([0] + [n + 1 for n in per_line[:-1]])
    tails = np.concatenate([np.arange(s, s + n) for s, n in zip(starts, per_line)])
    u, v = node_of[tails], node_of[tails + 1]
    keep = u != v  # a repeated vertex is no segment
    line_of = np.repeat(np.arange(len(per_line)), per_line)[keep]
    u, v = u[keep], v[keep]
    length = np.hypot(*(xy[v] - xy[u]).T)
    cost: dict[str, tuple[FloatArray, FloatArray]] = {}
    for mode in MODES:
        kmh = np.array([np.nan if s[mode] is None else s[mode] for s, _ in seg_props])[line_of]
        direction = np.array([d for _, d in seg_props])[line_of]
        secs = np.where(np.isnan(kmh), np.inf, length / (np.nan_to_num(kmh, nan=1.0) / 3.6))
        along, against = secs.copy(), secs.copy()
        if mode == "drive":
            along[direction == -1] = np.inf
            against[direction == 1] = np.inf
        cost[mode] = (along, against)
    arcs = {m: _csr(len(lonlat), u, v, *cost[m]) for m in MODES}
    samples = segment_samples(xy[u, 0], xy[u, 1], xy[v, 0], xy[v, 1])
    return RoadGraph(lonlat, xy, u, v, length, cost, arcs, shapely.STRtree(shapely.points(xy)),
                     samples)


def _csr(n: int, u: IntArray, v: IntArray, along: FloatArray, against: FloatArray) -> Arcs:
    fwd, bwd = np.isfinite(along), np.isfinite(against)
    tail = np.concatenate([u[fwd], v[bwd]])
    head = np.concatenate([v[fwd], u[bwd]])
    cost = np.concatenate([along[fwd], against[bwd]])
    seg = np.concatenate([np.flatnonzero(fwd), np.flatnonzero(bwd)])
    is_along = np.concatenate([np.ones(int(fwd.sum()), bool), np.zeros(int(bwd.sum()), bool)])
    order = np.argsort(tail, kind="stable")
    indptr = np.searchsorted(tail[order], np.arange(n + 1)).astype(np.int64)
    head, cost, seg, is_along = head[order], cost[order], seg[order], is_along[order]
    arc_of = np.full((2, len(u)), -1, dtype=np.int64)  # [along?, segment] -> arc
    arc_of[is_along.astype(np.int64), seg] = np.arange(len(seg))
    twin = arc_of[(~is_along).astype(np.int64), seg]
    # a few arcs' worth of seconds: wide enough that each window's numpy calls relax many
    # arcs, narrow enough that few arcs are relaxed again once a shorter way is found
    window = max(4.0 * float(np.median(cost)), 30.0) if len(cost) else 30.0
    return Arcs(indptr, head, cost, seg, is_along, twin, window)
