"""Finding the data: the API's links from the pages and back, the collections table's
download links, the landing page's extension examples, and the profile's note on lists that
do not grow from 5 to 10 km."""

from __future__ import annotations

import re

import pytest
from catalog import word


def test_navigation_links_the_api_and_the_api_links_back(client):
    html = client.get("/?lang=en").get_data(as_text=True)
    assert 'href="/api/?f=html&amp;lang=en" id="nav-api">API / data</a>' in html
    page = client.get("/api/collections?f=html&lang=en").get_data(as_text=True)
    assert 'href="/?lang=en" id="api-to-map"' in page


def test_collections_table_offers_every_download_format(client, catalog):
    page = client.get("/api/collections?f=html&lang=en").get_data(as_text=True)
    types = {"csv": "text/csv", "gpkg": "application/geopackage+sqlite3",
             "kml": "application/vnd.google-earth.kml+xml", "json": "application/geo+json"}
    for cid in catalog.collections:
        for fmt in types:
            href = f"/api/collections/{cid}/items?f={fmt}&amp;lang=en"
            assert href in page, (cid, fmt)
        if cid == "parks":  # each kind of link answers with its format
            for fmt, mime in types.items():
                resp = client.get(f"/api/collections/{cid}/items?f={fmt}&lang=en")
                assert resp.status_code == 200 and resp.mimetype == mime, (fmt, resp.mimetype)


def test_landing_extension_links_work_as_given(client):
    doc = client.get("/api/?f=json").get_json()
    ext = [link for link in doc["links"] if link["title"].startswith("extension:")]
    assert {re.sub(r"\?.*", "", link["href"]).rsplit("/", 1)[1] for link in ext} == {"near", "nearest", "at"}
    for link in ext:
        assert "?" in link["href"]  # with example parameters
        resp = client.get(link["href"].replace("http://localhost", ""))
        assert resp.status_code == 200, (link["href"], resp.get_data(as_text=True)[:200])
        assert resp.get_json()["features"], link["href"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_profile_notes_when_the_10_km_list_adds_nothing(client, catalog, lang):
    seen = set()
    parks = catalog.collection("parks").gdf
    for fid in parks.index[parks.geometry.notna()]:  # an unplaced park has no nearby lists
        html = client.get(f"/parks/{fid}?lang={lang}").get_data(as_text=True)
        tables = {km: re.findall(r'<tr data-fid="([^"]+)"', html.split(f'data-km="{km}"', 1)[1].split("</table>", 1)[0])
                  for km in (5, 10)}
        note = word(lang, "The same as within %(smaller)s km: nothing more lies between %(smaller)s and "
                    "%(km)s km.", km="10", smaller="5")
        same = tables[5] == tables[10]
        assert (note in html) == same, fid
        seen.add(same)
    assert seen == {True, False}  # both cases occur in the data
