"""What the build adds to the features beside their own inventory entries: the English
rendering of each plan quote (``plan_text_en.toml``, our translation, one entry per distinct
quote) and the other names people search a feature by (``aliases.toml``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from geodata.inventory import InventoryError, read_toml


def add_translations(features: dict[str, list[dict[str, Any]]], path: Path) -> None:
    """Set ``plan_text_en`` on every feature whose ``plan_text`` has an entry in ``path``.

    Raises
    ------
    InventoryError
        If an entry is malformed, repeats a quote, or renders a quote no feature has.
    """
    table: dict[str, str] = {}
    for i, entry in enumerate(read_toml(path).get("quote", [])):
        zh, en = entry.get("zh"), entry.get("en")
        if not (isinstance(zh, str) and zh.strip() and isinstance(en, str) and en.strip()):
            raise InventoryError(path, f"quote #{i + 1}", "zh/en", "expected two non-empty strings")
        if zh in table:
            raise InventoryError(path, f"quote #{i + 1}", "zh", "this quote is rendered twice")
        table[zh] = en.strip()
    used: set[str] = set()
    for feats in features.values():
        for feat in feats:
            props = feat["properties"]
            # a feature the plan names twice quotes both passages, one a line
            lines = (props.get("plan_text") or "").split("\n")
            rendered = [table.get(line) for line in lines]
            if all(rendered) and lines != [""]:
                props["plan_text_en"] = "\n".join(r for r in rendered if r)
                used.update(lines)
    unused = [zh for zh in table if zh not in used]
    if unused:
        raise InventoryError(path, unused[0][:30], "zh", "no feature quotes this text (a stale entry?)")


def add_aliases(features: dict[str, list[dict[str, Any]]], path: Path) -> None:
    """Set ``aliases_zh`` / ``aliases_en`` (lists of other names) from ``path``.

    Raises
    ------
    InventoryError
        If an entry names no feature or its lists are malformed.
    """
    by_id = {f["properties"]["id"]: f for feats in features.values() for f in feats}
    for entry in read_toml(path).get("alias", []):
        fid = entry.get("id")
        feat = by_id.get(fid)  # type: ignore[arg-type]
        if feat is None:
            raise InventoryError(path, str(fid), "id", "no feature has this id")
        for lang in ("zh", "en"):
            names = entry.get(lang, [])
            if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
                raise InventoryError(path, str(fid), lang, f"{names!r}; expected a list of names")
            if names:
                feat["properties"][f"aliases_{lang}"] = [n.strip() for n in names]
