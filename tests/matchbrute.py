"""Brute-force expectations for the site match, built from the data files alone (read with
geopandas by :class:`datafiles.FileCatalog`) and geographiclib: no corridor code."""

from __future__ import annotations

import shapely
from datafiles import geodesic_m
from geographiclib.geodesic import Geodesic

from corridor.industry import SYNONYMS

#: Research features this close (m) to the km line are not used to decide in or out: the
#: brute-force outline is sampled every ~50 m.
AMBIGUOUS_M = 60.0


def unique_terms(catalog) -> list[tuple[str, str]]:
    """(term, park id) for each raw industry name (zh or en) that exactly one park's
    industries contain and that no synonym group of the vocabulary lists."""
    parks = catalog.collection("parks").gdf
    members = {m.casefold() for group in SYNONYMS for m in group}
    out = []
    for pid, row in parks.iterrows():
        for name in (*row["industries_zh"], *row["industries_en"]):
            if name.casefold() in members:
                continue
            having = [p for p, r in parks.iterrows()
                      if any(name.casefold() in n.casefold()
                             for n in (*r["industries_zh"], *r["industries_en"]))]
            if having == [pid]:
                out.append((name, pid))
    return out


def area_km2(geom) -> float:
    """Geodesic area with geographiclib's polygon routine (holes subtracted)."""
    total = 0.0
    for poly in shapely.get_parts(geom):
        for i, ring in enumerate([poly.exterior, *poly.interiors]):
            p = Geodesic.WGS84.Polygon()
            for x, y in list(ring.coords)[:-1]:
                p.AddPoint(y, x)
            total += abs(p.Compute()[2]) * (-1 if i else 1)
    return total / 1e6


def research_near(catalog, park_id: str, cid: str, km: float) -> tuple[set[str], set[str], dict[str, float]]:
    """(surely within, surely beyond, distance in m of every placed feature) of research
    collection ``cid`` around park ``park_id``, by geodesics to the park's outline."""
    geom = catalog.collection("parks").gdf.loc[park_id].geometry
    pts = catalog.collection(cid).gdf.geometry
    dist = {fid: geodesic_m(p.x, p.y, geom) for fid, p in pts.items() if p is not None}
    sure_in = {f for f, d in dist.items() if d <= km * 1000 - AMBIGUOUS_M}
    sure_out = {f for f, d in dist.items() if d > km * 1000 + AMBIGUOUS_M}
    return sure_in, sure_out, dist
