"""HTTP throughput of the corridor service against pygeoapi and a bare Flask app, with wrk.

Every server runs under gunicorn on 127.0.0.1 with the same setup (2 sync workers,
--preload); wrk loads one URL at a time (``wrk -t2 -c32 -d<duration>s --latency
--timeout 30s``) in interleaved rounds (round 1: every URL once, round 2: every URL
again, ...) and the median req/s per URL is reported. After each run the script waits
until that server's processes are idle: sync workers go on serving the requests left in
their listen backlog, which would otherwise load the machine during the next run. Runs
with non-2xx responses or socket errors are flagged in the output and the table, never
dropped. The machine is shared and noisy, so the results are ratios measured side by side
in one run, not absolute numbers.

Catalogs, built in a temporary directory:

  (a) the bundled geodata as is (its universities collection has 15 features);
  (b) (a) plus a collection ``synthetic`` of 1,000 SYNTHETIC uniform random points over
      Qingdao (lon 120.0-120.7, lat 35.9-36.5, seeded RNG);
  (c) the same with 100,000 SYNTHETIC points.

Servers: the corridor service (``web:create_app()``) once per catalog; a bare Flask app with
one trivial JSON endpoint (benchmarks/bare_flask.py: the framework's ceiling); pygeoapi with
its GeoJSON provider over the same features (the universities collection and the 1,000
synthetic points).

Also measured: the start time of catalog (c) (process launch to the first 200 on /api) and
the byte size of the map page / on catalogs (a) and (c). The report is a markdown table
(median req/s, ratios to bare Flask, to our /api on the same catalog and to pygeoapi at the
same size), PASS/MISS per target of the issue, and a JSON file with every raw number.

Targets: our /api >= 0.7x bare Flask; items+bbox >= 0.6x our /api (same catalog) at 15,
1,000 and 100,000 features; /api/near >= 0.5x /api; park profile and map page >= 0.3x
/api; the 100,000-feature catalog starts in < 10 s and its map page is < 2 MB
(2,000,000 bytes, uncompressed). A target whose runs had errors is a MISS.

Needs: wrk (apt-get install wrk) and the bench extra (pip install -e '.[bench]').
Example: .venv/bin/python benchmarks/bench_http.py --duration 5 --rounds 3
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "benchmarks"
BUNDLED_GEODATA = ROOT / "geodata"
DEFAULT_OUT = BENCH_DIR / "results" / "http.json"

#: Id of the synthetic collection added to catalogs (b) and (c).
SYNTHETIC_CID = "synthetic"
#: (min lon, min lat, max lon, max lat) the synthetic points are drawn from, uniformly.
SYNTHETIC_BOX = (120.0, 35.9, 120.7, 36.5)
DEFAULT_SEED = 42
#: Decimal places kept in synthetic coordinates (1e-6 degree is about 0.1 m).
COORD_DECIMALS = 6

#: Query boxes of the items requests (lon/lat, CRS84).
UNIVERSITIES_BBOX = (120.0, 35.8, 120.8, 36.5)
SYNTHETIC_BBOX = (120.3, 36.05, 120.4, 36.15)
ITEMS_LIMIT = 10
NEAR_OF, NEAR_KM = "ouc-laoshan", 5
#: /api/near keeps its answers per question and data version, so the fixed near URL measures
#: a repeated question. This one asks from a new random point each request (central
#: Qingdao, lon 120.30-120.50, lat 36.05-36.20): every answer is computed.
NEAR_POINT = (120.38, 36.07)
NEW_POINT_SCRIPT = f"""
math.randomseed(os.time())
request = function()
  local lon = 120.30 + math.random() * 0.20
  local lat = 36.05 + math.random() * 0.15
  return wrk.format(nil, string.format("/api/near?of=%.6f,%.6f&km={NEAR_KM}", lon, lat))
end
"""
#: The park whose profile page is measured (a real id of geodata/data/parks.geojson).
PARK_ID = "park-blue-silicon-valley"

ACCEPT_JSON = "application/json"
ACCEPT_HTML = "text/html"
#: Map page size target: 2 MB counted as 2,000,000 bytes (the stricter reading).
MAP_PAGE_LIMIT_BYTES = 2_000_000
START_LIMIT_S = 10.0

_SYNTHETIC_TOML = """
# SYNTHETIC collection written by benchmarks/bench_http.py: random points, not real data.
[[collection]]
id = "{cid}"
group = "institutions"
geometry = ["Point"]
title_zh = "合成基准测试点(SYNTHETIC,非真实数据)"
title_en = "SYNTHETIC benchmark points (not real data)"
description_zh = "{n} 个在青岛上空均匀随机生成的合成点(经度 {x0}-{x1},纬度 {y0}-{y1},随机种子 {seed}),仅供性能测试"
description_en = "{n} SYNTHETIC uniform random points over Qingdao (lon {x0}-{x1}, lat {y0}-{y1}, seed {seed}), for benchmarks only"
"""


# --------------------------------------------------------------------------- catalogs


def synthetic_points(n: int, seed: int = DEFAULT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes of ``n`` uniform random points in :data:`SYNTHETIC_BOX`.

    Parameters
    ----------
    n
        Number of points.
    seed
        Seed of numpy's default generator: the same seed gives the same points.

    Returns
    -------
    tuple of numpy.ndarray
        ``(lon, lat)``, each of length ``n``, rounded to :data:`COORD_DECIMALS` places.
    """
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = SYNTHETIC_BOX
    lon = np.round(rng.uniform(x0, x1, n), COORD_DECIMALS)
    lat = np.round(rng.uniform(y0, y1, n), COORD_DECIMALS)
    return lon, lat


