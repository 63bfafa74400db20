"""The HTTP benchmark's report: medians over the rounds, ratios, the markdown table, and
each target of the issue judged PASS or MISS (a value measured with errors is a MISS)."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from benchmarks.http_plan import Endpoint
from benchmarks.wrk import WrkResult

#: Map page size target: 2 MB counted as 2,000,000 bytes (the stricter reading).
MAP_PAGE_LIMIT_BYTES = 2_000_000
START_LIMIT_S = 10.0


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


#: Key of the bare Flask endpoint: the reference every repeated GET is measured against.
BARE = "bare"


def bracketed(endpoints: Sequence[Endpoint]) -> list[Endpoint]:
    """One round's order of runs: bare Flask before every other endpoint and once at the end,
    so that each run has a reference measured just before it and just after it, under the
    same load from the rest of the machine."""
    bare = [ep for ep in endpoints if ep.key == BARE]
    if not bare:
        return list(endpoints)
    order: list[Endpoint] = []
    for ep in endpoints:
        if ep.key != BARE:
            order += [bare[0], ep]
    return [*order, bare[0]]


def median_run(runs: Sequence[WrkResult]) -> WrkResult:
    """The run of median req/s (the lower middle one of an even count)."""
    ordered = sorted(runs, key=lambda w: w.requests_per_s)
    return ordered[(len(ordered) - 1) // 2]


def bracketed_ratios(sequences: Sequence[Sequence[tuple[str, WrkResult]]], key: str) -> list[float]:
    """Each run of ``key`` over the mean req/s of the bare Flask runs just before and just
    after it (in the order :func:`bracketed` gave), one ratio per round."""
    out = []
    for seq in sequences:
        for i, (k, res) in enumerate(seq):
            if k != key:
                continue
            refs = [seq[j][1].requests_per_s for j in (i - 1, i + 1)
                    if 0 <= j < len(seq) and seq[j][0] == BARE]
            if refs and statistics.fmean(refs) > 0:
                out.append(res.requests_per_s / statistics.fmean(refs))
    return out


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


def markdown_table(endpoints: Sequence[Endpoint], summary: dict[str, Summary],
                   sequences: Sequence[Sequence[tuple[str, WrkResult]]] = ()) -> str:
    """The results as a markdown table: ratios of median req/s, except "x bare Flask", the
    median of each run's ratio to the bare Flask runs beside it when ``sequences`` holds
    them (:func:`bracketed_ratios`)."""

    lines = [
        "| endpoint | req/s (median) | runs (req/s) | p50 ms | x bare Flask "
        "| x our /api (same catalog) | x pygeoapi (same features) | errors |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    bare = summary.get(BARE)

    def to_bare(key: str) -> float | None:
        beside = bracketed_ratios(sequences, key)
        return statistics.median(beside) if beside else ratio(summary[key], bare)

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
            f"{fmt_ratio(to_bare(ep.key)) if ep.key != BARE else '1.00x'} | "
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
            map_bytes_c: int | None,
            sequences: Sequence[Sequence[tuple[str, WrkResult]]] = ()) -> list[Target]:
    """The issue's targets, judged on this run.

    Parameters
    ----------
    summary
        Medians per endpoint key (see :func:`summarise`).
    rounds
        The wrk results of each round, for the per-round ratios shown beside the medians.
    sequences
        Each round's runs in the order they ran (:func:`bracketed`): a repeated GET's target
        is the median of its ratios to the bare Flask runs just before and after it.
    sizes
        Feature counts of catalogs "a" (universities), "b" and "c" (synthetic points).
    start_c
        Seconds from launch to the first 200 of catalog (c).
    map_bytes_c
        Uncompressed bytes of the map page of catalog (c).
    """
    out = [Target(f"repeated GET {name} vs the bare Flask runs beside it", None, 0.75, True, "x",
                  (key, BARE))
           for key, name in [("api@a", "/api"), ("items@a", f"items+bbox at {sizes['a']:,}"),
                             ("items@b", f"items+bbox at {sizes['b']:,}"),
                             ("items@c", f"items+bbox at {sizes['c']:,}"),
                             ("near@a", "/api/near"), ("tile@a", "z11 tile")]]
    out += [
        Target("/api/near from a new point vs our /api",
               ratio(summary.get("near-new@a"), summary.get("api@a")), 0.3, True, "x",
               ("near-new@a", "api@a")),
        Target(f"items+bbox vs pygeoapi at {sizes['a']:,} features",
               ratio(summary.get("items@a"), summary.get("pygeoapi@a")), 1.2, True, "x",
               ("items@a", "pygeoapi@a")),
        Target(f"items+bbox vs pygeoapi at {sizes['b']:,} features",
               ratio(summary.get("items@b"), summary.get("pygeoapi@b")), 30, True, "x",
               ("items@b", "pygeoapi@b")),
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
            if den == BARE:  # median of the ratios to the reference runs either side
                t.per_round = bracketed_ratios(sequences, num)
                t.value = statistics.median(t.per_round) if t.per_round else None
            else:
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


def report(record: dict[str, Any], endpoints: Sequence[Endpoint], summary: dict[str, Summary],
           rounds: Sequence[dict[str, WrkResult]], start_c: float | None, quick: bool,
           sequences: Sequence[Sequence[tuple[str, WrkResult]]] = ()) -> None:
    """Print the results: the table, the start of catalog (c), the map page sizes, the CPU
    other processes used meanwhile, any errors, and the targets judged; then add the
    summary, the ratios, the targets and the table to ``record``.

    Parameters
    ----------
    record
        The run's record so far: ``wrk_command``, ``feature_counts``, ``map_page`` and
        ``other_cores`` are read from it.
    start_c
        Seconds from launch to the first 200 of catalog (c).
    quick
        Whether this was a ``--quick`` smoke run (said so under the targets).
    """
    judged = targets(summary, rounds, record["feature_counts"], start_c,
                     record["map_page"]["c"]["bytes"], sequences)
    table = markdown_table(endpoints, summary, sequences)
    print(f"\n## results: median of {len(rounds)} interleaved round(s), "
          f"{record['wrk_command']}; gunicorn 2 sync workers per server\n")
    print(table)
    start = "-" if start_c is None else f"{start_c:.2f} s"
    print(f"\nstart of catalog (c) ({record['feature_counts']['c']:,} synthetic points): "
          f"{start} (launch to first 200 on /api)")
    for cat, mp in record["map_page"].items():
        print(f"map page bytes, catalog ({cat}): {mp['bytes']:,} (gzip {mp['gzip_bytes']:,})")
    others = record["other_cores"]
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
    if quick:
        print("\n(--quick smoke run: too short to be a measurement)")
    record["summary"] = {k: asdict(s) for k, s in summary.items()}
    record["ratios"] = {
        ep.key: {"bare": ratio(summary[ep.key], summary.get("bare")),
                 "api": ratio(summary[ep.key], summary.get(ep.api_ref or "")),
                 "pygeoapi": ratio(summary[ep.key], summary.get(ep.pygeoapi_ref or ""))}
        for ep in endpoints
    }
    record["targets"] = [asdict(t) for t in judged]
    record["table_markdown"] = table
