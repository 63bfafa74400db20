"""Benchmarks of the corridor service, run from the repository root as modules.

    python -m benchmarks.bench_http --help

:mod:`benchmarks.harness` starts and stops the servers under test, :mod:`benchmarks.wrk`
runs and parses wrk, :mod:`benchmarks.catalogs` writes the SYNTHETIC catalogs. Results go to
``benchmarks/results/`` (git-ignored); the measured numbers, with the command and commit of
each run, are in ``benchmarks/README.md``.
"""
