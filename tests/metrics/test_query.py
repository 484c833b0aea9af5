"""The query layer (docs/query_api.md) on the fixture warehouse."""
from __future__ import annotations

import shutil

import duckdb
import pytest

from metrics import query as q
from etl_helpers import republish
from metrics.warehouse import Warehouse, get_warehouse

approx = lambda x: pytest.approx(x, rel=1e-9, abs=1e-9)  # noqa: E731


def test_committees_catalog_and_perspectives(wh):
    assert q.committees(wh)["committee_code"].tolist() == ["AAA", "BBB", "CCC", "DDD"]
    catalog = q.measure_catalog(wh)
    assert catalog["measure_id"].tolist()[:3] == ["E1", "E2", "E3"] and len(catalog) == 15
    c1 = catalog.set_index("measure_id").loc["C1"]
    assert (c1["direction"], c1["band_low"], c1["band_high"]) == ("band", 3, 5)
    assert [p["code"] for p in q.perspectives()] == ["external", "internal", "maturity", "cost", "quality"]


def test_periods_and_latest_complete(wh):
    # monthly data runs to 2026-04, so 2026-T1 (Jan–Apr) is the latest complete tertial
    assert q.periods(wh, "tertial")[0] == "2026-T1"
    assert q.latest_complete_period(wh, "tertial") == "2026-T1"
    assert q.latest_complete_period(wh, "year") == "2025"
    assert q.latest_complete_period(wh, "quarter") == "2026-Q1"
    assert q.periods(wh, "month")[0] == "2026-04"


def test_scorecard_has_every_measure_in_order(wh):
    card = q.scorecard(wh, "AAA", "quarter", "2025-Q1")
    assert card["measure_id"].tolist() == ["E1", "E2", "E3", "I1", "I2", "I3", "M1", "M2", "M3",
                                           "C1", "C2", "C3", "Q1", "Q2", "Q3"]
    assert list(card.columns[:21]) == q.SCORECARD_COLUMNS[:21]
    row = card.set_index("measure_id").loc["E1"]
    # city 2025-Q1: (70 + 30 + 120) ÷ (100 + 300 + 300); district councils: (70 + 30) ÷ (100 + 300)
    assert row["value"] == approx(70.0) and row["city_value"] == approx(100 * 220 / 700)
    assert row["peer_value"] == approx(25.0) and row["peer_median"] == approx(40.0)
    assert card.set_index("measure_id").loc["M2", "status"] == "grey"
    # a period without any data still yields 15 grey rows
    empty = q.scorecard(wh, "AAA", "month", "2019-01")
    assert len(empty) == 15 and set(empty["status"]) == {"grey"}


def test_perspectives_overall_overview(wh):
    ps = q.perspective_scores(wh, "AAA", "quarter", "2025-Q1").set_index("perspective")
    assert ps.loc["cost", "score"] == approx(100.0) and ps.loc["quality", "red_flag"]
    assert q.overall(wh, "AAA", "quarter", "2025-Q1") == {"score": approx(85.0), "status": "yellow", "n_perspectives": 5}
    assert q.overall(wh, "BBB", "quarter", "2025-Q1")["score"] is None
    overview = q.city_overview(wh, "quarter", "2025-Q1").set_index("committee_code")
    assert overview.loc["AAA", "overall_score"] == approx(85.0)
    assert overview.loc["AAA", "status_external"] == "green" and overview.loc["AAA", "red_flag_internal"]
    assert overview.loc["AAA", "n_red_measures"] == 2  # I1 and Q2
    peers = q.city_overview(wh, "quarter", "2025-Q1", peer_group="specialist_committees")
    assert peers["committee_code"].tolist() == ["CCC", "DDD"]


def test_trend_series_ranking(wh):
    trend = q.trend(wh, "CCC", "E1", "quarter", 3)
    assert trend["period"].tolist()[-1] == "2026-Q2" and len(trend) == 3
    every = q.trends(wh, "CCC", "quarter", 3)
    assert len(every) == 45 and every[every.measure_id == "E1"]["period"].tolist() == trend["period"].tolist()
    series = q.measure_series(wh, "E1", "quarter", "2024-Q4", "2025-Q1", ["CCC", "CITY"])
    ccc = series[series.committee_code == "CCC"].set_index("period")["value"]
    assert ccc.loc["2024-Q4"] == approx(15.0) and ccc.loc["2025-Q1"] == approx(40.0)
    # CITY 2025-Q1: AAA 70/100, BBB 30/300, CCC 120/300 → 220 ÷ 700
    assert series[(series.committee_code == "CITY") & (series.period == "2025-Q1")]["value"].iloc[0] == approx(100 * 220 / 700)
    ranking = q.measure_ranking(wh, "E1", "quarter", "2025-Q1")
    assert ranking["committee_code"].tolist() == ["AAA", "CCC", "BBB", "DDD"]  # 70 %, 40 %, 10 %, none
    lower = q.measure_ranking(wh, "C2", "month", "2025-01")
    assert lower["committee_code"].tolist()[:2] == ["AAA", "BBB"]  # 12 × 40k/15 = 32 000 before 44 000


