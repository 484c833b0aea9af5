"""The fact store writes a batch's Parquet files straight into their month directories (etl/factstore.py
`_write_rows`): only new names, nothing written over a file the published version shares by hard link, and
nothing left behind by a write that fails."""
import os
from pathlib import Path

import duckdb
import pytest

from etl.contracts import load_contracts
from etl.factstore import FactStore, _files_named

CONTRACT = load_contracts()["eservice_transactions"]
ROWS = "SELECT * FROM (VALUES (DATE '2024-01-01', 'ES001', 'digital', 30, 20, 7, 1), " \
       "(DATE '2024-02-01', 'ES001', 'paper', 10, NULL, 7, 2)) " \
       "t(month, eservice_id, channel, completed, straight_through, _batch_id, _source_row)"


def _store(tmp_path: Path) -> FactStore:
    store = FactStore(tmp_path / "warehouse.parquet", 2, None)
    (store.dir / "facts").mkdir(parents=True)
    return store


def _rows(paths) -> list[tuple]:
    listed = "[" + ", ".join(f"'{p}'" for p in paths) + "]"
    return duckdb.connect().execute(f"SELECT strftime(month, '%Y-%m'), channel, completed, _source_row "
                                    f"FROM read_parquet({listed}) ORDER BY _source_row").fetchall()


def test_files_go_straight_into_their_months(tmp_path):
    store = _store(tmp_path)
    base = store.source_dir(CONTRACT)
    created = store._write_rows(duckdb.connect(), CONTRACT, ROWS, "7", "ORDER BY _source_row")
    assert [p.relative_to(base).as_posix() for p in created] == [
        "period=2024-01/part-7-1-0.parquet", "period=2024-02/part-7-1-0.parquet"]
    assert _rows(created) == [("2024-01", "digital", 30, 1), ("2024-02", "paper", 10, 2)]
    assert not (store.dir / ".new").exists()          # no staging directory was made
    assert _files_named(base, "part-7-1-") == created


def test_an_existing_name_is_never_written_over(tmp_path):
    """A name that exists (it cannot, batch ids never repeat) would be a hard link of the published version:
    the write then goes through a staging directory and a rename, which leaves the shared file as it was."""
    store = _store(tmp_path)
    base = store.source_dir(CONTRACT)
    published = tmp_path / "published.parquet"
    duckdb.connect().execute(f"COPY (SELECT DATE '2023-12-01' AS month, 'old' AS channel) TO '{published}' (FORMAT parquet)")
    before = published.read_bytes()
    (base / "period=2024-01").mkdir(parents=True)
    os.link(published, base / "period=2024-01" / "part-7-1-0.parquet")
    created = store._write_rows(duckdb.connect(), CONTRACT, ROWS, "7", "ORDER BY _source_row")
    assert published.read_bytes() == before           # the published version's file is untouched
    assert _rows(created) == [("2024-01", "digital", 30, 1), ("2024-02", "paper", 10, 2)]


def test_a_failed_write_leaves_no_file(tmp_path):
    store = _store(tmp_path)
    base = store.source_dir(CONTRACT)
    failing = ROWS.replace("30, 20", "CAST(error('disk full') AS INTEGER), 20")
    with pytest.raises(duckdb.Error):
        store._write_rows(duckdb.connect(), CONTRACT, failing, "7", "ORDER BY _source_row")
    assert _files_named(base, "part-7-") == []
