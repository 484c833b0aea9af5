"""Incremental measure build (issue 16, item 2): a delivery rebuilds only the measures that read the changed
tables and only the periods its rows reach; the marts then equal a full rebuild of the same data, row by row.

Each test: the metrics fixture warehouse (tests/metrics/conftest.py) built in full → a delivery through the
real load path (etl.load.load_batch, which records etl_changes) → build_marts(changes=pending_changes(con)).
The result is compared with a full rebuild of a copy of the same file, table by table and row by row.

Fixture horizon: monthly periods 2024-06 … 2026-04 (e-service rows set both ends), so 41 periods:
23 months, 9 quarters (2024-Q2 … 2026-Q2), 6 tertials (2024-T2 … 2026-T1), 3 years; 7 entity rows
(AAA, BBB, CCC, DDD, CITY, PEER:district_councils, PEER:specialist_committees). Every measure has
carry_forward_months 12, so a change in month m of year Y reaches the periods ending in [m, December of
Y + 1] (a year-to-date or plain measure; a to-date one: every period ending from m on). The fixture's
periods end by 2026-12, so a 2025 change reaches every period ending from m on, and a 2024 change shows
the bound: periods of 2026 stay as they were.
"""
from __future__ import annotations

import csv
import datetime as dt
import math
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from etl.contracts import load_contracts
from etl.load import load_batch
from etl.readers import read_csv
from metrics import status_history
from metrics.build import MART_TABLES, build_marts, pending_changes
from metrics.catalog import DEFINITION_DIR, DeclarationError, load_measures, months_sql, parse_measure
from metrics.models import ModelDecl

MARTS = [t for t in MART_TABLES if t != "mart_build_info"]
ENTITIES = 7
ALL_MEASURES = ["C1", "C2", "C3", "E1", "E2", "E3", "I1", "I2", "I3", "M1", "M2", "M3", "Q1", "Q2", "Q3"]


@pytest.fixture(scope="module")
def built(fixture_path) -> Path:
    """The metrics fixture warehouse built in full (tests/metrics/conftest.py); tests work on copies."""
    return fixture_path


def periods_ending(con, first: str, last: str = "2099-12") -> int:
    """How many scorecard periods end in [first, last] (months as YYYY-MM)."""
    return con.execute("SELECT count(*) FROM scorecard_periods WHERE end_month BETWEEN ? AND ?",
                       [dt.date.fromisoformat(first + "-01"), dt.date.fromisoformat(last + "-01")]).fetchone()[0]


def deliver(con, tmp: Path, source: str, rows: list[dict], name: str | None = None, allow_unchanged: bool = False):
    """Write rows as a CSV file and load it through the real load path (contract, gate, revision scope).
    `allow_unchanged`: a generated delivery may repeat content already loaded and current (then nothing changes)."""
    path = tmp / (name or f"{source}_{len(list(tmp.iterdir()))}.csv")
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = load_batch(con, load_contracts()[source], lambda: read_csv(path), path.name)
    if allow_unchanged and result.status == "unchanged":
        assert "same content as batch" in result.message
        return result
    assert result.status == "loaded", result.message
    return result


def marts(con) -> dict[str, list[tuple]]:
    return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in MARTS}


