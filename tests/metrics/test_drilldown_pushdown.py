"""The incident drill-down filters int_incidents on its own columns (committee_code, a half-open resolved_at
range) so that DuckDB skips Parquet row groups (issue 16), and returns exactly the rows the former filter
(on coalesce(committee_code, '_UNATTRIBUTED') and date_trunc('month', resolved_at)) returned.

Fixture: a warehouse whose int_incidents is a view over a Parquet file, as in the fact store, with incidents
resolved exactly at period boundaries (…23:59:59.999 and 00:00:00), unattributed ones (NULL committee) and
one never resolved. The expected numbers are worked out by hand from the resolution times."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import periods as P
from metrics import catalog as C, query as q
from metrics.warehouse import Warehouse

Q2 = q.declared_measure("Q2")
Q2_ORDER = "resolved_at, source_system, number"
OLD_SQL = C.drilldown_sql(Q2.rows_sql, Q2_ORDER)  # the filter before issue 16

LAST_MS = dt.timedelta(milliseconds=1)
T = dt.datetime
# number, committee_code, resolved_at
INCIDENTS = [
    ("A1", "SKARHOLMEN", T(2025, 9, 1) - LAST_MS),   # 2025-08-31 23:59:59.999: August
    ("A2", "SKARHOLMEN", T(2025, 9, 1)),             # 00:00:00: September
    ("A3", "SKARHOLMEN", T(2025, 8, 1)),             # 00:00:00: August
    ("A4", "SKARHOLMEN", T(2025, 8, 1) - LAST_MS),   # July (tertial 2025-T2)
    ("A5", "SKARHOLMEN", None),                      # never resolved: in no drill-down
    ("B1", "BROMMA", T(2025, 8, 15, 12)),
    ("U1", None, T(2025, 8, 10, 9)),                 # unattributed, August
    ("U2", None, T(2025, 5, 1)),                     # unattributed, first moment of 2025-T2
    ("U3", None, T(2025, 5, 1) - LAST_MS),           # unattributed, last moment of 2025-T1
    ("C1", "SKARHOLMEN", T(2025, 1, 1) - LAST_MS),   # 2024
    ("C2", "SKARHOLMEN", T(2025, 1, 1)),             # 2025
    ("C3", "SKARHOLMEN", T(2026, 1, 1) - LAST_MS),   # 2025
    ("C4", "SKARHOLMEN", T(2026, 1, 1)),             # 2026
]


def make_warehouse(directory: Path, incidents) -> Warehouse:
    """A warehouse file with what query.drilldown reads: measure_values (empty: no carried-forward value),
    dim_committees and int_incidents as a view over one Parquet file sorted like the fact store's."""
    path = directory / "warehouse.duckdb"
    parquet = (directory / "int_incidents.parquet").as_posix()
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE measure_values (measure_id VARCHAR, committee_code VARCHAR, grain VARCHAR, "
                "period VARCHAR, value_period VARCHAR)")
    con.execute("CREATE TABLE dim_committees (committee_code VARCHAR, peer_group VARCHAR)")
    con.execute("INSERT INTO dim_committees VALUES ('SKARHOLMEN', 'district_councils'), "
                "('BROMMA', 'district_councils'), ('KS', 'specialist_committees')")
    con.execute("""CREATE TABLE src (source_system VARCHAR, number VARCHAR, priority VARCHAR, opened_at TIMESTAMP,
        resolved_at TIMESTAMP, hours_to_resolve DOUBLE, made_sla BOOLEAN, has_breached BOOLEAN, agreed_hours DOUBLE,
        sla_calendar VARCHAR, sla_hours_counted DOUBLE, resolved_in_time BOOLEAN, in_time_rule VARCHAR,
        committee_code VARCHAR, attributed_by VARCHAR, location VARCHAR, assignment_group VARCHAR,
        category VARCHAR, cmdb_ci VARCHAR, reassignment_count INTEGER)""")
    for i, (number, committee, resolved) in enumerate(incidents):
        con.execute("INSERT INTO src VALUES ('sn', ?, '2 - High', TIMESTAMP '2024-06-01', ?, 1.0, ?, NULL, 8, "
                    "'24x7', 1.0, ?, 'verdict', ?, 'location', 'Location 143', NULL, NULL, NULL, 0)",
                    [number, resolved, i % 2 == 0, i % 2 == 0, committee])
    con.execute(f"COPY (SELECT * FROM src ORDER BY committee_code, resolved_at) TO '{parquet}' "
                "(FORMAT parquet, ROW_GROUP_SIZE 2)")
    con.execute("DROP TABLE src")
    con.execute(f"CREATE VIEW int_incidents AS SELECT * FROM read_parquet('{parquet}')")
    con.close()
    return Warehouse(path)


