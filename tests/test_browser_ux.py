"""What a person does on the map, in a real browser: near results (rows, "inside", filter by
type, broad areas, CSV), search by alias and industry, the grouped industry list, input limits
and errors, keyboard reach, contrast (computed here, WCAG 2.x), the print layout, the /parks
CSV, and the map's legibility fixes. Expectations come from the API and the data files."""

from __future__ import annotations

import csv
import io
from urllib.parse import unquote

import pytest
from browser import Visit
from shapely.geometry import box, shape
from test_browser_map import near_collections

PARK = "park-blue-silicon-valley"


@pytest.fixture()
def page(visit):
    """Open a page, in English unless told otherwise."""
    return lambda path, locale="en-GB", **kw: visit(path, locale, **kw)


def _near_rows(v: Visit) -> list[str]:
    return v.page.locator("#near-results li[data-fid]").evaluate_all("els => els.map(e => e.dataset.fid)")


def test_show_on_the_map_opens_the_query_with_readable_rows(page, catalog, artifacts):
    v = page(f"/?lang=en&near={PARK}&km=10")  # the profile's "Show on the map" link
    v.page.wait_for_function("document.querySelectorAll('#near-results li[data-fid]').length > 0")
    doc = v.api("/api/near", of=PARK, km=10, collections=near_collections(catalog))
    feats = sorted(doc["features"], key=lambda f: f["properties"]["distance_km"])
    assert _near_rows(v) == [f["properties"]["id"] for f in feats]
    # the view is the query's circle, not the city
    buffer = v.page.context.request.get(f"{v.base}/map-data/buffer?of={PARK}&km=10").json()
    bx0, by0, bx1, by1 = shape(buffer["geometry"]).bounds
    view = v.js("""() => { const b = window.corridorApp.map.getBounds();
        return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth(), window.corridorApp.map.getZoom()]; }""")
    assert view[0] <= bx0 and view[1] <= by0 and view[2] >= bx1 and view[3] >= by1
    assert view[4] >= 10
    # each row: a button; its distance on the same row, right of the name; "inside" for 0
    for f in feats:
        fid, km = f["properties"]["id"], f["properties"]["distance_km"]
        row = v.page.locator(f'#near-results li[data-fid="{fid}"] .row-button')
        b, d, n = (row.bounding_box(), row.locator(".dist").bounding_box(),
                   row.locator(".rb-name").bounding_box())
        assert b["y"] - 1 <= d["y"] and d["y"] + d["height"] <= b["y"] + b["height"] + 1, fid
        assert d["x"] >= n["x"] + n["width"] - 1, fid
        text = row.locator(".dist").inner_text()
        assert text == ("inside" if km == 0 else f"{km:.2f} km"), (fid, km, text)
    assert "0.00" not in v.page.locator("#near-results").inner_text()
    # areas larger than the circle (a whole bay, a district's role) are outlined thinly
    circle = box(bx0, by0, bx1, by1)
    styles = v.js("""() => Object.fromEntries(Object.values(window.corridorApp.index)
        .filter(e => window.corridorApp.highlighted('near').includes(e.props.id))
        .map(e => [e.props.id, e.layer.options.weight]))""")
    broad = 0
    for fid, weight in styles.items():
        _, row = catalog.locate(fid)
        g = row.geometry
        is_broad = g.geom_type != "Point" and not circle.buffer(0.05 * max(bx1 - bx0, by1 - by0)).contains(box(*g.bounds))
        broad += is_broad
        assert (weight < 4) == is_broad, (fid, weight)
    assert broad >= 1
    v.page.screenshot(path=artifacts / "ux-near-10km-en.png")

    # filter by type: hide one layer's rows, then show them again
    cid = feats[-1]["properties"].get("collection") or catalog.locate(feats[-1]["properties"]["id"])[0].id
    of_type = {f["properties"]["id"] for f in feats if catalog.locate(f["properties"]["id"])[0].id == cid}
    v.page.locator(f'#near-filter input[value="{cid}"]').uncheck()
    assert set(_near_rows(v)) == {f["properties"]["id"] for f in feats} - of_type
    assert not set(v.js("window.corridorApp.highlighted('near')")) & of_type
    v.page.locator(f'#near-filter input[value="{cid}"]').check()
    assert len(_near_rows(v)) == len(feats)

    # the CSV of the list: the same rows, ids, names and distances
    href = v.page.locator("#near-csv").get_attribute("href")
    assert href.startswith("data:text/csv")
    rows = list(csv.DictReader(io.StringIO(unquote(href.split(",", 1)[1]).lstrip("\ufeff"))))
    assert [r["id"] for r in rows] == [f["properties"]["id"] for f in feats]
    for r, f in zip(rows, feats, strict=True):
        c, row = catalog.locate(r["id"])
        assert r["name_en"] == row["name_en"] and r["name_zh"] == row["name_zh"]
        assert r["collection"] == c.id and r["layer"] == c.title("en")
        assert float(r["distance_km"]) == pytest.approx(f["properties"]["distance_km"], abs=1e-9)


