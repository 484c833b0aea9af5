"""Issue 13: the application process as dated stages (rules, lead time), projects on the five perspectives,
benefit classes in I1 and the NPV, the approved plan vs re-plans, and central IT cost distributed by key.
Every expected value is computed by hand in the comments from the fixture (conftest.py) or the rows here."""
from __future__ import annotations

from datetime import date

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics import portfolio as pf
from metrics import portfolio_query as pq
from metrics.models import build_models, test_models

D = date.fromisoformat


def history(*rows) -> dict:
    return {stage: (D(on), person) for stage, on, person in rows}


APPLIED = history(("need", "2024-01-10", "Karin Ek"), ("application", "2024-03-01", "Karin Ek"))


# ---- stage rules ----------------------------------------------------------------------------------------
def test_no_decision_before_valuation():
    h = history(("need", "2024-01-10", "Karin Ek"), ("application", "2024-03-01", "Karin Ek"),
                ("preparation", "2024-04-01", "Stadsledningskontoret"))   # a history loaded without valuation
    problems = pf.stage_problems(h, "decision", D("2024-05-01"), "Utvecklingsrådet")
    assert "no council decision before the central valuation" in problems
    with pytest.raises(pf.StageError, match="no council decision before the central valuation"):
        pf.check_transition(h, "decision", D("2024-05-01"), "Utvecklingsrådet")
    # straight from the application to a decision: both the order rule and the valuation rule speak
    problems = pf.stage_problems(APPLIED, "decision", D("2024-05-01"), "Utvecklingsrådet")
    assert problems == ["the next stage is valuation, not decision",
                        "no council decision before the central valuation"]


def test_valuer_must_not_be_the_applicant():
    assert pf.stage_problems(APPLIED, "valuation", D("2024-03-20"), "  karin ek ") == [
        "the valuer must not be the applicant"]
    assert pf.stage_problems(APPLIED, "valuation", D("2024-03-20"), "") == ["the valuation needs a named valuer"]
    assert pf.stage_problems(APPLIED, "valuation", D("2024-03-20"), "Anna Lindqvist") == []


def test_order_dates_and_closing():
    valued = {**APPLIED, "valuation": (D("2024-03-20"), "Anna Lindqvist")}
    assert pf.stage_problems(valued, "preparation", D("2024-03-19"), "SLK") == [
        "preparation cannot be dated before valuation (2024-03-20)"]
    assert pf.stage_problems(valued, "implementation", D("2024-04-01"), "PL") == [
        "the next stage is preparation, not implementation"]
    assert pf.stage_problems(valued, "valuation", D("2024-04-01"), "Erik") == [
        "the project has already reached valuation", "the next stage is preparation, not valuation"]
    assert pf.stage_problems(valued, "closed", D("2024-04-01"), "Utvecklingsrådet") == []   # withdrawn
    closed = {**valued, "closed": (D("2024-04-01"), "Utvecklingsrådet")}
    assert pf.stage_problems(closed, "preparation", D("2024-05-01"), "SLK") == ["the project is closed"]
    assert pf.next_stages({}) == ["need"]
    assert pf.next_stages(valued) == ["preparation", "closed"]
    assert pf.next_stages(closed) == []
    assert pf.stage_problems({}, "application", D("2024-01-01"), "Karin Ek") == [
        "the next stage is need, not application"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(st.sampled_from(pf.STAGES), st.integers(-30, 120),
                                st.sampled_from(["Karin Ek", "Anna Lindqvist", "karin ek"])), max_size=14))
def test_any_history_the_rules_accept_passes_the_models_data_tests(steps):
    """Whatever sequence of moves is tried, the moves the rules accept build a history that the declared
    model's data tests (the same rules, in SQL over the loaded stages) accept too."""
    h: dict = {}
    on = D("2020-01-01")
    for stage, days, person in steps:
        when = date.fromordinal(on.toordinal() + days)
        if not pf.stage_problems(h, stage, when, person):
            h[stage] = (when, person)
            on = when
    if "decision" in h:
        assert "valuation" in h and h["valuation"][0] <= h["decision"][0]
    con = duckdb.connect()
    from etl.schema import create_all
    create_all(con)
    con.execute("INSERT INTO dim_projects (project_id, name, portfolio_id, tier, owner_committee, benefit_owner, "
                "status, start_date, end_date, planned_running_cost_sek, council_goals) VALUES ('P0001', 'x', 1, "
                "'differentiating', 'UTBN', 'Chef', 'applied', DATE '2020-01-01', DATE '2021-01-01', 0, 'KF1')")
    for s, (d, p) in h.items():
        con.execute("INSERT INTO fact_project_stages VALUES ('P0001', ?, ?, ?, NULL, 1, 1)", [s, d, p])
    build_models(con)
    assert [f for f in test_models(con) if f["model"] == "project_stage_timeline"] == []


