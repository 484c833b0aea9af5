"""A file read straight (no event-log collapse) is staged as a TEMP view `cand` over source_raw instead of a copy
of every cell (etl/load.py `_stage`, view=True; docs/benchmark.md "Typing, rules and write, session 7"). For any
file — hostile text included — the view gives exactly the rows, typed values, violations and quarantine text the
copied table gives, and a load leaves no TEMP object behind."""
import csv

import duckdb
from hypothesis import HealthCheck, given, settings, strategies as st

from etl.contracts import load_contracts
from etl.load import _drop_temp, _stage, load_batch
from etl.readers import read_file
from etl.rules import create_typed, create_violations
from etl.schema import create_all

CONTRACT = load_contracts()["outages"]
TEMPS = "('cand', 'typed', 'violations', 'source_raw')"
HEADER = ["outage_id", "system_id", "started_at", "ended_at", "planned"]

hostile = st.sampled_from(["", " ", "?", "\u00a0x\u00a0", "'; DROP TABLE fact_outages; --", "a\"b", "å ä ö",
                           "1,5", "SYS001", "SYS002 ", "\t"])
times = st.sampled_from(["2024-01-05 10:00", "2024-01-05 09:00", " 2024-02-01 00:00", "2024-13-01 00:00", "?", "",
                         "not a time", "1899-01-01 00:00"])
planned = st.sampled_from(["true", "false", "ja", "nej", "1", "0", "maybe", "", " TRUE "])
rows = st.lists(st.tuples(st.sampled_from(["O1", "O2", "O3", " O1", "?", ""]), hostile, times, times, planned),
                min_size=1, max_size=25)


def _write(path, data_rows):
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(data_rows)
    return path


def _stage_and_check(path, view: bool):
    con = duckdb.connect()
    try:
        create_all(con)
        con.execute("INSERT INTO dim_systems (system_id) VALUES ('SYS001')")
        data = read_file(path)
        present, rows_read, native = _stage(con, CONTRACT, data, {}, view=view)
        create_typed(con, CONTRACT, present, data.decimal_comma, native)
        create_violations(con, CONTRACT, data.file_name, native, data.decimal_comma)
        cand = con.execute("SELECT * FROM cand ORDER BY _source_row").fetchall()
        typed = con.execute("SELECT * FROM typed ORDER BY _source_row").fetchall()
        typed_order = [r for (r,) in con.execute("SELECT _source_row FROM typed").fetchall()]
        violations = con.execute("SELECT * FROM violations ORDER BY ALL").fetchall()
        # the quarantine's original text: what etl/load.py `_quarantine` packs from cand
        packed = con.execute("SELECT v._source_row, to_json(struct_pack(outage_id := c.outage_id, "
                             "system_id := c.system_id, planned := c.planned)) FROM violations v "
                             "JOIN cand c USING (_source_row) ORDER BY ALL").fetchall()
        _drop_temp(con)
        left = con.execute(f"SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name IN {TEMPS}").fetchone()[0] \
            + con.execute(f"SELECT count(*) FROM duckdb_views() WHERE temporary AND view_name IN {TEMPS}").fetchone()[0]
        return rows_read, cand, typed, typed_order, violations, packed, left
    finally:
        con.close()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data_rows=rows)
def test_the_view_stages_what_the_copy_stages(tmp_path, data_rows):
    path = _write(tmp_path / "outages.csv", data_rows)
    as_view, as_table = _stage_and_check(path, True), _stage_and_check(path, False)
    assert as_view == as_table
    rows_read, cand, _typed, typed_order, _v, _p, left = as_view
    assert rows_read == len(data_rows) and [r[0] for r in cand] == list(range(1, len(data_rows) + 1))
    assert typed_order == sorted(typed_order)   # typed is in file order: `_insert` relies on it for the order
    assert left == 0
    # the original text reaches cand unchanged (hostile text is a value, never SQL; an empty field is NULL)
    assert [tuple(r[1:]) for r in cand] == [tuple(v or None for v in x) for x in data_rows]


def test_a_load_through_the_view_quarantines_the_original_text_by_hand(tmp_path):
    """20 outages of a known system and, in row 21, one with an unknown system and a padded id (1 of 21 rows: under
    the 5 % allowed): the 20 load in file order, row 21 is quarantined with the file's own text; no TEMP table
    or view is left."""
    good = [[f"O{i}", "SYS001", f"2024-01-{i:02d} 10:00", f"2024-01-{i:02d} 11:00", "false"] for i in range(1, 21)]
    path = _write(tmp_path / "outages.csv", good + [[" O21", "'; DROP", "2024-01-06 10:00", "2024-01-06 11:00", "ja"]])
    con = duckdb.connect()
    try:
        create_all(con)
        con.execute("INSERT INTO dim_systems (system_id) VALUES ('SYS001')")
        result = load_batch(con, CONTRACT, lambda: read_file(path), path.name)
        assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 20, 1)
        assert con.execute("SELECT outage_id, system_id, planned, _source_row FROM fact_outages").fetchall() == [
            (f"O{i}", "SYS001", False, i) for i in range(1, 21)]
        assert con.execute("SELECT source_row, column_name, rule, reason, json_extract_string(raw_values, '$.outage_id'), "
                           "json_extract_string(raw_values, '$.system_id') FROM etl_quarantine").fetchall() == [
            (21, "system_id", "references", "outages.csv row 21, column system_id: \"'; DROP\" is not a known "
             "system_id in dim_systems (load that source first)", " O21", "'; DROP")]
        assert con.execute(f"SELECT count(*) FROM duckdb_views() WHERE temporary AND view_name IN {TEMPS}"
                           ).fetchone()[0] == 0
        assert con.execute(f"SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name IN {TEMPS}"
                           ).fetchone()[0] == 0
    finally:
        con.close()
