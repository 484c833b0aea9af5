"""Roll-ups on the fixture: ratio of sums for city/peer and longer periods, carry-forward, scores."""
from __future__ import annotations

import pandas as pd
import pytest

approx = lambda x: pytest.approx(x, rel=1e-9, abs=1e-9)  # noqa: E731


def test_city_and_peer_are_ratio_of_sums(value):
    # E1 2025-03: AAA 70/100 = 70 %, BBB 30/300 = 10 %; mean of ratios would be 40 %
    # ratio of sums: (70 + 30) ÷ (100 + 300) = 25 %
    assert value("E1", "CITY", "month", "2025-03")["value"] == approx(25.0)
    assert value("E1", "PEER:district_councils", "month", "2025-03")["value"] == approx(25.0)
    row = value("E1", "AAA", "month", "2025-03")
    assert row["city_value"] == approx(25.0) and row["peer_value"] == approx(25.0)
    assert row["peer_median"] == approx(40.0)  # median of the committees' own values 70 and 10
    # Q2 March: AAA 20/25, BBB 10/10 (insufficient on its own, still counted in the sums): 30/35
    assert value("Q2", "CITY", "month", "2025-03")["value"] == approx(100 * 30 / 35)


def test_quarter_and_tertial_across_year_boundary(value):
    # CCC digital/all: 2024-11 10/100, 2024-12 20/100, 2025-01 30/100, 2025-02 90/200
    assert value("E1", "CCC", "quarter", "2024-Q4")["value"] == approx(15.0)   # 30 ÷ 200
    assert value("E1", "CCC", "quarter", "2025-Q1")["value"] == approx(40.0)   # 120 ÷ 300 (mean of months: 37.5)
    assert value("E1", "CCC", "tertial", "2024-T3")["value"] == approx(15.0)   # Sep–Dec: 30 ÷ 200
    assert value("E1", "CCC", "tertial", "2025-T1")["value"] == approx(40.0)   # Jan–Apr: 120 ÷ 300
    assert value("E1", "CCC", "year", "2024")["value"] == approx(15.0)
    row = value("E1", "CCC", "tertial", "2025-T1")
    assert (row["numerator"], row["denominator"]) == (120, 300) and not row["carried_forward"]


def test_yearly_value_shown_with_its_own_period(value):
    # E3 is reviewed yearly: at tertial 2025-T3 (ends December) the 2025 review would be its own period;
    # there is none, so the 2024 value is carried forward (12 months old).
    row = value("E3", "AAA", "tertial", "2025-T1")
    assert row["value_period"] == "2024" and row["carried_forward"]
    row = value("I2", "AAA", "tertial", "2024-T3")  # survey in Oct 2024, tertial ends with the year
    assert row["value_period"] == "2024" and not row["carried_forward"]


def test_carry_forward_limit_twelve_months(value):
    # I2 survey 2024 (last month Dec 2024): Dec 2025 is 12 months later → carried; Jan 2026 is 13 → not
    row = value("I2", "AAA", "month", "2025-12")
    assert row["value"] == approx(80.0) and row["carried_forward"] and row["value_period"] == "2024"
    row = value("I2", "AAA", "month", "2026-01")
    assert pd.isna(row["value"]) and row["status"] == "grey" and not row["carried_forward"]
    assert pd.isna(row["value_period"])


def test_target_override_only_for_its_committee_and_year(value):
    assert value("M3", "AAA", "month", "2025-03")["target_overridden"]
    other = value("M3", "CITY", "month", "2025-03")
    assert not other["target_overridden"] and (other["target"], other["red_threshold"]) == (90, 80)


def test_perspective_and_overall_scores(wh):
    ps = wh.df("SELECT * FROM perspective_scores WHERE committee_code = 'AAA' AND grain = 'quarter' AND period = '2025-Q1'")
    ps = ps.set_index("perspective")
    # external: E1 100, E2 75, E3 100 (2024 carried) → 91.67 green
    assert ps.loc["external", "score"] == approx((100 + 75 + 100) / 3) and ps.loc["external", "status"] == "green"
    assert not ps.loc["external", "red_flag"]
    # BBB has no external score, so the district-council median is AAA's own
    assert ps.loc["external", "peer_median_score"] == approx((100 + 75 + 100) / 3)
    # internal: AAA 75, BBB 50 → median 62.5
    assert ps.loc["internal", "peer_median_score"] == approx(62.5)
    # internal: I1 25 (50 % is red: 50 + 50 × (50 − 60)/20), I2 100, I3 100 → 75 yellow with red flag
    assert ps.loc["internal", "score"] == approx(75.0) and ps.loc["internal", "status"] == "yellow"
    assert ps.loc["internal", "red_flag"]
    # maturity: M1 75, M3 75 (override), M2 none → 2 of 3 suffice → 75
    assert ps.loc["maturity", "score"] == approx(75.0) and ps.loc["maturity", "n_measures"] == 2
    # cost: C1 100, C2 100 (C3 is yearly, none for 2024) → 100
    assert ps.loc["cost", "score"] == approx(100.0)
    # quality: Q1 100, Q2 50 (red), Q3 100 → 83.33, red flag
    assert ps.loc["quality", "score"] == approx(250 / 3) and ps.loc["quality", "red_flag"]
    overall = wh.df("SELECT * FROM overall_scores WHERE committee_code = 'AAA' AND grain = 'quarter' AND period = '2025-Q1'")
    # (91.667 + 75 + 75 + 100 + 83.333) ÷ 5 = 85
    assert overall["score"].iloc[0] == approx(85.0) and overall["status"].iloc[0] == "yellow"


