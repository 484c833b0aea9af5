"""Each fixture source in its real format: exact counts loaded and quarantined, and the exact reasons."""
import json

import pytest

from pipeline.cli import exit_code
from etl_helpers import load, query

FILES = ["incidents_servicenow.csv", "outages.parquet", "it_costs_2024.csv", "systems.xlsx",
         "committees.csv", "incident_mapping.csv"]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("sources") / "warehouse.duckdb"
    results = load(warehouse, *FILES)
    return warehouse, {r.source: r for r in results}


def test_files_are_loaded_dimensions_first(loaded):
    _, results = loaded
    assert list(results) == ["committees", "incident_mapping", "incidents", "systems", "it_costs", "outages"]
    assert [r.batch_id for r in results.values()] == [1, 2, 3, 4, 5, 6]
    assert exit_code(list(results.values())) == 1


def test_batch_log_counts(loaded):
    warehouse, _ = loaded
    rows = query(warehouse, """SELECT source, status, rows_read, rows_loaded, rows_quarantined, rows_replaced,
                                      periods_min, periods_max FROM etl_batches ORDER BY batch_id""")
    assert rows == [
        ("committees", "loaded", 5, 5, 0, 0, None, None),
        ("incident_mapping", "loaded", 4, 4, 0, 0, None, None),
        ("incidents", "loaded", 26, 19, 1, 0, "2016-01", "2016-04"),
        ("systems", "loaded", 20, 19, 1, 0, None, None),
        ("it_costs", "loaded", 20, 19, 1, 0, "2024-01", "2024-02"),
        ("outages", "loaded", 20, 19, 1, 0, "2024-01", "2024-01"),
    ]


def test_quarantine_reasons_name_file_row_column_and_reason(loaded):
    warehouse, _ = loaded
    rows = query(warehouse, "SELECT batch_id, source_row, column_name, rule, reason FROM etl_quarantine "
                            "ORDER BY batch_id")
    assert rows == [
        (3, 10, "priority", "allowed", 'incidents_servicenow.csv row 10, column priority: "9 - Extreme" is not '
                                       "one of 1 - Critical, 2 - High, 3 - Moderate, 4 - Low, 5 - Planning"),
        (4, 7, "agreed_hours_per_week", "max",
         "systems.xlsx row 7, column agreed_hours_per_week: 200 is above the maximum 168"),
        (5, 13, "supplier_type", "allowed",
         'it_costs_2024.csv row 13, column supplier_type: "extern" is not one of external, internal'),
        (6, 5, "ended_at", "not_before", "outages.parquet row 5, column ended_at: ended_at 2024-01-05 08:00:00 "
                                         "is before started_at 2024-01-05 10:00:00"),
    ]


def test_quarantine_keeps_the_raw_values(loaded):
    warehouse, _ = loaded
    (raw,) = query(warehouse, "SELECT raw_values FROM etl_quarantine WHERE source = 'it_costs'")[0]
    assert json.loads(raw) == {"line_id": "L013", "month": "2024-02", "committee_code": "SKARHOLMEN",
                               "account": "5410", "amount_sek": "450,50", "supplier_type": "extern",
                               "cost_class": "run", "system_id": None}


def test_cp1252_semicolon_csv_with_decimal_comma(loaded):
    warehouse, _ = loaded
    assert query(warehouse, "SELECT name_sv FROM dim_committees WHERE committee_code = 'SKARHOLMEN'") == [
        ("Skärholmens stadsdelsnämnd",)]
    sums = query(warehouse, """SELECT strftime(month, '%Y-%m'), count(*), round(sum(amount_sek), 2)
                               FROM fact_it_costs GROUP BY ALL ORDER BY 1""")
    assert sums == [("2024-01", 10, 416971.99), ("2024-02", 9, 421580.0)]
    # thousands separated by a space and by a no-break space, a credit, and an empty optional column
    assert query(warehouse, """SELECT line_id, amount_sek, system_id, _source_row FROM fact_it_costs
                               WHERE line_id IN ('L001', 'L002', 'L003') ORDER BY line_id""") == [
        ("L001", 12345.5, None, 1), ("L002", 1000.25, None, 2), ("L003", -500.0, None, 3)]


def test_excel_types(loaded):
    warehouse, _ = loaded
    assert query(warehouse, """SELECT system_id, owner_committee, tier, critical, key_system,
                                      agreed_hours_per_week, intended_users, _batch_id
                               FROM dim_systems WHERE system_id IN ('SYS0001', 'SYS0003') ORDER BY 1""") == [
        ("SYS0001", "BROMMA", "basic", True, False, 45.5, 100, 4),
        ("SYS0003", "UTBN", "innovative", True, True, 45.5, 300, 4)]
    assert query(warehouse, "SELECT count(*) FROM dim_systems WHERE system_id = 'SYS0007'") == [(0,)]


def test_parquet_types(loaded):
    warehouse, _ = loaded
    rows = query(warehouse, """SELECT outage_id, system_id, strftime(started_at, '%Y-%m-%d %H:%M'),
                                      strftime(ended_at, '%H:%M'), planned
                               FROM fact_outages WHERE outage_id IN ('O004', 'O006') ORDER BY 1""")
    assert rows == [("O004", "SYS0004", "2024-01-04 10:00", "12:30", True),
                    ("O006", "SYS0006", "2024-01-06 10:00", "12:30", False)]
    assert query(warehouse, "SELECT count(*) FROM fact_outages") == [(19,)]


def test_loaded_messages_record_encoding_and_delimiter(loaded):
    _, results = loaded
    assert results["it_costs"].message == (
        "it_costs_2024.csv (CSV, encoding cp1252 (Windows-1252), delimiter ';' with decimal comma): "
        "19 rows loaded into fact_it_costs, 1 row quarantined, 0 earlier rows replaced")
    assert results["incidents"].message.startswith(
        "incidents_servicenow.csv (CSV, encoding utf-8 with BOM, delimiter ','): 19 rows loaded")
    assert results["systems"].message.startswith("systems.xlsx (Excel workbook, first sheet)")


def test_calendar_spans_loaded_months(loaded):
    warehouse, _ = loaded
    assert query(warehouse, """SELECT min(month_label), max(month_label), count(*) FROM dim_calendar""") == [
        ("2016-01", "2024-02", 98)]
    assert query(warehouse, "SELECT quarter, tertial FROM dim_calendar WHERE month_label = '2016-05'") == [
        ("2016-Q2", "2016-T2")]


def test_batch_results_carry_phase_timings(loaded):
    _, results = loaded
    timings = results["it_costs"].timings
    assert set(timings) == {"read", "stage", "type", "rules", "gate", "write"}
    assert all(seconds >= 0 for seconds in timings.values())
