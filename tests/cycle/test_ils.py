"""The ILS export: one row per mapped committee × mapped measure, values equal to measure_values,
insufficient data said (never 0), a period not yet closed marked preliminary in every row, a closed
period exported from its snapshot."""
from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import pytest
from openpyxl import load_workbook

from cycle_helpers import ROOT


def parse_csv(data: bytes) -> list[dict]:
    assert data.startswith("\ufeff".encode())  # UTF-8 with BOM for Swedish Excel
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def number(text: str) -> float | None:
    return None if text == "" else float(text.replace(",", "."))


def test_export_of_an_open_period_is_preliminary_and_equals_measure_values(tmp_path, demo_warehouse, demo_wh, period):
    from reports.ils import load_mapping

    mapping = load_mapping()
    out = tmp_path / "ils.csv"
    env = dict(os.environ, SCORECARD_WAREHOUSE=str(demo_warehouse), SCORECARD_FOLLOWUP_URL=f"sqlite:///{tmp_path / 'f.sqlite'}")
    proc = subprocess.run([sys.executable, "-m", "reports", "ils", "--period", period, "--out", str(out)], cwd=ROOT,
                          env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    rows = parse_csv(out.read_bytes())
    assert list(rows[0]) == ["indicator_id", "unit_id", "period", "value", "target", "status", "comment"]
    committees = demo_wh.df("SELECT committee_code FROM dim_committees")["committee_code"].tolist()
    assert set(committees) <= set(mapping.units)
    assert len(rows) == len(committees) * len(mapping.indicators) == 36 * 15
    assert len({(r["indicator_id"], r["unit_id"]) for r in rows}) == len(rows)
    mv = demo_wh.df("""SELECT v.committee_code, v.measure_id, v.value, v.target, v.status, v.insufficient_data
                       FROM measure_values v JOIN dim_committees USING (committee_code)
                       WHERE v.grain = 'tertial' AND v.period = ?""", [period])
    by_key = {(mapping.units[r.committee_code], mapping.indicators[r.measure_id]): r for r in mv.itertuples()}
    insufficient = written = 0
    for r in rows:
        assert r["period"] == period
        assert r["comment"].startswith(f"PRELIMINÄRT – perioden {period} är inte stängd")
        expected = by_key.get((r["unit_id"], r["indicator_id"]))
        if expected is not None and expected.insufficient_data:
            assert r["value"] == "" and r["status"] == "Otillräckligt underlag" and "Otillräckligt underlag" in r["comment"]
            insufficient += 1
        elif expected is None or expected.value != expected.value:
            assert r["value"] == "" and r["status"] == "Värde saknas"
        else:
            assert number(r["value"]) == pytest.approx(expected.value, abs=1e-6)
            assert r["status"] == {"green": "Grön", "yellow": "Gul", "red": "Röd"}[expected.status]
            written += 1
        if expected is not None and expected.target == expected.target and expected.target is not None:
            assert number(r["target"]) == pytest.approx(expected.target)
    assert insufficient > 0 and written > 300


def test_a_closed_period_is_exported_from_its_snapshot_without_the_preliminary_mark(store, people, demo_wh, period, tmp_path):
    from reports import cycle as RC
    from reports import ils

    admin = people("admin@stad.se", "Admin", ("admin", None))
    RC.close(admin, demo_wh, period, store)
    from followup import cycle as C

    snapshots = {code: C.snapshot(code, period, store) for code in ("BROMMA", "FARSTA")}
    snapshots["BROMMA"]["measures"][0]["value"] = 12.345  # the snapshot, not today's figure, is exported
    mapping = ils.Mapping({"E1": "ITP-E1", "Q1": "ITP-Q1"}, {"BROMMA": "1101", "FARSTA": "1103"}, "end_date")
    rows = ils.rows(demo_wh, period, mapping, snapshots)
    assert len(rows) == 4
    assert all("PRELIMINÄRT" not in r["comment"] for r in rows)
    assert rows[0]["indicator_id"] == "ITP-E1" and rows[0]["unit_id"] == "1101" and rows[0]["value"] == 12.345
    year, t = period.split("-T")
    assert rows[0]["period"] == {"1": f"{year}-04-30", "2": f"{year}-08-31", "3": f"{year}-12-31"}[t]
    wb = load_workbook(io.BytesIO(ils.to_xlsx(rows)))
    ws = wb.active
    assert [c.value for c in ws[1]] == ils.COLUMNS
    assert ws.cell(row=2, column=4).value == pytest.approx(12.345) and ws.cell(row=2, column=4).data_type == "n"


def test_an_unmapped_committee_is_named_not_exported(demo_wh, period, capsys):
    from reports import ils

    mapping = ils.Mapping({"E1": "ITP-E1"}, {"BROMMA": "1101"})
    rows = ils.rows(demo_wh, period, mapping)
    assert [r["unit_id"] for r in rows] == ["1101"]
    assert "FARSTA" in capsys.readouterr().err


def test_a_broken_mapping_file_is_refused_with_its_name(tmp_path):
    from reports import ils

    bad = tmp_path / "m.yaml"
    bad.write_text("indicators: {E1: X}\nperiod_format: weekly\n", encoding="utf-8")
    with pytest.raises(ValueError) as err:
        ils.load_mapping(bad)
    assert str(bad) in str(err.value) and "'units'" in str(err.value) and "period_format" in str(err.value)
