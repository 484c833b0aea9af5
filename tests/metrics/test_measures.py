"""Each of the 15 measures on the hand-made fixture (tests/metrics/conftest.py); arithmetic in comments."""
from __future__ import annotations

import pandas as pd
import pytest

approx = lambda x: pytest.approx(x, rel=1e-9, abs=1e-9)  # noqa: E731


def test_e1_digital_take_up(value):
    # AAA 2025-03: digital 70 ÷ (70 + 20 + 10) = 70 % → at target 70 → green, score 100
    row = value("E1", "AAA", "month", "2025-03")
    assert row["value"] == approx(70.0)
    assert (row["numerator"], row["denominator"]) == (70, 100)
    assert row["status"] == "green" and row["score"] == approx(100.0)


def test_e2_eservice_satisfaction_and_insufficient_data(value):
    # AAA 2025-Q1: 30 answers of 5, 10 of 2 → 30 ÷ 40 = 75 % (T 80, R 70) → yellow, 50 + 50 × 5/10 = 75
    row = value("E2", "AAA", "quarter", "2025-Q1")
    assert row["value"] == approx(75.0) and row["n_obs"] == 40
    assert row["status"] == "yellow" and row["score"] == approx(75.0)
    # BBB: only 20 answers (< 30) → insufficient data: grey, no score
    row = value("E2", "BBB", "quarter", "2025-Q1")
    assert row["n_obs"] == 20 and row["insufficient_data"]
    assert row["status"] == "grey" and pd.isna(row["score"])


def test_e3_eservice_maturity_weighted_by_volume(value):
    # 2024: ES001 7/7 items → 100, volume 300; ES003 4/7 → 57.142857…, volume 100
    # (100 × 300 + 400/7 × 100) ÷ 400 = (30000 + 5714.2857…) ÷ 400 = 89.2857142857…
    row = value("E3", "AAA", "year", "2024")
    assert row["value"] == approx((100 * 300 + 400 / 7 * 100) / 400)
    assert row["n_obs"] == 2 and row["status"] == "green"


def test_i1_benefit_realisation_cumulative_and_capped(value):
    # B0001 (AAA): planned 100k due 2025-01, 100k 2025-06, 200k 2025-10; realised 50k 2025-03, 100k 2025-07
    # 2025-T1 (to April): 50k ÷ 100k = 50 %; T2 (to August): 150k ÷ 200k = 75 %; T3: 150k ÷ 400k = 37.5 %
    assert value("I1", "AAA", "tertial", "2025-T1")["value"] == approx(50.0)
    t2 = value("I1", "AAA", "tertial", "2025-T2")
    assert t2["value"] == approx(75.0) and t2["status"] == "yellow"
    assert t2["score"] == approx(50 + 50 * (75 - 60) / (80 - 60))  # 87.5
    assert value("I1", "AAA", "tertial", "2025-T3")["value"] == approx(37.5)
    # B0002 (BBB): realised 150k against 100k planned → 150 % capped at 100
    assert value("I1", "BBB", "tertial", "2025-T1")["value"] == approx(100.0)


def test_i2_perceived_business_value(value):
    # AAA staff survey Oct 2024: 40 answers of 4, 10 of 3 → 40 ÷ 50 = 80 % (T 75) → green
    row = value("I2", "AAA", "year", "2024")
    assert row["value"] == approx(80.0) and row["n_obs"] == 50 and row["status"] == "green"


def test_i3_straight_through(value):
    # AAA 2025-03: 42 straight-through ÷ 70 digital = 60 % (T 60) → green
    row = value("I3", "AAA", "month", "2025-03")
    assert row["value"] == approx(60.0) and row["status"] == "green"


def test_m1_system_adoption_key_systems_only(value):
    # key systems SYS0001 90/100 and SYS0002 240/300 (SYS0003 not key): 330 ÷ 400 = 82.5 %
    # T 90, R 75 → yellow, 50 + 50 × 7.5/15 = 75
    row = value("M1", "AAA", "month", "2025-03")
    assert row["value"] == approx(82.5) and row["score"] == approx(75.0) and row["status"] == "yellow"


def test_m2_digital_competence(value):
    # 40 respondents: 30 with mean 3.0 (count), 10 with mean (2+2+3+3+4)/5 = 2.8 (do not) → 30 ÷ 40 = 75 %
    row = value("M2", "AAA", "year", "2025")
    assert row["value"] == approx(75.0) and row["n_obs"] == 40 and row["status"] == "green"


