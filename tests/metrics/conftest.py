"""Fixture warehouse for the measure engine: four committees and a few hand-countable records per
measure. The expected values in the tests are worked out by hand from the rows below."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from etl.schema import create_all
from metrics.build import build_marts
from metrics.warehouse import Warehouse


def insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    """Plain INSERT of dicts; columns not given stay NULL."""
    for row in rows:
        cols = ", ".join(f'"{c}"' for c in row)
        marks = ", ".join("?" for _ in row)
        con.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(row.values()))


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text + "-01") if len(text) == 7 else dt.date.fromisoformat(text)


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


COMMITTEES = [
    dict(committee_code="AAA", name_sv="Nämnd A", name_en="Committee A", kind="district_council", peer_group="district_councils"),
    dict(committee_code="BBB", name_sv="Nämnd B", name_en="Committee B", kind="district_council", peer_group="district_councils"),
    dict(committee_code="CCC", name_sv="Nämnd C", name_en="Committee C", kind="specialist_committee", peer_group="specialist_committees"),
    dict(committee_code="DDD", name_sv="Nämnd D", name_en="Committee D", kind="specialist_committee", peer_group="specialist_committees"),
]


def answers(kind, committee, day, values, prefix, question="q1", eservice=None):
    return [dict(survey_kind=kind, response_id=f"{prefix}{i}", committee_code=committee, response_date=d(day),
                 question_id=question, answer=a, eservice_id=eservice) for i, a in enumerate(values)]


def tx(month, eservice, channel, completed, straight=None):
    return dict(month=d(month), eservice_id=eservice, channel=channel, completed=completed, straight_through=straight)


def incident(number, opened, hours, location=None, group=None, priority="3 - Moderate", reassign=0):
    opened_at = ts(opened)
    return dict(source_system="servicenow", number=f"INC{number}", incident_state="Resolved", sys_mod_count=3, opened_at=opened_at,
                resolved_at=opened_at + dt.timedelta(hours=hours), priority=priority, location=location,
                assignment_group=group, reassignment_count=reassign)


def cost(line, month, committee, amount, cost_class="run", supplier="external", system=None):
    return dict(line_id=line, month=d(month), committee_code=committee, account="5410", amount_sek=amount,
                supplier_type=supplier, cost_class=cost_class, system_id=system)


def load_fixture(con: duckdb.DuckDBPyConnection) -> None:
    insert(con, "dim_committees", COMMITTEES)
    insert(con, "dim_eservices", [
        dict(eservice_id="ES001", name="Bygglov", owner_committee="AAA", errand_type="permit"),
        dict(eservice_id="ES002", name="Förskola", owner_committee="BBB", errand_type="preschool"),
        dict(eservice_id="ES003", name="Parkering", owner_committee="AAA", errand_type="parking"),
        dict(eservice_id="ES004", name="Ansökan", owner_committee="CCC", errand_type="application"),
        dict(eservice_id="ES005", name="Anmälan", owner_committee="DDD", errand_type="report"),
    ])
    insert(con, "fact_eservice_transactions", [
        # E1/I3 AAA 2025-03: digital 70 (42 straight-through), phone 20, paper 10
        tx("2025-03", "ES001", "digital", 70, 42), tx("2025-03", "ES001", "phone", 20), tx("2025-03", "ES001", "paper", 10),
        # E1 BBB 2025-03: digital 30 of 300
        tx("2025-03", "ES002", "digital", 30, 0), tx("2025-03", "ES002", "visit", 270),
        # E3 weights: 2024 volumes ES001 300, ES003 100
        tx("2024-06", "ES001", "digital", 300, 300), tx("2024-06", "ES003", "phone", 100),
        # year-boundary series for CCC: Nov 10/100, Dec 20/100, Jan 30/100, Feb 90/200
        tx("2024-11", "ES004", "digital", 10), tx("2024-11", "ES004", "phone", 90),
        tx("2024-12", "ES004", "digital", 20), tx("2024-12", "ES004", "phone", 80),
        tx("2025-01", "ES004", "digital", 30), tx("2025-01", "ES004", "phone", 70),
        tx("2025-02", "ES004", "digital", 90), tx("2025-02", "ES004", "phone", 110),
        # DDD sets the reporting horizon: monthly data through 2026-04
        tx("2026-04", "ES005", "digital", 5), tx("2026-04", "ES005", "phone", 5),
    ])
    insert(con, "fact_eservice_reviews", [
        dict(year=2024, eservice_id="ES001", online_end_to_end=True, eid_login=True, mobile_friendly=True,
             prefilled_data=True, status_visible=True, handling_time_shown=True, help_available=True),
        dict(year=2024, eservice_id="ES003", online_end_to_end=True, eid_login=True, mobile_friendly=True,
             prefilled_data=True, status_visible=False, handling_time_shown=False, help_available=False),
    ])
    insert(con, "fact_survey_responses",
           answers("eservice_exit", "AAA", "2025-02-10", [5] * 30 + [2] * 10, "ea", eservice="ES001")
           + answers("eservice_exit", "BBB", "2025-02-10", [5] * 10 + [1] * 10, "eb", eservice="ES002")
           + answers("staff_it", "AAA", "2024-10-05", [4] * 40 + [3] * 10, "sa")
           + answers("it_support", "AAA", "2025-03-15", [5] * 27 + [1] * 3, "ia")
           + competence("AAA", "2025-05-20"))
    insert(con, "dim_projects", [dict(project_id="P0001", name="Proj", portfolio_id=1, tier="differentiating",
                                      owner_committee="AAA", benefit_owner="Head", status="running",
                                      start_date=d("2024-01-01"), end_date=d("2025-12-31"),
                                      planned_running_cost_sek=0, council_goals="KF1")])
    insert(con, "dim_benefits", [
        dict(benefit_id="B0001", project_id="P0001", kind="financial", description="x", unit="SEK", baseline=0,
             target=1, owner_committee="AAA", errand_type="permit", disbenefit=False),
        dict(benefit_id="B0002", project_id="P0001", kind="financial", description="y", unit="SEK", baseline=0,
             target=1, owner_committee="BBB", errand_type="preschool", disbenefit=False),
    ])
    insert(con, "fact_benefit_plans", [
        dict(benefit_id="B0001", month=d("2025-01"), planned_value=1, planned_sek=100_000),
        dict(benefit_id="B0001", month=d("2025-06"), planned_value=1, planned_sek=100_000),
        dict(benefit_id="B0001", month=d("2025-10"), planned_value=1, planned_sek=200_000),
        dict(benefit_id="B0001", month=d("2030-01"), planned_value=1, planned_sek=999_000),  # far future
        dict(benefit_id="B0002", month=d("2025-01"), planned_value=1, planned_sek=100_000),
    ])
    insert(con, "fact_benefit_realisations", [
        dict(benefit_id="B0001", month=d("2025-03"), realised_value=1, realised_sek=50_000, evidence="report", reported_by="controller"),
        dict(benefit_id="B0001", month=d("2025-07"), realised_value=1, realised_sek=100_000, evidence="report", reported_by="controller"),
        dict(benefit_id="B0002", month=d("2025-02"), realised_value=1, realised_sek=150_000, evidence="report", reported_by="controller"),
    ])
    insert(con, "dim_systems", [
        dict(system_id="SYS0001", name="K1", owner_committee="AAA", tier="basic", critical=False, key_system=True, agreed_hours_per_week=40, intended_users=100),
        dict(system_id="SYS0002", name="K2", owner_committee="AAA", tier="differentiating", critical=False, key_system=True, agreed_hours_per_week=40, intended_users=300),
        dict(system_id="SYS0003", name="NK", owner_committee="AAA", tier="basic", critical=False, key_system=False, agreed_hours_per_week=40, intended_users=1000),
        dict(system_id="SYS0004", name="C1", owner_committee="AAA", tier="basic", critical=True, key_system=False, agreed_hours_per_week=168, intended_users=100),
        dict(system_id="SYS0005", name="C2", owner_committee="AAA", tier="basic", critical=True, key_system=False, agreed_hours_per_week=40, intended_users=300),
    ])
    insert(con, "fact_system_usage", [
        dict(month=d("2025-03"), system_id="SYS0001", active_users_30d=90),
        dict(month=d("2025-03"), system_id="SYS0002", active_users_30d=240),
        dict(month=d("2025-03"), system_id="SYS0003", active_users_30d=10),
    ])
    insert(con, "fact_licences", [
        dict(month=d("2025-03"), committee_code="AAA", product="X", paid=100, used_90d=85),
        dict(month=d("2025-03"), committee_code="AAA", product="Y", paid=100, used_90d=80),
    ])
    insert(con, "fact_it_costs", [
        cost("L1", "2025-01", "AAA", 40_000, system="SYS0001"),
        cost("L2", "2025-02", "AAA", 30_000, system="SYS0002", supplier="internal"),
        cost("L3", "2025-02", "AAA", 30_000, cost_class="grow"),
        cost("L4", "2025-01", "BBB", 110_000),
        cost("L5", "2025-01", "CCC", 70_000, cost_class="transform"),
    ])
    insert(con, "fact_operating_costs", [
        dict(month=d("2025-01"), committee_code="AAA", amount_sek=1_000_000),
        dict(month=d("2025-02"), committee_code="AAA", amount_sek=1_000_000),
        dict(month=d("2025-01"), committee_code="BBB", amount_sek=2_000_000),
        dict(month=d("2025-01"), committee_code="CCC", amount_sek=1_000_000),
    ])
    insert(con, "fact_it_users", [
        dict(month=d("2025-01"), committee_code="AAA", it_users=15, headcount=16),
        dict(month=d("2025-02"), committee_code="AAA", it_users=15, headcount=16),
        dict(month=d("2025-01"), committee_code="BBB", it_users=30, headcount=30),
    ])
    insert(con, "fact_outages", [
        dict(outage_id="O1", system_id="SYS0004", started_at=ts("2025-03-10 10:00"), ended_at=ts("2025-03-10 12:00"), planned=False),
        dict(outage_id="O2", system_id="SYS0005", started_at=ts("2025-03-11 10:00"), ended_at=ts("2025-03-11 15:00"), planned=True),
        dict(outage_id="O3", system_id="SYS0005", started_at=ts("2025-03-12 10:00"), ended_at=ts("2025-03-12 11:00"), planned=False),
    ])
    insert(con, "map_incident_committee", [
        dict(match_field="location", match_value="Loc A", committee_code="AAA"),
        dict(match_field="assignment_group", match_value="Grp B", committee_code="BBB"),
    ])
    incidents = [incident(1000 + i, "2025-03-02 08:00", 10, location="Loc A", reassign=0 if i < 15 else 2) for i in range(20)]
    incidents += [incident(1100 + i, "2025-03-03 08:00", 30, location="Loc A") for i in range(4)]
    incidents += [incident(1200, "2025-03-04 08:00", 30, location="Loc A", group="Grp B")]  # location wins
    incidents += [incident(1300, "2025-03-31 20:00", 10, location="Loc A")]  # resolved in April
    incidents += [incident(1400 + i, "2025-03-05 08:00", 2, group="Grp B", priority="1 - Critical") for i in range(10)]
    insert(con, "fact_incidents", incidents)
    insert(con, "dim_incident_sla", [dict(priority=p, resolve_hours=h, calendar="24x7", valid_from=d("2013-01"))
                                     for p, h in (("1 - Critical", 4), ("2 - High", 8), ("3 - Moderate", 24),
                                                  ("4 - Low", 72))])
    insert(con, "targets", [dict(committee_code="AAA", year=2025, measure_id="M3", target=85, red_threshold=80,
                                 changed_by="analyst", changed_at=ts("2025-01-15 09:00"), reason="new licence deal")])


def competence(committee: str, day: str) -> list[dict]:
    """30 respondents at level 3 in every area (mean 3.0, counts) and 10 with 2,2,3,3,4 (mean 2.8, does not)."""
    rows = []
    for r in range(40):
        levels = [3, 3, 3, 3, 3] if r < 30 else [2, 2, 3, 3, 4]
        rows += [dict(survey_kind="digital_competence", response_id=f"dc{r}", committee_code=committee,
                      response_date=d(day), question_id=f"area{q}", answer=a) for q, a in enumerate(levels)]
    return rows


@pytest.fixture(scope="session")
def fixture_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("metrics_wh") / "fixture.duckdb"
    con = duckdb.connect(str(path))
    create_all(con)
    load_fixture(con)
    build_marts(con)
    con.close()
    return path


@pytest.fixture(scope="session")
def wh(fixture_path) -> Warehouse:
    return Warehouse(fixture_path)


@pytest.fixture()
def value(wh):
    """value(measure, committee, grain, period) → the measure_values row as a dict."""
    def get(measure_id: str, committee: str, grain: str, period: str) -> dict:
        rows = wh.df("SELECT * FROM measure_values WHERE measure_id = ? AND committee_code = ? AND grain = ? AND period = ?",
                     [measure_id, committee, grain, period])
        assert len(rows) == 1, f"expected one row for {measure_id} {committee} {grain} {period}, got {len(rows)}"
        return rows.iloc[0].to_dict()
    return get
