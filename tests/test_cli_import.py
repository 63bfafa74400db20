"""``corridor import``, ``corridor layers`` and ``corridor drop``: exit statuses, messages and
what ends up stored. Every file is SYNTHETIC, written by the test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely
from datafiles import synthetic_land_points

from corridor.store import Engine
from web.cli import main

SEA = (121.0, 35.7)


def csv_file(path: Path, n: int = 6, seed: int = 30, bad: dict[int, tuple[object, object]] | None = None) -> Path:
    """A SYNTHETIC CSV of ``n`` points on Qingdao's land; ``bad`` replaces rows' lon/lat."""
    lines = ["id,name,lon,lat"]
    for i, (x, y) in enumerate(synthetic_land_points(n, seed)):
        lon, lat = (bad or {}).get(i + 1, (x, y))
        lines.append(f"q{i},合成企业{i},{lon},{lat}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        status = main(list(args))
    except SystemExit as exc:  # argparse
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture()
def layers_dir(tmp_path) -> Path:
    return tmp_path / "layers"


def test_import_list_and_drop(tmp_path, layers_dir, capsys):
    path = csv_file(tmp_path / "firms.csv")
    status, out, err = run(capsys, "import", str(path), "--layer", "firms", "--layers-dir",
                           str(layers_dir), "--title-zh", "合成企业", "--title-en", "Synthetic firms",
                           "--indicator", "high-tech-enterprises")
    assert (status, err) == (0, "")
    assert out.startswith("imported 6 features into layer 'firms' (version ")
    assert "from firms.csv (CSV; encoding utf-8; WGS84; ids from column 'id')" in out
    store = Engine.user_layers(layers_dir)
    meta = store.collection("firms")
    assert (meta.count, meta.title_zh, meta.title_en, meta.indicator) == (
        6, "合成企业", "Synthetic firms", "high-tech-enterprises")
    assert [f.id for f in store.features("firms")] == [f"q{i}" for i in range(6)]
    assert store.get("firms", "q2").properties["name"] == "合成企业2"

    status, out, _ = run(capsys, "layers", "--layers-dir", str(layers_dir))
    header, row = out.splitlines()
    assert header.split() == ["id", "count", "version", "source"]
    assert row.split()[:3] == ["firms", "6", meta.version]
    assert row.endswith("firms.csv (CSV; encoding utf-8; WGS84; ids from column 'id')")

    assert run(capsys, "drop", "firms", "--layers-dir", str(layers_dir))[:2] == (0, "dropped layer 'firms'\n")
    assert Engine.user_layers(layers_dir).collection_ids() == []
    status, _, err = run(capsys, "drop", "firms", "--layers-dir", str(layers_dir))
    assert status == 1 and err == f"error: no layer 'firms' in {layers_dir}; the layers are (none)\n"
    assert run(capsys, "layers", "--layers-dir", str(layers_dir))[1] == f"no layers in {layers_dir}\n"


def test_refused_import_stores_nothing_and_keeps_the_previous_version(tmp_path, layers_dir, capsys):
    bad = csv_file(tmp_path / "bad.csv", bad={2: ("", 36.1), 5: SEA})
    status, out, err = run(capsys, "import", str(bad), "--layer", "firms", "--layers-dir", str(layers_dir))
    assert status == 1 and out == ""
    assert err.startswith("error: bad.csv: import refused: 2 problem(s) in 2 of 6 rows\n")
    assert "  row 2 (line 3): missing longitude (column 'lon' is empty)\n" in err
    assert "  row 5 (line 6): (121, 35.7) lies " in err
    assert err.endswith("(--skip-invalid imports the 4 valid rows and lists the skipped ones)\n")
    assert not layers_dir.exists() or Engine.user_layers(layers_dir).collection_ids() == []

    assert run(capsys, "import", str(csv_file(tmp_path / "good.csv")), "--layer", "firms",
               "--layers-dir", str(layers_dir))[0] == 0
    before = Engine.user_layers(layers_dir).collection("firms")
    assert run(capsys, "import", str(bad), "--layer", "firms", "--layers-dir", str(layers_dir))[0] == 1
    after = Engine.user_layers(layers_dir).collection("firms")
    assert (after.version, after.count) == (before.version, 6)


def test_skip_invalid_lists_the_skipped_rows(tmp_path, layers_dir, capsys):
    bad = csv_file(tmp_path / "bad.csv", bad={2: ("abc", 36.1), 4: (36.1, 120.4)})
    status, out, err = run(capsys, "import", str(bad), "--layer", "some", "--skip-invalid",
                           "--layers-dir", str(layers_dir))
    assert status == 0 and out.startswith("imported 4 features into layer 'some'")
    assert err.splitlines() == [
        "warning: skipped 2 invalid rows of 6:",
        "  row 2 (line 3): longitude 'abc' is not a number",
        "  row 4 (line 5): latitude 120.4 is out of range (-90..90); lon and lat look swapped: "
        "read the other way round it lies in Qingdao",
    ]
    assert [f.id for f in Engine.user_layers(layers_dir).features("some")] == ["q0", "q2", "q4", "q5"]


def test_gcj02_import_is_stored_in_wgs84(tmp_path, layers_dir, capsys):
    from corridor.crs import gcj02_to_wgs84

    path = csv_file(tmp_path / "amap.csv", n=3)
    assert run(capsys, "import", str(path), "--layer", "amap", "--crs", "gcj02",
               "--layers-dir", str(layers_dir))[0] == 0
    given = synthetic_land_points(3, 30)
    wx, wy = gcj02_to_wgs84(given[:, 0], given[:, 1])
    stored = [Engine.user_layers(layers_dir).get("amap", f"q{i}").geometry for i in range(3)]
    assert shapely.get_coordinates(stored).ravel() == pytest.approx(np.column_stack([wx, wy]).ravel(), abs=1e-7)


@pytest.mark.parametrize("args,message", [
    (["--layer", "Firms"], "error: layer id 'Firms' is not valid; expected a lower-case letter"),
    (["--layer", "x", "--encoding", "klingon"], "error: encoding 'klingon' is not known"),
    (["--layer", "x", "--indicator", "gdp"], "error: indicator 'gdp' is not one of the plan's main indicators"),
])
def test_bad_command_lines_exit_2(tmp_path, layers_dir, capsys, args, message):
    path = csv_file(tmp_path / "f.csv")
    status, out, err = run(capsys, "import", str(path), *args, "--layers-dir", str(layers_dir))
    assert status == 2 and out == "" and err.startswith(message)
    assert not layers_dir.exists()


def test_a_bundled_collection_name_is_refused_by_the_store(tmp_path, layers_dir, capsys):
    status, out, err = run(capsys, "import", str(csv_file(tmp_path / "f.csv")), "--layer", "parks",
                           "--layers-dir", str(layers_dir))
    assert (status, out) == (1, "")
    assert err == ("error: collection 'parks' is part of the bundled catalog and read-only; only "
                   "user layers take writes, under a name the catalog does not use\n")
    assert not layers_dir.exists()


def test_missing_file_and_bad_choice_exit_2(tmp_path, layers_dir, capsys):
    status, _, err = run(capsys, "import", str(tmp_path / "none.csv"), "--layer", "x",
                         "--layers-dir", str(layers_dir))
    assert status == 2 and err == f"error: {tmp_path / 'none.csv'}: no such file\n"
    status, _, err = run(capsys, "import", "f.csv", "--layer", "x", "--crs", "utm")
    assert status == 2 and "argument --crs: invalid choice: 'utm'" in err


def test_file_problems_exit_1(tmp_path, layers_dir, capsys):
    path = tmp_path / "nolon.csv"
    path.write_text("id,x,y\n1,120.4,36.1\n", encoding="utf-8")
    status, _, err = run(capsys, "import", str(path), "--layer", "x", "--layers-dir", str(layers_dir))
    assert status == 1 and err.startswith("error: nolon.csv: no longitude column")


def test_dropping_a_bundled_collection_is_refused(layers_dir, capsys):
    status, _, err = run(capsys, "drop", "districts", "--layers-dir", str(layers_dir))
    assert status == 1 and "'districts'" in err and "read-only" in err


def test_layers_dir_defaults_to_the_environment(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CORRIDOR_LAYERS_DIR", str(tmp_path / "env-layers"))
    assert run(capsys, "import", str(csv_file(tmp_path / "e.csv")), "--layer", "env")[0] == 0
    assert Engine.user_layers(tmp_path / "env-layers").collection_ids() == ["env"]


@pytest.mark.parametrize("command,words", [
    ("import", ["lon", "经度", "gcj02", "--skip-invalid", "row", "Exit status"]),
    ("layers", ["version", "feature count", "file each was imported from"]),
    ("drop", ["Delete user layer", "Bundled collections"]),
])
def test_help_explains_each_command(capsys, command, words):
    status, out, _ = run(capsys, command, "--help")
    assert status == 0 and out.startswith(f"usage: corridor {command}")
    text = " ".join(out.split())  # argparse wraps lines
    for w in words:
        assert w in text, w


def test_a_refused_import_prints_no_traceback(tmp_path):
    bad = csv_file(tmp_path / "bad.csv", bad={1: ("", "")})
    proc = subprocess.run([sys.executable, "-m", "web.cli", "import", str(bad), "--layer", "t",
                           "--layers-dir", str(tmp_path / "layers")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: bad.csv: import refused: 2 problem(s) in 1 of 6 rows")
