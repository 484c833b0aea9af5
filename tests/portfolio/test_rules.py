"""Business rules of metrics/portfolio.py on hand-computed values (fixture in conftest.py)."""
from __future__ import annotations

from datetime import date

import pytest

from metrics import portfolio as pf


# ---- pure formulas ---------------------------------------------------------------------------
def test_npv_hand_computed():
    # -1000 + 300/1.04 + 400/1.04^2 + 500/1.04^3 = -1000 + 288.4615 + 369.8225 + 444.4985 = 102.7826
    assert pf.npv([-1000, 300, 400, 500], 0.04) == pytest.approx(102.7826, abs=1e-3)
    # year 0 is not discounted
    assert pf.npv([-500], 0.04) == -500


def test_payback_interpolates_inside_the_year():
    # cumulative -1000, -700, -300, +200 → pays back in year 3: 2 + 300/500 = 2.6 years
    assert pf.payback_years([-1000, 300, 400, 500]) == pytest.approx(2.6)
    # never pays back
    assert pf.payback_years([-1000, 100, 100]) is None
    # no investment → no payback time
    assert pf.payback_years([0, 100]) is None
    assert pf.payback_years([100, 50]) is None
    # pays back exactly at the end of year 2: 1 + 500/500 = 2.0
    assert pf.payback_years([-1000, 500, 500]) == pytest.approx(2.0)


def test_realisation_rate_caps_and_handles_nothing_due():
    assert pf.realisation_rate(150_000, 240_000) == pytest.approx(62.5)   # 150/240
    assert pf.realisation_rate(36_000, 30_000) == 100.0                    # 120 % capped
    assert pf.realisation_rate(0, 0) is None                               # nothing due
    assert pf.realisation_rate(None, 1000) == 0.0


def test_claims_exceed_baseline():
    assert pf.claims_exceed_baseline([6000, 5000], 10_000)      # 11 000 > 10 000
    assert not pf.claims_exceed_baseline([2000, 3000], 20_000)  # 5 000 ≤ 20 000
    assert not pf.claims_exceed_baseline([4000, 6000], 10_000)  # exactly the baseline is not above
    assert pf.improvement(10_000, 4_000) == 6_000
    assert pf.improvement(10_000, 10_500) == 500


def test_period_end_month():
    assert pf.period_end_month("2021-T2") == date(2021, 8, 1)
    assert pf.period_end_month("2021-Q1") == date(2021, 3, 1)
    assert pf.period_end_month("2021") == date(2021, 12, 1)
    assert pf.period_end_month("2021-07") == date(2021, 7, 1)


# ---- realisation on the fixture warehouse ------------------------------------------------------
def test_realisation_by_project_mid_2021(con):
    # P0001 by 2021-06: planned B0001 6×30 000 + B0002 6×10 000 = 240 000;
    # realised B0001 6×20 000 + B0002 3×10 000 = 150 000 → 62,5 %
    df = pf.realisation(con, "2021-06", by="project").set_index("project_id")
    assert list(df.index) == ["P0001"]          # nothing of P0002 is due before 2021-07
    assert df.loc["P0001", "planned_sek_due"] == 240_000
    assert df.loc["P0001", "realised_sek"] == 150_000
    assert df.loc["P0001", "rate"] == pytest.approx(62.5)


def test_realisation_by_committee_end_2021(con):
    # UTBN by 2021-12, planned: B0001 360 000 + B0002 120 000 + B0003 150 000 + B0004 30 000
    #   + B0006 (disbenefit) −12 000 + B0008 30 000 = 678 000
    # realised: 120 000 + 30 000 + 0 + 36 000 − 6 000 + 0 = 180 000 → 180/678 = 26,5487 %
    df = pf.realisation(con, "2021-12", by="committee").set_index("owner_committee")
    assert df.loc["UTBN", "planned_sek_due"] == 678_000
    assert df.loc["UTBN", "realised_sek"] == 180_000
    assert df.loc["UTBN", "rate"] == pytest.approx(100 * 180 / 678)
    assert "SON" not in df.index                # the stopped pilot's benefit has no plan