def test_the_model_rejects_a_loaded_history_that_breaks_the_rules(con):
    # P0004 is valued by its own applicant, and P0002 gets a decision dated before its valuation
    con.execute("UPDATE fact_project_stages SET person = 'Eva Sjöberg' WHERE project_id = 'P0004' AND stage = 'valuation'")
    con.execute("UPDATE fact_project_stages SET entered_on = DATE '2020-01-01' WHERE project_id = 'P0002' "
                "AND stage = 'decision'")
    build_models(con)
    failures = {f["test"]: f["failing_rows"] for f in test_models(con) if f["model"] == "project_stage_timeline"}
    assert failures == {"expression: no council decision before the central valuation": 1,
                        "expression: the valuer is not the applicant": 1,
                        "expression: stages are dated in process order": 1}


# ---- lead time ------------------------------------------------------------------------------------------
def test_lead_time_on_hand_made_dates(con):
    # P0001 need 2019-01-15 → decision 2019-12-02: 16 + 28 + 31 + 30 + 31 + 30 + 31 + 31 + 30 + 31 + 30 + 2
    #   = 321 days = 321 / 30.4375 = 10.546 months; application 2019-06-03 → 2019-12-02: 182 days = 5.979 months
    # P0002 need 2019-02-01 → decision 2020-06-15: 365 + 135 = 500 days = 16.427 months (portfolio 2, 2020);
    #   application 2019-11-01 → 2020-06-15: 29 + 31 + 31 + 29 + 31 + 30 + 31 + 15 = 227 days = 7.458 months
    # P0004 has no decision: not in the indicator
    tl = pq.stage_timeline(con).set_index("project_id")
    assert tl.loc["P0001", "need_to_decision_days"] == 321
    assert tl.loc["P0001", "application_to_decision_days"] == 182
    assert tl.loc["P0002", "need_to_decision_days"] == 500
    assert tl.loc["P0002", "application_to_decision_days"] == 227
    assert tl.loc["P0004", "current_stage"] == "valuation" and tl.loc["P0004", "applicant"] == "Eva Sjöberg"
    assert tl.loc["P0001", "valuer"] == "Anna Lindqvist"
    assert pf.lead_time_months(D("2019-01-15"), D("2019-12-02")) == pytest.approx(10.5462, abs=1e-4)
    lead = pq.lead_times(con)
    city = lead[lead.portfolio_id == 0].set_index("decision_year")
    assert list(city.index) == [2019, 2020]
    assert city.loc[2019, "need_to_decision_months"] == pytest.approx(321 / 30.4375)
    assert city.loc[2020, "application_to_decision_months"] == pytest.approx(227 / 30.4375)
    assert (city.n_decisions == 1).all() and (lead.baseline_months == 18.0).all()
    p2 = lead[lead.portfolio_id == 2].iloc[0]
    assert (p2.decision_year, p2.n_decisions) == (2020, 1)
    # a second decision in 2019 (portfolio 1): the median of 321 and 200 days is 260.5 days
    con.executemany("INSERT INTO fact_project_stages VALUES ('P0003', ?, ?, ?, NULL, 1, 1)", [
        ("need", D("2019-02-01"), "Ulla Dahl"), ("application", D("2019-03-01"), "Ulla Dahl"),
        ("valuation", D("2019-04-01"), "Fatima Ali"), ("decision", D("2019-08-20"), "Utvecklingsrådet")])
    build_models(con)
    city = pq.lead_times(con).query("portfolio_id == 0").set_index("decision_year")
    assert city.loc[2019, "n_decisions"] == 2
    assert city.loc[2019, "need_to_decision_months"] == pytest.approx((321 + 200) / 2 / 30.4375)