def test_search_by_alias_and_by_industry(page, catalog):
    v = page("/?lang=en")
    v.page.fill("#search-input", "semiconductor")
    v.page.wait_for_function("window.corridorApp.highlighted('search').length > 0")
    found = set(v.js("window.corridorApp.highlighted('search')"))
    having = {fid for c in catalog.collections.values() for fid, row in c.gdf.iterrows()
              if "industries_en" in row and isinstance(row["industries_en"], list)
              and any("semiconductor" in t.lower() for t in row["industries_en"])}
    assert having and having <= found
    v.page.fill("#search-input", "")
    v.page.fill("#search-input", "蓝谷")
    v.page.wait_for_function(f"window.corridorApp.highlighted('search').includes('{PARK}')")
    assert PARK in _near_rows_of(v, "#search-results")


def _near_rows_of(v: Visit, sel: str) -> list[str]:
    return v.page.locator(f"{sel} li[data-fid]").evaluate_all("els => els.map(e => e.dataset.fid)")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_industry_list_is_one_grouped_sorted_vocabulary(page, catalog, lang):
    from web.pages.industries import INDUSTRY_GROUPS, OTHER_GROUP

    v = page(f"/?lang={lang}")
    groups = v.page.locator("#industry-select optgroup").evaluate_all(
        "gs => gs.map(g => [g.label, [...g.querySelectorAll('option')].map(o => o.textContent)])")
    titles = [g.title(lang) for g in (*INDUSTRY_GROUPS, OTHER_GROUP)]
    assert [t for t, _ in groups] == [t for t in titles if t in {t for t, _ in groups}]
    labels = [o for _, opts in groups for o in opts]
    raw = {w for c in catalog.collections.values() if f"industries_{lang}" in c.gdf
           for items in c.gdf[f"industries_{lang}"] if isinstance(items, list) for w in items}
    assert len(labels) == len(set(labels)) < len(raw)  # near-duplicates merged
    for _, opts in groups:
        key = (lambda s: s.casefold()) if lang == "en" else (lambda s: s)
        assert opts == sorted(opts, key=key)
    if lang == "en":  # case variants and synonyms are one term
        lower = [label.casefold() for label in labels]
        assert len(lower) == len(set(lower))
        assert not ({"smart shipping", "intelligent shipping"} <= set(lower))


def test_radius_limits_and_errors_are_explained(page, catalog):
    from corridor.checks import MAX_KM

    v = page(f"/?lang=en&near={PARK}&km=5")
    v.page.wait_for_function("window.corridorApp.highlighted('near').length > 0")
    assert v.page.get_attribute("#near-km", "max") == f"{MAX_KM:g}"
    for value, words in (("0", "more than 0"), ("-3", "more than 0"), ("2000", f"at most {MAX_KM:g}")):
        v.page.fill("#near-km", value)
        v.page.locator("#near-km").dispatch_event("change")
        assert words in v.page.locator("#near-message").inner_text()
        assert v.page.get_attribute("#near-km", "aria-invalid") == "true"
        # the old answer is gone: no highlight, no list, no circle
        assert v.js("window.corridorApp.highlighted('near')") == []
        assert _near_rows(v) == []
        assert v.page.locator(".leaflet-pane-query-pane path").count() == 0
    w = page("/?lang=en&near=nope")
    assert "nope" in w.page.locator("#near-message").inner_text()
    assert "NaN" not in w.page.locator("#sidebar").inner_text()
    z = page("/?lang=zh&near=1,x", locale="zh-CN")
    assert "1,x" in z.page.locator("#near-message").inner_text()
    assert "NaN" not in z.page.locator("#sidebar").inner_text()


