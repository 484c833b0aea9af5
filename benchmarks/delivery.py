"""Small deliveries into a big warehouse (issue 16, item 3): wall time of `python -m etl load`, run as a
user runs it (a new process), for a small file of one source into the 1x, 10x and 100x demo warehouses.

    .venv/bin/python -m benchmarks --delivery [--scale 1 10 100] [--repeat 3] [--work-dir DIR --keep]

Per scale: the demo warehouse is built with the product's own CLI (`python -m etl demo --scale S`,
timed: generate + load + publish) into WORK/scale_S/build (kept with --keep/--work-dir and reused by
a later run with the same scale and seed), then copied to WORK/scale_S/run (the copy is not timed); the
copy of a reused build is brought up to this code first with `python -m etl build --full` ("prepare", not
timed: a build made by older code is upgraded, so the deliveries measure the steady state), and three
kinds of delivery are loaded into the copy, each --repeat times with new content:

* `it_costs`   — 1 000 ledger rows of a new month (period-scoped: the month is replaced);
* `incidents`  — a 1 000-row ServiceNow event export of incidents not yet in the warehouse (key-scoped);
* `targets`    — an 8-row target file (key-scoped: committee, year, measure).

Only the CLI is run (`python -m etl load --source S FILE` with SCORECARD_WAREHOUSE), so the harness
measures whatever the publish and the measure build are at the commit it runs on. Figures per delivery:
median wall time (and CPU time of the process, which other load on a shared machine does not inflate)
and peak RSS. Reported separately, so the figure is honest: interpreter start (`python -c pass`),
`import great_expectations`, and `python -m etl --help` (the CLI's own imports). Growth = the figure at
the largest scale / the figure at 1x (target <= 1.5 at 100x); target at 1x: <= 2 s + interpreter start.
Targets are reported, not asserted (docs/benchmark.md)."""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "delivery.json"
KINDS = ["it_costs", "incidents", "targets"]
ROWS = {"it_costs": 1000, "incidents": 1000, "targets": 8}
TARGET_1X_S = 2.0          # plus interpreter start
TARGET_GROWTH = 1.5        # figure at 100x / figure at 1x


def parse(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks --delivery", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, nargs="+", default=[1.0, 10.0],
                    help="scales of the demo warehouse (1 = Stockholm size); default 1 10")
    ap.add_argument("--kinds", nargs="+", default=KINDS, choices=KINDS)
    ap.add_argument("--repeat", type=int, default=3, help="deliveries of each kind per scale (new content each)")
    ap.add_argument("--startup-repeat", type=int, default=3, help="runs of each process-start figure (median)")
    ap.add_argument("--seed", type=int, default=2013)
    ap.add_argument("--end-month", default=None, help="last month of the demo data (YYYY-MM)")
    ap.add_argument("--work-dir", default=None, help="where warehouses are built (default: a temp dir, removed)")
    ap.add_argument("--keep", action="store_true", help="keep the built warehouses (reused by a later run)")
    ap.add_argument("--timeout-min", type=float, default=None, help="give up a build or load after this long")
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--table-out", default=None, help="also write the plain-text table (README rows) here")
    ap.add_argument("--loader", action="store_true",
                    help="also run the same deliveries (new content) through a warm loader started for the run "
                         "copy (python -m etl loader; its start reported apart, not timed into a delivery)")
    ap.add_argument("--merge", nargs="+", default=[],
                    help="earlier delivery JSONs: their scales not run now join this result")
    return ap.parse_args(argv)


# ---------------------------------------------------------------- processes
def _env(warehouse: Path | None = None) -> dict:
    env = dict(os.environ, GX_ANALYTICS_ENABLED="false", TQDM_DISABLE="1", PYTHONDONTWRITEBYTECODE="1")
    if warehouse is not None:
        env["SCORECARD_WAREHOUSE"] = str(warehouse)
    return env


