"""English pages in a real browser: no Chinese text outside elements marked ``lang="zh"``
(screen readers switch voice on it; the verbatim plan quotes are the marked exception), every
plan quote with our English rendering beside it, and the API's HTML pages following the
browser's Accept-Language."""

from __future__ import annotations

import pytest
from browser import Visit

#: Returns [text, where] for every piece of Chinese text (CJK ideographs or CJK punctuation)
#: in ``root`` that is not inside an element whose nearest lang attribute is zh, including
#: the attributes a person hears or sees (title, placeholder, aria-label, alt).
UNMARKED_CHINESE = r"""root => {
    const cjk = /[\u3000-\u303f\u3400-\u9fff\uff00-\uff0f]/;
    const zh = el => { const l = el && el.closest('[lang]'); return !!l && /^zh/i.test(l.getAttribute('lang')); };
    const out = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const el = n.parentElement;
        if (!el || el.closest('script, style')) continue;
        if (cjk.test(n.nodeValue) && !zh(el)) out.push([n.nodeValue.trim().slice(0, 60), el.outerHTML.slice(0, 120)]);
    }
    root.querySelectorAll('[title], [placeholder], [aria-label], [alt]').forEach(el => {
        ['title', 'placeholder', 'aria-label', 'alt'].forEach(a => {
            const v = el.getAttribute(a);
            if (v && cjk.test(v) && !zh(el)) out.push([v.slice(0, 60), a + ' of ' + el.tagName]);
        });
    });
    return out;
}"""


def unmarked(v: Visit, selector: str = "body") -> list:
    return v.page.locator(selector).first.evaluate(UNMARKED_CHINESE)


@pytest.fixture()
def en(visit):
    """Open a page as a browser set to British English."""
    return lambda path: visit(path, "en-GB")


def test_the_checker_finds_unmarked_chinese(en):
    """The check itself: it flags Chinese in an English element, not in a zh-marked one."""
    v = en("/parks?lang=en")
    v.js("""() => { const d = document.createElement('div'); d.id = 'probe';
        d.innerHTML = '<p>plain 蓝谷</p><p lang="zh">蓝谷</p><p lang="zh-CN"><span>蓝谷</span></p>'
            + '<input placeholder="名称">';
        document.body.appendChild(d); }""")
    found = unmarked(v, "#probe")
    assert [t for t, _ in found] == ["plain 蓝谷", "名称"]


def test_map_page_and_every_popup_in_english(en, catalog):
    v = en("/?lang=en")
    assert v.page.locator("html").get_attribute("lang") == "en"
    assert unmarked(v) == []
    # every popup the map can open, rendered into the page as Leaflet would
    count = v.js("""() => { const d = document.createElement('div'); d.id = 'all-popups';
        d.innerHTML = Object.values(window.corridorApp.index).map(e => e.props.popup || '').join('');
        document.body.appendChild(d); return d.querySelectorAll('.corridor-popup').length; }""")
    # every placed feature has a popup ("location not published" ones are listed, not drawn)
    assert count == sum(int(c.gdf.geometry.notna().sum()) for c in catalog.collections.values())
    assert unmarked(v, "#all-popups") == []
    # each quote: our translation, labelled, then the verbatim Chinese
    for c in catalog.collections.values():
        for fid, row in c.gdf.iterrows():
            if not row.get("plan_text") or row.geometry is None:
                continue
            box = v.page.locator(f'#all-popups .corridor-popup[data-fid="{fid}"] .pp-plan')
            def flat(text: str) -> str:  # a feature quoting two passages has one a line
                return " ".join(text.split())

            assert flat(box.locator(".pp-translation").inner_text()) == flat(f"Our translation: {row['plan_text_en']}")
            assert flat(box.locator("blockquote[lang=zh]").inner_text()) == flat(row["plan_text"])
            assert "Part " in box.inner_text() or "Box " in box.inner_text()


def test_park_pages_and_indicators_in_english(en, catalog):
    parks = catalog.collection("parks").gdf
    v = en("/parks?lang=en")
    assert unmarked(v) == []
    for fid, row in parks.iterrows():
        v.open(f"/parks/{fid}?lang=en")
        assert unmarked(v) == [], fid
        assert v.page.locator(".plan-translation").inner_text() == f"Our translation: {row['plan_text_en']}"
        assert v.page.locator("blockquote.plan-text").get_attribute("lang") == "zh"
    v.open("/indicators?lang=en")
    assert unmarked(v) == []
    table = v.page.locator("#indicator-table").inner_text()
    assert "预期性" not in table and "indicative" in table and "about 11.2" in table
    # the starred (2019) figures point to the footnote that explains them
    stars = v.page.locator("#indicator-table a.star")
    assert stars.count() == sum(r["baseline_text"].endswith("∗") for r in catalog.indicators) > 0
    assert stars.first.get_attribute("href") == "#star-note"
    assert "2019" in v.page.locator("#star-note").inner_text()


@pytest.mark.parametrize("path", ["/api", "/api/collections", "/api/collections/parks",
                                  "/api/collections/parks/items?limit=3"])
def test_api_pages_follow_accept_language(en, path):
    v = en(path)  # a browser asking for English, no lang parameter
    assert v.page.locator("html").get_attribute("lang") == "en"
    # the navigation keeps the language and leads back to the map
    assert v.page.locator("#api-to-map").get_attribute("href") == "/?lang=en"
    hrefs = v.page.locator("nav a:not(#api-lang-switch)").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert all("lang=en" in h for h in hrefs if not h.endswith("/docs")), hrefs
    assert "lang=zh" in v.page.locator("#api-lang-switch").get_attribute("href")


def test_api_page_in_chinese_for_a_chinese_browser(chromium, live_server):
    v = Visit(chromium, live_server, "zh-CN")
    v.open("/api/collections")
    assert v.page.locator("html").get_attribute("lang") == "zh-CN"
    assert "湾区" in v.page.locator("table").inner_text()
    v.close()
