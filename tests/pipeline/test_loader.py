"""The warm loader (`python -m etl loader`, pipeline/loader.py) with real processes, a real Unix socket and
real DuckDB warehouses: a load through the loader prints, exits and publishes exactly what the plain CLI
does; the client path imports none of the heavy libraries; a stale socket, a killed loader, a Ctrl-C,
another uid and two clients at once behave as the issue asks."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import pytest

from etl_helpers import tree_files
from pipeline.loader import alive, code_fingerprint, peer_allowed, peer_credentials

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "etl" / "fixtures"
READY_TIMEOUT = 240  # a loader imports pandas, DuckDB and Great Expectations on a busy shared machine


def env_for(warehouse: Path, **extra) -> dict:
    env = dict(os.environ, SCORECARD_WAREHOUSE=str(warehouse), GX_ANALYTICS_ENABLED="false", TQDM_DISABLE="1")
    for key in ("SCORECARD_LOADER", "SCORECARD_LOADER_SOCKET", "SCORECARD_LOADER_REPORT", "SCORECARD_FOLLOWUP_URL"):
        env.pop(key, None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def etl(warehouse: Path, *args: str, cwd: Path = ROOT, **extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=cwd, env=env_for(warehouse, **extra),
                          capture_output=True, text=True, timeout=300)


class LoaderProcess:
    """`python -m etl loader` for one warehouse, its stderr log collected by a thread."""

    def __init__(self, warehouse: Path, cwd: Path = ROOT, **extra):
        self.warehouse = warehouse
        self.lines: list[str] = []
        self.proc = subprocess.Popen([sys.executable, "-m", "etl", "loader"], cwd=cwd,
                                     env=env_for(warehouse, **extra), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        deadline = time.monotonic() + READY_TIMEOUT
        while not any(" ready for " in line for line in self.lines):
            assert self.proc.poll() is None, f"the loader ended before it was ready:\n{self.log}"
            assert time.monotonic() < deadline, f"no ready line after {READY_TIMEOUT} s:\n{self.log}"
            time.sleep(0.05)

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    def served(self) -> int:
        return sum(" ended: " in line for line in self.lines)

    def wait_served(self, n: int, timeout: float = 30) -> int:
        """served() once it reaches n (or after `timeout`): the loader logs a load's end when it reaps the
        child, which may be just after the client has its answer and returned."""
        deadline = time.monotonic() + timeout
        while self.served() < n and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.served()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(60)
        self.reader.join(10)


@pytest.fixture
def loader_for():
    started: list[LoaderProcess] = []

    def start(warehouse: Path, cwd: Path = ROOT, **extra) -> LoaderProcess:
        lo = LoaderProcess(warehouse, cwd, **extra)
        started.append(lo)
        return lo
    yield start
    for lo in started:
        lo.stop()


PUBLISHED_AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _untimed(rows: list[tuple]) -> list[tuple]:
    """Rows with publish times written as text (measure_status_history's `published_at`) blanked."""
    return [tuple("<time>" if isinstance(v, str) and PUBLISHED_AT.match(v) else v for v in row) for row in rows]


def comparable(warehouse: Path) -> dict:
    """Everything a load publishes, except what records when it ran: every catalog table and view
    (warehouse_meta left out: its publish time and version), TIMESTAMP columns and publish times as text
    left out; the Parquet fact files by path and content; the manifest's file list with sizes."""
    con = duckdb.connect(str(warehouse), read_only=True)
    out = {}
    try:
        names = [t for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary UNION "
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND NOT temporary ORDER BY 1").fetchall()
            if t != "warehouse_meta"]
        for name in names:
            cols = [c for c, typ, *_ in con.execute(f'DESCRIBE "{name}"').fetchall() if "TIMESTAMP" not in typ]
            select = ", ".join(f'"{c}"' for c in cols)
            out[name] = _untimed(con.execute(f'SELECT {select} FROM "{name}" ORDER BY ALL').fetchall())
        store = warehouse.with_name(warehouse.stem + ".parquet") / "current"
        for path in tree_files(store / "facts", ".parquet") if store.exists() else []:
            cols = [c for c, typ, *_ in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
                    if "TIMESTAMP" not in typ]
            select = ", ".join(f'"{c}"' for c in cols)
            out["parquet:" + path.relative_to(store).as_posix()] = _untimed(con.execute(
                f"SELECT {select} FROM read_parquet(?) ORDER BY ALL", [str(path)]).fetchall())
        if (store / "manifest.json").exists():
            out["manifest.facts"] = json.loads((store / "manifest.json").read_text())["facts"]
    finally:
        con.close()
    return out


def published_bytes(warehouse: Path) -> dict:
    """The published state byte for byte: the catalog file, the `current` link and every file it reaches."""
    store = warehouse.with_name(warehouse.stem + ".parquet")
    state = {"catalog": warehouse.read_bytes(), "current": os.readlink(store / "current")}
    for path in tree_files(store / "current"):
        state[path.relative_to(store).as_posix()] = path.read_bytes()
    return state


def wait_for(predicate, timeout: float, what: str, poll: float = 0.002):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(poll)


# ---------------------------------------------------------------------------------------------- tests
def test_a_load_through_the_loader_prints_exits_and_publishes_as_the_plain_cli(tmp_path, loader_for):
    plain, warm = tmp_path / "plain" / "warehouse.duckdb", tmp_path / "warm" / "warehouse.duckdb"
    plain.parent.mkdir()
    warm.parent.mkdir()
    unknown = tmp_path / "budget_2024.csv"
    unknown.write_text("a,b\n1,2\n", encoding="utf-8")
    report = tmp_path / "report.json"
    steps = [
        ("good files", ["load", str(FIXTURES / "incident_mapping.csv"), str(FIXTURES / "committees.csv")], 0),
        ("quarantined rows", ["load", str(FIXTURES / "it_costs_2024.csv")], 1),
        ("a rejected file", ["load", str(FIXTURES / "committees_missing_column.csv")], 2),
        ("an unknown file name", ["load", str(unknown)], 2),
        ("an unknown source (usage)", ["load", str(FIXTURES / "committees.csv"), "--source", "nope"], 2),
        ("a revision", ["load", str(FIXTURES / "it_costs_2024-02_revision.csv")], None),
    ]
    # the plain CLI first: no loader listens for this warehouse
    plain_runs = [etl(plain, *argv, SCORECARD_LOADER_REPORT=report) for _, argv, _ in steps]
    assert not report.exists()  # no loader served the plain runs
    loader = loader_for(warm)
    sock = warm.with_name(warm.name + ".loader") / "loader.sock"
    assert sock.is_socket()
    assert oct(sock.stat().st_mode & 0o777) == "0o600" and oct(sock.parent.stat().st_mode & 0o777) == "0o700"
    for (what, argv, expected), before in zip(steps, plain_runs):
        report.unlink(missing_ok=True)
        warm_run = etl(warm, *argv, SCORECARD_LOADER_REPORT=report)
        served = json.loads(report.read_text())
        # a child of the loader ran it and reported its exit code and resource use
        assert served["pid"] != loader.proc.pid and served["exit"] == warm_run.returncode, what
        assert served["rusage"]["maxrss_kb"] > 0, what
        assert (warm_run.returncode, warm_run.stdout, warm_run.stderr) == (
            before.returncode, before.stdout, before.stderr), what
        if expected is not None:
            assert warm_run.returncode == expected, f"{what}: {warm_run.stdout}{warm_run.stderr}"
    assert loader.wait_served(len(steps)) == len(steps)
    assert plain_runs[1].stdout.count("quarantined: it_costs_2024.csv row 13") == 1
    assert plain_runs[3].stdout.startswith("[rejected] budget_2024.csv: cannot tell which source this is")
    assert comparable(warm) == comparable(plain)
    # `status` reads the same log: batch by batch the same lines but for the time
    strip = lambda out: [line.split(" at ")[0] for line in out.splitlines()]
    assert strip(etl(warm, "status").stdout) == strip(etl(plain, "status").stdout)


def test_the_client_path_imports_no_heavy_library(tmp_path, loader_for):
    warehouse = tmp_path / "warehouse.duckdb"
    loader = loader_for(warehouse)
    probe = tmp_path / "modules.json"
    script = ("import json, runpy, sys\n"
              "sys.argv = ['etl'] + sys.argv[1:]\n"
              "try:\n    runpy.run_module('etl', run_name='__main__', alter_sys=True)\n"
              "except SystemExit as exc:\n    code = exc.code\n"
              f"heavy = sorted(m for m in ('pandas', 'duckdb', 'great_expectations', 'numpy', 'pyarrow', "
              f"'pipeline.cli') if m in sys.modules)\n"
              f"open({str(probe)!r}, 'w').write(json.dumps({{'code': code, 'heavy': heavy}}))\n")

    def run(*argv, **extra):
        proc = subprocess.run([sys.executable, "-c", script, *argv], cwd=ROOT, env=env_for(warehouse, **extra),
                              capture_output=True, text=True, timeout=300)
        return proc, json.loads(probe.read_text())

    proc, seen = run("load", str(FIXTURES / "committees.csv"))
    assert seen == {"code": 0, "heavy": []}, proc.stderr
    assert proc.stdout.startswith("[loaded] batch 1 committees: committees.csv")
    proc, seen = run("load", "--help")
    assert seen == {"code": 0, "heavy": []} and "--no-loader" in proc.stdout
    assert loader.wait_served(2) == 2
    # the child works in the client's directory: a relative path names the client's file
    relative = subprocess.run([sys.executable, "-m", "etl", "load", "incident_sla.csv"], cwd=FIXTURES,
                              env=env_for(warehouse, PYTHONPATH=ROOT), capture_output=True, text=True, timeout=300)
    assert relative.returncode == 0, relative.stdout + relative.stderr
    assert relative.stdout.startswith("[loaded] batch 2 incident_sla: incident_sla.csv")
    assert loader.wait_served(3) == 3
    # the probe sees them when the load runs here: --no-loader, or SCORECARD_LOADER=0
    proc, seen = run("load", "--no-loader", str(FIXTURES / "incident_mapping.csv"))
    assert seen["code"] == 0 and set(seen["heavy"]) >= {"pandas", "duckdb", "great_expectations"}, proc.stderr
    proc, seen = run("load", str(FIXTURES / "it_costs_2024.csv"), SCORECARD_LOADER="0")
    assert seen["code"] == 1 and "great_expectations" in seen["heavy"], proc.stderr
    assert loader.wait_served(3) == 3


def test_a_stale_socket_is_loaded_around_and_replaced(tmp_path, loader_for):
    warehouse = tmp_path / "warehouse.duckdb"
    first = loader_for(warehouse)
    first.proc.kill()  # SIGKILL: no chance to remove its socket
    first.proc.wait(30)
    sock = warehouse.with_name(warehouse.name + ".loader") / "loader.sock"
    assert sock.is_socket()  # stale: nothing listens
    report = tmp_path / "report.json"
    result = etl(warehouse, "load", str(FIXTURES / "committees.csv"), SCORECARD_LOADER_REPORT=report)
    assert result.returncode == 0 and result.stderr == "", result.stderr  # silently in its own process
    assert result.stdout.startswith("[loaded] batch 1 committees: committees.csv")
    assert not report.exists()
    assert etl(warehouse, "loader", "--status").returncode == 1
    second = loader_for(warehouse)
    assert f"replacing the stale socket {sock}" in second.log
    result = etl(warehouse, "load", str(FIXTURES / "incident_mapping.csv"), SCORECARD_LOADER_REPORT=report)
    assert result.returncode == 0 and report.exists()
    assert second.wait_served(1) == 1
    status = etl(warehouse, "loader", "--status")
    assert status.returncode == 0 and f"loader {second.proc.pid} for {warehouse}" in status.stdout
    assert "1 loads served, 0 running" in status.stdout
    # a second loader for the same warehouse is refused while this one runs
    again = subprocess.run([sys.executable, "-m", "etl", "loader"], cwd=ROOT, env=env_for(warehouse),
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 2 and f"already running (pid {second.proc.pid}" in again.stderr
    stop = etl(warehouse, "loader", "--stop")
    assert stop.returncode == 0 and stop.stdout.startswith(f"loader {second.proc.pid} stops")
    assert second.proc.wait(30) == 0
    assert not sock.exists()


def _start_slow_load(warehouse: Path, report: Path) -> subprocess.Popen:
    """A client loading the fixture ledger and incident export (it_costs, incidents) into `warehouse`."""
    return subprocess.Popen([sys.executable, "-m", "etl", "load", str(FIXTURES / "it_costs_2024.csv"),
                             str(FIXTURES / "incidents_servicenow.csv")], cwd=ROOT,
                            env=env_for(warehouse, SCORECARD_LOADER_REPORT=report),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _base_warehouse(tmp_path: Path) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    warehouse = tmp_path / "warehouse.duckdb"
    done = etl(warehouse, "load", str(FIXTURES / "committees.csv"), str(FIXTURES / "incident_mapping.csv"),
               str(FIXTURES / "incident_sla.csv"))
    assert done.returncode == 0, done.stdout + done.stderr
    return warehouse


def _load_caught_publishing(tmp_path: Path, loader_for):
    """A warehouse, its published bytes, a warm loader and a slow load through it, caught while the
    child is publishing (its staging copy exists)."""
    warehouse = _base_warehouse(tmp_path)
    before = published_bytes(warehouse)
    loader = loader_for(warehouse)
    staging = warehouse.with_name(warehouse.name + ".staging")
    client = _start_slow_load(warehouse, tmp_path / "report.json")
    wait_for(lambda: staging.exists(), 120, "the load's staging copy")
    return warehouse, before, loader, client


def test_a_loader_killed_during_a_load_leaves_the_warehouse_as_it_was(tmp_path, loader_for):
    warehouse, before, loader, client = _load_caught_publishing(tmp_path, loader_for)
    started = [line for line in loader.lines if line.startswith("loader: load ") and " ended" not in line]
    child = int(started[0].split()[2])
    loader.proc.kill()
    out, err = client.communicate(timeout=120)
    assert client.returncode == 2, out + err
    assert f"the warm loader stopped before the load (process {child}) reported its result" in err
    assert not alive(child)  # the load died with its loader
    assert published_bytes(warehouse) == before
    # nothing is left locked: the next load (in its own process now) publishes
    again = etl(warehouse, "load", str(FIXTURES / "it_costs_2024.csv"))
    assert again.returncode == 1 and "[loaded] batch" in again.stdout


def test_ctrl_c_in_the_client_stops_the_child(tmp_path, loader_for):
    warehouse, before, loader, client = _load_caught_publishing(tmp_path, loader_for)
    client.send_signal(signal.SIGINT)
    out, err = client.communicate(timeout=120)
    # as the plain CLI ends on Ctrl-C: KeyboardInterrupt's traceback, then death by SIGINT
    assert client.returncode == -signal.SIGINT, out + err
    assert "KeyboardInterrupt" in err
    assert json.loads((tmp_path / "report.json").read_text())["signal"] == signal.SIGINT
    wait_for(lambda: loader.served() == 1, 30, "the loader to reap its child")
    assert "ended: signal 2" in loader.log
    assert published_bytes(warehouse) == before
    assert loader.proc.poll() is None  # the loader itself goes on serving
    again = etl(warehouse, "load", str(FIXTURES / "it_costs_2024.csv"))
    assert again.returncode == 1 and loader.wait_served(2) == 2


def test_two_clients_at_once_behave_as_two_cli_processes(tmp_path, loader_for):
    plain = _base_warehouse(tmp_path / "p")
    warm = _base_warehouse(tmp_path / "w")
    loader = loader_for(warm)
    files = [FIXTURES / "it_costs_2024.csv", FIXTURES / "incidents_servicenow.csv"]

    def together(warehouse):
        procs = [subprocess.Popen([sys.executable, "-m", "etl", "load", str(f)], cwd=ROOT, env=env_for(warehouse),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for f in files]
        return [(p.wait(300), p.stdout.read(), p.stderr.read()) for p in procs]

    runs_plain, runs_warm = together(plain), together(warm)
    assert loader.wait_served(2) == 2
    assert [r[0] for r in runs_warm] == [r[0] for r in runs_plain] == [1, 1]  # both fixtures have rows to quarantine
    # batch numbers follow the order the two publishes took the lock, in either setting
    strip = lambda text: text.split(" batch ")[1].split(" ", 1)[1]
    assert [strip(r[1]) for r in runs_warm] == [strip(r[1]) for r in runs_plain]
    # the facts as published (file names carry batch ids, which depend on who took the lock first)
    for table in ("fact_it_costs", "fact_incidents", "etl_quarantine", "etl_gate_results"):
        con_w = duckdb.connect(str(warm), read_only=True)
        con_p = duckdb.connect(str(plain), read_only=True)
        try:
            cols = [c for c, typ, *_ in con_w.execute(f"DESCRIBE {table}").fetchall()
                    if "TIMESTAMP" not in typ and "batch" not in c]  # batch ids: lock order
            sql = f"SELECT {', '.join(cols)} FROM {table} ORDER BY ALL"
            assert con_w.execute(sql).fetchall() == con_p.execute(sql).fetchall(), table
        finally:
            con_w.close()
            con_p.close()


def test_the_peer_credential_check():
    assert peer_allowed(1000, own_uid=1000)
    assert not peer_allowed(0, own_uid=1000)      # root too: its loads would be recorded as this user's
    assert not peer_allowed(1001, own_uid=1000)
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with a, b:
        assert peer_credentials(a) == (os.getpid(), os.getuid(), os.getgid())


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a client as another uid; "
                                              "test_the_peer_credential_check covers the check itself")
def test_a_client_of_another_uid_is_refused(tmp_path, loader_for):
    warehouse = _base_warehouse(tmp_path)
    # a socket another user can reach (the default one is 0600 in a 0700 directory: it could not even connect)
    shared = Path(tempfile.mkdtemp(prefix="loader-uid-"))
    try:
        os.chmod(shared, 0o755)
        sock = shared / "loader.sock"
        loader = loader_for(warehouse, SCORECARD_LOADER_SOCKET=sock)
        os.chmod(sock, 0o666)
        request = json.dumps({"protocol": 1, "argv": ["load", str(FIXTURES / "it_costs_2024.csv")], "cwd": "/",
                              "env": {}, "umask": 0o22, "warehouse": str(warehouse.resolve()), "fds": [],
                              "streams": {}}).encode()
        script = ("import socket, struct, sys\n"
                  "s = socket.socket(socket.AF_UNIX)\n"
                  f"s.connect({str(sock)!r})\n"
                  f"data = {request!r}\n"
                  "try:\n    s.sendall(struct.pack('!I', len(data)) + data)\n"
                  "except OSError:\n    pass\n"
                  "print(s.recv(65536).decode())\n")
        # the raw protocol with the standard library only, by an interpreter the other user may run (this
        # one may live in root's home)
        python = shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin") or sys.executable
        other = subprocess.run([python, "-c", script], cwd="/", user=65534, group=65534,
                               capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
        assert other.returncode == 0, other.stderr
        answer = json.loads(other.stdout)
        assert answer == {"refused": "this loader serves uid 0 only, not uid 65534"}
        # the loader writes its log line before it answers, but this test reads the loader's stderr in a thread:
        # wait for the line rather than race that thread on a loaded machine
        wait_for(lambda: "refused a client of uid 65534" in loader.log, 30, "the loader's refusal in its log")
        assert loader.served() == 0
        # the full client as another user falls back to its own process with a note (here it cannot
        # write the warehouse either, which is the point: the loader never lends it root's rights)
    finally:
        shutil.rmtree(shared, ignore_errors=True)


def test_the_code_fingerprint_sees_a_changed_file(tmp_path):
    (tmp_path / "etl").mkdir()
    code = tmp_path / "etl" / "load.py"
    code.write_text("x = 1\n")
    (tmp_path / "etl" / "notes.txt").write_text("not code")
    first = code_fingerprint(tmp_path)
    assert code_fingerprint(tmp_path) == first
    (tmp_path / "etl" / "notes.txt").write_text("still not code, longer")
    assert code_fingerprint(tmp_path) == first
    code.write_text("x = 22\n")
    assert code_fingerprint(tmp_path) != first


def test_a_loader_whose_code_changed_restarts_and_meanwhile_the_client_loads_itself(tmp_path, loader_for):
    code = tmp_path / "code"  # a copy of the code, so that the test can change a file of it
    for name in ("etl", "pipeline", "metrics", "seeds", "followup"):
        shutil.copytree(ROOT / name, code / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("settings.py", "periods.py"):
        shutil.copy2(ROOT / name, code / name)
    warehouse = tmp_path / "warehouse.duckdb"
    report = tmp_path / "report.json"
    loader = loader_for(warehouse, cwd=code)
    first = etl(warehouse, "load", str(FIXTURES / "committees.csv"), cwd=code, SCORECARD_LOADER_REPORT=report)
    assert first.returncode == 0 and report.exists() and loader.wait_served(1) == 1
    report.unlink()
    changed = code / "etl" / "load.py"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    meanwhile = etl(warehouse, "load", str(FIXTURES / "incident_mapping.csv"), cwd=code,
                    SCORECARD_LOADER_REPORT=report)
    assert meanwhile.returncode == 0 and meanwhile.stderr == "", meanwhile.stderr   # silently in its own process
    assert meanwhile.stdout.startswith("[loaded] batch 2 incident_mapping: incident_mapping.csv")
    assert not report.exists() and loader.wait_served(1) == 1
    wait_for(lambda: sum(" ready for " in line for line in loader.lines) == 2, READY_TIMEOUT,
             "the restarted loader", poll=0.05)
    assert "loader: code files changed; restarting" in loader.log
    assert loader.lines[-1].startswith(f"loader {loader.proc.pid} ready for ")  # the same process, re-executed
    third = etl(warehouse, "load", str(FIXTURES / "incident_sla.csv"), cwd=code, SCORECARD_LOADER_REPORT=report)
    assert third.returncode == 0 and report.exists() and loader.wait_served(2) == 2