def test_stage_history_in_process_order(con):
    h = pq.stage_history(con, "P0002")
    assert list(h.stage) == ["need", "application", "valuation", "preparation", "decision"]
    # 2019-02-01 → 2019-11-01 = 273 days; 2019-11-01 → 2020-01-10 = 70 days
    assert h.days_in_stage.tolist()[:2] == [273, 70] and h.days_in_stage.isna().tolist()[-1]
    assert pq.stage_record(con, "P0002")["valuation"] == (D("2020-01-10"), "Erik Söderberg")


# ---- projects on the five perspectives -----------------------------------------------------------------
def _scorecard(con, rows):
    """Replace the fixture's yearly measure values for UTBN with hand-made ones (the catalog is the real one)."""
    con.execute("DELETE FROM measure_values WHERE committee_code = 'UTBN' AND grain = 'year'")
    con.executemany("INSERT INTO measure_values (committee_code, grain, period, measure_id, value, period_end) "
                    "VALUES ('UTBN', 'year', ?, ?, ?, ?)", [(str(y), m, v, D(f"{y}-12-01")) for m, y, v in rows])


def test_project_perspectives_measured_against_expectation(con):
    # P0001 went live 2021-01-01 (follow_up); expected E1 50 → 60 and I2 70 → 75 for UTBN, baseline 2019.
    # Scorecard E1: 2019 48, 2022 52, 2024 56 → before 48, after = the latest full year after go-live (2024) 56:
    #   measured +8 against expected +10 = 80 %, in the expected direction.
    # I2: 2019 72, 2023 71 → measured −1 against +5 = −20 %, not in the expected direction.
    _scorecard(con, [("E1", 2019, 48.0), ("E1", 2022, 52.0), ("E1", 2024, 56.0), ("E1", 2021, 99.0),
                     ("I2", 2019, 72.0), ("I2", 2023, 71.0), ("M2", 2019, 58.0), ("M2", 2024, 65.0)])
    e = pq.project_expectations(con, "P0001").set_index("measure_id")
    assert e.loc["E1", "measured_before"] == 48 and e.loc["E1", "after_year"] == 2024
    assert e.loc["E1", "measured_after"] == 56 and e.loc["E1", "expected_change"] == 10
    assert e.loc["E1", "measured_change"] == 8 and e.loc["E1", "achieved_pct"] == pytest.approx(80)
    assert e.loc["E1", "direction_ok"] is True and e.loc["E1", "perspective"] == "external"
    assert e.loc["I2", "measured_change"] == -1 and e.loc["I2", "achieved_pct"] == pytest.approx(-20)
    assert e.loc["I2", "direction_ok"] is False
    # P0002 has not reached follow-up: nothing is measured yet, even though the scorecard has values
    p2 = pq.project_expectations(con, "P0002").iloc[0]
    assert not p2.closed and p2.measured_before == 58 and p2.measured_after != p2.measured_after  # NaN
    assert p2.expected_change == 6 and p2.achieved_pct != p2.achieved_pct


def test_expectation_result_uses_the_declared_baseline_when_the_scorecard_has_none():
    r = pf.expectation_result(50, 60, None, 57.5)
    assert r == {"expected_change": 10.0, "measured_change": 7.5, "achieved_pct": 75.0, "direction_ok": True,
                 "before": 50.0}
    assert pf.expectation_result(40, 30, 42, 38)["achieved_pct"] == pytest.approx(40)   # lower is the aim


# ---- benefit classes in I1 and the NPV ------------------------------------------------------------------
def test_class_totals():
    rows = [("budget", 100.0), ("time", 40.0), ("non_monetary", 999.0), ("budget", -10.0)]
    assert pf.class_totals(rows) == {"i1": 130.0, "npv": 130.0, "budget": 90.0, "non_monetary": 0.0}
    with pytest.raises(ValueError, match="unknown benefit class 'savings'"):
        pf.class_totals([("savings", 1.0)])


