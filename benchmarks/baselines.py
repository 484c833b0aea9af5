"""The two yardsticks the project's ETL is compared with.

* floor: DuckDB's own CSV reader straight into a table
  (``CREATE TABLE t AS SELECT * FROM read_csv(...)``) with the right delimiter, decimal and encoding.
* naive: pandas.read_csv → Great Expectations (result_format COMPLETE) on the same expectations the
  contract implies → DataFrame insert into DuckDB.
"""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import duckdb

from benchmarks.sources import CsvFormat, contract as get_contract, sniff
from etl.contracts import Contract
from etl.readers import transcode_to_utf8

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


# ---------------------------------------------------------------- floor
def floor_sql(paths: list[Path], fmt: CsvFormat, c: Contract) -> str:
    files = "[" + ", ".join(_sql_str(str(p)) for p in paths) + "]"
    if fmt.kind == "parquet":
        return f"SELECT * FROM read_parquet({files})"
    opts = [f"delim={_sql_str(fmt.delimiter)}", "header=true", f"encoding={_sql_str(fmt.duckdb_encoding)}"]
    if fmt.decimal != ".":
        opts.append(f"decimal_separator={_sql_str(fmt.decimal)}")
    nulls = [v for v in c.missing_values]
    if nulls:
        opts.append("nullstr=[" + ", ".join(_sql_str(v) for v in nulls) + "]")
    if c.timestamp_format:
        opts.append(f"timestampformat={_sql_str(c.timestamp_format)}")
    return f"SELECT * FROM read_csv({files}, {', '.join(opts)})"


def run_floor(paths: list[Path], db_path: Path, source: str) -> dict:
    """Time DuckDB's native read of the source file(s) into a table in a fresh database file."""
    c = get_contract(source)
    fmt = sniff(paths[0])
    if fmt.kind not in ("csv", "parquet"):
        return {"source": source, "skipped": f"no DuckDB floor for {fmt.kind}"}
    if db_path.exists():
        db_path.unlink()
    mode = "read_parquet" if fmt.kind == "parquet" else "read_csv"
    c0, t0 = time.process_time(), time.perf_counter()
    tmp_files: list[Path] = []
    if fmt.kind == "csv" and fmt.encoding == "cp1252":
        # try DuckDB's own latin-1 first; if it refuses the bytes, the floor includes a transcode
        try:
            duckdb.connect().execute(f"SELECT count(*) FROM ({floor_sql(paths, fmt, c)})").fetchone()
            c0, t0 = time.process_time(), time.perf_counter()
            mode += " latin-1"
        except duckdb.Error:
            c0, t0 = time.process_time(), time.perf_counter()
            for i, p in enumerate(paths):
                tmp = db_path.with_name(f"{db_path.stem}_utf8_{i}.csv")
                transcode_to_utf8(p, "cp1252", tmp)  # the ETL's own streamed transcode
                tmp_files.append(tmp)
            paths = tmp_files
            fmt = CsvFormat("csv", fmt.delimiter, fmt.decimal, "utf-8")
            mode = "cp1252→utf-8 transcode (Python) + read_csv"
    sql = floor_sql(paths, fmt, c)
    con = duckdb.connect(str(db_path))
    try:
        con.execute(f"CREATE TABLE t AS {sql}")
        types = "sniffed"
    except duckdb.Error:
        # Sniffed types failed on a bad row: the floor then reads everything as text.
        types = "all_varchar"
        con.execute("DROP TABLE IF EXISTS t")
        con.execute(f"CREATE TABLE t AS {sql[:-1]}, all_varchar=true)")
    con.execute("CHECKPOINT")
    con.close()
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    con = duckdb.connect(str(db_path), read_only=True)
    rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    con.close()
    db_path.unlink()
    for tmp in tmp_files:
        tmp.unlink()
    return {"source": source, "seconds": seconds, "cpu_seconds": cpu, "rows": rows, "mode": mode, "types": types,
            "format": fmt.as_dict(), "bytes": sum(Path(p).stat().st_size for p in paths) if not tmp_files else None}


