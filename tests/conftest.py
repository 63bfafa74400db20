"""Shared fixtures: the app factory with the bundled (real) geodata, and with the
SYNTHETIC mini data set in tests/fixtures/mini (invented features, for exact expectations)."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from datafiles import FileCatalog

from corridor.store import Engine

TESTS = Path(__file__).resolve().parent
MINI_GEODATA = TESTS / "fixtures" / "mini"
PLAN_TEXT = TESTS.parent.parent / "shared" / "plan" / "qingdao-sti-plan-2021.zh.txt"
# Every app the tests build keeps its user layers in a fresh directory, never in the
# checkout's instance folder (tests that import layers give their own LAYERS_DIR).
os.environ["CORRIDOR_LAYERS_DIR"] = tempfile.mkdtemp(prefix="corridor-test-layers-")


@pytest.fixture(scope="session")
def plan_path() -> Path:
    """Where the plan text should be (it may be missing outside CI; tests decide what to do)."""
    return PLAN_TEXT


@pytest.fixture(scope="session")
def catalog() -> FileCatalog:
    """The real bundled data, read from its files with geopandas (for expectations)."""
    return FileCatalog()


@pytest.fixture(scope="session")
def mini_catalog() -> FileCatalog:
    """The synthetic mini data, read from its files with geopandas (for expectations)."""
    return FileCatalog(MINI_GEODATA)


@pytest.fixture(scope="session")
def store() -> Engine:
    """The store over the real bundled data, loaded once."""
    return Engine.load()


@pytest.fixture(scope="session")
def mini_store() -> Engine:
    """The store over the synthetic mini data."""
    return Engine.load(MINI_GEODATA)


# --- the same tests over both stores: in memory, and PostGIS on a throwaway server -----------

IN_CI = __import__("os").environ.get("CI", "").lower() == "true"
#: Parameters of a fixture that gives each test the in-memory store and the PostGIS store;
#: the PostGIS runs carry the ``postgis`` marker.
STORE_KINDS = ["embedded", pytest.param("postgis", marks=pytest.mark.postgis)]


@contextmanager
def new_pg_cluster():
    """A throwaway PostgreSQL + PostGIS server (see tests/pg.py), destroyed on exit; the test
    is skipped where the server packages are missing, except in CI, where that fails."""
    from pg import Cluster, server_bin

    bindir = server_bin()
    if bindir is None:
        reason = ("PostgreSQL/PostGIS server not found under /usr/lib/postgresql/*/bin "
                  "(apt-get install postgresql postgresql-15-postgis-3 postgresql-15-pgrouting)")
        if IN_CI:
            pytest.fail(f"PostGIS tests cannot run in CI: {reason}")
        pytest.skip(reason)
    cluster = Cluster(bindir).init()
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def pg_cluster():
    """A PostgreSQL + PostGIS server for this session."""
    with new_pg_cluster() as cluster:
        yield cluster


@pytest.fixture()
def pg_url(pg_cluster) -> str:
    """URL of a new database with the corridor schema and nothing loaded."""
    return new_schema(pg_cluster)


def new_schema(cluster) -> str:
    import psycopg

    from corridor.store.pgschema import migrate

    url = cluster.new_database()
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
    return url


def load_into(url: str, src) -> None:
    """Load every collection and indicator of store ``src`` into the database at ``url``."""
    import psycopg

    from corridor.store.pgwrite import load_catalog

    with psycopg.connect(url, autocommit=True) as conn:
        load_catalog(conn, src)


@pytest.fixture(scope="session")
def store_kind(request) -> str:
    """``embedded`` (the in-process stores: memory, GeoPackage layers) or ``postgis``."""
    return request.param


def postgis_with(request, catalog=None, layers=(), cluster=None) -> str:
    """URL of a new PostGIS database holding the store ``catalog`` (if given) and the
    :class:`~corridor.model.NewLayer` s ``layers``, on ``cluster`` (default: the session's)."""
    from corridor.store.postgis import PostgisStore

    url = new_schema(cluster if cluster is not None else request.getfixturevalue("pg_cluster"))
    if catalog is not None:
        load_into(url, catalog)
    if layers:
        store = PostgisStore(url)
        try:
            for layer in layers:
                store.put_layer(layer)
        finally:
            store.close()
    return url


@pytest.fixture(scope="session")
def as_kind(request, store_kind):
    """``as_kind(memory_store)``: that store itself, or a PostGIS store holding a copy of it
    (in its own database), as the test's parameter says."""
    made: dict[int, object] = {}

    def convert(src):
        if store_kind == "embedded":
            return src
        if id(src) not in made:
            from corridor.store.postgis import PostgisStore

            url = new_schema(request.getfixturevalue("pg_cluster"))
            load_into(url, src)
            made[id(src)] = (src, PostgisStore(url))
        return made[id(src)][1]

    yield convert
    for _, store in made.values():
        store.close()


def pytest_generate_tests(metafunc):
    # any test asking for store_kind (directly or through a fixture) runs on both stores
    if "store_kind" in metafunc.fixturenames:
        metafunc.parametrize("store_kind", STORE_KINDS, indirect=True, scope="session")


@pytest.fixture(scope="session")
def any_store(as_kind, store):
    """The real bundled data, in memory or in PostGIS."""
    return as_kind(store)


@pytest.fixture(scope="session")
def any_mini_store(as_kind, mini_store):
    """The SYNTHETIC mini data, in memory or in PostGIS."""
    return as_kind(mini_store)


def _app_of(request, store_kind, geodata, src):
    from web import create_app

    if store_kind == "embedded":
        return create_app({"TESTING": True, "GEODATA_DIR": geodata})
    url = new_schema(request.getfixturevalue("pg_cluster"))
    load_into(url, src)
    return create_app({"TESTING": True, "DATABASE_URL": url})


@pytest.fixture(scope="session")
def any_mini_app(request, store_kind, mini_store):
    """The app over the SYNTHETIC mini data: in memory, or from a PostGIS database holding it."""
    app = _app_of(request, store_kind, str(MINI_GEODATA), mini_store)
    yield app
    app.extensions["corridor_store"].close()


@pytest.fixture(scope="session")
def any_app(request, store_kind, store):
    """The app over the bundled data: in memory, or from a PostGIS database holding it."""
    app = _app_of(request, store_kind, None, store)
    yield app
    app.extensions["corridor_store"].close()


@pytest.fixture(scope="session")
def app():
    from web import create_app

    return create_app({"TESTING": True})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def mini_app():
    """The app over the SYNTHETIC mini catalog (for exact expectations)."""
    from web import create_app

    return create_app({"TESTING": True, "GEODATA_DIR": str(MINI_GEODATA)})


@pytest.fixture()
def mini_client(mini_app):
    return mini_app.test_client()


@pytest.fixture(scope="session")
def user_geodata(tmp_path_factory) -> Path:
    """The bundled geodata plus a SYNTHETIC user layer ``synthetic`` (group user, tagged with
    the high-tech enterprises indicator; :func:`datafiles.synthetic_user_layer`)."""
    from datafiles import SYNTHETIC_USER_ENTRY, geodata_with_synthetic, synthetic_user_layer

    from corridor.store import GEODATA_DIR

    return geodata_with_synthetic(tmp_path_factory.mktemp("user-layer"), synthetic_user_layer(),
                                  GEODATA_DIR, SYNTHETIC_USER_ENTRY)


@pytest.fixture(scope="session")
def user_app(user_geodata):
    """The app over :func:`user_geodata`."""
    from web import create_app

    return create_app({"TESTING": True, "GEODATA_DIR": str(user_geodata)})


@pytest.fixture()
def user_client(user_app):
    return user_app.test_client()


# --- a live server and a headless Chromium, for the browser tests (tests/test_browser*.py) ---

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = TESTS.parent / "test-artifacts"


_SERVE = """
import sys
from werkzeug.serving import make_server
from web import create_app
server = make_server("127.0.0.1", 0, create_app({"TESTING": True}), threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""


@contextmanager
def serving(geodata_dir: Path | None = None, layers_dir: Path | None = None):
    """The app served by werkzeug on a free loopback port, in a child process (over the
    bundled data, or ``geodata_dir``; with the user layers of ``layers_dir``, if given).
    Yields the base URL; stops the server after."""
    import os
    import subprocess
    import sys

    env = dict(os.environ)
    if geodata_dir is not None:
        env["CORRIDOR_GEODATA_DIR"] = str(geodata_dir)
    if layers_dir is not None:
        env["CORRIDOR_LAYERS_DIR"] = str(layers_dir)
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVE], cwd=TESTS.parent, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True, env=env,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line.strip().isdigit():
            raise RuntimeError(f"live server did not start (exit code {proc.poll()})")
        yield f"http://127.0.0.1:{int(line)}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


@pytest.fixture(scope="session")
def live_server():
    """The real-data app served by werkzeug on a free loopback port, in a child process.

    Yields the base URL (``http://127.0.0.1:PORT``), for clients nobody here wrote (OWSLib,
    GDAL's OAPIF driver). A process, not a thread: GDAL holds the GIL while it fetches.
    """
    with serving() as url:
        yield url


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session (Playwright driving Debian's /usr/bin/chromium).

    A missing Playwright or browser fails the run in CI (CI=true) and skips it elsewhere.
    """
    import os

    in_ci = os.environ.get("CI", "").lower() == "true"
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "playwright is not installed (pip install playwright)"
    if reason is None and not os.path.exists(CHROMIUM):
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if reason is not None:
        if in_ci:
            pytest.fail(f"browser tests cannot run in CI: {reason}")
        pytest.skip(reason)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def artifacts():
    """Directory for screenshots a person should look at (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture()
def visit(chromium, live_server):
    """Open pages on the live server: ``visit(path, locale, viewport=..., ...)``; every page
    is checked on teardown (no request off the host, no script error)."""
    from browser import Visit

    opened: list[Visit] = []

    def make(path: str | None = None, locale: str = "zh-CN", **kw) -> Visit:
        v = Visit(chromium, live_server, locale, **kw)
        opened.append(v)
        if path is not None:
            v.open(path)
        return v

    yield make
    for v in opened:
        v.close()
