"""``corridor db init | load | status`` and the layer commands against a real PostGIS
database (SYNTHETIC layer data)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from datafiles import synthetic_land_points

from web.cli import main

pytestmark = pytest.mark.postgis


@pytest.mark.parametrize("args", [["db", "--help"], ["db", "init", "--help"],
                                  ["db", "load", "--help"], ["db", "status", "--help"]])
def test_db_help_explains_itself(args):
    out = subprocess.run([sys.executable, "-m", "web.cli", *args], capture_output=True,
                         text=True, check=True).stdout
    assert "usage:" in out and len(out) > 300 and "CORRIDOR_DATABASE_URL" in out


def test_without_a_database_it_says_how_to_give_one(monkeypatch, capsys):
    monkeypatch.delenv("CORRIDOR_DATABASE_URL", raising=False)
    assert main(["db", "init"]) == 1
    assert "--database-url" in capsys.readouterr().err


def test_init_load_status_import_drop(pg_cluster, monkeypatch, capsys, tmp_path):
    url = pg_cluster.new_database()
    monkeypatch.setenv("CORRIDOR_DATABASE_URL", url)
    assert main(["db", "status"]) == 1
    assert main(["db", "init"]) == 0
    out = capsys.readouterr().out
    assert "applied migration 1" in out and "applied migration 2" in out
    assert main(["db", "init"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert main(["db", "load"]) == 0
    out = capsys.readouterr().out
    assert "loaded 79 features in 11 collections" in out and "parks 10" in out
    # a SYNTHETIC CSV imported goes to the database, as the app reads it
    pts = synthetic_land_points(40, seed=5)
    csv = tmp_path / "firms.csv"
    csv.write_text("id,name_en,lon,lat\n" + "".join(
        f"f{i},SYNTHETIC firm {i},{x:.6f},{y:.6f}\n" for i, (x, y) in enumerate(pts)), encoding="utf-8")
    assert main(["import", str(csv), "--layer", "firms"]) == 0, capsys.readouterr().err
    assert "imported 40 features into layer 'firms'" in capsys.readouterr().out
    assert main(["layers"]) == 0
    listing = capsys.readouterr().out
    assert "firms" in listing and "firms.csv" in listing and "parks" not in listing
    assert main(["db", "status"]) == 0
    status = capsys.readouterr().out
    assert "firms" in status and "layer" in status and "catalog" in status
    assert main(["import", str(csv), "--layer", "parks"]) == 1  # the store refuses it
    assert "'parks' is part of the bundled catalog and read-only" in capsys.readouterr().err
    from corridor.store.postgis import PostgisStore

    store = PostgisStore(url)
    try:
        assert store.collection("firms").count == 40 and store.collection("firms").editable
        assert store.get("firms", "f3").properties["name_en"] == "SYNTHETIC firm 3"
        assert main(["drop", "firms"]) == 0
        store.refresh()
        assert "firms" not in store.collection_ids()
    finally:
        store.close()
    assert main(["drop", "firms"]) == 1
    assert "no layer 'firms' in the database" in capsys.readouterr().err


def test_serve_refuses_a_database_without_schema(pg_cluster, monkeypatch, capsys):
    monkeypatch.setenv("CORRIDOR_DATABASE_URL", pg_cluster.new_database())
    assert main(["serve", "--port", "0"]) == 1
    assert "corridor db init" in capsys.readouterr().err