def test_realisation_capped_per_group(con):
    # B0004: realised 6×6 000 = 36 000 against 6×5 000 = 30 000 → 120 % capped to 100
    df = pf.realisation(con, "2021-12", by="benefit").set_index("benefit_id")
    assert df.loc["B0004", "rate"] == 100.0


def test_overdue_benefits(con):
    # by 2021-12: B0003 and B0008 have been due since 2021-07 (6 months incl.) and nothing is reported
    df = pf.overdue_benefits(con, "2021-12")
    assert list(df.benefit_id) == ["B0003", "B0008"]
    assert list(df.months_overdue) == [6, 6]
    assert list(df.planned_sek_due) == [150_000, 30_000]    # 6×25 000, 6×5 000
    # by 2021-06 everything due has been reported on
    assert pf.overdue_benefits(con, "2021-06").empty


def test_disbenefits(con):
    df = pf.disbenefits(con, "2021-12")
    assert list(df.benefit_id) == ["B0006"]
    assert df.planned_sek_due.iloc[0] == -12_000    # 6×−2 000
    assert df.realised_sek.iloc[0] == -6_000        # 3×−2 000


# ---- double counting -------------------------------------------------------------------------
def test_double_counting_positive_and_flag(con):
    df = pf.double_counting(con)
    pairs = {(a, b): row for a, b, row in zip(df.benefit_id_a, df.benefit_id_b, df.itertuples())}
    # B0001 (P0001, 2021-01..12) and B0003 (P0002, 2021-07..2022-06): operational, UTBN, Förskoleplats
    row = pairs[("B0001", "B0003")]
    assert row.claimed_total == 11_000          # (10 000 − 4 000) + (10 000 − 5 000)
    assert row.process_baseline == 10_000
    assert row.above_baseline                   # 11 000 > 10 000
    assert row.overlap_first.strftime("%Y-%m") == "2021-07" and row.overlap_last.strftime("%Y-%m") == "2021-12"
    # citizen pair found but within the baseline: 2 000 + 3 000 = 5 000 ≤ 20 000
    row = pairs[("B0002", "B0008")]
    assert row.claimed_total == 5_000 and not row.above_baseline


def test_double_counting_negative_cases(con):
    df = pf.double_counting(con)
    found = set(zip(df.benefit_id_a, df.benefit_id_b))
    assert found == {("B0001", "B0003"), ("B0002", "B0008")}
    # B0003 vs B0004: same project anyway, but also a different errand type (Skolskjuts)
    # B0001 vs B0005: same kind/committee/errand, periods 2021 vs 2026 do not overlap
    assert ("B0001", "B0005") not in found and ("B0003", "B0005") not in found
    # B0006 is a disbenefit, not a claim
    assert not any("B0006" in pair for pair in found)


def test_double_counting_different_errand_type_not_paired(con):
    # Move B0003 to another errand type: the flagged pair disappears.
    con.execute("UPDATE dim_benefits SET errand_type = 'Skolskjuts' WHERE benefit_id = 'B0003'")
    df = pf.double_counting(con)
    assert ("B0001", "B0003") not in set(zip(df.benefit_id_a, df.benefit_id_b))
    assert not df.above_baseline.any()


def test_double_counting_non_overlapping_periods(con):
    # Shift B0003's plan to start after B0001's last planned month (2021-12): no overlap.
    con.execute("UPDATE fact_benefit_plans SET month = month + INTERVAL 6 MONTH WHERE benefit_id = 'B0003'")
    df = pf.double_counting(con)
    assert ("B0001", "B0003") not in set(zip(df.benefit_id_a, df.benefit_id_b))


