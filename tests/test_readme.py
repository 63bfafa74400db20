"""The README's promises: its commands, its length, its links, the settings table and the
scale-out page it points to, the CLI help."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SETTINGS_PAGE = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
SCALE_OUT = (ROOT / "docs" / "scale-out.md").read_text(encoding="utf-8")
#: The pages whose links and commands are checked.
PAGES = ["README.md", "CHANGELOG.md", "benchmarks/README.md",
         *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]


def _settings() -> dict:
    """The one settings table, corridor.settings.SETTINGS."""
    from corridor.settings import SETTINGS

    return SETTINGS


def _sh_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL)]


def test_ci_runs_exactly_the_readme_test_command():
    run_cmd, test_cmd = _sh_blocks(README)[:2]
    assert "corridor serve" in run_cmd
    assert "pytest" in test_cmd
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_cmd in ci.splitlines()


def test_dockerfile_mirrors_the_readme_run_command():
    """The image installs the package as the README does, with the extras the README names
    for a database (compose.yaml runs the image on PostGIS) and .osm.pbf imports, and starts
    the same command, as a user that is not root, with a health check; the build context
    leaves tests out."""
    docker = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    run_cmd = _sh_blocks(README)[0]
    assert "pip install ." in run_cmd and "corridor serve" in run_cmd
    assert "-m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir '.[postgis,osm]'" in docker
    assert "pip install '.[postgis]'" in README and "pip install '.[osm]'" in README
    assert docker.rstrip().splitlines()[-1] == 'CMD ["/opt/venv/bin/corridor", "serve"]'
    assert re.search(r"^USER corridor$", docker, re.M) and "useradd" in docker
    assert "HEALTHCHECK" in docker and "/healthz" in docker
    assert docker.count("FROM python:3.11-slim") == 2 and "COPY --from=build /opt/venv" in docker
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {"tests", ".git", ".venv", "benchmarks"} <= set(ignored)
    # what the image copies is what the package needs: the wheel's sources
    for name in re.findall(r"^COPY (\w+) ", docker, re.M):
        assert (ROOT / name).is_dir(), name


def test_every_setting_is_documented():
    assert [name for name in _settings() if f"| `{name}` |" not in SETTINGS_PAGE] == []


def test_readme_fits_a_page_and_keeps_the_two_commands_first():
    assert len(README.splitlines()) <= 250
    first_screen = "\n".join(README.splitlines()[:40])
    assert first_screen.count("```sh") == 2


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    return {_slug(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.M)}


@pytest.mark.parametrize("page", PAGES)
def test_every_relative_link_resolves(page):
    """Each link to a file of the repository names one that exists, and each #anchor a
    heading of the page it points to."""
    path = ROOT / page
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", path.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto
        file, _, anchor = target.partition("#")
        dest = (path.parent / file).resolve() if file else path
        if not dest.exists() or (anchor and dest.suffix == ".md" and anchor not in _anchors(dest)):
            broken.append(target)
    assert broken == []


def test_slug_follows_github():
    assert _slug("bench_postgis.py: the PostGIS store with 1,000,000 SYNTHETIC points") == \
        "bench_postgispy-the-postgis-store-with-1000000-synthetic-points"
    assert _slug("Scale-out: PostGIS and replicas") == "scale-out-postgis-and-replicas"


@pytest.mark.parametrize("page", PAGES)
def test_every_benchmark_command_names_a_module(page):
    text = (ROOT / page).read_text(encoding="utf-8")
    named = set(re.findall(r"python -m benchmarks\.(\w+)", text))
    assert [m for m in sorted(named) if not (ROOT / "benchmarks" / f"{m}.py").is_file()] == []


@pytest.mark.parametrize(
    "args",
    [["-m", "web.cli", "--help"], ["-m", "web.cli", "validate", "--help"],
     ["-m", "web.cli", "serve", "--help"]],
)
def test_cli_help_explains_itself(args):
    out = subprocess.run([sys.executable, *args], capture_output=True, text=True, check=True).stdout
    assert "usage:" in out and len(out) > 200


def test_cli_bad_arguments_fail_clearly():
    proc = subprocess.run(
        [sys.executable, "-m", "web.cli", "serve", "--port", "eighty"],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 2
    assert "invalid int value: 'eighty'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_compose_mirrors_the_readme_scale_out():
    """compose.yaml runs the scale-out page's database commands, the Dockerfile's image and
    command for at least two app replicas behind the repository's nginx configuration, with
    pools that fit the database's max_connections as the page's formula says."""
    import yaml

    SETTINGS = _settings()
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    db_block = next(b for b in _sh_blocks(SCALE_OUT) if "corridor db init" in b)
    readme_db = next(line for line in db_block.splitlines() if "corridor db init" in line)
    assert services["migrate"]["command"][-1] == readme_db.strip()
    assert "corridor serve" in db_block and "CORRIDOR_DATABASE_URL" in db_block
    app = services["app"]
    docker_cmd = (ROOT / "Dockerfile").read_text(encoding="utf-8").rstrip().splitlines()[-1]
    assert docker_cmd == f"CMD {json.dumps(app['command'])}"
    assert app["build"] == services["migrate"]["build"] == "."
    assert app["deploy"]["replicas"] >= 2
    env = app["environment"]
    assert env["CORRIDOR_DATABASE_URL"].endswith("@db:5432/corridor")
    assert env["CORRIDOR_DATABASE_URL"] == services["migrate"]["environment"]["CORRIDOR_DATABASE_URL"]
    for name in env:
        assert name.removeprefix("CORRIDOR_") in SETTINGS, name
    assert "postgis" in services["db"]["image"]
    max_conn = int(next(a.split("=")[1] for a in services["db"]["command"] if a.startswith("max_connections")))
    pools = app["deploy"]["replicas"] * int(env["CORRIDOR_WORKERS"]) * int(env["CORRIDOR_DATABASE_POOL_SIZE"])
    assert pools + 10 <= max_conn
    assert env["CORRIDOR_DATABASE_POOL_SIZE"] == env["CORRIDOR_THREADS"]
    assert f"{app['deploy']['replicas']} x {env['CORRIDOR_WORKERS']} x {env['CORRIDOR_DATABASE_POOL_SIZE']} + 10" in SCALE_OUT
    proxy = services["proxy"]
    conf_path = next(v.split(":")[0] for v in proxy["volumes"] if v.endswith("nginx.conf:ro"))
    conf = (ROOT / conf_path).read_text(encoding="utf-8")
    assert "server app:8000" in conf and "proxy_pass http://corridor_app" in conf
    assert "docker compose up" in SCALE_OUT and "compose.yaml" in SCALE_OUT
    assert "docs/scale-out.md" in README
