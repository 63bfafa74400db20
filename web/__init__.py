"""Flask application factory for the corridor map service.

Configuration, in increasing precedence: defaults below, ``instance/config.py``,
environment variables prefixed ``CORRIDOR_`` (e.g. ``CORRIDOR_TIANDITU_KEY``), then
``test_config``. The feature store is opened (the bundled data loaded, validated, indexed
and serialised) once here; a bad data file stops start-up with a
:class:`corridor.errors.DataError`. Views reach the store through :func:`get_store`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask, current_app, request

from corridor import factory, settings
from corridor.errors import Unavailable
from corridor.settings import SETTINGS, Settings
from corridor.store import FeatureStore


class CorridorFlask(Flask):
    """Flask, with :meth:`ensure_sync` remembering its answer per function.

    Flask asks, for every request hook and view on every request, whether the function is a
    coroutine function (``inspect.iscoroutinefunction``), about a microsecond each time; the
    answer never changes for a function, so it is looked up once. Async functions are still
    wrapped, as Flask wraps them.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync: dict[Any, Any] = {}

    def ensure_sync(self, func: Any) -> Any:
        try:
            return self._sync[func]
        except KeyError:
            sync = self._sync[func] = super().ensure_sync(func)
            return sync
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app.

    Parameters
    ----------
    test_config
        Settings that override everything else (used by the tests).

    Raises
    ------
    corridor.errors.DataError
        If a geodata file is missing or invalid.
    corridor.errors.Unavailable
        If ``DATABASE_URL`` names a database that cannot be reached or has no schema.
    """
    app = CorridorFlask(__name__, instance_relative_config=True)
    app.config.from_mapping({name: default for name, (default, _) in SETTINGS.items()})
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("CORRIDOR")
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]

    app.extensions["corridor_store"] = open_store(app.config, app.instance_path)
    from web.pages.cache import PageCache

    app.extensions["corridor_page_cache"] = PageCache()
    app.extensions["corridor_map_parts"] = {}

    from web.api import bp as api_bp
    from web.pages import bp as pages_bp

    app.register_blueprint(api_bp, url_prefix="/api")
    if app.config["ADMIN_TOKEN"]:
        from web.api.edits import edits_bp

        app.register_blueprint(edits_bp, url_prefix="/api")
    from web.api import init_app as init_api

    init_api(app)  # compression and CORS
    app.register_blueprint(pages_bp)
    from web import ops

    ops.init_app(app)  # last, so its response hook sees bodies before compression

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


def get_store() -> FeatureStore:
    """The feature store of the current app (opened once in :func:`create_app`)."""
    store: FeatureStore = current_app.extensions["corridor_store"]
    return store


@cache
def instance_path() -> str:
    """The app's instance folder, as Flask places it for this package (a checkout's
    ``instance/``, or ``<prefix>/var/web-instance`` when installed); computed once."""
    return Flask(__name__, instance_relative_config=True).instance_path


def cli_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every setting as the app reads it (defaults, instance config, ``CORRIDOR_*``), with
    ``overrides`` (command-line options) on top: the command line and the app agree."""
    return settings.load(instance_path(), overrides)


def default_layers_dir() -> Path:
    """Where user layers live: ``LAYERS_DIR`` (instance config or ``$CORRIDOR_LAYERS_DIR``),
    else ``layers`` in the app's instance folder."""
    return Settings.from_mapping(cli_settings(), instance_path()).layers_dir
