"""Issue 12, "loads a city can trust": hostile files, each with its exact counts and messages.

Injection (names and headers), plausibility (numbers in the file's own format, finite numbers,
whole numbers beyond BIGINT, dates in the window, one encoding per file, a cut-off last line),
revisions by content (A, B, A), period-scoped withdrawal (outages), one failing batch never stops
the others, plain messages and no traceback."""
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from etl.contracts import load_contracts
from etl.load import load_batch
from etl.readers import read_file
from etl.schema import create_all
from etl_helpers import fixture, load, query
from pipeline.cli import PlannedBatch, exit_code, plan_files, run_batches

REPO = Path(__file__).resolve().parents[2]
HEADER = "line_id;month;committee_code;account;amount_sek;supplier_type;cost_class\n"


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    """The plausibility window: 2000-01-01 … end of the month after 2026-11 (2026-12-31)."""
    monkeypatch.setenv("SCORECARD_TODAY", "2026-11-30")
    monkeypatch.delenv("SCORECARD_EARLIEST_DATE", raising=False)
    monkeypatch.delenv("SCORECARD_FUTURE_MONTHS", raising=False)


@pytest.fixture
def con():
    con = duckdb.connect()
    create_all(con)
    load_batch(con, load_contracts()["committees"], lambda: read_file(fixture("committees.csv")), "committees.csv")
    yield con
    con.close()


def lenient(source: str):
    return replace(load_contracts()[source], max_bad_share=1.0)


def cost_lines(n: int, month: str = "2024-01", start: int = 1) -> str:
    return "".join(f"L{i:03d};{month};BROMMA;5410;{i} 000,50;external;run\n" for i in range(start, start + n))


def write(tmp_path: Path, name: str, text: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
    return path


def quarantine(con, batch_id: int) -> list[tuple]:
    return con.execute("SELECT source_row, column_name, rule, reason FROM etl_quarantine WHERE batch_id = ? "
                       "ORDER BY source_row, column_name, rule", [batch_id]).fetchall()


# ------------------------------------------------------------------ 1. no SQL from file content
HOSTILE_NAMES = ["committees_x'); DELETE FROM dim_committees; --.csv", 'committees_{path}"$$;--.csv',
                 "committees_$$ {path} $1.csv"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_file_names_and_headers_load_as_data_never_as_sql(warehouse, tmp_path, name):
    load(warehouse, "committees.csv")
    header = ("committee_code;name_sv;name_en;kind;peer_group;"
              "{path};\"x'); DELETE FROM dim_committees; --\";\"a\"\"b\";$$;c;--\n")
    body = "NEWA;Ny nämnd;New board;company;companies;{path};\"'); DROP TABLE dim_committees; --\";q;$$;;--\n"
    (result,) = load(warehouse, write(tmp_path, name, header + body))
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 1, 0)
    assert query(warehouse, "SELECT count(*) FROM dim_committees") == [(6,)]  # the fixture's 5 + NEWA
    assert query(warehouse, "SELECT name_sv FROM dim_committees WHERE committee_code = 'NEWA'") == [("Ny nämnd",)]
    assert query(warehouse, "SELECT file_name, status FROM etl_batches WHERE batch_id = 2") == [(name, "loaded")]


def test_bad_row_reason_carries_a_hostile_file_name_verbatim(con, tmp_path):
    name = "it_costs_'); DROP TABLE fact_it_costs; --$$.csv"
    path = write(tmp_path, name, HEADER + "L1;2024-01;BROMMA;5410;tolv;external;run\n" + cost_lines(2, start=2))
    result = load_batch(con, lenient("it_costs"), lambda: read_file(path), name)
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 2, 1)
    assert quarantine(con, result.batch_id) == [
        (1, "amount_sek", "type", f'{name} row 1, column amount_sek: "tolv" is not a number')]


