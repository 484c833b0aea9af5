"""Property-based tests (Hypothesis) of the CSV reader: any table written as the city's systems write it —
delimiter ',' or ';' (then with decimal comma), UTF-8 (with or without BOM) or Windows-1252 — comes back
from staging cell for cell, and its numbers parse back to the values written."""
from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from etl.readers import UnreadableSource, read_csv
from etl.rules import _number_text

# characters both UTF-8 and Windows-1252 can carry, including the delimiters and quotes themselves
ALPHABET = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzåäöÅÄÖéü ABCXYZ0123456789-_.:/()'\";,€–"))
cell = st.text(ALPHABET, min_size=1, max_size=12).filter(lambda s: s.strip() == s and s != "")
names = st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,9}", fullmatch=True), min_size=2, max_size=5, unique=True)


def _valid_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


@st.composite
def tables(draw):
    columns = draw(names)
    n = draw(st.integers(1, 15))
    rows = [[draw(cell) for _ in columns] for _ in range(n)]
    return columns, rows


def write(path: Path, columns, rows, delimiter: str, encoding: str) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    w.writerow(columns)
    w.writerows(rows)
    data = buf.getvalue()
    raw = data.encode("cp1252") if encoding == "cp1252" else data.encode("utf-8")
    if encoding == "utf-8-sig":
        raw = b"\xef\xbb\xbf" + raw
    path.write_bytes(raw)


def staged(path: Path) -> tuple[pd.DataFrame, object]:
    """The file as staged in DuckDB (TEMP table source_raw, columns by position), with the header's names."""
    data = read_csv(path)
    con = duckdb.connect()
    try:
        positions = data.stage(con)  # {header name: its column c0, c1, … in source_raw}
        rows = "_source_row" if data.row_expr == "_source_row" else f"{data.row_expr} AS _source_row"
        cursor = con.execute(f"SELECT {rows}, {', '.join(positions.values())} FROM source_raw ORDER BY _source_row")
        frame = pd.DataFrame(cursor.fetchall(), columns=["_source_row", *positions], dtype=object)
    finally:
        con.close()
    return frame[list(positions)], data


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(table=(["a", "b"], [["0", "Ä"], ["Ä–", "0"]]), delimiter=",", encoding="cp1252")  # one line C4 96
@example(table=(["a", "b"], [["0", "Ä–"]]), delimiter=",", encoding="cp1252")  # the whole file valid UTF-8
@given(tables(), st.sampled_from([",", ";"]), st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
def test_random_tables_round_trip(table, delimiter, encoding):
    columns, rows = table
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        write(path, columns, rows, delimiter, encoding)
        raw = path.read_bytes()
        if encoding == "cp1252" and not raw.isascii() and _valid_utf8(raw):
            # Windows-1252 bytes that are valid UTF-8 by chance ("Ä–" = C4 96 = "Ė"): two readings, so the
            # file is rejected with both instead of being loaded as either (never silently as "Ė")
            with pytest.raises(UnreadableSource, match=r"cannot be read with certainty: line \d+ is valid UTF-8"):
                staged(path)
            return
        frame, data = staged(path)
    assert list(frame.columns) == columns
    assert frame.values.tolist() == rows
    assert data.decimal_comma == (delimiter == ";")
    expected_encoding = {"utf-8": "encoding utf-8,", "utf-8-sig": "encoding utf-8 with BOM,",
                         "cp1252": "encoding cp1252"}[encoding]
    if encoding == "cp1252" and all(c.isascii() for r in rows for c in r) and all(c.isascii() for c in columns):
        expected_encoding = "encoding utf-8,"  # pure ASCII is valid UTF-8: nothing tells them apart
    assert expected_encoding in data.read_note


amounts = st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(amounts, min_size=1, max_size=20), st.sampled_from([",", ";"]), st.sampled_from(["utf-8", "cp1252"]))
def test_numbers_parse_back_with_the_file_s_decimal_mark(values, delimiter, encoding):
    """';' files write decimals with a comma (1234,5), ',' files with a point; both parse to the value."""
    text = [str(v).replace(".", ",") if delimiter == ";" else str(v) for v in values]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "n.csv"
        # two columns: a one-column file has no delimiter in its header to tell ',' from ';'
        write(path, ["line_id", "amount_sek"], [[f"L{i}", t] for i, t in enumerate(text)], delimiter, encoding)
        frame, data = staged(path)
        con = duckdb.connect()
        con.execute("CREATE TABLE s(x VARCHAR)")
        con.executemany("INSERT INTO s VALUES (?)", [[x] for x in frame["amount_sek"]])
        parsed = [r[0] for r in con.execute(
            f"SELECT CAST({_number_text('x', data.decimal_comma)} AS DECIMAL(18, 2)) FROM s").fetchall()]
        con.close()
    assert parsed == values


# Bytes biased towards the ranges the encoding checks look at: ASCII, UTF-8 lead bytes, continuation bytes.
_check_bytes = st.binary(max_size=40) | st.lists(
    st.sampled_from([0x41, 0x0A, 0x80, 0x81, 0x82, 0x84, 0x93, 0xA2, 0xAC, 0xBF, 0xC1, 0xC2, 0xC3, 0xC4, 0xDF,
                     0xE0, 0xE2, 0xE5, 0xEF, 0xF0, 0xF4, 0xF5, 0xF6]), max_size=40).map(bytes)


@settings(max_examples=400, deadline=None)
@given(_check_bytes)
@example(b"\xe2\x80\x93")            # en dash: usual punctuation, not unusual
@example(b"\xe2\x82\xac")            # euro sign
@example(b"x\xc4\x96")               # "Ä–" in Windows-1252 reads as UTF-8 "Ė"
@example(b"\xe2\x82\xad")
def test_vectorised_encoding_checks_equal_the_regexes(raw):
    """The numpy pre-checks of the read (has_utf8_sequence, has_unusual_utf8) answer exactly what a search
    with the regexes they replace answers, for any bytes."""
    from etl.readers import UNUSUAL_UTF8, UTF8_SEQUENCE, has_unusual_utf8, has_utf8_sequence

    assert has_utf8_sequence(raw) == bool(UTF8_SEQUENCE.search(raw))
    assert has_unusual_utf8(raw) == bool(UNUSUAL_UTF8.search(raw))
