"""Great Expectations gate: a suite built from the contract, run on the typed batch as a pandas frame.

`great_expectations` is imported lazily here only (it costs ~8 s and ~260 MB); the app never imports it.

One gate, one verdict. The row rules reject a batch when more than `max_bad_share` of ALL its rows
are bad; GE's `mostly` counts only non-null values. So every `mostly` here is set from the batch's
counts (`BatchCounts`) such that an expectation fails exactly when its unexpected rows exceed the
allowed number of bad rows over all rows (`allowed_bad`), and the suite has one more expectation,
on `_row_ok` (the row passes every row rule, including those GE cannot see on the typed frame:
unparsable values, unknown references, duplicate keys, implausible dates, a cut-off last line).
The suite's verdict therefore equals the row rules' verdict (tests/etl/test_gate_verdict.py).
"""
from __future__ import annotations

import json
import math
import os
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

import pandas as pd

from etl.contracts import Contract


ROW_OK = "_row_ok"


def allowed_bad(total: int, max_bad_share: float) -> int:
    """The most bad rows a batch of `total` rows may have (the row rules' limit, in whole rows)."""
    return math.floor(round(total * max_bad_share, 6))


def rows_pass(total: int, bad: int, max_bad_share: float) -> bool:
    """The row rules' verdict: at most `allowed_bad` of all rows break a rule."""
    return bad <= allowed_bad(total, max_bad_share)


@dataclass
class BatchCounts:
    """Rows in the batch and non-null values per column: turns shares over all rows into GE's
    `mostly` over non-null values."""
    total: int
    non_null: dict[str, int] = field(default_factory=dict)

    def mostly(self, contract: Contract, column: str | None = None) -> float:
        judged = self.total if column is None else self.non_null.get(column, self.total)
        if judged == 0:
            return 1.0
        return max(0.0, (judged - allowed_bad(self.total, contract.max_bad_share)) / judged)


def counts_of(frames: list[pd.DataFrame]) -> BatchCounts:
    total = sum(len(f) for f in frames)
    non_null: dict[str, int] = {}
    for f in frames:
        for c, n in f.count().items():
            non_null[c] = non_null.get(c, 0) + int(n)
    return BatchCounts(total, non_null)


def build_suite(contract: Contract, present: set[str], counts: BatchCounts | None = None, row_ok: bool = False):
    import great_expectations as gx

    def mostly(column: str | None = None, nulls_count: bool = False) -> float:
        if counts is None:  # no batch at hand (docs, benchmarks): the share as GE counts it
            return round(1.0 - contract.max_bad_share, 10)
        return counts.mostly(contract, None if nulls_count else column)

    ex = gx.expectations
    suite = gx.ExpectationSuite(name=f"contract_{contract.source}")
    if row_ok:
        suite.add_expectation(ex.ExpectColumnValuesToBeInSet(
            column=ROW_OK, value_set=[True], mostly=mostly(),
            description="rows that pass every row rule of the contract (shares over all rows)"))
    for col in contract.columns:
        if not col.optional:
            suite.add_expectation(ex.ExpectColumnToExist(column=col.name))
        if col.name not in present:
            continue
        if col.required:
            suite.add_expectation(ex.ExpectColumnValuesToNotBeNull(column=col.name,
                                                                   mostly=mostly(col.name, nulls_count=True)))
        if col.allowed:
            suite.add_expectation(ex.ExpectColumnValuesToBeInSet(
                column=col.name, value_set=list(col.allowed), mostly=mostly(col.name)))
        if col.min is not None or col.max is not None:
            suite.add_expectation(ex.ExpectColumnValuesToBeBetween(
                column=col.name, min_value=col.min, max_value=col.max, mostly=mostly(col.name)))
        if col.pattern:
            suite.add_expectation(ex.ExpectColumnValuesToMatchRegex(
                column=col.name, regex=col.pattern, mostly=mostly(col.name)))
        for a, b in ((col.name, col.not_before), (col.not_above, col.name)):
            if a and b and a in present and b in present:
                # GE judges only rows where both values are present
                both = None if counts is None else min(counts.non_null.get(a, 0), counts.non_null.get(b, 0))
                m = mostly() if counts is None else BatchCounts(counts.total, {"pair": both}).mostly(contract, "pair")
                suite.add_expectation(ex.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A=a, column_B=b, or_equal=True, ignore_row_if="either_value_is_missing", mostly=m))
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