def same(a, b) -> bool:
    """Equal values; doubles equal up to summation order (a sum of the same numbers added in another order
    can differ in the last bit: DuckDB's parallel aggregation does not fix the order)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def assert_same_as_full(con, path: Path, tmp: Path) -> None:
    """The marts in `con` (at `path`) equal a full rebuild of a copy of the same file, row by row."""
    con.execute("CHECKPOINT")
    copy = tmp / "full.duckdb"
    shutil.copyfile(path, copy)
    full = duckdb.connect(str(copy))
    try:
        assert build_marts(full)["mode"] == "full"
        expected = marts(full)
    finally:
        full.close()
    got = marts(con)
    for table in MARTS:
        assert len(got[table]) == len(expected[table]), table
        for g, e in zip(got[table], expected[table]):
            assert all(same(x, y) for x, y in zip(g, e)), f"{table}: incremental {g} != full {e}"


@pytest.fixture()
def inc(built, tmp_path):
    """A connection to a copy of the built fixture warehouse (and its path)."""
    path = tmp_path / "inc.duckdb"
    shutil.copyfile(built, path)
    con = duckdb.connect(str(path))
    yield con, path
    con.close()


def rewritten(con) -> tuple[str, list[str], int]:
    info = dict(con.execute("SELECT key, value FROM mart_build_info").fetchall())
    return info["last_build"], [m for m in info["last_measures"].split(",") if m], int(info["last_cells"])


def cost_row(line, month, committee, amount, cost_class="run", system=""):
    return dict(line_id=line, month=month, committee_code=committee, account="5410", amount_sek=amount,
                supplier_type="external", cost_class=cost_class, system_id=system, project_id="")


def test_one_month_of_it_costs_rebuilds_the_cost_measures_from_that_month(inc, tmp_path):
    con, path = inc
    # 2025-02 re-delivered: AAA's two lines (30 000 + 30 000) become one line of 90 000
    deliver(con, tmp_path, "it_costs", [cost_row("L9", "2025-02", "AAA", 90000)])
    assert sorted(con.execute("SELECT * FROM etl_changes").fetchall()) == [("fact_it_costs", dt.date(2025, 2, 1))]
    result = build_marts(con, changes=pending_changes(con))
    assert result["mode"] == "incremental"
    assert result["measures"] == ["C1", "C2", "C3"]
    # periods ending 2025-02 … 2026-12: months 2025-02 … 2026-04 (15), quarters 2025-Q1 … 2026-Q2 (6),
    # tertials 2025-T1 … 2026-T1 (4), years 2025, 2026 (2) = 27 per measure
    assert periods_ending(con, "2025-02") == 27
    assert result["periods"] == 3 * 27
    assert result["rows"] == 3 * 27 * ENTITIES
    assert result["periods"] < 15 * con.execute("SELECT count(*) FROM scorecard_periods").fetchone()[0]
    assert rewritten(con) == ("incremental", ["C1", "C2", "C3"], 81)
    # C1 for AAA, year to date 2025-02: (40 000 + 90 000) / 2 000 000 = 6.5 %
    assert con.execute("SELECT value FROM measure_values WHERE measure_id = 'C1' AND committee_code = 'AAA' "
                       "AND grain = 'month' AND period = '2025-02'").fetchone()[0] == pytest.approx(6.5)
    assert_same_as_full(con, path, tmp_path)


def test_a_2024_cost_month_reaches_to_the_end_of_2025_and_no_further(inc, tmp_path):
    con, path = inc
    deliver(con, tmp_path, "it_costs", [cost_row("L8", "2024-09", "BBB", 25000)])
    result = build_marts(con, changes=pending_changes(con))
    assert result["measures"] == ["C1", "C2", "C3"]
    # periods ending 2024-09 … 2025-12: months 16, quarters 2024-Q3 … 2025-Q4 (6), tertials 2024-T3 … 2025-T3
    # (4), years 2024, 2025 (2) = 28; the 8 periods of 2026 keep their rows (carry-forward ends in 2025)
    assert periods_ending(con, "2024-09", "2025-12") == 28
    assert result["periods"] == 3 * 28
    assert_same_as_full(con, path, tmp_path)


def test_a_to_date_measure_reaches_every_later_period(inc, tmp_path):
    con, path = inc
    deliver(con, tmp_path, "benefit_realisations", [dict(benefit_id="B0001", month="2024-09", realised_value=1,
                                                         realised_sek=40000, evidence="report",
                                                         reported_by="controller")])
    result = build_marts(con, changes=pending_changes(con))
    assert result["measures"] == ["I1"]
    # I1 sums from the start: every period ending from 2024-09, 2026 included (20 + 8 + 5 + 3)
    assert result["periods"] == periods_ending(con, "2024-09") == 36
    assert_same_as_full(con, path, tmp_path)


def test_a_revision_that_deletes_rows_of_older_months_reaches_those_months(inc, tmp_path):
    con, path = inc
    # B0001's plan re-delivered with only 2025-06: the 2025-01, 2025-10 and 2030-01 rows are deleted
    deliver(con, tmp_path, "benefit_plans", [dict(benefit_id="B0001", month="2025-06", planned_value=1,
                                                  planned_sek=100000)])
    assert sorted(con.execute("SELECT month FROM etl_changes WHERE table_name = 'fact_benefit_plans'").fetchall()) == [
        (dt.date(2025, 1, 1),), (dt.date(2025, 6, 1),), (dt.date(2025, 10, 1),), (dt.date(2030, 1, 1),)]
    result = build_marts(con, changes=pending_changes(con))
    assert result["mode"] == "incremental"
    assert result["measures"] == ["I1"]  # realised ÷ planned benefit, to date: every period ending from 2025-01
    assert result["periods"] == periods_ending(con, "2025-01") == 28
    assert_same_as_full(con, path, tmp_path)


def test_a_target_change_rebuilds_every_measure_of_that_year(inc, tmp_path):
    con, path = inc
    deliver(con, tmp_path, "target_overrides", [dict(
        committee_code="AAA", year=2025, measure_id="M3", target=95, red_threshold=90, changed_by="analyst",
        changed_at="2025-06-01 09:00", reason="stricter")])
    assert sorted(con.execute("SELECT * FROM etl_changes").fetchall()) == [("targets", dt.date(2025, 1, 1))]
    result = build_marts(con, changes=pending_changes(con))
    assert result["mode"] == "incremental"
    assert result["measures"] == ALL_MEASURES
    # periods ending in 2025: 12 months, 4 quarters, 3 tertials, 1 year
    assert periods_ending(con, "2025-01", "2025-12") == 20
    assert result["periods"] == 15 * 20
    # M3 AAA 2025-03: 165 of 200 licences used = 82.5 %, now under the red threshold 90
    row = con.execute("SELECT value, target, status FROM measure_values WHERE measure_id = 'M3' AND "
                      "committee_code = 'AAA' AND grain = 'month' AND period = '2025-03'").fetchone()
    assert row == (pytest.approx(82.5), 95.0, "red")
    assert_same_as_full(con, path, tmp_path)


SYSTEMS = [
    dict(system_id="SYS0001", name="K1", owner_committee="AAA", tier="basic", critical="false", key_system="true",
         agreed_hours_per_week=40, intended_users=100),
    dict(system_id="SYS0002", name="K2", owner_committee="AAA", tier="differentiating", critical="false",
         key_system="true", agreed_hours_per_week=40, intended_users=600),
]


def test_a_dimension_change_rebuilds_the_measures_whose_sums_it_changes(inc, tmp_path):
    con, path = inc
    # SYS0002 intended users 300 → 600: M1 (active ÷ intended users of key systems, 2025-03) changes
    deliver(con, tmp_path, "systems", SYSTEMS)
    assert sorted(con.execute("SELECT * FROM etl_changes").fetchall()) == [("dim_systems", None)]
    result = build_marts(con, changes=pending_changes(con))
    assert result["mode"] == "incremental"
    assert result["measures"] == ["M1"]  # C1–C3, Q1, Q2 read dim_systems too: recomputed, their sums unchanged
    assert result["periods"] == periods_ending(con, "2025-03") == 26
    # M1 AAA 2025-03: (90 + 240) ÷ (100 + 600) key-system users
    assert con.execute("SELECT value FROM measure_values WHERE measure_id = 'M1' AND committee_code = 'AAA' "
                       "AND grain = 'month' AND period = '2025-03'").fetchone()[0] == pytest.approx(100 * 330 / 700)
    assert_same_as_full(con, path, tmp_path)


def test_a_committee_change_rebuilds_in_full(inc, tmp_path, caplog):
    con, path = inc
    deliver(con, tmp_path, "committees", [dict(committee_code="DDD", name_sv="Nämnd D", name_en="Committee D",
                                               kind="district_council", peer_group="district_councils")])
    with caplog.at_level("INFO", logger="metrics.build"):
        result = build_marts(con, changes=pending_changes(con))
    assert result["mode"] == "full"
    assert "dim_committees changed" in caplog.text
    assert_same_as_full(con, path, tmp_path)


def test_no_change_rebuilds_nothing(inc, tmp_path):
    con, path = inc
    before = marts(con)
    deliver(con, tmp_path, "it_costs", [cost_row("L1", "2025-01", "AAA", 40000, system="SYS0001"),
                                        cost_row("L4", "2025-01", "BBB", 110000),
                                        cost_row("L5", "2025-01", "CCC", 70000, cost_class="transform")])
    # the same rows again: the month is recorded (the loader cannot know), the sums are unchanged
    result = build_marts(con, changes=pending_changes(con))
    assert (result["mode"], result["measures"], result["periods"], result["rows"]) == ("incremental", [], 0, 0)
    assert marts(con) == before
    assert build_marts(con, changes=[])["mode"] == "none"


def test_without_recorded_changes_or_after_a_declaration_change_the_build_is_full(inc, tmp_path):
    con, path = inc
    assert pending_changes(con) is None  # nothing recorded in this connection: the caller builds in full
    con.execute("UPDATE mart_build_info SET value = 'stale' WHERE key = 'definitions_hash'")
    assert build_marts(con, changes=[("fact_it_costs", dt.date(2025, 1, 1))])["mode"] == "full"
    con.execute("DROP TABLE measure_month_sums")
    assert build_marts(con, changes=[("fact_it_costs", dt.date(2025, 1, 1))])["mode"] == "full"


def test_a_new_month_beyond_the_horizon_adds_periods_for_every_measure(inc, tmp_path):
    con, path = inc
    # DDD's e-service rows for 2026-05 move the horizon one month: 2026-05 (month) is a new period,
    # and 2026-Q2, 2026-T2 are new as well (2026-Q2 existed: April is in it)
    before = {r for r in con.execute("SELECT grain, period FROM scorecard_periods").fetchall()}
    deliver(con, tmp_path, "eservice_transactions", [
        dict(month="2026-05", eservice_id="ES005", channel="digital", completed=8, straight_through=""),
        dict(month="2026-05", eservice_id="ES005", channel="phone", completed=2, straight_through="")])
    result = build_marts(con, changes=pending_changes(con))
    after = {r for r in con.execute("SELECT grain, period FROM scorecard_periods").fetchall()}
    assert after - before == {("month", "2026-05"), ("tertial", "2026-T2")}
    assert result["mode"] == "incremental"
    assert con.execute("SELECT max(last_data_month) FROM scorecard_periods").fetchone()[0] == dt.date(2026, 5, 1)
    assert_same_as_full(con, path, tmp_path)


MONTHS = [f"{y}-{m:02d}" for y, m in [(2024, 9), (2024, 12), (2025, 1), (2025, 2), (2025, 7), (2026, 1), (2026, 4)]]
COMMITTEE = st.sampled_from(["AAA", "BBB", "CCC", "DDD"])
AMOUNT = st.integers(min_value=-50_000, max_value=500_000)


CHECKLIST = ["online_end_to_end", "eid_login", "mobile_friendly", "prefilled_data", "status_visible",
             "handling_time_shown", "help_available"]


@st.composite
def delivery(draw):
    """One small delivery of one source: (source, rows)."""
    kind = draw(st.sampled_from(["it_costs", "operating_costs", "it_users", "licences", "targets",
                                 "eservice_transactions", "survey_responses", "benefit_realisations",
                                 "benefit_plans", "system_usage", "eservice_reviews"]))
    month = draw(st.sampled_from(MONTHS))
    n = draw(st.integers(min_value=1, max_value=3))
    if kind == "it_costs":
        return kind, [cost_row(f"N{month}{i}", month, draw(COMMITTEE), draw(AMOUNT),
                               draw(st.sampled_from(["run", "grow", "transform"]))) for i in range(n)]
    if kind == "operating_costs":
        committees = draw(st.lists(COMMITTEE, min_size=1, max_size=4, unique=True))
        return kind, [dict(month=month, committee_code=c, amount_sek=draw(st.integers(1, 3_000_000)))
                      for c in committees]
    if kind == "it_users":
        committees = draw(st.lists(COMMITTEE, min_size=1, max_size=4, unique=True))
        return kind, [dict(month=month, committee_code=c, it_users=u, headcount=u + draw(st.integers(0, 5)))
                      for c in committees for u in [draw(st.integers(1, 50))]]
    if kind == "licences":
        return kind, [dict(month=month, committee_code=draw(COMMITTEE), product=f"P{i}", paid=p,
                           used_90d=draw(st.integers(0, p))) for i in range(n) for p in [draw(st.integers(1, 200))]]
    if kind == "targets":
        return "target_overrides", [dict(committee_code=draw(COMMITTEE), year=int(month[:4]),
                                         measure_id=draw(st.sampled_from(["M3", "E1", "C2", "Q2"])),
                                         target=t, red_threshold=t - 5, changed_by="analyst",
                                         changed_at="2025-06-01 09:00", reason="test")
                                    for t in [draw(st.integers(10, 100))]]
    if kind == "survey_responses":  # quarterly and yearly measures (E2, Q3, I2): a whole kind × month is replaced
        survey = draw(st.sampled_from(["eservice_exit", "staff_it", "it_support"]))
        committee = draw(COMMITTEE)
        answers = draw(st.lists(st.integers(1, 5), min_size=1, max_size=40))
        return kind, [dict(survey_kind=survey, response_id=f"h{i}", committee_code=committee,
                           response_date=f"{month}-15", question_id="q1", answer=a,
                           eservice_id="ES001" if survey == "eservice_exit" else "")
                      for i, a in enumerate(answers)]
    if kind == "benefit_realisations":  # I1: realised ÷ planned to date, so every later period
        return kind, [dict(benefit_id=b, month=month, realised_value=1, realised_sek=draw(st.integers(0, 300_000)),
                           evidence="report", reported_by="controller")
                      for b in draw(st.lists(st.sampled_from(["B0001", "B0002"]), min_size=1, max_size=2, unique=True))]
    if kind == "benefit_plans":  # I1: a benefit's plan is replaced whole (scope benefit_id): its old months too
        return kind, [dict(benefit_id=draw(st.sampled_from(["B0001", "B0002"])), month=m, planned_value=1,
                           planned_sek=draw(st.integers(0, 300_000)))
                      for m in draw(st.lists(st.sampled_from(MONTHS), min_size=1, max_size=3, unique=True))]
    if kind == "system_usage":  # M1: a month of usage is replaced whole (scope month)
        return kind, [dict(month=month, system_id=s, active_users_30d=draw(st.integers(0, 600)))
                      for s in draw(st.lists(st.sampled_from(["SYS0001", "SYS0002", "SYS0003"]), min_size=1,
                                             max_size=3, unique=True))]
    if kind == "eservice_reviews":  # E3: a review of a year (month: 1 January of it)
        return kind, [dict(year=int(month[:4]), eservice_id=draw(st.sampled_from(["ES001", "ES003", "ES004"])),
                           **{item: str(draw(st.booleans())).lower() for item in CHECKLIST})]
    return kind, [dict(month=month, eservice_id=draw(st.sampled_from(["ES001", "ES002", "ES004", "ES005"])),
                       channel=ch, completed=draw(st.integers(0, 300)), straight_through="")
                  for ch in draw(st.lists(st.sampled_from(["digital", "phone", "paper"]), min_size=1, max_size=3,
                                          unique=True))]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(deliveries=st.lists(delivery(), min_size=1, max_size=2))
def test_any_small_delivery_gives_the_marts_of_a_full_rebuild(built, tmp_path_factory, deliveries):
    tmp = tmp_path_factory.mktemp("hyp")
    path = tmp / "inc.duckdb"
    shutil.copyfile(built, path)
    con = duckdb.connect(str(path))
    try:
        for i, (source, rows) in enumerate(deliveries):
            deliver(con, tmp, source, rows, name=f"d{i}_{source}.csv", allow_unchanged=True)
        result = build_marts(con, changes=pending_changes(con))
        assert result["mode"] in ("incremental", "none")
        assert_same_as_full(con, path, tmp)
    finally:
        con.close()


def test_a_store_target_change_reaches_its_year_through_the_publish_copy(inc, tmp_path, monkeypatch):
    """An administrator's target change in the follow-up store is copied in by every publish
    (pipeline.publish.note_store_target_changes): the years whose store targets differ are recorded."""
    from conftest_helpers import ADMIN
    from etl.load import CHANGES_DDL
    from followup import targets
    from followup.store import reset_stores
    from pipeline.publish import note_store_target_changes

    con, path = inc
    monkeypatch.setenv("SCORECARD_WAREHOUSE", str(path))
    monkeypatch.delenv("SCORECARD_FOLLOWUP_URL", raising=False)
    reset_stores()
    try:
        con.execute(CHANGES_DDL)
        note_store_target_changes(con, path)  # an empty store: nothing changed
        assert pending_changes(con) == []
        targets.change_target(ADMIN, "AAA", 2025, "M3", 95, 90, "Stricter licence follow-up",
                              directions={"M3": "higher"}, committees={"AAA", "BBB", "CCC", "DDD"})
        note_store_target_changes(con, path)
        assert pending_changes(con) == [("store_targets", dt.date(2025, 1, 1))]
        result = build_marts(con, changes=pending_changes(con))
        assert (result["mode"], result["periods"]) == ("incremental", 15 * 20)
        row = con.execute("SELECT target, status, target_overridden FROM measure_values WHERE measure_id = 'M3' "
                          "AND committee_code = 'AAA' AND grain = 'month' AND period = '2025-03'").fetchone()
        assert row == (95.0, "red", True)  # 82.5 % used
        assert_same_as_full(con, path, tmp_path)
    finally:
        reset_stores()


def test_a_load_command_publishes_with_an_incremental_build(built, tmp_path):
    """`python -m etl load` (pipeline.cli.run_batches → publish): the publish passes the load's changes."""
    from pipeline.cli import plan_files, run_batches

    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built, path)
    src = tmp_path / "it_costs_2025-02.csv"
    with open(src, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(cost_row("L9", "2025-02", "AAA", 90000)))
        writer.writeheader()
        writer.writerow(cost_row("L9", "2025-02", "AAA", 90000))
    [result] = run_batches(plan_files([src], "it_costs"), path)
    assert result.status == "loaded", result.message
    con = duckdb.connect(str(path))
    try:
        assert rewritten(con) == ("incremental", ["C1", "C2", "C3"], 81)
        version, published_at = con.execute("SELECT max(version), max(published_at) FROM measure_status_history").fetchone()
        history = con.execute("SELECT * FROM measure_status_history WHERE version = ? ORDER BY ALL", [version]).fetchall()
        assert len(history) == 4 * 15 * 4  # committees × measures × the latest complete period of each grain
        assert_same_as_full(con, path, tmp_path)
    finally:
        con.close()
    # the status history (for the alerts) recorded from the incremental marts is the one a full build gives
    full = duckdb.connect(str(tmp_path / "full.duckdb"))  # the fully rebuilt copy made by assert_same_as_full
    try:
        assert status_history.record(full, version, published_at) == len(history)
        assert full.execute("SELECT * FROM measure_status_history WHERE version = ? ORDER BY ALL",
                            [version]).fetchall() == history
    finally:
        full.close()


