"""The declared models' own rules, on hand-computed fixtures: availability rows that add up (an outage counts
at most the agreed time its system-month has left), cost origin, the committee an answer counts for."""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from pytest import approx

from etl.schema import create_all
from metrics.build import build_marts
from tests.metrics.conftest import COMMITTEES, insert


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.fixture
def con():
    c = duckdb.connect()
    create_all(c)
    insert(c, "dim_committees", COMMITTEES)
    yield c
    c.close()


def test_an_outage_counts_at_most_the_agreed_time_left(con):
    # March 2025 has 31 days. S1: 168 h/week → 168 × 60 × 31 / 7 = 44 640 agreed minutes, 100 users;
    # S2: 40 h/week → 10 628,57 minutes, 50 users, no outage.
    insert(con, "dim_systems", [
        dict(system_id="S1", name="Ett", owner_committee="AAA", tier="basic", critical=True, key_system=False,
             agreed_hours_per_week=168, intended_users=100),
        dict(system_id="S2", name="Två", owner_committee="AAA", tier="basic", critical=True, key_system=False,
             agreed_hours_per_week=40, intended_users=50),
    ])
    # S1: 30 000 + 20 000 unplanned minutes (more than the month's 44 640) and a planned one that never counts
    insert(con, "fact_outages", [
        dict(outage_id="A", system_id="S1", started_at=ts("2025-03-02 00:00"), ended_at=ts("2025-03-02 00:00") + dt.timedelta(minutes=30_000), planned=False),
        dict(outage_id="B", system_id="S1", started_at=ts("2025-03-25 00:00"), ended_at=ts("2025-03-25 00:00") + dt.timedelta(minutes=20_000), planned=False),
        dict(outage_id="P", system_id="S1", started_at=ts("2025-03-10 00:00"), ended_at=ts("2025-03-10 08:00"), planned=True),
    ])
    build_marts(con)
    rows = dict(con.execute("SELECT outage_id, counted_down_minutes FROM int_availability WHERE row_kind = 'outage'").fetchall())
    assert rows == {"A": approx(30_000), "B": approx(44_640 - 30_000)}
    s2 = 40 * 60 * 31 / 7
    value = con.execute("SELECT value, numerator, denominator FROM measure_values WHERE measure_id = 'Q1' "
                        "AND committee_code = 'AAA' AND grain = 'month' AND period = '2025-03'").fetchone()
    assert value[0] == approx(100 * 50 * s2 / (100 * 44_640 + 50 * s2))   # S1 0 % available, S2 100 %
    assert value[1] == approx(50 * s2) and value[2] == approx(100 * 44_640 + 50 * s2)


def test_cost_origin_and_renewal(con):
    insert(con, "fact_it_costs", [
        dict(line_id="1", month=dt.date(2025, 1, 1), committee_code="AAA", account="6541", amount_sek=100.0,
             supplier_type="internal", cost_class="run"),
        dict(line_id="2", month=dt.date(2025, 1, 1), committee_code="AAA", account="6541", amount_sek=50.0,
             supplier_type="internal", cost_class="grow", project_id=None),
        dict(line_id="3", month=dt.date(2025, 1, 1), committee_code="AAA", account="6550", amount_sek=70.0,
             supplier_type="external", cost_class="transform"),
    ])
    build_marts(con)
    got = con.execute("SELECT line_id, cost_origin, is_renewal, system_tier FROM int_it_costs ORDER BY line_id").fetchall()
    assert got == [("1", "distributed", False, "unallocated"), ("2", "distributed", True, "unallocated"),
                   ("3", "direct", True, "unallocated")]
    c3 = con.execute("SELECT numerator, denominator FROM measure_values WHERE measure_id = 'C3' AND committee_code = 'AAA' "
                     "AND grain = 'year' AND period = '2025'").fetchone()  # C3 is a yearly measure
    assert c3 == (approx(120.0), approx(220.0))


def test_a_failing_model_data_test_stops_the_build(con):
    """Two ledger lines with the same id (e.g. delivered in two months) break int_it_costs' unique test."""
    from metrics.models import ModelTestError

    insert(con, "fact_it_costs", [
        dict(line_id="X", month=dt.date(2025, m, 1), committee_code="AAA", account="5460", amount_sek=1.0,
             supplier_type="external", cost_class="run") for m in (1, 2)])
    with pytest.raises(ModelTestError, match=r"int_it_costs: line_id: unique — 2 row"):
        build_marts(con)
