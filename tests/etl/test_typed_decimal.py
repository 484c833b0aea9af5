"""etl/rules.py `create_typed` parses a decimal once (decimal_number_expr in a middle query, finite_expr outside)
instead of cast_expr's one expression that parses it twice. Old == new for hostile number text (Hypothesis), with
and without decimal comma, and by hand."""
import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.contracts import load_contracts
from etl.rules import cast_expr, clean_expr, create_typed, q

IT_COSTS = load_contracts()["it_costs"]     # amount_sek: decimal


def _typed(values: list[str | None], decimal_comma: bool) -> tuple[list, list]:
    """(new: typed's amount_sek, old: cast_expr over the cleaned text) per row, in row order."""
    con = duckdb.connect()
    cols = IT_COSTS.column_names
    con.execute("CREATE TEMP TABLE cand (_source_row BIGINT, " + ", ".join(f"{q(c)} VARCHAR" for c in cols) + ")")
    for i, v in enumerate(values, 1):
        con.execute(f"INSERT INTO cand (_source_row, {q('amount_sek')}) VALUES (?, ?)", [i, v])
    create_typed(con, IT_COSTS, set(cols), decimal_comma)
    new = con.execute('SELECT amount_sek, amount_sek__raw FROM typed ORDER BY _source_row').fetchall()
    old_expr = cast_expr(f"({clean_expr('amount_sek', IT_COSTS.missing_values)})", IT_COSTS.column("amount_sek"),
                         IT_COSTS, decimal_comma)
    old = con.execute(f"SELECT {old_expr}, {clean_expr('amount_sek', IT_COSTS.missing_values)} "
                      "FROM cand ORDER BY _source_row").fetchall()
    assert [c for c in con.execute("DESCRIBE typed").fetchall() if c[0].endswith("__number")] == []
    return new, old


def test_by_hand():
    new, old = _typed(["1 234,50", " -12,5 ", "1e400", "-1e400", "abc", "", None, "1\u00a0000", ",5", "1.5"], True)
    assert [v for v, _ in new] == [1234.5, -12.5, None, None, None, None, None, 1000.0, 0.5, None]
    assert new == old
    new, old = _typed(["1.5", "1,5", "1e3", "1e999", ".5", "+7"], False)
    assert [v for v, _ in new] == [1.5, None, 1000.0, None, 0.5, 7.0]
    assert new == old


NUMBER_TEXT = st.one_of(
    st.none(), st.text(alphabet="0123456789 ,.-+eE\u00a0\tx", max_size=14),
    st.builds(lambda d, e: f"{d}e{e}", st.integers(-10 ** 6, 10 ** 6), st.integers(-400, 400)),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda f: str(f).replace(".", ",")))


@settings(max_examples=150, deadline=None)
@given(st.lists(NUMBER_TEXT, max_size=20), st.booleans())
def test_one_parse_equals_cast_expr(values, decimal_comma):
    new, old = _typed(values, decimal_comma)
    assert new == old