def test_perspective_needs_two_scored_and_overall_four(wh):
    ps = wh.df("SELECT * FROM perspective_scores WHERE committee_code = 'BBB' AND grain = 'quarter' AND period = '2025-Q1'")
    ps = ps.set_index("perspective")
    # external: E1 scored 0 (red), E2 insufficient, E3 missing → only 1 of 3 → no score, grey, but red flag
    assert pd.isna(ps.loc["external", "score"]) and ps.loc["external", "status"] == "grey"
    assert ps.loc["external", "red_flag"]
    # internal: I1 100 (capped), I3 0 → 50 yellow
    assert ps.loc["internal", "score"] == approx(50.0) and ps.loc["internal", "status"] == "yellow"
    overall = wh.df("SELECT * FROM overall_scores WHERE committee_code = 'BBB' AND grain = 'quarter' AND period = '2025-Q1'")
    # only internal and cost have a score → 2 of 5 < 4 → no overall score
    assert overall["n_perspectives"].iloc[0] == 2 and pd.isna(overall["score"].iloc[0])
    assert overall["status"].iloc[0] == "grey"


def test_indicators(wh):
    ind = wh.df("""SELECT indicator_id, value, numerator, denominator FROM indicator_values
                   WHERE committee_code = 'AAA' AND grain = 'month' AND period = '2025-03'""").set_index("indicator_id")
    # first-contact resolution: of the 25 resolved in March, INC1015–1019 were reassigned twice → 20 ÷ 25 = 80 %
    assert ind.loc["FIRST_CONTACT_RESOLUTION", "value"] == approx(80.0)
    # MTTR: (20 × 10 h + 5 × 30 h) ÷ 25 = 14 h
    assert ind.loc["MTTR", "value"] == approx(14.0)
    assert ind.loc["TRANSACTIONS_DIGITAL", "value"] == approx(70.0)
    feb = wh.df("""SELECT indicator_id, value FROM indicator_values
                   WHERE committee_code = 'AAA' AND grain = 'quarter' AND period = '2025-Q1'""").set_index("indicator_id")
    # ledger Q1: 40k on SYS0001 (basic), 30k on SYS0002 (differentiating), 30k without system (unallocated)
    assert feb.loc["IT_COST_TIER_BASIC", "value"] == approx(40_000)
    assert feb.loc["IT_COST_TIER_DIFFERENTIATING", "value"] == approx(30_000)
    assert feb.loc["IT_COST_TIER_UNALLOCATED", "value"] == approx(30_000)
    assert feb.loc["IT_COST_SUPPLIER_INTERNAL", "value"] == approx(30_000)
    # cost per digital errand Q1: 100k ÷ 70 digital errands
    assert feb.loc["COST_PER_ESERVICE_TRANSACTION", "value"] == approx(100_000 / 70)


def test_horizon_follows_monthly_actuals_but_cumulative_sums_keep_earlier_months(tmp_path):
    import datetime as dt

    import duckdb

    from etl.schema import create_all
    from metrics.build import build_marts
    from tests.metrics.conftest import COMMITTEES, insert, tx

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    create_all(con)
    insert(con, "dim_committees", COMMITTEES[:1])
    insert(con, "dim_eservices", [dict(eservice_id="ES001", name="x", owner_committee="AAA", errand_type="t")])
    insert(con, "fact_eservice_transactions", [tx("2025-01", "ES001", "digital", 1), tx("2025-02", "ES001", "digital", 1)])
    insert(con, "dim_benefits", [dict(benefit_id="B0001", project_id="P0001", kind="financial", description="x", unit="SEK",
                                      baseline=0, target=1, owner_committee="AAA", errand_type="t", disbenefit=False)])
    insert(con, "fact_benefit_plans", [dict(benefit_id="B0001", month=dt.date(2010, 1, 1), planned_value=1, planned_sek=100_000),
                                       dict(benefit_id="B0001", month=dt.date(2025, 1, 1), planned_value=1, planned_sek=100_000)])
    insert(con, "fact_benefit_realisations", [dict(benefit_id="B0001", month=dt.date(2010, 6, 1), realised_value=1,
                                                   realised_sek=50_000, evidence="r", reported_by="c")])
    build_marts(con)
    # the scorecard starts with the monthly actuals (2025-01), not with the 2010 benefit records ...
    assert con.execute("SELECT min(start_month), max(end_month) FROM scorecard_periods WHERE grain = 'month'").fetchone() \
        == (dt.date(2025, 1, 1), dt.date(2025, 2, 1))
    # ... but I1 is cumulative from the start: 50k realised ÷ (100k + 100k) planned due by April 2025 = 25 %
    value = con.execute("SELECT value FROM measure_values WHERE measure_id = 'I1' AND committee_code = 'AAA' "
                        "AND grain = 'tertial' AND period = '2025-T1'").fetchone()[0]
    assert value == pytest.approx(25.0)
