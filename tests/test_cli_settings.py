"""The command line reads its settings and opens its store as the web app does: one instance
folder, one settings load (defaults < instance config < CORRIDOR_* < options), one factory.
Every layer file is SYNTHETIC, written by the test."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MINI_GEODATA
from flask import Flask
from test_cli_import import csv_file, run

import web
from web import create_app
from web.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def instance(tmp_path, monkeypatch) -> Path:
    """A fresh instance folder for the app and the command line alike, no layer settings in
    the environment."""
    folder = tmp_path / "instance"
    monkeypatch.setattr(web, "instance_path", lambda: str(folder))
    for name in ("CORRIDOR_LAYERS_DIR", "CORRIDOR_DATABASE_URL", "CORRIDOR_GEODATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    return folder


def test_the_instance_folder_is_the_one_flask_finds():
    assert web.instance_path() == Flask("web", instance_relative_config=True).instance_path
    app = create_app({"TESTING": True, "GEODATA_DIR": str(MINI_GEODATA)})
    assert app.instance_path == web.instance_path()


def test_the_layer_the_command_writes_is_the_one_the_app_reads(tmp_path, instance, capsys):
    status, out, err = run(capsys, "import", str(csv_file(tmp_path / "f.csv")), "--layer", "firms")
    assert (status, err) == (0, ""), err
    assert (instance / "layers").is_dir()
    app = create_app({"TESTING": True, "GEODATA_DIR": str(MINI_GEODATA)})
    served = app.extensions["corridor_store"]
    assert served.collection("firms").count == 6 and served.collection("firms").editable
    assert run(capsys, "layers")[1].splitlines()[1].split()[:2] == ["firms", "6"]


def test_precedence_instance_config_environment_option(tmp_path, instance, monkeypatch, capsys):
    instance.mkdir()
    (instance / "config.py").write_text(f"LAYERS_DIR = {str(tmp_path / 'cfg')!r}\n")
    path = str(csv_file(tmp_path / "f.csv"))
    assert run(capsys, "import", path, "--layer", "a")[0] == 0
    monkeypatch.setenv("CORRIDOR_LAYERS_DIR", str(tmp_path / "env"))
    assert run(capsys, "import", path, "--layer", "b")[0] == 0
    assert run(capsys, "import", path, "--layer", "c", "--layers-dir", str(tmp_path / "opt"))[0] == 0
    assert {d: sorted(p.stem for p in (tmp_path / d).glob("*.gpkg")) for d in ("cfg", "env", "opt")} == {
        "cfg": ["a"], "env": ["b"], "opt": ["c"]}
    # the app reads the same settings: the environment over the instance config
    app = create_app({"TESTING": True, "GEODATA_DIR": str(MINI_GEODATA)})
    served = app.extensions["corridor_store"]
    assert [m.id for m in served.collections() if m.editable] == ["b"]


def test_a_layers_dir_option_wins_over_a_configured_database(tmp_path, instance, monkeypatch, capsys):
    monkeypatch.setenv("CORRIDOR_DATABASE_URL", "postgresql://127.0.0.1:1/none")
    status, _, err = run(capsys, "layers", "--layers-dir", str(tmp_path / "l"))
    assert (status, err) == (0, "")
    status, out, err = run(capsys, "layers")
    assert (status, out) == (1, "") and err.startswith("error: the database is unreachable")
    status, _, err = run(capsys, "layers", "--layers-dir", "x", "--database-url", "postgresql://h/d")
    assert status == 2 and "not allowed with argument" in err


@pytest.mark.parametrize("config,env,message", [
    ("PORT = \n", {}, "error: instance config "),
    ("", {"CORRIDOR_DATABASE_POOL_SIZE": "many"},
     "error: setting CORRIDOR_DATABASE_POOL_SIZE='many'; expected an integer >= 1"),
])
@pytest.mark.parametrize("command", [["layers"], ["drop", "x"], ["validate"], ["summary"],
                                     ["db", "status"]])
def test_a_bad_setting_is_named_not_a_traceback(instance, monkeypatch, capsys, config, env, message,
                                                command):
    instance.mkdir()
    (instance / "config.py").write_text(config)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    status, out, err = run(capsys, *command)
    assert (status, out) == (1, "") and err.startswith(message), err


def test_the_cli_reads_no_environment_and_builds_no_store_itself():
    banned = re.compile(r"os\.environ|getenv|\bEngine\b|PostgisStore|getattr\(args")
    hits = [f"{p.name}:{n}" for p in sorted((ROOT / "web").glob("cli*.py"))
            for n, line in enumerate(p.read_text().splitlines(), 1) if banned.search(line)]
    assert hits == []


def test_a_broken_instance_config_stops_serve_with_its_name(tmp_path):
    folder = tmp_path / "instance"
    folder.mkdir()
    (folder / "config.py").write_text("PORT = \n")
    # the subprocess finds its instance folder the usual way: a checkout copy pointing here
    code = ("import sys, web; web.instance_path = lambda: sys.argv[1]; from web.cli import main; "
            "sys.exit(main(['serve', '--port', '0']))")
    proc = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True,
                          check=False, cwd=ROOT)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: refusing to start: instance config {folder / 'config.py'}")


def test_main_is_the_console_script():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'corridor = "web.cli:main"' in text
    assert callable(main)
