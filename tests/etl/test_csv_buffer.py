"""DuckDB reads a CSV source in buffers of `csv_buffer_bytes(file size)` (etl/readers.py, session 8: the file's
own size between 32 and 256 MB; DuckDB's default buffer before: docs/benchmark.md "Incident stage at 10x,
session 8"). source_raw's rowid is the data row number, so the staged rows must not depend on where the buffers
end: for any file of hostile text (quotes, delimiters and line breaks inside quoted values, multi-byte
characters, NBSP, empty and missing values), staging with buffers a few KB long (dozens of buffer ends inside
the file), one buffer of the file's own size, the configured rule, 256 MB and DuckDB's default buffer gives the
same rows in the same order, and they are the rows Python's csv module reads. A bad row is named by the same
row number whichever buffer it lies in."""
import csv

import duckdb
import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

import etl.readers as readers
from etl.readers import RAW_TABLE, UnreadableSource, read_file

HEADER = ["a", "b", "c", "pad"]
TOKENS = list("ab ,;\"'\n\t?åäö\u00a0€1.") + ["\U0001F600", "–", "\r\n", "\"\""]


def _rows(lone_cr: bool):
    """Rows of hostile values; in some files also a lone carriage return (DuckDB rejects a row with one inside
    quotes, as it did before session 8), which would otherwise make nearly every file unreadable."""
    text = st.lists(st.sampled_from(TOKENS + (["\r"] if lone_cr else [])), max_size=8).map("".join)
    return st.lists(st.tuples(text, text, text, st.integers(min_value=0, max_value=300)), min_size=1, max_size=120)


rows = st.sampled_from([False, False, False, True]).flatmap(_rows)

TINY_LINE, TINY_BUFFER = 2_048, 4_096   # a few KB: the generated files span many buffers


def _write(path, data_rows):
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        for a, b, c, pad in data_rows:
            w.writerow([a, b, c, "x" * pad])
    return path


def _staged(path, monkeypatch, buffer, line_bytes=readers.MAX_LINE_BYTES, raise_unreadable=False):
    """source_raw as (data row, values…) in rowid order, with buffer(file bytes) bytes of buffer (None: DuckDB's
    default, i.e. no buffer_size given); the reason when the file cannot be read."""
    monkeypatch.setattr(readers, "MAX_LINE_BYTES", line_bytes)
    monkeypatch.setattr(readers, "csv_buffer_bytes", buffer)
    if buffer(path.stat().st_size) is None:  # the read as it was before session 8: no buffer_size argument
        original = readers.SourceData._copy_relation

        def without_buffer(self, con, drop, p, keep_native):
            execute = con.execute

            class Con:
                def __getattr__(self, name):
                    return getattr(con, name)

                def execute(self, sql, *args):
                    assert ", buffer_size=None" in sql or not sql.startswith("CREATE")
                    return execute(sql.replace(", buffer_size=None", ""), *args)
            return original(self, Con(), drop, p, keep_native)
        monkeypatch.setattr(readers.SourceData, "_copy_relation", without_buffer)
    con = duckdb.connect()
    try:
        data = read_file(path)
        positions = data.stage(con)
        cols = ", ".join(positions.values())
        return con.execute(f"SELECT {data.row_expr} AS r, {cols} FROM {RAW_TABLE} ORDER BY rowid").fetchall()
    except UnreadableSource as err:
        if raise_unreadable:
            raise
        return str(err)
    finally:
        con.close()
        monkeypatch.undo()


def _python_rows(path):
    """What Python's csv module reads; DuckDB reads an empty unquoted value as missing (NULL)."""
    with path.open(newline="", encoding="utf-8") as f:
        body = list(csv.reader(f))[1:]
    return [(i, *[None if v == "" else v for v in row]) for i, row in enumerate(body, start=1)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(rows)
def test_staged_rows_do_not_depend_on_the_buffer(tmp_path, monkeypatch, data_rows):
    path = _write(tmp_path / "events.csv", data_rows)
    assert path.stat().st_size < 200_000
    configured = _staged(path, monkeypatch, readers.csv_buffer_bytes)
    tiny = _staged(path, monkeypatch, lambda n: TINY_BUFFER, TINY_LINE)
    # the rule's shape at a small scale: one buffer of the file's own size (as a 33–256 MB file gets)
    own_size = _staged(path, monkeypatch, lambda n: max(n, TINY_BUFFER), TINY_LINE)
    largest = _staged(path, monkeypatch, lambda n: readers.CSV_BUFFER_BYTES)
    default = _staged(path, monkeypatch, lambda n: None)
    assert tiny == configured
    assert own_size == configured
    assert largest == configured
    assert default == configured
    event("unreadable" if isinstance(configured, str) else "read")
    if not isinstance(configured, str):  # (DuckDB rejects e.g. a quoted lone carriage return; so it did before)
        assert [r[0] for r in configured] == list(range(1, len(data_rows) + 1))
        lone_cr = any("\r" in v.replace("\r\n", "") for row in data_rows for v in row[:3])
        if not lone_cr:  # (Python's csv module and DuckDB read a quoted lone carriage return differently)
            assert configured == _python_rows(path)


def test_a_bad_row_is_named_the_same_in_any_buffer(tmp_path, monkeypatch):
    """A row with a field too many, once in the first buffer and once far past many buffer ends (by hand)."""
    body = [["r%d" % i, "å ä ö", "\"quoted, with comma\"", "x" * 40] for i in range(1, 2_001)]
    for bad in (3, 1_777):
        rows_ = [list(r) for r in body]
        rows_[bad - 1].append("extra")
        path = tmp_path / f"bad{bad}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(HEADER)
            w.writerows(rows_)
        assert path.stat().st_size > 30 * TINY_BUFFER
        for buffer, line_bytes in ((lambda n: TINY_BUFFER, TINY_LINE), (readers.csv_buffer_bytes, readers.MAX_LINE_BYTES),
                                   (lambda n: readers.CSV_BUFFER_BYTES, readers.MAX_LINE_BYTES)):
            with pytest.raises(UnreadableSource) as err:
                _staged(path, monkeypatch, buffer, line_bytes, raise_unreadable=True)
            assert str(err.value).startswith(f"cannot be read: row {bad} (line {bad + 1} of the file) has 5 fields "
                                             "but the header has 4")


def test_the_buffer_follows_the_file_size():
    """Small files keep DuckDB's default, mid-size ones get a buffer of their own size, large ones the cap."""
    mb = 1 << 20
    assert readers.csv_buffer_bytes(0) == 32 * mb
    assert readers.csv_buffer_bytes(5 * mb) == 32 * mb
    assert readers.csv_buffer_bytes(33 * mb + 5) == 33 * mb + 5
    assert readers.csv_buffer_bytes(124 * mb) == 124 * mb
    assert readers.csv_buffer_bytes(3_067_329_010) == 256 * mb
    assert readers.csv_buffer_bytes(3_067_329_010) > readers.MAX_LINE_BYTES
