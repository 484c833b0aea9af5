"""Key-scoped deliveries read only what can hold their keys (issue 16 at 100×, session 6): etl.rules.scope_bounds
bounds the scans of the whole fact table (which months a replace touches, which store files hold replaced rows,
incident numbers under another system) by the smallest and largest scope value of the batch, as parameters."""
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from etl.contracts import load_contracts
from etl.load import load_batch
from etl.readers import read_file
from etl.rules import scope_bounds
from etl_helpers import benefit_plan_stores


@pytest.fixture()
def con():
    c = duckdb.connect()
    yield c
    c.close()


def test_the_bounds_are_the_batch_range_of_each_scope_column(con):
    contract = load_contracts()["incidents"]
    assert contract.scope == ("source_system", "number")
    con.execute("CREATE TEMP TABLE typed AS SELECT * FROM (VALUES ('sn', 'INC0005'), ('sn', 'INC0002'), "
                "('other', 'INC0009'), ('sn', NULL)) t(source_system, number)")
    condition, params = scope_bounds(con, contract, "SELECT * FROM typed", "f")
    assert condition == ('f."source_system" BETWEEN $scope_lo0 AND $scope_hi0 AND '
                         'f."number" BETWEEN $scope_lo1 AND $scope_hi1')
    assert params == {"scope_lo0": "other", "scope_hi0": "sn", "scope_lo1": "INC0002", "scope_hi1": "INC0009"}
    # the values are parameters: a key with a quote is a value, never SQL
    con.execute("INSERT INTO typed VALUES ('sn', 'INC''; DROP TABLE typed; --')")
    condition, params = scope_bounds(con, contract, "SELECT * FROM typed", "f")
    assert "DROP" not in condition and params["scope_lo1"] == "INC'; DROP TABLE typed; --"


def test_no_value_in_a_scope_column_matches_nothing_and_a_month_expression_adds_no_bound(con):
    contract = load_contracts()["incidents"]
    con.execute("CREATE TEMP TABLE typed AS SELECT 'sn' AS source_system, CAST(NULL AS VARCHAR) AS number")
    assert scope_bounds(con, contract, "SELECT * FROM typed", "f") == ("false", {})
    by_month = replace(contract, scope=("month",))   # the month of opened_at: an expression, not a column
    assert scope_bounds(con, by_month, "SELECT * FROM typed", "f") == ("true", {})


def _deliver(stored, native, contract, work: Path, n: int, rows: list[tuple[str, str, int]]):
    path = work / f"d{n}" / "benefit_plans.csv"
    path.parent.mkdir()
    path.write_text("benefit_id,month,planned_value,planned_sek\n" + "".join(
        f"{b},{m},{n},{v}\n" for b, m, v in rows), encoding="utf-8")
    a = load_batch(stored, contract, lambda: read_file(path), path.name)
    b = load_batch(native, contract, lambda: read_file(path), path.name)
    assert (a.status, a.rows_loaded, a.rows_replaced) == (b.status, b.rows_loaded, b.rows_replaced)
    return a


def test_a_key_inside_a_files_range_is_replaced_and_its_neighbours_kept():
    """Benefits B0001-B0003 in one file per month, B0004 in a later batch; re-delivering B0002 (inside the
    range of the first batch's files, outside the later one's) replaces exactly its two rows."""
    with benefit_plan_stores() as (contract, work, native, stored, store):
        first = [(b, m, 100) for b in ("B0001", "B0002", "B0003") for m in ("2020-01", "2020-02")]
        assert _deliver(stored, native, contract, work, 0, first).rows_loaded == 6
        assert _deliver(stored, native, contract, work, 1, [("B0004", "2020-01", 400)]).rows_loaded == 1
        stored.execute("DELETE FROM etl_changes")
        result = _deliver(stored, native, contract, work, 2, [("B0002", "2020-03", 250)])
        # the months of the replaced rows (found through the bounded join) and of the new row
        changes = stored.execute("SELECT DISTINCT strftime(month, '%Y-%m') FROM etl_changes "
                                 "WHERE table_name = 'fact_benefit_plans' ORDER BY 1").fetchall()
        assert changes == [("2020-01",), ("2020-02",), ("2020-03",)]
        # by hand: B0002 had 2020-01 and 2020-02 (scope benefit_id: every month of it goes), now 2020-03 only
        assert (result.status, result.rows_loaded, result.rows_replaced) == ("loaded", 1, 2)
        sql = ("SELECT benefit_id, strftime(month, '%Y-%m'), planned_sek FROM fact_benefit_plans ORDER BY ALL")
        expected = [("B0001", "2020-01", 100.0), ("B0001", "2020-02", 100.0), ("B0002", "2020-03", 250.0),
                    ("B0003", "2020-01", 100.0), ("B0003", "2020-02", 100.0), ("B0004", "2020-01", 400.0)]
        assert stored.execute(sql).fetchall() == expected
        assert native.execute(sql).fetchall() == expected
        # B0004 again: outside the range of the first batch's files, in the later batch's file
        assert _deliver(stored, native, contract, work, 3, [("B0004", "2020-02", 410)]).rows_replaced == 1
        assert stored.execute("SELECT benefit_id, strftime(month, '%Y-%m'), planned_sek FROM fact_benefit_plans "
                              "WHERE benefit_id = 'B0004'").fetchall() == [("B0004", "2020-02", 410.0)]
        assert stored.execute("SELECT count(*) FROM fact_benefit_plans").fetchone()[0] == 6