def synthetic_feature(number: int, lon: float, lat: float, seed: int) -> dict[str, Any]:
    """One SYNTHETIC point feature carrying every property the catalog's schema requires.

    Its names and provenance say it is synthetic. ``plan_ref``/``plan_text`` (required,
    non-empty, outside the basemap) say that it quotes nothing: ``corridor validate``
    rightly reports such a feature as not found in the plan, while the loader, which checks
    structure only, accepts it.

    Parameters
    ----------
    number
        1-based number of the point, used in its id and names.
    lon, lat
        Position (WGS84).
    seed
        Seed the point was drawn with (recorded in its provenance).

    Returns
    -------
    dict
        A GeoJSON Feature.
    """
    fid = f"{SYNTHETIC_CID}-{number:06d}"
    return {
        "type": "Feature",
        "id": fid,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "id": fid,
            "name_zh": f"合成基准测试点 {number}(SYNTHETIC)",
            "name_en": f"SYNTHETIC benchmark point {number}",
            "kind": "synthetic_benchmark_point",
            "industries_zh": [],
            "industries_en": [],
            "plan_ref": "none (SYNTHETIC benchmark data)",
            "plan_text": "SYNTHETIC benchmark data: quotes nothing from the plan",
            "source": f"SYNTHETIC: uniform random point made by benchmarks/bench_http.py "
                      f"(seed {seed}); not a real place",
            "source_zh": f"合成数据:由 benchmarks/bench_http.py 均匀随机生成(随机种子 {seed}),"
                         f"并非真实地点",
            "accuracy_m": 1,
            "approximate": True,
            "position_note": "SYNTHETIC: a random position, not of any real place",
            "position_note_zh": "合成数据:随机位置,不对应任何真实地点",
        },
    }


def synthetic_collection(n: int, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """GeoJSON FeatureCollection of ``n`` SYNTHETIC points (see :func:`synthetic_points`)."""
    lon, lat = synthetic_points(n, seed)
    features = [
        synthetic_feature(i + 1, float(x), float(y), seed)
        for i, (x, y) in enumerate(zip(lon.tolist(), lat.tolist()))
    ]
    return {"type": "FeatureCollection", "features": features}


def write_json(path: Path, doc: Any) -> int:
    """Write ``doc`` as compact UTF-8 JSON; return the number of bytes written."""
    data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    path.write_bytes(data)
    return len(data)


def build_catalog(dest: Path, n_synthetic: int = 0, seed: int = DEFAULT_SEED) -> Path:
    """Write a catalog directory the service can load from ``CORRIDOR_GEODATA_DIR``.

    The bundled geodata (``geodata/collections.toml`` and ``geodata/data/*``) is copied as
    is; with ``n_synthetic > 0`` a collection :data:`SYNTHETIC_CID` of that many SYNTHETIC
    points is appended (last in map order).

    Parameters
    ----------
    dest
        Directory to write (created if missing).
    n_synthetic
        Number of synthetic points; 0 for the bundled data alone.
    seed
        Seed of the synthetic points.

    Returns
    -------
    pathlib.Path
        ``dest``.
    """
    data = dest / "data"
    data.mkdir(parents=True, exist_ok=True)
    for src in sorted((BUNDLED_GEODATA / "data").iterdir()):
        if src.suffix in {".geojson", ".json"}:
            shutil.copyfile(src, data / src.name)
    toml = (BUNDLED_GEODATA / "collections.toml").read_text(encoding="utf-8")
    if n_synthetic > 0:
        x0, y0, x1, y1 = SYNTHETIC_BOX
        toml += _SYNTHETIC_TOML.format(cid=SYNTHETIC_CID, n=f"{n_synthetic:,}", seed=seed,
                                       x0=x0, x1=x1, y0=y0, y1=y1)
        write_json(data / f"{SYNTHETIC_CID}.geojson", synthetic_collection(n_synthetic, seed))
    (dest / "collections.toml").write_text(toml, encoding="utf-8")
    return dest


def count_in_bbox(doc: dict[str, Any], bbox: Sequence[float]) -> int:
    """Number of Point features of ``doc`` inside ``bbox`` (edges included)."""
    x0, y0, x1, y1 = bbox
    n = 0
    for feat in doc["features"]:
        lon, lat = feat["geometry"]["coordinates"][:2]
        n += x0 <= lon <= x1 and y0 <= lat <= y1
    return n


# --------------------------------------------------------------------------- wrk


@dataclass
class WrkResult:
    """What one wrk run printed, parsed."""

    requests_per_s: float
    requests: int
    #: Responses wrk counted as errors (status >= 400: wrk's "Non-2xx or 3xx").
    non_2xx_3xx: int = 0
    #: wrk's socket errors: connect, read, write, timeout.
    socket_errors: dict[str, int] = field(default_factory=dict)
    #: Latency percentiles in milliseconds: "50%", "75%", "90%", "99%".
    latency_ms: dict[str, float] = field(default_factory=dict)
    transfer_per_s: str = ""

    @property
    def errors(self) -> int:
        """Non-2xx/3xx responses plus socket errors of every kind."""
        return self.non_2xx_3xx + sum(self.socket_errors.values())


_TIME_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_NUMBER_SUFFIX = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9}


def parse_wrk(text: str) -> WrkResult:
    """Parse wrk's report (run with ``--latency``).

    Raises
    ------
    ValueError
        If the text has no ``Requests/sec`` line (wrk failed or printed something else).
    """
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    if rps is None:
        raise ValueError(f"no 'Requests/sec' in wrk output:\n{text}")
    total = re.search(r"^\s*(\d+) requests in ", text, re.M)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    sock = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    transfer = re.search(r"^Transfer/sec:\s+(\S+)", text, re.M)
    latency = {
        m.group(1) + "%": float(m.group(2)) * _TIME_UNITS_MS[m.group(3)]
        for m in re.finditer(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M)
    }
    return WrkResult(
        requests_per_s=float(rps.group(1)),
        requests=int(total.group(1)) if total else 0,
        non_2xx_3xx=int(non2xx.group(1)) if non2xx else 0,
        socket_errors=(
            dict(zip(("connect", "read", "write", "timeout"), map(int, sock.groups())))
            if sock else {}
        ),
        latency_ms=latency,
        transfer_per_s=transfer.group(1) if transfer else "",
    )


def run_wrk(url: str, accept: str, duration: float, threads: int, connections: int,
            timeout_s: float | None, script: str | None = None) -> tuple[WrkResult, str]:
    """Run wrk once against ``url`` (with the Lua ``script``, if given, which may make each
    request's path); return the parsed result and wrk's raw output.

    Raises
    ------
    RuntimeError
        If wrk exits non-zero or prints no result.
    """
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--latency",
            "-H", f"Accept: {accept}"]
    if timeout_s is not None:
        argv += ["--timeout", f"{timeout_s:g}s"]
    with tempfile.TemporaryDirectory() as tmp:
        if script is not None:
            lua = Path(tmp) / "request.lua"
            lua.write_text(script)
            argv += ["-s", str(lua)]
        proc = subprocess.run([*argv, url], capture_output=True, text=True,
                              timeout=duration + 120)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} {url} exited with {proc.returncode}:\n"
                           f"{proc.stdout}\n{proc.stderr}")
    return parse_wrk(proc.stdout), proc.stdout