def test_parquet_column_names_with_quotes_and_path_marker(con, tmp_path):
    frame = pd.DataFrame({"line_id": ["P1", "P2"], "month": ["2024-01", "2024-01"], "committee_code": ["BROMMA"] * 2,
                          "account": ["5410"] * 2, "amount_sek": [1.5, 2.5], "supplier_type": ["external"] * 2,
                          "cost_class": ["run"] * 2, '{path}"); DROP TABLE x; --': ["a", "b"], "$$": [1, 2]})
    path = tmp_path / "it_costs_q'uote.parquet"
    frame.to_parquet(path)
    result = load_batch(con, load_contracts()["it_costs"], lambda: read_file(path), path.name)
    assert (result.status, result.rows_loaded) == ("loaded", 2)
    assert con.execute("SELECT sum(amount_sek) FROM fact_it_costs").fetchall() == [(4.0,)]


# ------------------------------------------------------------------ 2. plausibility
def test_numbers_only_in_the_files_own_format(con, tmp_path):
    rows = ["B1;2024-01;BROMMA;5410;1.234;external;run",          # '.' in a decimal-comma file
            "B2;2024-01;BROMMA;5410;3 66;external;run",           # a cut-off "3 663 228,08"
            "B3;2024-01;BROMMA;5410;1e400;external;run",          # overflows to infinity
            "B4;2024-01;BROMMA;5410;-inf;external;run",
            "B5;2024-01;BROMMA;5410;NaN;external;run",
            "B6;2024-01;BROMMA;5410;3 663 228,08;external;run",   # fine
            "B7;2024-01;BROMMA;5410;12,5e2;external;run"]         # fine: 1250
    path = write(tmp_path, "it_costs_formats.csv", HEADER + "\n".join(rows) + "\n")
    result = load_batch(con, lenient("it_costs"), lambda: read_file(path), path.name)
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 2, 5)
    f = "it_costs_formats.csv row"
    fmt = " is not a number in this file's number format (decimal comma: write 1234,5 or 1 234,5)"
    assert quarantine(con, result.batch_id) == [
        (1, "amount_sek", "type", f'{f} 1, column amount_sek: "1.234"{fmt}'),
        (2, "amount_sek", "type", f'{f} 2, column amount_sek: "3 66"{fmt}'),
        (3, "amount_sek", "type", f'{f} 3, column amount_sek: "1e400" is not a finite number (too large)'),
        (4, "amount_sek", "type", f'{f} 4, column amount_sek: "-inf" is not a finite number'),
        (5, "amount_sek", "type", f'{f} 5, column amount_sek: "NaN" is not a finite number'),
    ]
    assert con.execute("SELECT line_id, amount_sek FROM fact_it_costs ORDER BY 1").fetchall() == [
        ("B6", 3663228.08), ("B7", 1250.0)]


def test_comma_in_a_decimal_point_file_is_a_bad_row(con, tmp_path):
    path = write(tmp_path, "it_costs_dot.csv", HEADER.replace(";", ",") +
                 'D1,2024-01,BROMMA,5410,"1,234",external,run\nD2,2024-01,BROMMA,5410,1234.5,external,run\n')
    result = load_batch(con, lenient("it_costs"), lambda: read_file(path), path.name)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert quarantine(con, result.batch_id)[0][3] == (
        'it_costs_dot.csv row 1, column amount_sek: "1,234" is not a number in this file\'s number format '
        "(decimal point, no thousands separator: write 1234.5)")


def test_parquet_infinity_and_nan_are_quarantined(con, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"line_id": ["P1", "P2", "P3"], "month": ["2024-01"] * 3, "committee_code": ["BROMMA"] * 3,
                      "account": ["5410"] * 3,
                      "amount_sek": pa.array([float("inf"), float("nan"), 7.25], from_pandas=False),
                      "supplier_type": ["external"] * 3, "cost_class": ["run"] * 3})
    path = tmp_path / "it_costs_inf.parquet"
    pq.write_table(table, path)
    result = load_batch(con, lenient("it_costs"), lambda: read_file(path), path.name)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 2)
    assert [r[2:] for r in quarantine(con, result.batch_id)] == [
        ("finite", 'it_costs_inf.parquet row 1, column amount_sek: "inf" is not a finite number'),
        ("finite", 'it_costs_inf.parquet row 2, column amount_sek: "nan" is not a finite number')]


