"""The ``/match`` page in both languages: the form offers the vocabulary and the research
collections, the ranked list is the API's, each placed park has a small map highlighting the
research counted, the permalink keeps every criterion, CSV and PDF links, navigation."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from catalog import word

QUERY = ("industry=semiconductor&industry=" + quote("海洋生物医药") +
         "&research=&research=universities&research=labs&km=8&w-area=0.5")


def page(client, query: str) -> str:
    resp = client.get(f"/match?{query}")
    assert resp.status_code == 200, resp.get_data(as_text=True)[-500:]
    return resp.get_data(as_text=True)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_ranks_as_the_api_with_a_map_per_placed_park(client, lang):
    html = page(client, f"{QUERY}&lang={lang}")
    api = client.get("/api/match?industry=semiconductor," + quote("海洋生物医药")
                     + "&research=universities,labs&km=8&w-area=0.5").get_json()
    items = re.findall(r'<li data-park="([^"]+)" data-rank="(\d+)" data-score="([^"]+)"(.*?)</li>\s*(?=<li data-park|</ol>)',
                       html, re.S)
    assert [i[0] for i in items] == [m["park"]["id"] for m in api["matches"]]
    for (pid, rank, score, body), m in zip(items, api["matches"]):
        assert int(rank) == m["rank"] and float(score) == pytest.approx(m["score"])
        counted = sum(r["count"] or 0 for r in m["reasons"] if r["criterion"] == "research")
        if m["placed"]:
            assert body.count('class="counted"') == counted, pid
            assert "<svg" in body
        else:
            assert "<svg" not in body and 'class="unplaced"' in body
        names = [f["name_" + lang] for r in m["reasons"] if r["criterion"] == "research"
                 for f in r["features"]][:3]
        assert all(unescape(n) in unescape(body) for n in names)
    assert word(lang, "names no asked industry") in html
    assert f"<h1>{word(lang, 'Site match')}</h1>" in html


def test_the_form_offers_the_vocabulary_and_keeps_the_criteria(client):
    html = page(client, f"{QUERY}&lang=zh")
    assert re.search(r'name="industry" value="海洋生物医药" checked', html)
    assert re.search(r'name="industry" value="半导体"(?! checked)', html)
    assert re.search(r'name="industry" value="semiconductor" checked', html)  # asked, kept
    for cid, checked in (("universities", True), ("labs", True), ("platforms", False)):
        tick = re.search(rf'name="research" value="{cid}"( checked)?', html)
        assert tick and bool(tick.group(1)) == checked
    assert 'name="km" min="0.1" max="300" step="0.1" value="8"' in html
    assert 'name="w-area" min="0" max="1000" step="any" value="0.5"' in html


def test_the_permalink_csv_and_pdf_keep_every_criterion(client):
    html = page(client, f"{QUERY}&lang=en")
    for anchor in ("match-permalink", "match-csv", "match-pdf"):
        href = unescape(re.search(rf'href="([^"]+)" id="{anchor}"', html).group(1))
        q = parse_qs(urlsplit(href).query, keep_blank_values=True)
        assert q["industry"] == ["semiconductor,海洋生物医药"] and q["km"] == ["8"]
        assert q["research"] == ["universities,labs"] and q["w-area"] == ["0.5"]
        assert q["w-industry"] == ["10"]
        resp = client.get(href)
        assert resp.status_code == 200, anchor
    permalink = unescape(re.search(r'href="([^"]+)" id="match-permalink"', html).group(1))
    assert page(client, urlsplit(permalink).query).count("data-rank=") == html.count("data-rank=")


def test_linked_from_the_navigation_and_the_parks_matrix(client):
    for path in ("/parks?lang=en", "/?lang=en", "/match?lang=en"):
        assert 'id="nav-match"' in client.get(path).get_data(as_text=True), path
    parks = client.get("/parks?lang=zh").get_data(as_text=True)
    assert re.search(r'href="/match\?lang=zh" id="parks-match"', parks)


@pytest.mark.parametrize("query, named", [("industry=nope-nope", "nope-nope"), ("km=0", "km"),
                                          ("research=parks", "parks")])
def test_bad_criteria_are_a_400_page_naming_the_value(client, query, named):
    resp = client.get(f"/match?{query}&lang=en")
    assert resp.status_code == 400 and named in resp.get_data(as_text=True)


def test_the_stated_tie_rule_is_the_domains_in_both_languages(client):
    from corridor.match import TIE_RULE
    from web.reports.match import TIE_RULE as TIE_RULE_MESSAGE

    assert TIE_RULE_MESSAGE == TIE_RULE
    for lang in ("zh", "en"):
        assert word(lang, TIE_RULE) in page(client, f"lang={lang}")