def test_a_changed_seed_is_recorded_and_reaches_no_measure(inc, tmp_path):
    from etl.load import CHANGES_DDL
    from etl.seeds import load_seeds

    con, path = inc
    con.execute(CHANGES_DDL)
    seeds = tmp_path / "seeds"
    shutil.copytree(Path(__file__).parents[2] / "seeds", seeds)
    load_seeds(con, seeds)  # the same seeds as in the warehouse: nothing written, nothing recorded
    assert pending_changes(con) == []
    text = (seeds / "perspectives.csv").read_text(encoding="utf-8")
    (seeds / "perspectives.csv").write_text(text.replace("External benefit", "External value"), encoding="utf-8")
    load_seeds(con, seeds)
    assert pending_changes(con) == [("dim_perspectives", None)]
    result = build_marts(con, changes=pending_changes(con))
    assert (result["mode"], result["measures"], result["periods"]) == ("incremental", [], 0)
    assert_same_as_full(con, path, tmp_path)


def test_a_month_before_the_horizon_rebuilds_in_full(inc, tmp_path, caplog):
    """New periods at the start could give existing periods a value to carry forward: the build is not sure."""
    con, path = inc
    deliver(con, tmp_path, "eservice_transactions", [
        dict(month="2024-03", eservice_id="ES001", channel="digital", completed=40, straight_through="")])
    with caplog.at_level("INFO", logger="metrics.build"):
        result = build_marts(con, changes=pending_changes(con))
    assert result["mode"] == "full"
    assert "first month moved" in caplog.text
    assert con.execute("SELECT min(start_month) FROM scorecard_periods WHERE grain = 'month'").fetchone()[0] == \
        dt.date(2024, 3, 1)
    assert_same_as_full(con, path, tmp_path)