def test_whole_number_beyond_bigint_is_a_bad_row_not_a_crash(con, tmp_path):
    load_batch(con, load_contracts()["systems"], lambda: read_file(fixture("systems.xlsx")), "systems.xlsx")
    path = write(tmp_path, "systems_big.csv",
                 "system_id,name,owner_committee,tier,critical,key_system,agreed_hours_per_week,intended_users\n"
                 "SYS0101,A,BROMMA,basic,true,false,40,99999999999999999999\n"
                 "SYS0102,B,BROMMA,basic,true,false,40,9223372036854775807\n")
    result = load_batch(con, lenient("systems"), lambda: read_file(path), path.name)
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 1, 1)
    assert quarantine(con, result.batch_id)[0][3] == (
        'systems_big.csv row 1, column intended_users: "99999999999999999999" is a whole number too large to '
        "store (more than 19 digits)")
    # exact, no detour through a floating-point number
    assert con.execute("SELECT intended_users FROM dim_systems WHERE system_id = 'SYS0102'").fetchall() == [
        (9223372036854775807,)]


def test_dates_outside_the_plausible_window_are_quarantined(con, tmp_path):
    rows = HEADER + cost_lines(40) + "F1;2031-05;BROMMA;5410;1,0;external;run\nF2;1900-01;BROMMA;5410;1,0;external;run\n"
    path = write(tmp_path, "it_costs_dates.csv", rows)
    result = load_batch(con, load_contracts()["it_costs"], lambda: read_file(path), path.name)
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 40, 2)
    window = ("is outside the plausible dates 2000-01-01 to 2026-12-31; check the value (the window is set by "
              "SCORECARD_EARLIEST_DATE / SCORECARD_FUTURE_MONTHS)")
    assert quarantine(con, result.batch_id) == [
        (41, "month", "plausible", f"it_costs_dates.csv row 41, column month: 2031-05 {window}"),
        (42, "month", "plausible", f"it_costs_dates.csv row 42, column month: 1900-01 {window}")]
    assert con.execute("SELECT max(month) FROM fact_it_costs").fetchall()[0][0].isoformat() == "2024-01-01"


def test_plausible_window_is_configurable(con, tmp_path, monkeypatch):
    monkeypatch.setenv("SCORECARD_EARLIEST_DATE", "2024-02-01")
    path = write(tmp_path, "it_costs_early.csv", HEADER + cost_lines(1, "2024-01") + cost_lines(1, "2024-02", 2))
    result = load_batch(con, lenient("it_costs"), lambda: read_file(path), path.name)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert quarantine(con, result.batch_id)[0][:3] == (1, "month", "plausible")


def test_outage_dated_year_one_is_quarantined_not_expanded(con, tmp_path):
    load_batch(con, load_contracts()["systems"], lambda: read_file(fixture("systems.xlsx")), "systems.xlsx")
    path = write(tmp_path, "outages_0001.csv", "outage_id,system_id,started_at,ended_at,planned\n"
                 "O1,SYS0001,0001-01-01 00:00,2024-01-01 01:00,false\nO2,SYS0001,2024-01-02 00:00,2024-01-02 02:00,false\n")
    result = load_batch(con, lenient("outages"), lambda: read_file(path), path.name)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert quarantine(con, result.batch_id)[0][:3] == (1, "started_at", "plausible")