# --------------------------------------------------------------------------- servers


class ServerError(RuntimeError):
    """A server did not start or answer as expected."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


#: Loopback only: a proxy from the environment must never see these requests.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Response:
    """One HTTP response fetched with urllib."""

    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float


def fetch(url: str, headers: dict[str, str] | None = None, timeout: float = 30.0) -> Response:
    """GET ``url``; HTTP error statuses are returned, not raised (network errors are)."""
    req = urllib.request.Request(url, headers=headers or {})
    t0 = time.perf_counter()
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            body = resp.read()
            return Response(resp.status, dict(resp.headers.items()), body,
                            time.perf_counter() - t0)
    except urllib.error.HTTPError as exc:
        return Response(exc.code, dict(exc.headers.items()), exc.read(),
                        time.perf_counter() - t0)


@dataclass
class Server:
    """A gunicorn server this script launches, waits for and stops."""

    name: str
    app: str
    port: int
    env: dict[str, str]
    log: Path
    workers: int = 2
    worker_timeout: int = 300
    proc: subprocess.Popen[bytes] | None = None
    launched: float = 0.0
    start_s: float | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def argv(self) -> list[str]:
        """The gunicorn command: identical for every server but for the app."""
        return [
            sys.executable, "-m", "gunicorn",
            "--workers", str(self.workers), "--worker-class", "sync", "--preload",
            "--bind", f"127.0.0.1:{self.port}",
            # Long enough for a cold first render of a big map page; no effect on throughput.
            "--timeout", str(self.worker_timeout),
            "--chdir", str(ROOT), "--log-level", "warning",
            self.app,
        ]

    def launch(self) -> None:
        """Start the process (in its own session, so a Ctrl-C reaches only this script)."""
        with self.log.open("wb") as fh:
            self.launched = time.perf_counter()
            self.proc = subprocess.Popen(self.argv(), cwd=ROOT, env=self.env, stdout=fh,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, path: str, accept: str, timeout_s: float) -> float:
        """Poll ``path`` until it answers 200; return seconds since launch.

        Raises
        ------
        ServerError
            If the process exits first, or ``timeout_s`` passes.
        """
        assert self.proc is not None, "launch() first"
        deadline = self.launched + timeout_s
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"{self.name} exited with {self.proc.returncode} before "
                                  f"answering; log {self.log}:\n{self.log_tail()}")
            try:
                if fetch(self.base + path, {"Accept": accept}, timeout=5).status == 200:
                    self.start_s = time.perf_counter() - self.launched
                    return self.start_s
            except OSError:
                pass  # not listening yet
            time.sleep(0.05)
        raise ServerError(f"{self.name} gave no 200 on {path} within {timeout_s:g} s; "
                          f"log {self.log}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def pids(self) -> list[int]:
        """The gunicorn master and its workers (children, from /proc)."""
        if self.proc is None:
            return []
        out = [self.proc.pid]
        for children in Path(f"/proc/{self.proc.pid}/task").glob("*/children"):
            try:
                out += [int(p) for p in children.read_text().split()]
            except (OSError, ValueError):
                pass  # the task ended meanwhile
        return out

    def wait_idle(self, max_s: float = 120.0, window_s: float = 0.25) -> float:
        """Wait until the server's processes use (almost) no CPU; return the seconds waited.

        After a wrk run the sync workers still serve the requests queued in the listen
        backlog (their clients are gone, the work is not), which would load the machine during
        the next URL's run. Idle means at most 10 ms of CPU in a ``window_s`` window;
        the wait is bounded by ``max_s``.
        """
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < max_s:
            before = _cpu_seconds(self.pids())
            time.sleep(window_s)
            if _cpu_seconds(self.pids()) - before <= 0.01:
                break
        return time.perf_counter() - t0

    def terminate(self) -> None:
        """SIGTERM the gunicorn master: it stops its workers gracefully."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()

    def reap(self, timeout_s: float = 15.0) -> None:
        """Wait for the master to exit; SIGKILL its whole group if it is stuck (a worker busy
        with a long request, such as a cold map page of a big catalog)."""
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the session launch() created
            self.proc.wait(timeout=10)


_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds used so far by ``pids`` (Linux /proc; gone pids count 0)."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        # fields after the ")" closing the command name: state is field 3, utime/stime 14/15
        fields = stat.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / _CLK_TCK


