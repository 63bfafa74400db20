"""The plan over time: ``datetime=`` OGC intervals against each feature's own interval, on
both engines, held to an independent filter over the data files (read here with json, not
through the store), and the dates table's provenance."""

from __future__ import annotations

import json
import tomllib
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "geodata" / "data"
PLAN_COLLECTIONS = ("parks", "universities", "labs", "facilities", "platforms", "incubators", "zones")
INTERVALS = ["2020-01-01/2022-12-31", "../2021-06-30", "2024-01-01/..", "2018-06-01",
             "../2015-12-31", "2021-01-01T00:00:00Z/2021-12-31T23:59:59Z", "2016-01-01/.."]


def _file_features(cid: str) -> list[dict]:
    return json.loads((DATA / f"{cid}.geojson").read_text(encoding="utf-8"))["features"]


def _day(text: str | None) -> date | None:
    return None if text in (None, "", "..") else date.fromisoformat(text[:10])


def _expected(cid: str, text: str) -> list[str]:
    """The semantics written out again: an interval meets [qs, qe]; planned with no date
    only meets an open end; no start (not planned) is open."""
    ends = text.split("/") if "/" in text else [text, text]
    qs, qe = _day(ends[0]), _day(ends[1])
    out = []
    for f in _file_features(cid):
        p = f["properties"]
        start, end = (p.get("interval") or [None, None])
        s, e = _day(start), _day(end)
        if "interval" in p and s is None and p.get("status") == "planned":
            ok = qe is None
        else:
            ok = (qe is None or s is None or s <= qe) and (qs is None or e is None or e >= qs)
        if ok:
            out.append(f["id"])
    return out


@pytest.mark.parametrize("cid", PLAN_COLLECTIONS)
@pytest.mark.parametrize("when", INTERVALS)
def test_items_datetime_matches_an_independent_filter(any_app, cid, when):
    got = any_app.test_client().get(f"/api/collections/{cid}/items?datetime={when}&limit=1000")
    assert got.status_code == 200, got.get_json()
    assert [f["id"] for f in got.get_json()["features"]] == _expected(cid, when)


def test_the_intervals_tell_features_apart(any_app):
    # not a test that cannot fail: the chosen intervals give different answers
    answers = {when: tuple(_expected("labs", when)) for when in INTERVALS}
    assert len(set(answers.values())) >= 3
    client = any_app.test_client()
    early = [f["id"] for f in client.get("/api/collections/labs/items?datetime=../2015-12-31&limit=100")
             .get_json()["features"]]
    assert "lab-marine-national" in early and "lab-new-energy-shandong" not in early


def test_planned_with_no_date_only_in_an_open_future(any_app):
    client = any_app.test_client()
    fid = "facility-ecosystem-simulation"  # planned, no date
    open_future = client.get("/api/collections/facilities/items?datetime=2024-01-01/..&limit=100").get_json()
    closed = client.get("/api/collections/facilities/items?datetime=2020-01-01/2030-12-31&limit=100").get_json()
    assert fid in [f["id"] for f in open_future["features"]]
    assert fid not in [f["id"] for f in closed["features"]]


@pytest.mark.parametrize("when", ["2020-01-01/2022-12-31", "../2019-12-31", "2024-01-01/.."])
def test_near_and_at_take_datetime(any_app, when):
    client = any_app.test_client()
    allnear = client.get("/api/near?of=120.49,36.15&km=30").get_json()["features"]
    near = client.get(f"/api/near?of=120.49,36.15&km=30&datetime={when}")
    assert near.status_code == 200, near.get_json()
    keep = {fid for cid in PLAN_COLLECTIONS for fid in _expected(cid, when)}
    plan_ids = {f["id"] for cid in PLAN_COLLECTIONS for f in _file_features(cid)}
    want = [f["id"] for f in allnear if f["id"] not in plan_ids or f["id"] in keep]
    assert [f["id"] for f in near.get_json()["features"]] == want
    at = client.get(f"/api/at?lon=120.35&lat=36.27&datetime={when}")
    assert at.status_code == 200


@pytest.mark.parametrize(("value", "words"), [
    ("2022-12-31/2020-01-01", "ends before it starts"), ("../..", "open at both ends"),
    ("yesterday", "is not valid"), ("2021-02-30", "not a real date"), ("2021", "is not valid"),
    ("a/b/c", "is not valid"),
])
def test_bad_intervals_are_a_400_naming_the_value(client, value, words):
    for path in ("/api/collections/labs/items", "/api/near?of=120.49,36.15&km=3", "/api/at?lon=120.4&lat=36.1"):
        sep = "&" if "?" in path else "?"
        resp = client.get(f"{path}{sep}datetime={value}")
        body = resp.get_json()
        assert resp.status_code == 400, (path, body)
        assert value in body["description"] and words in body["description"]
        assert "expected" in body["description"]


