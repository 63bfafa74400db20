"""Flask application factory for the corridor map service.

Configuration is read by :func:`corridor.settings.load`, as the command line reads it: in
increasing precedence the defaults of :data:`corridor.settings.SETTINGS`, ``config.py`` in
the instance folder (:func:`instance_path`), environment variables prefixed ``CORRIDOR_``
(e.g. ``CORRIDOR_TIANDITU_KEY``), then ``test_config``. The feature store is opened by
:func:`corridor.factory.open_store` (the bundled data loaded, validated, indexed and
serialised) once here; a bad data file stops start-up with a
:class:`corridor.errors.DataError`. Views reach the store through :func:`get_store`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Flask, request

from corridor import factory, settings
from corridor.errors import Unavailable
from corridor.settings import Settings
from corridor.store import FeatureStore
from web.extensions import STORE, get_store  # noqa: F401  (get_store: part of the package API)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app.

    Parameters
    ----------
    test_config
        Settings that override everything else (used by the tests).

    Raises
    ------
    corridor.errors.InvalidParameter
        If the instance config cannot be read, or a setting has the wrong type.
    corridor.errors.DataError
        If a geodata file is missing or invalid.
    corridor.errors.Unavailable
        If ``DATABASE_URL`` names a database that cannot be reached or has no schema.
    """
    app = Flask(__name__, instance_path=instance_path(), instance_relative_config=True)
    app.config.from_mapping(settings.load(app.instance_path, test_config))
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]

    from web.map import words

    words.init_app(app)  # the words' catalogs, in the language of each request
    app.extensions[STORE] = open_store(app.config, app.instance_path)
    from web.pages.cache import PageCache

    app.extensions["corridor_page_cache"] = PageCache()

    from web.api import bp as api_bp
    from web.pages import bp as pages_bp

    app.register_blueprint(api_bp, url_prefix="/api")
    if app.config["ADMIN_TOKEN"]:
        from web.api.edits import edits_bp

        app.register_blueprint(edits_bp, url_prefix="/api")
    from web.api import init_app as init_api

    init_api(app)  # CORS
    app.register_blueprint(pages_bp)
    from web import ops

    ops.init_app(app)  # last: its WSGI wrapper sees every response, whatever made it

    @app.before_request
    def _catch_up() -> None:
        # another process may have imported or edited a layer (a database store: another
        # replica): catch up before each request; the health endpoints answer without it
        if request.endpoint not in _NO_REFRESH:
            get_store().refresh()

    from web.api.errors import unavailable_response

    app.register_error_handler(Unavailable, unavailable_response)
    return app


#: Endpoints that never read the store's data (liveness, readiness does its own check).
_NO_REFRESH = frozenset({"ops.healthz", "ops.readyz", "ops.favicon", "static"})


def open_store(config: Any, instance_path: str) -> FeatureStore:
    """The store the configuration names: PostGIS when ``DATABASE_URL`` is set (one
    database holds the catalog and the user layers; its metadata is read now, so a missing
    schema stops start-up), else the bundled data in memory with the user layers' files.

    Raises
    ------
    corridor.errors.Unavailable
        If the database cannot be reached or has no schema.
    """
    return factory.open_store(Settings.from_mapping(config, instance_path))


@cache
def instance_path() -> str:
    """The app's instance folder, placed by Flask's own rule
    (:meth:`flask.Flask.auto_find_instance_path`): ``instance`` beside the package in a
    checkout, ``<prefix>/var/web-instance`` when installed. Asked once of a bare
    :class:`flask.Flask` (no store, no blueprints), so the app and the command line read the
    same ``config.py`` and layers."""
    return Flask(__name__).auto_find_instance_path()
