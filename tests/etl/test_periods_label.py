"""etl/load.py `_periods`: the first and last period label of a batch's accepted rows, now taken from the smallest
and largest period instead of from every row's label. Old == new for any batch (Hypothesis: missing, infinite,
BC and five-digit-year periods, rejected rows), and by hand."""
import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.contracts import load_contracts
from etl.load import _periods
from etl.rules import period_text_expr

SURVEY = load_contracts()["survey_responses"]      # period: response_date (date)
INCIDENTS = load_contracts()["incidents"]          # period: opened_at (timestamp)
IT_COSTS = load_contracts()["it_costs"]            # period: month (month)


def _batch(contract, values: list[str | None], rejected: set[int] = frozenset()):
    """typed = one row per value (a DuckDB literal text or None), violations = the rows in `rejected`."""
    con = duckdb.connect()
    col = contract.period_column
    kind = contract.column(col).duckdb_type
    con.execute(f'CREATE TEMP TABLE typed (_source_row INTEGER, "{col}" {kind})')
    for i, v in enumerate(values, 1):
        con.execute(f"INSERT INTO typed VALUES (?, CAST(CAST(? AS VARCHAR) AS {kind}))", [i, v])
    con.execute("CREATE TEMP TABLE violations (_source_row INTEGER)")
    for r in sorted(rejected):
        con.execute("INSERT INTO violations VALUES (?)", [r])
    return con


def _old(con, contract):
    """The form used before session 8: the label of every accepted row, then min and max."""
    expr = period_text_expr(contract)
    return tuple(con.execute(f"""SELECT min({expr}), max({expr}) FROM typed
                                 WHERE _source_row NOT IN (SELECT _source_row FROM violations)""").fetchall()[0])


def test_by_hand():
    con = _batch(SURVEY, ["2024-02-29", "2023-12-31", None, "2024-01-01", "2019-05-05"], rejected={5})
    assert _periods(con, SURVEY) == ("2023-12", "2024-02")
    assert _periods(_batch(SURVEY, [None, None]), SURVEY) == (None, None)
    assert _periods(_batch(SURVEY, []), SURVEY) == (None, None)
    assert _periods(_batch(SURVEY, ["2024-01-05"], rejected={1}), SURVEY) == (None, None)
    # a label order that differs from the date order: the per-row form decides, as before
    assert _periods(_batch(SURVEY, ["12345-01-05", "2024-03-01"]), SURVEY) == ("12345-01", "2024-03")
    assert _periods(_batch(SURVEY, ["infinity", "2024-03-01"]), SURVEY) == ("2024-03", "infinity")
    assert _periods(_batch(INCIDENTS, ["2024-01-31 23:59:59.999999", "2024-02-01 00:00:00"]), INCIDENTS) == \
        ("2024-01", "2024-02")


YEAR = st.one_of(st.integers(1, 9999), st.integers(-300, 0), st.integers(10000, 29000), st.integers(2019, 2026))
DAY = st.one_of(st.none(), st.sampled_from(["infinity", "-infinity"]),
                st.tuples(YEAR, st.integers(1, 12), st.integers(1, 28)))


def _text(day, first_of_month: bool) -> str | None:
    """A DuckDB date literal: years <= 0 as 'YYYY-MM-DD (BC)' (year 0 is 1 BC), five-digit years as they are."""
    if day is None or isinstance(day, str):
        return day
    y, m, d = day
    return f"{y if y > 0 else 1 - y:04d}-{m:02d}-{1 if first_of_month else d:02d}" + (" (BC)" if y <= 0 else "")


@settings(max_examples=150, deadline=None)
@given(st.lists(DAY, max_size=12), st.sets(st.integers(1, 12)), st.sampled_from([SURVEY, INCIDENTS, IT_COSTS]))
def test_the_label_range_is_the_per_row_one(values, rejected, contract):
    con = _batch(contract, [_text(v, contract is IT_COSTS) for v in values], rejected)  # a month: first days
    assert _periods(con, contract) == _old(con, contract)