def run_timed(cmd: list[str], env: dict, timeout: float | None = None) -> dict:
    """Run a process to its end: wall seconds, CPU seconds (user + system), peak RSS, exit code, output."""
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=err)
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if timeout and time.perf_counter() - t0 > timeout:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            status = None
            break
        time.sleep(0.005)
    wall = time.perf_counter() - t0
    proc.returncode = -9 if status is None else os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024.0,
            "rc": proc.returncode, "timed_out": status is None,
            "stdout": out.read().decode("utf-8", "replace"), "stderr": err.read().decode("utf-8", "replace")}


def startup_costs(repeat: int = 3) -> dict:
    """What every `python -m etl load` pays before it reads a byte (medians of new processes)."""
    py = sys.executable
    cmds = {"interpreter_s": [py, "-c", "pass"],
            "import_great_expectations_s": [py, "-c", "import great_expectations"],
            "etl_cli_help_s": [py, "-m", "etl", "--help"]}
    out = {}
    for name, cmd in cmds.items():
        runs = [run_timed(cmd, _env()) for _ in range(repeat)]
        bad = [r for r in runs if r["rc"] != 0]
        if bad:
            raise RuntimeError(f"{' '.join(cmd)} failed: {bad[0]['stderr'][-1000:]}")
        out[name] = statistics.median(r["wall_s"] for r in runs)
        out[name.replace("_s", "_cpu_s")] = statistics.median(r["cpu_s"] for r in runs)
    # GE's import alone, without the interpreter start it includes
    out["great_expectations_import_only_s"] = out["import_great_expectations_s"] - out["interpreter_s"]
    return out


# ---------------------------------------------------------------- the warehouse per scale
_BUILT = re.compile(r"generated in ([\d.]+) s, loaded and published in ([\d.]+) s")


