"""A throwaway PostgreSQL + PostGIS cluster for the tests marked ``postgis``.

:class:`Cluster` runs Debian's server binaries (``postgresql`` and
``postgresql-15-postgis-3``, found under ``/usr/lib/postgresql/*/bin``): ``initdb`` into a
temporary directory, ``pg_ctl start`` on a free loopback port with no Unix socket, and a
template database holding the ``postgis`` extension, from which each
test database is copied in a fraction of a second. ``initdb`` refuses to run as root, so
under root (as CI runs) the server runs as the unprivileged ``nobody`` through ``runuser``
and its directory is handed to that user.

Missing binaries skip the tests, except in CI (``CI=true``), where they fail loudly.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

TEMPLATE = "corridor_template"
SERVER_USER = "nobody"
_names = itertools.count()


def server_bin() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` holding initdb and pg_ctl (with the
    PostGIS extension installed for that version), or None."""
    found = []
    for d in glob.glob("/usr/lib/postgresql/*/bin"):
        version = Path(d).parent.name
        control = Path(f"/usr/share/postgresql/{version}/extension/postgis.control")
        if (Path(d) / "initdb").exists() and (Path(d) / "pg_ctl").exists() and control.exists():
            found.append((float(version) if version.replace(".", "").isdigit() else 0.0, Path(d)))
    return max(found)[1] if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """One PostgreSQL server in a temporary directory (see the module docstring).

    Parameters
    ----------
    bindir
        Directory of the server binaries (:func:`server_bin`).
    settings
        Extra ``postgres -c`` settings, e.g. ``{"max_connections": "20"}``.
    """

    def __init__(self, bindir: Path, settings: dict[str, str] | None = None) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="corridor-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.settings = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
                         "max_connections": "60", "shared_buffers": "64MB", **(settings or {})}
        self._as_root = os.geteuid() == 0
        if self._as_root:  # the server's user must reach its directory and own its data
            os.chmod(self.root, 0o755)
            self.data.mkdir(mode=0o700)
            shutil.chown(self.data, SERVER_USER)
            self.log.touch()
            shutil.chown(self.log, SERVER_USER)

    def _run(self, *args: str, timeout: float = 120) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self._as_root:
            cmd = ["runuser", "-u", SERVER_USER, "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.root)
        if proc.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n"
                               f"{proc.stderr}\n{log}")

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def init(self) -> Cluster:
        """initdb, start, and create the template database with the extensions."""
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions")
        self.start()
        self.execute(f"CREATE DATABASE {TEMPLATE}")
        self.execute("CREATE EXTENSION postgis", dbname=TEMPLATE)
        return self

    def start(self) -> None:
        opts = " ".join(f"-c {k}={v}" for k, v in
                        {"port": str(self.port), "listen_addresses": "127.0.0.1",
                         "unix_socket_directories": "''", **self.settings}.items())
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", opts, "-w", "-t", "60",
                  "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def execute(self, sql: str, dbname: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            conn.execute(sql)

    def new_database(self) -> str:
        """A fresh database (copied from the template, so with PostGIS); returns its URL."""
        name = f"corridor_test_{os.getpid()}_{next(_names)}"
        self.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url(name)

    def destroy(self) -> None:
        """Stop the server (if it runs) and delete its directory."""
        try:
            self.stop("immediate")
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.root, ignore_errors=True)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.execute("SELECT 1")
                return
            except Exception:  # noqa: BLE001 - keep trying until the deadline
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
