"""Batches: identical content is unchanged, a re-delivered scope replaces rows, rejected batches load nothing."""
import os

from pipeline.cli import exit_code
from etl_helpers import load, query, snapshot

LOG = "etl_batches"
GATE_LOG = "etl_gate_results"  # the GE verdict kept with each batch that reached the gate
STATUS_LOG = "measure_status_history"  # each publish's statuses, for the alerts (metrics/status_history.py)


def without_log(tables: dict) -> dict:
    return {name: rows for name, rows in tables.items() if name not in (LOG, GATE_LOG, STATUS_LOG)}


def test_same_file_twice_is_unchanged_and_content_identical(warehouse):
    load(warehouse, "committees.csv", "it_costs_2024.csv")
    before = snapshot(warehouse)
    (again,) = load(warehouse, "it_costs_2024.csv")
    assert (again.status, again.batch_id, again.rows_loaded) == ("unchanged", 3, 0)
    assert again.message == "it_costs_2024.csv: same content as batch 2, already loaded; nothing changed"
    assert exit_code([again]) == 0
    after = snapshot(warehouse)
    assert without_log(after) == without_log(before)
    assert after[LOG][:2] == before[LOG]
    assert [(r[0], r[8]) for r in after[LOG]] == [(1, "loaded"), (2, "loaded"), (3, "unchanged")]


def test_revision_replaces_the_redelivered_month_only(warehouse):
    load(warehouse, "committees.csv", "it_costs_2024.csv")
    january_before = query(warehouse, "SELECT * FROM fact_it_costs WHERE month = DATE '2024-01-01' ORDER BY ALL")
    (revision,) = load(warehouse, "it_costs_2024-02_revision.csv")
    assert (revision.status, revision.rows_loaded, revision.rows_replaced) == ("loaded", 3, 9)
    assert query(warehouse, "SELECT * FROM fact_it_costs WHERE month = DATE '2024-01-01' ORDER BY ALL") == \
        january_before
    assert query(warehouse, """SELECT line_id, amount_sek, _batch_id, _source_row FROM fact_it_costs
                               WHERE month = DATE '2024-02-01' ORDER BY line_id""") == [
        ("L011", 12500.0, 3, 1), ("L021", 700.0, 3, 2), ("L022", 50.5, 3, 3)]
    assert query(warehouse, """SELECT batch_id, file_name, status, rows_loaded, rows_replaced, periods_min,
                                      periods_max FROM etl_batches WHERE source = 'it_costs' ORDER BY 1""") == [
        (2, "it_costs_2024.csv", "loaded", 19, 0, "2024-01", "2024-02"),
        (3, "it_costs_2024-02_revision.csv", "loaded", 3, 9, "2024-02", "2024-02")]
    # the earlier batch's quarantine history stays
    assert query(warehouse, "SELECT batch_id, source_row FROM etl_quarantine") == [(2, 13)]


def _published_state(warehouse):
    return snapshot(warehouse), warehouse.read_bytes()


def _assert_only_rejection_logged(warehouse, before, result):
    tables_before, bytes_before = before
    after = snapshot(warehouse)
    assert without_log(after) == without_log(tables_before)
    assert after[LOG][:-1] == tables_before[LOG]
    logged = after[LOG][-1]
    assert (logged[0], logged[8], logged[9], logged[5]) == (result.batch_id, "rejected", result.message, 0)


def test_missing_required_column_rejects_and_changes_nothing(warehouse):
    load(warehouse, "committees.csv", "it_costs_2024.csv")
    before = _published_state(warehouse)
    old_file = warehouse.with_name("old.duckdb")
    os.link(warehouse, old_file)   # the published file as it was; a load must never write it in place
    (result,) = load(warehouse, "committees_missing_column.csv")
    assert result.status == "rejected"
    assert result.message == ("committees_missing_column.csv: required column peer_group is missing "
                              "(columns found: committee_code, name_sv, name_en, kind); nothing loaded")
    assert exit_code([result]) == 2
    _assert_only_rejection_logged(warehouse, before, result)
    assert old_file.read_bytes() == before[1]
    assert query(warehouse, "SELECT count(*) FROM dim_committees WHERE committee_code = 'FARSTA'") == [(0,)]


def test_too_many_bad_rows_rejects_and_changes_nothing(warehouse):
    load(warehouse, "committees.csv", "it_costs_2024.csv")
    before = _published_state(warehouse)
    (result,) = load(warehouse, "it_costs_bad_rows.csv")
    assert result.status == "rejected"
    assert result.message == (
        "it_costs_bad_rows.csv (CSV, encoding utf-8, delimiter ','): 3 of 10 rows (30.0 %) break row rules, "
        "more than the 5 % allowed for it_costs; nothing loaded. First problems: "
        'it_costs_bad_rows.csv row 2, column amount_sek: "tolv" is not a number; '
        'it_costs_bad_rows.csv row 3, column committee_code: "NOPE" is not a known committee_code in '
        "dim_committees (load that source first); "
        'it_costs_bad_rows.csv row 4, column account: "54A0" does not have the expected form ^\\d{4}$')
    _assert_only_rejection_logged(warehouse, before, result)
    assert query(warehouse, "SELECT count(*) FROM fact_it_costs WHERE month = DATE '2024-03-01'") == [(0,)]


def test_unreadable_file_is_rejected(warehouse, tmp_path):
    load(warehouse, "committees.csv")
    broken = tmp_path / "committees_broken.csv"
    broken.write_bytes(b"committee_code;name_sv\r\nX;\x81\x8d\r\n")
    (result,) = load(warehouse, broken)
    assert result.status == "rejected"
    assert result.message == ("committees_broken.csv is neither UTF-8 nor Windows-1252 (byte 0x81 at position 26);"
                              " save it as UTF-8 and load it again; nothing loaded")
