"""The PostGIS store under the production server (gunicorn), and its faults: two replicas
following each other's writes, the database restarting under load, a pool exhausted, an
import that fails half-way. Layer data is SYNTHETIC; every load loop is bounded."""

from __future__ import annotations

import json
import threading
import time

import pytest
from conftest import MINI_GEODATA, new_pg_cluster, postgis_with
from datafiles import synthetic_frame
from test_faults import Load, server
from test_layers_served import ROUNDS, request, statuses

from corridor.errors import Unavailable
from corridor.model import NewLayer

pytestmark = pytest.mark.postgis
TOKEN = "replica-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
#: No request may take longer than this, even while the database is down (no hang).
NO_HANG_S = 8.0


@pytest.fixture()
def own_cluster():
    """A PostgreSQL server of its own (these tests stop and restart it)."""
    with new_pg_cluster() as cluster:
        yield cluster


def _database(cluster, layers=()) -> str:
    """A database holding the SYNTHETIC mini catalog and ``layers``."""
    from corridor.store import Engine

    return postgis_with(None, Engine.load(MINI_GEODATA), layers, cluster)


def test_two_replicas_follow_each_others_writes(pg_cluster, monkeypatch):
    """Two `corridor serve` instances (2 workers each) on one database: a write through one
    is seen, with a fresh ETag, by every worker of the other on its next request."""
    from corridor.store.postgis import PostgisStore

    url = _database(pg_cluster, [NewLayer("firms", synthetic_frame(300), title_en="SYNTHETIC firms")])
    monkeypatch.setenv("CORRIDOR_DATABASE_URL", url)
    monkeypatch.setenv("CORRIDOR_ADMIN_TOKEN", TOKEN)
    with server(workers=2, threads=2) as (_, a), server(workers=2, threads=2) as (_, b):
        status, headers, body = request(b, "GET", "/api/collections/firms/items?limit=1")
        assert status == 200 and json.loads(body)["numberMatched"] == 300
        etag_b = headers["ETag"]
        new = {"type": "Feature", "id": "via-a", "properties": {"kind": "chip"},
               "geometry": {"type": "Point", "coordinates": [120.38, 36.07]}}
        assert request(a, "POST", "/api/collections/firms/items", new, AUTH)[0] == 201
        assert statuses(b, "/api/collections/firms/items/via-a") == {200}
        assert statuses(b, "/api/collections/firms/items?limit=1", {"If-None-Match": etag_b}) == {200}
        counts = {json.loads(request(b, "GET", "/api/collections/firms/items?limit=1")[2])["numberMatched"]
                  for _ in range(ROUNDS)}
        assert counts == {301}
        assert request(b, "DELETE", "/api/collections/firms/items/via-a", headers=AUTH)[0] == 204
        assert statuses(a, "/api/collections/firms/items/via-a") == {404}
        # an import by another process (corridor import) reaches both whole
        writer = PostgisStore(url)
        try:
            writer.put_layer(NewLayer("firms", synthetic_frame(40, seed=5)))
        finally:
            writer.close()
        for port in (a, b):
            counts = {json.loads(request(port, "GET", "/api/collections/firms/items?limit=1")[2])["numberMatched"]
                      for _ in range(ROUNDS)}
            assert counts == {40}


