"""The GE gate's cheaper paths compute exactly what GE computes the plain way:

* large batches validated in column groups (a column pair, or a column with missing values, on a frame of
  its own columns) give the same per-expectation counts and verdicts as the whole frame;
* the suite built through ExpectationSuite's constructor holds what add_expectation would hold;
* the patched GE internals (kwargs getters, JSON converter) are only patched while GE's source is the one
  checked — this test fails on a GE upgrade that changes them — and return what GE's originals return.
"""
import copy
import datetime as dt
import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import etl.gate as gate
from etl.contracts import load_contracts

INCIDENTS = load_contracts()["incidents"]
PRESENT = set(INCIDENTS.column_names)
T0 = dt.datetime(2024, 3, 1, 8, 0)


def incident_frame(rows: list[dict]) -> pd.DataFrame:
    """The gate's frame for incidents (gate columns + _row_ok), typed as DuckDB → Arrow → pandas gives it."""
    cols = gate.gate_columns(INCIDENTS, PRESENT)
    frame = pd.DataFrame({c: [r.get(c) for r in rows] for c in cols} | {gate.ROW_OK: [r[gate.ROW_OK] for r in rows]})
    for c in ("opened_at", "resolved_at", "closed_at"):
        frame[c] = pd.to_datetime(frame[c]).astype("datetime64[us]")
    for c in ("reassignment_count", "reopen_count", "sys_mod_count"):
        frame[c] = frame[c].astype("float64" if frame[c].isna().any() else "int64")
    for c in ("source_system", "number", "incident_state", "contact_type", "priority"):
        frame[c] = frame[c].astype("str")
    frame[gate.ROW_OK] = frame[gate.ROW_OK].astype(bool)
    return frame


def good_row(i: int) -> dict:
    return {"source_system": "SN", "number": f"INC{i:05d}", "incident_state": "Closed", "reassignment_count": 0,
            "reopen_count": 0, "sys_mod_count": 3, "opened_at": T0 + dt.timedelta(hours=i),
            "contact_type": "Phone", "priority": "3 - Moderate", "resolved_at": T0 + dt.timedelta(hours=i + 1),
            "closed_at": T0 + dt.timedelta(hours=i + 2), gate.ROW_OK: True}


def hand_batch() -> pd.DataFrame:
    rows = [good_row(i) for i in range(10)]
    rows[0].update(resolved_at=None, closed_at=None)
    rows[1].update(resolved_at=None, closed_at=None)
    rows[2].update(closed_at=None, number="X12", **{gate.ROW_OK: False})
    rows[3].update(incident_state="Foo", **{gate.ROW_OK: False})
    rows[4].update(resolved_at=T0 - dt.timedelta(days=1), **{gate.ROW_OK: False})
    rows[5].update(reassignment_count=-1, **{gate.ROW_OK: False})
    rows[6].update(reassignment_count=None)
    rows[7].update(priority=None, **{gate.ROW_OK: False})
    return incident_frame(rows)


def run(frame: pd.DataFrame, split_rows: int, monkeypatch, contract=INCIDENTS) -> gate.GateResult:
    monkeypatch.setattr(gate, "GROUP_SPLIT_ROWS", split_rows)
    counts = gate.counts_of([frame])
    return gate.run_suite(contract, [frame], PRESENT, counts)


def by_check(result: gate.GateResult) -> dict:
    out = {}
    for r in result.results:
        k = r["kwargs"]
        out[(r["expectation"], k.get("column") or (k.get("column_A"), k.get("column_B")))] = (r["unexpected"], r["judged"])
    return out