# What GE computes per expectation. The verdict and what etl_gate_results keeps (`_Verdict.summary`)
# need only element, unexpected and missing counts, which BASIC has. SUMMARY also builds the unexpected
# rows' index list and value counts, and BASIC's partial list of unexpected values (here 0 long, the
# quarantine already keeps every bad row with its reason): about half of the gate's time on a 1x ledger
# (docs/benchmark.md, "Fixed costs per batch"), for figures nothing reads.
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 0}


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
    # GE derives an expectation's type from its class name with two regex substitutions every time it
    # builds the expectation's configuration (thousands of times per validation): a pure function of the
    # name, so cached. About a tenth of the gate's time on a small batch (docs/benchmark.md).
    from great_expectations.expectations import expectation as ge_expectation

    if not hasattr(ge_expectation.camel_to_snake, "cache_info"):
        ge_expectation.camel_to_snake = lru_cache(maxsize=None)(ge_expectation.camel_to_snake)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("etl").add_dataframe_asset("batch")
    return asset.add_batch_definition_whole_dataframe("whole")


def validate_frame(contract: Contract, frame: pd.DataFrame, present: set[str]) -> list[str]:
    """Run the contract suite; returns plain-words failures (empty list = the gate passes)."""
    return validate_chunks(contract, [frame], present)


def validate_chunks(contract: Contract, frames: Iterable[pd.DataFrame], present: set[str],
                    counts: BatchCounts | None = None) -> list[str]:
    return run_suite(contract, frames, present, counts).failures


@dataclass
class GateResult:
    success: bool
    failures: list[str]
    results: list[dict]          # one entry per expectation: type, kwargs, unexpected, judged, success

    def to_json(self) -> str:
        return json.dumps({"success": self.success, "failures": self.failures, "results": self.results},
                          ensure_ascii=False, default=str)


def run_suite(contract: Contract, frames: Iterable[pd.DataFrame], present: set[str],
              counts: BatchCounts | None = None) -> GateResult:
    """The suite over a batch given as consecutive row chunks (a 100x incident export does not fit
    in memory as one pandas frame). With one chunk GE's own verdict stands; with several, each
    expectation's unexpected and counted rows are summed over the chunks and `mostly` is applied to
    the sums, as GE would on the whole frame. Without `counts` they are taken from the frames."""
    if counts is None:
        frames = list(frames)
        counts = counts_of(frames)
    suite, verdicts, row_ok = None, [], False
    for frame in frames:
        if frame.empty:
            continue
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
        row_ok = ROW_OK in frame.columns
        # needs the context made by _batch_definition
        suite = suite or build_suite(contract, present, counts, row_ok=row_ok)
        results = batch.validate(suite, result_format=RESULT_FORMAT).results
        verdicts = [_Verdict(r, contract.max_bad_share, counts.total) for r in results] if not verdicts else [
            v.add(r) for v, r in zip(verdicts, results, strict=True)]
    failures = [v.describe() for v in verdicts if not v.success]
    return GateResult(not failures, failures, [v.summary() for v in verdicts])


class _Verdict:
    """One expectation's result, accumulated over chunks."""

    def __init__(self, result, share: float = 0.0, total: int = 0):
        self.share, self.total = share, total
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

    def summary(self) -> dict:
        kwargs = {k: v for k, v in self.config.kwargs.items() if k != "batch_id"}
        return {"expectation": self.config.type, "kwargs": kwargs, "unexpected": self.unexpected,
                "judged": self.counted, "rows": self.total, "success": self.success}

    def describe(self) -> str:
        kwargs = self.config.kwargs
        column = kwargs.get("column") or f"{kwargs.get('column_A')}/{kwargs.get('column_B')}"
        if column == ROW_OK:
            column = "all row rules"
        detail = ""
        if self.total:  # shares over all rows of the batch, as the row rules count them
            detail = (f", {100 * self.unexpected / self.total:.1f} % of rows fail, "
                      f"allowed at most {100 * self.share:.1f} %")
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