def build(scale: float, build_dir: Path, seed: int, end_month: str | None, timeout: float | None) -> dict:
    """The demo warehouse at `scale`, made by the product's CLI; reused when build.json says it was
    made with the same parameters."""
    manifest = build_dir / "build.json"
    wanted = {"scale": scale, "seed": seed, "end_month": end_month}
    if manifest.exists():
        earlier = json.loads(manifest.read_text(encoding="utf-8"))
        if earlier.get("params") == wanted and (build_dir / "warehouse.duckdb").exists():
            return {**earlier["result"], "reused": True}
    if build_dir.exists():
        shutil.rmtree(build_dir)
    build_dir.mkdir(parents=True)
    cmd = [sys.executable, "-m", "etl", "demo", "--scale", f"{scale:g}", "--seed", str(seed),
           "--sample-dir", str(build_dir / "sample")] + (["--end", end_month] if end_month else [])
    r = run_timed(cmd, _env(build_dir / "warehouse.duckdb"), timeout)
    (build_dir / "build.log").write_text(r["stdout"] + r["stderr"], encoding="utf-8")
    if r["rc"] != 0:
        raise RuntimeError(f"demo build at scale {scale:g} failed (exit {r['rc']}"
                           f"{', timed out' if r['timed_out'] else ''}): {(r['stdout'] + r['stderr'])[-1500:]}")
    m = _BUILT.search(r["stdout"])
    result = {"wall_s": r["wall_s"], "cpu_s": r["cpu_s"], "peak_rss_mb": r["peak_rss_mb"],
              "generate_s": float(m.group(1)) if m else None, "load_publish_s": float(m.group(2)) if m else None,
              "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    manifest.write_text(json.dumps({"params": wanted, "result": result}, indent=1), encoding="utf-8")
    return {**result, "reused": False}


def prepare(warehouse: Path, timeout: float | None) -> dict:
    """`python -m etl build --full` on the copy of a reused build: a build made by older code is brought to this
    code's layout (e.g. models moved into the fact store) so that the timed deliveries measure the steady state."""
    r = run_timed([sys.executable, "-m", "etl", "build", "--full"], _env(warehouse), timeout)
    return {"wall_s": r["wall_s"], "cpu_s": r["cpu_s"], "rc": r["rc"], "output": (r["stdout"] + r["stderr"])[-1500:]}


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def fresh_copy(build_dir: Path, run_dir: Path) -> float:
    """The built warehouse (and whatever the publish keeps next to it) copied for the deliveries."""
    if run_dir.exists():
        shutil.rmtree(run_dir)
    t0 = time.perf_counter()
    shutil.copytree(build_dir, run_dir, symlinks=True,  # the fact store's `current` link stays a link
                    ignore=shutil.ignore_patterns("sample", "build.json", "build.log", "*.lock"))
    return time.perf_counter() - t0


# ---------------------------------------------------------------- delivery files
def _tail_lines(path: Path, n: int, chunk: int = 1 << 20) -> list[bytes]:
    """The last n complete lines of a file (without reading a multi-GB export from the start)."""
    size = path.stat().st_size
    want = chunk
    while True:
        start = max(0, size - want)
        with open(path, "rb") as f:
            f.seek(start)
            data = f.read()
        lines = data.splitlines()
        if start > 0:
            lines = lines[1:]  # cut in the middle of a line
        lines = [ln for ln in lines if ln.strip()]
        if len(lines) > n or start == 0:
            return lines[-n:]
        want *= 4


def _header(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.readline().rstrip(b"\r\n")


def _next_month(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{y + m // 12}-{m % 12 + 1:02d}"


def make_it_costs(sample: Path, out: Path, rep: int, rows: int = ROWS["it_costs"]) -> Path:
    """`rows` ledger lines of the month after the last one in the demo ledger (Windows-1252, `;`, decimal
    comma, as the ledger is delivered); each repetition the same month with other amounts (a correction)."""
    src = sample / "it_costs_ledger.csv"
    header = _header(src).decode("cp1252").split(";")
    i_line, i_month, i_amount = header.index("line_id"), header.index("month"), header.index("amount_sek")
    head = _header(src)
    tail = [ln.decode("cp1252").split(";") for ln in _tail_lines(src, rows) if ln.rstrip(b"\r\n") != head]
    if len(tail) < rows:
        raise RuntimeError(f"{src}: only {len(tail)} ledger lines; {rows} wanted")
    last = max(r[i_month] for r in tail)
    picked = tail  # the ledger's last lines (at small scales from more than one month), all moved to a new month
    new = _next_month(last)
    lines = [";".join(header)]
    for k, r in enumerate(picked):
        r = list(r)
        r[i_line] = f"{new.replace('-', '')}-{k + 1:07d}"
        r[i_month] = new
        amount = (Decimal(r[i_amount].replace(",", ".")) * (100 + rep) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
        r[i_amount] = f"{amount}".replace(".", ",")
        lines.append(";".join(r))
    path = out / f"it_costs_{new}_r{rep}.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def make_incidents(sample: Path, out: Path, rep: int, rows: int = ROWS["incidents"]) -> Path:
    """The last `rows` event rows of the demo's ServiceNow export, their incidents renumbered to numbers
    not in the warehouse (new numbers each repetition): a month's new incidents."""
    src = sample / "incidents_servicenow_export.csv"
    header_line = _header(src).decode("utf-8-sig")
    header = next(csv.reader([header_line]))
    i_num = header.index("number")
    renum: dict[str, str] = {}
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
    w.writerow(header)
    head = _header(src)
    for rec in csv.reader([ln.decode("utf-8") for ln in _tail_lines(src, rows) if ln.rstrip(b"\r\n") != head]):
        number = renum.setdefault(rec[i_num], f"INC9{rep:02d}{len(renum) + 1:05d}")
        rec[i_num] = number
        w.writerow(rec)
    path = out / f"incidents_new_r{rep}.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def make_targets(sample: Path, out: Path, rep: int, rows: int = ROWS["targets"]) -> Path:
    """`rows` target overrides (committee, year, measure Q1) for the first committees of the demo;
    other target values each repetition."""
    with open(sample / "committees.csv", encoding="utf-8-sig", newline="") as f:
        codes = [r["committee_code"] for r in csv.DictReader(f)][:rows]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["committee_code", "year", "measure_id", "target", "red_threshold", "changed_by", "changed_at",
                "reason"])
    for k, code in enumerate(codes):
        w.writerow([code, 2026, "Q1", f"{99.0 + rep / 10:.1f}", "98.5", "it-strateg, stadsledningskontoret",
                    f"2026-11-{rep % 28 + 1:02d} 10:{k:02d}", f"Justerat mål, leverans {rep + 1}"])
    path = out / f"target_overrides_r{rep}.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


MAKERS = {"it_costs": ("it_costs", make_it_costs), "incidents": ("incidents", make_incidents),
          "targets": ("target_overrides", make_targets)}


# ---------------------------------------------------------------- one scale
def _statuses(stdout: str) -> list[str]:
    return re.findall(r"^\[(\w+)\] batch", stdout, flags=re.M)


def run_scale(scale: float, base: Path, opts, log) -> dict:
    work = base / f"scale_{scale:g}"
    timeout = opts.timeout_min * 60 if opts.timeout_min else None
    run: dict = {"scale": scale, "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    log(f"scale {scale:g}: building the demo warehouse (python -m etl demo --scale {scale:g}) ...")
    try:
        run["build"] = build(scale, work / "build", opts.seed, opts.end_month, timeout)
    except RuntimeError as err:
        run["errors"] = {"build": str(err)}
        log(f"  build FAILED: {err}")
        return run
    b = run["build"]
    log(f"  built in {b['wall_s']:.1f} s{' (reused)' if b.get('reused') else ''}: generate {b.get('generate_s')} s, "
        f"load + publish {b.get('load_publish_s')} s")
    run["copy_s"] = fresh_copy(work / "build", work / "run")
    wh = work / "run" / "warehouse.duckdb"
    if b.get("reused"):  # made by older code, maybe: upgraded by the product's own rebuild first (not timed)
        run["prepare"] = prepare(wh, timeout)
        log(f"  prepare (python -m etl build --full, not timed): {run['prepare']['wall_s']:.1f} s, "
            f"rc {run['prepare']['rc']}")
        if run["prepare"]["rc"] != 0:
            run.setdefault("errors", {})["prepare"] = run["prepare"].pop("output")
    run["warehouse_bytes"] = _dir_bytes(work / "run")
    run["catalog_bytes"] = wh.stat().st_size
    deliveries = work / "deliveries"
    deliveries.mkdir(exist_ok=True)
    run["loads"] = {}
    for kind in opts.kinds:
        source, make = MAKERS[kind]
        loads = []
        for rep in range(opts.repeat):
            path = make(work / "build" / "sample", deliveries, rep)
            r = run_timed([sys.executable, "-m", "etl", "load", "--source", source, str(path)], _env(wh), timeout)
            status = _statuses(r["stdout"])
            ok = r["rc"] in (0, 1) and status == ["loaded"]  # 1 = loaded with quarantined rows
            loads.append({"file": path.name, "rows": _data_rows(path), "wall_s": r["wall_s"], "cpu_s": r["cpu_s"],
                          "peak_rss_mb": r["peak_rss_mb"], "rc": r["rc"], "status": status,
                          "message": r["stdout"].strip().splitlines()[0][:300] if r["stdout"].strip() else ""})
            log(f"  {kind} #{rep + 1}: {r['wall_s']:.2f} s wall, {r['cpu_s']:.2f} s CPU, "
                f"{r['peak_rss_mb']:.0f} MB, {status or 'no status'}")
            if not ok:
                run.setdefault("errors", {})[f"{kind}#{rep + 1}"] = (r["stdout"] + r["stderr"])[-1500:]
        good = [x for x in loads if x["status"] == ["loaded"]]
        run["loads"][kind] = {
            "source": source, "rows": loads[0]["rows"] if loads else 0, "runs": loads,
            "wall_s": statistics.median(x["wall_s"] for x in good) if good else None,
            "cpu_s": statistics.median(x["cpu_s"] for x in good) if good else None,
            "first_wall_s": good[0]["wall_s"] if good else None,
            "peak_rss_mb": max(x["peak_rss_mb"] for x in good) if good else None}
    if getattr(opts, "loader", False):
        run["loader"] = run_loader_deliveries(work, wh, opts, log, timeout)
    run["loadavg_1min"] = os.getloadavg()[0]
    run["catalog_bytes_after"] = wh.stat().st_size
    if not opts.keep:
        shutil.rmtree(work / "run", ignore_errors=True)
    return run


# ---------------------------------------------------------------- the same deliveries through a warm loader
def _proc_cpu_s(pid: int) -> float:
    """User + system CPU of a running process so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_loader(warehouse: Path, log_path: Path, timeout: float | None) -> tuple[subprocess.Popen, dict]:
    """`python -m etl loader` for the run copy, waited for until its socket answers: (process, start figures:
    wall seconds to ready and the loader's CPU seconds by then — what it pays once, not per delivery)."""
    from pipeline.loader import control

    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "etl", "loader"], cwd=ROOT, env=_env(warehouse),
                            stdout=subprocess.DEVNULL, stderr=open(log_path, "w"))
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the loader ended (exit {proc.returncode}): {log_path.read_text()[-1500:]}")
        if timeout and time.perf_counter() - t0 > timeout:
            proc.kill()
            raise RuntimeError("the loader did not become ready in time")
        answer = control({"control": "status"}, warehouse)
        if answer and answer.get("pid") == proc.pid:
            break
        time.sleep(0.05)
    return proc, {"ready_wall_s": time.perf_counter() - t0, "ready_cpu_s": _proc_cpu_s(proc.pid)}


def stop_loader(proc: subprocess.Popen, warehouse: Path) -> None:
    from pipeline.loader import control

    if proc.poll() is None:
        control({"control": "stop"}, warehouse)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_loader_deliveries(work: Path, wh: Path, opts, log, timeout: float | None) -> dict:
    """The same kinds of delivery as the plain runs (other content: repetitions --repeat … 2×--repeat-1),
    each `python -m etl load --source S FILE` in a new client process while a warm loader serves the run
    copy. Per delivery: the client's wall time (what the user waits for), the client's CPU (wait4) and the
    child's CPU and peak RSS as the loader measured them with wait4 and reported back to the client, which
    writes them to SCORECARD_LOADER_REPORT — the child is the loader's process, not the client's, so its
    CPU is not in the client's rusage. CPU = client + child."""
    out: dict = {"kinds": {}}
    proc, out["start"] = start_loader(wh, work / "loader.log", timeout)
    log(f"  warm loader ready in {out['start']['ready_wall_s']:.2f} s ({out['start']['ready_cpu_s']:.2f} s CPU)")
    deliveries = work / "deliveries"
    report = work / "loader_report.json"
    try:
        help_runs = []
        for _ in range(opts.startup_repeat):  # the thin client's own start: load --help through the loader
            report.unlink(missing_ok=True)
            r = run_timed([sys.executable, "-m", "etl", "load", "--help"],
                          dict(_env(wh), SCORECARD_LOADER_REPORT=str(report)), timeout)
            child = json.loads(report.read_text()) if report.exists() else None
            help_runs.append({"wall_s": r["wall_s"], "client_cpu_s": r["cpu_s"],
                              "child_cpu_s": _child_cpu(child), "served": child is not None})
        out["client_help"] = {k: statistics.median(x[k] for x in help_runs if x[k] is not None)
                              for k in ("wall_s", "client_cpu_s", "child_cpu_s")} if all(
            x["served"] for x in help_runs) else None
        for kind in opts.kinds:
            source, make = MAKERS[kind]
            loads = []
            for rep in range(opts.repeat, 2 * opts.repeat):
                path = make(work / "build" / "sample", deliveries, rep)
                report.unlink(missing_ok=True)
                r = run_timed([sys.executable, "-m", "etl", "load", "--source", source, str(path)],
                              dict(_env(wh), SCORECARD_LOADER_REPORT=str(report)), timeout)
                child = json.loads(report.read_text()) if report.exists() else None
                status = _statuses(r["stdout"])
                x = {"file": path.name, "rows": _data_rows(path), "wall_s": r["wall_s"], "client_cpu_s": r["cpu_s"],
                     "child_cpu_s": _child_cpu(child), "child_wall_s": (child or {}).get("wall_s"),
                     "child_peak_rss_mb": ((child or {}).get("rusage") or {}).get("maxrss_kb", 0) / 1024.0,
                     "client_peak_rss_mb": r["peak_rss_mb"], "rc": r["rc"], "status": status,
                     "served_by_loader": child is not None}
                x["cpu_s"] = x["client_cpu_s"] + (x["child_cpu_s"] or 0.0)
                loads.append(x)
                log(f"  {kind} via loader #{rep - opts.repeat + 1}: {r['wall_s']:.2f} s wall, CPU client "
                    f"{r['cpu_s']:.2f} s + child {x['child_cpu_s'] or 0:.2f} s, {status or 'no status'}"
                    f"{'' if child else ', NOT served by the loader'}")
                if not (r["rc"] in (0, 1) and status == ["loaded"] and child is not None):
                    out.setdefault("errors", {})[f"{kind}#{rep + 1}"] = (r["stdout"] + r["stderr"])[-1500:]
            good = [x for x in loads if x["status"] == ["loaded"] and x["served_by_loader"]]
            med = lambda key: statistics.median(x[key] for x in good) if good else None
            out["kinds"][kind] = {"source": source, "rows": loads[0]["rows"] if loads else 0, "runs": loads,
                                  "wall_s": med("wall_s"), "cpu_s": med("cpu_s"), "client_cpu_s": med("client_cpu_s"),
                                  "child_cpu_s": med("child_cpu_s")}
    finally:
        stop_loader(proc, wh)
    return out


def _child_cpu(report: dict | None) -> float | None:
    usage = (report or {}).get("rusage")
    return usage["utime_s"] + usage["stime_s"] if usage else None


def loader_table(result: dict) -> str:
    """The loader rows beside the plain ones: wall (CPU client + child) per scale, and the target."""
    runs = [r for r in sorted(result["runs"], key=lambda r: r["scale"]) if r.get("loader")]
    if not runs:
        return ""
    start = result["startup"]
    out = ["", "", "Through a warm loader (python -m etl loader started for the run copy; a new client process per "
               "delivery; CPU = client (wait4) + the loader's child (wait4 in the loader, reported back)):", "",
           "| delivery | " + " | ".join(f"{r['scale']:g}× plain wall (CPU) | {r['scale']:g}× loader wall "
                                        f"(CPU client + child)" for r in runs) + " | 1× target |",
           "|---|" + "---|---|" * len(runs) + "---|"]
    for kind in result["config"]["kinds"]:
        cells = []
        for r in runs:
            d, w = r.get("loads", {}).get(kind) or {}, r["loader"]["kinds"].get(kind) or {}
            cells.append(f"{d['wall_s']:.2f} s ({d['cpu_s']:.2f} s)" if d.get("wall_s") else "–")
            cells.append(f"{w['wall_s']:.2f} s ({w['client_cpu_s']:.2f} + {w['child_cpu_s']:.2f} s)"
                         if w.get("wall_s") else "–")
        one = next((r for r in runs if r["scale"] == 1), None)
        v = ((one or {}).get("loader", {}).get("kinds", {}).get(kind) or {}).get("wall_s")
        limit = TARGET_1X_S + start["interpreter_s"]
        target = "–" if v is None else (f"met ({v:.2f} s ≤ {limit:.2f} s)" if v <= limit
                                        else f"missed ({v:.2f} s > {limit:.2f} s)")
        out.append(f"| {kind} | " + " | ".join(cells) + f" | {target} |")
    out.append("")
    for r in runs:
        lo = r["loader"]
        h = lo.get("client_help") or {}
        out.append(f"{r['scale']:g}×: loader ready in {lo['start']['ready_wall_s']:.2f} s wall, "
                   f"{lo['start']['ready_cpu_s']:.2f} s CPU (once, not per delivery)"
                   + (f"; `load --help` through it {h['wall_s']:.2f} s wall, CPU client {h['client_cpu_s']:.2f} s "
                      f"+ child {h['child_cpu_s']:.2f} s" if h else "")
                   + (f"; ERRORS: {', '.join(lo['errors'])}" if lo.get("errors") else ""))
    return "\n".join(out)


def _data_rows(path: Path) -> int:
    with open(path, "rb") as f:
        return max(sum(1 for ln in f if ln.strip()) - 1, 0)


# ---------------------------------------------------------------- figures
def derive(result: dict) -> None:
    runs = sorted(result["runs"], key=lambda r: r["scale"])
    start = result["startup"]
    base = next((r for r in runs if r["scale"] == 1 and r.get("loads")), None)
    growth, targets = {}, []
    for kind in result["config"]["kinds"]:
        b = (base or {}).get("loads", {}).get(kind, {}).get("wall_s")
        if b is not None:
            limit = TARGET_1X_S + start["interpreter_s"]
            targets.append({"target": f"{kind}: 1x delivery <= 2 s + interpreter start", "value": b,
                            "limit": limit, "met": b <= limit})
        bc = (base or {}).get("loads", {}).get(kind, {}).get("cpu_s")
        for r in runs:
            v = r.get("loads", {}).get(kind, {}).get("wall_s")
            if b and v is not None and r["scale"] != 1:
                growth.setdefault(kind, {})[f"{r['scale']:g}x/1x"] = v / b
            vc = r.get("loads", {}).get(kind, {}).get("cpu_s")
            if bc and vc is not None and r["scale"] != 1:  # CPU: what other load on the machine does not inflate
                growth.setdefault(kind + "_cpu", {})[f"{r['scale']:g}x/1x"] = vc / bc
        top = max((r for r in runs if r.get("loads", {}).get(kind, {}).get("wall_s") is not None),
                  key=lambda r: r["scale"], default=None)
        if b and top is not None and top["scale"] > 1:
            g = top["loads"][kind]["wall_s"] / b
            targets.append({"target": f"{kind}: growth {top['scale']:g}x/1x <= 1.5 (the issue's target is at 100x)",
                            "value": g, "limit": TARGET_GROWTH, "met": g <= TARGET_GROWTH,
                            "at_scale": top["scale"], "complete": top["scale"] >= 100})
    result["growth"] = growth
    result["targets"] = targets


def _mb(n: int) -> str:
    return f"{n / 1e6:,.0f} MB".replace(",", " ")


def table(result: dict) -> str:
    s = result["startup"]
    out = [f"Small deliveries (python -m benchmarks --delivery), {result['started_at']}; "
           f"commit {result['machine'].get('git_commit')}",
           f"Process start, paid by every load: interpreter {s['interpreter_s']:.3f} s; "
           f"import great_expectations {s['great_expectations_import_only_s']:.2f} s (+ interpreter; "
           f"CPU {s.get('import_great_expectations_cpu_s', float('nan')):.2f} s); "
           f"python -m etl --help {s['etl_cli_help_s']:.2f} s", ""]
    runs = sorted(result["runs"], key=lambda r: r["scale"])
    out.append("| delivery | rows | " + " | ".join(f"{r['scale']:g}× wall (CPU)" for r in runs)
               + " | growth | target |")
    out.append("|---|---|" + "---|" * len(runs) + "---|---|")
    for kind in result["config"]["kinds"]:
        cells = []
        rows = None
        for r in runs:
            d = r.get("loads", {}).get(kind)
            rows = rows or (d or {}).get("rows")
            cells.append(f"{d['wall_s']:.2f} s ({d['cpu_s']:.2f} s)" if d and d.get("wall_s") else "–")
        g, gc = result["growth"].get(kind, {}), result["growth"].get(kind + "_cpu", {})
        gtxt = ", ".join(f"{k} {v:.2f}" + (f" (CPU {gc[k]:.2f})" if k in gc else "") for k, v in g.items()) or "–"
        t = [x for x in result["targets"] if x["target"].startswith(kind + ":")]
        ttxt = "; ".join(("met" if x["met"] else "missed") + (" (1×)" if "1x delivery" in x["target"]
                                                              else f" (growth at {x['at_scale']:g}×)") for x in t)
        out.append(f"| {kind} | {rows or '–'} | " + " | ".join(cells) + f" | {gtxt} | {ttxt or '–'} |")
    out.append("")
    for r in runs:
        b = r.get("build") or {}
        if b:
            out.append(f"{r['scale']:g}×: demo build {b['wall_s']:.0f} s (generate {b.get('generate_s')} s, "
                       f"load + publish {b.get('load_publish_s')} s, peak RSS {b['peak_rss_mb']:.0f} MB"
                       f"{', reused from ' + b['built_at'] if b.get('reused') else ''})"
                       + (f"; prepare {r['prepare']['wall_s']:.0f} s" if r.get("prepare") else "")
                       + f"; warehouse {_mb(r.get('warehouse_bytes', 0))}"
                       + (f" (catalog {_mb(r['catalog_bytes'])} → {_mb(r.get('catalog_bytes_after', 0))} after "
                          "the deliveries)" if r.get("catalog_bytes") else "")
                       + f"; load average {r.get('loadavg_1min', 0):.1f}"
                       + (f"; ERRORS: {', '.join(r['errors'])}" if r.get("errors") else ""))
        elif r.get("errors"):
            out.append(f"{r['scale']:g}×: ERRORS: {', '.join(r['errors'])}")
    return "\n".join(out)


def main(argv=None) -> int:
    from benchmarks.runner import _log, machine

    opts = parse(argv)
    base = Path(opts.work_dir) if opts.work_dir else Path(tempfile.mkdtemp(prefix="scorecard-delivery-"))
    base.mkdir(parents=True, exist_ok=True)
    result = {"started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
              "config": {"scales": opts.scale, "kinds": opts.kinds, "repeat": opts.repeat, "seed": opts.seed,
                         "end_month": opts.end_month, "rows": {k: ROWS[k] for k in opts.kinds}},
              "runs": []}
    _log("process start costs ...")
    result["startup"] = startup_costs(opts.startup_repeat)

    def save():
        derive(result)
        result["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        Path(opts.out).parent.mkdir(parents=True, exist_ok=True)
        Path(opts.out).write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")

    try:
        for scale in opts.scale:
            result["runs"].append(run_scale(scale, base, opts, _log))
            save()
        have = {r["scale"] for r in result["runs"]}
        for path in opts.merge:
            earlier = json.loads(Path(path).read_text(encoding="utf-8"))
            for r in earlier.get("runs", []):
                if r["scale"] not in have:
                    r["merged_from"] = {"file": Path(path).name,
                                        "commit": (earlier.get("machine") or {}).get("git_commit")}
                    result["runs"].append(r)
                    have.add(r["scale"])
        save()
    finally:
        if not opts.work_dir and not opts.keep:
            shutil.rmtree(base, ignore_errors=True)
    text = table(result) + loader_table(result)
    print(text)
    if opts.table_out:
        Path(opts.table_out).write_text(text + "\n", encoding="utf-8")
    return 1 if any(r.get("errors") or (r.get("loader") or {}).get("errors") for r in result["runs"]) else 0


if __name__ == "__main__":
    sys.exit(main())