def test_openapi_declares_datetime_once_for_items_near_and_at(client):
    doc = client.get("/api/openapi?f=json").get_json()
    assert "datetime" in doc["components"]["parameters"]
    for path in ("/items", "/near", "/at"):
        ops = [p for p in doc["paths"] if p.endswith(path)]
        assert ops, path
        refs = json.dumps(doc["paths"][ops[0]])
        assert "#/components/parameters/datetime" in refs, path


def test_every_date_comes_from_its_cited_evidence():
    table = tomllib.loads((ROOT / "geodata" / "inventory" / "dates.toml").read_text(encoding="utf-8"))
    by_id = {f["id"]: f for cid in PLAN_COLLECTIONS for f in _file_features(cid)}
    for entry in table["feature"]:
        p = by_id[entry["id"]]["properties"]
        if "start" not in entry:
            assert p["interval"][0] is None and p["date_note"]
            continue
        y, *rest = entry["start"].split("-")
        assert p["interval"][0] == date(int(y), *(int(r) for r in rest), *([1] * (2 - len(rest)))).isoformat()
        for kind in ("start", "opened"):
            if kind in entry:
                cited = p["evidence"][entry[f"{kind}_source"] - 1]
                assert entry[kind][:4] in cited["title"] + cited["says"] + str(cited.get("published", ""))
    # every feature whose year is recorded is dated, and nothing ends
    for f in by_id.values():
        p = f["properties"]
        assert p["interval"][1] is None
        if p.get("year"):
            assert p["interval"][0] is not None or p["date_note"], f["id"]
        if p["interval"][0] is None:
            assert p["date_note"]


def test_status_as_of_the_plan_agrees_with_the_dates():
    plan_day = date(2021, 9, 1)
    for cid in PLAN_COLLECTIONS:
        for f in _file_features(cid):
            p = f["properties"]
            start = _day(p["interval"][0])
            opened = [_day(d["date"] + "-01-01"[len(d["date"]) - 4:]) for d in p["dates"] if d["kind"] == "opened"]
            if opened and opened[0] <= plan_day:
                assert p.get("status") == "operating", f["id"]
            if start is not None and start > plan_day:
                assert p.get("status") == "planned", f["id"]


def test_a_feature_interval_that_is_not_iso_dates_is_an_open_start():
    """A user layer's own column called ``interval`` (not our [start, end] of ISO dates) is
    read as an open start, as the docs say of user layers: it matches every interval, and a
    date that is not a real day does not stop the query."""
    from corridor import timeline

    asked = timeline.parse_interval("2020-01-01/2020-12-31")
    for value in ("2021-2023", ["someday", None], ["2021-02-30", None], [2021, 2022], ["2021-01-01"]):
        start, end, _ = timeline.feature_interval({"interval": value, "status": "operating"})
        assert (start, end) == (None, None), value
        assert timeline.matches({"interval": value, "status": "operating"}, asked), value
    # a real interval still decides: this one starts after the asked year
    assert not timeline.matches({"interval": ["2021-03-01", None]}, asked)


def test_a_user_layer_with_an_interval_column_answers_datetime_on_both_engines(request, store_kind, tmp_path):
    """SYNTHETIC firms whose text column ``interval`` is not ours: every firm has an open start."""
    from conftest import postgis_with
    from datafiles import synthetic_frame

    from corridor.model import ItemsQuery, NewLayer
    from corridor.store import Engine
    from corridor.timeline import parse_interval

    frame = synthetic_frame(50)
    frame["interval"] = ["2021-2023" if i % 2 else "2021-02-30" for i in range(50)]
    layer = NewLayer("firms", frame, title_en="SYNTHETIC firms")
    if store_kind == "embedded":
        store = Engine.user_layers(tmp_path / "layers")
        store.put_layer(layer)
    else:
        from corridor.store.postgis import PostgisStore

        store = PostgisStore(postgis_with(request, layers=[layer]))
        request.addfinalizer(store.close)
    page = store.items("firms", ItemsQuery(limit=100, when=parse_interval("../2015-12-31")))
    assert page.matched == 50