def test_truncated_last_line_is_quarantined(con, tmp_path):
    """Cut inside the last field: every field is there, but the value may be incomplete."""
    path = write(tmp_path, "it_costs_cut.csv", HEADER + cost_lines(3) + "L099;2024-01;BROMMA;5410;3 663,08;external;ru")
    result = load_batch(con, lenient("it_costs"), lambda: read_file(path), path.name)
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 3, 1)
    assert quarantine(con, result.batch_id)[-2:] == [
        (4, "cost_class", "allowed", 'it_costs_cut.csv row 4, column cost_class: "ru" is not one of run, grow, transform'),
        (4, None, "truncated", "it_costs_cut.csv row 4: the file ends inside this last line (no line break after "
         "it), so the line may be cut off; check the export and load the whole file again")]


def test_truncated_last_line_is_quarantined_even_when_the_value_looks_valid(con, tmp_path):
    path = write(tmp_path, "it_costs_cut2.csv", HEADER + cost_lines(2) + "L099;2024-01;BROMMA;5410;3 663,08;external;run")
    result = load_batch(con, lenient("it_costs"), lambda: read_file(path), path.name)
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    assert [r[2] for r in quarantine(con, result.batch_id)] == ["truncated"]


def test_truncated_line_with_fields_missing_rejects_with_a_plain_message(con, tmp_path):
    path = write(tmp_path, "it_costs_cut3.csv", HEADER + cost_lines(2) + "L099;2024-01;BROMMA;5410;366")
    result = load_batch(con, load_contracts()["it_costs"], lambda: read_file(path), path.name)
    assert (result.status, result.message) == ("rejected", (
        "it_costs_cut3.csv cannot be read: row 3 (line 4 of the file) has 5 fields but the header has 7 (a cut-off "
        "line, or a delimiter inside an unquoted value); nothing loaded"))


def test_truncated_inside_a_quoted_value_rejects_with_a_plain_message(con, tmp_path):
    path = write(tmp_path, "it_costs_cutq.csv", HEADER + cost_lines(2) + 'L099;2024-01;BROMMA;5410;"3 66')
    result = load_batch(con, load_contracts()["it_costs"], lambda: read_file(path), path.name)
    assert result.status == "rejected"
    assert result.message == (
        "it_costs_cutq.csv cannot be read: row 3 (line 4 of the file) has a quoted value that never ends "
        "(the file may be cut off inside a quoted value); nothing loaded")


# ------------------------------------------------------------------ encodings and headers
def test_mixed_utf8_and_windows_1252_is_rejected(con, tmp_path):
    data = ("committee_code;name_sv;name_en;kind;peer_group\n".encode()
            + "MIXA;Bromma nämnd;A;company;companies\n".encode("cp1252")
            + "MIXB;Skärholmen nämnd;B;company;companies\n".encode("utf-8"))
    path = write(tmp_path, "committees_mixed.csv", data)
    result = load_batch(con, load_contracts()["committees"], lambda: read_file(path), path.name)
    assert result.status == "rejected"
    assert result.message == (
        "committees_mixed.csv mixes two encodings: line 3 is UTF-8 text but line 2 is Windows-1252; save the "
        "whole file in one encoding (CSV UTF-8) and load it again; nothing loaded")


HEAD_C = "committee_code;name_sv;name_en;kind;peer_group\n"


