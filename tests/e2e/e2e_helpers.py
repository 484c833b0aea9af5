"""Helpers for the browser tests: a Streamlit server on a free port, waiting for the app."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A Streamlit server on a free port, answering its health check. `command` replaces the default
    `-m streamlit run app.py …` (arguments after the interpreter; "$(PORT)" becomes the port), e.g. the
    Makefile's `make run` line."""

    def __init__(self, warehouse: Path, log: Path, extra_args: list[str] = (), env: dict | None = None,
                 port: int | None = None, command: list[str] | None = None, timeout: float = 60):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, SCORECARD_WAREHOUSE=str(warehouse), GX_ANALYTICS_ENABLED="false",
                   SCORECARD_I18N_STRICT="1", **(env or {}))
        env.pop("SCORECARD_FOLLOWUP_URL", None)
        env.setdefault("SCORECARD_DEMO_LOGIN", "1")
        self.log = open(log, "w")
        if command is None:
            command = ["-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", "$(PORT)",
                       "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
                       "--server.fileWatcherType", "none", *extra_args]
        self.proc = subprocess.Popen(
            [sys.executable, *(a.replace("$(PORT)", str(self.port)) for a in command)],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
            assert self.proc.poll() is None, log.read_text()
        raise AssertionError("streamlit did not start:\n" + log.read_text())

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def wait_for_app(page, timeout: float = 30_000) -> None:
    """Like Streamlit's own e2e helpers: connected, then the script is not running."""
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=timeout)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout)