def test_npv_by_class_and_range(con):
    # P0001: development 1 200 000 in year 0; from go-live (2021) B0001 budget 30 000/month = 360 000 a year,
    # B0002 freed time 10 000/month = 120 000 a year; running cost 120 000 a year. Annuity factor
    # A = 1/1.04 + … + 1/1.04^5 = 4.451822331.
    #   NPV (budget + time)  = −1 200 000 + (360 000 + 120 000 − 120 000) × A = 402 656.04
    #   budget effect        = −1 200 000 + (360 000 − 120 000) × A          = −131 562.64
    #   low  (B0001 80 %, B0002 50 %)  = −1 200 000 + (288 000 + 60 000 − 120 000) × A = −184 984.51
    #   high (B0001 120 %, B0002 150 %) = −1 200 000 + (432 000 + 180 000 − 120 000) × A = 990 296.59
    r = pf.project_calculation(con, "P0001")
    assert r["npv"] == pytest.approx(402_656.04, abs=0.01)
    assert r["budget_npv"] == pytest.approx(-131_562.64, abs=0.01)
    assert r["npv_low"] == pytest.approx(-184_984.51, abs=0.01)
    assert r["npv_high"] == pytest.approx(990_296.59, abs=0.01)
    # a non-monetary benefit never enters the calculation, even if a plan carries SEK by mistake
    con.execute("INSERT INTO dim_benefits VALUES ('B0009', 'P0001', 'quality', 'Färre fel', 'fel', 100, 50, 'UTBN', "
                "'Förskoleplats', false, 'non_monetary', NULL, 100, 100, 1, 1)")
    con.executemany("INSERT INTO fact_benefit_plans VALUES ('B0009', ?, 5, 50000, 1, 1)",
                    [(D(f"2021-{m:02d}-01"),) for m in range(1, 13)])
    assert pf.project_calculation(con, "P0001")["npv"] == pytest.approx(402_656.04, abs=0.01)


def test_i1_counts_the_money_classes_only(con):
    # UTBN by 2021-12, SEK-valued benefits due: B0001 12 × 30 000 = 360 000, B0002 12 × 10 000 = 120 000,
    # B0003 6 × 25 000 = 150 000, B0004 6 × 5 000 = 30 000, B0006 6 × −2 000 = −12 000, B0008 6 × 5 000 = 30 000
    #   → 678 000; realised 6 × 20 000 + 3 × 10 000 + 6 × 6 000 − 3 × 2 000 = 180 000 → 26.549 %.
    # A non-monetary benefit with (mistaken) SEK in its plan and report changes nothing.
    before = pf.realisation(con, "2021-12", by="committee").set_index("owner_committee").loc["UTBN"]
    assert before.planned_sek_due == 678_000 and before.realised_sek == 180_000
    assert before.rate == pytest.approx(100 * 180_000 / 678_000)
    con.execute("INSERT INTO dim_benefits VALUES ('B0009', 'P0001', 'quality', 'Färre fel', 'fel', 100, 50, 'UTBN', "
                "'Förskoleplats', false, 'non_monetary', NULL, 100, 100, 1, 1)")
    con.execute("INSERT INTO fact_benefit_plans VALUES ('B0009', DATE '2021-03-01', 5, 90000, 1, 1)")
    con.execute("INSERT INTO fact_benefit_realisations VALUES ('B0009', DATE '2021-03-01', 5, 90000, 'x', 'y', 1, 1)")
    after = pf.realisation(con, "2021-12", by="committee").set_index("owner_committee").loc["UTBN"]
    assert (after.planned_sek_due, after.realised_sek) == (678_000, 180_000)
    classes = pq.benefit_classes(con, "2021-12").set_index("benefit_class")
    # budget: B0001 360 000 + B0003 150 000 + B0004 30 000 + B0006 −12 000 = 528 000; time: 120 000 + 30 000
    assert classes.loc["budget", "planned_sek_due"] == 528_000
    assert classes.loc["time", "planned_sek_due"] == 150_000
    # B0002's low 50 % → 60 000, B0008 100 % → 30 000
    assert classes.loc["time", "low_sek_due"] == pytest.approx(90_000)
    assert classes.loc["time", "planned_hours_due"] == pytest.approx(120_000 / 180 + 30_000 / 180)
    assert bool(classes.loc["time", "counts_in_i1"]) and not bool(classes.loc["time", "counts_in_budget"])
    assert not bool(classes.loc["non_monetary", "counts_in_i1"])
    assert classes.loc["non_monetary", "n_benefits"] == 2          # B0007 and B0009


