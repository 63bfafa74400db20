"""Checks of the bundled data against the plan itself.

Structure is checked when the store loads (:mod:`corridor.schema`). This module adds the
checks that need the plan's text and the inventory checklist:

* every ``plan_text`` occurs in the plan (compared with all whitespace removed, because the
  plan's text file breaks lines inside sentences);
* every item of ``geodata/inventory/checklist.toml`` (made from the plan's inventory) is
  present in its collection;
* all ten parks are present;
* every plan feature has evidence, no feature claims an accuracy smaller than the spread of
  its own evidence, and every park polygon lies inside the district(s) its evidence names;
* no park extent is recalled: a park is drawn from what its sources describe, or listed
  and not placed when nothing locates it;
* every relation the data states holds in its geometry (:mod:`corridor.relations`: each
  feature lies in its ``district_zh``, each park near what it relies on and what the plan
  places in it, within their accuracies), unless an exception beside the data explains it.

A ``plan_text`` may hold several quotations, one a line (a feature the plan names twice).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from corridor import evidence as ev
from corridor import relations
from corridor.crs import to_metric
from corridor.model import Feature
from corridor.store import GEODATA_DIR, FeatureStore

_WS = re.compile(r"\s+")
EXPECTED_PARKS = 10


@dataclass(frozen=True)
class Problem:
    """One failed check: where (collection, feature, field) and what."""

    collection: str
    feature: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.collection}/{self.feature} [{self.field}]: {self.message}"


def squash(text: str) -> str:
    """Remove all whitespace (the plan's text breaks lines mid-sentence)."""
    return _WS.sub("", text)


def _fold(text: str) -> str:
    # Names are matched across full-/half-width brackets and spacing differences.
    return squash(unicodedata.normalize("NFKC", text))


def check_plan_text(store: FeatureStore, plan_text: str) -> list[Problem]:
    """Every feature's ``plan_text`` (and every indicator's) must occur in the plan."""
    plan = squash(plan_text)
    problems = []
    for cid in store.collection_ids():
        for f in store.features(cid):
            for quote in str(f.get("plan_text") or "").split("\n"):
                if quote.strip() and squash(quote) not in plan:
                    problems.append(
                        Problem(cid, f.id, "plan_text", f"not found in the plan: {quote[:60]!r}")
                    )
    for ind in store.indicators():
        if squash(ind.plan_text) not in plan:
            problems.append(
                Problem("indicators", ind.id, "plan_text", f"not found in the plan: {ind.plan_text!r}")
            )
    return problems


def check_checklist(store: FeatureStore, checklist_path: Path) -> list[Problem]:
    """Every checklist item must match a feature of its collection by name or institution."""
    with checklist_path.open("rb") as fh:
        items = tomllib.load(fh).get("item", [])
    problems = []
    for item in items:
        cid, wanted = item["collection"], _fold(item["name_zh"])
        if cid not in store.collection_ids():
            problems.append(Problem(cid, "-", "collection", "checklist names an unknown collection"))
            continue
        names = [_fold(str(v)) for f in store.features(cid)
                 for v in (f.get("name_zh"), f.get("institution_zh")) if v]
        if not any(wanted in n for n in names):
            problems.append(
                Problem(cid, "-", "name_zh", f"plan item {item['name_zh']!r} has no feature")
            )
    return problems


def check_parks(store: FeatureStore) -> list[Problem]:
    """The plan's high-tech zone has exactly ten parks (in the collection with the ``parks`` role)."""
    ids = store.collection_ids("parks")
    n = store.collection(ids[0]).count if ids else 0
    if n != EXPECTED_PARKS:
        return [Problem("parks", "-", "count", f"{n} parks; the plan names {EXPECTED_PARKS}")]
    return []


#: How far a park polygon may reach past its districts' AMap boundary (that boundary's own
#: accuracy, ``districts.toml``).
DISTRICT_TOLERANCE_M = 100.0


def plan_features(store: FeatureStore) -> list[tuple[str, Feature]]:
    """(collection id, feature) of every plan feature: each feature of a collection that is
    not basemap, and each basemap feature that quotes the plan."""
    out: list[tuple[str, Feature]] = []
    for meta in store.collections():
        for f in store.features(meta.id):
            if not meta.has_role("basemap") or f.get("plan_ref"):
                out.append((meta.id, f))
    return out


def check_evidence(store: FeatureStore) -> list[Problem]:
    """Every plan feature has evidence, and no accuracy claim is smaller than the spread of
    the feature's own evidence around its position (the build adds the site's size on top)."""
    problems = []
    for cid, f in plan_features(store):
        evidence = f.get("evidence") or []
        if not evidence:
            problems.append(Problem(cid, f.id, "evidence",
                                    "no evidence: a plan feature must list its sources"))
            continue
        if f.geometry is None:
            continue
        spread = ev.spread_m(f.geometry, ev.points_wgs84(evidence))
        acc = float(f.get("accuracy_m"))
        if acc < spread:
            problems.append(Problem(cid, f.id, "accuracy_m",
                                    f"{acc:g} m is smaller than the {spread:.0f} m its own "
                                    "evidence spreads around its position"))
    return problems


def _metric(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda c: np.column_stack(to_metric(c[:, 0], c[:, 1])))


def check_park_districts(store: FeatureStore) -> list[Problem]:
    """Every park polygon lies inside the districts its evidence names (within the district
    boundary's accuracy)."""
    parks = store.collection_ids("parks")
    districts = {f.get("name_zh"): f for cid in store.collection_ids("at")
                 if store.collection(cid).has_role("basemap") for f in store.features(cid)}
    problems = []
    for cid in parks:
        for f in store.features(cid):
            names = ev.evidence_districts(f.get("evidence") or [])
            if f.geometry is None or not names:
                continue
            unknown = [n for n in names if n not in districts]
            if unknown:
                problems.append(Problem(cid, f.id, "evidence", f"names {unknown}, not districts "
                                        f"of this data ({sorted(str(d) for d in districts)})"))
                continue
            allowed = shapely.union_all([_metric(districts[n].geometry) for n in names])
            outside = _metric(f.geometry).difference(allowed.buffer(DISTRICT_TOLERANCE_M))
            if outside.area > 1.0:
                problems.append(Problem(cid, f.id, "geometry",
                                        f"{outside.area / 1e6:.2f} km² lies outside "
                                        f"{'、'.join(names)}, the district(s) its evidence names"))
    return problems


def check_park_extents(store: FeatureStore) -> list[Problem]:
    """No park's position is recalled (``position_basis = "recalled"``): an extent must be
    drawn from evidence (``inventory/boundaries.toml``) or the park left unplaced."""
    return [Problem(cid, f.id, "position_basis",
                    "a recalled extent; draw it from what the sources describe "
                    "(inventory/boundaries.toml) or list the park unplaced")
            for cid in store.collection_ids("parks") for f in store.features(cid)
            if f.get("position_basis") == "recalled"]


def check_relations(store: FeatureStore, exceptions_path: Path,
                    plan_text: str | None = None) -> list[Problem]:
    """Every stated relation against the geometry (:func:`corridor.relations.check_relations`);
    the problem's field names the relation and its message the other end."""
    return [Problem(f.collection, f.feature, f.relation, f"{f.target}: {f.message}")
            for f in relations.check_relations(store, exceptions_path, plan_text)]


def validate_all(
    store: FeatureStore, plan_path: Path | None, checklist_path: Path | None = None,
    exceptions_path: Path | None = None,
) -> list[Problem]:
    """Run every check that the available inputs allow; return the problems found.

    ``exceptions_path`` is the file of recorded relation exceptions (default: the bundled
    ``geodata/relation_exceptions.toml``)."""
    plan_text = plan_path.read_text(encoding="utf-8") if plan_path is not None else None
    exceptions = exceptions_path or GEODATA_DIR / relations.EXCEPTIONS_FILE
    problems = (check_parks(store) + check_evidence(store) + check_park_districts(store)
                + check_park_extents(store) + check_relations(store, exceptions, plan_text))
    checklist = checklist_path or GEODATA_DIR / "inventory" / "checklist.toml"
    if checklist.exists():
        problems += check_checklist(store, checklist)
    else:
        problems.append(Problem("-", "-", "checklist", f"{checklist} not found"))
    if plan_text is not None:
        problems += check_plan_text(store, plan_text)
    return problems


def default_plan_path() -> Path | None:
    """The plan text beside the project (``../shared/plan/``), if present."""
    for base in (Path.cwd(), GEODATA_DIR.parent):
        candidate = base.parent / "shared" / "plan" / "qingdao-sti-plan-2021.zh.txt"
        if candidate.exists():
            return candidate
    return None
