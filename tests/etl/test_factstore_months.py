"""A large batch's month files are written with one COPY per month (etl/factstore.py `_write_months`) instead of
DuckDB's partitioned COPY: the same files (names, columns, types, rows, row order) for any batch, by hand and
for random hostile batches (Hypothesis: old == new)."""
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import etl.factstore as factstore
from etl.contracts import load_contracts
from etl.factstore import FactStore, _files_named

SURVEY = load_contracts()["survey_responses"]
INCIDENTS = load_contracts()["incidents"]


def _store(tmp_path: Path) -> FactStore:
    store = FactStore(tmp_path / "warehouse.parquet", 2, None)
    (store.dir / "facts").mkdir(parents=True)
    return store


def _batch(con, contract, rows: list[dict]) -> str:
    """A TEMP table `typed` with the contract's columns and _source_row; returns the write's SELECT."""
    cols = [(c.name, c.duckdb_type) for c in contract.columns]
    con.execute("CREATE OR REPLACE TEMP TABLE typed (" + ", ".join(f'"{n}" {t}' for n, t in cols)
                + ", _source_row BIGINT)")
    if rows:
        con.executemany("INSERT INTO typed VALUES (" + ", ".join("?" for _ in range(len(cols) + 1)) + ")",
                        [[r.get(n) for n, _ in cols] + [r["_source_row"]] for r in rows])
    names = ", ".join(f'"{n}"' for n, _ in cols)
    return f"SELECT {names}, 7 AS _batch_id, _source_row FROM typed"


def _content(store: FactStore, contract, paths: list[Path]) -> list[tuple]:
    """Each file: its path under the source, its Parquet schema and its rows in file order."""
    base = store.source_dir(contract)
    con = duckdb.connect()
    out = []
    for p in paths:
        schema = con.execute("SELECT name, type, converted_type, logical_type FROM parquet_schema(?)",
                             [str(p)]).fetchall()
        rows = con.execute("SELECT * FROM read_parquet(?, hive_partitioning = false)", [str(p)]).fetchall()
        out.append((p.relative_to(base).as_posix(), schema, rows))
    return out


def _write(tmp_path: Path, name: str, contract, rows: list[dict], per_month: bool, monkeypatch) -> list[tuple]:
    monkeypatch.setattr(factstore, "WRITE_PER_MONTH_ROWS", 0 if per_month else 10 ** 12)
    store = _store(tmp_path / name)
    con = duckdb.connect()
    created = store._write_rows(con, contract, _batch(con, contract, rows), "7", "ORDER BY _source_row")
    return _content(store, contract, created)


def _survey(row: int, day, **kw) -> dict:
    return {"survey_kind": "staff_it", "response_id": f"r{row}", "committee_code": "SKH", "response_date": day,
            "question_id": "Q1", "answer": 4, "eservice_id": None, "_source_row": row, **kw}


def test_one_file_per_month_in_source_row_order_by_hand(tmp_path, monkeypatch):
    rows = [_survey(5, date(2024, 2, 29)), _survey(2, date(2024, 1, 31)), _survey(9, None),
            _survey(1, date(2024, 2, 1), answer=1), _survey(3, date(2023, 12, 31), response_id="x'; DROP TABLE t")]
    files = _write(tmp_path, "new", SURVEY, rows, True, monkeypatch)
    assert [(f, [(r[1], r[3], r[5], r[8]) for r in rows]) for f, _, rows in files] == [
        ("period=2023-12/part-7-1-0.parquet", [("x'; DROP TABLE t", date(2023, 12, 31), 4, 3)]),
        ("period=2024-01/part-7-1-0.parquet", [("r2", date(2024, 1, 31), 4, 2)]),
        ("period=2024-02/part-7-1-0.parquet", [("r1", date(2024, 2, 1), 1, 1), ("r5", date(2024, 2, 29), 4, 5)]),
        ("period=none/part-7-1-0.parquet", [("r9", None, 4, 9)]),
    ]
    assert files == _write(tmp_path, "old", SURVEY, rows, False, monkeypatch)


def test_small_batches_keep_the_partitioned_copy(tmp_path):
    """Below WRITE_PER_MONTH_ROWS (and for a period only DuckDB's strftime spells) the months are not listed."""
    con = duckdb.connect()
    select = _batch(con, SURVEY, [_survey(1, date(2024, 1, 1))])
    assert factstore._months_to_write(con, select, '"response_date"') is None
    factstore.WRITE_PER_MONTH_ROWS, saved = 0, factstore.WRITE_PER_MONTH_ROWS
    try:
        assert factstore._months_to_write(con, select, '"response_date"') == [
            ("2024-01", date(2024, 1, 1), date(2024, 2, 1))]
        for odd in (date(9999, 12, 31), date(1, 1, 1)):
            select = _batch(con, SURVEY, [_survey(1, odd), _survey(2, date(2024, 12, 5))])
            expected = None if odd.year == 9999 else [("0001-01", date(1, 1, 1), date(1, 2, 1)),
                                                      ("2024-12", date(2024, 12, 1), date(2025, 1, 1))]
            assert factstore._months_to_write(con, select, '"response_date"') == expected
        con.execute("INSERT INTO typed (response_date, _source_row) VALUES ('infinity'::DATE, 3)")
        assert factstore._months_to_write(con, select, '"response_date"') is None
    finally:
        factstore.WRITE_PER_MONTH_ROWS = saved


