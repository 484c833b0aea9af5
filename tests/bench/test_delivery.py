"""The small-delivery benchmark (`python -m benchmarks --delivery`): its delivery files, its figures
computed by hand, and a smoke run at a tiny scale asserting the JSON has every figure (not timings)."""
from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.delivery import derive, make_incidents, make_it_costs, make_targets, table

ROOT = Path(__file__).resolve().parents[2]


def _ledger(tmp_path: Path) -> Path:
    sample = tmp_path / "sample"
    sample.mkdir()
    lines = ["line_id;month;committee_code;account;text;amount_sek;supplier_type;cost_class;system_id;project_id",
             "202609-0000001;2026-09;BROMMA;5460;Datorer – Bromma;100,00;external;run;;",
             "202610-0000001;2026-10;BROMMA;5460;Datorer – Bromma;200,50;external;run;;",
             "202610-0000002;2026-10;SKARHOLMEN;6540;Förvaltning – Skärholmen;1000,00;internal;run;SYS0004;"]
    (sample / "it_costs_ledger.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return sample


def test_it_costs_delivery_is_the_last_lines_in_a_new_month(tmp_path):
    sample = _ledger(tmp_path)
    path = make_it_costs(sample, tmp_path, rep=1, rows=2)
    text = path.read_bytes().decode("cp1252")
    rows = [r.split(";") for r in text.strip().split("\r\n")]
    assert rows[0][:2] == ["line_id", "month"]
    assert rows[1:] == [
        ["202611-0000001", "2026-11", "BROMMA", "5460", "Datorer – Bromma", "202,51", "external", "run", "", ""],
        ["202611-0000002", "2026-11", "SKARHOLMEN", "6540", "Förvaltning – Skärholmen", "1010,00", "internal", "run",
         "SYS0004", ""]]   # amounts × 1.01 in the second repetition, decimal comma kept
    with pytest.raises(RuntimeError, match="only 3 ledger lines; 4 wanted"):
        make_it_costs(sample, tmp_path, rep=0, rows=4)


def test_december_rolls_over_to_january(tmp_path):
    sample = _ledger(tmp_path)
    raw = (sample / "it_costs_ledger.csv").read_bytes().replace(b"2026-10", b"2026-12")
    (sample / "it_costs_ledger.csv").write_bytes(raw)
    rows = make_it_costs(sample, tmp_path, rep=0, rows=1).read_bytes().decode("cp1252").split("\r\n")
    assert rows[1].startswith("202701-0000001;2027-01;SKARHOLMEN;6540;")


def test_incident_delivery_renumbers_whole_incidents(tmp_path):
    sample = tmp_path / "sample"
    sample.mkdir()
    header = '"source_system","number","incident_state","opened_at"'
    body = ["s,INC0010001,New,1/1/2020 00:41", "s,INC0010002,New,1/2/2020 10:00", "s,INC0010002,Active,1/2/2020 11:00",
            "s,INC0010003,New,1/3/2020 09:00"]
    (sample / "incidents_servicenow_export.csv").write_text("\n".join([header, *body]) + "\n", encoding="utf-8")
    path = make_incidents(sample, tmp_path, rep=2, rows=3)
    with open(path, encoding="utf-8", newline="") as f:
        got = list(csv.reader(f))
    assert got == [["source_system", "number", "incident_state", "opened_at"],
                   ["s", "INC90200001", "New", "1/2/2020 10:00"],
                   ["s", "INC90200001", "Active", "1/2/2020 11:00"],
                   ["s", "INC90200002", "New", "1/3/2020 09:00"]]


def test_target_delivery_has_eight_rows_with_new_values_each_time(tmp_path):
    sample = tmp_path / "sample"
    sample.mkdir()
    codes = [f"C{i}" for i in range(10)]
    (sample / "committees.csv").write_text("\ufeffcommittee_code,name_sv\n" + "".join(f"{c},n\n" for c in codes),
                                           encoding="utf-8")
    first, second = (list(csv.DictReader(open(make_targets(sample, tmp_path, rep=r), encoding="utf-8")))
                     for r in (0, 1))
    assert [r["committee_code"] for r in first] == codes[:8]
    assert {r["target"] for r in first} == {"99.0"} and {r["target"] for r in second} == {"99.1"}
    assert first[0]["changed_at"] == "2026-11-01 10:00" and second[7]["changed_at"] == "2026-11-02 10:07"


def _result(figures: dict[float, float]) -> dict:
    return {"started_at": "t", "machine": {"git_commit": "abc"}, "config": {"kinds": ["targets"]},
            "startup": {"interpreter_s": 0.02, "great_expectations_import_only_s": 4.0, "etl_cli_help_s": 0.7,
                        "import_great_expectations_cpu_s": 3.9},
            "runs": [{"scale": s, "loads": {"targets": {"rows": 8, "wall_s": w, "cpu_s": w}}} for s, w in figures.items()]}


def test_cpu_growth_is_its_own_figure():
    r = _result({1.0: 2.0, 10.0: 8.0})
    r["runs"][1]["loads"]["targets"]["cpu_s"] = 3.0   # a busy machine: wall 4x, CPU 1.5x
    derive(r)
    assert r["growth"]["targets"] == pytest.approx({"10x/1x": 4.0})
    assert r["growth"]["targets_cpu"] == pytest.approx({"10x/1x": 1.5})


def test_growth_and_targets_by_hand():
    r = _result({1.0: 2.0, 10.0: 2.5, 100.0: 3.2})
    derive(r)
    assert r["growth"]["targets"] == pytest.approx({"10x/1x": 1.25, "100x/1x": 1.6})
    assert r["growth"]["targets_cpu"] == pytest.approx({"10x/1x": 1.25, "100x/1x": 1.6})
    one, grow = r["targets"]
    assert one["limit"] == pytest.approx(2.02) and one["met"] is True          # 2.0 <= 2 s + 0.02 s start
    assert grow["value"] == pytest.approx(1.6) and grow["met"] is False and grow["complete"] is True
    assert "| targets | 8 | 2.00 s (2.00 s) | 2.50 s (2.50 s) | 3.20 s (3.20 s) | 10x/1x 1.25 (CPU 1.25), 100x/1x 1.60 (CPU 1.60) |" in table(r)


def test_growth_at_10x_only_is_marked_incomplete():
    r = _result({1.0: 2.1, 10.0: 2.1})
    derive(r)
    one, grow = r["targets"]
    assert one["met"] is False                                                 # 2.1 > 2.02
    assert grow["value"] == pytest.approx(1.0) and grow["at_scale"] == 10.0 and grow["complete"] is False


def test_smoke_run_has_every_figure(tmp_path):
    out = tmp_path / "delivery.json"
    env = dict(os.environ, GX_ANALYTICS_ENABLED="false", TQDM_DISABLE="1")
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--delivery", "--scale", "0.02", "--end-month", "2020-12", "--repeat", "1",
         "--startup-repeat", "1", "--work-dir", str(tmp_path / "work"), "--out", str(out),
         "--table-out", str(tmp_path / "table.txt")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    for k in ("interpreter_s", "import_great_expectations_s", "great_expectations_import_only_s", "etl_cli_help_s"):
        assert math.isfinite(data["startup"][k]) and data["startup"][k] > 0, k
    (run,) = data["runs"]
    assert not run.get("errors"), run.get("errors")
    assert run["build"]["wall_s"] > 0 and run["build"]["generate_s"] > 0 and run["build"]["load_publish_s"] > 0
    assert run["warehouse_bytes"] > 0
    assert {k: v["rows"] for k, v in run["loads"].items()} == {"it_costs": 1000, "incidents": 1000, "targets": 8}
    for kind, d in run["loads"].items():
        (one,) = d["runs"]
        assert one["status"] == ["loaded"] and one["rc"] in (0, 1), (kind, one)
        assert d["wall_s"] == one["wall_s"] > 0 and d["cpu_s"] > 0 and d["peak_rss_mb"] > 0, kind
    # the targets at a scale without a 1x figure are not judged; the table names every delivery
    assert data["targets"] == [] and data["growth"] == {}
    text = (tmp_path / "table.txt").read_text(encoding="utf-8")
    for kind in ("it_costs", "incidents", "targets"):
        assert f"| {kind} |" in text
