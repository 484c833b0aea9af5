"""Incident figures the ITSM tool agrees with (issue 17): the export's SLA verdict decides Q2, every
incident is attributed or accounted for, several ITSM instances stay apart, the date order is
checked, missing optional columns never crash, out-of-the-box ServiceNow values and local additions
are accepted, and every file of a command can name its own source. Hand-made exports, values by hand."""
import csv
import itertools
import os
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from etl.contracts import load_contracts
from etl.load import load_batch
from etl.readers import read_file
from etl.schema import create_all
from etl_helpers import fixture, load, query
from metrics.models import build_models, test_models
from pipeline import cli

HEADER = ["number", "incident_state", "active", "reassignment_count", "reopen_count", "sys_mod_count", "made_sla",
          "caller_id", "opened_at", "sys_updated_at", "contact_type", "location", "category", "cmdb_ci", "impact",
          "urgency", "priority", "assignment_group", "resolved_at", "closed_at", "closed_code"]


def event(number, state, mod, opened, updated, priority="3 - Moderate", location="Location 143", group="?",
          made_sla="?", resolved="?", contact="Phone", ci="?"):
    return {"number": number, "incident_state": state, "active": "false" if state in ("Resolved", "Closed") else "true",
            "reassignment_count": "0", "reopen_count": "0", "sys_mod_count": str(mod), "made_sla": made_sla,
            "caller_id": "Caller 1", "opened_at": opened, "sys_updated_at": updated, "contact_type": contact,
            "location": location, "category": "Category 1", "cmdb_ci": ci, "impact": "2 - Medium",
            "urgency": "2 - Medium", "priority": priority, "assignment_group": group, "resolved_at": resolved,
            "closed_at": "?", "closed_code": "?"}


def resolved(number, opened, at, priority, made_sla, **kw):
    """Two events: opened (New), then resolved (Resolved) with the tool's verdict."""
    return [event(number, "New", 0, opened, opened, priority, made_sla="?", **kw),
            event(number, "Resolved", 2, opened, at, priority, made_sla=made_sla, resolved=at, **kw)]


def write(path: Path, rows: list[dict], drop=(), extra: dict | None = None) -> Path:
    header = [c for c in HEADER if c not in drop] + list(extra or {})
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=header, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({**r, **(extra or {})})
    return path


SLA = """priority,resolve_hours,calendar,business_day_start,business_day_end,valid_from,valid_to
1 - Critical,4,24x7,,,2013-01-01,
2 - High,8,24x7,,,2013-01-01,
3 - Moderate,24,,,,2013-01-01,
4 - Low,72,24x7,,,2013-01-01,
5 - Planning,16,business_hours,8,17,2013-01-01,
"""

# Q2 by hand, BROMMA (Location 143), March 2016. made_sla = the tool's verdict; hours = against the SLA table.
#            priority      opened            resolved            hours        made_sla  hours rule
VERDICTS = [
    ("INC0000101", "3 - Moderate", "1/3/2016 08:00", "1/3/2016 18:00", "true"),    # 10 h ≤ 24    T  T
    ("INC0000102", "3 - Moderate", "2/3/2016 08:00", "3/3/2016 14:00", "true"),    # 30 h > 24    T  F
    ("INC0000103", "1 - Critical", "3/3/2016 08:00", "3/3/2016 10:00", "false"),   #  2 h ≤ 4     F  T
    ("INC0000104", "2 - High", "8/3/2016 08:00", "8/3/2016 14:00", "false"),       #  6 h ≤ 8     F  T
    ("INC0000105", "4 - Low", "9/3/2016 08:00", "11/3/2016 10:00", "?"),           # 50 h ≤ 72    (T) T
    ("INC0000106", "3 - Moderate", "14/3/2016 08:00", "16/3/2016 00:00", "?"),     # 40 h > 24    (F) F
    # business hours 8-17 Mon-Fri: Fri 4 Mar 16-17 + Mon 7 Mar 8-10 = 3 h ≤ 16 (66 calendar hours)
    ("INC0000108", "5 - Planning", "4/3/2016 16:00", "7/3/2016 10:00", "?"),       #  3 h ≤ 16    (T) T
    # Thu 3 Mar 9-17 (8) + Fri 4 Mar 8-17 (9) + Mon 7 Mar 8-9 (1) = 18 h > 16
    ("INC0000109", "5 - Planning", "3/3/2016 09:00", "7/3/2016 09:00", "?"),       # 18 h > 16    (F) F
]
# made_sla first: T T F F T F T F = 4 of 8; hours only: T F T T T F T F = 5 of 8


