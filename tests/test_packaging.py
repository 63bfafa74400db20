"""The README's run command installs the package non-editable (`pip install .`): the wheel
must carry every data file, template and asset the service reads at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_carries_every_runtime_file(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    needed = [
        p for folder in ("corridor", "geodata", "web")
        for p in (ROOT / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
        and p.suffix in {".py", ".geojson", ".json", ".toml", ".md", ".html", ".js", ".css", ".svg", ".png",
                         ".pot", ".po", ".mo"}
    ]
    assert needed, "nothing to check"
    missing = [str(p.relative_to(ROOT)) for p in needed if str(p.relative_to(ROOT)) not in names]
    assert missing == []
