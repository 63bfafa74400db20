"""The one tile matrix set every tile path uses: OGC's WebMercatorQuad, from morecantile.

The API's ``/tileMatrixSets``, the in-process engine's tile encoder, the PostGIS engine's
``ST_TileEnvelope`` cells and the benchmarks all take tile bounds and indices from here, so
there is one definition of what tile z/x/y covers.
"""

from __future__ import annotations

import morecantile

#: OGC WebMercatorQuad (EPSG:3857, 256-pixel tiles, zooms 0-24).
TMS: morecantile.TileMatrixSet = morecantile.tms.get("WebMercatorQuad")
TMS_ID = "WebMercatorQuad"
