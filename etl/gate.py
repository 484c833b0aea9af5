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
    expectations: list = []

    class _Suite:  # collects in order; `ExpectationSuite(expectations=...)` below builds the suite once
        @staticmethod
        def add_expectation(expectation):
            expectations.append(expectation)

    suite = _Suite
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
    # ExpectationSuite.add_expectation compares each new expectation with every one already added
    # (a pydantic dict() per pair) and asks the context's store whether the suite was saved: ~10 % of a
    # small batch's gate. The constructor takes the list as it is, so equal ones are dropped here, as
    # add_expectation would (a suite is set-like).
    unique, seen = [], set()
    for e in expectations:
        # what ExpectationSuite._expectations_are_equalish compares: the type and every field but these
        key = (e.expectation_type, json.dumps(e.dict(exclude={"id", "rendered_content", "notes", "meta"}),
                                              sort_keys=True, default=str))
        if key not in seen:
            seen.add(key)
            unique.append(e)
    return gx.ExpectationSuite(name=f"contract_{contract.source}", expectations=unique)


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
    _build_configuration_once(ge_expectation)
    import great_expectations.core.id_dict as ge_id_dict
    import great_expectations.util as ge_util

    _none_first(ge_util, ge_id_dict)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("etl").add_dataframe_asset("batch")
    return asset.add_batch_definition_whole_dataframe("whole")


# GE's Expectation methods that collect an expectation's kwargs rebuild its whole configuration (a pydantic
# dict() of every field, then an ExpectationConfiguration) once PER KEY they look up: ~1 000 rebuilds
# per validation of a 13-expectation suite, a fifth of a small batch's gate. `_build_configuration_once`
# replaces them with versions that build it once per call and return the same values; only while GE's
# originals are exactly these (sha256 of their source, great_expectations 1.24.1), else GE's own stay.
# tests/etl/test_gate_groups.py fails when they differ (a GE upgrade) and compares the results.
GE_KWARGS_SOURCES = {
    "_get_domain_kwargs": "91ad2a0670ff463a",
    "_get_success_kwargs": "fe376905e18bc525",
    "_get_runtime_kwargs": "4196ca2a2cdb5bbf",
    "_get_success_kwarg": "baef37a186b40871",
}
GE_ORIGINALS: dict = {}


def ge_source_hash(fn) -> str:
    import hashlib
    import inspect

    return hashlib.sha256(inspect.getsource(fn).encode()).hexdigest()[:16]


def _build_configuration_once(ge_expectation) -> bool:
    """Patch Expectation's kwargs getters (see GE_KWARGS_SOURCES); True when patched."""
    cls = ge_expectation.Expectation
    if "_get_domain_kwargs" in GE_ORIGINALS:
        return True
    if any(ge_source_hash(getattr(cls, name)) != digest for name, digest in GE_KWARGS_SOURCES.items()):
        return False
    parse_result_format = ge_expectation.parse_result_format

    def _get_domain_kwargs(self):
        kwargs = self.configuration.kwargs
        return {key: kwargs.get(key, self._get_default_value(key)) for key in self.domain_keys}

    def _get_success_kwargs(self, kwargs=None):
        if kwargs is None:
            kwargs = self.configuration.kwargs
        if type(self)._get_domain_kwargs is _get_domain_kwargs:  # not overridden: same kwargs
            domain_kwargs = {key: kwargs.get(key, self._get_default_value(key)) for key in self.domain_keys}
        else:
            domain_kwargs = self._get_domain_kwargs()
        success_kwargs = {key: kwargs.get(key, self._get_default_value(key)) for key in self.success_keys}
        success_kwargs.update(domain_kwargs)
        return success_kwargs

    def _get_runtime_kwargs(self, runtime_configuration=None):
        runtime_configuration = runtime_configuration or {}
        kwargs = self.configuration.kwargs
        if type(self)._get_success_kwargs is _get_success_kwargs:  # not overridden: same kwargs
            success_kwargs = _get_success_kwargs(self, kwargs)
        else:
            success_kwargs = self._get_success_kwargs()

        def success_kwarg(key):  # _get_success_kwarg(key) without rebuilding the configuration
            if key in kwargs:
                return kwargs[key]
            field = self.__fields__.get(key)
            if field is not None:
                return field.default if not field.required else None
            return self._get_success_kwarg(key)  # GE's own: logs the unknown key

        runtime_kwargs = {key: runtime_configuration.get(key, success_kwarg(key)) for key in self.runtime_keys}
        runtime_kwargs.update(success_kwargs)
        runtime_kwargs["result_format"] = parse_result_format(runtime_kwargs["result_format"])
        return runtime_kwargs

    for fn in (_get_domain_kwargs, _get_success_kwargs, _get_runtime_kwargs):
        GE_ORIGINALS[fn.__name__] = getattr(cls, fn.__name__)
        setattr(cls, fn.__name__, fn)
    return True


