"""Site match: every park ranked against an investor's criteria, with a breakdown to check.

Over any :class:`~corridor.store.FeatureStore`, through its contract only: the parks are the
features of the collection with the ``parks`` role, research nearby is
:meth:`~corridor.store.FeatureStore.within_each` (shortest WGS84 geodesic from the park's
boundary, 0 inside it), a user layer is counted per park by :mod:`corridor.stats`.

The criteria (:class:`Criteria`) and the points each gives (:class:`Weights`, defaults in
brackets):

- **industry** terms of the one vocabulary (:mod:`corridor.industry`: Chinese or English,
  with the synonyms of its groups): ``weights.industry`` points [10] for each term the park's
  industries name (:func:`corridor.industry.term_matches`);
- **research**: the ``nearby`` collections chosen (default all of them) within ``km``
  [:data:`DEFAULT_KM`] of the park: ``weights.research`` points [1] per feature;
- **layer** (optional): ``weights.layer`` points [1] per feature of that collection in the
  park (:mod:`corridor.stats`: the feature's geometry meets the park, boundary included);
- **area**: ``weights.area`` points [0, so it counts only when asked] per km² of the park's
  geodesic area.

The ranking (:data:`TIE_RULE`): parks naming at least one of the terms first (all parks when
no term is asked), then higher score, then more terms matched, then more research nearby,
then the order of the parks collection. A park whose location is not published gets no
research, layer or area points and says so (``placed`` False, counts None), rather than
being measured from nowhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import shapely

from corridor import checks
from corridor.errors import InvalidParameter
from corridor.geodesic import GEOD
from corridor.industry import SYNONYMS, expand, term_matches
from corridor.model import Feature
from corridor.stats import layer_statistics, zone_collection
from corridor.store.base import FeatureStore
from corridor.textmatch import normalize

#: Research within this many km of a park's boundary counts when ``km`` is not given.
DEFAULT_KM = 10.0
#: The largest weight accepted (points per term, feature or km²).
MAX_WEIGHT = 1000.0
#: How parks are ordered, in words (the API echoes it).
TIE_RULE = ("parks naming an asked industry first (every park when none is asked); then higher "
            "score; then more industry terms matched; then more research nearby; then the order "
            "of the parks collection")
#: Most industry terms one match takes.
MAX_TERMS = 20


@dataclass(frozen=True)
class Weights:
    """Points per criterion unit (see the module docstring for the defaults)."""

    #: Per industry term the park names.
    industry: float = 10.0
    #: Per research feature within ``km`` of the park.
    research: float = 1.0
    #: Per feature of the user layer in the park.
    layer: float = 1.0
    #: Per km² of the park's area.
    area: float = 0.0


#: The weights' names, in the order the API and the reports list them.
WEIGHT_NAMES = ("industry", "research", "layer", "area")


@dataclass(frozen=True)
class Criteria:
    """What an investor asks for (checked by :func:`criteria`)."""

    industry: tuple[str, ...] = ()
    #: Ids of ``nearby`` collections to count.
    research: tuple[str, ...] = ()
    km: float = DEFAULT_KM
    layer: str | None = None
    weights: Weights = field(default_factory=Weights)


@dataclass(frozen=True)
class Near:
    """One research feature counted near a park."""

    collection: str
    id: str
    name_zh: str
    name_en: str
    distance_km: float
    geometry: shapely.Geometry | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Reason:
    """The points one criterion gave one park, and what they were counted from.

    ``criterion`` is industry (one reason per asked term: ``term`` and the park's own
    industries it ``matched``, as (zh, en) pairs), research (one per collection: ``count`` and the ``near``
    features), layer (``collection``, ``count``) or area (``km2``). ``count`` and ``km2`` are
    None for a park whose location is not published.
    """

    criterion: str
    points: float
    term: str | None = None
    matched: tuple[tuple[str, str], ...] = ()
    collection: str | None = None
    count: int | None = None
    near: tuple[Near, ...] = ()
    km2: float | None = None


@dataclass(frozen=True)
class ParkMatch:
    """One park in the ranking."""

    park: Feature
    rank: int
    score: float
    #: Whether the park names at least one asked term (True when none is asked).
    matched: bool
    #: False when the park's location is not published (no distances, counts or area).
    placed: bool
    reasons: tuple[Reason, ...]

    def reasons_of(self, criterion: str) -> list[Reason]:
        return [r for r in self.reasons if r.criterion == criterion]

    @property
    def terms_matched(self) -> int:
        return sum(bool(r.matched) for r in self.reasons_of("industry"))

    @property
    def research_count(self) -> int:
        return sum(r.count or 0 for r in self.reasons_of("research"))


def layer_choices(store: FeatureStore) -> list[str]:
    """Collections a match can count per park: all but the basemaps and the parks."""
    parks = set(store.collection_ids("parks"))
    return [m.id for m in store.collections() if not m.has_role("basemap") and m.id not in parks]


def known_term(store: FeatureStore, term: str) -> bool:
    """Whether ``term`` is in the vocabulary: a member of a synonym group of
    :mod:`corridor.industry`, or found among the parks' industries."""
    t = normalize(term)
    if any(t in (normalize(m) for m in group) for group in SYNONYMS):
        return True
    terms = expand(t)
    return any(term_matches(terms, [*(p.get("industries_zh") or []), *(p.get("industries_en") or [])])
               for p in store.features(zone_collection(store, "park")))


