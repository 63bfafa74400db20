"""``GET /api/match`` against brute force from the data files, on the in-process engine and on
PostGIS: JSON with the criteria echoed, CSV, HTML, the OpenAPI declaration, 400s naming the
bad value."""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

import pytest
from matchbrute import AMBIGUOUS_M, research_near, unique_terms


@pytest.fixture(scope="module")
def api(any_app):
    return any_app.test_client()


def get_json(client, query: str) -> dict:
    resp = client.get(f"/api/match?{query}")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:400]
    return resp.get_json()


def test_an_industry_only_one_park_names_ranks_it_first(api, catalog):
    for term, pid in unique_terms(catalog)[::4]:
        doc = get_json(api, f"industry={quote(term)}")
        assert doc["criteria"]["industry"] == [term]
        first, *rest = doc["matches"]
        assert first["park"]["id"] == pid and first["rank"] == 1 and first["matched"]
        assert set(first["park"]) == {"id", "name_zh", "name_en"}
        assert not any(m["matched"] for m in rest)
        names = catalog.collection("parks").gdf.loc[pid]
        assert first["park"]["name_zh"] == names["name_zh"]


def test_research_counts_and_distances_equal_brute_force(api, catalog):
    km = 10.0
    doc = get_json(api, f"industry=semiconductor,{quote('海洋生物医药')}&km={km:g}&research=universities,labs")
    assert doc["criteria"]["research"] == ["universities", "labs"] and doc["criteria"]["km"] == km
    assert "geodesic" in doc["criteria"]["distance"] and doc["criteria"]["tie_rule"]
    for m in doc["matches"]:
        research = [r for r in m["reasons"] if r["criterion"] == "research"]
        assert [r["collection"] for r in research] == ["universities", "labs"]
        if not m["placed"]:
            assert all(r["count"] is None and "not published" in r["note"] for r in research)
            continue
        for r in research:
            sure_in, sure_out, dist = research_near(catalog, m["park"]["id"], r["collection"], km)
            got = {f["id"]: f["distance_km"] * 1000 for f in r["features"]}
            assert sure_in <= set(got) and not sure_out & set(got)
            assert r["count"] == len(got) and r["points"] == len(got)
            assert all(abs(d - dist[f]) < AMBIGUOUS_M for f, d in got.items())
        assert m["score"] == pytest.approx(sum(r["points"] for r in m["reasons"]))


def test_a_weight_reorders_as_the_breakdown_predicts(api):
    base = get_json(api, "industry=AI&w-area=0")
    w = {"industry": 1.0, "research": 0.0, "area": 2.0}
    moved = get_json(api, "industry=AI&w-industry=1&w-research=0&w-area=2")
    assert moved["criteria"]["weights"] == {**w, "layer": 1.0}

    def key(m):
        units = {"industry": 0, "research": 0, "area": 0.0}
        for r in m["reasons"]:
            if r["criterion"] == "industry":
                units["industry"] += bool(r["matched"])
            elif r["criterion"] == "research":
                units["research"] += r["count"] or 0
            elif r["criterion"] == "area":
                units["area"] = r["km2"] or 0.0
        score = round(sum(units[k] * w[k] for k in w), 6)
        return (units["industry"] == 0, -score, -units["industry"], -units["research"])

    # the last tie-break is the parks' data order: what a match with every score 0 gives
    order = [m["park"]["id"] for m in get_json(api, "research=&w-area=0&w-industry=0")["matches"]]
    predicted = sorted(base["matches"], key=lambda m: (*key(m), order.index(m["park"]["id"])))
    assert [m["park"]["id"] for m in moved["matches"]] == [m["park"]["id"] for m in predicted]
    assert [m["park"]["id"] for m in moved["matches"]] != [m["park"]["id"] for m in base["matches"]]


def test_csv_has_a_row_per_park_in_rank_order(api):
    doc = get_json(api, "industry=AI")
    resp = api.get("/api/match?industry=AI&f=csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["park_id"] for r in rows] == [m["park"]["id"] for m in doc["matches"]]
    assert [float(r["score"]) for r in rows] == [m["score"] for m in doc["matches"]]
    assert "universities_within_10km" in rows[0]


def test_html_lists_the_parks_with_reasons(api):
    resp = api.get("/api/match?industry=AI&f=html")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="match-table"' in text
    doc = get_json(api, "industry=AI")
    assert text.index(doc["matches"][0]["park"]["id"]) < text.index(doc["matches"][-1]["park"]["id"])


@pytest.mark.parametrize("query, named", [
    ("industry=not-an-industry", "not-an-industry"),
    ("research=universities,zones", "zones"),
    ("km=-1", "-1"),
    ("w-research=lots", "lots"),
    ("layer=parks", "parks"),
    ("f=docx", "docx"),
])
def test_bad_criteria_are_a_400_naming_the_value(client, query, named):
    resp = client.get(f"/api/match?{query}")
    assert resp.status_code in (400, 406)
    assert resp.status_code == 400 or named == "docx"
    assert named in resp.get_json()["description"]


def test_the_operation_is_declared_in_openapi(client):
    doc = client.get("/api/openapi?f=json").get_json()
    op = doc["paths"]["/match"]["get"]
    names = {doc["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]["name"] for p in op["parameters"]}
    assert names == {"industry", "research", "km", "layer", "w-industry", "w-research", "w-layer",
                     "w-area", "f", "lang"}
    assert "application/pdf" in op["responses"]["200"]["content"]
