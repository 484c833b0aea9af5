"""Alerts: the measures that turned red since the previous publish, from the per-publish status
history (metrics/status_history.py), on a hand-made warehouse whose answer is known."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import duckdb
import pytest

from cycle_helpers import ROOT


def make_warehouse(path, values: list[tuple]) -> None:
    """values: (committee, period, measure, status, value) at the tertial grain."""
    con = duckdb.connect(str(path))
    con.execute("CREATE OR REPLACE TABLE dim_committees (committee_code VARCHAR, name_sv VARCHAR, name_en VARCHAR)")
    con.execute("INSERT INTO dim_committees VALUES ('A', 'Anämnden', 'Committee A'), ('B', 'Bnämnden', 'Committee B')")
    con.execute("CREATE OR REPLACE TABLE measure_catalog (measure_id VARCHAR, ord INTEGER, name_sv VARCHAR, name_en VARCHAR, unit VARCHAR)")
    con.execute("INSERT INTO measure_catalog VALUES ('Q1', 1, 'Tillgänglighet', 'Availability', '%'), "
                "('C2', 2, 'It-kostnad per användare', 'IT cost per user', 'SEK/user/year')")
    periods = sorted({v[1] for v in values})
    con.execute("CREATE OR REPLACE TABLE scorecard_periods (grain VARCHAR, period VARCHAR, start_month DATE, complete BOOLEAN)")
    for p in periods:
        y, t = p.split("-T")
        con.execute("INSERT INTO scorecard_periods VALUES ('tertial', ?, ?, true)", [p, dt.date(int(y), (int(t) - 1) * 4 + 1, 1)])
    con.execute("""CREATE OR REPLACE TABLE measure_values (committee_code VARCHAR, grain VARCHAR, period VARCHAR,
                   measure_id VARCHAR, status VARCHAR, value DOUBLE)""")
    for c, p, m, s, v in values:
        con.execute("INSERT INTO measure_values VALUES (?, 'tertial', ?, ?, ?, ?)", [c, p, m, s, v])
    con.close()


def record(path, version: int) -> int:
    from metrics import status_history

    con = duckdb.connect(str(path))
    n = status_history.record(con, version, f"2026-09-0{version}T10:00:00Z")
    con.close()
    return n


def test_turned_red_since_the_previous_publish(tmp_path):
    from metrics.warehouse import Warehouse
    from reports import alerts

    path = tmp_path / "w.duckdb"
    make_warehouse(path, [("A", "2026-T1", "Q1", "green", 99.7), ("A", "2026-T1", "C2", "yellow", 41000),
                          ("B", "2026-T1", "Q1", "red", 97.0), ("B", "2026-T1", "C2", "green", 30000)])
    assert record(path, 1) == 4
    assert alerts.alerts(Warehouse(path)).empty  # one publish: nothing to compare with
    # second publish: a new period; A/Q1 turns red, A/C2 turns red, B/Q1 stays red (no alert), B/C2 yellow
    make_warehouse(path, [("A", "2026-T1", "Q1", "green", 99.7), ("A", "2026-T2", "Q1", "red", 98.1),
                          ("A", "2026-T2", "C2", "red", 52000), ("B", "2026-T2", "Q1", "red", 96.0),
                          ("B", "2026-T2", "C2", "yellow", 45000)])
    # (make_warehouse recreated the marts; the history table survives in the same file)
    assert record(path, 2) == 4
    df = alerts.alerts(Warehouse(path))
    assert df[["committee_code", "measure_id", "period", "previous_period", "previous_status"]].values.tolist() == [
        ["A", "Q1", "2026-T2", "2026-T1", "green"], ["A", "C2", "2026-T2", "2026-T1", "yellow"]]
    assert df["value"].tolist() == [98.1, 52000] and df["previous_value"].tolist() == [99.7, 41000]
    text = alerts.to_text(df)
    assert "Anämnden: 2 mätetal har blivit röda sedan förra publiceringen (dataversion 1 → 2)" in text
    assert "Q1 Tillgänglighet: 98,1\u00a0% T2 2026 (var grön 99,7\u00a0% T1 2026)" in text
    assert "C2 It-kostnad per användare: 52\u00a0000\u00a0kr" in text
    assert "Bnämnden" not in text
    csv_lines = alerts.to_csv(alerts.alerts(Warehouse(path), committee="A")).splitlines()
    assert csv_lines[0].startswith("committee_code;committee;measure_id")
    assert csv_lines[1] == "A;Anämnden;Q1;Tillgänglighet;2026-T2;98,1;2026-T1;99,7;green;2"
    # a republish of the same version replaces its own rows; the comparison stays with version 1
    assert record(path, 2) == 4
    assert len(alerts.alerts(Warehouse(path))) == 2
    # third publish where nothing changed: nothing turned red since the previous one
    assert record(path, 3) == 4
    assert alerts.alerts(Warehouse(path)).empty


def test_alerts_command_line(tmp_path):
    path = tmp_path / "w.duckdb"
    make_warehouse(path, [("A", "2026-T1", "Q1", "green", 99.7)])
    record(path, 1)
    make_warehouse(path, [("A", "2026-T1", "Q1", "red", 97.7)])
    record(path, 2)
    env = dict(os.environ, SCORECARD_WAREHOUSE=str(path))
    proc = subprocess.run([sys.executable, "-m", "reports", "alerts"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Anämnden: 1 mätetal har blivit röda" in proc.stdout and "Q1 Tillgänglighet: 97,7" in proc.stdout
    out = tmp_path / "alerts.csv"
    proc = subprocess.run([sys.executable, "-m", "reports", "alerts", "--format", "csv", "--out", str(out)], cwd=ROOT,
                          env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text(encoding="utf-8-sig").splitlines()[1].startswith("A;Anämnden;Q1;")
