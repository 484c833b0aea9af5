"""Shared fixtures: one small demo warehouse built once per test session through the real
ETL (`python -m etl demo --scale 0.2`), used by the AppTest (tests/app) and browser (tests/e2e)
suites. Other suites keep their own hand-made fixtures."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


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
    env.pop("SCORECARD_FOLLOWUP_URL", None)
    proc = subprocess.run(
        [sys.executable, "-m", "etl", "demo", "--scale", "0.2", "--sample-dir", str(d / "sample")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0 and wh.exists(), f"demo warehouse build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return wh


# ---- one throwaway PostgreSQL cluster per test session (SQL source tests, follow-up store tests) ----
def postgres_bin() -> Path:
    import glob

    for candidate in ["/usr/local/bin", *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]:
        if Path(candidate, "initdb").exists() and Path(candidate, "pg_ctl").exists():
            return Path(candidate)
    pytest.fail("No PostgreSQL binaries (initdb, pg_ctl) in /usr/local/bin or /usr/lib/postgresql/*/bin; "
                "`make test` installs Debian's postgresql when initdb is missing")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(*cmd: str) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    proc = subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}"


class PostgresCluster:
    def __init__(self, port: int):
        self.port = port
        self._n = 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self, prefix: str = "t") -> str:
        """A fresh empty database; returns its URL."""
        import psycopg2

        self._n += 1
        name = f"{prefix}_{os.getpid()}_{self._n}"
        con = psycopg2.connect(self.url())
        con.autocommit = True
        try:
            con.cursor().execute(f'CREATE DATABASE "{name}"')
        finally:
            con.close()
        return self.url(name)


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throwaway PostgreSQL cluster on a free loopback port (trust auth), stopped at the end."""
    import shutil
    import tempfile

    bin_dir = postgres_bin()
    root = Path(tempfile.mkdtemp(prefix="scorecard-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", free_port()
    as_postgres(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
    as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o",
                f"-p {port} -k {root} -c listen_addresses=127.0.0.1", "start")
    try:
        yield PostgresCluster(port)
    finally:
        as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)
