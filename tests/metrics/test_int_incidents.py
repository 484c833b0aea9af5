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


PRIORITIES = ["1 - Critical", "2 - High", "3 - Moderate"]
DAY0 = dt.date(2016, 1, 1)


def version_in_force(versions: list[tuple], priority: str, day: dt.date):
    """By hand: the version of `priority` with the latest valid_from on or before `day`; its hours and calendar
    unless its valid_to lies before the day (then no agreed time: (None, None))."""
    mine = [v for v in versions if v[0] == priority and v[2] <= day]
    if not mine:
        return None, None
    _, hours, valid_from, valid_to, calendar = max(mine, key=lambda v: v[2])
    if valid_to is not None and day > valid_to:
        return None, None
    return hours, calendar or "24x7"


@settings(max_examples=80, deadline=None)
@given(versions=st.lists(st.tuples(st.sampled_from(PRIORITIES), st.integers(1, 400), st.integers(0, 60),
                                   st.one_of(st.none(), st.integers(0, 40)),
                                   st.sampled_from([None, "24x7", "business_hours"])),
                         max_size=7, unique_by=lambda v: (v[0], v[2])),
       incidents=st.lists(st.tuples(st.sampled_from(PRIORITIES + ["4 - Low"]), st.integers(-5, 70),
                                    st.integers(0, 23)), min_size=1, max_size=25))
def test_the_sla_version_in_force_on_the_day_opened(con, versions, incidents):
    """For any versioned SLA table (several versions per priority, some ended, none for a priority) and any
    incidents: the agreed hours and calendar are those of the version with the latest valid_from on or before
    the day opened, none when that version ended before the day — one model row per incident."""
    rows = [(p, float(h), DAY0 + dt.timedelta(days=f), None if end is None else DAY0 + dt.timedelta(days=f + end), c)
            for p, h, f, end, c in versions]
    con.execute("DELETE FROM fact_incidents")
    con.execute("DELETE FROM dim_incident_sla")
    for p, h, valid_from, valid_to, c in rows:
        con.execute("INSERT INTO dim_incident_sla (priority, resolve_hours, calendar, valid_from, valid_to) "
                    "VALUES (?, ?, ?, ?, ?)", [p, h, c, valid_from, valid_to])
    for n, (p, day, hour) in enumerate(incidents):
        opened = dt.datetime.combine(DAY0 + dt.timedelta(days=day), dt.time(hour))
        con.execute("INSERT INTO fact_incidents (source_system, number, incident_state, sys_mod_count, opened_at, "
                    "resolved_at, priority) VALUES ('sn', ?, 'Resolved', 1, ?, ?, ?)",
                    [f"INC{n}", opened, opened + dt.timedelta(hours=5), p])
    build_models(con)
    got = {r[0]: (r[1], r[2]) for r in con.execute(
        "SELECT number, agreed_hours, sla_calendar FROM int_incidents").fetchall()}
    assert len(got) == len(incidents)
    for n, (p, day, _) in enumerate(incidents):
        assert got[f"INC{n}"] == version_in_force(rows, p, DAY0 + dt.timedelta(days=day)), (n, p, day)
    assert test_models(con) == []
