"""The vector tile query of the PostGIS store: ``ST_AsMVT`` over the points a tile keeps,
read from the cell pyramid (:mod:`corridor.store.pgcells`), or over every feature of the
tile when it is not thinned."""

from __future__ import annotations

from typing import Any

from corridor import tiles
from corridor.model import CollectionMeta
from corridor.store import pgcells

#: One tile of a collection: parameters from :func:`tile_params`.
TILE_SQL = """
WITH kept AS MATERIALIZED (
    SELECT f.pos, f.fid, f.geom, f.properties, coalesce(f.kn[%(z)s - f.kz + 1], 1) AS n
    FROM unnest(%(lo)s::bigint[], %(hi)s::bigint[]) AS r(lo, hi)
    CROSS JOIN LATERAL (
        SELECT pos, fid, geom, properties, kz, kn FROM corridor_features
        WHERE collection = %(c)s AND kz = ANY(%(zs)s::smallint[]) AND mkey BETWEEN r.lo AND r.hi
        OFFSET 0) AS f),
thin AS MATERIALIZED (SELECT coalesce(sum(n), 0) > %(thin)s AS yes FROM kept),
shown AS (
    SELECT pos, fid, geom, properties, n FROM kept WHERE (SELECT yes FROM thin)
    UNION ALL
    SELECT pos, fid, geom, properties, NULL FROM corridor_features
    WHERE collection = %(c)s
      AND ST_Intersects(geom, ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326))
      AND (NOT (SELECT yes FROM thin) OR (NOT %(points)s AND GeometryType(geom) <> 'POINT')))
SELECT ST_AsMVT(m, %(c)s, %(extent)s, 'geom') FROM (
    SELECT ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s),
                        %(extent)s, %(buffer)s, true) AS geom,
           fid AS id,
           CASE WHEN jsonb_typeof(properties->'name_zh') = 'string'
                THEN NULLIF(properties->>'name_zh', '') END AS name_zh,
           CASE WHEN jsonb_typeof(properties->'name_en') = 'string'
                THEN NULLIF(properties->>'name_en', '') END AS name_en,
           n
    FROM shown ORDER BY pos) m
WHERE m.geom IS NOT NULL
"""



def tile_params(meta: CollectionMeta, index: tiles.TileIndex) -> dict[str, Any]:
    """The parameters of :data:`TILE_SQL` for tile ``index`` of collection ``meta``."""
    z, x, y = index.z, index.x, index.y
    west, south, east, north = tiles.lonlat_box(index)
    lo, hi = pgcells.tile_ranges(z, x, y)
    return {"c": meta.id, "z": z, "x": x, "y": y, "w": west, "s": south, "e": east,
            "n": north, "lo": lo, "hi": hi, "zs": list(range(z + 1)), "thin": tiles.THIN_ABOVE,
            "extent": tiles.EXTENT, "buffer": tiles.BUFFER,
            # a point layer's thinned tile holds nothing but the kept points
            "points": meta.geometry_types == ("Point",)}