# ---- issue 16, session 6: the month sums (measure_month_sums) and the indicators are recomputed only for the
# months a delivery can change, where the declarations say which month column the rows are counted by
# (`month_columns` on a measure or indicator; `month_local` / `tested_per_month` on the models it reads);
# else the whole history, as before. Incident deliveries (the fact store): tests/etl/test_incremental_months.py.
# Fixture ledger (conftest.py): 2025-01 AAA 40 000 (SYS0001); 2025-02 AAA 30 000 + 30 000 (grow).

COST_MEASURES = ["C1", "C2", "C3"]
COST_INDICATORS = ["IT_COST_TIER", "IT_COST_SUPPLIER", "COST_PER_ESERVICE_TRANSACTION"]
YEAR_2025 = [f"2025-{m:02d}" for m in range(1, 13)]


def sums(con, measure: str, committee: str) -> list[tuple]:
    return con.execute("SELECT strftime(month, '%Y-%m'), num, den FROM measure_month_sums WHERE measure_id = ? "
                       "AND committee_code = ? ORDER BY month", [measure, committee]).fetchall()


def test_a_ledger_month_recomputes_the_cost_sums_of_that_month_only(inc, tmp_path):
    con, path = inc
    before = sums(con, "C3", "AAA")
    # 2025-02 re-delivered: AAA's two lines (30 000 run + 30 000 grow) become one grow line of 90 000
    deliver(con, tmp_path, "it_costs", [cost_row("L9", "2025-02", "AAA", 90000, cost_class="grow")])
    result = build_marts(con, changes=pending_changes(con))
    assert result["mode"] == "incremental"
    assert result["month_sums"] == {m: ["2025-02"] for m in COST_MEASURES}
    # the cost indicators: the periods holding 2025-02 (2025-02, 2025-Q1, 2025-T1, 2025) span 2025's months
    assert {i: result["indicator_months"][i] for i in COST_INDICATORS} == {i: YEAR_2025 for i in COST_INDICATORS}
    # C3 (renewal share) AAA: January 0 of 40 000 unchanged; February 90 000 grow of 90 000
    assert before[0] == ("2025-01", 0.0, 40000.0)
    assert sums(con, "C3", "AAA") == [("2025-01", 0.0, 40000.0), ("2025-02", 90000.0, 90000.0)]
    # IT cost by tier, AAA, 2025-Q1: 40 000 basic (SYS0001) and 90 000 unallocated
    assert con.execute("SELECT indicator_id, value FROM indicator_values WHERE committee_code = 'AAA' AND grain = "
                       "'quarter' AND period = '2025-Q1' AND indicator_id LIKE 'IT_COST_TIER%' ORDER BY 1").fetchall() \
        == [("IT_COST_TIER_BASIC", 40000.0), ("IT_COST_TIER_UNALLOCATED", 90000.0)]
    assert_same_as_full(con, path, tmp_path)