# ---- approved plan vs re-plans --------------------------------------------------------------------------
def test_approved_plan_is_kept_and_realisation_shown_against_both(con):
    # B0001 approved: 12 × 30 000 = 360 000 due by 2021-12. Re-plan v2 (2021-06-20): 6 × 30 000 + 6 × 15 000
    # = 270 000. Realised 6 × 20 000 = 120 000 → 33.33 % of approved, 44.44 % of latest; drift −90 000.
    v = pq.plan_versions(con, "2021-12", "P0001").set_index("benefit_id")
    b1 = v.loc["B0001"]
    assert (b1.latest_version, b1.approved_sek_due, b1.latest_sek_due) == (2, 360_000, 270_000)
    assert b1.drift_sek == -90_000 and b1.realised_sek == 120_000
    assert b1.rate_vs_approved == pytest.approx(100 / 3) and b1.rate_vs_latest == pytest.approx(400 / 9)
    assert str(b1.replanned_on)[:10] == "2021-06-20"
    b2 = v.loc["B0002"]                                   # never re-planned: both are the approved plan
    assert b2.latest_version == 1 and b2.approved_sek_due == b2.latest_sek_due == 120_000
    # the approved plan rows are untouched, and I1's realisation still judges against them
    assert con.execute("SELECT sum(planned_sek) FROM fact_benefit_plans WHERE benefit_id = 'B0001'").fetchone()[0] == 360_000
    r = pf.realisation(con, "2021-12", by="benefit").set_index("benefit_id").loc["B0001"]
    assert r.planned_sek_due == 360_000
    # a third version supersedes the second as the latest
    con.execute("INSERT INTO fact_benefit_replans VALUES ('B0001', 3, DATE '2021-09-01', DATE '2021-12-01', 1, 0, 1, 1)")
    build_models(con)
    b1 = pq.plan_versions(con, "2021-12", "P0001").set_index("benefit_id").loc["B0001"]
    assert (b1.latest_version, b1.latest_sek_due) == (3, 0)


# ---- central cost distribution by key -------------------------------------------------------------------
def _costs(con, pool_lines, users, licences=()):
    con.execute("INSERT INTO dim_committees VALUES ('KS', 'Kommunstyrelsen', 'City Executive Board', "
                "'specialist_committee', 'specialist_committees', 1, 1)")
    con.execute("INSERT INTO dim_systems (system_id, name, owner_committee, tier, critical, key_system, "
                "agreed_hours_per_week, intended_users) VALUES ('SYS0001', 'Ekonomisystem', 'KS', 'basic', true, true, "
                "168, 5000), ('SYS0002', 'M365', 'KS', 'basic', true, true, 168, 5000)")
    con.execute("INSERT INTO dim_central_services VALUES ('SYS0001', 'it_users', NULL, 1, 1), "
                "('SYS0002', 'licences', NULL, 1, 1)")
    con.executemany("INSERT INTO fact_it_costs (line_id, month, committee_code, account, amount_sek, supplier_type, "
                    "cost_class, system_id) VALUES (?, ?, 'KS', '6540', ?, 'external', 'run', ?)", pool_lines)
    con.executemany("INSERT INTO fact_it_users (month, committee_code, it_users, headcount) VALUES (?, ?, ?, ?)",
                    [(m, c, n, n) for m, c, n in users])
    for m, c, n in licences:
        con.execute("INSERT INTO fact_licences VALUES (?, ?, 'M365', ?, ?, 1, 1)", [m, c, n, n])
    build_models(con)


