"""SQL source through SQLAlchemy against the throwaway PostgreSQL cluster the suite starts (tests/conftest.py)."""
import socket
from datetime import date

import psycopg2
import pytest

from pipeline.cli import main
from etl_helpers import query

COMMITTEES = [
    ("BROMMA", "Bromma stadsdelsnämnd", "Bromma District Council", "district_council", "district_councils"),
    ("UTBN", "Utbildningsnämnden", "Education Committee", "specialist_committee", "specialist_committees"),
    ("KS", "Kommunstyrelsen", "City Executive Board", "specialist_committee", "specialist_committees"),
]


@pytest.fixture(scope="module")
def postgres_url(postgres_cluster):
    """A database of its own on the session's throwaway cluster (tests/conftest.py)."""
    url = postgres_cluster.new_database("etl_source")
    with psycopg2.connect(url) as con, con.cursor() as cur:
        cur.execute("CREATE TABLE committees_register (committee_code text, name_sv text, name_en text, "
                    "kind text, peer_group text)")
        cur.executemany("INSERT INTO committees_register VALUES (%s, %s, %s, %s, %s)", COMMITTEES)
        cur.execute("CREATE TABLE licence_stats (month date, committee_code text, product text, paid int, "
                    "used_90d int)")
        cur.execute("""INSERT INTO licence_stats VALUES ('2024-01-01', 'BROMMA', 'Office', 100, 90),
                       ('2024-01-01', 'UTBN', 'Office', 200, 150)""")
    yield url


def test_table_extract_loads_with_source_from_table_name(postgres_url, warehouse, monkeypatch):
    monkeypatch.setenv("SCORECARD_WAREHOUSE", str(warehouse))
    assert main(["load", postgres_url, "--table", "committees_register"]) == 0
    assert query(warehouse, "SELECT committee_code, name_sv, _source_row FROM dim_committees ORDER BY 3") == [
        ("BROMMA", "Bromma stadsdelsnämnd", 1), ("UTBN", "Utbildningsnämnden", 2), ("KS", "Kommunstyrelsen", 3)]
    assert query(warehouse, "SELECT file_name, status, rows_loaded FROM etl_batches") == [
        (f"{postgres_url} table committees_register", "loaded", 3)]


def test_same_extract_in_another_row_order_is_unchanged(postgres_url, warehouse, monkeypatch):
    monkeypatch.setenv("SCORECARD_WAREHOUSE", str(warehouse))
    assert main(["load", postgres_url, "--source", "committees", "--query",
                 "SELECT * FROM committees_register ORDER BY committee_code"]) == 0
    assert main(["load", postgres_url, "--source", "committees", "--query",
                 "SELECT * FROM committees_register ORDER BY committee_code DESC"]) == 0
    rows = query(warehouse, "SELECT batch_id, status, content_hash FROM etl_batches ORDER BY 1")
    assert [r[:2] for r in rows] == [(1, "loaded"), (2, "unchanged")]
    assert rows[0][2] == rows[1][2] and len(rows[0][2]) == 64


def test_typed_sql_columns_and_quarantine(postgres_url, warehouse, monkeypatch):
    monkeypatch.setenv("SCORECARD_WAREHOUSE", str(warehouse))
    assert main(["load", postgres_url, "--source", "committees", "--table", "committees_register"]) == 0
    query_sql = ("SELECT month, committee_code, product, paid, used_90d FROM licence_stats UNION ALL "
                 "SELECT DATE '2024-01-01', 'KS', 'Office', 10, 20")
    # 1 of 3 rows bad is above licences' 5 %: rejected with exit code 2
    assert main(["load", postgres_url, "--source", "licences", "--query", query_sql]) == 2
    (message,) = query(warehouse, "SELECT message FROM etl_batches WHERE batch_id = 2")[0]
    assert message.endswith("row 3, column used_90d: used_90d 20 is above paid 10")
    assert query(warehouse, "SELECT count(*) FROM fact_licences") == [(0,)]
    ok_sql = "SELECT * FROM licence_stats"
    assert main(["load", postgres_url, "--source", "licences", "--query", ok_sql]) == 0
    assert query(warehouse, "SELECT month, committee_code, paid, used_90d FROM fact_licences ORDER BY 2") == [
        (date(2024, 1, 1), "BROMMA", 100, 90), (date(2024, 1, 1), "UTBN", 200, 150)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_database_is_rejected(warehouse, monkeypatch):
    monkeypatch.setenv("SCORECARD_WAREHOUSE", str(warehouse))
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    assert main(["load", url, "--source", "committees", "--table", "committees_register"]) == 2
    (status, message), = query(warehouse, "SELECT status, message FROM etl_batches")
    assert status == "rejected"
    assert message.startswith(f"{url} could not be read (OperationalError:")