def test_groups_give_the_hand_computed_counts(monkeypatch):
    frame = hand_batch()
    gate._batch_definition()
    suite = gate.build_suite(INCIDENTS, PRESENT, gate.counts_of([frame]), row_ok=True)
    monkeypatch.setattr(gate, "GROUP_SPLIT_ROWS", 0)
    groups = gate.suite_groups(suite, gate.counts_of([frame]))
    # the two pairs and the ruled columns with missing values have frames of their own, the rest one
    # (resolved_at and closed_at are optional: their only expectations are the pairs)
    assert sorted(cols for cols, _, _ in groups if cols) == sorted([
        ("resolved_at", "opened_at"), ("closed_at", "opened_at"), ("reassignment_count",), ("priority",)])
    assert sum(cols is None for cols, _, _ in groups) == 1
    assert sorted(i for _, idx, _ in groups for i in idx) == list(range(len(suite.expectations)))

    whole, split = run(frame, 10**9, monkeypatch), run(frame, 0, monkeypatch)
    assert split.results == whole.results          # same order, counts, kwargs and verdicts
    assert split.success is whole.success is False  # incidents allow 5 %: 0 bad rows of 10
    got = by_check(split)
    assert got[("expect_column_values_to_not_be_null", "priority")] == (1, 10)
    assert got[("expect_column_values_to_match_regex", "number")] == (1, 10)
    assert got[("expect_column_values_to_be_in_set", "incident_state")] == (1, 10)
    assert got[("expect_column_values_to_be_between", "reassignment_count")] == (1, 9)
    assert got[("expect_column_pair_values_a_to_be_greater_than_b", ("resolved_at", "opened_at"))] == (1, 8)
    assert got[("expect_column_pair_values_a_to_be_greater_than_b", ("closed_at", "opened_at"))] == (0, 7)
    assert got[("expect_column_values_to_be_in_set", gate.ROW_OK)] == (5, 10)
    assert got[("expect_column_to_exist", "opened_at")] == (0, None)


def test_small_batches_stay_whole():
    frame = hand_batch()
    gate._batch_definition()
    counts = gate.counts_of([frame])
    suite = gate.build_suite(INCIDENTS, PRESENT, counts, row_ok=True)
    assert counts.total < gate.GROUP_SPLIT_ROWS
    assert [(cols, len(idx)) for cols, idx, _ in gate.suite_groups(suite, counts)] == [(None, len(suite.expectations))]


when = st.one_of(st.none(), st.integers(-48, 48).map(lambda h: T0 + dt.timedelta(hours=h)))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.fixed_dictionaries({
    "source_system": st.sampled_from(["SN", "SN2"]),
    "number": st.sampled_from(["INC00001", "INC2", "X1", "inc3", None]),
    "incident_state": st.sampled_from(["Closed", "New", "Foo", None]),
    "reassignment_count": st.one_of(st.none(), st.integers(-2, 5)),
    "reopen_count": st.integers(0, 3),
    "sys_mod_count": st.one_of(st.none(), st.integers(-1, 9)),
    "opened_at": st.integers(-10, 10).map(lambda h: T0 + dt.timedelta(hours=h)),
    "contact_type": st.sampled_from(["Phone", "Fax", None]),
    "priority": st.sampled_from(["1 - Critical", "4 - Low", "9 - Whatever", None]),
    "resolved_at": when, "closed_at": when, gate.ROW_OK: st.booleans()}), min_size=1, max_size=40),
       share=st.sampled_from([0.0, 0.05, 0.3]))
def test_groups_equal_whole_frame_for_any_batch(monkeypatch, rows, share):
    frame = incident_frame(rows)
    contract = replace(INCIDENTS, max_bad_share=share)
    grouped, whole = run(frame, 0, monkeypatch, contract), run(frame, 10**9, monkeypatch, contract)
    assert grouped.results == whole.results
    assert grouped.success == whole.success


def test_chunks_with_groups_add_up(monkeypatch):
    """Two chunks validated in groups give the counts of the whole batch at once."""
    frame = hand_batch()
    monkeypatch.setattr(gate, "GROUP_SPLIT_ROWS", 0)
    counts = gate.counts_of([frame])
    chunked = gate.run_suite(INCIDENTS, [frame.iloc[:4].reset_index(drop=True), frame.iloc[4:].reset_index(drop=True)],
                             PRESENT, counts)
    assert by_check(chunked) == by_check(run(frame, 10**9, monkeypatch))