def test_two_ledger_months_of_two_years(inc, tmp_path):
    con, path = inc
    deliver(con, tmp_path, "it_costs", [cost_row("L8", "2024-09", "BBB", 25000), cost_row("L7", "2026-03", "CCC", 5)])
    result = build_marts(con, changes=pending_changes(con))
    assert result["month_sums"] == {m: ["2024-09", "2026-03"] for m in COST_MEASURES}
    spans = [f"2024-{m:02d}" for m in range(1, 13)] + [f"2026-{m:02d}" for m in range(1, 13)]
    assert result["indicator_months"]["IT_COST_TIER"] == spans     # 2025 is not read
    assert_same_as_full(con, path, tmp_path)


def test_a_dimension_change_recomputes_every_month(inc, tmp_path):
    """dim_systems (no month) reaches int_it_costs: its months are unknown, so the whole history, as before."""
    con, path = inc
    deliver(con, tmp_path, "systems", SYSTEMS)
    result = build_marts(con, changes=pending_changes(con))
    assert result["month_sums"]["C1"] is None and result["month_sums"]["M1"] is None
    assert result["indicator_months"]["IT_COST_TIER"] is None
    assert_same_as_full(con, path, tmp_path)


def test_a_new_month_past_the_horizon_builds_the_indicators_for_the_new_periods(inc, tmp_path):
    con, path = inc
    deliver(con, tmp_path, "eservice_transactions", [
        dict(month="2026-05", eservice_id="ES005", channel="digital", completed=8, straight_through="")])
    result = build_marts(con, changes=pending_changes(con))
    # E3 (reviews, weighted by the year's errands through int_eservice_reviews): its months are local to the
    # reviews only (month_local), and a change of the errands reaches every month of their year: every month
    assert result["month_sums"] == {"E1": ["2026-05"], "E3": None, "I3": ["2026-05"]}
    # every indicator: the periods new since (2026-05, 2026-T2) and, for those reading e-service rows, the
    # periods holding 2026-05 (2026-Q2, 2026-T2, 2026): 2026's months
    assert result["indicator_months"]["TRANSACTIONS"] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert result["indicator_months"]["MTTR"] == ["2026-05", "2026-06", "2026-07", "2026-08"]
    assert con.execute("SELECT value FROM indicator_values WHERE indicator_id = 'TRANSACTIONS_DIGITAL' AND "
                       "committee_code = 'DDD' AND grain = 'month' AND period = '2026-05'").fetchall() == [(8.0,)]
    assert_same_as_full(con, path, tmp_path)


