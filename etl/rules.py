"""Contract → DuckDB SQL: typed values and row-rule violations, set-based (no per-row Python).

Tables used inside one load connection (all TEMP):
  cand  original text per source column + _source_row (one row per candidate record); a TEMP view over
        source_raw for a file read straight, a TEMP table for a collapsed event log (etl/load.py `_stage`)
  typed _source_row, per column "<c>__raw" (cleaned text, NULL when missing) and "<c>" (typed);
        a Parquet column already of the contract type, and a text (varchar) column, whose cleaned
        text is its value, have only "<c>" (see raw_expr)
  violations(_source_row, column_name, rule, reason)
"""
from __future__ import annotations

from etl.contracts import DUCKDB_TYPES, Column, Contract

TRUE_WORDS = ("true", "t", "1", "yes", "y", "ja", "j", "sant")
FALSE_WORDS = ("false", "f", "0", "no", "n", "nej", "falskt")
# Numbers are parsed only in the file's own format. Decimal point (',' / tab files, Excel, Parquet,
# SQL): no thousands separator at all. Decimal comma (';' files): thousands only as groups of three
# digits after a space or no-break space, so "1.234" or a cut-off "3 66" is a bad value, never a
# smaller number.
INTEGER_RE = r"[+-]?\d+(\.0*)?"
DECIMAL_RE = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"
GROUPED = "(\\d{1,3}([ \u00a0]\\d{3})+|\\d+)"
INTEGER_COMMA_RE = f"[+-]?{GROUPED}(,0*)?"
DECIMAL_COMMA_RE = f"[+-]?({GROUPED}(,\\d*)?|,\\d+)([eE][+-]?\\d+)?"
NOT_FINITE_WORDS = ("inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "nan", "+nan", "-nan")

TYPE_WORDS = {
    "varchar": "text",
    "integer": "a whole number",
    "decimal": "a number",
    "boolean": "true or false (also 1/0, yes/no, ja/nej)",
    "date": "a date (YYYY-MM-DD)",
    "month": "a month (YYYY-MM)",
}


def q(name: str) -> str:
    """Quote an identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value) -> str:
    """SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


WHITESPACE = " \t\r\n\u00a0"


def clean_expr(column: str, missing: tuple[str, ...]) -> str:
    """Trimmed text, NULL when it is one of the missing-value words.

    trim() with a character set costs ~80 ns a value on plain vectors; most cells have nothing to
    trim, so a test of the first and the last character decides first. The code points of the two
    ends (ascii() of a character is its code point; right() counts characters) cost ~25 % less than
    the regexp '^[…]|[…]$' used before (docs/benchmark.md, "Incident ETL at 10×, session 6"), and
    say the same (tests/etl/test_event_collapse.py: test_clean_expr_trims_like_python)."""
    x = q(column)
    trimmed = f"trim({x}, {lit(WHITESPACE)})"
    missing_sql = ", ".join(lit(m) for m in missing) or "''"
    points = ", ".join(str(ord(ch)) for ch in WHITESPACE)
    edges = f"(ascii({x}) IN ({points}) OR ascii(right({x}, 1)) IN ({points}))"
    return (f"CASE WHEN {x} IN ({missing_sql}) THEN NULL "
            f"WHEN {edges} THEN "
            f"(CASE WHEN {trimmed} IN ({missing_sql}) THEN NULL ELSE {trimmed} END) "
            f"ELSE {x} END")


def _number_text(x: str, decimal_comma: bool) -> str:
    if not decimal_comma:
        return x
    return f"replace(replace(replace({x}, ' ', ''), '\u00a0', ''), ',', '.')"


def number_pattern(kind: str, decimal_comma: bool) -> str:
    if kind == "integer":
        return INTEGER_COMMA_RE if decimal_comma else INTEGER_RE
    return DECIMAL_COMMA_RE if decimal_comma else DECIMAL_RE


def timestamp_formats(contract: Contract, col: Column) -> list[str]:
    fmt = col.format or contract.timestamp_format
    if not fmt:
        return []
    return [fmt, fmt + ":%S"] if fmt.endswith("%M") else [fmt]


def cast_expr(x: str, col: Column, contract: Contract, decimal_comma: bool) -> str:
    """DuckDB expression turning cleaned text `x` into the contract type (NULL when it does not parse)."""
    kind = col.type
    if kind == "varchar":
        return x
    if kind == "integer":
        # exact: no detour through DOUBLE; beyond BIGINT the value is NULL (a type violation)
        n = _number_text(x, decimal_comma)
        return (f"CASE WHEN regexp_full_match({x}, {lit(number_pattern(kind, decimal_comma))}) "
                f"THEN TRY_CAST({n} AS BIGINT) END")  # the pattern allows only '.0…' after the digits
    if kind == "decimal":  # 1e400 parses to infinity: only finite numbers are values
        return finite_expr(decimal_number_expr(x, decimal_comma))
    if kind == "boolean":
        trues = ", ".join(lit(w) for w in TRUE_WORDS)
        falses = ", ".join(lit(w) for w in FALSE_WORDS)
        return f"CASE WHEN lower({x}) IN ({trues}) THEN TRUE WHEN lower({x}) IN ({falses}) THEN FALSE END"
    if kind == "month":
        return (f"CASE WHEN regexp_full_match({x}, '\\d{{4}}-\\d{{1,2}}') THEN TRY_CAST({x} || '-01' AS DATE) "
                f"ELSE CAST(date_trunc('month', TRY_CAST({x} AS DATE)) AS DATE) END")
    if kind == "date":
        parts = [f"CAST(try_strptime({x}, {lit(col.format)}) AS DATE)"] if col.format else []
        parts.append(f"CASE WHEN regexp_full_match({x}, '\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}( 00:00(:00)?)?') "
                     f"THEN TRY_CAST(left({x}, 10) AS DATE) END")
        return f"COALESCE({', '.join(parts)})"
    if kind == "timestamp":
        parts = [f"try_strptime({x}, {lit(f)})" for f in timestamp_formats(contract, col)]
        parts.append(f"TRY_CAST({x} AS TIMESTAMP)")
        return f"COALESCE({', '.join(parts)})"
    raise ValueError(f"unknown contract type {kind}")


def type_reason(raw: str, col: Column, contract: Contract, decimal_comma: bool) -> str:
    """SQL for the plain reason a non-empty value did not parse (after the quoted value)."""
    plain = lit(" is not " + type_words(col, contract))
    if col.type not in ("integer", "decimal"):
        return plain
    other, fmt = ("'.'", "decimal comma: write 1234,5 or 1 234,5") if decimal_comma else (
        "','", "decimal point, no thousands separator: write 1234.5")
    words = ", ".join(lit(w) for w in NOT_FINITE_WORDS)
    pattern = lit(number_pattern(col.type, decimal_comma))
    parts = [f"WHEN lower({raw}) IN ({words}) THEN {lit(' is not a finite number')}"]
    if col.type == "integer":
        parts.append(f"WHEN regexp_full_match({raw}, {pattern}) THEN "
                     f"{lit(' is a whole number too large to store (more than 19 digits)')}")
    else:
        parts.append(f"WHEN regexp_full_match({raw}, {pattern}) THEN {lit(' is not a finite number (too large)')}")
    other_sep = "[. \u00a0]" if decimal_comma else "[, \u00a0]"
    parts.append(f"WHEN regexp_matches({raw}, '^[+-]?[0-9 \u00a0.,]+$') AND regexp_matches({raw}, '{other_sep}') THEN "
                 f"{lit(' is not ' + type_words(col, contract) + ' in this file' + chr(39) + 's number format (' + fmt + ')')}")
    return f"CASE {' '.join(parts)} ELSE {plain} END"


def type_words(col: Column, contract: Contract) -> str:
    if col.type == "timestamp":
        fmts = timestamp_formats(contract, col)
        shown = fmts[0].replace("%d", "DD").replace("%m", "MM").replace("%Y", "YYYY").replace(
            "%H", "HH").replace("%M", "MM") if fmts else "YYYY-MM-DD HH:MM"
        return f"a date and time ({shown})"
    return TYPE_WORDS[col.type]


# Parquet column types that already are the contract type: such columns skip the text round trip.
NATIVE_TYPES = {
    "integer": ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"),
    "decimal": ("FLOAT", "DOUBLE", "TINYINT", "SMALLINT", "INTEGER", "BIGINT"),
    "boolean": ("BOOLEAN",),
    "date": ("DATE",),
    "timestamp": ("TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"),
}


def is_native(col: Column, source_type: str) -> bool:
    return source_type.upper() in NATIVE_TYPES.get(col.type, ())


def raw_expr(name: str, native: frozenset[str], contract: Contract | None = None) -> str:
    """The cleaned source text of a column in `typed` (for natively typed columns: the value as text;
    for a varchar column of `contract`: the column itself, typed keeps no second copy of it)."""
    if name in native:
        return f"CAST({q(name)} AS VARCHAR)"
    if contract is not None and name in contract.column_names and contract.column(name).type == "varchar":
        return q(name)
    return q(name + "__raw")


def decimal_number_expr(x: str, decimal_comma: bool) -> str:
    """The first step of a decimal's cast: the number the text `x` parses to (infinite ones too)."""
    return (f"CASE WHEN regexp_full_match({x}, {lit(number_pattern('decimal', decimal_comma))}) "
            f"THEN TRY_CAST({_number_text(x, decimal_comma)} AS DOUBLE) END")


def finite_expr(v: str) -> str:
    """The second step: only finite numbers are values."""
    return f"CASE WHEN isfinite({v}) THEN {v} END"


def create_typed(con, contract: Contract, present: set[str], decimal_comma: bool,
                 native: frozenset[str] = frozenset()) -> None:
    # Cleaning happens once in the inner query; the casts then work on the cleaned text. A decimal is parsed
    # once in a middle query (decimal_number_expr) and kept where finite in the outer one: cast_expr's single
    # expression parses it twice (~0.12 CPU s of 0.33 for the 1.2 M amounts of a 10x ledger; docs/benchmark.md
    # "Survey answers and it_costs at 10×, session 8"); the values are the same (tests/etl/test_typed_decimal.py).
    cleaned, parts, numbers = ["_source_row"], ["_source_row"], []
    for col in contract.columns:
        if col.name in native:
            cleaned.append(q(col.name))
            parts.append(f"CAST({q(col.name)} AS {DUCKDB_TYPES[col.type]}) AS {q(col.name)}")
            continue
        raw = q(col.name + "__raw")
        if col.name in present:
            cleaned.append(f"{clean_expr(col.name, contract.missing_values)} AS {raw}")
        else:
            cleaned.append(f"CAST(NULL AS VARCHAR) AS {raw}")
        if col.type == "varchar":  # the cleaned text is the value: one column, not two equal ones
            parts.append(f"{raw} AS {q(col.name)}")
            continue
        parts.append(raw)
        if col.type == "decimal":
            number = q(col.name + "__number")
            numbers.append(f"{decimal_number_expr(raw, decimal_comma)} AS {number}")
            parts.append(f"{finite_expr(number)} AS {q(col.name)}")
            continue
        parts.append(f"{cast_expr(raw, col, contract, decimal_comma)} AS {q(col.name)}")
    inner = f"SELECT {', '.join(cleaned)} FROM cand"
    if numbers:
        inner = f"SELECT *, {', '.join(numbers)} FROM ({inner})"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE typed AS SELECT {', '.join(parts)} FROM ({inner})""")


def _check(file_name: str, col: str, rule: str, condition: str, detail: str) -> str:
    """One row rule as a SELECT over typed. The file name is the bound parameter $file, never SQL text."""
    prefix = "$file || ' row ' || _source_row || " + lit(f", column {col}: ")
    return (f"SELECT _source_row, {lit(col)} AS column_name, {lit(rule)} AS rule, "
            f"{prefix} || {detail} AS reason FROM typed WHERE {condition}")


def column_checks(col: Column, contract: Contract, file_name: str,
                  native: frozenset[str] = frozenset(), decimal_comma: bool = False,
                  window: tuple | None = None) -> list[str]:
    c, raw = q(col.name), raw_expr(col.name, native, contract)
    quoted_raw = f"'\"' || {raw} || '\"'"
    checks = []
    if col.type != "varchar" and col.name not in native:
        checks.append(_check(file_name, col.name, "type", f"{raw} IS NOT NULL AND {c} IS NULL",
                             f"{quoted_raw} || {type_reason(raw, col, contract, decimal_comma)}"))
    if col.type == "decimal" and col.name in native:  # Parquet DOUBLE/FLOAT may hold NaN or ±inf
        checks.append(_check(file_name, col.name, "finite", f"NOT isfinite({c})",
                             f"{quoted_raw} || {lit(' is not a finite number')}"))
    plausible = plausible_dates(col, window)
    if plausible:
        first, last = plausible
        checks.append(_check(
            file_name, col.name, "plausible",
            plausible_condition(c, col.type, first, last),
            f"{raw} || {lit(f' is outside the plausible dates {first} to {last}; check the value (the window is set by SCORECARD_EARLIEST_DATE / SCORECARD_FUTURE_MONTHS)')}"))
    if col.required:
        checks.append(_check(file_name, col.name, "required", f"{raw} IS NULL",
                             lit("the value is missing but the column is required")))
    if col.allowed:
        values = ", ".join(lit(v) for v in col.allowed)
        checks.append(_check(file_name, col.name, "allowed", f"CAST({c} AS VARCHAR) NOT IN ({values})",
                             f"{quoted_raw} || {lit(' is not one of ' + ', '.join(col.allowed))}"))
    if col.min is not None:
        checks.append(_check(file_name, col.name, "min", f"{c} < {col.min}",
                             f"{raw} || {lit(f' is below the minimum {col.min:g}')}"))
    if col.max is not None:
        checks.append(_check(file_name, col.name, "max", f"{c} > {col.max}",
                             f"{raw} || {lit(f' is above the maximum {col.max:g}')}"))
    if col.pattern:
        checks.append(_check(file_name, col.name, "pattern", f"NOT regexp_full_match({c}, {lit(col.pattern)})",
                             f"{quoted_raw} || {lit(' does not have the expected form ' + col.pattern)}"))
    for rule, other, op, words in (("not_before", col.not_before, "<", "is before"),
                                   ("not_above", col.not_above, ">", "is above")):
        if other:
            checks.append(_check(
                file_name, col.name, rule, f"{c} {op} {q(other)}",
                f"{lit(col.name + ' ')} || {raw} || {lit(f' {words} {other} ')} || {raw_expr(other, native, contract)}"))
    if col.references:
        table, ref_col = col.references.split(".")
        checks.append(_check(
            file_name, col.name, "references",
            f"{c} IS NOT NULL AND {c} NOT IN (SELECT {q(ref_col)} FROM {table} WHERE {q(ref_col)} IS NOT NULL)",
            f"{quoted_raw} || {lit(f' is not a known {ref_col} in {table} (load that source first)')}"))
    return checks


def plausible_condition(c: str, kind: str, first: str, last: str) -> str:
    """Outside [first, last] (ISO dates), compared in the column's own type (no cast per value)."""
    if kind == "timestamp":
        from datetime import date, timedelta

        after = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
        return f"{c} < TIMESTAMP {lit(first)} OR {c} >= TIMESTAMP {lit(after)}"
    return f"{c} < DATE {lit(first)} OR {c} > DATE {lit(last)}"


def plausible_dates(col: Column, window: tuple | None) -> tuple[str, str] | None:
    """(first, last) ISO dates a date/month/timestamp column may hold, or None (no check)."""
    if window is None or col.type not in ("date", "month", "timestamp"):
        return None
    from datetime import date

    earliest, today, default_future = window
    months = default_future if col.future_months is None else col.future_months
    y, m = divmod(today.year * 12 + today.month - 1 + months + 1, 12)
    last = date(y, m + 1, 1).toordinal() - 1  # last day of the month `months` after this one
    return earliest.isoformat(), date.fromordinal(last).isoformat()


def create_violations(con, contract: Contract, file_name: str, native: frozenset[str] = frozenset(),
                      decimal_comma: bool = False, window: tuple | None = None,
                      truncated_row: int | None = None) -> None:
    """`window` = (earliest date, today, default future months) for the plausibility rule;
    `truncated_row`: the last row of a file that ends without a line break (it may be cut off)."""
    checks = [sql for col in contract.columns
              for sql in column_checks(col, contract, file_name, native, decimal_comma, window)]
    if truncated_row is not None:
        checks.append(
            "SELECT _source_row, NULL AS column_name, 'truncated' AS rule, $file || ' row ' || _source_row || "
            + lit(": the file ends inside this last line (no line break after it), so the line may be cut off; "
                  "check the export and load the whole file again")
            + f" AS reason FROM typed WHERE _source_row = {int(truncated_row)}")
    body = " UNION ALL ".join(checks) if checks else (
        "SELECT NULL::BIGINT, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR WHERE FALSE")
    params = {"file": file_name} if "$file" in body else None
    con.execute(f"CREATE OR REPLACE TEMP TABLE violations AS {body}", params)
    _add_duplicate_keys(con, contract, file_name)


def _add_duplicate_keys(con, contract: Contract, file_name: str) -> None:
    """Within the rows that passed every other rule, later rows with an already seen key are quarantined.

    First a cheap test whether any key can repeat at all: rows with equal keys have equal hash() values, so
    when no two rows share a hash (one sort of a 64-bit column, then each value against its predecessor) no
    key repeats and there is nothing to add. Otherwise (a repeated key, or two keys whose hashes collide) the
    exact check below runs as before. Survey answers at 10×: 1.6 → 0.8 CPU s (docs/benchmark.md, "Typing,
    rules and write, session 7"); tests/etl/test_duplicate_keys.py checks it adds what the exact check adds."""
    keys = ", ".join(q(k) for k in contract.key)
    repeated_hash = con.execute(f"""
        SELECT count(*) FROM (
            SELECT h, lag(h) OVER (ORDER BY h) AS previous
            FROM (SELECT hash({keys}) AS h FROM typed
                  WHERE _source_row NOT IN (SELECT _source_row FROM violations)))
        WHERE h = previous""").fetchall()[0][0]
    if repeated_hash == 0:
        return
    _add_duplicate_keys_exact(con, contract, file_name)


def _add_duplicate_keys_exact(con, contract: Contract, file_name: str) -> None:
    keys = ", ".join(q(k) for k in contract.key)
    key_text = " || ', ' || ".join(f"{lit(k + '=')} || coalesce(CAST({q(k)} AS VARCHAR), '')" for k in contract.key)
    # The window (a sort) runs only over keys that occur more than once: usually none.
    con.execute(f"""
        WITH clean_rows AS (SELECT * FROM typed WHERE _source_row NOT IN (SELECT _source_row FROM violations)),
             repeated AS (SELECT {keys} FROM clean_rows GROUP BY ALL HAVING count(*) > 1)
        INSERT INTO violations
        SELECT _source_row, {lit(','.join(contract.key))}, 'duplicate_key',
               $file || ' row ' || _source_row || {lit(', column ' + ','.join(contract.key) + ': key ')}
               || {key_text} || ' already appears in row ' || first_row
        FROM (SELECT _source_row, {keys},
                     row_number() OVER (PARTITION BY {keys} ORDER BY _source_row) AS n,
                     min(_source_row) OVER (PARTITION BY {keys}) AS first_row
              FROM clean_rows SEMI JOIN repeated USING ({keys}))
        WHERE n > 1
    """, {"file": file_name})


def scope_expr(contract: Contract, name: str, alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    if name == "month" and "month" not in contract.column_names:
        return f"CAST(date_trunc('month', {prefix}{q(contract.period_column)}) AS DATE)"
    return f"{prefix}{q(name)}"


def scope_bounds(con, contract: Contract, rows: str, alias: str) -> tuple[str, dict]:
    """(SQL condition on the rows `alias` of the contract's table, its named parameters): true for every row
    whose scope columns can equal those of one of the batch's rows `rows` (a SELECT … FROM typed …), i.e. each
    scope column between the smallest and the largest value of the batch. Added to a join of the whole table
    with the batch's scope, it lets DuckDB skip the fact store's files and row groups whose min/max statistics
    lie outside the batch's range (incident numbers and ledger line ids grow with time, so a delivery's keys
    fall in the last months' files) instead of reading the key columns of the whole history. The values are
    parameters, never SQL text; a scope column given by an expression (the month of the period column) adds
    no bound. A scope column with no value in the batch matches no row (`false`)."""
    names = [n for n in contract.scope if n in contract.column_names]
    if not names:
        return "true", {}
    found = con.execute(f"SELECT {', '.join(f'min({q(n)}), max({q(n)})' for n in names)} FROM ({rows})").fetchone()
    parts, params = [], {}
    for i, n in enumerate(names):
        lo, hi = found[2 * i], found[2 * i + 1]
        if lo is None:
            return "false", {}
        parts.append(f"{alias}.{q(n)} BETWEEN $scope_lo{i} AND $scope_hi{i}")
        params[f"scope_lo{i}"], params[f"scope_hi{i}"] = lo, hi
    return " AND ".join(parts), params


def period_text_expr(contract: Contract) -> str | None:
    if not contract.period_column:
        return None
    col = contract.column(contract.period_column)
    if contract.period_grain == "year" or col.type == "integer":
        return f"CAST({q(col.name)} AS VARCHAR)"
    return f"strftime({q(col.name)}, '%Y-%m')"
