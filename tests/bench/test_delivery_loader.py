"""`python -m benchmarks --delivery --loader`: the same deliveries through a warm loader, with the loader's
start reported apart and the child's CPU reported back; a smoke run at a tiny scale asserting every figure is
present and every delivery was served by the loader (not timings), and the table's rows by hand."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.delivery import loader_table

ROOT = Path(__file__).resolve().parents[2]


def test_loader_table_by_hand():
    result = {"startup": {"interpreter_s": 0.02}, "config": {"kinds": ["targets"]},
              "runs": [{"scale": 1.0, "loads": {"targets": {"wall_s": 5.6, "cpu_s": 4.8}},
                        "loader": {"start": {"ready_wall_s": 4.0, "ready_cpu_s": 3.9},
                                   "client_help": {"wall_s": 0.1, "client_cpu_s": 0.05, "child_cpu_s": 0.01},
                                   "kinds": {"targets": {"wall_s": 1.5, "client_cpu_s": 0.05, "child_cpu_s": 1.2}}}}]}
    text = loader_table(result)
    assert "| targets | 5.60 s (4.80 s) | 1.50 s (0.05 + 1.20 s) | met (1.50 s ≤ 2.02 s) |" in text
    assert "1×: loader ready in 4.00 s wall, 3.90 s CPU (once, not per delivery)" in text
    result["runs"][0]["loader"]["kinds"]["targets"]["wall_s"] = 2.03
    assert "missed (2.03 s > 2.02 s)" in loader_table(result)
    assert loader_table({"startup": {}, "config": {"kinds": []}, "runs": [{"scale": 1.0}]}) == ""


def test_smoke_run_through_the_loader(tmp_path):
    out = tmp_path / "delivery.json"
    env = dict(os.environ, GX_ANALYTICS_ENABLED="false", TQDM_DISABLE="1")
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--delivery", "--loader", "--scale", "0.02", "--end-month", "2020-12",
         "--repeat", "1", "--startup-repeat", "1", "--work-dir", str(tmp_path / "work"), "--out", str(out),
         "--table-out", str(tmp_path / "table.txt")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run,) = json.loads(out.read_text(encoding="utf-8"))["runs"]
    lo = run["loader"]
    assert not lo.get("errors"), lo.get("errors")
    assert lo["start"]["ready_wall_s"] > 0 and lo["start"]["ready_cpu_s"] > 0
    assert lo["client_help"]["wall_s"] > 0 and lo["client_help"]["client_cpu_s"] > 0
    for kind in ("it_costs", "incidents", "targets"):
        (one,) = lo["kinds"][kind]["runs"]
        assert one["served_by_loader"] and one["status"] == ["loaded"] and one["rc"] in (0, 1), (kind, one)
        assert one["child_cpu_s"] > 0 and one["cpu_s"] == one["client_cpu_s"] + one["child_cpu_s"], kind
        assert one["file"] != run["loads"][kind]["runs"][0]["file"], kind  # new content, not a repeat
    # the loader was stopped: its socket is gone
    assert not (tmp_path / "work" / "scale_0.02" / "run" / "warehouse.duckdb.loader" / "loader.sock").exists()
    assert "Through a warm loader" in (tmp_path / "table.txt").read_text(encoding="utf-8")
