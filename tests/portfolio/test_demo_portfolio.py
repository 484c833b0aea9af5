"""The portfolio demo data (etl/demo/portfolio.py): contract columns, determinism, and the situations the
council pages must show (over budget, unrealised/late benefits, double counting, stopped pilots, disbenefits)."""
from __future__ import annotations

import re

import duckdb
import numpy as np
import pandas as pd
import pytest

from etl.contracts import load_contracts
from etl.demo.portfolio import build_portfolio
from etl.schema import create_all
from metrics import portfolio as pf

COMMITTEES = pd.DataFrame({
    "committee_code": ["BROMMA", "FARSTA", "UTBN", "SOCN", "KS", "TRN"],
    "name_sv": ["Bromma", "Farsta", "Utbildningsnämnden", "Socialnämnden", "Kommunstyrelsen", "Trafiknämnden"],
    "kind": ["district_council"] * 2 + ["specialist_committee"] * 4,
    "peer_group": ["district_councils"] * 2 + ["specialist_committees"] * 4,
})
ESERVICES = pd.DataFrame({
    "eservice_id": [f"ES{i:03d}" for i in range(1, 9)],
    "owner_committee": ["UTBN", "UTBN", "SOCN", "TRN", "TRN", "BROMMA", "FARSTA", "KS"],
    "errand_type": ["förskoleplats", "skolval", "ekonomiskt bistånd", "parkeringstillstånd", "felanmälan",
                    "hemtjänst", "hemtjänst", "synpunkter"],
})
SOURCES = ["portfolio_frames", "projects", "project_grants", "benefits", "benefit_plans", "benefit_realisations"]


@pytest.fixture(scope="module")
def demo():
    return build_portfolio(np.random.default_rng(7), COMMITTEES, ESERVICES, "2026-10")


def test_columns_exactly_as_contracts(demo):
    contracts = load_contracts()
    for source in SOURCES:
        assert list(demo[source].columns) == contracts[source].column_names, source
    assert list(demo["project_spend"].columns) == ["project_id", "month", "committee_code", "amount_sek",
                                                   "cost_class", "supplier_type"]


def test_values_follow_contract_rules(demo):
    contracts = load_contracts()
    for source in SOURCES:
        c = contracts[source]
        df = demo[source]
        for col in c.columns:
            if col.required:
                assert df[col.name].notna().all(), f"{source}.{col.name}"
            if col.allowed:
                assert set(df[col.name].astype(str)) <= set(col.allowed), f"{source}.{col.name}"
            if col.pattern:
                assert all(re.fullmatch(col.pattern, str(v)) for v in df[col.name]), f"{source}.{col.name}"
        assert not df.duplicated(list(c.key)).any(), source
    assert set(demo["benefits"].owner_committee) <= set(COMMITTEES.committee_code)


def test_deterministic(demo):
    again = build_portfolio(np.random.default_rng(7), COMMITTEES, ESERVICES, "2026-10")
    for k in demo:
        pd.testing.assert_frame_equal(demo[k], again[k])
    other = build_portfolio(np.random.default_rng(8), COMMITTEES, ESERVICES, "2026-10")
    assert not other["projects"].equals(demo["projects"])


def test_grants_within_frames_and_volumes(demo):
    g = demo["project_grants"].merge(demo["projects"][["project_id", "portfolio_id"]])
    g = g.groupby(["year", "portfolio_id"], as_index=False).granted_sek.sum().merge(demo["portfolio_frames"])
    assert (g.granted_sek <= g.frame_sek).all()
    assert 70 <= len(demo["projects"]) <= 90
    assert set(demo["projects"].portfolio_id) == {1, 2, 3, 4, 5}
    assert {"applied", "granted", "running", "finished", "stopped"} <= set(demo["projects"].status)
    assert sum(len(v) for v in demo.values()) < 15_000
    # errand types come from the e-services
    assert set(demo["benefits"].errand_type) <= set(ESERVICES.errand_type)


def test_situations_the_council_must_see(demo):
    p = demo["projects"]
    pilots = p[(p.tier == "innovative") & (p.status == "stopped")]
    assert len(pilots) >= 2 and (pilots.portfolio_id == 5).all()
    assert pilots.learning_goals.notna().all() and pilots.exit_plan.notna().all()
    assert p[p.tier == "innovative"].portfolio_id.eq(5).all()
    spend = demo["project_spend"].groupby("project_id").amount_sek.sum()
    granted = demo["project_grants"].groupby("project_id").granted_sek.sum()
    assert (spend > granted.reindex(spend.index)).sum() >= 3                      # over budget
    assert demo["benefits"].disbenefit.sum() >= 2
    # unrealised: benefits with plans due by the end month and no realisation at all
    due = set(demo["benefit_plans"][demo["benefit_plans"].month <= "2026-10"].benefit_id)
    assert len(due - set(demo["benefit_realisations"].benefit_id)) >= 2
    assert (demo["benefit_realisations"].reported_by.isin(
        ["Nyttoägare", "Verksamhetsutvecklare", "Controller", "Systemförvaltare", "Projektledare"])).all()


def test_double_counting_pairs_are_found_and_flagged(demo):
    con = duckdb.connect()
    create_all(con)
    for source, table in [("projects", "dim_projects"), ("benefits", "dim_benefits"),
                          ("benefit_plans", "fact_benefit_plans")]:
        df = demo[source].copy()
        if "month" in df:
            df["month"] = pd.to_datetime(df["month"] + "-01").dt.date
        for col in ("start_date", "end_date"):
            if col in df:
                df[col] = pd.to_datetime(df[col]).dt.date
        con.register("src", df)
        con.execute(f"INSERT INTO {table} SELECT *, 1, 1 FROM src")
        con.unregister("src")
    pairs = pf.double_counting(con)
    flagged = pairs[pairs.above_baseline]
    assert len(flagged) >= 2
    assert (flagged.project_id_a != flagged.project_id_b).all()
    assert len(pairs) > len(flagged)                  # and overlapping claims within the baseline too