GE_SERIALIZABLE_SOURCE = "a282e2e272fc0dd2"  # great_expectations.util.convert_to_json_serializable, 1.24.1


def _none_first(ge_util, ge_id_dict) -> bool:
    """GE turns every metric's kwargs into JSON to name the metric (IDDict.to_id, ~600 times per
    validation), and its converter reaches `None` (row_condition, condition_parser, …) only after four
    numpy `issubdtype` calls: ~a fifth of a small batch's gate. The same function with `None` answered
    first (it returns None for None either way); only while GE's source is the one checked."""
    original = ge_util.convert_to_json_serializable
    if getattr(original, "_none_first", False):
        return True
    if ge_source_hash(original) != GE_SERIALIZABLE_SOURCE:
        return False

    def convert_to_json_serializable(data):
        if data is None:
            return None
        return original(data)

    convert_to_json_serializable._none_first = True
    convert_to_json_serializable.__wrapped__ = original
    # the original calls itself by its module-level name, so nested values take the short path too
    ge_util.convert_to_json_serializable = convert_to_json_serializable
    ge_id_dict.convert_to_json_serializable = convert_to_json_serializable
    GE_ORIGINALS["convert_to_json_serializable"] = original
    return True


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
    suite, groups, verdicts, row_ok = None, None, [], False
    for frame in frames:
        if frame.empty:
            continue
        batch_definition = _batch_definition()  # makes the context build_suite needs
        row_ok = ROW_OK in frame.columns
        if suite is None:
            suite = build_suite(contract, present, counts, row_ok=row_ok)
            groups = suite_groups(suite, counts)
        results = _validate_groups(batch_definition, groups, frame)
        verdicts = [_Verdict(r, contract.max_bad_share, counts.total) for r in results] if not verdicts else [
            v.add(r) for v, r in zip(verdicts, results, strict=True)]
    failures = [v.describe() for v in verdicts if not v.success]
    return GateResult(not failures, failures, [v.summary() for v in verdicts])


# From this many rows in a batch, expectations that make GE copy the whole frame run on a frame of
# their own columns (see `suite_groups`). Measured per validation (CPU, docs/benchmark.md, "The Great
# Expectations gate, session 7"): one extra group costs ~3 ms; at 239 k incident records splitting
# saves ~90 ms, at 2.39 M ~1.1 s; at 20–60 k rows (e-service transactions, outages) it cost 3–6 ms.
GROUP_SPLIT_ROWS = 100_000


def _columns_of(expectation) -> tuple[str, ...]:
    kwargs = expectation.configuration.kwargs
    return tuple(kwargs[k] for k in ("column", "column_A", "column_B") if kwargs.get(k))


def suite_groups(suite, counts: BatchCounts) -> list[tuple[tuple[str, ...] | None, list[int], object]]:
    """The suite as (columns, positions in the suite, sub-suite) groups, each validated on a frame of
    only its columns (None: the whole frame).

    GE's pandas engine computes a column's value metrics on `df[df[column].notnull()]` and a column
    pair's on `df.dropna(subset=[A, B])`: a copy of EVERY column of the frame per metric, unless no row
    is dropped (pandas then returns the frame as it is). On a wide frame with optional columns that is
    most of the gate's time (2.39 M incident records: ~1.2 of ~1.8 CPU s). So, on large batches, each
    column pair and each column with missing values gets a frame of its own columns; the rest stay
    together. An expectation's result depends only on its own columns and the number of rows, which
    every group frame shares (tests/etl/test_gate_groups.py checks the results are equal)."""
    import great_expectations as gx

    whole = [(None, list(range(len(suite.expectations))), suite)]
    if counts.total < GROUP_SPLIT_ROWS:
        return whole
    by_columns: dict[tuple[str, ...] | None, list[int]] = {}
    for i, e in enumerate(suite.expectations):
        cols = _columns_of(e)
        own = len(cols) == 2 or (len(cols) == 1 and counts.non_null.get(cols[0], counts.total) < counts.total)
        by_columns.setdefault(cols if own else None, []).append(i)
    if len(by_columns) == 1:
        return whole
    return [(cols, idx, gx.ExpectationSuite(name=f"{suite.name}_{n}", expectations=[suite.expectations[i] for i in idx]))
            for n, (cols, idx) in enumerate(by_columns.items())]


def _validate_groups(batch_definition, groups, frame: pd.DataFrame) -> list:
    """GE's results for one frame, in the suite's order."""
    results: list = [None] * sum(len(idx) for _, idx, _ in groups)
    for cols, idx, sub in groups:
        part = frame if cols is None else frame[list(cols)]
        batch = batch_definition.get_batch(batch_parameters={"dataframe": part})
        got = batch.validate(sub, result_format=RESULT_FORMAT).results
        if len(got) != len(idx):
            raise RuntimeError("Great Expectations returned another number of results")
        for i, r in zip(idx, got):
            results[i] = r
    return results


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
