"""Benchmark of the data path: ETL vs DuckDB's own floor, measure build vs one raw scan,
app queries warm/cold, peak memory, growth from 1x to 10x to 100x Stockholm scale.

Run: ``python -m benchmarks --scale 1 10 100`` (see docs/benchmark.md).

Every measurement runs in its own child process (``benchmarks.child``) so that peak RSS
figures are separate and one task's caches do not warm another's.
"""
