"""Production behaviour of the app itself: health, request ids, the JSON access log, security
headers on every kind of response, URL and body limits, settings."""

from __future__ import annotations

import json
import logging

import pytest

from web.ops import ACCESS_LOG, script_hashes


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture()
def access_log():
    handler = Lines()
    log = logging.getLogger(ACCESS_LOG)
    log.addHandler(handler)
    yield handler.lines
    log.removeHandler(handler)


def test_health_and_readiness(mini_app, mini_client):
    assert mini_client.get("/healthz").get_json() == {"status": "ok"}
    ready = mini_client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ready", "data_version": mini_app.extensions["corridor_store"].version}


def test_readiness_fails_when_the_store_cannot_answer(mini_app, monkeypatch):
    store = mini_app.extensions["corridor_store"]

    def unreachable() -> None:
        raise ConnectionError("database went away")

    monkeypatch.setattr(store, "check", unreachable)
    resp = mini_app.test_client().get("/readyz")
    assert resp.status_code == 503 and resp.get_json()["status"] == "not ready"
    assert "database went away" not in resp.get_data(as_text=True)  # no internals leak


def test_request_id_is_returned_and_an_incoming_one_kept(mini_client):
    made = mini_client.get("/healthz").headers["X-Request-ID"]
    assert len(made) == 32 and made != mini_client.get("/healthz").headers["X-Request-ID"]
    kept = mini_client.get("/api", headers={"X-Request-ID": "lb-7f3a.2"})
    assert kept.headers["X-Request-ID"] == "lb-7f3a.2"
    # a header that is not a plausible id (spaces, newline tricks, overlong) is replaced
    for bad in ("a b", "x" * 200, "id\\nforged: 1"):
        got = mini_client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert got != bad and len(got) == 32


def test_one_json_access_line_per_request(mini_client, access_log):
    mini_client.get("/api/collections/parks/items?limit=1", headers={"X-Request-ID": "req-1"})
    mini_client.get("/api/collections/nope")
    entries = [json.loads(line) for line in access_log]
    assert len(entries) == 2
    first, second = entries
    assert first["method"] == "GET" and first["path"] == "/api/collections/parks/items"
    assert first["query"] == "limit=1" and first["status"] == 200 and first["request_id"] == "req-1"
    assert first["duration_ms"] >= 0 and first["bytes"] > 0
    assert second["status"] == 404


def test_default_access_handler_writes_lines_and_yields_to_filters(mini_client):
    """With its own handler alone, the access log writes each line straight to the stream;
    a filter on the logger (any logging set-up beyond the default) sees a record per line."""
    import io

    from web.ops import AccessLineHandler

    log = logging.getLogger(ACCESS_LOG)
    saved = log.handlers[:]
    stream = io.StringIO()
    handler = AccessLineHandler()
    handler.setStream(stream)
    log.handlers[:] = [handler]
    seen: list[str] = []

    def keep_two(record: logging.LogRecord) -> bool:
        seen.append(record.getMessage())
        return len(seen) <= 1

    try:
        mini_client.get("/api", headers={"X-Request-ID": "direct-1"})
        log.addFilter(keep_two)
        mini_client.get("/api", headers={"X-Request-ID": "record-2"})
        mini_client.get("/api", headers={"X-Request-ID": "record-3"})
    finally:
        log.removeFilter(keep_two)
        log.handlers[:] = saved
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [e["request_id"] for e in lines] == ["direct-1", "record-2"]  # the filter dropped #3
    assert [json.loads(m)["request_id"] for m in seen] == ["record-2", "record-3"]


def test_access_line_is_json_whatever_the_request_holds(mini_client, access_log):
    """Quotes, backslashes, control characters and non-ASCII text in the path and the raw
    query string come back exactly from the JSON line (escaped where JSON needs it)."""
    query = 'q="a\\b"&x=\x01\x1f\x7f&y=青'
    path = "/api/collections/青岛\"x\\"
    mini_client.get(path, environ_overrides={"QUERY_STRING": query.encode().decode("latin-1")})
    mini_client.get("/api")
    first, second = (json.loads(line) for line in access_log)
    assert first["path"] == path and first["query"] == query.encode().decode("latin-1")
    assert first["status"] in (400, 404) and first["bytes"] > 0 and isinstance(first["duration_ms"], float)
    assert second["path"] == "/api" and second["query"] == "" and second["status"] == 200
    assert set(first) == {"ts", "method", "path", "query", "status", "duration_ms", "request_id", "bytes"}
    assert first["ts"][:2] == "20" and first["ts"][10] == "T" and len(first["ts"]) == 19


@pytest.mark.parametrize("path", ["/", "/parks", "/indicators", "/api", "/api/collections?f=html",
                                  "/api/collections/parks/items", "/api/nope", "/parks/nope",
                                  "/static/map.js", "/vendor/leaflet.js", "/healthz", "/favicon.ico"])
def test_security_headers_on_every_response(mini_client, path):
    resp = mini_client.get(path)
    resp.close()  # static files stream from an open file
    h = resp.headers
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
    assert "Server" not in h or "/" not in h["Server"]  # never a version
    body = resp.data.decode() if resp.mimetype == "text/html" else ""
    if body:
        csp = h["Content-Security-Policy"]
        # only the app's own scripts: no other origin, and every inline script by its hash
        assert "script-src 'self'" in csp and "http" not in csp.split("script-src", 1)[1].split(";")[0]
        for source in script_hashes(body):
            assert source in csp


