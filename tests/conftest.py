"""Shared fixtures: the app factory with the bundled (real) geodata, and with the
SYNTHETIC mini data set in tests/fixtures/mini (invented features, for exact expectations)."""

from __future__ import annotations

from pathlib import Path

import pytest

from corridor.catalog import Catalog

TESTS = Path(__file__).resolve().parent
MINI_GEODATA = TESTS / "fixtures" / "mini"
PLAN_TEXT = TESTS.parent.parent / "shared" / "plan" / "qingdao-sti-plan-2021.zh.txt"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The real bundled catalog, loaded once."""
    return Catalog.load()


@pytest.fixture(scope="session")
def mini_catalog() -> Catalog:
    """The synthetic mini catalog."""
    return Catalog.load(MINI_GEODATA)


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