def test_cost_distribution_sums_to_the_central_total_exactly(con):
    # 2021-03: the central economy system costs 1 000,00 + 0,01 = 1 000,01 kr = 100 001 öre, split by IT users
    # UTBN 1, SON 1, BROMMA 1: 33 333 öre each and 2 öre left → to the largest remainders (all equal, so the
    # first committees in code order: BROMMA, SON) → BROMMA 333,34, SON 333,34, UTBN 333,33.
    # M365 costs 100 kr split by licences UTBN 2, SON 1 → 66,67 and 33,33 (2/3 of 10 000 öre = 6 666.67).
    m = D("2021-03-01")
    _costs(con, [("C1", m, 1000.00, "SYS0001"), ("C2", m, 0.01, "SYS0001"), ("C3", m, 100.0, "SYS0002")],
           [(m, "UTBN", 1), (m, "SON", 1), (m, "BROMMA", 1)], [(m, "UTBN", 2), (m, "SON", 1)])
    d = con.execute("SELECT system_id, committee_code, distributed_ore FROM it_cost_distribution "
                    "ORDER BY system_id, committee_code").fetchall()
    assert d == [("SYS0001", "BROMMA", 33334), ("SYS0001", "SON", 33334), ("SYS0001", "UTBN", 33333),
                 ("SYS0002", "SON", 3333), ("SYS0002", "UTBN", 6667)]
    assert [f for f in test_models(con) if f["model"].startswith("it_cost")] == []
    # by committee: KS keeps no central cost; the shares replace it. 2021-03 UTBN: direct = its own ledger line
    # (P0002 400 000), distributed 333,33 + 66,67 = 400,00; SON: no own line, 333,34 + 33,33 = 366,67
    by = {r[0]: r[1:] for r in con.execute(
        "SELECT committee_code, sum(direct_sek), sum(distributed_sek) FROM it_cost_by_committee "
        "WHERE month = DATE '2021-03-01' GROUP BY 1").fetchall()}
    assert by["UTBN"] == (400_000, pytest.approx(400.00)) and by["SON"] == (0, pytest.approx(366.67))
    assert "KS" not in by
    assert sum(v[1] for v in by.values()) == pytest.approx(1100.01)
    # the pure rule gives the same split
    assert pf.largest_remainder(100_001, [1, 1, 1]) == [33_334, 33_334, 33_333]
    assert pf.largest_remainder(-100_001, [1, 1, 1]) == [-33_334, -33_334, -33_333]


def test_c1_reads_direct_plus_distributed(con):
    # UTBN's C1 numerator for 2020-03: its own ledger line P0001 600 000 (2020-03) + its share of the central
    # cost 300 000 kr split by IT users UTBN 3 / SON 1 → 225 000. KS has a ledger line but no IT users: 0 share.
    from metrics.catalog import load_measures
    m = D("2020-03-01")
    _costs(con, [("C1", m, 300_000.0, "SYS0001")], [(m, "UTBN", 3), (m, "SON", 1)])
    c1 = next(x for x in load_measures() if x.id == "C1")
    rows = {r[0]: r[2] for r in con.execute(f"SELECT * FROM ({c1.sql}) WHERE month = DATE '2020-03-01' "
                                            "AND denominator = 0").fetchall()}
    assert rows["UTBN"] == pytest.approx(825_000) and rows["SON"] == pytest.approx(75_000) and "KS" not in rows


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(pool_ore=st.integers(-10**11, 10**11), weights=st.lists(st.integers(1, 200_000), min_size=1, max_size=6))
def test_distribution_always_adds_up(pool_ore, weights):
    parts = pf.largest_remainder(pool_ore, weights)
    assert sum(parts) == pool_ore
    total = sum(weights)
    assert all(abs(p - pool_ore * w / total) < 1 for p, w in zip(parts, weights))
    con = duckdb.connect()
    from etl.schema import create_all
    create_all(con)
    codes = [f"C{i}" for i in range(len(weights))]
    con.executemany("INSERT INTO dim_committees VALUES (?, ?, ?, 'specialist_committee', 'x', 1, 1)",
                    [(c, c, c) for c in codes + ["KS"]])
    con.execute("INSERT INTO dim_systems (system_id, name, owner_committee, tier, critical, key_system, "
                "agreed_hours_per_week, intended_users) VALUES ('SYS0001', 'E', 'KS', 'basic', true, true, 168, 1)")
    con.execute("INSERT INTO dim_central_services VALUES ('SYS0001', 'it_users', NULL, 1, 1)")
    con.execute("INSERT INTO fact_it_costs (line_id, month, committee_code, account, amount_sek, supplier_type, "
                "cost_class, system_id) VALUES ('L1', DATE '2021-01-01', 'KS', '6540', ?, 'internal', 'run', 'SYS0001')",
                [pool_ore / 100])
    con.executemany("INSERT INTO fact_it_users (month, committee_code, it_users, headcount) "
                    "VALUES (DATE '2021-01-01', ?, ?, ?)", [(c, w, w) for c, w in zip(codes, weights)])
    build_models(con)
    got = dict(con.execute("SELECT committee_code, distributed_ore FROM it_cost_distribution").fetchall())
    assert sum(got.values()) == pool_ore
    assert [got[c] for c in codes] == pf.largest_remainder(pool_ore, weights)
    assert test_models(con) == []