@pytest.mark.parametrize("name,data,outcome", [
    # Windows-1252 bytes that are valid UTF-8 by chance: "Ä–" (C4 96) reads as "Ė" — two readings, rejected
    ("committees_amb.csv", (HEAD_C + "AMB1;Ä–;A;company;companies\n").encode("cp1252"),
     'committees_amb.csv cannot be read with certainty: line 2 is valid UTF-8 ("AMB1;Ė;A;company;companies") but '
     'reads just as well as Windows-1252 ("AMB1;Ä–;A;company;companies"); save the file as CSV UTF-8 (with BOM) '
     'and load it again; nothing loaded'),
    # one such line in a file that is Windows-1252 elsewhere: one more Windows-1252 line, not "mixed"
    ("committees_amb_mixed.csv", (HEAD_C + "AMB1;Ä–nämnd;A;company;companies\nAMB2;Älvsjö;B;company;companies\n"
                                  ).encode("cp1252"), ["Ä–nämnd", "Älvsjö"]),
    # real UTF-8 with characters of other languages (Polish, Turkish, Chinese) is not ambiguous
    ("committees_intl.csv", (HEAD_C + "INT1;Łódź Kuşadası 中文;A;company;companies\n").encode("utf-8"),
     ["Łódź Kuşadası 中文"]),
    # the same ambiguous text saved with a BOM declares UTF-8: loaded as UTF-8
    ("committees_bom.csv", b"\xef\xbb\xbf" + (HEAD_C + "BOM1;Ėlė;A;company;companies\n").encode("utf-8"), ["Ėlė"]),
])
def test_bytes_with_two_readings_are_never_loaded_as_either(con, tmp_path, name, data, outcome):
    path = write(tmp_path, name, data)
    result = load_batch(con, load_contracts()["committees"], lambda: read_file(path), path.name)
    if isinstance(outcome, str):
        assert result.status == "rejected"
        assert result.message == outcome
        assert con.execute("SELECT count(*) FROM dim_committees WHERE committee_code LIKE 'AMB%'").fetchall() == [(0,)]
    else:
        assert result.status == "loaded", result.message
        got = [r[0] for r in con.execute("SELECT name_sv FROM dim_committees WHERE _batch_id = ? ORDER BY _source_row",
                                         [result.batch_id]).fetchall()]
        assert got == outcome


@pytest.mark.parametrize("name,data,message", [
    ("committees_u16.csv", "committee_code;name_sv\nA;b\n".encode("utf-16"),
     "committees_u16.csv is saved as UTF-16 (or is not a text file at all); save it as CSV UTF-8 and load it "
     "again; nothing loaded"),
    ("committees_u16le.csv", "committee_code;name_sv\nA;b\n".encode("utf-16-le"),
     "committees_u16le.csv is saved as UTF-16 (or is not a text file at all); save it as CSV UTF-8 and load it "
     "again; nothing loaded"),
    ("committees_case.csv", b"committee_code;Name_sv;name_SV;name_en;kind;peer_group\n",
     "committees_case.csv has the columns Name_sv (column 2) and name_SV (column 3), whose names differ only "
     "in upper/lower case; remove or rename one of them; nothing loaded"),
    ("committees_long.csv", b"committee_code;name_sv;name_en;kind;peer_group\nA1;" + b"x" * 2_100_000 + b";b;company;companies\n",
     "committees_long.csv cannot be read: row 1 (line 2 of the file) is longer than 2 MB, which no source of "
     "this product has; check the export; nothing loaded"),
    ("committees_oneline.csv", b"x" * 10_000_000,
     "committees_oneline.csv has a first line longer than 64 KB, which is not a header row (is the whole file "
     "one line, or not CSV at all?); nothing loaded"),
])
def test_unreadable_files_get_plain_messages(con, tmp_path, name, data, message):
    path = write(tmp_path, name, data)
    result = load_batch(con, load_contracts()["committees"], lambda: read_file(path), name)
    assert (result.status, result.message) == ("rejected", message)


def test_trailing_empty_columns_from_excel_are_ignored(con, tmp_path):
    path = write(tmp_path, "committees_semis.csv", "committee_code;name_sv;name_en;kind;peer_group;;\n"
                 "SEMI;Semi;Semi;company;companies;;\n")
    result = load_batch(con, load_contracts()["committees"], lambda: read_file(path), path.name)
    assert (result.status, result.rows_loaded) == ("loaded", 1)


