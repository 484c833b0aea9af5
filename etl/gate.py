"""Great Expectations gate: a suite built from the contract, run on the typed batch as a pandas frame.

`great_expectations` is imported lazily here only (it costs ~8 s and ~260 MB).
"""
from __future__ import annotations

import os
import threading
from functools import lru_cache

import pandas as pd

from etl.contracts import Contract


def build_suite(contract: Contract, present: set[str]):
    import great_expectations as gx

    mostly = round(1.0 - contract.max_bad_share, 10)
    ex = gx.expectations
    suite = gx.ExpectationSuite(name=f"contract_{contract.source}")
    for col in contract.columns:
        if not col.optional:
            suite.add_expectation(ex.ExpectColumnToExist(column=col.name))
        if col.name not in present:
            continue
        if col.required:
            suite.add_expectation(ex.ExpectColumnValuesToNotBeNull(column=col.name, mostly=mostly))
        if col.allowed:
            suite.add_expectation(ex.ExpectColumnValuesToBeInSet(
                column=col.name, value_set=list(col.allowed), mostly=mostly))
        if col.min is not None or col.max is not None:
            suite.add_expectation(ex.ExpectColumnValuesToBeBetween(
                column=col.name, min_value=col.min, max_value=col.max, mostly=mostly))
        if col.pattern:
            suite.add_expectation(ex.ExpectColumnValuesToMatchRegex(
                column=col.name, regex=col.pattern, mostly=mostly))
        if col.not_before and col.not_before in present:
            suite.add_expectation(ex.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=col.name, column_B=col.not_before, or_equal=True,
                ignore_row_if="either_value_is_missing", mostly=mostly))
        if col.not_above and col.not_above in present:
            suite.add_expectation(ex.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=col.not_above, column_B=col.name, or_equal=True,
                ignore_row_if="either_value_is_missing", mostly=mostly))
    return suite


def gate_columns(contract: Contract, present: set[str]) -> list[str]:
    """Columns the suite looks at: every non-optional column plus optional ones with a value rule."""
    needed = set()
    for col in contract.columns:
        ruled = col.required or col.allowed or col.min is not None or col.max is not None or col.pattern
        partners = [c for c in (col.not_before, col.not_above) if c]
        if not col.optional or ruled or partners:
            needed.add(col.name)
            needed.update(partners)
    return [c for c in contract.column_names if c in needed and c in present]


_SETUP_LOCK = threading.Lock()


def warm_up_in_background() -> None:
    """Import GE and build its context in a thread while other work (generating, reading) runs."""
    threading.Thread(target=_batch_definition, name="gx-warm-up", daemon=True).start()


def _batch_definition():
    with _SETUP_LOCK:
        return _create_batch_definition()


@lru_cache(maxsize=1)
def _create_batch_definition():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("etl").add_dataframe_asset("batch")
    return asset.add_batch_definition_whole_dataframe("whole")


def validate_frame(contract: Contract, frame: pd.DataFrame, present: set[str]) -> list[str]:
    """Run the contract suite; returns plain-words failures (empty list = the gate passes)."""
    if frame.empty:
        return []
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(build_suite(contract, present), result_format="SUMMARY")
    return [_describe(r) for r in result.results if not r.success]


def _describe(result) -> str:
    config = result.expectation_config
    kwargs = config.kwargs
    column = kwargs.get("column") or f"{kwargs.get('column_A')}/{kwargs.get('column_B')}"
    share = result.result.get("unexpected_percent")
    detail = f", {share:.1f} % of rows fail, allowed at most {100 * (1 - kwargs.get('mostly', 1)):.1f} %" \
        if share is not None else ""
    if result.exception_info and result.exception_info.get("raised_exception"):
        detail += f" ({result.exception_info.get('exception_message')})"
    return f"Great Expectations check {config.type} on column {column} failed{detail}"
