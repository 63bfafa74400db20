"""SYNTHETIC road networks for the reach tests, built in metres (EPSG:4549) and given to the
store as lon/lat lines, with an independent brute-force answer: a plain O(n²) Dijkstra over
the test's own list of edges (no heap, no CSR, nothing from corridor.roads or
corridor.reach), and travel times to points by sampling every reached edge metre by metre.

Every network here is invented; none is a real street."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

TO_M = Transformer.from_crs("EPSG:4326", "EPSG:4549", always_xy=True)
TO_LL = Transformer.from_crs("EPSG:4549", "EPSG:4326", always_xy=True)
#: The SYNTHETIC networks' south-west corner: Laoshan district, on land.
CORNER = TO_M.transform(120.45, 36.12)
WALK_KMH, CYCLE_KMH, DRIVE_KMH = 5.0, 15.0, 30.0
BUFFER_M = 100.0  # the walk-off buffer the docs state


def lonlat(x: float, y: float) -> tuple[float, float]:
    lon, lat = TO_LL.transform(x, y)
    return float(lon), float(lat)


@dataclass
class Net:
    """A SYNTHETIC network: nodes by name -> (x, y) metres, and edges (a, b, props)."""

    nodes: dict[str, tuple[float, float]] = field(default_factory=dict)
    edges: list[tuple[str, str, dict]] = field(default_factory=list)

    def node(self, name: str, x: float, y: float) -> None:
        self.nodes[name] = (CORNER[0] + x, CORNER[1] + y)

    def edge(self, a: str, b: str, **props) -> None:
        self.edges.append((a, b, props))

    def frame(self) -> gpd.GeoDataFrame:
        """The layer: one two-point LineString per edge, its properties as columns."""
        cols = sorted({k for _, _, p in self.edges for k in p})
        rows = {c: [p.get(c) for _, _, p in self.edges] for c in cols}
        geoms = [shapely.LineString([lonlat(*self.nodes[a]), lonlat(*self.nodes[b])])
                 for a, b, _ in self.edges]
        return gpd.GeoDataFrame({"id": [f"syn-road-{k}" for k in range(len(self.edges))], **rows},
                                geometry=geoms, crs="EPSG:4326")

    def speed(self, props: dict, mode: str) -> float:
        """km/h of ``mode`` on an edge, by the rules docs/reach.md states (only those the
        SYNTHETIC networks use: speed_kmh, footway closed to cars)."""
        own = props.get("speed_kmh")
        if mode == "drive":
            if props.get("highway") == "footway":
                return 0.0
            return own if own else DRIVE_KMH
        base = WALK_KMH if mode == "walk" else CYCLE_KMH
        return min(base, own) if own else base

    def arcs(self, mode: str) -> list[tuple[str, str, float, float]]:
        """Directed arcs (tail, head, seconds, metres) of ``mode``."""
        out = []
        for a, b, p in self.edges:
            v = self.speed(p, mode)
            if v <= 0:
                continue
            metres = math.dist(self.nodes[a], self.nodes[b])
            secs = metres / (v / 3.6)
            one = p.get("oneway") if mode == "drive" else None
            if one != "-1":
                out.append((a, b, secs, metres))
            if one not in ("yes",):
                out.append((b, a, secs, metres))
        return out

    def brute(self, origin_xy: tuple[float, float], mode: str) -> tuple[dict[str, float], str, float]:
        """Travel times in seconds from ``origin_xy`` to every node (inf: unreachable), the
        node the walk-off enters at, and the walk-off time."""
        start = min(self.nodes, key=lambda n: (math.dist(self.nodes[n], origin_xy), n))
        t0 = math.dist(self.nodes[start], origin_xy) / (WALK_KMH / 3.6)
        best = {n: math.inf for n in self.nodes}
        best[start] = t0
        done: set[str] = set()
        arcs = self.arcs(mode)
        while True:
            todo = [n for n in self.nodes if n not in done and best[n] < math.inf]
            if not todo:
                break
            x = min(todo, key=lambda n: best[n])
            done.add(x)
            for a, b, secs, _ in arcs:
                if a == x and best[x] + secs < best[b]:
                    best[b] = best[x] + secs
        return best, start, t0

    def time_to(self, p: tuple[float, float], origin_xy: tuple[float, float], mode: str,
                limit: float) -> float:
        """Brute-force travel time to point ``p``: over every reached metre of every arc
        (and of the walk-off), the time there plus the walk to ``p`` if it is within the
        buffer."""
        best, start, t0 = self.brute(origin_xy, mode)
        walk = WALK_KMH / 3.6
        pieces = [(origin_xy, self.nodes[start], 0.0, t0)]
        pieces += [(self.nodes[a], self.nodes[b], best[a], secs)
                   for a, b, secs, _ in self.arcs(mode) if best[a] <= limit]
        out = math.inf
        for (ax, ay), (bx, by), ta, secs in pieces:
            metres = math.hypot(bx - ax, by - ay)
            steps = max(1, int(metres))
            for k in range(steps + 1):
                f = k / steps
                t = ta + secs * f
                if t > limit:
                    break
                d = math.hypot(p[0] - (ax + (bx - ax) * f), p[1] - (ay + (by - ay) * f))
                if d <= BUFFER_M:
                    out = min(out, t + d / walk)
        return out


def grid_with_oneway_and_island() -> Net:
    """SYNTHETIC: a 6 x 6 grid, 300 m apart; east-west streets at 30 km/h, north-south ones
    at 12 km/h (speed_kmh); the street of row 2 one-way eastbound; one footway; and a
    disconnected 2 x 2 island 3 km east."""
    net = Net()
    for i in range(6):
        for j in range(6):
            net.node(f"g{i}{j}", 300.0 * j, 300.0 * i)
    for i in range(6):
        for j in range(5):
            props = {"speed_kmh": 30.0}
            if i == 2:
                props["oneway"] = "yes"
            net.edge(f"g{i}{j}", f"g{i}{j + 1}", **props)
    for i in range(5):
        for j in range(6):
            props = {"speed_kmh": 12.0}
            if (i, j) == (4, 5):
                props = {"highway": "footway"}
            net.edge(f"g{i}{j}", f"g{i + 1}{j}", **props)
    for i in range(2):
        for j in range(2):
            net.node(f"island{i}{j}", 4500.0 + 300.0 * j, 300.0 * i)
    net.edge("island00", "island01", speed_kmh=30.0)
    net.edge("island10", "island11", speed_kmh=30.0)
    net.edge("island00", "island10", speed_kmh=30.0)
    return net


def points_frame(points: dict[str, tuple[float, float]]) -> gpd.GeoDataFrame:
    """A SYNTHETIC point layer (metres from the corner)."""
    ids = list(points)
    geoms = [shapely.Point(lonlat(CORNER[0] + x, CORNER[1] + y)) for x, y in points.values()]
    return gpd.GeoDataFrame({"id": ids, "name_en": [f"SYNTHETIC {i}" for i in ids]},
                            geometry=geoms, crs="EPSG:4326")


def node_point(net: Net, name: str) -> shapely.Point:
    return shapely.Point(lonlat(*net.nodes[name]))


def in_area(area: shapely.Geometry, point: shapely.Point) -> bool:
    return bool(area.covers(point))


def as_array(values) -> np.ndarray:
    return np.asarray(list(values), dtype=float)