def weight(value: object, name: str) -> float:
    """A weight: a number from 0 to :data:`MAX_WEIGHT`.

    Raises
    ------
    InvalidParameter
        Naming the value and the range.
    """
    v = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if isinstance(value, str):
        try:
            v = float(value.strip())
        except ValueError:
            v = None
    if v is None or not math.isfinite(v) or not 0 <= v <= MAX_WEIGHT:
        raise InvalidParameter(f"weight {name}={checks.shown(value)} is not valid; expected a "
                               f"number from 0 to {MAX_WEIGHT:g}")
    return float(v)


def criteria(store: FeatureStore, industry: Sequence[str] = (), research: Sequence[str] | None = None,
             km: object = DEFAULT_KM, layer: str | None = None,
             weights: dict[str, object] | None = None) -> Criteria:
    """Checked :class:`Criteria`: ``research=None`` means every ``nearby`` collection.

    Raises
    ------
    InvalidParameter
        Naming the first bad value (a term outside the vocabulary, a collection that is not a
        research collection, a bad distance, layer or weight) and what is expected.
    """
    if len(industry) > MAX_TERMS:
        raise InvalidParameter(f"industry has {len(industry)} terms; expected at most {MAX_TERMS}")
    terms: list[str] = []
    for raw in industry:
        term = checks.text(raw, "industry")
        if not known_term(store, term):
            raise InvalidParameter(
                f"industry {checks.shown(term)} is not in the industry vocabulary; expected a "
                "term the parks name or a synonym of one, in Chinese or English, e.g. 半导体, "
                "semiconductor, 海洋生物医药, marine biomedicine")
        if term not in terms:
            terms.append(term)
    nearby = store.collection_ids("nearby")
    chosen = list(nearby) if research is None else list(research)
    for cid in chosen:
        if cid not in nearby:
            raise InvalidParameter(f"research {checks.shown(cid)} is not a research collection; "
                                   f"expected some of {', '.join(nearby)}")
    if layer is not None and layer not in layer_choices(store):
        raise InvalidParameter(f"layer {checks.shown(layer)} is not a layer parks can be counted "
                               f"by; expected one of {', '.join(layer_choices(store)) or '(none)'}")
    given = dict(weights or {})
    for name in given:
        if name not in WEIGHT_NAMES:
            raise InvalidParameter(f"weight {checks.shown(name)} is not a criterion; expected "
                                   f"some of {', '.join(WEIGHT_NAMES)}")
    w = Weights(**{n: weight(v, n) for n, v in given.items()})
    return Criteria(tuple(terms), tuple(c for c in nearby if c in chosen),
                    checks.km(km, "km"), layer, w)


def park_area_km2(geom: object) -> float:
    """Geodesic area of a (multi)polygon on the WGS84 ellipsoid, in km²."""
    area, _ = GEOD.geometry_area_perimeter(geom)
    return abs(area) / 1e6


def _points(value: float) -> float:
    return round(value, 6)


def _industry_reasons(park: Feature, c: Criteria) -> list[Reason]:
    names = list(zip(park.get("industries_zh") or [], park.get("industries_en") or [], strict=False))
    out = []
    for term in c.industry:
        terms = expand(term)
        matched = tuple((zh, en) for zh, en in names if term_matches(terms, [zh, en]))
        out.append(Reason("industry", _points(c.weights.industry if matched else 0.0),
                          term=term, matched=matched))
    return out


def _research_reasons(store: FeatureStore, park: Feature, c: Criteria) -> list[Reason]:
    if park.geometry is None:
        return [Reason("research", 0.0, collection=cid) for cid in c.research]
    found = store.within_each(c.research, park.geometry, c.km * 1000.0)
    out = []
    for cid in c.research:
        near = tuple(Near(cid, f.id, str(f.get("name_zh", f.id)), str(f.get("name_en", f.id)),
                          d / 1000.0, f.geometry)
                     for f, d in sorted(found.get(cid, []), key=lambda p: (p[1], p[0].id)))
        out.append(Reason("research", _points(c.weights.research * len(near)), collection=cid,
                          count=len(near), near=near))
    return out


def match(store: FeatureStore, c: Criteria) -> list[ParkMatch]:
    """Every park of ``store`` scored on ``c`` and ranked (see the module docstring).

    Raises
    ------
    NotFound
        If the store has no parks collection.
    """
    parks = store.features(zone_collection(store, "park"))
    layer_counts = layer_statistics(store, c.layer, "park") if c.layer else None
    scored = []
    for order, park in enumerate(parks):
        reasons = _industry_reasons(park, c) + _research_reasons(store, park, c)
        placed = park.geometry is not None
        if layer_counts is not None:
            n = layer_counts.count_of(park.id) if placed else None
            reasons.append(Reason("layer", _points(c.weights.layer * (n or 0)), collection=c.layer,
                                  count=n))
        km2 = park_area_km2(park.geometry) if placed else None
        reasons.append(Reason("area", _points(c.weights.area * (km2 or 0.0)),
                              km2=None if km2 is None else round(km2, 3)))
        m = ParkMatch(park, 0, _points(sum(r.points for r in reasons)),
                      not c.industry or any(r.matched for r in reasons), placed, tuple(reasons))
        scored.append((not m.matched, -m.score, -m.terms_matched, -m.research_count, order, m))
    scored.sort(key=lambda t: t[:5])
    return [ParkMatch(m.park, i, m.score, m.matched, m.placed, m.reasons)
            for i, (*_, m) in enumerate(scored, start=1)]
