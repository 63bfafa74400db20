"""Bad input on the map pages: a clear 4xx naming the bad value, never a 500."""

from __future__ import annotations

import pytest

HTML_CASES = [
    ("/?lang=fr", 400, "fr"),
    ("/parks?lang=de", 400, "de"),
    ("/indicators?lang=xx", 400, "xx"),
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