def _system_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores; Linux /proc/stat, else 0)."""
    try:
        first = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return 0.0
    # cpu user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in first[1:9])
    return (user + nice + system + irq + softirq + steal) / _CLK_TCK


def _children_cpu_seconds() -> float:
    """CPU seconds of this script's finished child processes (each wrk run, once reaped)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def server_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment of a server: ours first on PYTHONPATH, so this checkout's code runs."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def imported_from(env: dict[str, str]) -> str:
    """Where a server with ``env`` would import the service's ``web`` package from."""
    proc = subprocess.run([sys.executable, "-c", "import web; print(web.__file__)"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise ServerError(f"cannot import web: {proc.stderr}")
    return proc.stdout.strip()


# --------------------------------------------------------------------------- pygeoapi


def pygeoapi_config(port: int, collections: dict[str, tuple[Path, str]]) -> dict[str, Any]:
    """A minimal pygeoapi configuration serving GeoJSON files with its GeoJSON provider.

    Parameters
    ----------
    port
        Port the server listens on (also its public URL).
    collections
        Collection id -> (GeoJSON file, title).
    """
    base = f"http://127.0.0.1:{port}"
    resources = {
        cid: {
            "type": "collection",
            "title": title,
            "description": f"{title} (same features as the corridor service's benchmark)",
            "keywords": ["benchmark"],
            "extents": {"spatial": {"bbox": [119.0, 35.2, 121.6, 37.4],
                                    "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
            "providers": [{"type": "feature", "name": "GeoJSON", "data": str(path),
                           "id_field": "id"}],
        }
        for cid, (path, title) in collections.items()
    }
    return {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": base,
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": ["en-US"],
            "cors": False,
            "pretty_print": False,
            "limits": {"default_items": ITEMS_LIMIT, "max_items": 10_000},
            # Only its HTML pages would show tiles; this loopback URL is never fetched here.
            "map": {"url": "http://127.0.0.1/no-tiles/{z}/{x}/{y}.png", "attribution": "none"},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {"title": "pygeoapi benchmark baseline",
                               "description": "pygeoapi serving the benchmark's GeoJSON files",
                               "keywords": ["benchmark"], "url": base,
                               "terms_of_service": "none"},
            "license": {"name": "none", "url": base},
            "provider": {"name": "benchmark"},
            "contact": {"name": "benchmark"},
        },
        "resources": resources,
    }


def write_pygeoapi_files(workdir: Path, port: int,
                         collections: dict[str, tuple[Path, str]]) -> dict[str, str]:
    """Write pygeoapi's config and OpenAPI document; return the env variables naming them.

    The config is written as JSON, which YAML parsers read as YAML (no YAML writer needed).

    Raises
    ------
    ServerError
        If ``pygeoapi openapi generate`` fails.
    """
    config = workdir / "pygeoapi-config.yml"
    openapi = workdir / "pygeoapi-openapi.yml"
    config.write_text(json.dumps(pygeoapi_config(port, collections), indent=1), encoding="utf-8")
    env = {"PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    cli = Path(sys.executable).with_name("pygeoapi")
    proc = subprocess.run([str(cli), "openapi", "generate", str(config), "--output-file",
                           str(openapi)], env=server_env(env), capture_output=True, text=True,
                          timeout=300)
    if proc.returncode != 0 or not openapi.exists():
        raise ServerError(f"pygeoapi openapi generate failed:\n{proc.stdout}\n{proc.stderr}")
    return env


# --------------------------------------------------------------------------- endpoints


@dataclass(frozen=True)
class Endpoint:
    """One URL to measure."""

    key: str
    label: str
    server: str
    path: str
    accept: str
    #: Least and most features the response may hold (equal but for a feature within the
    #: computation's slack of a distance limit); None: not a FeatureCollection.
    features: tuple[int, int] | None = None
    #: Key of our /api endpoint on the same catalog (the reference of the "x our /api" ratio).
    api_ref: str | None = None
    #: Key of the pygeoapi endpoint on the same features, if any.
    pygeoapi_ref: str | None = None
    #: A wrk Lua script making each request's path (``path`` is then only what the checks
    #: fetch once); None: every request asks for ``path``.
    script: str | None = None


def check_endpoint(ep: Endpoint, base: str, timeout: float) -> dict[str, Any]:
    """GET the endpoint once and check its status, type and feature count.

    Raises
    ------
    ServerError
        On any mismatch.
    """
    resp = fetch(base + ep.path, {"Accept": ep.accept}, timeout=timeout)
    ctype = resp.headers.get("Content-Type", "")
    info: dict[str, Any] = {"url": base + ep.path, "status": resp.status, "bytes": len(resp.body),
                            "content_type": ctype, "seconds": round(resp.seconds, 4)}
    if resp.status != 200:
        raise ServerError(f"{ep.label}: {base + ep.path} answered {resp.status}: "
                          f"{resp.body[:300]!r}")
    if ep.accept == ACCEPT_HTML and not ctype.startswith("text/html"):
        raise ServerError(f"{ep.label}: expected an HTML page, got {ctype!r}")
    if ep.features is not None:
        doc = json.loads(resp.body)
        got = len(doc.get("features", [])) if doc.get("type") == "FeatureCollection" else None
        info["features"] = got
        lo, hi = ep.features
        if got is None or not lo <= got <= hi:
            want = f"{lo}" if lo == hi else f"{lo} to {hi}"
            raise ServerError(f"{ep.label}: expected a FeatureCollection of {want} "
                              f"features, got {got}")
    return info


def expected_near_count(catalog_dir: Path, of: str = NEAR_OF, km: float = NEAR_KM,
                        slack_m: float = 50.0) -> tuple[int, int]:
    """How many features ``/api/near?of=<of>&km=<km>`` must return, computed from the files
    alone (not with the service's own code, which is what is being checked).

    Counted: every placed feature of the collections outside the basemap group, except the origin,
    whose geometry comes within ``km`` of the origin's point (0 inside a polygon, else to
    its edge). Distances are measured in an azimuthal equidistant projection centred on the
    origin, where a distance from the centre is the geodesic one (edges are straight there,
    which moves them well under a metre at these sizes).

    Parameters
    ----------
    catalog_dir
        A catalog directory (``collections.toml`` and ``data/``).
    of
        Id of the origin feature (a Point).
    km
        Radius.
    slack_m
        A feature this close to the circle may go either way (the service densifies edges
        its own way): it widens the range returned rather than failing the check.

    Returns
    -------
    tuple of int
        (features within ``km`` less the slack, within ``km`` plus the slack).
    """
    import pyproj
    import shapely
    from shapely.geometry import shape

    meta = tomllib.loads((catalog_dir / "collections.toml").read_text(encoding="utf-8"))
    features = []
    for entry in meta["collection"]:
        if entry["group"] != "basemap":
            path = catalog_dir / "data" / f"{entry['id']}.geojson"
            features += json.loads(path.read_text(encoding="utf-8"))["features"]
    (origin,) = [f for f in features if f["properties"]["id"] == of]
    lon, lat = origin["geometry"]["coordinates"][:2]
    local = pyproj.CRS.from_dict({"proj": "aeqd", "lat_0": lat, "lon_0": lon, "datum": "WGS84"})
    to_local = pyproj.Transformer.from_crs("EPSG:4326", local, always_xy=True)

    def project(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(to_local.transform(xy[:, 0], xy[:, 1]))

    centre = shapely.Point(0.0, 0.0)
    dist = np.array([shapely.transform(shape(f["geometry"]), project).distance(centre)
                     for f in features if f["properties"]["id"] != of and f["geometry"]])
    r = km * 1000.0
    return int(np.sum(dist <= r - slack_m)), int(np.sum(dist <= r + slack_m))


# --------------------------------------------------------------------------- report


@dataclass
class Summary:
    """Median and spread of one endpoint's measured runs."""

    key: str
    label: str
    runs_rps: list[float]
    errors: int
    #: Runs in which not one response completed (nothing measured).
    empty_runs: int
    median_rps: float
    p50_ms: float | None


def summarise(endpoints: Sequence[Endpoint],
              rounds: Sequence[dict[str, WrkResult]]) -> dict[str, Summary]:
    """Median req/s per endpoint over the rounds, with the total error count."""
    out = {}
    for ep in endpoints:
        runs = [r[ep.key] for r in rounds if ep.key in r]
        p50 = [w.latency_ms["50%"] for w in runs if "50%" in w.latency_ms]
        out[ep.key] = Summary(
            key=ep.key, label=ep.label,
            runs_rps=[w.requests_per_s for w in runs],
            errors=sum(w.errors for w in runs),
            empty_runs=sum(w.requests == 0 for w in runs),
            median_rps=statistics.median(w.requests_per_s for w in runs) if runs else 0.0,
            p50_ms=statistics.median(p50) if p50 else None,
        )
    return out


def fmt_rps(x: float) -> str:
    """Requests per second: whole numbers from 100 up, one decimal below (slow URLs)."""
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def fmt_ratio(x: float | None, significant: int | None = None) -> str:
    """A ratio for the report: two decimals, or two significant digits below 0.1; with
    ``significant``, that many significant digits (a value judged against a limit must not
    look as if it met it by rounding)."""
    if x is None:
        return "-"
    if significant is not None:
        return f"{x:#.{significant}g}x"
    return f"{x:.2f}x" if x >= 0.1 else f"{x:.2g}x"


def ratio(a: Summary | None, b: Summary | None) -> float | None:
    """``a / b`` of median req/s, None when either is missing or zero."""
    if a is None or b is None or not b.median_rps:
        return None
    return a.median_rps / b.median_rps


def markdown_table(endpoints: Sequence[Endpoint], summary: dict[str, Summary]) -> str:
    """The results as a markdown table (ratios of median req/s)."""

    lines = [
        "| endpoint | req/s (median) | runs (req/s) | p50 ms | x bare Flask "
        "| x our /api (same catalog) | x pygeoapi (same features) | errors |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    bare = summary.get("bare")
    for ep in endpoints:
        s = summary[ep.key]
        runs = ", ".join(fmt_rps(r) for r in s.runs_rps)
        p50 = "-" if s.p50_ms is None else f"{s.p50_ms:.1f}"
        api = summary.get(ep.api_ref) if ep.api_ref and ep.api_ref != ep.key else None
        pga = summary.get(ep.pygeoapi_ref) if ep.pygeoapi_ref else None
        errors = f"**{s.errors}**" if s.errors else "0"
        if s.empty_runs:
            errors += f" (**{s.empty_runs} empty runs**)"
        lines.append(
            f"| {ep.label} | {fmt_rps(s.median_rps)} | {runs} | {p50} | "
            f"{fmt_ratio(ratio(s, bare)) if ep.key != 'bare' else '1.00x'} | "
            f"{fmt_ratio(ratio(s, api))} | {fmt_ratio(ratio(s, pga))} | {errors} |"
        )
    return "\n".join(lines)


@dataclass
class Target:
    """One target of the issue and whether this run met it."""

    name: str
    value: float | None
    limit: float
    higher_is_better: bool
    unit: str
    #: Endpoint keys the value was measured on (a run with errors spoils the value).
    endpoints: tuple[str, ...] = ()
    #: The same ratio within each round (shows the noise the median smooths).
    per_round: list[float] = field(default_factory=list)
    verdict: str = ""
    note: str = ""

    def judge(self, summary: dict[str, Summary]) -> Target:
        """Set ``verdict``: PASS or MISS; a value measured with errors is a MISS."""
        errors = sum(summary[k].errors for k in self.endpoints if k in summary)
        empty = sum(summary[k].empty_runs for k in self.endpoints if k in summary)
        if self.value is None:
            self.verdict, self.note = "MISS", "not measured"
        elif errors or empty:
            self.verdict = "MISS"
            self.note = (f"{errors} errors and {empty} runs without a response: "
                         f"the value is not valid")
        else:
            ok = self.value >= self.limit if self.higher_is_better else self.value < self.limit
            self.verdict = "PASS" if ok else "MISS"
        return self

    def line(self) -> str:
        op = ">=" if self.higher_is_better else "<"
        if self.value is None:
            value = "-"
        elif self.unit == "x":
            value = fmt_ratio(self.value, significant=3)
        else:
            value = f"{self.value:,.2f}{self.unit}"
        rounds = ", ".join(fmt_ratio(r) for r in self.per_round)
        note = "".join(f" ({n})" for n in (f"per round: {rounds}" if rounds else "", self.note)
                       if n)
        return f"{self.verdict:4}  {self.name}: {value} (target {op} {self.limit:g}{self.unit}){note}"


def targets(summary: dict[str, Summary], rounds: Sequence[dict[str, WrkResult]],
            sizes: dict[str, int], start_c: float | None,
            map_bytes_c: int | None) -> list[Target]:
    """The issue's targets, judged on this run.

    Parameters
    ----------
    summary
        Medians per endpoint key (see :func:`summarise`).
    rounds
        The wrk results of each round, for the per-round ratios shown beside the medians.
    sizes
        Feature counts of catalogs "a" (universities), "b" and "c" (synthetic points).
    start_c
        Seconds from launch to the first 200 of catalog (c).
    map_bytes_c
        Uncompressed bytes of the map page of catalog (c).
    """
    out = [Target("our /api vs bare Flask", ratio(summary.get("api@a"), summary.get("bare")),
                  0.7, True, "x", ("api@a", "bare"))]
    for cat in ("a", "b", "c"):
        out.append(Target(f"items+bbox vs our /api at {sizes[cat]:,} features",
                          ratio(summary.get(f"items@{cat}"), summary.get(f"api@{cat}")),
                          0.6, True, "x", (f"items@{cat}", f"api@{cat}")))
    out += [
        Target("/api/near vs our /api", ratio(summary.get("near@a"), summary.get("api@a")),
               0.5, True, "x", ("near@a", "api@a")),
        Target("park profile vs our /api", ratio(summary.get("park@a"), summary.get("api@a")),
               0.3, True, "x", ("park@a", "api@a")),
        Target("map page vs our /api", ratio(summary.get("map@a"), summary.get("api@a")),
               0.3, True, "x", ("map@a", "api@a")),
        Target(f"start of the {sizes['c']:,}-feature catalog (launch to first 200 on /api)",
               start_c, START_LIMIT_S, False, " s"),
        Target(f"map page of the {sizes['c']:,}-feature catalog (uncompressed bytes, "
               f"2 MB = 2,000,000)",
               None if map_bytes_c is None else map_bytes_c / 1e6,
               MAP_PAGE_LIMIT_BYTES / 1e6, False, " MB"),
    ]
    for t in out:
        if t.unit == "x" and len(t.endpoints) == 2:
            num, den = t.endpoints
            t.per_round = [r[num].requests_per_s / r[den].requests_per_s for r in rounds
                           if num in r and den in r and r[den].requests_per_s]
    return [t.judge(summary) for t in out]


def versions() -> dict[str, str]:
    """Versions of the software measured (and of wrk)."""
    out = {"python": platform.python_version(), "machine": platform.machine(),
           "cpus": str(os.cpu_count())}
    for dist in ("flask", "gunicorn", "pygeoapi", "qingdao-corridor"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = "not installed"
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=30)
    lines = (wrk.stdout or wrk.stderr).splitlines()  # wrk -v prints its version, then usage
    out["wrk"] = lines[0].split(" Copyright")[0].removeprefix("wrk ") if lines else "?"
    return out


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="bench_http.py", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--duration", type=float, default=10.0,
                    help="seconds per wrk run (default 10)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="interleaved rounds; the median per URL is reported (default 3)")
    ap.add_argument("--connections", type=int, default=32,
                    help="wrk connections, -c (default 32)")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads, -t (default 2)")
    ap.add_argument("--warmup", type=float, default=2.0,
                    help="seconds of unrecorded wrk load per URL before round 1, so every "
                         "worker has built its caches (default 2; 0 skips it)")
    ap.add_argument("--wrk-timeout", type=float, default=30.0,
                    help="wrk --timeout in seconds (default 30); a response slower than this "
                         "counts as a socket timeout error. wrk's own 2 s would make any URL "
                         "slower than about 16 req/s (32 connections queued on 2 workers) "
                         "time out and measure nothing")
    ap.add_argument("--large", type=int, default=100_000,
                    help="synthetic points of catalog (c) (default 100,000)")
    ap.add_argument("--small", type=int, default=1_000,
                    help="synthetic points of catalog (b) (default 1,000)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED,
                    help=f"seed of the synthetic points (default {DEFAULT_SEED})")
    ap.add_argument("--start-timeout", type=float, default=300.0,
                    help="seconds a server may take to answer its first request (default 300)")
    ap.add_argument("--quick", action="store_true",
                    help="short smoke run: --duration 2 --rounds 1 --warmup 0 (catalog sizes "
                         "unchanged); its numbers are no measurement")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help="JSON file for every raw number (default benchmarks/results/http.json)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory (catalogs, configs, server logs)")
    args = ap.parse_args(argv)
    if args.quick:
        args.duration, args.rounds, args.warmup = 2.0, 1, 0.0
    if args.duration <= 0 or args.rounds < 1 or args.connections < 1 or args.threads < 1:
        ap.error("--duration, --rounds, --connections and --threads must be positive")
    if args.threads > args.connections:
        ap.error("--threads must not exceed --connections (wrk needs a connection per thread)")
    if args.small < ITEMS_LIMIT or args.large < ITEMS_LIMIT:
        ap.error(f"--small and --large must be at least {ITEMS_LIMIT}")
    return args


def check_tools() -> None:
    """Exit with a clear message when wrk, gunicorn or pygeoapi is missing."""
    missing = []
    if shutil.which("wrk") is None:
        missing.append("wrk (apt-get install wrk)")
    for mod in ("gunicorn", "pygeoapi"):
        if importlib.util.find_spec(mod) is None:
            missing.append(f"{mod} (pip install -e '.[bench]')")
    if not Path(sys.executable).with_name("pygeoapi").exists():
        missing.append("the pygeoapi command beside this Python (pip install -e '.[bench]')")
    if missing:
        sys.exit("bench_http.py needs: " + "; ".join(missing))


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM takes the same path as Ctrl-C, so the servers are stopped on the way out.
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    check_tools()
    signal.signal(signal.SIGTERM, _interrupt)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # this checkout's corridor for the expected counts
    bench = Bench(args, Path(tempfile.mkdtemp(prefix="bench-http-")))
    try:
        bench.run()
    finally:
        bench.stop_servers()
        if args.keep:
            print(f"kept {bench.tmp}")
        else:
            shutil.rmtree(bench.tmp, ignore_errors=True)
    return 0


@dataclass
class Bench:
    """One benchmark run: catalogs, servers, checks, rounds and the report."""

    args: argparse.Namespace
    #: Working directory: catalogs, pygeoapi's files, server logs.
    tmp: Path
    servers: dict[str, Server] = field(default_factory=dict)
    catalogs: dict[str, Path] = field(default_factory=dict)
    endpoints: list[Endpoint] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def sizes(self) -> dict[str, int]:
        """Synthetic points per catalog."""
        return {"a": 0, "b": self.args.small, "c": self.args.large}

    def run(self) -> None:
        """Every step, in order; the report is printed and the JSON written at the end."""
        self.record.update({
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": [Path(sys.argv[0]).name, *sys.argv[1:]],
            "settings": {k: (str(v) if isinstance(v, Path) else v)
                         for k, v in vars(self.args).items()},
            "versions": versions(),
        })
        info = ", ".join(f"{k} {v}" for k, v in self.record["versions"].items())
        print(f"# bench_http {self.record['date']}\n{info}")
        self.build_catalogs()
        self.start_servers()
        self.endpoints = self.make_endpoints()
        self.check_endpoints()
        self.measure_map_pages()
        rounds = self.measure_rounds()
        self.report(summarise(self.endpoints, rounds), rounds)

    def stop_servers(self) -> None:
        """Stop every server started: signal them all, then wait for each."""
        for srv in self.servers.values():
            srv.terminate()
        for srv in self.servers.values():
            srv.reap()

    def build_catalogs(self) -> None:
        self.record["catalogs"] = {}
        for cat, n in self.sizes.items():
            t0 = time.perf_counter()
            self.catalogs[cat] = build_catalog(self.tmp / f"catalog-{cat}", n, self.args.seed)
            took = time.perf_counter() - t0
            syn = self.catalogs[cat] / "data" / f"{SYNTHETIC_CID}.geojson"
            self.record["catalogs"][cat] = {"synthetic_points": n, "build_s": took,
                                            "synthetic_bytes": syn.stat().st_size if n else 0}
            extra = f" + {n:,} SYNTHETIC points (seed {self.args.seed})" if n else ""
            print(f"catalog ({cat}): bundled data{extra}, written in {took:.1f} s")

    def start_servers(self) -> None:
        """Check which code the servers import, then start them one at a time.

        Catalog (c) starts last and alone, so its start time is not shared with other starts.

        Raises
        ------
        ServerError
            If the servers would import the service from another checkout, or one does not
            answer.
        """
        envs = {cat: server_env({"CORRIDOR_GEODATA_DIR": str(path)})
                for cat, path in self.catalogs.items()}
        where = imported_from(envs["a"])
        print(f"service code imported from: {where}")
        if not Path(where).resolve().is_relative_to(ROOT):
            raise ServerError(f"the servers would import {where}, not this checkout {ROOT}")
        self.record["service_code"] = where

        pg_port = free_port()
        pg_env = write_pygeoapi_files(self.tmp, pg_port, {
            "universities": (self.catalogs["a"] / "data" / "universities.geojson",
                             "Universities (the bundled collection)"),
            SYNTHETIC_CID: (self.catalogs["b"] / "data" / f"{SYNTHETIC_CID}.geojson",
                            f"SYNTHETIC benchmark points ({self.args.small:,} features)"),
        })
        plan = [
            ("bare", "bare_flask:app", server_env({"PYTHONPATH": str(BENCH_DIR)}), "/ping"),
            ("pygeoapi", "pygeoapi.flask_app:APP", server_env(pg_env), "/?f=json"),
            *((f"ours-{cat}", "web:create_app()", envs[cat], "/api") for cat in envs),
        ]
        for name, app, env, ready_path in plan:
            port = pg_port if name == "pygeoapi" else free_port()
            srv = Server(name, app, port, env, self.tmp / f"{name}.log")
            self.servers[name] = srv
            srv.launch()
            secs = srv.wait_ready(ready_path, ACCEPT_JSON, self.args.start_timeout)
            print(f"server {name:9} {app:24} on {srv.base}: "
                  f"first 200 on {ready_path} after {secs:.2f} s")
        self.record["servers"] = {n: {"app": s.app, "port": s.port, "start_s": s.start_s,
                                      "argv": s.argv()} for n, s in self.servers.items()}

    def make_endpoints(self) -> list[Endpoint]:
        """The URLs to measure, with the feature counts each must return."""
        data = {cat: path / "data" for cat, path in self.catalogs.items()}
        univ = json.loads((data["a"] / "universities.geojson").read_text("utf-8"))
        n_univ = len(univ["features"])
        n = min(ITEMS_LIMIT, count_in_bbox(univ, UNIVERSITIES_BBOX))
        univ_n = (n, n)
        syn_n: dict[str, tuple[int, int]] = {}
        for cat in ("b", "c"):
            doc = json.loads((data[cat] / f"{SYNTHETIC_CID}.geojson").read_text("utf-8"))
            n = min(ITEMS_LIMIT, count_in_bbox(doc, SYNTHETIC_BBOX))
            syn_n[cat] = (n, n)
        size = {"a": n_univ, "b": self.args.small, "c": self.args.large}
        ubox = ",".join(f"{v:g}" for v in UNIVERSITIES_BBOX)
        sbox = ",".join(f"{v:g}" for v in SYNTHETIC_BBOX)
        items = {"a": f"/api/collections/universities/items?bbox={ubox}&limit={ITEMS_LIMIT}",
                 "b": f"/api/collections/{SYNTHETIC_CID}/items?bbox={sbox}&limit={ITEMS_LIMIT}"}
        items["c"] = items["b"]
        out = [Endpoint("bare", "bare Flask /ping", "bare", "/ping", ACCEPT_JSON)]
        out += [Endpoint(f"api@{cat}", f"ours /api ({cat})", f"ours-{cat}", "/api", ACCEPT_JSON,
                         api_ref=f"api@{cat}") for cat in ("a", "b", "c")]
        out += [Endpoint(f"items@{cat}", f"ours items+bbox @ {size[cat]:,} ({cat})", f"ours-{cat}",
                         items[cat], ACCEPT_JSON, univ_n if cat == "a" else syn_n[cat],
                         f"api@{cat}", f"pygeoapi@{cat}" if cat != "c" else None)
                for cat in ("a", "b", "c")]
        out += [
            Endpoint("pygeoapi@a", f"pygeoapi items+bbox @ {n_univ:,}", "pygeoapi",
                     items["a"].removeprefix("/api") + "&f=json", ACCEPT_JSON, univ_n),
            Endpoint("pygeoapi@b", f"pygeoapi items+bbox @ {self.args.small:,}", "pygeoapi",
                     items["b"].removeprefix("/api") + "&f=json", ACCEPT_JSON, syn_n["b"]),
            Endpoint("near@a", f"ours /api/near?of={NEAR_OF}&km={NEAR_KM} (a)", "ours-a",
                     f"/api/near?of={NEAR_OF}&km={NEAR_KM}", ACCEPT_JSON,
                     expected_near_count(self.catalogs["a"]), "api@a"),
            Endpoint("near-new@a", f"ours /api/near from a new point each request, km={NEAR_KM} (a)",
                     "ours-a", f"/api/near?of={NEAR_POINT[0]:g},{NEAR_POINT[1]:g}&km={NEAR_KM}",
                     ACCEPT_JSON, None, "api@a", script=NEW_POINT_SCRIPT),
            Endpoint("park@a", f"ours /parks/{PARK_ID} (a)", "ours-a", f"/parks/{PARK_ID}",
                     ACCEPT_HTML, None, "api@a"),
            Endpoint("map@a", "ours / map page (a)", "ours-a", "/", ACCEPT_HTML, None, "api@a"),
        ]
        self.record["endpoints"] = [asdict(ep) for ep in out]
        self.record["feature_counts"] = size
        return out

    def check_endpoints(self) -> None:
        """One GET per URL: status 200, the right type and feature count; print the sizes."""
        print("\n## checks (one GET each)")
        self.record["checks"] = {}
        for ep in self.endpoints:
            info = check_endpoint(ep, self.servers[ep.server].base, self.args.start_timeout)
            self.record["checks"][ep.key] = info
            feats = f", {info['features']} features" if "features" in info else ""
            if ep.features is not None and ep.features[0] != ep.features[1]:
                feats += f" ({ep.features[0]} to {ep.features[1]} expected)"
            print(f"  {info['status']} {info['bytes']:>10,} B{feats:16} {info['seconds']:7.3f} s"
                  f"  {ep.label}: {info['url']}")

    def measure_map_pages(self) -> None:
        """Byte size of the map page on catalogs (a) and (c): uncompressed (what the browser
        parses, judged by the target) and as sent with ``Accept-Encoding: gzip``."""
        self.record["map_page"] = {}
        for cat in ("a", "c"):
            url = self.servers[f"ours-{cat}"].base + "/"
            plain = fetch(url, {"Accept": ACCEPT_HTML}, timeout=self.args.start_timeout)
            zipped = fetch(url, {"Accept": ACCEPT_HTML, "Accept-Encoding": "gzip"},
                           timeout=self.args.start_timeout)
            if plain.status != 200 or zipped.status != 200:
                raise ServerError(f"map page of catalog ({cat}) answered "
                                  f"{plain.status}/{zipped.status}")
            self.record["map_page"][cat] = {
                "bytes": len(plain.body), "gzip_bytes": len(zipped.body),
                "content_encoding": zipped.headers.get("Content-Encoding"),
                "get_s": plain.seconds,
            }
            print(f"map page / of catalog ({cat}): {len(plain.body):,} B uncompressed, "
                  f"{len(zipped.body):,} B with Accept-Encoding: gzip "
                  f"(GET took {plain.seconds:.2f} s)")

    def wrk(self, ep: Endpoint, duration: float) -> tuple[WrkResult, str, float, float]:
        """One wrk run on ``ep``, then wait until its server is idle.

        Returns
        -------
        tuple
            wrk's parsed result, its output, the seconds waited for the server to be idle,
            and the cores used meanwhile by everything else on the machine (neither the
            server nor wrk): the noise this run was measured in.
        """
        srv = self.servers[ep.server]
        a = self.args
        before = (_system_busy_seconds(), _cpu_seconds(srv.pids()), _children_cpu_seconds())
        t0 = time.perf_counter()
        res, text = run_wrk(srv.base + ep.path, ep.accept, duration, a.threads, a.connections,
                            a.wrk_timeout, ep.script)
        elapsed = time.perf_counter() - t0
        after = (_system_busy_seconds(), _cpu_seconds(srv.pids()), _children_cpu_seconds())
        busy, server, wrk = (y - x for x, y in zip(before, after))
        other_cores = max(0.0, busy - server - wrk) / elapsed
        return res, text, srv.wait_idle(), other_cores

    def measure_rounds(self) -> list[dict[str, WrkResult]]:
        """Warm-up, then ``--rounds`` interleaved rounds of every URL."""
        a = self.args
        self.record["wrk_command"] = (f"wrk -t{a.threads} -c{a.connections} -d{a.duration:g}s "
                                      f"--latency --timeout {a.wrk_timeout:g}s "
                                      f"-H 'Accept: <json or html>' URL")
        for srv in self.servers.values():
            srv.wait_idle()  # the checks' requests (a cold big map page) are done
        if a.warmup > 0:
            print(f"\n## warm-up: {a.warmup:g} s per URL (not recorded)")
            for ep in self.endpoints:
                self.wrk(ep, a.warmup)
        rounds: list[dict[str, WrkResult]] = []
        others: list[float] = []
        self.record["rounds"] = []
        self.record["other_cores"] = others
        for r in range(1, a.rounds + 1):
            print(f"\n## round {r}/{a.rounds}: {a.duration:g} s per URL")
            results: dict[str, WrkResult] = {}
            raw: dict[str, Any] = {}
            for ep in self.endpoints:
                res, text, idle_s, other = self.wrk(ep, a.duration)
                others.append(other)
                results[ep.key] = res
                raw[ep.key] = {**asdict(res), "errors": res.errors, "settle_s": idle_s,
                               "other_cores": other,
                               "wrk_output": text}
                flag = (f"  !! ERRORS: {res.non_2xx_3xx} non-2xx/3xx, socket {res.socket_errors}"
                        if res.errors else "")
                if res.requests == 0:
                    flag += "  !! NO RESPONSE COMPLETED"
                p50 = res.latency_ms.get("50%", float("nan"))
                print(f"  {res.requests_per_s:10,.1f} req/s  p50 {p50:8.2f} ms  {ep.label}{flag}"
                      f"  (others used {other:.2f} cores; then {idle_s:.1f} s until idle)")
            rounds.append(results)
            self.record["rounds"].append(raw)
        return rounds

    def report(self, summary: dict[str, Summary], rounds: list[dict[str, WrkResult]]) -> None:
        """Print the table and the targets; write every number to ``--out``."""
        a = self.args
        start_c = self.servers["ours-c"].start_s
        judged = targets(summary, rounds, self.record["feature_counts"], start_c,
                         self.record["map_page"]["c"]["bytes"])
        table = markdown_table(self.endpoints, summary)
        print(f"\n## results: median of {a.rounds} interleaved round(s), "
              f"{self.record['wrk_command']}; gunicorn 2 sync workers per server\n")
        print(table)
        print(f"\nstart of catalog (c) ({a.large:,} synthetic points): {start_c:.2f} s "
              f"(launch to first 200 on /api)")
        for cat, mp in self.record["map_page"].items():
            print(f"map page bytes, catalog ({cat}): {mp['bytes']:,} "
                  f"(gzip {mp['gzip_bytes']:,})")
        others = self.record["other_cores"]
        if others:
            print(f"CPU used by other processes on this machine during the runs (neither the "
                  f"measured server nor wrk): median {statistics.median(others):.2f}, "
                  f"max {max(others):.2f} of {os.cpu_count()} cores")
        empty = sum(s.empty_runs for s in summary.values())
        errors = sum(s.errors for s in summary.values())
        if empty:
            print(f"\n!! {empty} runs in which no response completed (0 req/s): "
                  f"see the errors column")
        if errors:
            print(f"\n!! {errors} errors (non-2xx/3xx or socket) across the runs: see the "
                  f"errors column; those req/s are not of successful responses only")
        print("\n## targets")
        for t in judged:
            print(t.line())
        if a.quick:
            print("\n(--quick smoke run: too short to be a measurement)")

        self.record["summary"] = {k: asdict(s) for k, s in summary.items()}
        self.record["ratios"] = {
            ep.key: {"bare": ratio(summary[ep.key], summary.get("bare")),
                     "api": ratio(summary[ep.key], summary.get(ep.api_ref or "")),
                     "pygeoapi": ratio(summary[ep.key], summary.get(ep.pygeoapi_ref or ""))}
            for ep in self.endpoints
        }
        self.record["targets"] = [asdict(t) for t in judged]
        self.record["table_markdown"] = table
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(self.record, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"\nraw numbers: {a.out}")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as exc:
        sys.exit(f"interrupted ({str(exc) or 'Ctrl-C'}); every server started was stopped")