def test_results_are_reached_by_keyboard(page):
    v = page(f"/?lang=en&near={PARK}&km=5")
    v.page.wait_for_function("document.querySelectorAll('#near-results .row-button').length > 0")
    v.page.evaluate("document.activeElement && document.activeElement.blur()")
    v.page.keyboard.press("Tab")
    assert v.js("document.activeElement.className") == "skip-link"
    v.page.keyboard.press("Enter")
    assert v.js("document.activeElement.id") == "panel-body"
    presses = 0
    while not v.js("document.activeElement.matches('#near-results .row-button')"):
        presses += 1
        # past the panel's own controls, not past every map feature
        assert presses <= 30, "no result row reached by keyboard in 30 presses"
        v.page.keyboard.press("Tab")
    fid = v.js("document.activeElement.closest('li').dataset.fid")
    v.page.keyboard.press("Enter")
    v.page.locator(f'.leaflet-popup .corridor-popup[data-fid="{fid}"]').wait_for()


def _contrast_js() -> str:
    return """sel => {
        const parse = c => { const m = c.match(/rgba?\\(([^)]+)\\)/); const p = m[1].split(',').map(Number);
                             return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
        const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255;
            return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
        const el = document.querySelector(sel);
        if (!el) return null;
        const fg = parse(getComputedStyle(el).color);
        // the first opaque background up the tree (white if none)
        let bg = [255, 255, 255, 1];
        for (let a = el; a; a = a.parentElement) {
            const c = parse(getComputedStyle(a).backgroundColor);
            if (c[3] > 0.9) { bg = c; break; }
        }
        const l1 = lum(fg), l2 = lum(bg);
        return {ratio: (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05), fg, bg,
                size: getComputedStyle(el).fontSize};
    }"""


def test_named_texts_meet_wcag_aa_contrast(page):
    v = page(f"/?lang=en&near={PARK}&km=5")
    v.page.wait_for_function("document.querySelectorAll('#near-results .coll').length > 0")
    checks = {"#near-results .coll": v, ".leaflet-control-layers .lc-count": v, ".hint": v,
              ".result-list .dist": v}
    w = page("/parks?lang=en")
    checks[".compare thead th .parks-count"] = w
    x = page(f"/parks/{PARK}?lang=en")
    checks["#park-legend .lg-item"] = x
    for sel, visit in checks.items():
        got = visit.js(_contrast_js(), sel)
        assert got is not None, sel
        assert got["ratio"] >= 4.5, (sel, got)  # WCAG AA for normal text


def test_print_layout_of_the_map_and_a_profile(page, artifacts, tmp_path):
    v = page(f"/?lang=en&near={PARK}&km=5")
    v.page.wait_for_function("document.querySelectorAll('#near-results li[data-fid]').length > 0")
    v.page.emulate_media(media="print")
    hidden = [".leaflet-control-layers", ".leaflet-control-zoom", "#panel-toggle", ".topbar nav",
              "#search-input", "#industry-select", "#near-filter", ".leaflet-control-measure"]
    for sel in hidden:
        assert v.page.locator(sel).first.is_hidden(), sel
    assert v.page.locator(".corridor-legend").is_visible()
    assert v.page.locator("#near-results .row-button").first.is_visible()
    map_box = v.page.locator(".map-main").bounding_box()
    list_box = v.page.locator("#near-results").bounding_box()
    assert map_box["height"] > 400 and list_box["y"] >= map_box["y"] + map_box["height"] - 1
    v.page.screenshot(path=artifacts / "print-map-en.png", full_page=True)
    pdf = v.page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")

    p = page(f"/parks/{PARK}?lang=en")
    p.page.emulate_media(media="print")
    assert p.page.locator(".topbar nav").is_hidden()
    words = p.page.locator(".profile-grid > div").nth(0).bounding_box()
    small_map = p.page.locator(".small-map").bounding_box()
    assert small_map["y"] >= words["y"] + words["height"] - 1  # one column
    pdf = p.page.pdf(format="A4", prefer_css_page_size=True)
    (artifacts / "print-park-en.pdf").write_bytes(pdf)
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert 1 <= pages <= 3, pages
    p.page.set_viewport_size({"width": 718, "height": 1000})  # A4 less its margins, at 96 dpi
    assert p.js("document.documentElement.scrollWidth <= window.innerWidth")
    p.page.screenshot(path=artifacts / "print-park-en.png", full_page=True)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_parks_matrix_csv(page, catalog, lang):
    from web.pages.parks import INDUSTRY_GROUPS, OTHER_GROUP

    v = page(f"/parks?lang={lang}")
    href = v.page.locator("#parks-csv").get_attribute("href")
    resp = v.context.request.get(v.base + href)
    assert resp.ok and resp.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(resp.text().lstrip("\ufeff"))))
    head, body = rows[0], rows[1:]
    titles = {g.title(lang) for g in (*INDUSTRY_GROUPS, OTHER_GROUP)}
    assert head[0] == "id" and set(head[2:]) <= titles
    parks = catalog.collection("parks").gdf
    assert sorted(r[0] for r in body) == sorted(parks.index)
    for r in body:
        own = set(parks.loc[r[0], f"industries_{lang}"])
        assert r[1] == parks.loc[r[0], f"name_{lang}"]
        listed = {t for cell in r[2:] for t in cell.split("; ") if t}
        assert listed == own  # every own term is in some group, nothing invented
    # the HTML table and the CSV agree cell by cell
    html_cells = v.page.locator("#compare-table tbody tr").evaluate_all(
        "trs => trs.map(tr => [tr.dataset.park, ...[...tr.querySelectorAll('td')].map(td => "
        "[...td.querySelectorAll('li')].map(li => li.textContent).join('; '))])")
    assert sorted(html_cells) == sorted([r[0]] + r[2:] for r in body)


