"""Issue 16: an incident delivery recomputes the measure month sums and the indicators only for the months its
rows can change, and the marts still equal a full rebuild.

int_incidents is kept per month *opened* (the months etl_changes names), but Q2, MTTR and first-contact
resolution count an incident in the month it was *resolved* (their `month_columns`: int_incidents.resolved_at).
The build reads the resolved months of the rewritten opened-months' rows before and after the rewrite; those
are the months recomputed. An indicator's period value sums its own months, so it is recomputed for the periods
holding a changed month, from the months those periods span (here: the whole year 2016, never 2017).

Every load goes through the real CLI path (pipeline.cli.run_batches → pipeline.publish → the fact store); the
build's own result is captured by wrapping pipeline.publish.build_marts (the real function runs).

Fixture (committees, mapping, SLA of tests/etl/fixtures: 2 - High 8 h, 4 - Low 72 h, 24x7; Location 143 →
BROMMA, Location 204 → UTBN, Group 70 → SKARHOLMEN), opened → resolved:
  INC1 2016-01-05 08:00 → +2 h   (2016-01) BROMMA      in time
  INC2 2016-02-10 08:00 → +28 h  (2016-02) SKARHOLMEN  late
  INC3 2016-03-01 09:00 → open             UTBN
  INC5 2016-03-30 20:00 → +100 h (2016-04) BROMMA      late   (opened in March, resolved in April)
  INC6 2016-06-10 08:00 → +3 h   (2016-06) UTBN        in time
  INC7 2017-02-01 08:00 → +1 h   (2017-02) UTBN        in time
Horizon: 2016-01 … 2017-02 (Q2's resolved months)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import metrics.build
import pipeline.publish
from etl_helpers import load, query
from test_model_store import HEADER, assert_same_as_full, deliver, incident

YEAR_2016 = [f"2016-{m:02d}" for m in range(1, 13)]
RESOLVED_MONTH_INDICATORS = ("MTTR", "FIRST_CONTACT_RESOLUTION")


def base_incidents() -> list[dict]:
    return [incident("INC0000001", "2016-01-05 08:00", 2),
            incident("INC0000002", "2016-02-10 08:00", 28, location="?", group="Group 70"),
            incident("INC0000003", "2016-03-01 09:00", None, location="Location 204"),
            incident("INC0000005", "2016-03-30 20:00", 100),
            incident("INC0000006", "2016-06-10 08:00", 3, location="Location 204"),
            incident("INC0000007", "2017-02-01 08:00", 1, location="Location 204")]


@pytest.fixture
def wh(tmp_path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    assert [r.status for r in load(path, "committees.csv", "incident_mapping.csv", "incident_sla.csv")] == ["loaded"] * 3
    deliver(path, tmp_path, "incidents", base_incidents(), HEADER)
    return path


@pytest.fixture
def builds(monkeypatch) -> list[dict]:
    """The result of every build_marts the publishes run (the real function; its return value kept)."""
    results: list[dict] = []
    real = metrics.build.build_marts

    def keep(*args, **kwargs):
        results.append(real(*args, **kwargs))
        return results[-1]

    monkeypatch.setattr(pipeline.publish, "build_marts", keep)
    return results


def q2_sums(wh: Path, committee: str) -> list[tuple]:
    return query(wh, "SELECT strftime(month, '%Y-%m'), num, den FROM measure_month_sums "
                     "WHERE measure_id = 'Q2' AND committee_code = ? ORDER BY month", [committee])


def test_the_fixture_sums_by_hand(wh):
    assert q2_sums(wh, "BROMMA") == [("2016-01", 1.0, 1.0), ("2016-04", 0.0, 1.0)]
    assert q2_sums(wh, "UTBN") == [("2016-06", 1.0, 1.0), ("2017-02", 1.0, 1.0)]
    assert query(wh, "SELECT min(start_month), max(last_data_month) FROM scorecard_periods") == [
        (dt.date(2016, 1, 1), dt.date(2017, 2, 1))]


def test_an_incident_opened_in_march_and_resolved_in_april_moves_to_march(wh, tmp_path, builds):
    # INC5 corrected: resolved after 2 h (30 March 22:00), in time; its opened month (March) is rewritten
    deliver(wh, tmp_path, "incidents", [incident("INC0000005", "2016-03-30 20:00", 2, mod=5)], HEADER)
    (result,) = builds
    assert result["mode"] == "incremental"
    assert result["model_months"] == {"int_incidents": ["2016-03"]}
    # March's rows before (INC3 open, INC5 resolved in April) and after (INC5 resolved in March)
    assert result["month_sums"] == {"Q2": ["2016-03", "2016-04"]}
    assert result["measures"] == ["Q2"]
    for ind in RESOLVED_MONTH_INDICATORS:           # the periods holding March or April: 2016's months
        assert result["indicator_months"][ind] == YEAR_2016
    assert result["indicator_months"]["INCIDENTS_PER_100_USERS"] == YEAR_2016   # opened in March
    # BROMMA: January 1 of 1 in time, March 1 of 1 (INC5 now in time); April has no resolved incident left
    assert q2_sums(wh, "BROMMA") == [("2016-01", 1.0, 1.0), ("2016-03", 1.0, 1.0)]
    assert query(wh, "SELECT value FROM measure_values WHERE measure_id = 'Q2' AND committee_code = 'BROMMA' "
                     "AND grain = 'month' AND period = '2016-03'") == [(100.0,)]
    # MTTR for BROMMA in 2016-T1 (January–April): (2 h + 2 h) / 2 incidents
    assert query(wh, "SELECT value FROM indicator_values WHERE indicator_id = 'MTTR' AND committee_code = 'BROMMA' "
                     "AND grain = 'tertial' AND period = '2016-T1'") == [(2.0,)]
    assert_same_as_full(wh, tmp_path)


def test_a_reopened_incident_leaves_the_month_it_was_resolved_in(wh, tmp_path, builds):
    # INC6 re-opened: no longer resolved; June (opened and resolved) is the only month that can change
    deliver(wh, tmp_path, "incidents", [incident("INC0000006", "2016-06-10 08:00", None, location="Location 204",
                                                 mod=5)], HEADER)
    (result,) = builds
    assert (result["mode"], result["month_sums"]) == ("incremental", {"Q2": ["2016-06"]})
    assert q2_sums(wh, "UTBN") == [("2017-02", 1.0, 1.0)]
    assert_same_as_full(wh, tmp_path)


def test_an_incident_whose_opened_and_resolved_months_both_move(wh, tmp_path, builds):
    # INC2 corrected: opened 2016-06-15 (not 2016-02-10) and resolved 4 h later: February and June rewritten;
    # their rows' resolved months before (February: INC2; June: INC6) and after (June: INC2, INC6)
    deliver(wh, tmp_path, "incidents", [incident("INC0000002", "2016-06-15 08:00", 4, location="?",
                                                 group="Group 70", mod=5)], HEADER)
    (result,) = builds
    assert result["model_months"] == {"int_incidents": ["2016-02", "2016-06"]}
    assert result["month_sums"] == {"Q2": ["2016-02", "2016-06"]}
    assert q2_sums(wh, "SKARHOLMEN") == [("2016-06", 1.0, 1.0)]
    assert_same_as_full(wh, tmp_path)


def test_a_2017_incident_reads_no_month_of_2016(wh, tmp_path, builds):
    deliver(wh, tmp_path, "incidents", [incident("INC0000008", "2017-01-20 08:00", 30, location="Location 204")],
            HEADER)
    (result,) = builds
    assert result["month_sums"] == {"Q2": ["2017-01"]}
    # the periods holding January 2017 that the horizon (… 2017-02) has: 2017-01, 2017-Q1, 2017-T1, 2017;
    # their months span the year 2017, and no month of 2016 is read
    for ind in (*RESOLVED_MONTH_INDICATORS, "INCIDENTS_PER_100_USERS"):
        assert result["indicator_months"][ind] == [f"2017-{m:02d}" for m in range(1, 13)]
    assert q2_sums(wh, "UTBN") == [("2016-06", 1.0, 1.0), ("2017-01", 0.0, 1.0), ("2017-02", 1.0, 1.0)]
    assert_same_as_full(wh, tmp_path)


def test_an_sla_change_recomputes_every_month(wh, tmp_path, builds):
    """A change of what int_incidents joins rewrites every month: the restriction is not taken."""
    sla = [dict(priority=p, resolve_hours=h, calendar="24x7", business_day_start="", business_day_end="",
                valid_from="2013-01-01", valid_to="") for p, h in [("1 - Critical", 4), ("2 - High", 30),
                                                                   ("3 - Moderate", 24), ("4 - Low", 72)]]
    deliver(wh, tmp_path, "incident_sla", sla)
    (result,) = builds
    assert result["month_sums"] == {"Q2": None}
    assert all(result["indicator_months"][i] is None for i in (*RESOLVED_MONTH_INDICATORS, "INCIDENTS_PER_100_USERS"))
    assert q2_sums(wh, "SKARHOLMEN") == [("2016-02", 1.0, 1.0)]   # INC2's 28 h now within 30 h
    assert_same_as_full(wh, tmp_path)


MONTHS = ["2016-01-", "2016-02-", "2016-03-", "2016-06-", "2016-12-"]
NUMBERS = ["INC0000001", "INC0000002", "INC0000003", "INC0000005", "INC0000006", "INC0000009"]


@st.composite
def incident_delivery(draw):
    """Re-deliveries (and one new number) with any opened month, resolved any hours later (into later months
    too) or re-opened, any of the attributions."""
    numbers = draw(st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=3, unique=True))
    return [incident(n, f"{draw(st.sampled_from(MONTHS))}{draw(st.integers(1, 28)):02d} 08:00",
                     draw(st.one_of(st.none(), st.sampled_from([1, 20, 24 * 20, 24 * 45]))),
                     priority=draw(st.sampled_from(["2 - High", "4 - Low"])),
                     location=draw(st.sampled_from(["Location 143", "Location 204", "?"])), group="Group 70",
                     mod=draw(st.integers(2, 9)))
            for n in numbers]


@pytest.fixture(scope="module")
def base_wh(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("base")
    path = tmp / "warehouse.duckdb"
    load(path, "committees.csv", "incident_mapping.csv", "incident_sla.csv")
    deliver(path, tmp, "incidents", base_incidents(), HEADER)
    return path


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(deliveries=st.lists(incident_delivery(), min_size=1, max_size=2))
def test_any_incident_delivery_gives_the_marts_of_a_full_rebuild(base_wh, tmp_path_factory, monkeypatch, deliveries):
    import shutil

    tmp = tmp_path_factory.mktemp("inc")
    wh = tmp / "warehouse.duckdb"
    shutil.copyfile(base_wh, wh)   # names base_wh's store: the first publish links its files into tmp's store
    results: list[dict] = []
    real = metrics.build.build_marts
    monkeypatch.setattr(pipeline.publish, "build_marts", lambda *a, **k: results.append(real(*a, **k)) or results[-1])
    for rows in deliveries:
        deliver(wh, tmp, "incidents", rows, HEADER)
    for result in results:
        if result["mode"] == "incremental":   # an incident delivery never needs every month of Q2
            assert result["month_sums"]["Q2"] is not None
    assert_same_as_full(wh, tmp)
