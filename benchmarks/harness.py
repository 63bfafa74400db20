"""What every benchmark needs to measure a server over HTTP: free ports, a GET that never
goes through a proxy, servers launched, waited for, watched until idle and stopped, and the
test suite's helpers (SYNTHETIC data, a throwaway PostgreSQL) without putting ``tests/`` on
``sys.path``.

Every server is started from this checkout (``ROOT``) with this checkout first on its
``PYTHONPATH`` (:func:`server_env`), so a benchmark measures the code beside it, not an
installed copy.
"""

from __future__ import annotations

import importlib.util
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"


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
            # corridor serve's pre_fork hook (gc.freeze of what the master loaded), for every
            # server alike: the peers get it as well
            "--config", "python:web.gunicorn_conf",
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
            before = cpu_seconds(self.pids())
            time.sleep(window_s)
            if cpu_seconds(self.pids()) - before <= 0.01:
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


def cpu_seconds(pids: Sequence[int]) -> float:
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


def system_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores; Linux /proc/stat, else 0)."""
    try:
        first = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return 0.0
    # cpu user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in first[1:9])
    return (user + nice + system + irq + softirq + steal) / _CLK_TCK


def children_cpu_seconds() -> float:
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



def start_corridor_serve(port: int, workers: int, log: Path,
                         timeout_s: float = 120.0) -> tuple[subprocess.Popen[bytes], dict[str, float]]:
    """Launch ``corridor serve`` (``python -m web.cli serve``) in its own session.

    Returns
    -------
    tuple
        The process, and the seconds from launch to the first 200 of ``/healthz`` and of the
        map page ``/`` (its cold start).

    Raises
    ------
    ServerError
        If the server exits first, or a path gives no 200 within ``timeout_s``.
    """
    argv = [sys.executable, "-m", "web.cli", "serve", "--port", str(port),
            "--workers", str(workers)]
    with log.open("wb") as fh:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=fh, stderr=fh, start_new_session=True)
    cold: dict[str, float] = {}
    deadline = t0 + timeout_s
    for path in ("/healthz", "/"):
        while path not in cold:
            if proc.poll() is not None:
                raise ServerError(f"corridor serve exited with {proc.returncode}; see {log}")
            if time.perf_counter() > deadline:
                raise ServerError(f"no 200 from {path} in {timeout_s:g} s; see {log}")
            try:
                if fetch(f"http://127.0.0.1:{port}{path}", timeout=30).status == 200:
                    cold[path] = time.perf_counter() - t0
                    continue
            except OSError:
                pass  # not listening yet
            time.sleep(0.02)
    return proc, cold


def load_test_helper(name: str) -> ModuleType:
    """A helper module of the test suite (``tests/<name>.py``: ``datafiles``, ``pg``).

    ``tests/`` is not a package (its modules import each other as top-level modules), and
    with the bench extra installed pygeoapi's own top-level ``tests`` package would answer
    ``import tests``. So the file is loaded by its path, as the ``importlib`` documentation's
    recipe does, under a name of its own, and ``sys.path`` is left alone.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    """
    path = ROOT / "tests" / f"{name}.py"
    if not path.is_file():
        raise FileNotFoundError(f"no test helper {path}")
    mod_name = f"_corridor_tests_{name}"
    if mod_name in sys.modules:
        return sys.modules[mod_name]
    spec = importlib.util.spec_from_file_location(mod_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module