# ---- stages recorded in the follow-up store -------------------------------------------------------------
@pytest.fixture
def store_wh(warehouse_file):
    from followup.store import reset_stores
    from metrics.warehouse import Warehouse

    reset_stores()
    w = Warehouse(warehouse_file)
    yield w
    reset_stores()


def test_stages_recorded_in_the_store_follow_the_rules(store_wh):
    from followup.identity import Grant, Identity, PermissionDenied
    from followup.stages import StageRuleError, stages

    secretary = Identity("sekreterare@stad.se", "Rådets sekreterare", frozenset({Grant("secretary")}), "oidc")
    reader = Identity("lasare@stad.se", "Läsare")
    # P0004 (loaded history: need, application by Eva Sjöberg, valuation 2023-10-02) → preparation
    with pytest.raises(PermissionDenied):
        pq.record_stage(store_wh, reader, "P0004", "preparation", D("2023-11-01"), "SLK")
    with pytest.raises(StageRuleError) as err:
        pq.record_stage(store_wh, secretary, "P0004", "preparation", D("2023-09-01"), "SLK")
    assert [c for c, _, _ in err.value.problems] == ["before_previous"]
    with pytest.raises(StageRuleError) as err:
        pq.record_stage(store_wh, secretary, "P0004", "decision", D("2023-12-01"), "Utvecklingsrådet")
    assert [c for c, _, _ in err.value.problems] == ["order"]
    row = pq.record_stage(store_wh, secretary, "P0004", "preparation", D("2023-11-01"), "Stadsledningskontoret",
                          request_id="r1")
    assert (row["stage"], row["recorded_by"], row["author"]) == ("preparation", "Rådets sekreterare",
                                                                  "sekreterare@stad.se")
    # the same submission again writes nothing more
    pq.record_stage(store_wh, secretary, "P0004", "preparation", D("2023-11-01"), "Stadsledningskontoret",
                    request_id="r1")
    assert len(stages("P0004", store=pq._store(store_wh))) == 1
    # the history now shows the loaded stages and the recorded one, in process order
    h = pq.stage_history(store_wh, "P0004")
    assert list(h.stage) == ["need", "application", "valuation", "preparation"]
    assert list(h.source) == ["loaded", "loaded", "loaded", "recorded"]
    assert h.recorded_by.iloc[-1] == "Rådets sekreterare"
    # 2023-10-02 → 2023-11-01 = 30 days in the valuation stage
    assert h.days_in_stage.iloc[2] == 30
    assert pq.next_stages(pq.stage_record(store_wh, "P0004")) == ["decision", "closed"]
    pq.record_stage(store_wh, secretary, "P0004", "decision", D("2023-12-01"), "Utvecklingsrådet")
    # a project with no history: need, then application by the applicant, then a valuation by the same person
    pq.record_stage(store_wh, secretary, "P0003", "need", D("2020-09-01"), "Ulla Dahl")
    pq.record_stage(store_wh, secretary, "P0003", "application", D("2020-10-01"), "Ulla Dahl")
    with pytest.raises(StageRuleError) as err:
        pq.record_stage(store_wh, secretary, "P0003", "valuation", D("2020-10-15"), "ulla dahl")
    assert [c for c, _, _ in err.value.problems] == ["valuer_is_applicant"]
    with pytest.raises(StageRuleError) as err:
        pq.record_stage(store_wh, secretary, "P0003", "decision", D("2020-10-20"), "Utvecklingsrådet")
    assert [c for c, _, _ in err.value.problems] == ["order", "decision_before_valuation"]
    with pytest.raises(StageRuleError) as err:
        pq.record_stage(store_wh, secretary, "P9999", "need", D("2020-10-20"), "X")
    assert [c for c, _, _ in err.value.problems] == ["unknown_project"]