def test_csp_follows_the_page_cache_and_gzip(mini_client):
    plain = mini_client.get("/?lang=en")
    zipped = mini_client.get("/?lang=en", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert plain.headers["Content-Security-Policy"] == zipped.headers["Content-Security-Policy"]
    hashes = script_hashes(plain.get_data(as_text=True))
    assert len(hashes) >= 2  # the map's inline script is allowed by its hash, not by 'unsafe-inline'
    assert "'unsafe-inline'" not in plain.headers["Content-Security-Policy"].split("style-src")[0]


def test_tile_host_is_allowed_only_when_configured(mini_store):
    from conftest import MINI_GEODATA

    from web import create_app

    off = create_app({"TESTING": True, "GEODATA_DIR": str(MINI_GEODATA)}).test_client()
    on = create_app({"TESTING": True, "GEODATA_DIR": str(MINI_GEODATA), "TIANDITU_KEY": "k"}).test_client()
    assert "tianditu" not in off.get("/").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://*.tianditu.gov.cn" in on.get("/").headers["Content-Security-Policy"]


def test_url_and_body_limits(mini_client):
    long = mini_client.get("/api/collections/parks/items?q=" + "x" * 8100)
    assert long.status_code == 414 and long.get_json()["code"] == "URITooLong"
    assert "expected at most 8000" in long.get_json()["description"]
    big = mini_client.post("/api/collections", data=b"x" * 2_000_000)
    assert big.status_code == 413 and "expected at most 1048576" in big.get_json()["description"]


def test_no_stack_trace_in_a_server_error(mini_app, monkeypatch):
    """An unexpected failure answers the error body, with no traceback or code in it."""
    store = mini_app.extensions["corridor_store"]

    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(store, "items", broken)
    # an answer kept by an earlier test would be served without asking the store
    monkeypatch.delitem(mini_app.extensions, "corridor_responses", raising=False)
    mini_app.testing = False  # TESTING would re-raise instead of answering
    monkeypatch.setitem(mini_app.config, "PROPAGATE_EXCEPTIONS", False)
    resp = mini_app.test_client().get("/api/collections/parks/items")
    mini_app.testing = True
    text = resp.get_data(as_text=True)
    assert resp.status_code == 500 and resp.get_json()["status"] == 500
    assert "Traceback" not in text and "secret internal detail" not in text and ".py" not in text


def test_serve_settings_come_from_the_environment(monkeypatch):
    from conftest import MINI_GEODATA

    from web import create_app
    from web.serve import gunicorn_options

    monkeypatch.setenv("CORRIDOR_WORKERS", "3")
    monkeypatch.setenv("CORRIDOR_PORT", "9123")
    monkeypatch.setenv("CORRIDOR_CORS_ORIGINS", "https://planning.example")
    app = create_app({"TESTING": True, "GEODATA_DIR": str(MINI_GEODATA)})
    opts = gunicorn_options(app.config)
    assert opts["workers"] == 3 and opts["bind"] == "127.0.0.1:9123" and opts["preload_app"]
    resp = app.test_client().get("/api", headers={"Origin": "https://planning.example"})
    assert resp.headers["Access-Control-Allow-Origin"] == "https://planning.example"
    other = app.test_client().get("/api", headers={"Origin": "https://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_api_documents_are_built_once_per_request_shape(monkeypatch):
    """The landing page (and the other fixed documents) are built once, then served from
    memory; another language or format is another document."""
    from conftest import MINI_GEODATA

    import web.api.landing as landing
    from web import create_app

    calls = []
    real = landing.extension_links
    monkeypatch.setattr(landing, "extension_links", lambda store: calls.append(1) or real(store))
    client = create_app({"TESTING": True, "GEODATA_DIR": str(MINI_GEODATA)}).test_client()
    first = client.get("/api?lang=en")
    again = client.get("/api?lang=en")
    assert first.data == again.data and len(calls) == 1
    assert again.headers["X-Request-ID"] != first.headers["X-Request-ID"]  # hooks still run
    assert again.headers["ETag"] == first.headers["ETag"]
    client.get("/api?lang=zh")
    client.get("/api?lang=en&f=html")
    assert len(calls) == 3


def test_the_master_freezes_what_it_loaded_before_each_fork():
    """corridor serve and a plain gunicorn command with web.gunicorn_conf both run
    freeze_before_fork before each fork: what the master loaded leaves the collector's sight
    (and cyclic garbage made while loading is collected first, not frozen)."""
    import gc
    import subprocess
    import sys

    from gunicorn.config import Config

    from web import gunicorn_conf, serve

    cfg = Config()
    for key, value in serve.gunicorn_options({"HOST": "127.0.0.1", "PORT": 8000, "WORKERS": 2,
                                              "THREADS": 4, "GRACEFUL_TIMEOUT": 30}).items():
        cfg.set(key, value)
    assert cfg.pre_fork is serve.freeze_before_fork
    assert gunicorn_conf.pre_fork is serve.freeze_before_fork
    # in a process of its own: freezing this one would keep the test session's garbage
    code = ("import gc, weakref\n"
            "class Node: pass\n"
            "a = Node(); a.self = a; gone = weakref.ref(a); del a\n"
            "kept = [dict(n=i) for i in range(1000)]\n"
            "from web.serve import freeze_before_fork\n"
            "freeze_before_fork(None, None)\n"
            "print(gone() is None, gc.get_freeze_count() >= 1000)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]
    assert gc.get_freeze_count() == 0  # this process left as it was