def test_a_failed_month_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(factstore, "WRITE_PER_MONTH_ROWS", 0)
    store = _store(tmp_path)
    con = duckdb.connect()
    select = _batch(con, SURVEY, [_survey(1, date(2024, 1, 1)), _survey(2, date(2024, 2, 1))])
    failing = select.replace('"answer"', "CASE WHEN _source_row = 2 THEN error('disk full') ELSE answer END AS answer")
    with pytest.raises(duckdb.Error):
        store._write_rows(con, SURVEY, failing, "7", "ORDER BY _source_row")
    assert _files_named(store.source_dir(SURVEY), "part-7-") == []
    assert list(store.source_dir(SURVEY).iterdir()) == []    # no month directory left behind either


HOSTILE_TEXT = st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["", " ", "\u00a0", "'", "--", "å\"ä", "NULL"]))
DAYS = st.one_of(st.none(), st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
                 st.dates(min_value=date(2019, 11, 1), max_value=date(2020, 3, 31)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(HOSTILE_TEXT, DAYS, st.one_of(st.none(), st.integers(-2 ** 63, 2 ** 63 - 1))),
                max_size=25), st.randoms(use_true_random=False))
def test_per_month_files_equal_the_partitioned_copy_for_survey_batches(tmp_path_factory, monkeypatch, cells, rnd):
    """old == new: the same file names, Parquet schemas and rows in the same order, for batches in any row order
    with missing and extreme periods and hostile text."""
    numbers = list(range(1, len(cells) + 1))
    rnd.shuffle(numbers)
    rows = [_survey(n, day, response_id=text, answer=answer) for n, (text, day, answer) in zip(numbers, cells)]
    tmp = tmp_path_factory.mktemp("survey")
    assert _write(tmp, "new", SURVEY, rows, True, monkeypatch) == _write(tmp, "old", SURVEY, rows, False, monkeypatch)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(HOSTILE_TEXT, st.one_of(
    st.none(), st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
    st.datetimes(min_value=datetime(2024, 1, 31, 23), max_value=datetime(2024, 2, 1, 1)))), max_size=20))
def test_per_month_files_equal_the_partitioned_copy_for_timestamp_periods(tmp_path_factory, monkeypatch, cells):
    """A timestamp period (incidents' opened_at): the month bounds hold at 23:59:59.999999 and 00:00."""
    base = {c.name: None for c in INCIDENTS.columns}
    rows = [{**base, "number": text, "opened_at": ts, "_source_row": i} for i, (text, ts) in enumerate(cells, 1)]
    tmp = tmp_path_factory.mktemp("incidents")
    assert _write(tmp, "new", INCIDENTS, rows, True, monkeypatch) == \
        _write(tmp, "old", INCIDENTS, rows, False, monkeypatch)


PERIOD_TEXT = st.one_of(st.none(), st.sampled_from(["infinity", "-infinity"]), st.builds(
    lambda y, m, d: f"{y if y > 0 else 1 - y:04d}-{m:02d}-{d:02d}" + (" (BC)" if y <= 0 else ""),
    st.one_of(st.integers(1, 9999), st.integers(-50, 0), st.integers(10000, 12000), st.integers(2019, 2021)),
    st.integers(1, 12), st.integers(1, 28)))


@settings(max_examples=120, deadline=None)
@given(st.lists(PERIOD_TEXT, max_size=15), st.sampled_from(["DATE", "TIMESTAMP"]))
def test_month_labels_equal_strftime_per_row(values, kind):
    """The scope delete's month labels (etl/factstore.py `_month_labels`) are DuckDB's strftime labels of the rows,
    with infinite, BC and five-digit-year periods among them."""
    con = duckdb.connect()
    con.execute(f"CREATE TEMP TABLE typed (p {kind})")
    for v in values:
        con.execute(f"INSERT INTO typed VALUES (CAST(CAST(? AS VARCHAR) AS {kind}))", [v])
    rows = "SELECT p FROM typed WHERE p IS NOT NULL"
    old = sorted(m for (m,) in con.execute(f"SELECT DISTINCT strftime(p, '%Y-%m') FROM ({rows})").fetchall())
    assert sorted(factstore._month_labels(con, rows, "p")) == old


def test_month_labels_by_hand():
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE typed AS SELECT * FROM (VALUES (DATE '2024-01-31'), (DATE '2024-01-01'), "
                "(DATE '0999-12-05'), (NULL)) t(p)")
    assert sorted(factstore._month_labels(con, "SELECT p FROM typed WHERE p IS NOT NULL", "p")) == \
        ["0999-12", "2024-01"]
