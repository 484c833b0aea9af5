"""Run one benchmark task in a child process and read its peak RSS.

Parent: ``run_child(task, **kwargs) -> dict``.  Child: ``python -m benchmarks.child <task> <args.json> <out.json>``.
The child writes the task's result (a JSON dict) to out.json; the parent adds
``peak_rss_mb`` from ``os.wait4`` (the child's ru_maxrss) and ``wall_s`` (including interpreter start).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class ChildFailed(RuntimeError):
    pass


def child_env() -> dict:
    env = dict(os.environ)
    env["GX_ANALYTICS_ENABLED"] = "false"
    env.setdefault("TQDM_DISABLE", "1")
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


#: the parent kills a child whose RSS goes above this (MB); set by the runner (--max-rss-gb)
MAX_RSS_MB: float | None = None


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        pass
    return 0.0


def _wait(proc: subprocess.Popen, task: str, t0: float, deadline: float | None, timeout: float | None):
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return status, usage
        if deadline and time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = -9
            raise ChildFailed(f"{task}: killed by the benchmark after {timeout:.0f} s (--timeout-min)")
        if MAX_RSS_MB and _rss_mb(proc.pid) > MAX_RSS_MB:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = -9
            raise ChildFailed(f"{task}: killed by the benchmark at RSS > {MAX_RSS_MB:.0f} MB "
                              f"(--max-rss-gb); peak {usage.ru_maxrss / 1024:.0f} MB "
                              f"after {time.perf_counter() - t0:.0f} s")
        time.sleep(0.1)


def run_child(task: str, timeout: float | None = None, **kwargs) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-child-") as tmp:
        args_path = Path(tmp) / "args.json"
        out_path = Path(tmp) / "out.json"
        err_path = Path(tmp) / "stderr.txt"
        args_path.write_text(json.dumps(kwargs, default=str), encoding="utf-8")
        t0 = time.perf_counter()
        with open(err_path, "wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.child", task, str(args_path), str(out_path)],
                cwd=str(ROOT), env=child_env(), stdout=err, stderr=err,
            )
            deadline = None if timeout is None else t0 + timeout
            try:
                status, usage = _wait(proc, task, t0, deadline, timeout)
            except BaseException:
                if proc.returncode is None:  # interrupted: never leave a child behind
                    proc.kill()
                    proc.wait()
                raise
        wall = time.perf_counter() - t0
        stderr = err_path.read_text(encoding="utf-8", errors="replace")
        if proc.returncode != 0 or not out_path.exists():
            tail = "\n".join(stderr.strip().splitlines()[-25:])
            raise ChildFailed(f"{task} exited with {proc.returncode}:\n{tail}")
        result = json.loads(out_path.read_text(encoding="utf-8"))
    # ru_maxrss is KiB on Linux; a VmHWM reset inside the child also lowers it, hence the child's own figure
    result["peak_rss_mb"] = round(max(usage.ru_maxrss / 1024.0, result.get("overall_peak_rss_mb") or 0), 1)
    result["child_wall_s"] = round(wall, 3)
    return result


def _main(argv: list[str]) -> int:
    task, args_path, out_path = argv
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    from benchmarks import tasks

    kwargs = json.loads(Path(args_path).read_text(encoding="utf-8"))
    result = getattr(tasks, "task_" + task)(**kwargs)
    Path(out_path).write_text(json.dumps(result, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
