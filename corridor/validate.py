"""Checks of the bundled data against the plan itself.

Structure is checked when the store loads (:mod:`corridor.schema`). This module adds the
checks that need the plan's text and the inventory checklist:

* every ``plan_text`` occurs in the plan (compared with all whitespace removed, because the
  plan's text file breaks lines inside sentences);
* every item of ``geodata/inventory/checklist.toml`` (made from the plan's inventory) is
  present in its collection;
* all ten parks are present.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

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
            quote = f.get("plan_text")
            if quote and squash(quote) not in plan:
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


def validate_all(
    store: FeatureStore, plan_path: Path | None, checklist_path: Path | None = None
) -> list[Problem]:
    """Run every check that the available inputs allow; return the problems found."""
    problems = check_parks(store)
    checklist = checklist_path or GEODATA_DIR / "inventory" / "checklist.toml"
    if checklist.exists():
        problems += check_checklist(store, checklist)
    else:
        problems.append(Problem("-", "-", "checklist", f"{checklist} not found"))
    if plan_path is not None:
        problems += check_plan_text(store, plan_path.read_text(encoding="utf-8"))
    return problems


def default_plan_path() -> Path | None:
    """The plan text beside the project (``../shared/plan/``), if present."""
    for base in (Path.cwd(), GEODATA_DIR.parent):
        candidate = base.parent / "shared" / "plan" / "qingdao-sti-plan-2021.zh.txt"
        if candidate.exists():
            return candidate
    return None
