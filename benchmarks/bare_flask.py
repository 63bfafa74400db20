"""The framework's ceiling for ``benchmarks.bench_http``: a bare Flask app with one trivial endpoint.

Served by gunicorn exactly like the corridor service (same workers, same options), so the
ratio "our endpoint / this endpoint" isolates what the service does on top of Flask itself.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify

app = Flask(__name__)


@app.get("/ping")
def ping() -> Response:
    """A small constant JSON document (about the size of a tiny API answer)."""
    return jsonify({"ok": True, "service": "bare-flask", "purpose": "benchmark ceiling"})