def test_months_sql_narrows_each_model_by_a_range_the_scan_can_skip_by():
    sql = months_sql("SELECT committee_code, month FROM int_incidents", (("int_incidents", "resolved_at"),),
                     ["2016-03", "2016-01", "2016-02", "2016-12"])
    # one range over the span (pushed into the Parquet scan), then one range per run of consecutive months
    assert "int_incidents AS (SELECT * FROM int_incidents WHERE resolved_at >= DATE '2016-01-01' AND " \
           "resolved_at < DATE '2017-01-01' AND ((resolved_at >= DATE '2016-01-01' AND resolved_at < DATE " \
           "'2016-04-01') OR (resolved_at >= DATE '2016-12-01' AND resolved_at < DATE '2017-01-01')))" in sql
    assert "date_trunc" not in sql
    with pytest.raises(ValueError, match="not a month"):
        months_sql("SELECT 1", (("int_incidents", "resolved_at"),), ["2016-3"])


def test_month_columns_are_validated():
    doc = next(m for m in load_measures() if m.id == "Q2")
    raw = yaml.safe_load((DEFINITION_DIR / "Q2.yaml").read_text(encoding="utf-8"))
    assert doc.month_columns == (("int_incidents", "resolved_at"),)
    with pytest.raises(DeclarationError, match="month_columns: int_it_costs not one of models"):
        parse_measure({**raw, "month_columns": {"int_it_costs": "month"}}, "Q2.yaml")
    with pytest.raises(DeclarationError, match="is not drilldown_keys.month"):
        parse_measure({**raw, "month_columns": {"int_incidents": "opened_at"}}, "Q2.yaml")
    with pytest.raises(DeclarationError, match="month_columns"):
        parse_measure({**raw, "month_columns": {"int_incidents": "Resolved At"}}, "Q2.yaml")
    assert parse_measure({k: v for k, v in raw.items() if k != "month_columns"}, "Q2.yaml").month_columns is None