# ---------------------------------------------------------------- naive
def _read_pandas(paths: list[Path], fmt: CsvFormat, c: Contract):
    import pandas as pd

    frames = []
    for p in paths:
        if fmt.kind == "parquet":
            frames.append(pd.read_parquet(p))
        elif fmt.kind == "xlsx":
            frames.append(pd.read_excel(p, dtype=str))
        else:
            frames.append(pd.read_csv(p, sep=fmt.delimiter, decimal=fmt.decimal, encoding=fmt.encoding,
                                      na_values=list(c.missing_values), keep_default_na=False, dtype=str))
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return df


def _coerce(df, c: Contract):
    """Contract types in pandas (bad values → NaN/NaT, as a naive pipeline would)."""
    import pandas as pd

    drop = [col for col in c.drop_columns if col in df.columns]
    if drop:
        df = df.drop(columns=drop)
    for col in c.columns:
        if col.name not in df.columns:
            continue
        s = df[col.name]
        if col.type in ("integer", "decimal", "year"):
            if s.dtype == object or str(s.dtype).startswith("str"):
                s = s.str.replace(",", ".", regex=False) if col.type == "decimal" else s
            df[col.name] = pd.to_numeric(s, errors="coerce")
        elif col.type == "timestamp":
            df[col.name] = pd.to_datetime(s, format=col.format or c.timestamp_format, errors="coerce")
        elif col.type == "date":
            df[col.name] = pd.to_datetime(s, format=col.format or "%Y-%m-%d", errors="coerce")
        elif col.type == "month":
            df[col.name] = pd.to_datetime(s.astype("string").str.slice(0, 7), format="%Y-%m", errors="coerce")
        elif col.type == "boolean":
            df[col.name] = s.map({"true": True, "false": False, "True": True, "False": False,
                                  "1": True, "0": False, "TRUE": True, "FALSE": False})
    if c.preprocess == "servicenow_event_log" and "sys_mod_count" in df.columns:
        # latest state per incident number, like the ETL's event-log collapse
        sort = ["number", "sys_mod_count"] + (["sys_updated_at"] if "sys_updated_at" in df.columns else [])
        df = df.sort_values(sort, kind="stable").drop_duplicates("number", keep="last")
    return df


def expectations_for(c: Contract, reference_values: dict[str, list]) -> list:
    """The expectations the contract implies, as GX 1.x Expectation objects."""
    import great_expectations.expectations as gxe

    mostly = max(0.0, 1.0 - c.max_bad_share)
    exps = []
    for col in c.columns:
        if col.required:
            exps.append(gxe.ExpectColumnValuesToNotBeNull(column=col.name, mostly=mostly))
        if col.allowed:
            exps.append(gxe.ExpectColumnValuesToBeInSet(column=col.name, value_set=list(col.allowed), mostly=mostly))
        if col.min is not None or col.max is not None:
            exps.append(gxe.ExpectColumnValuesToBeBetween(column=col.name, min_value=col.min, max_value=col.max,
                                                          mostly=mostly))
        if col.pattern:
            exps.append(gxe.ExpectColumnValuesToMatchRegex(column=col.name, regex=col.pattern, mostly=mostly))
        if col.references and col.references in reference_values:
            exps.append(gxe.ExpectColumnValuesToBeInSet(column=col.name, value_set=reference_values[col.references],
                                                        mostly=mostly))
        if col.not_before:
            exps.append(gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=col.name, column_B=col.not_before, or_equal=True,
                ignore_row_if="either_value_is_missing", mostly=mostly))
        if col.not_above:
            exps.append(gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=col.not_above, column_B=col.name, or_equal=True,
                ignore_row_if="either_value_is_missing", mostly=mostly))
    if len(c.key) == 1:
        exps.append(gxe.ExpectColumnValuesToBeUnique(column=c.key[0], mostly=mostly))
    else:
        exps.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(c.key), mostly=mostly))
    return exps


