"""For every measure, a drill-down's rows add up to the figure: on the fixture warehouse, the numerator,
denominator and n_obs columns of the records behind each value (query.drilldown: the declaration's rows,
filtered to the committees and months behind the value) sum to measure_values' numerator, denominator and
n_obs — for every committee, CITY and peer group, every grain and every period that has a value.

This holds for every declaration, Q2 included: the incidents model (issue 17) must keep it."""
from __future__ import annotations

import pytest
from pytest import approx

from metrics import query as q
from metrics.catalog import ROW_COLUMNS, load_measures

MEASURES = load_measures()


@pytest.fixture(scope="module")
def values(wh):
    # one value per (measure, entity, value period): other grains that show the same value drill into the same rows
    return wh.df("""
        SELECT measure_id, committee_code, any_value(grain ORDER BY grain) AS grain,
               any_value(period ORDER BY grain) AS period, value_period,
               any_value(numerator) AS numerator, any_value(denominator) AS denominator, any_value(n_obs) AS n_obs
        FROM measure_values WHERE value IS NOT NULL
        GROUP BY measure_id, committee_code, value_period
        ORDER BY ALL
    """)


@pytest.mark.parametrize("m", MEASURES, ids=lambda m: m.id)
def test_drilldown_rows_add_up_to_the_value(wh, values, m):
    mine = values[values.measure_id == m.id]
    assert len(mine) > 0, f"the fixture warehouse has no value for {m.id}: this test would prove nothing"
    entities = set(mine.committee_code)
    assert "CITY" in entities and any(e.startswith("PEER:") for e in entities)
    for row in mine.itertuples():
        rows = q.drilldown(wh, m.id, row.committee_code, row.grain, row.period)
        assert set(ROW_COLUMNS) <= set(rows.columns), f"{m.id}: the drill-down lacks {set(ROW_COLUMNS) - set(rows.columns)}"
        where = f"{m.id} {row.committee_code} {row.grain} {row.period} (value period {row.value_period})"
        assert rows["numerator"].sum() == approx(row.numerator, rel=1e-9, abs=1e-6), where
        assert rows["denominator"].sum() == approx(row.denominator, rel=1e-9, abs=1e-6), where
        assert rows["n_obs"].sum() == approx(row.n_obs, rel=1e-9, abs=1e-6), where


def test_a_value_s_drilldown_names_only_its_committees(wh):
    """The rows behind one committee's value are that committee's; CITY's are every committee's."""
    aaa = q.drilldown(wh, "E1", "AAA", "month", "2025-03")
    assert set(aaa.committee_code) == {"AAA"} and aaa["denominator"].sum() == 100
    city = q.drilldown(wh, "E1", "CITY", "month", "2025-03")
    assert set(city.committee_code) >= {"AAA", "BBB"} and city["denominator"].sum() == 400
