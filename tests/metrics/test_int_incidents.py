"""The declared model int_incidents: business hours counted as a person would count them, for all inputs."""
import datetime as dt

import duckdb
import pytest
from hypothesis import given, settings, strategies as st

from etl.schema import create_all
from metrics.models import build_models, test_models

START = dt.datetime(2024, 1, 1)   # a Monday


def business_hours(opened: dt.datetime, resolved: dt.datetime, start: int, end: int) -> float:
    """By hand: for every day, the overlap of [opened, resolved] with start..end on Monday-Friday."""
    total, day = 0.0, opened.date()
    while day <= resolved.date():
        if day.weekday() < 5:
            lo = max(opened, dt.datetime.combine(day, dt.time()) + dt.timedelta(hours=start))
            hi = min(resolved, dt.datetime.combine(day, dt.time()) + dt.timedelta(hours=end))
            total += max((hi - lo).total_seconds(), 0) / 3600
        day += dt.timedelta(days=1)
    return total


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    create_all(c)
    yield c
    c.close()


@settings(max_examples=60, deadline=None)
@given(opened_min=st.integers(0, 60 * 24 * 60), length_min=st.integers(0, 60 * 24 * 40),
       start=st.integers(0, 12), span=st.integers(1, 12))
def test_business_hours_match_a_count_by_hand(con, opened_min, length_min, start, span):
    end = min(start + span, 24)
    opened = START + dt.timedelta(minutes=opened_min)
    resolved = opened + dt.timedelta(minutes=length_min)
    con.execute("DELETE FROM fact_incidents")
    con.execute("DELETE FROM dim_incident_sla")
    con.execute("INSERT INTO dim_incident_sla (priority, resolve_hours, calendar, business_day_start, "
                "business_day_end, valid_from) VALUES ('2 - High', 8, 'business_hours', ?, ?, DATE '2013-01-01')",
                [start, end])
    con.execute("INSERT INTO fact_incidents (source_system, number, incident_state, sys_mod_count, opened_at, "
                "resolved_at, priority) VALUES ('sn', 'INC1', 'Resolved', 1, ?, ?, '2 - High')", [opened, resolved])
    build_models(con)
    counted, in_time, rule = con.execute(
        "SELECT sla_hours_counted, resolved_in_time, in_time_rule FROM int_incidents").fetchone()
    expected = business_hours(opened, resolved, start, end)
    assert counted == pytest.approx(expected, abs=1e-3)
    assert rule == "hours" and in_time == (counted <= 8)
    assert test_models(con) == []
