"""wrk, the HTTP load generator (Debian: ``apt-get install wrk``): run it once, parse what it
prints, and never lose an error it counted."""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


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


#: What browsers, QGIS, GDAL and ``curl --compressed`` send: every run sends it too.
ACCEPT_ENCODING = "gzip"


def run_wrk(url: str, accept: str, duration: float, threads: int, connections: int,
            timeout_s: float | None, script: str | None = None) -> tuple[WrkResult, str]:
    """Run wrk once against ``url`` (with the Lua ``script``, if given, which may make each
    request's path), accepting gzip as real clients do (:data:`ACCEPT_ENCODING`); return the
    parsed result and wrk's raw output.

    Raises
    ------
    RuntimeError
        If wrk exits non-zero or prints no result.
    """
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--latency",
            "-H", f"Accept: {accept}", "-H", f"Accept-Encoding: {ACCEPT_ENCODING}"]
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
