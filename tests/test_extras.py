"""The optional parts of the install (``pyproject.toml``'s extras ``postgis`` and ``osm``):
``pip install .`` leaves them out, serving the bundled data never imports them, and a
feature that needs a missing one says which extra to install instead of a traceback.

A missing package is simulated with ``sys.modules[name] = None``, which makes its import
fail as it does where it is not installed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from datafiles import synthetic_land_points
from test_reach_osm import write_pbf

from corridor.errors import MissingExtra
from corridor.extras import EXTRAS
from web.cli import main

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
#: The modules of each extra, and what the error must tell the user to run.
POSTGIS_MODULES = ("psycopg", "psycopg_pool", "sqlalchemy", "geoalchemy2")
FIX = {"postgis": "pip install 'qingdao-corridor[postgis]'", "osm": "pip install 'qingdao-corridor[osm]'"}
NO_SERVER = "postgresql://nobody@127.0.0.1:9/none"  # never reached: the check comes first
TOKEN = "s3cret-token-for-tests"


def _names(requirements: list[str]) -> set[str]:
    """The distribution names of requirement strings (no extras, versions or markers)."""
    return {re.match(r"[A-Za-z0-9_.-]+", r).group(0).lower() for r in requirements}


def test_the_core_install_leaves_the_extras_out():
    project = PYPROJECT["project"]
    core = _names(project["dependencies"])
    extras = project["optional-dependencies"]
    for extra, spec in EXTRAS.items():
        # corridor/extras.py checks for exactly what the extra installs
        assert _names(extras[extra]) == set(spec.modules.values()), extra
        assert core.isdisjoint(spec.modules.values()), extra
    assert "qingdao-corridor[postgis,osm]" in extras["test"]
    assert any(r.startswith("qingdao-corridor[") and "postgis" in r for r in extras["bench"])


#: Serves the bundled data (the API, the map, a park page) and imports a GeoJSON layer as
#: `corridor import` does, then prints which extras' modules were imported.
_CORE_RUN = """
import json, sys
from web import create_app
from web.cli import main
client = create_app({"TESTING": True}).test_client()
statuses = [client.get(u).status_code for u in ("/api", "/", "/parks/park-blue-silicon-valley",
                                                 "/api/collections/parks/items?limit=2")]
status = main(["import", sys.argv[1], "--layer", "firms", "--layers-dir", sys.argv[2]])
print(json.dumps({"statuses": statuses, "import": status,
                  "loaded": sorted(m for m in %r if m in sys.modules)}))
"""


def test_serving_and_importing_a_geojson_import_no_extra(tmp_path):
    pts = synthetic_land_points(5, seed=3)
    layer = tmp_path / "firms.geojson"
    layer.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": f"f{i}", "properties": {"name": f"SYNTHETIC firm {i}"},
         "geometry": {"type": "Point", "coordinates": [x, y]}} for i, (x, y) in enumerate(pts)]}),
        encoding="utf-8")
    modules = [*POSTGIS_MODULES, "osmium"]
    proc = subprocess.run(
        [sys.executable, "-c", _CORE_RUN % (modules,), str(layer), str(tmp_path / "layers")],
        capture_output=True, text=True, check=True, cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("CORRIDOR_")},
             "PYTHONPATH": str(ROOT)})
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["statuses"] == [200, 200, 200, 200] and out["import"] == 0, proc.stderr
    assert out["loaded"] == []


@pytest.mark.parametrize("module", POSTGIS_MODULES)
def test_a_database_url_without_the_postgis_extra_refuses_to_start(module, monkeypatch, capsys):
    from web import create_app

    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MissingExtra) as caught:
        create_app({"TESTING": True, "DATABASE_URL": NO_SERVER})
    dist = EXTRAS["postgis"].modules[module]
    assert dist in str(caught.value) and FIX["postgis"] in str(caught.value)
    assert "CORRIDOR_DATABASE_URL" in str(caught.value)
    # corridor serve: one line, no traceback
    monkeypatch.setenv("CORRIDOR_DATABASE_URL", NO_SERVER)
    assert main(["serve"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: refusing to start: the PostGIS store") and FIX["postgis"] in err
    assert "Traceback" not in err


@pytest.mark.parametrize("args", [["db", "init"], ["db", "load"], ["db", "status"],
                                  ["layers"], ["drop", "firms"]])
def test_database_commands_without_the_postgis_extra_say_what_to_install(args, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.setenv("CORRIDOR_DATABASE_URL", NO_SERVER)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the PostGIS store") and "psycopg" in err and FIX["postgis"] in err


@pytest.fixture(scope="module")
def pbf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("osm") / "synthetic.osm.pbf"
    write_pbf(path)  # SYNTHETIC roads, written while pyosmium is there
    return path


def test_importing_an_osm_extract_without_osmium_says_what_to_install(pbf, tmp_path, monkeypatch,
                                                                     capsys):
    monkeypatch.setitem(sys.modules, "osmium", None)
    layers = tmp_path / "layers"
    assert main(["import", str(pbf), "--layer", "osmroads", "--layers-dir", str(layers)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: reading an OpenStreetMap extract (.osm.pbf")
    assert "osmium" in err and FIX["osm"] in err and "Traceback" not in err
    assert not any(layers.glob("*.gpkg"))  # nothing stored


def test_uploading_an_osm_extract_without_osmium_is_a_415_naming_the_extra(pbf, tmp_path,
                                                                          monkeypatch):
    from web import create_app

    app = create_app({"TESTING": True, "ADMIN_TOKEN": TOKEN, "LAYERS_DIR": str(tmp_path)})
    client = app.test_client()

    def upload(cid: str):
        return client.put(f"/api/collections/{cid}", data=pbf.read_bytes(),
                          content_type="application/x-osm-pbf",
                          headers={"Authorization": f"Bearer {TOKEN}"})

    # with pyosmium the upload is a road network of the three highway ways
    r = upload("withosmium")
    assert r.status_code == 201 and r.get_json()["imported"] == 3, r.get_json()
    monkeypatch.setitem(sys.modules, "osmium", None)
    r = upload("osmroads")
    body = r.get_json()
    assert (r.status_code, body["code"], body["status"]) == (415, "UnsupportedMediaType", 415)
    assert "osmium" in body["description"] and FIX["osm"] in body["description"]
    assert client.get("/api/collections/osmroads").status_code == 404
