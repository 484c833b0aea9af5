"""Great Expectations gate: a suite built from the contract, run on the typed batch as a pandas frame.

`great_expectations` is imported lazily here only (it costs ~8 s and ~260 MB).
"""
from __future__ import annotations

import os
import threading
from functools import lru_cache
from typing import Iterable

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

    from great_expectations.execution_engine import pandas_execution_engine

    # GE fingerprints every frame under this size by hashing all of its cells, only to label the
    # batch (a marker this project never reads): more than half of the gate's time on large batches.
    pandas_execution_engine.HASH_THRESHOLD = 0
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("etl").add_dataframe_asset("batch")
    return asset.add_batch_definition_whole_dataframe("whole")


def validate_frame(contract: Contract, frame: pd.DataFrame, present: set[str]) -> list[str]:
    """Run the contract suite; returns plain-words failures (empty list = the gate passes)."""
    return validate_chunks(contract, [frame], present)


def validate_chunks(contract: Contract, frames: Iterable[pd.DataFrame], present: set[str]) -> list[str]:
    """The suite over a batch given as consecutive row chunks (a 100x incident export does not fit
    in memory as one pandas frame). With one chunk GE's own verdict stands; with several, each
    expectation's unexpected and counted rows are summed over the chunks and `mostly` is applied to
    the sums, as GE would on the whole frame."""
    suite, verdicts = None, []
    for frame in frames:
        if frame.empty:
            continue
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
        suite = suite or build_suite(contract, present)  # needs the context made by _batch_definition
        results = batch.validate(suite, result_format="SUMMARY").results
        verdicts = [_Verdict(r) for r in results] if not verdicts else [
            v.add(r) for v, r in zip(verdicts, results, strict=True)]
    return [v.describe() for v in verdicts if not v.success]


class _Verdict:
    """One expectation's result, accumulated over chunks."""

    def __init__(self, result):
        self.config, self.chunks, self.ge_success = result.expectation_config, 1, result.success
        self.unexpected, self.counted = _counts(result)
        self.exception = _exception(result)

    def add(self, result) -> "_Verdict":
        if result.expectation_config.type != self.config.type:
            raise RuntimeError("Great Expectations returned results in another order")
        unexpected, counted = _counts(result)
        self.chunks += 1
        self.ge_success = self.ge_success and result.success
        self.unexpected += unexpected
        if self.counted is not None and counted is not None:
            self.counted += counted
        self.exception = self.exception or _exception(result)
        return self

    @property
    def mostly(self) -> float:
        return self.config.kwargs.get("mostly", 1) or 1

    @property
    def success(self) -> bool:
        if self.chunks == 1 or self.exception or self.counted is None:
            return self.ge_success
        return self.counted == 0 or (self.counted - self.unexpected) / self.counted >= self.mostly

    def describe(self) -> str:
        kwargs = self.config.kwargs
        column = kwargs.get("column") or f"{kwargs.get('column_A')}/{kwargs.get('column_B')}"
        detail = ""
        if self.counted:
            detail = (f", {100 * self.unexpected / self.counted:.1f} % of rows fail, "
                      f"allowed at most {100 * (1 - self.mostly):.1f} %")
        if self.exception:
            detail += f" ({self.exception})"
        return f"Great Expectations check {self.config.type} on column {column} failed{detail}"


def _counts(result) -> tuple[int, int | None]:
    """(unexpected rows, rows the expectation judged): missing values do not count where GE skips them."""
    r = result.result or {}
    if r.get("unexpected_count") is None or r.get("element_count") is None:
        return 0, None
    return r["unexpected_count"], r["element_count"] - (r.get("missing_count") or 0)


def _exception(result) -> str | None:
    info = result.exception_info or {}
    return info.get("exception_message") if info.get("raised_exception") else None
