"""The year slider in a real browser at 390 px and 1400 px: what shows follows the features'
dated intervals (expected from the data files), and the permalink keeps the year."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "geodata" / "data"
SIZES = {"phone": (390, 844), "desktop": (1400, 900)}


def _expected_shown(year: int, undated: bool) -> set[str]:
    out = set()
    for cid in ("parks", "universities", "labs", "facilities", "platforms", "incubators", "zones"):
        for f in json.loads((DATA / f"{cid}.geojson").read_text(encoding="utf-8"))["features"]:
            if f["geometry"] is None:
                continue
            p = f["properties"]
            start = p["interval"][0]
            if start is None:
                ok = p.get("status") != "planned" or undated
            else:
                ok = int(start[:4]) <= year
            if ok:
                out.add(f["id"])
    return out


SHOWN = """() => { const a = window.corridorApp, out = [];
  Object.keys(a.index).forEach(fid => { const e = a.index[fid];
    if (['parks','universities','labs','facilities','platforms','incubators','zones'].includes(e.cid)
        && a.layers[e.cid].hasLayer(e.layer)) { out.push(fid); } });
  return out; }"""


@pytest.mark.parametrize("size", SIZES)
def test_the_slider_changes_what_shows_and_the_permalink_keeps_it(visit, artifacts, size):
    w, h = SIZES[size]
    v = visit("/?lang=en&year=2020", viewport={"width": w, "height": h})
    assert v.page.locator("#year-range").input_value() == "2020"
    assert set(v.js(SHOWN)) == _expected_shown(2020, True)
    assert _expected_shown(2020, True) != _expected_shown(2025, True)
    v.page.screenshot(path=artifacts / f"timeline-2020-{size}.png")
    # move the slider the way a person does: the range's input event
    v.js("""() => { const r = document.getElementById('year-range'); r.value = '2023';
                    r.dispatchEvent(new Event('input')); }""")
    assert set(v.js(SHOWN)) == _expected_shown(2023, True)
    assert "year=2023" in v.page.locator("#permalink").input_value()
    v.js("() => document.getElementById('year-undated').click()")
    assert set(v.js(SHOWN)) == _expected_shown(2023, False)
    link = v.page.locator("#permalink").input_value()
    assert "undated=0" in link
    v.page.screenshot(path=artifacts / f"timeline-2023-{size}.png")
    again = visit(link[link.index("/?"):], viewport={"width": w, "height": h})
    assert again.page.locator("#year-range").input_value() == "2023"
    assert set(again.js(SHOWN)) == _expected_shown(2023, False)
