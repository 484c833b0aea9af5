"""Seeds (seeds/*.csv with their contracts): loaded into the warehouse by create_all with the contracts' row
rules; a broken seed stops the load with file, row, column and reason; the catalogue reads the same file."""
from __future__ import annotations

import shutil

import duckdb
import pytest

import settings
from etl.schema import create_all
from etl.seeds import SeedError, load_seeds, seed_contracts


def test_seed_tables_hold_the_files_rows():
    con = duckdb.connect()
    create_all(con)
    assert con.execute("SELECT portfolio_id, code FROM dim_portfolios ORDER BY 1").fetchall() == [
        (1, "ACCESS"), (2, "INFO"), (3, "SKILLS"), (4, "COLLAB"), (5, "INNOV")]
    assert con.execute("SELECT name_sv FROM dim_portfolios WHERE portfolio_id = 1").fetchone() == (
        "Tillgänglighet och service för medborgare, företagande och besök",)
    # loading twice changes nothing
    create_all(con)
    assert con.execute("SELECT count(*) FROM dim_portfolios").fetchone() == (5,)


def test_the_catalogue_and_the_warehouse_have_the_same_perspectives():
    from metrics.catalog import PERSPECTIVES

    con = duckdb.connect()
    create_all(con)
    rows = con.execute("SELECT code, name_sv, name_en FROM dim_perspectives ORDER BY _source_row").fetchall()
    assert rows == [(p["code"], p["name_sv"], p["name_en"]) for p in PERSPECTIVES]
    assert [r[0] for r in rows] == ["external", "internal", "maturity", "cost", "quality"]


@pytest.mark.parametrize("line, message", [
    ("6,lower,Namn,Name", "portfolios.csv row 6, column code"),
    ("5,INNOV,Namn,Name", "portfolios.csv row 6, column portfolio_id"),   # duplicate key
    ("9,EXTRA,Namn,Name", "portfolios.csv row 6, column portfolio_id"),   # above max 5
])
def test_a_broken_seed_stops_the_load_naming_row_and_column(tmp_path, line, message):
    for path in settings.seed_dir().iterdir():
        shutil.copy(path, tmp_path / path.name)
    with (tmp_path / "portfolios.csv").open("a", encoding="utf-8") as f:
        f.write(line + "\n")
    seed_contracts.cache_clear()
    con = duckdb.connect()
    try:
        with pytest.raises(SeedError, match=message):
            load_seeds(con, tmp_path)
    finally:
        seed_contracts.cache_clear()


def test_loading_a_seed_again_keeps_its_rows_and_an_edited_seed_replaces_them(tmp_path):
    for path in settings.seed_dir().iterdir():
        shutil.copy(path, tmp_path / path.name)
    seed_contracts.cache_clear()
    con = duckdb.connect()
    try:
        load_seeds(con, tmp_path)
        con.execute("CREATE TEMP TABLE before AS SELECT * FROM dim_portfolios")
        load_seeds(con, tmp_path)
        assert con.execute("SELECT count(*) FROM (SELECT * FROM dim_portfolios EXCEPT SELECT * FROM before)").fetchone() == (0,)
        text = (tmp_path / "portfolios.csv").read_text(encoding="utf-8").replace("5,INNOV,", "5,INNO,")
        (tmp_path / "portfolios.csv").write_text(text, encoding="utf-8")
        load_seeds(con, tmp_path)
        assert con.execute("SELECT code FROM dim_portfolios WHERE portfolio_id = 5").fetchone() == ("INNO",)
    finally:
        seed_contracts.cache_clear()
