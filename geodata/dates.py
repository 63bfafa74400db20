"""The dates table (``inventory/dates.toml``) carried into the features: each plan feature's
``interval`` [start, end], the dated events with the evidence entry that gives each, and a
note where no date is published. See the table's header for its fields."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from corridor.timeline import first_day
from geodata.inventory import InventoryError, read_toml

_PUBLISHED = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
NOT_PUBLISHED = "date not published in the recorded evidence"
PLANNED_NO_DATE = "planned, no date: the plan names it, no date is published"


def _event(entry: dict[str, Any], kind: str, props: dict[str, Any], where: str) -> dict[str, Any] | None:
    published = entry.get(kind)
    if published is None:
        return None
    if not isinstance(published, str) or not _PUBLISHED.fullmatch(published):
        raise InventoryError(where, props["id"], kind, f"{published!r}; expected YYYY, YYYY-MM or YYYY-MM-DD")
    first_day(published)  # a real date
    evidence = props.get("evidence") or []
    n = entry.get(f"{kind}_source")
    if not isinstance(n, int) or not 1 <= n <= len(evidence):
        raise InventoryError(where, props["id"], f"{kind}_source", f"{n!r}; expected an evidence number 1..{len(evidence)}")
    cited = evidence[n - 1]
    text = " ".join(str(cited.get(k, "")) for k in ("title", "says", "published"))
    if published[:4] not in text:
        raise InventoryError(where, props["id"], f"{kind}_source", f"evidence {n} ({cited.get('title')!r}) does not mention {published[:4]}")
    source = {"evidence": n, "title": cited.get("title", "")}
    if cited.get("url"):
        source["url"] = cited["url"]
    out = {"kind": kind, "date": published, "event": entry.get(f"{kind}_event", ""), "source": source}
    if entry.get(f"{kind}_basis"):
        out["basis"] = entry[f"{kind}_basis"]
    return out


def add_dates(features: dict[str, list[dict[str, Any]]], table: Path, collections: tuple[str, ...]) -> None:
    """Give every feature of ``collections`` its ``interval``, ``dates`` and ``date_note``.

    Raises
    ------
    InventoryError
        If the table names an unknown feature, a malformed date, or a source that is not one
        of the feature's evidence entries or does not mention the date's year.
    """
    entries = {e["id"]: e for e in read_toml(table).get("feature", [])}
    seen: set[str] = set()
    for cid in collections:
        for feat in features[cid]:
            props = feat["properties"]
            entry = entries.get(props["id"], {})
            seen.add(props["id"])
            where = table.name
            dated = [e for k in ("start", "opened") if (e := _event(entry, k, props, where))]
            start = first_day(entry["start"]).isoformat() if "start" in entry else None
            if start is None and dated:
                raise InventoryError(where, props["id"], "start", "an opening date needs a start")
            props["interval"] = [start, None]
            props["dates"] = dated
            note = entry.get("start_note") or entry.get("note")
            if start is None and not note:
                note = PLANNED_NO_DATE if props.get("status") == "planned" else NOT_PUBLISHED
            props["date_note"] = note or ""
    unknown = sorted(set(entries) - seen)
    if unknown:
        raise InventoryError(table.name, unknown[0], None, "no such feature in the inventory")