def reference_values(warehouse: Path | None, c: Contract) -> dict[str, list]:
    """Values of the referenced dimension keys, read from a loaded warehouse (untimed)."""
    out: dict[str, list] = {}
    if not warehouse or not Path(warehouse).exists():
        return out
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for col in c.columns:
            if col.references:
                table, key = col.references.split(".")
                try:
                    out[col.references] = [r[0] for r in con.execute(f"SELECT DISTINCT {key} FROM {table}").fetchall()]
                except duckdb.Error:
                    pass
    finally:
        con.close()
    return out


_GX_CONTEXT = None


def _gx_batch_definition(name: str):
    """One ephemeral GX context per process (like the ETL's gate), created outside the timings."""
    global _GX_CONTEXT
    import great_expectations as gx

    if _GX_CONTEXT is None:
        _GX_CONTEXT = gx.get_context(mode="ephemeral")
        try:
            from great_expectations.data_context.types.base import ProgressBarsConfig

            _GX_CONTEXT.variables.progress_bars = ProgressBarsConfig(globally=False)
        except Exception:  # noqa: BLE001 - cosmetic only
            pass
        _GX_CONTEXT.data_sources.add_pandas("bench")
        # warm-up: the first validation in a process pays one-time costs (the ETL pays them on its
        # first, small dimension batch, outside the big sources' timings)
        import pandas as pd

        warm = _GX_CONTEXT.data_sources.get("bench").add_dataframe_asset("_warmup")
        suite = gx.ExpectationSuite(name="_warmup")
        suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column="a"))
        warm.add_batch_definition_whole_dataframe("all").get_batch(
            batch_parameters={"dataframe": pd.DataFrame({"a": [1, 2]})}).validate(suite, result_format="COMPLETE")
    ds = _GX_CONTEXT.data_sources.get("bench")
    return ds.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all")


def _has_etl_suite() -> bool:
    try:
        from etl.gate import build_suite  # noqa: F401
    except ImportError:
        return False
    return True


def run_naive(paths: list[Path], db_path: Path, source: str, warehouse: Path | None = None) -> dict:
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    c = get_contract(source)
    fmt = sniff(paths[0])
    refs = {} if _has_etl_suite() else reference_values(warehouse, c)
    if db_path.exists():
        db_path.unlink()
    batch_def = _gx_batch_definition(source)
    timings = {}
    c0, t0 = time.process_time(), time.perf_counter()
    df = _coerce(_read_pandas(paths, fmt, c), c)
    timings["read"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    suite, suite_from = naive_suite(c, set(df.columns), refs)
    batch = batch_def.get_batch(batch_parameters={"dataframe": df})
    result = batch.validate(suite, result_format="COMPLETE")
    timings["validate"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    con = duckdb.connect(str(db_path))
    con.register("df_view", df)
    con.execute("CREATE TABLE t AS SELECT * FROM df_view")
    con.execute("CHECKPOINT")
    con.close()
    timings["insert"] = time.perf_counter() - t2
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    db_path.unlink()
    return {"source": source, "seconds": seconds, "cpu_seconds": cpu, "rows_after_collapse": int(len(df)), "timings": timings,
            "n_expectations": len(suite.expectations), "suite": suite_from, "gx_success": bool(result.success)}


def naive_suite(c: Contract, present: set[str], refs: dict):
    """The ETL's own contract suite (etl.gate.build_suite) when it exists — "the same expectations" —
    else the expectations this module derives from the contract."""
    import great_expectations as gx

    try:
        from etl.gate import build_suite
    except ImportError:
        build_suite = None
    if build_suite is not None:
        return build_suite(c, present), "etl.gate.build_suite"
    suite = gx.ExpectationSuite(name=f"{c.source}_naive")
    for e in expectations_for(c, refs):
        suite.add_expectation(e)
    return suite, "benchmarks.baselines.expectations_for"