def verdict_rows():
    rows = [r for n, p, o, at, m in VERDICTS for r in resolved(n, o, at, p, m)]
    rows.append(event("INC0000107", "Active", 1, "15/3/2016 09:00", "15/3/2016 10:00"))  # open: not counted
    return rows


def q2(warehouse, committee="BROMMA", period="2016-03"):
    return query(warehouse, """SELECT numerator, denominator, round(value, 4) FROM measure_values
                               WHERE measure_id = 'Q2' AND committee_code = ? AND grain = 'month' AND period = ?""",
                 [committee, period])[0]


@pytest.fixture
def sla_file(tmp_path):
    path = tmp_path / "incident_sla.csv"
    path.write_text(SLA, encoding="utf-8")
    return path


def test_q2_counts_the_tools_verdict_first(tmp_path, sla_file):
    wh = tmp_path / "w.duckdb"
    export = write(tmp_path / "incidents_verdict.csv", verdict_rows())
    results = load(wh, "committees.csv", "incident_mapping.csv", sla_file, export)
    assert [r.status for r in results] == ["loaded"] * 4
    assert q2(wh) == (4, 8, 50.0)
    rules = dict(query(wh, "SELECT number, in_time_rule FROM int_incidents"))
    assert rules == {"INC0000101": "made_sla", "INC0000102": "made_sla", "INC0000103": "made_sla",
                     "INC0000104": "made_sla", "INC0000105": "hours", "INC0000106": "hours",
                     "INC0000107": None, "INC0000108": "hours", "INC0000109": "hours"}
    assert query(wh, "SELECT number, sla_calendar, sla_hours_counted, hours_to_resolve FROM int_incidents "
                     "WHERE priority = '5 - Planning' ORDER BY number") == [
        ("INC0000108", "business_hours", 3.0, 66.0), ("INC0000109", "business_hours", 18.0, 96.0)]


def test_q2_by_the_sla_table_when_the_export_has_no_verdict(tmp_path, sla_file):
    wh = tmp_path / "w.duckdb"
    export = write(tmp_path / "incidents_noverdict.csv", verdict_rows(), drop=("made_sla",))
    load(wh, "committees.csv", "incident_mapping.csv", sla_file, export)
    assert q2(wh) == (5, 8, 62.5)
    assert query(wh, "SELECT DISTINCT in_time_rule FROM int_incidents WHERE resolved_at IS NOT NULL") == [("hours",)]


def test_a_new_sla_version_applies_from_its_date(tmp_path, sla_file):
    wh = tmp_path / "w.duckdb"
    export = write(tmp_path / "incidents_noverdict.csv", verdict_rows(), drop=("made_sla",))
    later = tmp_path / "incident_sla_2016.csv"
    later.write_text("priority,resolve_hours,valid_from\n3 - Moderate,48,2016-03-10\n", encoding="utf-8")
    load(wh, "committees.csv", "incident_mapping.csv", sla_file, later, export)
    # INC0000106 (opened 14 March, 40 h) now meets 48 h; INC0000102 (opened 2 March, 30 h) still has 24 h
    assert query(wh, "SELECT number, agreed_hours, resolved_in_time FROM int_incidents "
                     "WHERE number IN ('INC0000102', 'INC0000106') ORDER BY number") == [
        ("INC0000102", 24.0, False), ("INC0000106", 48.0, True)]
    assert q2(wh) == (6, 8, 75.0)


def test_an_ended_sla_version_leaves_no_agreed_time(tmp_path, sla_file):
    wh = tmp_path / "w.duckdb"
    export = write(tmp_path / "incidents_noverdict.csv", verdict_rows(), drop=("made_sla",))
    ended = tmp_path / "incident_sla_ended.csv"   # re-delivers the 4 - Low version with an end date
    ended.write_text("priority,resolve_hours,valid_from,valid_to\n4 - Low,72,2013-01-01,2016-02-29\n", encoding="utf-8")
    load(wh, "committees.csv", "incident_mapping.csv", sla_file, ended, export)
    assert query(wh, "SELECT agreed_hours, resolved_in_time, in_time_rule FROM int_incidents "
                     "WHERE number = 'INC0000105'") == [(None, None, "none")]
    assert q2(wh) == (4, 7, round(100 * 4 / 7, 4))   # hours rule without INC0000105


