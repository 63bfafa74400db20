"""Plain typed values the domain passes around: collection metadata, features, hits, the
items query and its page, and the plan's indicators. No storage, no I/O."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import shapely

from corridor.timeline import Interval

#: Roles a collection can play (``roles`` in ``collections.toml``):
#:
#: ``basemap``  reference geometry: left out of default queries, need not quote the plan;
#: ``at``       its polygons answer "what is here";
#: ``near``     asked about by the map's "within N km" query;
#: ``parks``    the collection the park profiles and comparison describe (one at most);
#: ``nearby``   listed on a park profile as what lies near the park;
#: ``frame``    the map opens on the extent of these collections;
#: ``labelled`` its feature names are written on the map;
#: ``districts`` the administrative districts a layer's statistics count per (one at most);
#: ``campuses`` the university campuses a layer's statistics count near (one at most).
ROLES = frozenset({"basemap", "at", "near", "parks", "nearby", "frame", "labelled", "districts",
                   "campuses"})
#: Group of the collections users bring (imports, uploads): the layers park profiles count.
USER_GROUP = "user"

Extent = tuple[float, float, float, float]


@dataclass(frozen=True)
class CollectionMeta:
    """What a store knows about one collection besides its features."""

    id: str
    group: str
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    geometry_types: tuple[str, ...]
    roles: frozenset[str] = frozenset()
    #: Number of features.
    count: int = 0
    #: (minx, miny, maxx, maxy) in lon/lat; None for an empty collection.
    extent: Extent | None = None
    #: Changes exactly when the collection's features change (caches and ETags key on it).
    version: str = ""
    #: Whether features can be created, replaced and deleted (user layers; the bundled
    #: catalog never is).
    editable: bool = False
    #: Id of the plan indicator (``indicators.json``) this layer counts, e.g. the
    #: high-tech enterprises; None for a layer not tagged with one.
    indicator: str | None = None
    #: Whether it is a road network (a user layer of lines only,
    #: :func:`corridor.roads.is_network`): :meth:`~corridor.store.FeatureStore.reach`
    #: answers travel times over it.
    network: bool = False

    def title(self, lang: str = "en") -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def description(self, lang: str = "en") -> str:
        return self.description_zh if lang == "zh" else self.description_en

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def points_only(self) -> bool:
        return set(self.geometry_types) <= {"Point", "MultiPoint"}

    @property
    def polygonal(self) -> bool:
        """Whether the collection holds no points at all."""
        return not set(self.geometry_types) & {"Point", "MultiPoint"}


@dataclass(frozen=True, eq=False)
class Feature:
    """One feature: its properties, its WGS84 lon/lat geometry, and its GeoJSON text.

    ``json`` is the complete GeoJSON Feature in CRS84, serialised once by the store, laid
    out as ``{"type":"Feature","id":...,"geometry":...,"properties":{...}}`` so a response
    can splice extra properties in before its last two braces.
    """

    collection: str
    id: str
    properties: Mapping[str, Any] = field(repr=False)
    #: None when the feature's location is not published (``position_basis = "unplaced"``).
    geometry: shapely.Geometry | None = field(repr=False)
    json: bytes = field(repr=False, default=b"")

    @property
    def placed(self) -> bool:
        """Whether the feature has a position (False: listed, location not published)."""
        return self.geometry is not None

    def get(self, name: str, default: Any = None) -> Any:
        return self.properties.get(name, default)

    def name(self, lang: str) -> str:
        return str(self.properties.get("name_zh" if lang == "zh" else "name_en", self.id))


@dataclass(frozen=True)
class Hit:
    """One feature found by a query, with its geodesic distance, its name-match score or
    its travel time in seconds (a reach)."""

    feature: Feature
    distance_km: float | None = None
    score: float | None = None
    travel_s: float | None = None

    @property
    def collection(self) -> str:
        return self.feature.collection

    @property
    def id(self) -> str:
        return self.feature.id


@dataclass
class ItemsQuery:
    """An items request, validated and in WGS84 lon/lat.

    Every criterion given must hold. With ``near`` the matches are ordered by geodesic
    distance (then data order) and carry it; otherwise they come in data order.
    """

    limit: int = 10
    offset: int = 0
    bbox: Extent | None = None
    #: Equality on queryable properties (values already of the property's type).
    equals: dict[str, Any] = field(default_factory=dict)
    #: Name search text (matching features keep data order in an items query).
    q: str | None = None
    industry: str | None = None
    #: Origin geometry of a distance restriction, and the distance in metres.
    near: shapely.Geometry | None = None
    near_m: float | None = None
    #: Feature id of the origin when it is a feature of the queried collection (never
    #: reported as its own neighbour).
    near_id: str | None = None
    #: A checked CQL2 AST (pygeofilter) and the function taking its geometry literals to
    #: WGS84 lon/lat (None when they already are).
    filter: Any = None
    filter_to_wgs84: Callable[[shapely.Geometry], shapely.Geometry] | None = None
    #: Temporal criterion (``datetime``): the requested OGC interval
    #: (:class:`corridor.timeline.Interval`), matched against each feature's own
    #: ``interval`` as :func:`corridor.timeline.matches` says; None when none was asked.
    when: Interval | None = None

    @property
    def asks_time(self) -> bool:
        """Whether a temporal criterion (``datetime``) is given."""
        return self.when is not None

    @property
    def asks_attributes(self) -> bool:
        """Whether a criterion on the features' attributes is given (equality, name,
        industry, time or a CQL2 filter), as opposed to only ``bbox`` and ``near``."""
        return bool(self.equals or self.q is not None or self.industry is not None
                    or self.asks_time or self.filter is not None)


@dataclass(frozen=True)
class ItemsPage:
    """One page of an items query."""

    matched: int
    features: list[Feature]
    #: Geodesic distance in km of each feature on the page (only with ``near``).
    distances_km: list[float] | None = None


@dataclass(frozen=True)
class VectorTile:
    """An encoded tile and what went into it.

    ``data`` is empty when no feature was encoded. ``candidates`` counts the features the
    store found in the buffered tile: when it is 0, no deeper tile under this one holds
    anything either (a deeper tile's buffered box lies inside this one's). A store that
    encodes in its database (PostGIS: ``ST_AsMVT``) does not say how many features it
    encoded or found: then ``features`` and ``candidates`` are -1, except that an empty
    tile's candidates are counted.
    """

    data: bytes
    features: int
    candidates: int
    thinned: bool


@dataclass(frozen=True)
class Indicator:
    """One of the plan's seven main indicators (一(三) table)."""

    id: str
    number: int
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    baseline: float | None
    baseline_text: str
    baseline_year: int
    target: float
    target_text: str
    attribute_zh: str
    plan_ref: str
    plan_text: str
    #: The same in English: the attribute (预期性 = "expected"), the section reference and
    #: the value texts where the plan's words are not plain numbers ("11.2左右").
    attribute_en: str = ""
    plan_ref_en: str = ""
    baseline_text_en: str = ""
    target_text_en: str = ""

    def attribute(self, lang: str) -> str:
        return self.attribute_zh if lang == "zh" else self.attribute_en

    def section(self, lang: str) -> str:
        return self.plan_ref if lang == "zh" else self.plan_ref_en

    def baseline_label(self, lang: str) -> str:
        """The baseline as the plan prints it (Chinese) or its English text."""
        return self.baseline_text if lang == "zh" else (self.baseline_text_en or self.baseline_text)

    def target_label(self, lang: str) -> str:
        return self.target_text if lang == "zh" else (self.target_text_en or self.target_text)


@dataclass(frozen=True)
class NewLayer:
    """A user layer ready to be stored whole (an import or an upload), already validated.

    ``frame`` is a GeoDataFrame in WGS84 lon/lat: an ``id`` column of unique non-empty
    strings, scalar property columns (str, int, float, bool; missing values allowed) and one
    non-missing geometry per row. It is typed ``Any`` so this module needs no geopandas.
    """

    id: str
    frame: Any
    title_zh: str = ""
    title_en: str = ""
    description_zh: str = ""
    description_en: str = ""
    #: Plan indicator the layer counts (see :attr:`CollectionMeta.indicator`).
    indicator: str | None = None
    #: Where it came from, for the record: file name, format, declared coordinate system.
    source: str = ""
