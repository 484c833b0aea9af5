"""Parquet columns that already have the contract's type skip the text round trip; the rules and
their messages are the same as for text."""
import json
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq

from etl_helpers import load, query


def survey_file(tmp_path):
    """40 answers (R1..R20 × q1, q2); row 2 answers 7 (max 5), row 3 has no date: 2 of 40 = 5 % bad,
    just within the contract's limit."""
    n = 40
    dates = [date(2024, 3, 1 + i % 28) for i in range(n)]
    dates[2] = None
    answers = [1 + i % 5 for i in range(n)]
    answers[1] = 7
    table = pa.table({
        "survey_kind": ["staff_it"] * n,
        "response_id": [f"R{1 + i // 2}" for i in range(n)],
        "committee_code": ["BROMMA", "SKARHOLMEN"] * (n // 2),
        "response_date": pa.array(dates, pa.date32()),
        "question_id": ["q1", "q2"] * (n // 2),
        "answer": pa.array(answers, pa.int64()),
    })
    path = tmp_path / "survey_responses.parquet"
    pq.write_table(table, path)
    return path


def test_native_int_and_date_columns_are_checked_and_loaded(warehouse, tmp_path):
    load(warehouse, "committees.csv")
    (result,) = load(warehouse, survey_file(tmp_path))
    assert (result.rows_loaded, result.rows_quarantined) == (38, 2)
    assert query(warehouse, "SELECT _source_row, response_id, question_id, response_date, answer "
                            "FROM fact_survey_responses ORDER BY _source_row LIMIT 3") == [
        (1, "R1", "q1", date(2024, 3, 1), 1), (4, "R2", "q2", date(2024, 3, 4), 4),
        (5, "R3", "q1", date(2024, 3, 5), 5)]
    assert query(warehouse, "SELECT source_row, column_name, rule, reason FROM etl_quarantine ORDER BY 1") == [
        (2, "answer", "max", "survey_responses.parquet row 2, column answer: 7 is above the maximum 5"),
        (3, "response_date", "required",
         "survey_responses.parquet row 3, column response_date: the value is missing but the column is required"),
    ]
    (raw,) = query(warehouse, "SELECT raw_values FROM etl_quarantine WHERE source_row = 2")[0]
    assert json.loads(raw)["answer"] == 7


def test_a_text_column_where_the_contract_wants_a_number_still_goes_through_the_casts(warehouse, tmp_path):
    load(warehouse, "committees.csv")
    path = survey_file(tmp_path)
    table = pq.read_table(path)
    table = table.set_column(5, "answer", pa.array([str(1 + i % 5) for i in range(40)]))
    table = table.set_column(5, "answer", pa.array(["1", "sju"] + table.column(5).to_pylist()[2:]))
    pq.write_table(table, path)
    (result,) = load(warehouse, path)
    assert query(warehouse, "SELECT source_row, column_name, rule FROM etl_quarantine ORDER BY 1") == [
        (2, "answer", "type"), (3, "response_date", "required")]
    assert query(warehouse, "SELECT reason FROM etl_quarantine WHERE source_row = 2") == [
        ('survey_responses.parquet row 2, column answer: "sju" is not a whole number',)]
    assert result.rows_loaded == 38


def test_only_columns_already_of_the_contract_type_stay_native(tmp_path):
    import duckdb

    from etl.contracts import load_contracts
    from etl.load import _native_for
    from etl.readers import read_file

    data = read_file(survey_file(tmp_path))
    con = duckdb.connect()
    at = data.stage(con, (), _native_for(load_contracts()["survey_responses"]))
    assert data.native_columns == ("response_date", "answer")
    assert con.execute(f"SELECT typeof({at['response_date']}), typeof({at['answer']}), typeof({at['question_id']}) "
                       "FROM source_raw LIMIT 1").fetchall() == [("DATE", "BIGINT", "VARCHAR")]
