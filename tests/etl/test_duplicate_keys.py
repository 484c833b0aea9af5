"""The duplicate-key rule (etl/rules.py `_add_duplicate_keys`) first tests with one sort of the keys' hash values
whether any key can repeat, and runs the exact check only then (docs/benchmark.md "Typing, rules and write,
session 7"). For any batch — repeated, missing and hostile keys, rows already in violation — it adds exactly the
violations the exact check adds alone."""
import duckdb
import pytest
from hypothesis import given, settings, strategies as st

from etl.contracts import load_contracts
from etl.rules import _add_duplicate_keys, _add_duplicate_keys_exact

SURVEY = load_contracts()["survey_responses"]     # key: survey_kind, response_id, question_id (text)
REPLANS = load_contracts()["benefit_replans"]     # key: benefit_id (text), version (integer), month (month)

texts = st.sampled_from(["a", "a", "b", "", " a", "a ", "\u00a0", "'; DROP TABLE typed; --", "å", "A", None])
survey_rows = st.lists(st.tuples(texts, texts, st.sampled_from(["Q1", "Q2", None]), st.booleans()), max_size=40)
replan_rows = st.lists(st.tuples(st.sampled_from(["B1", "B2", None]), st.sampled_from([1, 2, -0, None]),
                                 st.sampled_from(["2024-01-01", "2024-02-01", None]), st.booleans()), max_size=40)


def _violations(contract, ddl, rows, check) -> list[tuple]:
    con = duckdb.connect()
    try:
        con.execute(f"CREATE TEMP TABLE typed (_source_row BIGINT, {ddl})")
        con.execute("CREATE TEMP TABLE violations (_source_row BIGINT, column_name VARCHAR, rule VARCHAR, reason VARCHAR)")
        for i, (*values, bad) in enumerate(rows, start=1):
            con.execute(f"INSERT INTO typed VALUES (?{', ?' * len(values)})", [i, *values])
            if bad:  # a row that broke another rule takes no part in the key check
                con.execute("INSERT INTO violations VALUES (?, 'x', 'required', 'r')", [i])
        check(con, contract, "f.csv")
        return con.execute("SELECT * FROM violations ORDER BY ALL").fetchall()
    finally:
        con.close()


@settings(max_examples=200, deadline=None)
@given(rows=survey_rows)
def test_text_keys_give_what_the_exact_check_gives(rows):
    ddl = "survey_kind VARCHAR, response_id VARCHAR, question_id VARCHAR"
    assert _violations(SURVEY, ddl, rows, _add_duplicate_keys) == _violations(SURVEY, ddl, rows, _add_duplicate_keys_exact)


@settings(max_examples=100, deadline=None)
@given(rows=replan_rows)
def test_typed_keys_give_what_the_exact_check_gives(rows):
    ddl = "benefit_id VARCHAR, version BIGINT, month DATE"
    assert _violations(REPLANS, ddl, rows, _add_duplicate_keys) == _violations(REPLANS, ddl, rows, _add_duplicate_keys_exact)


@pytest.mark.parametrize("check", [_add_duplicate_keys, _add_duplicate_keys_exact])
def test_a_repeated_key_by_hand(check):
    """Rows 1 and 3 share a key, row 4 repeats row 2's key but already broke a rule, row 5 differs by a space."""
    rows = [("staff_it", "r1", "Q1", False), ("staff_it", "r2", "Q1", False), ("staff_it", "r1", "Q1", False),
            ("staff_it", "r2", "Q1", True), ("staff_it", "r1 ", "Q1", False)]
    got = _violations(SURVEY, "survey_kind VARCHAR, response_id VARCHAR, question_id VARCHAR", rows, check)
    assert [r for r in got if r[2] == "duplicate_key"] == [
        (3, "survey_kind,response_id,question_id", "duplicate_key",
         "f.csv row 3, column survey_kind,response_id,question_id: key survey_kind=staff_it, response_id=r1, "
         "question_id=Q1 already appears in row 1")]


@pytest.mark.parametrize("check", [_add_duplicate_keys, _add_duplicate_keys_exact])
def test_no_repeated_key_adds_nothing(check):
    rows = [("staff_it", f"r{i}", "Q1", False) for i in range(50)]
    assert _violations(SURVEY, "survey_kind VARCHAR, response_id VARCHAR, question_id VARCHAR", rows, check) == []