def test_month_local_names_sources_and_a_declared_column():
    base = dict(name="m", description={"sv": "x", "en": "x"}, sources=["fact_a", "fact_b"],
                columns=[{"name": "month", "description": {"sv": "x", "en": "x"}}])
    assert ModelDecl.model_validate({**base, "month_local": {"column": "month", "sources": ["fact_a", "fact_b"]}})
    with pytest.raises(ValueError, match="source 'fact_c' is not in sources"):
        ModelDecl.model_validate({**base, "month_local": {"column": "month", "sources": ["fact_c"]}})
    with pytest.raises(ValueError, match="column 'day' is not a declared column"):
        ModelDecl.model_validate({**base, "month_local": {"column": "day", "sources": ["fact_a"]}})


# ---- issue 16, session 6, second round: the month_columns of E2, E3, I1, I2, M1, Q3 (through the month_local
# declarations of int_survey_responses, int_eservice_reviews, int_benefit_flows, int_system_usage); M2 and Q1
# cannot declare them (see their YAML comments) and recompute every month.

def test_a_survey_month_recomputes_the_survey_sums_of_that_month_only(inc, tmp_path):
    con, path = inc
    assert sums(con, "Q3", "AAA") == [("2025-03", 27.0, 30.0)]
    # the post-ticket survey of 2025-03 re-delivered (scope survey_kind × month): 36 answers of 5, 4 of 2
    deliver(con, tmp_path, "survey_responses", [
        dict(survey_kind="it_support", response_id=f"r{i}", committee_code="AAA", response_date="2025-03-20",
             question_id="q1", answer=5 if i < 36 else 2, eservice_id="") for i in range(40)])
    result = build_marts(con, changes=pending_changes(con))
    assert result["mode"] == "incremental"
    # M2 reads the survey through int_competence_respondents (a respondent's first month): every month
    assert result["month_sums"] == {"E2": ["2025-03"], "I2": ["2025-03"], "Q3": ["2025-03"], "M2": None}
    assert sums(con, "Q3", "AAA") == [("2025-03", 36.0, 40.0)]
    assert con.execute("SELECT value FROM measure_values WHERE measure_id = 'Q3' AND committee_code = 'AAA' "
                       "AND grain = 'quarter' AND period = '2025-Q1'").fetchone()[0] == pytest.approx(90.0)
    assert_same_as_full(con, path, tmp_path)


