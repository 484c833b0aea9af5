"""Measure I1 (benefit realisation rate) of the scorecard equals the council's realisation rate for the
committee's benefits (metrics/portfolio.py), on the fixture warehouse with the marts built."""
from __future__ import annotations

import duckdb
import pytest

from metrics import portfolio_query as pq
from metrics.build import build_marts


@pytest.fixture
def built(warehouse_file):
    con = duckdb.connect(str(warehouse_file))
    try:
        build_marts(con)
    finally:
        con.close()
    from metrics.warehouse import Warehouse

    wh = Warehouse(warehouse_file)
    yield wh
    wh.close()


@pytest.mark.parametrize("grain, period, expected", [
    # by 2021-08: planned 240 000 + 80 000 + 50 000 + 10 000 − 4 000 + 10 000 = 386 000;
    # realised 120 000 + 30 000 + 12 000 − 4 000 = 158 000 → 40,93 %
    ("tertial", "2021-T2", 100 * 158_000 / 386_000),
    # by 2021-12: 180 000 ÷ 678 000 = 26,55 % (see test_rules.test_realisation_by_committee_end_2021)
    ("tertial", "2021-T3", 100 * 180_000 / 678_000),
    ("year", "2021", 100 * 180_000 / 678_000),
])
def test_i1_equals_council_realisation_rate(built, grain, period, expected):
    ours = pq.committee_realisation(built, "UTBN", period)
    assert ours == pytest.approx(expected)
    i1 = built.df("SELECT value, numerator, denominator FROM measure_values WHERE measure_id = 'I1' "
                  "AND committee_code = 'UTBN' AND grain = ? AND period = ?", [grain, period])
    assert len(i1) == 1
    assert i1.value.iloc[0] == pytest.approx(ours)
    # and what the committee's scorecard shows
    from metrics import query

    card = query.scorecard(built, "UTBN", grain, period).set_index("measure_id")
    assert card.loc["I1", "value"] == pytest.approx(ours)
