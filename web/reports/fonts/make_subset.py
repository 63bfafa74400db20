"""Rebuild ``WenQuanYiMicroHei-subset.ttf`` from the upstream WenQuanYi Micro Hei font.

Run from the repository root, with fontTools installed (``pip install fonttools``) and the
upstream font at hand (Debian: ``apt-get install fonts-wqy-microhei``)::

    python web/reports/fonts/make_subset.py /usr/share/fonts/truetype/wqy/wqy-microhei.ttc

The subset keeps ASCII, Latin-1, general and CJK punctuation, full-width forms, every Han
character of GB 2312 (the 6,763 of simplified Chinese in common use) and every character of
the bundled data (``geodata/``), so any report on the bundled data renders in full.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
OUT = HERE / "WenQuanYiMicroHei-subset.ttf"


def gb2312() -> set[str]:
    """Every character of GB 2312 (rows 0xA1-0xF7, cells 0xA1-0xFE)."""
    out = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                out.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return out


def wanted() -> set[str]:
    chars = {chr(c) for c in range(0x20, 0x7F)} | {chr(c) for c in range(0xA0, 0x180)}
    chars |= {chr(c) for c in range(0x2000, 0x2070)} | {chr(c) for c in range(0x2100, 0x2200)}
    chars |= {chr(c) for c in range(0x3000, 0x3040)} | {chr(c) for c in range(0xFF00, 0xFFF0)}
    chars |= gb2312()
    for path in [*(ROOT / "geodata").rglob("*.geojson"), *(ROOT / "geodata").rglob("*.toml"),
                 *(ROOT / "web").rglob("*.py")]:
        chars |= set(path.read_text(encoding="utf-8"))
    return {c for c in chars if c.isprintable() or c == " "}


def main(source: str) -> None:
    font = TTCollection(source).fonts[0]  # WenQuanYi Micro Hei (index 1 is the Mono face)
    options = subset.Options()
    options.name_IDs = ["*"]  # keep the names, the copyright and licence records among them
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.layout_features = ["*"]
    sub = subset.Subsetter(options)
    sub.populate(unicodes=sorted(ord(c) for c in wanted()))
    sub.subset(font)
    font.save(OUT)
    print(f"{OUT}: {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
