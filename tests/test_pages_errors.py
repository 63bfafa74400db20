"""Bad input on the map pages: a clear 4xx naming the bad value, never a 500."""

from __future__ import annotations

from html import escape

import pytest
from catalog import word

HTML_CASES = [
    # a language the pages lack falls back to one they have, and says so
    ("/?lang=fr", 200, "fr"),
    ("/parks?lang=de", 200, "de"),
    ("/indicators?lang=xx", 200, "xx"),
    ("/parks/no-such-park", 404, "no-such-park"),
    ("/parks/ouc-laoshan", 404, "ouc-laoshan"),  # a real feature, but not a park
    ("/vendor/not-a-file.js", 404, None),
    ("/no/such/page", 404, None),
]

JSON_CASES = [
    ("/map-data/buffer", 400, "of"),
    ("/map-data/buffer?of=ouc-laoshan", 400, "''"),
    ("/map-data/buffer?of=ouc-laoshan&km=abc", 400, "abc"),
    ("/map-data/buffer?of=ouc-laoshan&km=-1", 400, "-1"),
    ("/map-data/buffer?of=ouc-laoshan&km=0", 400, "0"),
    ("/map-data/buffer?of=ouc-laoshan&km=301", 400, "301"),
    ("/map-data/buffer?of=ouc-laoshan&km=nan", 400, "nan"),
    ("/map-data/buffer?of=ouc-laoshan&km=inf", 400, "inf"),
    ("/map-data/buffer?of=999,36&km=5", 400, "999"),
    ("/map-data/buffer?of=nan,36&km=5", 400, "nan"),
    ("/map-data/buffer?of=120,36,1&km=5", 400, "120,36,1"),
    ("/map-data/buffer?of=a,b&km=5", 400, "a,b"),
    ("/map-data/buffer?of=ghost&km=5", 404, "ghost"),
]


@pytest.mark.parametrize("url,status,named", HTML_CASES)
def test_html_pages_answer_bad_input_clearly(client, url, status, named):
    resp = client.get(url, headers={"Accept": "text/html"})
    assert resp.status_code == status
    body = resp.get_data(as_text=True)
    assert "Traceback" not in body
    if named is not None:
        assert named in body


@pytest.mark.parametrize("url,status,named", JSON_CASES)
def test_map_data_answers_bad_input_with_the_error_body(client, url, status, named):
    resp = client.get(url)
    assert resp.status_code == status
    body = resp.get_json()
    assert set(body) == {"code", "description", "status"}
    assert body["status"] == status
    assert named in body["description"]


@pytest.mark.parametrize("url,accept,back", [
    ("/parks/nope", "zh-CN", "/parks?lang=zh"),
    ("/parks/nope?lang=en", "zh-CN", "/parks?lang=en"),
    ("/no/such/page", "en-GB", "/?lang=en"),
    ("/no/such/page", "zh-CN", "/?lang=zh"),
])
def test_errors_are_in_the_pages_language_with_a_way_back(client, url, accept, back):
    resp = client.get(url, headers={"Accept-Language": accept})
    assert resp.status_code == 404
    body = resp.get_data(as_text=True)
    lang = "en" if "lang=en" in url or accept.startswith("en") else "zh"
    assert f'<html lang="{"en" if lang == "en" else "zh-CN"}">' in body
    assert 'class="topbar"' in body  # inside the site's chrome
    assert 'id="error-back">' in body and f'href="{back}" id="error-back"' in body
    words = word(lang, "Page not found")
    assert f"<h1>{words}" in body
    # no English developer message on a Chinese page
    if lang == "zh":
        assert "not found" not in body.lower() and "no such" not in body.lower()


def test_an_unknown_language_falls_back_and_says_so(client):
    html = client.get("/?lang=fr", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="en">' in html and escape("Qingdao bay-area S&T innovation corridor map") in html
    assert "There is no “fr” version; this page is in English." in html