def test_points_at_one_place_are_spread_and_listed(page, catalog):
    at: dict = {}
    for c in catalog.collections.values():
        for fid, row in c.gdf.iterrows():
            if row.geometry is not None and row.geometry.geom_type == "Point":
                at.setdefault((round(row.geometry.x, 7), round(row.geometry.y, 7)), []).append(fid)
    group = max(at.values(), key=len)
    assert len(group) >= 3
    v = page("/?lang=en")
    v.js("fid => window.corridorApp.map.setView(window.corridorApp.index[fid].home, 15, {animate: false})", group[0])
    pixels = v.js("""ids => ids.map(id => { const m = window.corridorApp.map;
        const p = m.latLngToContainerPoint(window.corridorApp.index[id].layer.getLatLng()); return [p.x, p.y]; })""", group)
    assert len({(round(x), round(y)) for x, y in pixels}) == len(group)  # each drawn apart
    v.js("fid => window.corridorApp.openPopup(fid)", group[0])
    listed = v.page.locator(f'.leaflet-popup .corridor-popup[data-fid="{group[0]}"] .pp-same button').evaluate_all(
        "bs => bs.map(b => b.dataset.fid)")
    assert sorted(listed) == sorted(group[1:])


def test_measure_asks_for_nothing_missing_and_draws_on_top(page):
    v = page("/?lang=en")
    bad: list = []
    v.page.on("response", lambda r: bad.append(r.url) if r.status >= 400 else None)
    v.page.locator(".leaflet-control-measure").hover()
    v.page.locator(".leaflet-control-measure .js-start").click()
    box = v.page.locator(".map-main").bounding_box()
    for dx in (0.45, 0.6):
        v.page.mouse.click(box["x"] + box["width"] * dx, box["y"] + box["height"] * 0.5)
    v.page.wait_for_timeout(300)
    assert bad == []
    assert not [u for u in v.requests if "marker-icon" in u]
    z = v.js("""() => [+getComputedStyle(document.querySelector('.leaflet-overlay-pane')).zIndex,
        +getComputedStyle(document.querySelector('.leaflet-pane-land-pane')).zIndex,
        +getComputedStyle(document.querySelector('.leaflet-pane-parks-pane')).zIndex]""")
    assert z[0] > max(z[1:]), z
    assert v.page.locator(".leaflet-overlay-pane path").count() >= 1  # the measured line


def test_park_names_on_the_map_and_copy_label_resets(page, catalog):
    v = page("/?lang=en")
    names = v.page.locator(".label-parks span").all_inner_texts()
    parks = catalog.collection("parks").gdf
    assert sorted(names) == sorted(parks[parks.geometry.notna()]["name_en"])  # placed ones
    v.js("window.corridorApp.map.setZoom(12, {animate: false})")
    assert v.page.locator(".label-parks span").first.is_visible()
    v.page.locator("#copy-link").click()
    assert v.page.locator("#copy-link").inner_text() in ("Copied", "Copy link")
    v.page.wait_for_function("document.getElementById('copy-link').textContent === 'Copy link'", timeout=4000)


def test_clicking_a_park_draws_no_focus_rectangle(page, catalog):
    v = page("/?lang=en")
    pt = catalog.collection("parks").gdf.iloc[0].geometry.representative_point()
    xy = v.js("""ll => { const m = window.corridorApp.map; m.setView([ll[1], ll[0]], 13, {animate: false});
        const p = m.latLngToContainerPoint([ll[1], ll[0]]); const r = m.getContainer().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y]; }""", [pt.x, pt.y])
    v.page.mouse.click(xy[0], xy[1])
    outline = v.js("""() => { const a = document.activeElement;
        return a && a.matches('.leaflet-interactive') ? getComputedStyle(a).outlineStyle : 'none'; }""")
    assert outline == "none"
