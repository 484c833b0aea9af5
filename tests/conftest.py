"""Shared fixtures: one small demo warehouse built once per test session through the real
ETL (`python -m etl demo --scale 0.2`), used by the AppTest (tests/app) and browser (tests/e2e)
suites. Other suites keep their own hand-made fixtures."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]

# Property tests check rules, not speed (speed targets live in benchmarks/): no per-example deadline on this
# shared machine, and a fixed number of examples so a run takes the same time every time.
settings.register_profile("scorecard", deadline=None, max_examples=100, derandomize=False)
settings.load_profile("scorecard")


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory) -> Path:
    """Path of a demo warehouse (scale 0.2). Fails (never skips) when the demo build fails.

    SCORECARD_TEST_WAREHOUSE=<path> reuses a demo warehouse built earlier (faster local runs)."""
    reuse = os.environ.get("SCORECARD_TEST_WAREHOUSE")
    if reuse:
        assert Path(reuse).exists(), f"SCORECARD_TEST_WAREHOUSE={reuse} does not exist"
        return Path(reuse)
    d = tmp_path_factory.mktemp("demo_wh")
    wh = d / "w.duckdb"
    env = dict(os.environ, SCORECARD_WAREHOUSE=str(wh), GX_ANALYTICS_ENABLED="false")
    env.pop("SCORECARD_COUNCIL_DB", None)
    proc = subprocess.run(
        [sys.executable, "-m", "etl", "demo", "--scale", "0.2", "--sample-dir", str(d / "sample")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0 and wh.exists(), f"demo warehouse build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return wh