# ---- benefit calculation ---------------------------------------------------------------------
def test_project_calculation_npv_and_payback(con):
    # P0001: start 2020-01, end 2020-12 → go-live 2021-01 (month offset 12), horizon 5 years → years 1..5.
    # development = spend 1 200 000 in year 0 (finished: actual spend, not the 1 000 000 grant).
    # benefits: B0001 30 000/month operational + B0002 10 000/month citizen, planned for 2021 and
    # continued at the same level (steady state) → 360 000 + 120 000 a year; running cost 120 000 a year.
    # net: year 0 −1 200 000, years 1..5 +360 000.
    # NPV = −1 200 000 + 360 000 × (1/1.04 + … + 1/1.04^5) = −1 200 000 + 360 000 × 4.451822 = 402 656.0
    # payback: cumulative −1 200 000, −840 000, −480 000, −120 000, +240 000 → 3 + 120/360 = 3.33 years
    r = pf.project_calculation(con, "P0001")
    flows = r["flows"]
    assert list(flows.year) == [0, 1, 2, 3, 4, 5]
    assert flows.development_cost.tolist() == [1_200_000, 0, 0, 0, 0, 0]
    assert flows.budget_benefit.tolist() == [0] + [360_000] * 5
    assert flows.time_benefit.tolist() == [0] + [120_000] * 5
    assert flows.running_cost.tolist() == pytest.approx([0] + [120_000] * 5)
    assert r["npv"] == pytest.approx(402_656.04, abs=0.01)
    assert r["payback_years"] == pytest.approx(10 / 3)
    assert r["go_live"] == date(2021, 1, 1)
    assert r["totals"]["development_cost"] == 1_200_000
    assert r["rate"] == 0.04 and r["horizon_years"] == 5


def test_project_calculation_running_project_uses_grant_when_larger(con):
    # P0004 (running): spend 300 000 in 2024 < grant 500 000 → development 500 000 for 2024,
    # and 500 000 granted for 2025 with no spend yet → 500 000. Total 1 000 000.
    r = pf.project_calculation(con, "P0004")
    assert r["totals"]["development_cost"] == pytest.approx(1_000_000)
    assert r["flows"].development_cost.tolist()[:2] == pytest.approx([500_000, 500_000])


def test_project_calculation_unknown_project(con):
    with pytest.raises(KeyError):
        pf.project_calculation(con, "P9999")


def test_project_calculation_falls_back_to_grant_without_ledger_lines(con):
    # Same as P0001 above but the ledger has no lines for it (e.g. before the ledger starts):
    # development = grant 1 000 000 in year 0; net years 1..5 still +360 000.
    # NPV = −1 000 000 + 360 000 × 4.451822 = 602 656.04
    # payback: −1 000 000, −640 000, −280 000, +80 000 → 2 + 280/360 = 2.78 years
    con.execute("DELETE FROM fact_it_costs WHERE project_id = 'P0001'")
    r = pf.project_calculation(con, "P0001")
    assert r["flows"].development_cost.tolist() == pytest.approx([1_000_000, 0, 0, 0, 0, 0])
    assert r["npv"] == pytest.approx(602_656.04, abs=0.01)
    assert r["payback_years"] == pytest.approx(2 + 280 / 360)


def test_yearly_flows_edges():
    # spend booked two months before the start counts in year 0; spend in month 30 lands in year 2;
    # go-live month 12, horizon 1 year → benefits/running cost only in months 12..23 (year 1)
    f = pf.yearly_flows({-2: 100.0, 0: 50.0, 30: 10.0}, {12: 5.0, 24: 99.0}, {23: 7.0}, 120.0, 12, 1)
    assert f.development_cost.tolist() == [150.0, 0.0, 10.0]
    assert f.budget_benefit.tolist() == [0.0, 5.0, 0.0]          # month 24 is after the horizon
    assert f.time_benefit.tolist() == [0.0, 7.0, 0.0]
    assert f.running_cost.tolist() == [0.0, 120.0, 0.0]
    assert f.net.tolist() == [-150.0, -108.0, -10.0]
    # steady state: last 12 planned months average 10 → months 12..14 continue at 10
    assert pf.extend_plan({m: 10.0 for m in range(12)}, 15) == {**{m: 10.0 for m in range(12)}, 12: 10.0, 13: 10.0,
                                                                14: 10.0}
