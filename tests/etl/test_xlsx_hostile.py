"""Issue 12 for Excel files: hostile and awkward workbooks, each with its exact counts and messages.

Mixed types in a column, dates as date cells, as text and as bare serial numbers, a second sheet,
formula cells, blank rows, whole numbers beyond BIGINT, a workbook that is not a zip (a CSV renamed,
an encrypted workbook), a cut-off or damaged zip, and a workbook written the way Excel writes it
(shared strings) with a huge shared-strings table."""
import datetime
import zipfile
from dataclasses import replace
from pathlib import Path
from xml.sax.saxutils import escape

import duckdb
import openpyxl
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

from etl.contracts import load_contracts
from etl.load import load_batch
from etl.readers import _float_text, _float_texts, read_file
from etl.schema import create_all
from etl_helpers import fixture

COST_HEADER = ["line_id", "month", "committee_code", "account", "amount_sek", "supplier_type", "cost_class"]


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
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


def workbook(path: Path, *sheets: tuple[str, list[list]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def load(con, source: str, path: Path):
    return load_batch(con, lenient(source), lambda: read_file(path), path.name)


def quarantine(con, batch_id: int) -> list[tuple]:
    return con.execute("SELECT source_row, column_name, rule, reason FROM etl_quarantine WHERE batch_id = ? "
                       "ORDER BY source_row, column_name, rule", [batch_id]).fetchall()


def costs(con) -> list[tuple]:
    return con.execute("SELECT line_id, strftime(month, '%Y-%m'), amount_sek FROM fact_it_costs ORDER BY 1").fetchall()


def test_mixed_types_in_a_number_column(con, tmp_path):
    """Number cells, numbers typed as text in either convention, words, an empty cell, a boolean."""
    rows = [["M1", "2024-01", "BROMMA", "5410", 1234.5, "external", "run"],
            ["M2", "2024-01", "BROMMA", "5410", "1234.5", "external", "run"],      # text, decimal point: fine
            ["M3", "2024-01", "BROMMA", "5410", "1 234,5", "external", "run"],     # the other convention
            ["M4", "2024-01", "BROMMA", "5410", "tolv", "external", "run"],
            ["M5", "2024-01", "BROMMA", "5410", None, "external", "run"],
            ["M6", "2024-01", "BROMMA", "5410", True, "external", "run"],
            ["M7", "2024-01", "BROMMA", "5410", 7, "external", "run"]]
    result = load(con, "it_costs", workbook(tmp_path / "it_costs_mixed.xlsx", ("Blad1", [COST_HEADER, *rows])))
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == ("loaded", 7, 3, 4)
    f = "it_costs_mixed.xlsx row"
    fmt = " is not a number in this file's number format (decimal point, no thousands separator: write 1234.5)"
    assert quarantine(con, result.batch_id) == [
        (3, "amount_sek", "type", f'{f} 3, column amount_sek: "1 234,5"{fmt}'),
        (4, "amount_sek", "type", f'{f} 4, column amount_sek: "tolv" is not a number'),
        (5, "amount_sek", "required", f"{f} 5, column amount_sek: the value is missing but the column is required"),
        (6, "amount_sek", "type", f'{f} 6, column amount_sek: "true" is not a number')]
    assert costs(con) == [("M1", "2024-01", 1234.5), ("M2", "2024-01", 1234.5), ("M7", "2024-01", 7.0)]


def test_dates_as_date_cells_as_text_and_as_bare_serial_numbers(con, tmp_path):
    rows = [["D1", datetime.datetime(2024, 3, 1), "BROMMA", "5410", 1, "external", "run"],   # a date cell
            ["D2", "2024-04", "BROMMA", "5410", 2, "external", "run"],                        # text
            ["D3", 45383, "BROMMA", "5410", 3, "external", "run"],        # a serial without date format
            ["D4", datetime.datetime(2031, 5, 1), "BROMMA", "5410", 4, "external", "run"],   # implausible
            ["D5", "april 2024", "BROMMA", "5410", 5, "external", "run"]]
    result = load(con, "it_costs", workbook(tmp_path / "it_costs_dates.xlsx", ("Blad1", [COST_HEADER, *rows])))
    assert (result.rows_loaded, result.rows_quarantined) == (2, 3)
    f = "it_costs_dates.xlsx row"
    assert quarantine(con, result.batch_id) == [
        (3, "month", "type", f'{f} 3, column month: "45383" is not a month (YYYY-MM)'),
        (4, "month", "plausible", f"{f} 4, column month: 2031-05-01 is outside the plausible dates 2000-01-01 to "
         "2026-12-31; check the value (the window is set by SCORECARD_EARLIEST_DATE / SCORECARD_FUTURE_MONTHS)"),
        (5, "month", "type", f'{f} 5, column month: "april 2024" is not a month (YYYY-MM)')]
    assert costs(con) == [("D1", "2024-03", 1.0), ("D2", "2024-04", 2.0)]


def test_only_the_first_sheet_is_read_and_the_note_says_so(con, tmp_path):
    first = [COST_HEADER, ["S1", "2024-01", "BROMMA", "5410", 1, "external", "run"],
             ["S2", "2024-01", "BROMMA", "5410", 2, "external", "run"]]
    second = [COST_HEADER, *[[f"X{i}", "2024-01", "BROMMA", "5410", i, "external", "run"] for i in range(3)]]
    path = workbook(tmp_path / "it_costs_two.xlsx", ("Kostnader", first), ("Gammalt", second))
    result = load(con, "it_costs", path)
    assert (result.rows_read, result.rows_loaded) == (2, 2)
    assert result.message.startswith("it_costs_two.xlsx (Excel workbook, first sheet 'Kostnader' of 2 (the other "
                                     "sheets are not read)): 2 rows loaded into fact_it_costs")
    assert [r[0] for r in costs(con)] == ["S1", "S2"]
    one = load(con, "it_costs", workbook(tmp_path / "it_costs_one.xlsx", ("Kostnader", first)))
    assert one.message.startswith("it_costs_one.xlsx (Excel workbook, first sheet): ")


def test_formula_cells_give_their_saved_value_never_the_formula(con, tmp_path):
    """A formula saved without its value (written by a program, never opened in Excel) is an empty
    cell; formula-looking text in a text cell stays text."""
    rows = [["F1", "2024-01", "BROMMA", "5410", "=SUM(1,2)", "external", "run"],
            ["=HYPERLINK(\"http://x\")", "2024-01", "BROMMA", "5410", 5, "external", "run"]]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(COST_HEADER)
    for row in rows:
        sheet.append(row)
    sheet["A3"].data_type = "s"  # text that starts with '=': a string cell, not a formula
    path = tmp_path / "it_costs_formula.xlsx"
    book.save(path)
    result = load(con, "it_costs", path)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert quarantine(con, result.batch_id) == [
        (1, "amount_sek", "required",
         "it_costs_formula.xlsx row 1, column amount_sek: the value is missing but the column is required")]
    assert costs(con) == [('=HYPERLINK("http://x")', "2024-01", 5.0)]


def test_blank_rows_are_skipped_and_row_numbers_stay_those_of_the_sheet(con, tmp_path):
    rows = [COST_HEADER, ["B1", "2024-01", "BROMMA", "5410", 1, "external", "run"], [None] * 7,
            ["   ", None, "", None, None, None, None],
            ["B4", "2024-01", "BROMMA", "5410", "x", "external", "run"], [None] * 7, [None] * 7]
    result = load(con, "it_costs", workbook(tmp_path / "it_costs_blank.xlsx", ("Blad1", rows)))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    assert quarantine(con, result.batch_id)[0][:3] == (4, "amount_sek", "type")


def test_whole_number_cells_beyond_bigint_and_exact_integers(con, tmp_path):
    load_batch(con, load_contracts()["systems"], lambda: read_file(fixture("systems.xlsx")), "systems.xlsx")
    head = ["system_id", "name", "owner_committee", "tier", "critical", "key_system", "agreed_hours_per_week",
            "intended_users"]
    rows = [["SYS0101", "A", "BROMMA", "basic", True, False, 40, 1e20],
            ["SYS0102", "B", "BROMMA", "basic", True, False, 40.0, 9007199254740992],
            ["SYS0103", "C", "BROMMA", "basic", "true", "false", 37.5, 12.5]]
    result = load(con, "systems", workbook(tmp_path / "systems_big.xlsx", ("Blad1", [head, *rows])))
    assert (result.rows_loaded, result.rows_quarantined) == (1, 2)
    assert [r[1:] for r in quarantine(con, result.batch_id)] == [
        ("intended_users", "type", 'systems_big.xlsx row 1, column intended_users: "100000000000000000000" is a '
         "whole number too large to store (more than 19 digits)"),
        ("intended_users", "type", 'systems_big.xlsx row 3, column intended_users: "12.5" is not a whole number')]
    assert con.execute("SELECT intended_users, agreed_hours_per_week, critical FROM dim_systems "
                       "WHERE system_id = 'SYS0102'").fetchall() == [(9007199254740992, 40.0, True)]


@pytest.mark.parametrize("name,data,message", [
    ("it_costs_renamed.xlsx", b"line_id;month\nL1;2024-01\n",
     "it_costs_renamed.xlsx is not an Excel workbook (an .xlsx file is a zip archive; is it a CSV or another file "
     "renamed .xlsx?); nothing loaded"),
    ("it_costs_empty.xlsx", b"",
     "it_costs_empty.xlsx is not an Excel workbook (an .xlsx file is a zip archive; is it a CSV or another file "
     "renamed .xlsx?); nothing loaded"),
    ("it_costs_locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4088),
     "it_costs_locked.xlsx is a password-protected (encrypted) workbook or an old Excel 97-2003 file renamed .xlsx; "
     "save it without a password as Excel Workbook (.xlsx) and load it again; nothing loaded"),
])
def test_files_that_are_not_workbooks_get_plain_messages(con, tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    result = load(con, "it_costs", path)
    assert (result.status, result.message, result.rows_loaded) == ("rejected", message, 0)
    assert con.execute("SELECT count(*) FROM fact_it_costs").fetchall() == [(0,)]


def test_a_cut_off_workbook_is_rejected_plainly(con, tmp_path):
    whole = workbook(tmp_path / "whole.xlsx", ("Blad1", [COST_HEADER, ["C1", "2024-01", "BROMMA", "5410", 1,
                                                                       "external", "run"]])).read_bytes()
    path = tmp_path / "it_costs_cut.xlsx"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    result = load(con, "it_costs", path)
    assert (result.status, result.message) == ("rejected", (
        "it_costs_cut.xlsx is damaged or cut off (not a complete zip archive); copy or save it again and load it "
        "again; nothing loaded"))


def test_a_damaged_zip_member_is_rejected_plainly(con, tmp_path):
    path = workbook(tmp_path / "it_costs_bad.xlsx", ("Blad1", [COST_HEADER, *[
        [f"Z{i}", "2024-01", "BROMMA", "5410", i, "external", "run"] for i in range(200)]]))
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 40, start + 80):  # scribble over the compressed sheet
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    result = load(con, "it_costs", path)
    assert (result.status, result.message) == ("rejected", (
        "it_costs_bad.xlsx is damaged (the part xl/worksheets/sheet1.xml of the workbook cannot be unpacked); copy "
        "or save it again and load it again; nothing loaded"))


def test_an_empty_first_sheet_and_a_header_only_sheet(con, tmp_path):
    empty = load(con, "it_costs", workbook(tmp_path / "it_costs_tom.xlsx", ("Blad1", []), ("Blad2", [COST_HEADER])))
    assert (empty.status, empty.message) == (
        "rejected", "it_costs_tom.xlsx has an empty first sheet (no header row); nothing loaded")
    header_only = load(con, "it_costs", workbook(tmp_path / "it_costs_head.xlsx", ("Blad1", [COST_HEADER])))
    assert (header_only.status, header_only.rows_read, header_only.rows_loaded) == ("loaded", 0, 0)


def test_duplicate_and_case_duplicate_headers_in_a_sheet(con, tmp_path):
    head = ["line_id", "month", "Month", "committee_code"]
    result = load(con, "it_costs", workbook(tmp_path / "it_costs_case.xlsx", ("Blad1", [head, ["L1", "a", "b", "c"]])))
    assert (result.status, result.message) == ("rejected", (
        "it_costs_case.xlsx has the columns month (column 2) and Month (column 3), whose names differ only in "
        "upper/lower case; remove or rename one of them; nothing loaded"))


# ------------------------------------------------------------------ as Excel itself writes a workbook
def shared_strings_xlsx(path: Path, rows: list[list], extra_strings: int = 0) -> Path:
    """A workbook with every text cell in the shared-strings table (as Excel saves it; openpyxl writes
    inline strings), plus `extra_strings` strings no cell uses."""
    strings: dict[str, int] = {}
    cells = []
    for r, row in enumerate(rows, start=1):
        out = []
        for c, value in enumerate(row):
            ref = f"{chr(65 + c)}{r}"
            if isinstance(value, str):
                index = strings.setdefault(value, len(strings))
                out.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
            else:
                out.append(f'<c r="{ref}"><v>{value}</v></c>')
        cells.append(f'<row r="{r}">{"".join(out)}</row>')
    table = list(strings) + [f"unused {i} {'x' * 40}" for i in range(extra_strings)]
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.'
        'org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
        'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
        '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
        f'org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} xmlns:r="{rel}"><sheets>'
        '<sheet name="Blad1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        f'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
        f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{rel}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><sheetData>'
        f'{"".join(cells)}</sheetData></worksheet>',
        "xl/sharedStrings.xml": f'<?xml version="1.0" encoding="UTF-8"?><sst {ns} count="{len(table)}" '
        f'uniqueCount="{len(table)}">' + "".join(f"<si><t>{escape(t)}</t></si>" for t in table) + "</sst>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def test_a_workbook_with_shared_strings_as_excel_writes_it(con, tmp_path):
    rows = [COST_HEADER, ["E1", "2024-02", "BROMMA", "5410", 10.25, "external", "run"],
            ["E2", "2024-02", "BROMMA", "5410", "<&>", "external", "run"],
            ["E3", "2024-02", "BROMMA", "5410", 3, "internal", "grow"]]
    result = load(con, "it_costs", shared_strings_xlsx(tmp_path / "it_costs_sst.xlsx", rows))
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    assert quarantine(con, result.batch_id)[0][3].startswith('it_costs_sst.xlsx row 2, column amount_sek: "<&>" ')
    assert costs(con) == [("E1", "2024-02", 10.25), ("E3", "2024-02", 3.0)]


def test_a_huge_shared_strings_table_loads_exactly_the_cells(con, tmp_path):
    """200 000 shared strings (~10 MB of XML) of which a few cells use a handful: exact rows and values."""
    rows = [COST_HEADER] + [[f"H{i}", "2024-05", "BROMMA", "5410", i + 0.5, "external", "run"] for i in range(3)]
    path = shared_strings_xlsx(tmp_path / "it_costs_huge_sst.xlsx", rows, extra_strings=200_000)
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("xl/sharedStrings.xml").file_size > 10_000_000
    result = load(con, "it_costs", path)
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == ("loaded", 3, 3, 0)
    assert costs(con) == [("H0", "2024-05", 0.5), ("H1", "2024-05", 1.5), ("H2", "2024-05", 2.5)]


def test_excel_error_values_are_their_text_never_a_silent_empty_cell(con, tmp_path):
    """calamine gives #N/A, #DIV/0! … as empty cells; the reader puts the error text back (as a CSV
    export writes it), so a number column quarantines the row naming the error instead of 'missing'."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(COST_HEADER)
    sheet.append(["N1", "2024-01", "BROMMA", "5410", 1.5, "external", "run"])
    sheet.append(["N2", "2024-01", "BROMMA", "5410", "#N/A", "external", "run"])
    sheet.append(["N3", "2024-01", "BROMMA", "5410", 3, "#DIV/0!", "run"])
    sheet.append(["N4", "2024-01", "BROMMA", "5410", None, "external", "run"])  # really empty
    sheet["E3"].data_type = "e"
    sheet["F4"].data_type = "e"
    path = tmp_path / "it_costs_errors.xlsx"
    book.save(path)
    result = load(con, "it_costs", path)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 3)
    f = "it_costs_errors.xlsx row"
    assert quarantine(con, result.batch_id) == [
        (2, "amount_sek", "type", f'{f} 2, column amount_sek: "#N/A" is not a number'),
        (3, "supplier_type", "allowed", f'{f} 3, column supplier_type: "#DIV/0!" is not one of external, internal'),
        (4, "amount_sek", "required", f"{f} 4, column amount_sek: the value is missing but the column is required")]


def test_date_time_and_time_of_day_cells(con, tmp_path):
    """Timestamps as Excel date-time cells load exactly; a time-of-day cell is a plain bad value, not a crash."""
    load_batch(con, load_contracts()["systems"], lambda: read_file(fixture("systems.xlsx")), "systems.xlsx")
    rows = [["outage_id", "system_id", "started_at", "ended_at", "planned"],
            ["T1", "SYS0001", datetime.datetime(2024, 1, 2, 10, 0), datetime.datetime(2024, 1, 2, 12, 30), False],
            ["T2", "SYS0001", datetime.time(10, 30), datetime.datetime(2024, 1, 3, 12, 0), False]]
    result = load(con, "outages", workbook(tmp_path / "outages_times.xlsx", ("Blad1", rows)))
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert [r[:3] for r in quarantine(con, result.batch_id)] == [(2, "started_at", "type")]
    assert quarantine(con, result.batch_id)[0][3].startswith(
        'outages_times.xlsx row 2, column started_at: "10:30:00" is not a date and time (YYYY-MM-DD HH:MM)')
    assert con.execute("SELECT outage_id, started_at, ended_at, planned FROM fact_outages").fetchall() == [
        ("T1", datetime.datetime(2024, 1, 2, 10, 0), datetime.datetime(2024, 1, 2, 12, 30), False)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=50))
def test_number_cells_become_the_same_text_column_wise_as_cell_by_cell(values):
    """A column of numbers is turned into text in Arrow (fast path); it must be exactly the text of the
    cell-by-cell rule (whole numbers without '.0' at any size, else Python's shortest repr)."""
    assert _float_texts(pa.array(values, type=pa.float64())).to_pylist() == [_float_text(v) for v in values]