# ------------------------------------------------------------------ 3. revisions by content
def test_revision_a_then_b_then_a_makes_a_current_again(warehouse, tmp_path):
    load(warehouse, "committees.csv")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = write(tmp_path / "a", "it_costs_2024-03.csv", HEADER + cost_lines(3, "2024-03"))
    b = write(tmp_path / "b", "it_costs_2024-03.csv", HEADER + cost_lines(2, "2024-03", start=7))
    amounts = "SELECT line_id FROM fact_it_costs ORDER BY 1"
    assert [r.status for r in load(warehouse, a)] == ["loaded"]
    assert [r.status for r in load(warehouse, b)] == ["loaded"]
    assert query(warehouse, amounts) == [("L007",), ("L008",)]
    (third,) = load(warehouse, a)
    assert (third.status, third.rows_loaded, third.rows_replaced) == ("loaded", 3, 2)
    assert query(warehouse, amounts) == [("L001",), ("L002",), ("L003",)]
    (fourth,) = load(warehouse, a)
    assert (fourth.status, fourth.message) == (
        "unchanged", "it_costs_2024-03.csv: same content as batch 4, already loaded; nothing changed")


def test_outages_redelivered_without_some_are_withdrawn(warehouse, tmp_path):
    load(warehouse, "committees.csv", "systems.xlsx")
    head = "outage_id,system_id,started_at,ended_at,planned\n"
    rows = [f"O{i},SYS0001,2024-01-{i:02d} 10:00,2024-01-{i:02d} 11:00,false\n" for i in range(1, 9)]
    feb = "OF,SYS0001,2024-02-03 10:00,2024-02-03 11:00,false\n"
    (first,) = load(warehouse, write(tmp_path, "outages_1.csv", head + "".join(rows) + feb))
    assert first.rows_loaded == 9
    (second,) = load(warehouse, write(tmp_path, "outages_2.csv", head + "".join(rows[:3])))
    assert (second.rows_loaded, second.rows_replaced) == (3, 8)
    assert query(warehouse, "SELECT outage_id FROM fact_outages ORDER BY 1") == [("O1",), ("O2",), ("O3",), ("OF",)]


# ------------------------------------------------------------------ 4. one batch never stops the others
def test_a_failing_batch_does_not_stop_the_other_files(warehouse, tmp_path):
    def explode():
        raise ValueError("boom in the reader")

    planned = plan_files([fixture("committees.csv")])
    planned.append(PlannedBatch(load_contracts()["it_costs"], "it_costs_broken.csv", explode))
    planned += plan_files([fixture("it_costs_2024.csv")])
    results = run_batches(planned, warehouse)
    assert [(r.file_name, r.status) for r in results] == [
        ("committees.csv", "loaded"), ("it_costs_broken.csv", "rejected"), ("it_costs_2024.csv", "loaded")]
    assert results[1].message == ("it_costs_broken.csv: the load failed unexpectedly (ValueError: boom in the "
                                  "reader); nothing loaded from this file")
    assert exit_code(results) == 2
    assert query(warehouse, "SELECT count(*) FROM fact_it_costs") == [(19,)]