def test_resolved_incident_without_verdict_or_agreed_hours_is_left_out_and_shown(tmp_path):
    wh = tmp_path / "w.duckdb"
    export = write(tmp_path / "incidents_noverdict.csv", verdict_rows(), drop=("made_sla",))
    load(wh, "committees.csv", "incident_mapping.csv", export)  # no SLA table loaded
    assert query(wh, "SELECT count(*), count(*) FILTER (WHERE in_time_rule = 'none') FROM int_incidents "
                     "WHERE resolved_at IS NOT NULL") == [(8, 8)]
    assert query(wh, "SELECT count(*) FROM measure_values WHERE measure_id = 'Q2' AND value IS NOT NULL") == [(0,)]


# ---- every incident accounted for ------------------------------------------------------------------

def unmapped_rows():
    rows = []
    rows += resolved("INC0000201", "1/3/2016 08:00", "1/3/2016 09:00", "3 - Moderate", "true")      # BROMMA
    rows += resolved("INC0000202", "2/3/2016 08:00", "2/3/2016 09:00", "3 - Moderate", "false")     # BROMMA
    for i in range(3):   # unmapped location, no group
        rows += resolved(f"INC000030{i}", "3/3/2016 08:00", "3/3/2016 09:00", "3 - Moderate", "true",
                         location="Location 999")
    for i in range(6):   # location "?", no group: 4 resolved in time, 1 late, 1 open
        if i < 5:
            rows += resolved(f"INC000040{i}", "4/3/2016 08:00", "4/3/2016 09:00", "3 - Moderate",
                             "true" if i < 4 else "false", location="?")
        else:
            rows.append(event(f"INC000040{i}", "New", 0, "4/3/2016 08:00", "4/3/2016 08:00", location="?"))
    rows += resolved("INC0000501", "5/3/2016 08:00", "5/3/2016 09:00", "3 - Moderate", "true",
                     location="?", group="Group 70")                                              # SKARHOLMEN
    return rows


