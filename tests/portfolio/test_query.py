"""Query layer for the council pages (metrics/portfolio_query.py) on the fixture warehouse."""
from __future__ import annotations

import math

import pytest

from metrics import portfolio_query as pq


def test_portfolio_years_frame_granted_spent(con):
    df = pq.portfolio_years(con).set_index(["year", "portfolio_id"])
    row = df.loc[(2020, 1)]
    # P0001: frame 2 000 000, grant 1 000 000 (50 %), spend 600 000 + 600 000 = 1 200 000 (120 % of grant)
    assert (row.frame_sek, row.granted_sek, row.spent_sek) == (2_000_000, 1_000_000, 1_200_000)
    assert row.granted_pct == pytest.approx(50.0) and row.spent_pct == pytest.approx(120.0)
    assert not df.over_frame.any()
    # 2025 portfolio 3: P0004's grant 500 000, nothing spent yet (the ledger covers 2025) → 0, not unknown
    assert df.loc[(2025, 3)].spent_sek == 0


def test_spend_unknown_before_the_ledger_starts(con):
    # a frame and a grant for 2019, before the first ledger month (2020-03): spend is unknown (NaN), not 0
    con.execute("INSERT INTO fact_portfolio_frames VALUES (2019, 4, 900000, 1, 1)")
    con.execute("INSERT INTO dim_projects VALUES ('P0005', 'E-arkiv', 4, 'differentiating', 'UTBN', 'Arkivchef', "
                "'finished', '2019-01-01', '2019-10-31', 10000, 'KF3', NULL, NULL, 1, 1)")
    con.execute("INSERT INTO fact_project_grants VALUES ('P0005', 2019, 800000, 1, 1)")
    df = pq.portfolio_years(con).set_index(["year", "portfolio_id"])
    assert math.isnan(df.loc[(2019, 4)].spent_sek) and df.loc[(2019, 4)].granted_sek == 800_000
    p = pq.projects(con).set_index("project_id")
    assert math.isnan(p.loc["P0005", "spent_sek"]) and not p.loc["P0005", "over_budget"]
    cost = pq.project_cost(con, "P0005")
    assert list(cost.year) == [2019] and math.isnan(cost.spent_sek.iloc[0])
    # and the benefit calculation falls back to the grant as development cost
    assert pq.project_calculation(con, "P0005")["totals"]["development_cost"] == pytest.approx(800_000)


def test_balance_one_year(con):
    # 2021: portfolio 2 granted 400 000 and portfolio 5 300 000 → shares 57,1 % and 42,9 %
    b = pq.portfolio_balance(con, 2021).set_index("portfolio_id")
    assert b.loc[2, "granted_share"] == pytest.approx(100 * 4 / 7)
    assert b.loc[5, "granted_share"] == pytest.approx(100 * 3 / 7)
    assert b.loc[1, "granted_sek"] == 0 and b.loc[1, "n_projects"] == 0
    assert b.loc[2, "n_projects"] == 1


def test_projects_and_cost(con):
    p = pq.projects(con).set_index("project_id")
    assert p.loc["P0001", "over_budget"] and p.loc["P0001", "spent_pct"] == pytest.approx(120.0)
    assert p.loc["P0002", "granted_sek"] == 800_000 and p.loc["P0002", "spent_sek"] == 700_000
    assert p.loc["P0002", "n_benefits"] == 4
    assert list(pq.projects(con, portfolio_id=5).project_id) == ["P0003"]
    assert list(pq.projects(con, status="running").project_id) == ["P0004"]
    cost = pq.project_cost(con, "P0002")
    assert cost.to_dict("list") == {"year": [2020, 2021], "granted_sek": [400_000, 400_000],
                                    "spent_sek": [300_000, 400_000], "over_grant": [False, False]}


def test_benefit_curves_and_as_of(con):
    c = pq.benefit_curves(con, "P0002")
    # P0002's plans run 2021-07..2022-06; monthly plan 2021-07: B0003 25 000 + B0004 5 000 − 2 000 + B0008 5 000
    assert c.month.iloc[0].strftime("%Y-%m") == "2021-07" and c.month.iloc[-1].strftime("%Y-%m") == "2022-06"
    assert c.planned_sek.iloc[0] == 33_000
    # realised 2021-07: B0004 6 000 − B0006 2 000 = 4 000; cumulative to 2021-12: 6×6 000 − 3×2 000 = 30 000
    assert c.realised_sek.iloc[0] == 4_000 and c.cum_realised_sek.iloc[5] == 30_000
    assert pq.default_as_of(con) == "2021-12"
    assert pq.as_of_months(con)[-1] == "2021-01" and len(pq.as_of_months(con)) == 12
    assert pq.committee_realisation(con, "UTBN", "2021") == pytest.approx(100 * 180 / 678)
    assert pq.committee_realisation(con, "SON", "2021") is None