def former_rows(wh: Warehouse, committee: str, period: str):
    members = q._member_codes(wh, committee)
    return wh.df(OLD_SQL, {"committees": members, "from_month": P.first_month(period),
                           "to_month": P.last_month(period)})


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    w = make_warehouse(tmp_path_factory.mktemp("pushdown"), INCIDENTS)
    yield w
    w.close()


def test_the_drilldown_filters_the_model_on_its_own_columns():
    sql = Q2.drilldown_sql
    assert "committee_code IS NULL" in sql and "resolved_at >= CAST($from_month AS TIMESTAMP) AND resolved_at < " in sql
    assert C.drilldown_sql(Q2.rows_sql, Q2_ORDER) != sql  # without drilldown_keys: the former SQL



@pytest.mark.parametrize("committee, grain, period, expected", [
    ("SKARHOLMEN", "month", "2025-08", ["A3", "A1"]),
    ("BROMMA", "month", "2025-08", ["B1"]),
    ("_UNATTRIBUTED", "month", "2025-08", ["U1"]),
    ("_UNATTRIBUTED", "tertial", "2025-T2", ["U2", "U1"]),
    ("_UNATTRIBUTED", "tertial", "2025-T1", ["U3"]),
    ("SKARHOLMEN", "tertial", "2025-T2", ["A4", "A3", "A1"]),
    ("SKARHOLMEN", "month", "2025-09", ["A2"]),
    ("SKARHOLMEN", "year", "2025", ["C2", "A4", "A3", "A1", "A2", "C3"]),
    ("SKARHOLMEN", "year", "2024", ["C1"]),
    ("SKARHOLMEN", "year", "2026", ["C4"]),
    ("CITY", "year", "2025", ["C2", "U3", "U2", "A4", "A3", "U1", "B1", "A1", "A2", "C3"]),
    ("PEER:district_councils", "month", "2025-08", ["A3", "B1", "A1"]),
    ("KS", "year", "2025", []),
])
def test_the_same_rows_as_before_at_every_boundary(wh, committee, grain, period, expected):
    rows = q.drilldown(wh, "Q2", committee, grain, period)
    assert rows["number"].tolist() == expected
    before = former_rows(wh, committee, period)
    assert rows.equals(before)  # same rows, same columns, same order, same values
    assert "A5" not in rows["number"].tolist()


def test_scope_still_limits_the_rows(wh):
    # a user who may see BROMMA only: the city's drill-down shows BROMMA's records (not the unattributed ones)
    rows = q.drilldown(wh, "Q2", "CITY", "month", "2025-08", scope=frozenset({"BROMMA"}))
    assert rows["number"].tolist() == ["B1"]
    assert q.drilldown(wh, "Q2", "SKARHOLMEN", "month", "2025-08", scope=frozenset({"BROMMA"})).empty


BOUNDARIES = [T(2025, m, 1) + d for m in (1, 4, 5, 8, 9, 12) for d in (-LAST_MS, dt.timedelta(0), LAST_MS)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(incidents=st.lists(st.tuples(st.sampled_from(["SKARHOLMEN", "BROMMA", "KS", None]),
                                    st.one_of(st.none(), st.sampled_from(BOUNDARIES),
                                              st.datetimes(T(2024, 12, 1), T(2026, 2, 1)))),
                          min_size=1, max_size=30),
       committee=st.sampled_from(["SKARHOLMEN", "BROMMA", "KS", "_UNATTRIBUTED", "CITY", "PEER:district_councils"]),
       grain_period=st.sampled_from([("month", "2025-04"), ("month", "2025-08"), ("tertial", "2025-T2"),
                                     ("quarter", "2025-Q3"), ("year", "2025")]))
def test_for_any_incidents_the_rows_equal_the_former_filter(tmp_path_factory, incidents, committee, grain_period):
    rows = [(f"N{i:02d}", c, r) for i, (c, r) in enumerate(incidents)]
    w = make_warehouse(tmp_path_factory.mktemp("prop"), rows)
    try:
        grain, period = grain_period
        now = q.drilldown(w, "Q2", committee, grain, period)
        assert now.equals(former_rows(w, committee, period))
        months = set(P.months(period))
        members = set(q._member_codes(w, committee))
        by_hand = sorted(n for n, c, r in rows if r is not None and (c or "_UNATTRIBUTED") in members
                         and dt.date(r.year, r.month, 1) in months)
        assert sorted(now["number"]) == by_hand
    finally:
        w.close()