def test_unattributed_incidents_are_counted_in_the_load_output(tmp_path, capsys, monkeypatch):
    wh = tmp_path / "w.duckdb"
    monkeypatch.setenv("SCORECARD_WAREHOUSE", str(wh))
    export = write(tmp_path / "incident_event_log.csv", unmapped_rows())
    code = cli.main(["load", str(fixture("committees.csv")), f"incident_mapping={fixture('incident_mapping.csv')}",
                     f"incidents={export}"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "9 incidents could not be attributed to a committee" in out
    assert "6 incidents of servicenow: location '?', assignment group '?', cmdb_ci '?'" in out
    assert "3 incidents of servicenow: location 'Location 999', assignment group '?', cmdb_ci '?'" in out
    assert query(wh, "SELECT attributed_by, count(*) FROM int_incidents GROUP BY ALL ORDER BY ALL") == [
        ("assignment_group", 1), ("location", 2), (None, 9)]
    # the batch log keeps it too (python -m etl status, the data-quality page's history)
    (message,) = query(wh, "SELECT message FROM etl_batches WHERE source = 'incidents'")[0]
    assert message.endswith("; 9 incidents could not be attributed to a committee: 6 incidents of servicenow: "
                            "location '?', assignment group '?', cmdb_ci '?'; 3 incidents of servicenow: "
                            "location 'Location 999', assignment group '?', cmdb_ci '?'")


def test_unattributed_incidents_count_in_the_city_total_only(tmp_path):
    wh = tmp_path / "w.duckdb"
    load(wh, "committees.csv", "incident_mapping.csv", write(tmp_path / "incidents_u.csv", unmapped_rows()))
    assert q2(wh, "BROMMA") == (1, 2, 50.0)
    assert q2(wh, "SKARHOLMEN") == (1, 1, 100.0)
    # city: 2 BROMMA + 1 SKARHOLMEN + 3 Location 999 + 5 resolved with location "?" = 11, of which 1+1+3+4 in time
    assert q2(wh, "CITY") == (9, 11, round(100 * 9 / 11, 4))


def test_unattributed_incidents_per_source_and_period_for_the_data_quality_page(tmp_path):
    from metrics import quality_query as qq
    from metrics.warehouse import Warehouse

    wh = tmp_path / "w.duckdb"
    load(wh, "committees.csv", "incident_mapping.csv", write(tmp_path / "incidents_u.csv", unmapped_rows()))
    w = Warehouse(wh)
    try:
        df = qq.unattributed_incidents(w)
    finally:
        w.close()
    rows = [tuple(None if v != v else v for v in r) for r in
            df[["source_system", "period", "location", "assignment_group", "cmdb_ci", "incidents", "resolved"]]
            .itertuples(index=False)]
    assert rows == [("servicenow", "2016-03", None, None, None, 6, 5),
                    ("servicenow", "2016-03", "Location 999", None, None, 3, 3)]


# ---- several ITSM instances ----------------------------------------------------------------------

def test_two_instances_with_colliding_numbers_stay_apart(tmp_path):
    wh = tmp_path / "w.duckdb"
    a = write(tmp_path / "incidents_a.csv", verdict_rows())
    b_rows = resolved("INC0000101", "5/3/2016 08:00", "5/3/2016 20:00", "2 - High", "false", location="?",
                      group="Group 56") + resolved("INC0000999", "6/3/2016 08:00", "6/3/2016 09:00", "2 - High", "true")
    b = write(tmp_path / "incidents_b.csv", b_rows)
    load(wh, "committees.csv", "incident_mapping.csv")
    (ra,) = cli.run_batches(cli.plan_files([a], system="city-sn"), wh)
    (rb,) = cli.run_batches(cli.plan_files([b], system="vendor-sn"), wh)
    assert (ra.rows_loaded, rb.rows_loaded, rb.rows_replaced) == (9, 2, 0)
    assert "1 incident number of system 'vendor-sn' also exists under another system (1 under 'city-sn'): " \
           "kept apart, nothing replaced" in rb.message
    assert query(wh, "SELECT source_system, count(*) FROM fact_incidents GROUP BY 1 ORDER BY 1") == [
        ("city-sn", 9), ("vendor-sn", 2)]
    assert query(wh, "SELECT source_system, priority, committee_code FROM int_incidents WHERE number = 'INC0000101' "
                     "ORDER BY 1") == [("city-sn", "3 - Moderate", "BROMMA"), ("vendor-sn", "2 - High", "KS")]
    # a re-delivery of one instance replaces only its own incidents
    (again,) = cli.run_batches(cli.plan_files([write(tmp_path / "incidents_b2.csv", b_rows[:2])], system="vendor-sn"), wh)
    assert (again.rows_loaded, again.rows_replaced) == (1, 1)
    assert query(wh, "SELECT count(*) FROM fact_incidents") == [(11,)]


def test_the_system_column_of_the_export_wins_over_the_option(tmp_path):
    wh = tmp_path / "w.duckdb"
    rows = resolved("INC0000101", "1/3/2016 08:00", "1/3/2016 09:00", "2 - High", "true")
    rows += resolved("INC0000102", "1/3/2016 08:00", "1/3/2016 09:00", "2 - High", "true")
    for r in rows[2:]:
        r["source_system"] = "?"
    for r in rows[:2]:
        r["source_system"] = "lab-sn"
    path = tmp_path / "incidents_sys.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["source_system"] + HEADER)
        w.writeheader()
        w.writerows(rows)
    cli.run_batches(cli.plan_files([path], system="city-sn"), wh)
    assert query(wh, "SELECT source_system, number FROM fact_incidents ORDER BY 2") == [
        ("lab-sn", "INC0000101"), ("city-sn", "INC0000102")]


# ---- date order ------------------------------------------------------------------------------------

def short_delivery(order: str) -> list[dict]:
    """Three incidents opened in February and resolved in March 2016, every day ≤ 12."""
    def stamp(day, month, time):
        return f"{day}/{month}/2016 {time}" if order == "dmy" else f"{month}/{day}/2016 {time}"
    rows = []
    for n, (od, rd) in enumerate([(10, 1), (11, 2), (12, 3)]):
        opened, at = stamp(od, 2, "09:00"), stamp(rd, 3, "10:00")
        rows += [event(f"INC000060{n}", "New", 0, opened, opened),
                 event(f"INC000060{n}", "Active", 1, opened, stamp(od, 2, "11:00")),
                 event(f"INC000060{n}", "Resolved", 2, opened, at, made_sla="true", resolved=at)]
    return rows


def test_a_month_first_delivery_with_small_days_is_rejected(tmp_path):
    wh = tmp_path / "w.duckdb"
    (result,) = load(wh, write(tmp_path / "incidents_mdy.csv", short_delivery("mdy")))
    assert result.status == "rejected"
    assert result.message == (
        "incidents_mdy.csv: the timestamps contradict themselves when read day-first (DD/MM/YYYY): 3 incidents "
        "resolved, closed or updated before they were opened and 3 incidents whose updates go backwards in time; "
        "read month-first (MM/DD/YYYY) they are consistent. Every day in the file is 12 or less, so the values alone "
        "cannot tell the order. If the export is month-first, load it with --date-order mdy; if it really is "
        "day-first, load it with --date-order dmy; nothing loaded")
    assert query(wh, "SELECT count(*) FROM fact_incidents") == [(0,)]


def test_a_day_first_delivery_of_the_same_shape_loads(tmp_path):
    wh = tmp_path / "w.duckdb"
    (result,) = load(wh, write(tmp_path / "incidents_dmy.csv", short_delivery("dmy")))
    assert result.status == "loaded" and result.rows_loaded == 3
    assert query(wh, "SELECT opened_at, resolved_at FROM fact_incidents WHERE number = 'INC0000600'") == [
        (datetime(2016, 2, 10, 9, 0), datetime(2016, 3, 1, 10, 0))]


def test_date_order_mdy_loads_the_month_first_delivery(tmp_path):
    wh = tmp_path / "w.duckdb"
    path = write(tmp_path / "incidents_mdy.csv", short_delivery("mdy"))
    (result,) = cli.run_batches(cli.plan_files([path], date_order="mdy"), wh)
    assert result.status == "loaded" and result.rows_loaded == 3
    assert query(wh, "SELECT opened_at, resolved_at FROM fact_incidents WHERE number = 'INC0000602'") == [
        (datetime(2016, 2, 12, 9, 0), datetime(2016, 3, 3, 10, 0))]


# ---- optional columns, out-of-the-box values, local additions ----------------------------------------

OPTIONAL = [c.name for c in load_contracts()["incidents"].columns if c.optional]
BASE = fixture("incidents_servicenow.csv")


def load_without(tmp_path: Path, dropped: tuple[str, ...]):
    import pandas as pd

    frame = pd.read_csv(BASE, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame["has_breached"] = "?"  # the base export then has every optional column of the contract
    path = tmp_path / f"incidents_{len(dropped)}_{abs(hash(dropped))}.csv"
    frame.drop(columns=[c for c in dropped if c in frame.columns]).to_csv(path, index=False)
    con = duckdb.connect()
    try:
        create_all(con)
        contract, given_values = cli.command_options(load_contracts()["incidents"], None, None)
        result = load_batch(con, contract, lambda: read_file(path), path.name, given_values)
        build_models(con)
        return result, test_models(con), con.execute("SELECT count(*) FROM int_incidents").fetchall()[0][0]
    finally:
        con.close()
        path.unlink()


def test_optional_columns_are_the_ones_in_the_export():
    assert set(OPTIONAL) == {"active", "reassignment_count", "reopen_count", "made_sla", "has_breached", "sys_updated_at",
                             "contact_type", "location", "category", "cmdb_ci", "impact", "urgency",
                             "assignment_group", "resolved_at", "closed_at", "closed_code"}


@pytest.mark.parametrize("dropped", [(), tuple(OPTIONAL)] + [(c,) for c in OPTIONAL], ids=lambda d: "+".join(d) or "none")
def test_no_optional_column_is_needed(tmp_path, dropped):
    result, failures, n = load_without(tmp_path, dropped)
    assert (result.status, result.rows_loaded, result.rows_quarantined, failures, n) == ("loaded", 19, 1, [], 19)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sets(st.sampled_from(OPTIONAL)))
def test_any_subset_of_optional_columns_loads(tmp_path, dropped):
    result, failures, n = load_without(tmp_path, tuple(sorted(dropped)))
    assert (result.status, result.rows_loaded, result.rows_quarantined, failures, n) == ("loaded", 19, 1, [], 19)


def test_servicenow_out_of_the_box_values_are_accepted(tmp_path):
    wh = tmp_path / "w.duckdb"
    rows = [event("INC0000701", "On Hold", 1, "1/3/2016 08:00", "1/3/2016 09:00", "5 - Planning", contact="Chat"),
            event("INC0000702", "In Progress", 1, "1/3/2016 08:00", "1/3/2016 09:00", "4 - Low", contact="Self-service"),
            event("INC0000703", "Canceled", 1, "1/3/2016 08:00", "1/3/2016 09:00", "3 - Moderate", contact="Walk-in")]
    (result,) = load(wh, write(tmp_path / "incidents_oob.csv", rows))
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 3, 0)


def test_an_installation_extends_allowed_values_in_its_override_file(tmp_path, monkeypatch):
    wh = tmp_path / "w.duckdb"
    rows = [event("INC0000801", "Pending Change", 1, "1/3/2016 08:00", "1/3/2016 09:00", contact="Teams")]
    path = write(tmp_path / "incidents_local.csv", rows)
    monkeypatch.setenv("SCORECARD_ALLOWED_VALUES", str(tmp_path / "missing.yaml"))
    (before,) = cli.run_batches(cli.plan_files([path]), wh)
    assert before.status == "rejected"   # 1 of 1 rows breaks the allowed values
    override = tmp_path / "allowed_values.yaml"
    override.write_text("incidents:\n  incident_state: [Pending Change]\n  contact_type: [Teams]\n", encoding="utf-8")
    monkeypatch.setenv("SCORECARD_ALLOWED_VALUES", str(override))
    (after,) = cli.run_batches(cli.plan_files([path]), wh)
    assert (after.status, after.rows_loaded, after.rows_quarantined) == ("loaded", 1, 0)
    assert "Teams" not in load_contracts()["incidents"].column("contact_type").allowed  # the product is unchanged


def test_a_wrong_override_file_names_the_file_and_key(tmp_path, monkeypatch, capsys):
    override = tmp_path / "allowed_values.yaml"
    override.write_text("incidents:\n  location: [X]\n", encoding="utf-8")
    monkeypatch.setenv("SCORECARD_ALLOWED_VALUES", str(override))
    monkeypatch.setenv("SCORECARD_WAREHOUSE", str(tmp_path / "w.duckdb"))
    assert cli.main(["load", str(BASE)]) == cli.EXIT_REJECTED
    assert f"{override}: incidents.location: the column has no list of allowed values to extend" in capsys.readouterr().err


def test_source_per_file_on_the_command_line(tmp_path):
    planned = cli.plan_files([f"incidents={tmp_path / 'incident_event_log.csv'}",
                              f"incident_mapping={tmp_path / 'map.csv'}", str(tmp_path / "committees_x.csv")])
    assert [(b.contract.source, b.name) for b in planned] == [
        ("committees", "committees_x.csv"), ("incident_mapping", "map.csv"), ("incidents", "incident_event_log.csv")]
    (unmatched,) = cli.plan_files([str(tmp_path / "incident_event_log.csv")])  # reported, the others still load
    assert unmatched.contract is None and "incidents=incident_event_log.csv" in unmatched.problem


# ---- an older warehouse ------------------------------------------------------------------------------

def test_a_warehouse_of_the_earlier_version_is_upgraded(tmp_path):
    wh = tmp_path / "w.duckdb"
    load(wh, "committees.csv", "incident_mapping.csv", "incidents_servicenow.csv")
    con = duckdb.connect(str(wh))   # make it look like the earlier version: SLA seed, no source_system,
    try:                            # facts in the warehouse file (no Parquet fact store)
        con.execute("DROP VIEW int_incidents")   # (a view over the fact store's Parquet now; not in that version)
        con.execute("CREATE TABLE fact_incidents_native AS SELECT * EXCLUDE (source_system) FROM fact_incidents")
        con.execute("DROP VIEW fact_incidents")
        con.execute("ALTER TABLE fact_incidents_native RENAME TO fact_incidents")
        con.execute("DELETE FROM warehouse_meta WHERE key LIKE 'store_%'")
        con.execute("DROP TABLE dim_incident_sla")
        con.execute("CREATE TABLE dim_incident_sla (priority VARCHAR PRIMARY KEY, resolve_hours DOUBLE NOT NULL)")
        con.execute("INSERT INTO dim_incident_sla VALUES ('1 - Critical', 4), ('2 - High', 8), ('3 - Moderate', 24), "
                    "('4 - Low', 72)")
        con.execute("CREATE VIEW v_incidents AS SELECT * FROM fact_incidents")
    finally:
        con.close()
    (update,) = load(wh, "incidents_servicenow_update.csv")
    assert (update.status, update.rows_loaded, update.rows_replaced) == ("loaded", 1, 1)
    assert query(wh, "SELECT source_system, count(*) FROM fact_incidents GROUP BY 1") == [("servicenow", 19)]
    assert query(wh, "SELECT priority, resolve_hours, calendar, valid_from, _batch_id FROM dim_incident_sla "
                     "ORDER BY 1") == [(p, h, "24x7", datetime(1900, 1, 1).date(), None) for p, h in
                                       (("1 - Critical", 4.0), ("2 - High", 8.0), ("3 - Moderate", 24.0), ("4 - Low", 72.0))]
    assert query(wh, "SELECT count(*) FROM duckdb_views() WHERE view_name = 'v_incidents'") == [(0,)]
    # the native table moved into the Parquet fact store: 18 earlier incidents (one replaced) + the update
    assert query(wh, "SELECT table_type FROM information_schema.tables WHERE table_name = 'fact_incidents'") == [
        ("VIEW",)]
    assert query(wh, "SELECT count(*) FROM read_parquet('" + str(tmp_path / "w.parquet" / "current" / "facts")
                 + "/source=incidents/*/*.parquet')") == [(19,)]
    assert query(wh, "SELECT agreed_hours, in_time_rule FROM int_incidents WHERE number = 'INC0000001'") == [
        (24.0, "made_sla")]


def test_the_one_attribution_rule_in_its_order(tmp_path):
    """location, then assignment group, then the owner of the configuration item (systems.xlsx)."""
    wh = tmp_path / "w.duckdb"
    rows = []
    rows += resolved("INC0000901", "1/3/2016 08:00", "1/3/2016 09:00", "2 - High", "true",   # all three: location
                     location="Location 143", group="Group 70", ci="SYS0003")
    rows += resolved("INC0000902", "1/3/2016 08:00", "1/3/2016 09:00", "2 - High", "true",   # group before ci
                     location="Location 999", group="Group 70", ci="SYS0003")
    rows += resolved("INC0000903", "1/3/2016 08:00", "1/3/2016 09:00", "2 - High", "true",   # only the ci owner
                     location="?", group="Group 99", ci="SYS0003")
    rows += resolved("INC0000904", "1/3/2016 08:00", "1/3/2016 09:00", "2 - High", "true",   # unknown ci: none
                     location="?", group="?", ci="SYS9999")
    load(wh, "committees.csv", "systems.xlsx", "incident_mapping.csv", write(tmp_path / "incidents_rule.csv", rows))
    assert query(wh, "SELECT number, committee_code, attributed_by FROM int_incidents ORDER BY number") == [
        ("INC0000901", "BROMMA", "location"), ("INC0000902", "SKARHOLMEN", "assignment_group"),
        ("INC0000903", "UTBN", "cmdb_ci"), ("INC0000904", None, None)]
    # the data-quality freshness uses the same rule (no second attribution)
    from metrics import quality_query as qq
    from metrics.warehouse import Warehouse

    w = Warehouse(wh)
    try:
        fresh = qq.freshness(w)
    finally:
        w.close()
    assert sorted(fresh.loc[fresh["source"] == "incidents", "committee_code"]) == ["BROMMA", "SKARHOLMEN", "UTBN"]