def test_a_usage_month_recomputes_m1_of_that_month_only(inc, tmp_path):
    con, path = inc
    deliver(con, tmp_path, "system_usage", [dict(month="2025-04", system_id="SYS0001", active_users_30d=80),
                                            dict(month="2025-04", system_id="SYS0002", active_users_30d=300),
                                            dict(month="2025-04", system_id="SYS0003", active_users_30d=5)])
    result = build_marts(con, changes=pending_changes(con))
    assert result["month_sums"] == {"M1": ["2025-04"]}
    # key systems only (SYS0003 is not one): 80 + 300 active of 100 + 300 intended; March as it was
    assert sums(con, "M1", "AAA") == [("2025-03", 330.0, 400.0), ("2025-04", 380.0, 400.0)]
    assert_same_as_full(con, path, tmp_path)


def test_a_replanned_benefit_recomputes_its_old_and_new_months(inc, tmp_path):
    con, path = inc
    assert sums(con, "I1", "BBB") == [("2025-01", 0.0, 100000.0), ("2025-02", 150000.0, 0.0)]
    # B0002's plan re-delivered (scope benefit_id: its 2025-01 row is replaced) due in 2025-04; a realisation
    # of B0001 reported for 2025-08
    deliver(con, tmp_path, "benefit_plans", [dict(benefit_id="B0002", month="2025-04", planned_value=1,
                                                  planned_sek=80000)])
    deliver(con, tmp_path, "benefit_realisations", [dict(benefit_id="B0001", month="2025-08", realised_value=1,
                                                         realised_sek=20000, evidence="report",
                                                         reported_by="controller")])
    result = build_marts(con, changes=pending_changes(con))
    assert result["month_sums"] == {"I1": ["2025-01", "2025-04", "2025-08"]}
    assert sums(con, "I1", "BBB") == [("2025-02", 150000.0, 0.0), ("2025-04", 0.0, 80000.0)]
    assert ("2025-08", 20000.0, 0.0) in sums(con, "I1", "AAA")
    assert_same_as_full(con, path, tmp_path)


def test_a_review_recomputes_january_of_its_year_only(inc, tmp_path):
    con, path = inc
    # 2024: ES001 100 points × 300 errands + ES003 4 of 7 items (57.14…) × 100 errands, of 400 errands
    (month, num, den), = sums(con, "E3", "AAA")
    assert (month, den) == ("2024-01", 400.0) and num == pytest.approx(30000 + 100 * 400 / 7)
    deliver(con, tmp_path, "eservice_reviews", [dict(year=2024, eservice_id="ES003",
                                                     **{item: "true" for item in CHECKLIST})])
    result = build_marts(con, changes=pending_changes(con))
    assert result["month_sums"] == {"E3": ["2024-01"]}
    assert sums(con, "E3", "AAA") == [("2024-01", 40000.0, 400.0)]   # ES003 now 100 points
    assert_same_as_full(con, path, tmp_path)


def test_an_outage_in_a_new_month_fills_the_months_between_so_q1_recomputes_every_month(inc, tmp_path):
    con, path = inc
    deliver(con, tmp_path, "outages", [dict(outage_id="O9", system_id="SYS0004", started_at="2025-05-06 10:00",
                                            ended_at="2025-05-06 11:00", planned="false")])
    result = build_marts(con, changes=pending_changes(con))
    assert result["month_sums"] == {"Q1": None}
    # April, a month the delivery does not name, now has its agreed time (no outage: fully available):
    # SYS0004 100 users × 168 h × 60 × 30 / 7 min + SYS0005 300 users × 40 h × 60 × 30 / 7 min
    april = [r for r in sums(con, "Q1", "AAA") if r[0] == "2025-04"]
    assert len(april) == 1 and april[0][1] == pytest.approx(april[0][2])
    assert april[0][2] == pytest.approx(100 * 168 * 60 * 30 / 7 + 300 * 40 * 60 * 30 / 7)
    assert_same_as_full(con, path, tmp_path)
