"""The event-log collapse of a ServiceNow export (etl/servicenow.py, staged by etl/load.py `_stage`) keeps, per
incident (source_system, number), exactly the event a plain pandas reference keeps: the highest
sys_mod_count (a missing or unreadable count below every count), then the latest sys_updated_at (missing or
unreadable below every time), then the last row of the file; an event without a number is its own record.
Random event logs with ties, out-of-order events, exact duplicates, padded and missing values.
Also: the cleaning of every text cell (etl/rules.py `clean_expr`) trims and blanks exactly as Python does."""
import csv
import re
from datetime import datetime

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from etl.contracts import load_contracts
from etl.load import _drop_temp, _stage
from etl.readers import read_file
from etl.rules import WHITESPACE, clean_expr, lit

CONTRACT = load_contracts()["incidents"]
MISSING = ("?", "")
HEADER = ["source_system", "number", "incident_state", "sys_mod_count", "opened_at", "sys_updated_at", "priority",
          "location"]
OPENED = "13/1/2016 08:00"  # a day above 12: the date order is settled, the date-order check stands aside

systems = st.sampled_from(["sthlm", "sthlm", "other", " sthlm", "?"])
numbers = st.sampled_from(["INC1", "INC1", "INC2", "INC3", "INC4 ", "?", ""])
mod_counts = st.sampled_from(["0", "1", "2", "2", "3", " 3", "?", "", "x", "2.0", "-1"])
updates = st.sampled_from(["1/2/2016 10:00", "1/2/2016 10:00", "1/2/2016 10:05", "2/1/2016 09:00",
                           "12/12/2016 23:59", " 1/2/2016 10:05", "?", "", "not a time"])
events = st.lists(st.tuples(systems, numbers, mod_counts, updates), min_size=1, max_size=30)


def clean(value: str) -> str | None:
    """What clean_expr gives, in Python: NULL for a missing-value word, else trimmed (and NULL when the trimmed
    text is a missing-value word)."""
    if value in MISSING:
        return None
    trimmed = value.strip(WHITESPACE)
    return None if trimmed in MISSING else trimmed


def reference_rows(log: list[tuple[str, str, str, str]], given_system: str | None = None) -> set[int]:
    """The data rows (1-based) the collapse keeps, computed with pandas."""
    def mod(text):  # the contract's whole number ('2.0' is 2); missing or unreadable: below 0
        v = clean(text)
        if v is None or not re.fullmatch(r"[+-]?\d+(\.0*)?", v):
            return -1
        return int(v.split(".")[0])

    def updated(text):
        v = clean(text)
        for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S"):
            try:
                return datetime.strptime(v, fmt) if v is not None else None
            except ValueError:
                pass
        return None

    frame = pd.DataFrame(log, columns=["system", "number", "mod", "updated"])
    frame["row"] = range(1, len(frame) + 1)
    frame["system"] = [clean(s) if clean(s) is not None or given_system is None else given_system
                       for s in frame["system"]]
    frame["number"] = [clean(n) if clean(n) is not None else f"#row {r}" for n, r in zip(frame["number"], frame["row"])]
    frame["mod"] = frame["mod"].map(mod)
    frame["updated"] = frame["updated"].map(updated)
    frame["has_time"] = frame["updated"].notna()
    frame["updated"] = frame["updated"].fillna(datetime(1700, 1, 1))
    frame["system"] = frame["system"].fillna("\0missing")
    latest = frame.sort_values(["mod", "has_time", "updated", "row"]).groupby(["system", "number"]).tail(1)
    return set(latest["row"])


def write_log(path, log):
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for system, number, mod, updated in log:
            w.writerow([system, number, "Active", mod, OPENED, updated, "3 - Moderate", "Location 1"])
    return path


def collapsed_rows(path, given=None) -> set[int]:
    con = duckdb.connect()
    try:
        data = read_file(path)
        _stage(con, CONTRACT, data, given or {})
        rows = {r for (r,) in con.execute("SELECT _source_row FROM cand").fetchall()}
        _drop_temp(con)
        return rows
    finally:
        con.close()


def test_the_reference_keeps_the_latest_event_by_hand(tmp_path):
    log = [("sthlm", "INC1", "0", "1/2/2016 10:00"),      # 1
           ("sthlm", "INC1", "2", "1/2/2016 09:00"),      # 2: highest count wins over a later time
           ("sthlm", "INC1", "1", "1/2/2016 11:00"),      # 3
           ("sthlm", "INC2", "1", "2/2/2016 09:00"),      # 4: same count, 2 February: the later time wins
           ("sthlm", "INC2", "1", "1/2/2016 08:00"),      # 5: same count, 1 February, a later row
           ("sthlm", "INC3", "1", "1/2/2016 08:00"),      # 6
           ("sthlm", "INC3", "1", "1/2/2016 08:00"),      # 7: a full tie: the last row wins
           ("other", "INC3", "0", "?"),                    # 8: another system: its own incident
           ("sthlm", "?", "5", "1/2/2016 08:00"),         # 9: no number: its own record
           ("sthlm", "?", "5", "1/2/2016 08:00"),         # 10: no number: its own record
           ("sthlm", "INC4", "x", "1/2/2016 08:00"),      # 11: an unreadable count is below 0
           ("sthlm", "INC4", "0", "?")]                    # 12
    assert reference_rows(log) == {2, 4, 7, 8, 9, 10, 12}
    assert collapsed_rows(write_log(tmp_path / "incidents.csv", log)) == {2, 4, 7, 8, 9, 10, 12}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(log=events)
def test_the_collapse_keeps_what_the_pandas_reference_keeps(tmp_path, log):
    path = write_log(tmp_path / "incidents.csv", log)
    assert collapsed_rows(path) == reference_rows(log)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(log=events)
def test_the_collapse_with_a_given_system_keeps_what_the_reference_keeps(tmp_path, log):
    """--system NAME fills the source_system the export leaves empty."""
    path = write_log(tmp_path / "incidents.csv", log)
    assert collapsed_rows(path, {"source_system": "sthlm"}) == reference_rows(log, "sthlm")


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    yield c
    c.close()


texts = st.text(alphabet=st.sampled_from(list(WHITESPACE) + ["a", "?", "å", "\u2003", "\u0301", "y"]), max_size=6)


@settings(max_examples=300, deadline=None)
@given(value=texts)
def test_clean_expr_trims_like_python(con, value):
    assert con.execute(f"SELECT {clean_expr('v', MISSING)} FROM (SELECT {lit(value)} AS v)").fetchall() == [
        (clean(value),)]
