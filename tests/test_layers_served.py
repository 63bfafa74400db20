"""User layers under the production server (gunicorn, 2 worker processes): an import by
another process, and edits through one worker, are seen by every worker on its next request,
with fresh ETags; no restart. The layer is SYNTHETIC."""

from __future__ import annotations

import http.client
import json

from datafiles import synthetic_frame
from test_faults import server

from corridor.model import NewLayer
from corridor.store import Engine

TOKEN = "served-test-token"
ROUNDS = 24  # requests per check, each on a new connection (spread over both workers)


def request(port: int, method: str, path: str, body: dict | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        data = None if body is None else json.dumps(body).encode()
        hdrs = {"Connection": "close", **(headers or {})}
        if body is not None:
            hdrs["Content-Type"] = "application/geo+json"
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def statuses(port: int, path: str, headers: dict[str, str] | None = None) -> set[int]:
    return {request(port, "GET", path, headers=headers)[0] for _ in range(ROUNDS)}


def test_every_worker_follows_imports_and_edits(tmp_path, monkeypatch):
    root = tmp_path / "layers"
    monkeypatch.setenv("CORRIDOR_LAYERS_DIR", str(root))
    monkeypatch.setenv("CORRIDOR_ADMIN_TOKEN", TOKEN)
    # "early" is loaded by the master before it forks (each worker must then open its own
    # SQLite connection); "firms" arrives while the server runs
    Engine.user_layers(root).put_layer(NewLayer("early", synthetic_frame(30, seed=3)))
    with server(workers=2, threads=2) as (_, port):
        assert statuses(port, "/api/collections/firms") == {404}
        Engine.user_layers(root).put_layer(NewLayer("firms", synthetic_frame(500), title_en="SYNTHETIC firms"))
        assert statuses(port, "/api/collections/firms") == {200}
        auth = {"Authorization": f"Bearer {TOKEN}"}
        assert request(port, "DELETE", "/api/collections/early/items/syn-0", headers=auth)[0] == 204
        assert statuses(port, "/api/collections/early/items/syn-0") == {404}
        status, headers, body = request(port, "GET", "/api/collections/firms/items?limit=1")
        assert json.loads(body)["numberMatched"] == 500
        etag = headers["ETag"]
        new = {"type": "Feature", "id": "served-1", "properties": {"kind": "chip"},
               "geometry": {"type": "Point", "coordinates": [120.38, 36.07]}}
        assert request(port, "POST", "/api/collections/firms/items", new, auth)[0] == 201
        assert statuses(port, "/api/collections/firms/items/served-1") == {200}
        # no worker answers the old ETag as still fresh
        assert statuses(port, "/api/collections/firms/items?limit=1", {"If-None-Match": etag}) == {200}
        assert request(port, "DELETE", "/api/collections/firms/items/served-1", headers=auth)[0] == 204
        assert statuses(port, "/api/collections/firms/items/served-1") == {404}
        # a replacement import reaches every worker whole
        Engine.user_layers(root).put_layer(NewLayer("firms", synthetic_frame(40, seed=5)))
        counts = {json.loads(request(port, "GET", "/api/collections/firms/items?limit=1")[2])["numberMatched"]
                  for _ in range(ROUNDS)}
        assert counts == {40}
