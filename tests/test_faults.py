"""Faults against the production server (`corridor serve`: gunicorn, 2 workers), on loopback:
a worker killed under load, SIGTERM under load, bad data at start, a slow client, clients
that hang up mid-response. Every load loop here is bounded in count and time."""

from __future__ import annotations

import http.client
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import MINI_GEODATA, TESTS

#: A request that takes tens of milliseconds (a distance query over every collection), so
#: some are always in flight when a fault strikes.


def slow() -> str:
    """A request that keeps a worker thread busy: everything within 300 km of a point, from a
    new point each time (a repeated question is answered from the app's answer cache)."""
    return f"/api/near?of={120.38 + random.random() * 0.01:.7f},36.07&km=300"


FAST = "/healthz"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str, timeout: float = 10.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def workers_of(master: int) -> list[int]:
    """Pids of the processes whose parent is ``master`` (gunicorn's workers)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                out.append(int(entry.name))
    return sorted(out)


@contextmanager
def server(*extra: str, geodata: Path | None = None, workers: int = 2, threads: int = 4):
    port = _free_port()
    args = [sys.executable, "-m", "web.cli", "serve", "--port", str(port),
            "--workers", str(workers), "--threads", str(threads), *extra]
    if geodata is not None:
        args += ["--geodata", str(geodata)]
    env = {**os.environ, "CORRIDOR_GRACEFUL_TIMEOUT": "20"}
    proc = subprocess.Popen(args, cwd=TESTS.parent, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(port, FAST, 2)[0] == 200 and len(workers_of(proc.pid)) == workers:
                    break
            except OSError:
                pass
            assert proc.poll() is None, f"server exited with {proc.returncode}"
            assert time.monotonic() < deadline, "server did not start in 60 s"
            time.sleep(0.1)
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class Load:
    """``clients`` threads issuing ``path`` (or what it returns, anew each request) on fresh
    connections until stopped (at most ``seconds``). Records for each request whether it was sent and how it ended."""

    def __init__(self, port: int, path: str | Callable[[], str], clients: int = 8,
                 seconds: float = 20.0):
        self.port, self.path, self.seconds = port, path, seconds
        self.stop = threading.Event()
        self.results: list[tuple[float, float, str]] = []  # (sent at, ended at, outcome)
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(clients)]

    def _run(self) -> None:
        end = time.monotonic() + self.seconds
        while not self.stop.is_set() and time.monotonic() < end:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                conn.connect()
            except OSError:
                time.sleep(0.02)  # not accepted (e.g. the server is stopping): nothing in flight
                continue
            try:
                path = self.path if isinstance(self.path, str) else self.path()
                conn.request("GET", path, headers={"Connection": "close"})
                sent = time.monotonic()
                resp = conn.getresponse()
                resp.read()
                outcome = str(resp.status)
            except (OSError, http.client.HTTPException) as exc:  # reset, or cut mid-body
                sent, outcome = time.monotonic(), f"error: {type(exc).__name__}"
            finally:
                conn.close()
            with self.lock:
                self.results.append((sent, time.monotonic(), outcome))

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=40)


def _wait_for(done, timeout_s: float = 60.0) -> None:
    """Poll ``done()`` until it is true; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, "the load made no progress"
        time.sleep(0.05)


def test_a_killed_worker_is_replaced_and_others_keep_answering():
    with server() as (proc, port):
        before = workers_of(proc.pid)
        # 16 clients: a gthread worker also holds the connections it has accepted but not yet
        # served, so with few clients one worker can hold every request in flight
        with Load(port, slow, clients=16) as load:
            time.sleep(1.5)
            os.kill(before[0], signal.SIGKILL)
            killed_at = time.monotonic()
            # until the survivors have answered 21 requests begun after the kill (however
            # loaded the machine is), at most a minute
            _wait_for(lambda: len([r for r in load.results if r[0] > killed_at and r[2] == "200"]) > 20)
        failed = [r for r in load.results if r[2] != "200"]
        ok = [r for r in load.results if r[2] == "200"]
        # only what the dead worker held can fail (the requests its threads were answering and
        # the connections it had accepted): all at the moment it died, none after
        assert all(abs(r[1] - killed_at) < 2.0 for r in failed), failed
        assert len(failed) < 16  # fewer than the requests in flight: the other worker's finished
        assert any(r[0] < killed_at < r[1] for r in ok)
        assert len([r for r in ok if r[0] > killed_at]) > 20  # the survivors kept answering
        deadline = time.monotonic() + 20
        while len(after := workers_of(proc.pid)) < 2 or before[0] in after:
            assert time.monotonic() < deadline, "the master did not replace the killed worker"
            time.sleep(0.2)
        assert _get(port, slow())[0] == 200


def test_sigterm_under_load_finishes_every_request_in_flight():
    with server() as (proc, port):
        with Load(port, slow, clients=8) as load:
            _wait_for(lambda: len(load.results) > 20)  # a load under way, however busy the machine
            proc.send_signal(signal.SIGTERM)
            stopped_at = time.monotonic()
            assert proc.wait(timeout=30) == 0
        sent_before = [r for r in load.results if r[0] < stopped_at]
        assert len(sent_before) > 20
        assert all(r[2] == "200" for r in sent_before), [r for r in sent_before if r[2] != "200"]
        # in-flight requests really were finished after the signal, not cut
        assert any(r[1] > stopped_at for r in sent_before)


@pytest.mark.parametrize("damage", ["corrupt", "missing"])
def test_bad_data_at_start_refuses_and_names_the_file(tmp_path, damage):
    root = tmp_path / "geodata"
    shutil.copytree(MINI_GEODATA, root)
    target = root / "data" / "labs.geojson"
    if damage == "corrupt":
        target.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    else:
        target.unlink()
    done = subprocess.run([sys.executable, "-m", "web.cli", "serve", "--port", str(_free_port()),
                           "--geodata", str(root)], cwd=TESTS.parent, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1
    assert "refusing to start" in done.stderr and str(target) in done.stderr
    assert ("not valid JSON" if damage == "corrupt" else "file not found") in done.stderr


def test_slow_clients_do_not_block_others():
    """Three clients trickle their request headers (slowloris); the others are served."""
    with server() as (_proc, port):
        slow = []
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET /api HTTP/1.1\r\nHost: x\r\n")
            slow.append(s)
        try:
            for i in range(30):
                for s in slow:
                    s.sendall(f"X-Slow-{i}: 1\r\n".encode())
                t = time.monotonic()
                assert _get(port, "/api/collections/parks/items?limit=2", timeout=5)[0] == 200
                assert time.monotonic() - t < 2.0
                time.sleep(0.05)
        finally:
            for s in slow:
                s.close()


def test_clients_hanging_up_mid_response_leave_no_worker_stuck():
    with server() as (proc, port):
        for _ in range(30):  # the map page is ~1 MB: hang up after the first bytes
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET /?lang=zh HTTP/1.1\r\nHost: x\r\n\r\n")
            s.recv(100)
            s.close()
        # every thread of every worker is free again: 16 slow requests at once all finish
        with Load(port, slow, clients=16, seconds=3) as load:
            time.sleep(3)
        assert load.results and all(r[2] == "200" for r in load.results)
        assert len(workers_of(proc.pid)) == 2