def test_database_restart_under_load_fails_fast_and_recovers(own_cluster, monkeypatch):
    """Requests while the database is down get a quick 503 (never a 500, never a hang);
    once it is back every worker answers 200 again, with no restart of the app."""
    url = _database(own_cluster, [NewLayer("firms", synthetic_frame(2000), title_en="SYNTHETIC firms")])
    monkeypatch.setenv("CORRIDOR_DATABASE_URL", url)
    path = "/api/collections/firms/items?near=120.38,36.07&km=8&limit=20"
    with server(workers=2, threads=4) as (_, port):
        assert statuses(port, path) == {200}
        with Load(port, path, clients=6, seconds=60) as load:
            time.sleep(1.5)
            own_cluster.stop("fast")
            down_at = time.monotonic()
            time.sleep(3.0)
            assert request(port, "GET", "/healthz")[0] == 200  # the process itself lives
            ready = request(port, "GET", "/readyz")
            assert ready[0] == 503
            body = request(port, "GET", path)
            assert body[0] == 503 and body[1].get("Retry-After")
            assert set(json.loads(body[2])) == {"code", "description", "status"}
            restart_at = time.monotonic()  # the server accepts again before start() returns
            own_cluster.start()
            up_at = time.monotonic()
            time.sleep(4.0)
        outcomes = [o for *_, o in load.results]
        assert set(outcomes) <= {"200", "503"}, sorted(set(outcomes))
        while_down = [o for s, e, o in load.results if down_at + 0.5 < s and e < restart_at]
        assert while_down and set(while_down) == {"503"}
        assert max(e - s for s, e, _ in load.results) < NO_HANG_S
        late = [o for s, _, o in load.results if s > up_at + 3.0]
        assert late and set(late) == {"200"}
        assert statuses(port, path) == {200} and request(port, "GET", "/readyz")[0] == 200


def test_an_exhausted_pool_answers_503_at_once_and_recovers(pg_cluster):
    from web import create_app

    url = _database(pg_cluster)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "DATABASE_POOL_SIZE": 1,
                      "DATABASE_POOL_TIMEOUT": 0.5})
    client = app.test_client()
    assert client.get("/api/collections/parks/items").status_code == 200
    db = app.extensions["corridor_store"].db
    with db.connection():  # a slow request holds the one connection
        started = time.monotonic()
        resp = client.get("/api/collections/parks/items?limit=1")
        took = time.monotonic() - started
        assert resp.status_code == 503 and resp.headers["Retry-After"]
        assert "busy" in resp.get_json()["description"] and took < NO_HANG_S
        page = client.get("/parks")
        assert page.status_code == 503 and "503" in page.get_data(as_text=True)
        assert client.get("/healthz").status_code == 200
    assert not db.down  # busy is not down: the next request is served at once
    assert client.get("/api/collections/parks/items?limit=1").status_code == 200
    app.extensions["corridor_store"].close()


def _parts(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        return int(conn.execute(
            "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'corridor_part_%'").fetchone()[0])


def test_a_failed_import_leaves_the_old_layer(pg_cluster, monkeypatch):
    """An import that breaks half-way (a bad row, or its connection killed mid-COPY)
    leaves the previous version whole for every reader, and no half-built table."""
    from corridor.store import pgwrite
    from corridor.store.postgis import PostgisStore

    url = _database(pg_cluster, [NewLayer("firms", synthetic_frame(500))])
    writer, reader = PostgisStore(url), PostgisStore(url)
    try:
        reader.refresh()
        before = reader.collection("firms")
        tables = _parts(url)
        real_rows = pgwrite._frame_rows

        def failing(frame, types):
            for i, row in enumerate(real_rows(frame, types)):
                if i == 700:
                    raise ValueError("row 700 is bad (simulated)")
                yield row

        monkeypatch.setattr(pgwrite, "_frame_rows", failing)
        with pytest.raises(ValueError, match="simulated"):
            writer.put_layer(NewLayer("firms", synthetic_frame(1000, seed=2)))
        reader.refresh()
        assert reader.collection("firms") == before and _parts(url) == tables
        assert len(reader.features("firms")) == 500

        def slow(frame, types):
            for i, row in enumerate(real_rows(frame, types)):
                if i % 100 == 0:
                    time.sleep(0.05)
                yield row

        monkeypatch.setattr(pgwrite, "_frame_rows", slow)
        failed: list[BaseException] = []

        def run() -> None:
            try:
                writer.put_layer(NewLayer("firms", synthetic_frame(3000, seed=3)))
            except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
                failed.append(exc)

        t = threading.Thread(target=run)
        t.start()
        time.sleep(0.5)
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:  # the server kills the importer
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE application_name = 'corridor' AND query LIKE 'COPY%%'")
        t.join(timeout=60)
        assert failed and isinstance(failed[0], Unavailable)
        reader.refresh()
        assert reader.collection("firms") == before and _parts(url) == tables
    finally:
        writer.close()
        reader.close()
