"""Serve the app in production: gunicorn (the default), or waitress where gunicorn cannot
run (Windows).

gunicorn gets the app already built (``preload``): the data is loaded, validated, indexed
and serialised, and the map page rendered, once in the master process, and the workers fork
with it, sharing its memory pages; each worker then renders the other pages in the
background while it already answers. Workers are threaded (``gthread``) so a slow client holds one thread, not a whole
worker; a worker that dies is replaced by the master; on SIGTERM each worker finishes the
requests it holds (up to ``GRACEFUL_TIMEOUT`` seconds) before it exits. Before each fork the
master freezes what it loaded out of the garbage collector's sight
(:func:`freeze_before_fork`). ``web.gunicorn_conf`` gives a plain ``gunicorn`` command the same
hook (``gunicorn -c python:web.gunicorn_conf 'web:create_app()'``).
"""

from __future__ import annotations

import gc
from typing import Any

from flask import Flask

from corridor.checks import LANGS

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
        "pre_fork": freeze_before_fork,
    }


def freeze_before_fork(server: Any = None, worker: Any = None) -> None:
    """gunicorn's ``pre_fork`` hook: collect, then freeze what the master loaded
    (:func:`gc.freeze`), so a worker's garbage collector never walks it again.

    The preloaded data (the catalog, its indexes and serialised features, the map page) is
    never garbage. Left to the collector, every full collection in a worker would walk all of
    it (the more features loaded, the longer), and touching each object's header would copy
    the pages the workers share with the master. What a worker makes later is collected as
    usual."""
    gc.collect()
    gc.freeze()


def page_paths(app: Flask) -> list[str]:
    """Every page a visitor may open: the map, the parks comparison, the indicators, and
    each park's profile (the map first: it is the one most visitors open)."""
    from web.extensions import get_store
    from web.pages.parks import parks_collection

    with app.app_context():
        store = get_store()
        parks = [f"/parks/{f.id}" for f in store.features(parks_collection(store))]
    return ["/", "/parks", "/indicators", *parks]


def warm(app: Flask, paths: list[str]) -> int:
    """Render ``paths`` in both languages (by ``?lang=`` and by Accept-Language) into the
    page cache; returns how many rendered fine."""
    client = app.test_client()
    urls = [(url, lang) for path in paths for lang in LANGS
            for url in (f"{path}?lang={lang}", path)]
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
    import threading

    from gunicorn.app.base import BaseApplication

    paths = page_paths(app)
    warm(app, paths[:1])  # the map, in the master: every forked worker shares it

    def post_worker_init(worker: Any) -> None:
        # each worker renders the other pages in the background while it already answers
        threading.Thread(target=warm, args=(app, paths[1:]), daemon=True).start()

    class _Application(BaseApplication):  # type: ignore[misc]  # gunicorn is untyped
        def load_config(self) -> None:
            for key, value in gunicorn_options(app.config).items():
                self.cfg.set(key, value)
            self.cfg.set("post_worker_init", post_worker_init)

        def load(self) -> Flask:
            return app

    _Application().run()