def test_cli_never_shows_a_traceback(tmp_path):
    path = write(tmp_path, "committees_oneline.csv", b"x" * 10_000_000)
    env = {"SCORECARD_WAREHOUSE": str(tmp_path / "w.duckdb"), "PATH": "/usr/bin:/bin", "GX_ANALYTICS_ENABLED": "false"}
    done = subprocess.run([sys.executable, "-m", "etl", "load", str(path)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr
    assert "committees_oneline.csv has a first line longer than 64 KB" in done.stdout


def test_monthly_committee_figures_redelivered_without_a_committee_are_withdrawn(warehouse, tmp_path):
    load(warehouse, "committees.csv")
    head = "month,committee_code,it_users,headcount\n"
    (first,) = load(warehouse, write(tmp_path, "it_users_1.csv", head + "2024-01,BROMMA,10,12\n2024-01,UTBN,20,25\n"
                                     "2024-02,UTBN,21,25\n"))
    assert first.rows_loaded == 3
    (second,) = load(warehouse, write(tmp_path, "it_users_2.csv", head + "2024-01,BROMMA,11,12\n"))
    assert (second.rows_loaded, second.rows_replaced) == (1, 2)
    assert query(warehouse, "SELECT strftime(month, '%Y-%m'), committee_code, it_users FROM fact_it_users ORDER BY 1, 2") == [
        ("2024-01", "BROMMA", 11), ("2024-02", "UTBN", 21)]


def test_excel_headers_with_sql_text_are_only_names(con, tmp_path):
    frame = pd.DataFrame({"committee_code": ["XLA", "XLB"], "name_sv": ["Ä", "B"], "name_en": ["A", "B"],
                          "kind": ["company"] * 2, "peer_group": ["companies"] * 2,
                          "{path}'); DROP TABLE dim_committees; --": ["$$", ";"]})
    path = tmp_path / "committees_x'$$.xlsx"
    frame.to_excel(path, index=False, engine="openpyxl")
    result = load_batch(con, load_contracts()["committees"], lambda: read_file(path), path.name)
    assert (result.status, result.rows_loaded) == ("loaded", 2)
    assert con.execute("SELECT committee_code, name_sv FROM dim_committees WHERE committee_code LIKE 'XL%' "
                       "ORDER BY 1").fetchall() == [("XLA", "Ä"), ("XLB", "B")]


def test_the_reported_attack_on_targets_deletes_nothing(warehouse, tmp_path):
    """The issue's case: a header with {path} plus a file name that closes the path literal."""
    load(warehouse, "committees.csv")
    head = "committee_code,year,measure_id,target,red_threshold,changed_by,changed_at,reason\n"
    first = write(tmp_path, "target_overrides_ok.csv", head + "BROMMA,2025,E1,80,65,it,2026-01-14 10:00,Mål\n")
    assert [r.status for r in load(warehouse, first)] == ["loaded"]
    evil = "target_overrides_x', header=true); DELETE FROM targets; SELECT * FROM read_csv('y.csv"
    crafted = write(tmp_path, evil + ".csv", head.rstrip("\n") + ",{path}\n"
                    "UTBN,2025,E1,70,55,it,2026-01-15 10:00,Mål,x\n")
    (result,) = load(warehouse, crafted)
    assert (result.status, result.rows_loaded) == ("loaded", 1)
    assert query(warehouse, "SELECT committee_code, target FROM targets ORDER BY 1") == [("BROMMA", 80.0), ("UTBN", 70.0)]


def test_a_failure_during_the_write_rolls_the_batch_back(con, tmp_path, monkeypatch):
    """Delete of the scope and insert already ran when the quarantine insert fails: all undone."""
    import etl.load

    first = write(tmp_path, "it_costs_first.csv", HEADER + cost_lines(3))
    assert load_batch(con, lenient("it_costs"), lambda: read_file(first), first.name).rows_loaded == 3
    before = con.execute("SELECT * FROM fact_it_costs ORDER BY ALL").fetchall()

    def broken(*args, **kwargs):
        raise duckdb.IOException("disk full while writing the quarantine")

    monkeypatch.setattr(etl.load, "_quarantine", broken)
    second = write(tmp_path, "it_costs_second.csv", HEADER + cost_lines(2, start=5) + "X1;2024-01;BROMMA;54;1;external;run\n")
    result = load_batch(con, lenient("it_costs"), lambda: read_file(second), second.name)
    assert (result.status, result.rows_loaded) == ("rejected", 0)
    assert (result.status, result.rows_loaded) == ("rejected", 0)
    assert result.message == ("it_costs_second.csv: a file could not be read or written (IOException: disk full "
                              "while writing the quarantine); nothing loaded from this file")
    assert con.execute("SELECT * FROM fact_it_costs ORDER BY ALL").fetchall() == before
    assert con.execute("SELECT count(*) FROM etl_quarantine").fetchall() == [(0,)]
    assert con.execute("SELECT status FROM etl_batches WHERE batch_id = ?", [result.batch_id]).fetchall() == [
        ("rejected",)]