def test_movers(wh):
    movers = q.movers(wh, "quarter", "2025-Q1")
    # CCC E1: 2024-Q4 15 % (score 0) → 2025-Q1 40 % (score 0): no change, not listed
    assert not ((movers.committee_code == "CCC") & (movers.measure_id == "E1")).any()
    assert {"previous_score", "score", "change"} <= set(movers.columns)


def test_drilldown_records_behind_values(wh):
    incidents = q.drilldown(wh, "Q2", "AAA", "month", "2025-03")
    assert len(incidents) == 25 and incidents["resolved_in_time"].sum() == 20
    assert "INC1200" in set(incidents["number"])   # location wins over assignment group
    ledger = q.drilldown(wh, "C1", "AAA", "month", "2025-02")  # year to date: Jan and Feb
    assert ledger[ledger.ledger == "it_cost"]["amount_sek"].sum() == approx(100_000)
    assert ledger[ledger.ledger == "operating_cost"]["amount_sek"].sum() == approx(2_000_000)
    answers = q.drilldown(wh, "E2", "AAA", "quarter", "2025-Q1")
    assert len(answers) == 40 and answers["counts_as_satisfied"].sum() == 30
    outages = q.drilldown(wh, "Q1", "AAA", "month", "2025-03")
    # the outage rows (beside each system-month's agreed-time row): planned O2 left out
    assert sorted(outages["outage_id"].dropna()) == ["O1", "O3"]
    # a carried-forward value drills into its own period (I2 2024 shown in 2025-T1)
    survey = q.drilldown(wh, "I2", "AAA", "tertial", "2025-T1")
    assert len(survey) == 50
    city = q.drilldown(wh, "E1", "CITY", "month", "2025-03")
    assert city["completed"].sum() == 400


def test_indicators_query(wh):
    ind = q.indicators(wh, "AAA", "month", "2025-03").set_index("indicator_id")
    assert ind.loc["MTTR", "value"] == approx(14.0)
    assert ind.loc["TRANSACTIONS_PHONE", "value"] == approx(20.0)
    assert {"name_sv", "name_en", "unit"} <= set(ind.columns)


def test_warehouse_reattaches_replaced_file(fixture_path, tmp_path, monkeypatch):
    path = tmp_path / "w.duckdb"
    shutil.copy(fixture_path, path)
    monkeypatch.setenv("SCORECARD_WAREHOUSE", str(path))
    wh = get_warehouse()
    before = wh.version()
    assert wh.df("SELECT count(*) AS n FROM dim_committees")["n"].iloc[0] == 4
    republish(path, "DELETE FROM dim_committees WHERE committee_code = 'DDD'")
    wh = get_warehouse()
    assert wh.version() != before
    assert wh.df("SELECT count(*) AS n FROM dim_committees")["n"].iloc[0] == 3
    assert not wh.refresh()


def test_missing_warehouse(tmp_path):
    wh = Warehouse(tmp_path / "none.duckdb")
    assert wh.version() == "" and not wh.available and wh.meta() == {}


def test_cli_rebuilds_marts_in_place(fixture_path, tmp_path, capsys):
    from metrics.__main__ import main

    path = tmp_path / "w.duckdb"
    shutil.copy(fixture_path, path)
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE measure_values")
    con.execute("INSERT INTO warehouse_meta VALUES ('version', '7'), ('published_at', '2026-05-02T10:00:00Z')")
    con.close()
    assert main(["build", "--warehouse", str(path)]) == 0
    assert "marts built" in capsys.readouterr().out
    wh = Warehouse(path)
    assert wh.meta() == {"version": "7", "published_at": "2026-05-02T10:00:00Z"}
    assert q.scorecard(wh, "AAA", "month", "2025-03").set_index("measure_id").loc["E1", "value"] == approx(70.0)
