"""Issue 16: the month sums (measure_month_sums) and the indicators of an incremental build are recomputed only
for the months a delivery can change, where the declarations say which month column the rows are counted by
(`month_columns` on a measure or indicator, `month_local`/`tested_per_month` on the models it reads); else the
whole history, as before. The marts equal a full rebuild either way (tests/metrics/test_incremental.py's
helpers: the metrics fixture warehouse of conftest.py, deliveries through the real load path).

Fixture ledger (conftest.py): 2025-01 AAA 40 000 (SYS0001), 2025-02 AAA 30 000 + 30 000, BBB, CCC lines in
2025-01; operating cost AAA 2025-02 1 000 000 … Horizon 2024-06 … 2026-04."""
from __future__ import annotations

import datetime as dt

import pytest

from metrics.build import build_marts, pending_changes
from metrics.catalog import DeclarationError, load_measures, months_sql, parse_measure
from metrics.models import ModelDecl
from test_incremental import SYSTEMS, assert_same_as_full, cost_row, deliver, inc  # noqa: F401 (inc: fixture)

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
    assert result["month_sums"] == {"E1": ["2026-05"], "I3": ["2026-05"]}
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
    import yaml
    from metrics.catalog import DEFINITION_DIR
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
