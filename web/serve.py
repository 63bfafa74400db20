"""Serve the app in production: gunicorn (the default), or waitress where gunicorn cannot
run (Windows).

gunicorn gets the app already built (``preload``): the data is loaded, validated, indexed
and serialised once in the master process, and the workers fork with it, sharing its memory
pages. Workers are threaded (``gthread``) so a slow client holds one thread, not a whole
worker; a worker that dies is replaced by the master; on SIGTERM each worker finishes the
requests it holds (up to ``GRACEFUL_TIMEOUT`` seconds) before it exits.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

SERVERS = ("gunicorn", "waitress")


def gunicorn_options(config: dict[str, Any]) -> dict[str, Any]:
    """gunicorn settings from the app's configuration (``HOST``, ``PORT``, ``WORKERS``...)."""
    return {
        "bind": f"{config['HOST']}:{int(config['PORT'])}",
        "workers": int(config["WORKERS"]),
        "worker_class": "gthread",
        "threads": int(config["THREADS"]),
        "preload_app": True,
        "graceful_timeout": int(config["GRACEFUL_TIMEOUT"]),
        "timeout": 60,
        "keepalive": 5,
        # the app answers URLs over MAX_URL_LENGTH itself with its JSON 414; gunicorn's own
        # ceiling (8190 bytes, its maximum) only catches what is longer still
        "limit_request_line": 8190,
        "accesslog": None,  # the app writes one JSON line per request (web.ops)
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "corridor",
    }


#: Pages rendered before the workers fork, in both languages, so no visitor waits for them.
WARM_PAGES = ("/", "/parks", "/indicators")


def warm(app: Flask) -> int:
    """Render :data:`WARM_PAGES` into the page cache; returns how many rendered fine."""
    client = app.test_client()
    urls = [(f"{path}?lang={lang}", lang) for path in WARM_PAGES for lang in ("zh", "en")]
    urls += [(path, lang) for path in WARM_PAGES for lang in ("zh", "en")]  # by Accept-Language
    return sum(client.get(url, headers={"X-Request-ID": "warm-up", "Accept-Language": lang}
                          ).status_code == 200 for url, lang in urls)


def run(app: Flask, server: str = "gunicorn") -> None:
    """Serve ``app`` until stopped.

    Raises
    ------
    ValueError
        For a server other than those of :data:`SERVERS`.
    """
    if server == "waitress":
        from waitress import serve

        serve(app, host=app.config["HOST"], port=int(app.config["PORT"]),
              threads=int(app.config["THREADS"]) * int(app.config["WORKERS"]))
        return
    if server != "gunicorn":
        raise ValueError(f"server {server!r} is not supported; expected one of {', '.join(SERVERS)}")
    from gunicorn.app.base import BaseApplication

    warm(app)  # in the master: the forked workers share the rendered pages

    class _Application(BaseApplication):  # type: ignore[misc]  # gunicorn is untyped
        def load_config(self) -> None:
            for key, value in gunicorn_options(app.config).items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return app

    _Application().run()
