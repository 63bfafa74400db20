"""Relations the data states that its geometry must keep (checked by ``corridor validate``).

Two kinds of statement tie a feature's position to another geometry:

* ``district_zh``: the district(s) a feature is in. A placed feature must lie within its
  ``accuracy_m`` (plus the district boundary's own ``accuracy_m``) of the district polygon
  with one of those names.
* ``relies_on`` / ``in_park``: what the plan ties to a park. A park lists the features the
  plan says it relies on (``relies_on = [ids]``, e.g. 青岛高科技工业园 "依托国际创新园、
  ……"), and a feature the plan places in a park names it (``in_park = "<park id>"``). Each
  comes with the plan's words (``relies_on_quote`` / ``in_park_quote``), which must occur in
  the plan. Both must lie within the sum of their accuracies of each other (a point inside
  the park's polygon is at distance 0). A relation to an unplaced feature cannot be checked
  and is skipped.

All distances are geodesic on WGS84 (:func:`corridor.geodesic.geometry_distance_m`).

Where the evidence really disagrees with a stated relation, the exception is recorded with
its reason beside the data (``relation_exceptions.toml`` in the geodata directory, one
``[[exception]]`` table per relation: ``feature``, ``relation``, ``target``, ``reason``). An
exception whose relation holds, or that names no stated relation, is itself reported, so the
file cannot go stale.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from corridor import evidence as ev
from corridor.geodesic import geometry_distance_m
from corridor.model import Feature
from corridor.store import FeatureStore

#: The file of recorded exceptions, in the geodata directory.
EXCEPTIONS_FILE = "relation_exceptions.toml"
#: Relation kinds: the district a feature names, the features a park relies on, the park a
#: feature is placed in.
DISTRICT, RELIES_ON, IN_PARK = "district_zh", "relies_on", "in_park"
RELATIONS = (DISTRICT, RELIES_ON, IN_PARK)
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class Finding:
    """A stated relation the geometry breaks (or a malformed statement or exception)."""

    collection: str
    feature: str
    relation: str
    target: str
    message: str

    @property
    def key(self) -> tuple[str, str, str]:
        """What an exception names: (feature, relation, target)."""
        return (self.feature, self.relation, self.target)


@dataclass(frozen=True)
class RelationException:
    """A broken relation the evidence explains, with the reason."""

    feature: str
    relation: str
    target: str
    reason: str


def _placed(store: FeatureStore) -> dict[str, tuple[str, Feature]]:
    """Every feature by id, with its collection id."""
    return {f.id: (cid, f) for cid in store.collection_ids() for f in store.features(cid)}


def _accuracy(f: Feature) -> float:
    value = f.get("accuracy_m")
    return float(value) if isinstance(value, (int, float)) else 0.0


def check_districts(store: FeatureStore) -> list[Finding]:
    """Every placed feature with a ``district_zh`` lies within its ``accuracy_m`` (plus the
    district boundary's) of the district polygon of one of the names."""
    districts = {str(f.get("name_zh")): f for cid in store.collection_ids("districts")
                 for f in store.features(cid) if f.geometry is not None}
    out = []
    for cid in store.collection_ids():
        for f in store.features(cid):
            names = ev.district_names(f.get("district_zh"))
            if f.geometry is None or not names:
                continue
            text = str(f.get("district_zh"))
            unknown = [n for n in names if n not in districts]
            if unknown:
                out.append(Finding(cid, f.id, DISTRICT, text, f"names {unknown}, not districts "
                                   f"of this data ({sorted(districts)})"))
                continue
            apart = {n: _apart(f, districts[n]) for n in names}
            if all(gap > allowed for gap, allowed in apart.values()):
                name = min(apart, key=lambda n: apart[n][0])
                nearest = f" (nearest: {name})" if len(names) > 1 else ""
                out.append(Finding(cid, f.id, DISTRICT, text,
                                   f"lies {apart[name][0]:.0f} m outside {text}{nearest}, more "
                                   f"than its accuracy_m {_accuracy(f):g} plus the district "
                                   f"boundary's {_accuracy(districts[name]):g}"))
    return out


def _apart(a: Feature, b: Feature) -> tuple[float, float]:
    """The geodesic distance between two placed features and the sum of their accuracies."""
    assert a.geometry is not None and b.geometry is not None
    return geometry_distance_m(a.geometry, b.geometry), _accuracy(a) + _accuracy(b)


def _stated(store: FeatureStore) -> Iterable[tuple[str, Feature, str, str]]:
    """Every stated park relation: (collection, feature, relation, target id)."""
    for cid in store.collection_ids():
        for f in store.features(cid):
            targets = f.get(RELIES_ON)
            if targets is not None:
                if not isinstance(targets, list):
                    targets = [targets]
                for t in targets:
                    yield cid, f, RELIES_ON, str(t)
            park = f.get(IN_PARK)
            if park is not None:
                yield cid, f, IN_PARK, str(park)


def check_park_relations(store: FeatureStore, plan_text: str | None = None) -> list[Finding]:
    """Every ``relies_on`` / ``in_park`` names a feature of this data (``in_park`` a park),
    quotes the plan (when its text is given), and the two lie within the sum of their
    accuracies of each other."""
    by_id = _placed(store)
    parks = {f.id for cid in store.collection_ids("parks") for f in store.features(cid)}
    plan = _WS.sub("", plan_text) if plan_text is not None else None
    out = []
    for cid, f, relation, target in _stated(store):
        quote = str(f.get(f"{relation}_quote") or "")
        if not quote.strip():
            out.append(Finding(cid, f.id, relation, target, f"no {relation}_quote: a stated "
                               "relation quotes the plan's words for it"))
        elif plan is not None and _WS.sub("", quote) not in plan:
            out.append(Finding(cid, f.id, relation, target,
                               f"{relation}_quote not found in the plan: {quote[:60]!r}"))
        if target not in by_id or (relation == IN_PARK and target not in parks):
            kind = "park" if relation == IN_PARK else "feature"
            out.append(Finding(cid, f.id, relation, target, f"{target!r} is no {kind} of this data"))
            continue
        tcid, other = by_id[target]
        if f.geometry is None or other.geometry is None:
            continue  # an unplaced end: nothing to compare
        gap, allowed = _apart(f, other)
        if gap > allowed:
            out.append(Finding(cid, f.id, relation, target,
                               f"{relation} {target} ({tcid}) but lies {gap:.0f} m from it, more "
                               f"than their accuracies ({_accuracy(f):g} m + "
                               f"{_accuracy(other):g} m) allow"))
    return out


def load_exceptions(path: Path) -> tuple[list[RelationException], list[Finding]]:
    """The recorded exceptions of ``path`` (none when it does not exist) and the findings
    for malformed entries."""
    if not path.exists():
        return [], []
    try:
        with path.open("rb") as fh:
            entries = tomllib.load(fh).get("exception", [])
    except tomllib.TOMLDecodeError as exc:
        return [], [Finding("-", "-", "exception", str(path), f"not valid TOML: {exc}")]
    out, bad = [], []
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        fields = {k: entry.get(k) for k in ("feature", "relation", "target", "reason")}
        missing = [k for k, v in fields.items() if not isinstance(v, str) or not v.strip()]
        if missing or fields["relation"] not in RELATIONS:
            bad.append(Finding("-", str(fields["feature"] or f"#{i}"), "exception", str(path),
                               f"exception #{i + 1}: missing {missing} or relation "
                               f"{fields['relation']!r} not one of {', '.join(RELATIONS)}"))
            continue
        out.append(RelationException(**{k: str(v) for k, v in fields.items()}))
    return out, bad


def _statements(store: FeatureStore) -> set[tuple[str, str, str]]:
    keys = {(f.id, rel, t) for _, f, rel, t in _stated(store)}
    keys |= {(f.id, DISTRICT, str(f.get(DISTRICT))) for cid in store.collection_ids()
             for f in store.features(cid) if f.get(DISTRICT)}
    return keys


def check_relations(store: FeatureStore, exceptions_path: Path,
                    plan_text: str | None = None) -> list[Finding]:
    """Every relation check, less the findings a recorded exception explains; plus every
    exception that is malformed, names no stated relation, or is not needed."""
    exceptions, out = load_exceptions(exceptions_path)
    findings = check_districts(store) + check_park_relations(store, plan_text)
    excused = {(e.feature, e.relation, e.target) for e in exceptions}
    broken = {f.key for f in findings}
    out += [f for f in findings if f.key not in excused]
    stated = _statements(store)
    for e in exceptions:
        key = (e.feature, e.relation, e.target)
        if key not in stated:
            out.append(Finding("-", e.feature, "exception", e.target,
                               f"{exceptions_path.name}: no such stated relation "
                               f"({e.relation} {e.target})"))
        elif key not in broken:
            out.append(Finding("-", e.feature, "exception", e.target,
                               f"{exceptions_path.name}: {e.relation} {e.target} holds; "
                               "remove the exception"))
    return out