def test_m3_licence_utilisation_with_target_override(value):
    # (85 + 80) ÷ (100 + 100) = 82.5 %; default T 90 R 80, but AAA 2025 override T 85 R 80
    # → yellow, 50 + 50 × 2.5/5 = 75 and target_overridden
    row = value("M3", "AAA", "month", "2025-03")
    assert row["value"] == approx(82.5)
    assert (row["target"], row["red_threshold"]) == (85, 80) and row["target_overridden"]
    assert row["score"] == approx(75.0) and row["status"] == "yellow"


def test_c1_it_share_band(value):
    # AAA year to date Feb 2025: (40k + 30k + 30k) ÷ (1M + 1M) = 5 % → inside band 3–5 → green 100
    row = value("C1", "AAA", "month", "2025-02")
    assert row["value"] == approx(5.0) and row["status"] == "green" and row["score"] == approx(100.0)
    # January alone (year to date = January): 40k ÷ 1M = 4 %
    assert value("C1", "AAA", "month", "2025-01")["value"] == approx(4.0)
    # BBB 110k ÷ 2M = 5.5 % → 0.5 points outside → yellow, 100 − 50 × 0.5 = 75
    row = value("C1", "BBB", "month", "2025-01")
    assert row["value"] == approx(5.5) and row["status"] == "yellow" and row["score"] == approx(75.0)
    # CCC 70k ÷ 1M = 7 % → 2 points outside → red, score 0
    row = value("C1", "CCC", "month", "2025-01")
    assert row["value"] == approx(7.0) and row["status"] == "red" and row["score"] == approx(0.0)


def test_c2_cost_per_user_annualised(value):
    # AAA year to date Feb: 12 × 100k ÷ (15 + 15) = 40 000 (lower is better, T 40 000) → green
    row = value("C2", "AAA", "month", "2025-02")
    assert row["value"] == approx(40_000.0) and row["status"] == "green"
    # BBB Jan: 12 × 110k ÷ 30 = 44 000 → yellow, 50 + 50 × (44000 − 48000)/(40000 − 48000) = 75
    row = value("C2", "BBB", "month", "2025-01")
    assert row["value"] == approx(44_000.0) and row["score"] == approx(75.0) and row["status"] == "yellow"


def test_c3_renewal_share(value):
    # AAA 2025: grow 30k ÷ 100k = 30 % (T 30) → green; CCC 70k transform ÷ 70k = 100 %
    assert value("C3", "AAA", "year", "2025")["value"] == approx(30.0)
    assert value("C3", "CCC", "year", "2025")["value"] == approx(100.0)


def test_q1_availability_user_weighted(value):
    # March 2025 (31 days). SYS0004: 168 h/w → 168 × 60 × 31/7 = 44 640 min, 100 users, 120 min down.
    # SYS0005: 40 h/w → 40 × 60 × 31/7 = 10 628.571… min, 300 users, 60 min unplanned (5 h planned not counted).
    agreed4, agreed5 = 168 * 60 * 31 / 7, 40 * 60 * 31 / 7
    expected = 100 * (100 * (agreed4 - 120) + 300 * (agreed5 - 60)) / (100 * agreed4 + 300 * agreed5)  # 99.6080
    row = value("Q1", "AAA", "month", "2025-03")
    assert row["value"] == pytest.approx(expected, rel=1e-9)
    assert row["status"] == "green"


def test_q2_incidents_in_time_and_insufficient(value):
    # AAA March: 20 resolved in 10 h + 5 in 30 h (priority Moderate, 24 h); INC1200 has location Loc A and
    # group Grp B → AAA (location wins); INC1300 resolved in April → not in March. 20 ÷ 25 = 80 % → red, score 50
    row = value("Q2", "AAA", "month", "2025-03")
    assert row["value"] == approx(80.0) and row["n_obs"] == 25
    assert row["status"] == "red" and row["score"] == approx(50.0)
    assert value("Q2", "AAA", "month", "2025-04")["n_obs"] == 1
    # BBB: 10 incidents resolved (< 20) → insufficient data, grey
    row = value("Q2", "BBB", "month", "2025-03")
    assert row["n_obs"] == 10 and row["insufficient_data"] and row["status"] == "grey"


def test_q3_it_support_satisfaction(value):
    # AAA 2025-Q1: 27 of 30 answers are 4–5 → 90 % (T 80) → green
    row = value("Q3", "AAA", "quarter", "2025-Q1")
    assert row["value"] == approx(90.0) and row["n_obs"] == 30 and row["status"] == "green"
