"""corridor.settings: one table, read in one order, by the app and the command line alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from corridor import factory, settings
from corridor.errors import InvalidParameter
from corridor.settings import SETTINGS, Settings
from corridor.store import Engine


def test_precedence_defaults_instance_config_environment_overrides(tmp_path):
    (tmp_path / "config.py").write_text("PORT = 9000\nWORKERS = 3\nTHREADS = 7\nlower = 1\n")
    env = {"CORRIDOR_WORKERS": "5", "CORRIDOR_THREADS": "6", "CORRIDOR_DATABASE_URL": "postgresql://h/db",
           "OTHER": "x"}
    got = settings.load(tmp_path, {"THREADS": 8}, environ=env)
    assert got["HOST"] == SETTINGS["HOST"][0]          # default
    assert got["PORT"] == 9000                          # instance config
    assert got["WORKERS"] == 5                          # environment (JSON-parsed) over config
    assert got["THREADS"] == 8                          # override over everything
    assert got["DATABASE_URL"] == "postgresql://h/db"   # not JSON: kept as text
    assert "lower" not in got and "OTHER" not in got


def test_a_broken_instance_config_is_named(tmp_path):
    (tmp_path / "config.py").write_text("PORT = \n")
    with pytest.raises(InvalidParameter, match="config.py"):
        settings.load(tmp_path, environ={})


def test_typed_settings_and_their_errors(tmp_path):
    s = Settings.from_mapping(settings.load(tmp_path, environ={}), tmp_path)
    assert s.layers_dir == Path(tmp_path) / "layers" and s.geodata_dir is None
    assert (s.database_url, s.database_pool_size) == ("", SETTINGS["DATABASE_POOL_SIZE"][0])
    with pytest.raises(InvalidParameter, match="CORRIDOR_DATABASE_POOL_SIZE='many'; expected an integer >= 1"):
        Settings.from_mapping({"DATABASE_POOL_SIZE": "many"}, tmp_path)
    with pytest.raises(InvalidParameter, match="expected an integer >= 1"):
        Settings.from_mapping({"DATABASE_POOL_SIZE": 0}, tmp_path)


def test_the_factory_opens_the_engine_on_the_settings_directories(tmp_path):
    from conftest import MINI_GEODATA

    s = Settings.from_mapping({"GEODATA_DIR": str(MINI_GEODATA), "LAYERS_DIR": str(tmp_path / "l")}, tmp_path)
    store = factory.open_store(s)
    assert isinstance(store, Engine)
    assert store.collection_ids() == Engine.load(MINI_GEODATA).collection_ids()
