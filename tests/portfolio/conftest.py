"""Fixture warehouse for the portfolio tests: a few projects and benefits, values chosen so the
expected results can be computed by hand (see the comments in the tests)."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from etl.schema import create_all, refresh_calendar

COMMITTEES = [
    ("UTBN", "Utbildningsnämnden", "Education Committee", "specialist_committee", "specialist_committees"),
    ("SON", "Socialtjänstnämnden", "Social Services Committee", "specialist_committee", "specialist_committees"),
    ("BROMMA", "Bromma stadsdelsnämnd", "Bromma District Council", "district_council", "district_councils"),
]
PROJECTS = [
    # id, name, portfolio, tier, owner, benefit_owner, status, start, end, running/yr, goals, learning, exit
    ("P0001", "E-tjänst för förskoleplats", 1, "differentiating", "UTBN", "Förvaltningschef", "finished",
     "2020-01-01", "2020-12-31", 120_000, "KF1;KF2", None, None),
    ("P0002", "Beslutsstöd för förskoleplats", 2, "differentiating", "UTBN", "Avdelningschef", "finished",
     "2020-07-01", "2021-06-30", 60_000, "KF3", None, None),
    ("P0003", "Pilot: chattbot för ekonomiskt bistånd", 5, "innovative", "SON", "Enhetschef", "stopped",
     "2021-01-01", "2021-04-30", 0, "KF2", "Pröva om invånarna använder chattboten", "Avveckla om nyttan uteblir"),
    ("P0004", "Förenklad handläggning av hemtjänst", 3, "differentiating", "BROMMA", "Stadsdelsdirektör", "running",
     "2024-01-01", "2025-12-31", 50_000, "KF3", None, None),
]
FRAMES = [(2020, 1, 2_000_000), (2020, 2, 1_000_000), (2021, 2, 1_000_000), (2021, 5, 500_000),
          (2024, 3, 1_000_000), (2025, 3, 1_000_000)]
GRANTS = [("P0001", 2020, 1_000_000), ("P0002", 2020, 400_000), ("P0002", 2021, 400_000),
          ("P0003", 2021, 300_000), ("P0004", 2024, 500_000), ("P0004", 2025, 500_000)]
SPEND = [("P0001", "2020-03-01", "UTBN", 600_000), ("P0001", "2020-09-01", "UTBN", 600_000),
         ("P0002", "2020-10-01", "UTBN", 300_000), ("P0002", "2021-03-01", "UTBN", 400_000),
         ("P0003", "2021-02-01", "SON", 100_000), ("P0004", "2024-06-01", "BROMMA", 300_000)]
BENEFITS = [
    # id, project, kind, description, unit, baseline, target, committee, errand, disbenefit
    ("B0001", "P0001", "operational", "Minskad handläggningstid", "timmar", 10_000, 4_000, "UTBN", "Förskoleplats", False),
    ("B0002", "P0001", "citizen", "Kortare väntan för vårdnadshavare", "timmar", 20_000, 18_000, "UTBN", "Förskoleplats", False),
    ("B0003", "P0002", "operational", "Automatisk placering", "timmar", 10_000, 5_000, "UTBN", "Förskoleplats", False),
    ("B0004", "P0002", "operational", "Färre manuella skolskjutsbeslut", "timmar", 2_000, 1_500, "UTBN", "Skolskjuts", False),
    ("B0005", "P0004", "operational", "Mindre handläggning förskola", "timmar", 10_000, 9_000, "UTBN", "Förskoleplats", False),
    ("B0006", "P0002", "operational", "Dubbelregistrering under övergång", "timmar", 10_000, 10_500, "UTBN", "Förskoleplats", True),
    ("B0007", "P0003", "quality", "Färre felaktiga ansökningar", "fel", 500, 400, "SON", "Ekonomiskt bistånd", False),
    ("B0008", "P0002", "citizen", "Snabbare besked", "timmar", 20_000, 17_000, "UTBN", "Förskoleplats", False),
]


def months(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}-01")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


PLANS = (
    [("B0001", m, 500, 30_000) for m in months("2021-01", "2021-12")]
    + [("B0002", m, 100, 10_000) for m in months("2021-01", "2021-12")]
    + [("B0003", m, 400, 25_000) for m in months("2021-07", "2022-06")]
    + [("B0004", m, 40, 5_000) for m in months("2021-07", "2021-12")]
    + [("B0005", m, 80, 5_000) for m in months("2026-01", "2026-12")]
    + [("B0006", m, -40, -2_000) for m in months("2021-07", "2021-12")]
    + [("B0008", m, 250, 5_000) for m in months("2021-07", "2021-12")]
)
REALISATIONS = (
    [("B0001", m, 330, 20_000, "Tidsstudie", "Nyttoägare") for m in months("2021-01", "2021-06")]
    + [("B0002", m, 100, 10_000, "Kundundersökning", "Verksamhetsutvecklare") for m in months("2021-01", "2021-03")]
    + [("B0004", m, 48, 6_000, "Ärendestatistik", "Controller") for m in months("2021-07", "2021-12")]
    + [("B0006", m, -40, -2_000, "Tidsredovisning", "Controller") for m in months("2021-07", "2021-09")]
)


def fill(con: duckdb.DuckDBPyConnection) -> None:
    create_all(con)
    con.executemany("INSERT INTO dim_committees VALUES (?, ?, ?, ?, ?, 1, 1)", COMMITTEES)
    con.executemany("INSERT INTO dim_projects VALUES (" + ", ".join(["?"] * 13) + ", 1, 1)", PROJECTS)
    con.executemany("INSERT INTO fact_portfolio_frames VALUES (?, ?, ?, 1, 1)", FRAMES)
    con.executemany("INSERT INTO fact_project_grants VALUES (?, ?, ?, 1, 1)", GRANTS)
    con.executemany(
        "INSERT INTO fact_it_costs (line_id, month, committee_code, account, amount_sek, supplier_type, cost_class,"
        " project_id) VALUES (?, ?, ?, '6540', ?, 'external', 'grow', ?)",
        [(f"L{i}", m, c, a, p) for i, (p, m, c, a) in enumerate(SPEND)])
    con.executemany("INSERT INTO dim_benefits VALUES (" + ", ".join(["?"] * 10) + ", 1, 1)", BENEFITS)
    con.executemany("INSERT INTO fact_benefit_plans VALUES (?, ?, ?, ?, 1, 1)", PLANS)
    con.executemany("INSERT INTO fact_benefit_realisations VALUES (?, ?, ?, ?, ?, ?, 1, 1)", REALISATIONS)
    refresh_calendar(con, "2020-01-01", "2026-12-01")
    con.execute("INSERT OR REPLACE INTO warehouse_meta VALUES ('version', 'fixture-1'), "
                "('published_at', '2026-11-01 12:00:00')")


def build_fixture_warehouse(path: Path) -> Path:
    con = duckdb.connect(str(path))
    try:
        fill(con)
    finally:
        con.close()
    return path


@pytest.fixture
def con():
    c = duckdb.connect()
    fill(c)
    yield c
    c.close()


@pytest.fixture
def warehouse_file(tmp_path, monkeypatch):
    path = build_fixture_warehouse(tmp_path / "warehouse.duckdb")
    monkeypatch.setenv("SCORECARD_WAREHOUSE", str(path))
    monkeypatch.delenv("SCORECARD_FOLLOWUP_URL", raising=False)
    return path