def test_suite_from_constructor_holds_what_add_expectation_holds():
    import great_expectations as gx

    gate._batch_definition()
    for contract in load_contracts().values():
        built = gate.build_suite(contract, set(contract.column_names), row_ok=True)
        added = gx.ExpectationSuite(name="added")
        for e in built.expectations:
            added.add_expectation(copy.copy(e))
        assert [e.configuration for e in added.expectations] == [e.configuration for e in built.expectations]
    # a pair declared from both sides (A not_before B, B not_above A) is one expectation, as add_expectation keeps it
    cols = {c.name: c for c in INCIDENTS.columns}
    twice = replace(INCIDENTS, columns=[replace(c, not_above="resolved_at") if c.name == "opened_at" else c
                                        for c in cols.values()])
    pairs = [e for e in gate.build_suite(twice, PRESENT).expectations
             if e.configuration.type == "expect_column_pair_values_a_to_be_greater_than_b"]
    assert [(e.column_A, e.column_B) for e in pairs] == [("resolved_at", "opened_at"), ("closed_at", "opened_at")]


def test_ge_internals_are_the_checked_ones():
    """Fails on a GE upgrade that changes what the gate patches: re-check the patches, then the hashes."""
    gate._batch_definition()
    from great_expectations.expectations.expectation import Expectation
    import great_expectations.core.id_dict as id_dict
    import great_expectations.util as ge_util

    assert set(gate.GE_ORIGINALS) == {"_get_domain_kwargs", "_get_success_kwargs", "_get_runtime_kwargs",
                                      "convert_to_json_serializable"}
    for name, digest in gate.GE_KWARGS_SOURCES.items():
        original = gate.GE_ORIGINALS.get(name, getattr(Expectation, name))
        assert gate.ge_source_hash(original) == digest, name
    assert gate.ge_source_hash(gate.GE_ORIGINALS["convert_to_json_serializable"]) == gate.GE_SERIALIZABLE_SOURCE
    assert ge_util.convert_to_json_serializable is id_dict.convert_to_json_serializable
    assert ge_util.convert_to_json_serializable._none_first


def test_patched_kwargs_getters_return_what_ge_returns():
    gate._batch_definition()
    orig = gate.GE_ORIGINALS
    for contract in load_contracts().values():
        suite = gate.build_suite(contract, set(contract.column_names), row_ok=True)
        for e in suite.expectations:
            assert e._get_domain_kwargs() == orig["_get_domain_kwargs"](e)
            assert e._get_success_kwargs() == orig["_get_success_kwargs"](e)
            for runtime in (None, gate.RESULT_FORMAT, {"result_format": gate.RESULT_FORMAT, "catch_exceptions": True}):
                assert e._get_runtime_kwargs(runtime) == orig["_get_runtime_kwargs"](e, runtime)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=5),
              st.integers(-2**63, 2**63 - 1).map(np.int64), st.floats(-1e30, 1e30).map(np.float32),
              st.dates(), st.datetimes()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=3), inner, max_size=4)),
    max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(value=json_values)
def test_convert_to_json_serializable_is_unchanged(value):
    gate._batch_definition()
    import great_expectations.util as ge_util

    patched_fn = ge_util.convert_to_json_serializable
    patched = ge_util.convert_to_json_serializable(copy.deepcopy(value))
    original = gate.GE_ORIGINALS["convert_to_json_serializable"]
    ge_util.convert_to_json_serializable = original  # nested values through GE's own too
    try:
        unpatched = original(copy.deepcopy(value))
    finally:
        ge_util.convert_to_json_serializable = patched_fn
    assert json.dumps(patched, sort_keys=True) == json.dumps(unpatched, sort_keys=True)
