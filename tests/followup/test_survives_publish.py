"""A council decision, a target change and a role grant survive a full ETL publish; the target change
reaches the measures through the publish (store_targets), and a loaded target file and a store change
are ordered by when they were made."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import duckdb
import pytest

from followup import council, roles, targets
from followup.store import get_store, reset_stores
from conftest_helpers import ADMIN, SECRETARY


def measure_target(wh, committee, measure, year):
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute("""SELECT DISTINCT target, red_threshold, target_overridden FROM measure_values
                              WHERE committee_code = ? AND measure_id = ? AND grain = 'year' AND period = ?""",
                           [committee, measure, str(year)]).fetchall()
    finally:
        con.close()


@pytest.fixture
def demo_copy(demo_warehouse, tmp_path, monkeypatch):
    wh = tmp_path / "warehouse.duckdb"
    shutil.copyfile(demo_warehouse, wh)
    monkeypatch.setenv("SCORECARD_WAREHOUSE", str(wh))
    monkeypatch.delenv("SCORECARD_FOLLOWUP_URL", raising=False)
    reset_stores()
    yield wh
    reset_stores()


def test_decision_target_and_grant_survive_a_full_publish(demo_copy, tmp_path):
    from pipeline.cli import main

    wh = demo_copy
    # the demo's loaded target file: UTBN 2026 E1 80/65, changed 2026-01-14; SKARHOLMEN 2025 E1 declared 70/55
    assert measure_target(wh, "UTBN", "E1", 2026) == [(80.0, 65.0, True)]
    assert measure_target(wh, "SKARHOLMEN", "E1", 2025) == [(70.0, 55.0, False)]
    con = duckdb.connect(str(wh), read_only=True)
    project = con.execute("SELECT project_id, status FROM dim_projects WHERE status = 'running' "
                          "ORDER BY project_id LIMIT 1").fetchone()
    con.close()

    store = get_store()
    assert store.url == f"sqlite:///{tmp_path / 'warehouse.followup.sqlite'}"
    council.record_decision(SECRETARY, project[0], "continue", "Följer planen", project_status=project[1])
    targets.change_target(ADMIN, "UTBN", 2026, "E1", 85, 70, "KF:s budget 2027 höjer målet",
                          directions={"E1": "higher"}, committees={"UTBN", "SKARHOLMEN"})
    month_ago = datetime.now() - timedelta(days=30)
    targets.change_target(ADMIN, "SKARHOLMEN", 2025, "E1", 75, 60, "Nämndens eget mål",
                          directions={"E1": "higher"}, committees={"UTBN", "SKARHOLMEN"}, now=month_ago)
    roles.grant(ADMIN, "anna.berg@stad.se", "chair", ["SKARHOLMEN"])

    # a full ETL load + publish: a new target file for another key, changed before the store change
    src = tmp_path / "target_overrides_2026-11.csv"
    earlier = (datetime.now() - timedelta(days=60)).strftime("%Y-%m-%d %H:%M")
    src.write_text("committee_code,year,measure_id,target,red_threshold,changed_by,changed_at,reason\n"
                   f"FARSTA,2025,E1,72,58,it-strateg,{earlier},Eget mål\n", encoding="utf-8")
    assert main(["load", str(src)]) == 0

    # the store's rows are all there, unchanged
    assert list(council.decisions().rationale) == ["Följer planen"]
    assert list(roles.grants().principal) == ["anna.berg@stad.se"]
    assert roles.identity_for("Anna.Berg@stad.se").committees("chair") == frozenset({"SKARHOLMEN"})
    assert len(targets.current_targets()) == 2
    # and the target changes reached the measures: store newer than the file for UTBN; new for SKARHOLMEN;
    # the newly loaded file row for FARSTA applies too
    assert measure_target(wh, "UTBN", "E1", 2026) == [(85.0, 70.0, True)]
    assert measure_target(wh, "SKARHOLMEN", "E1", 2025) == [(75.0, 60.0, True)]
    assert measure_target(wh, "FARSTA", "E1", 2025) == [(72.0, 58.0, True)]

    # a file row newer than the store change (a month old) wins; withdrawing the store change falls back to the file/declared
    src2 = tmp_path / "target_overrides_2026-12.csv"
    later = (datetime.now() - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")   # after the store change
    src2.write_text("committee_code,year,measure_id,target,red_threshold,changed_by,changed_at,reason\n"
                    f"SKARHOLMEN,2025,E1,78,61,it-strateg,{later},Senare beslut\n", encoding="utf-8")
    assert main(["load", str(src2)]) == 0
    assert measure_target(wh, "SKARHOLMEN", "E1", 2025) == [(78.0, 61.0, True)]
    utbn = targets.current_targets().set_index("committee_code").loc["UTBN", "entity_id"]
    targets.withdraw_target(ADMIN, int(utbn), "Budgeten ändrades inte")
    targets.publish_now()
    assert measure_target(wh, "UTBN", "E1", 2026) == [(80.0, 65.0, True)]   # the loaded file's 80/65 again


def test_target_change_rules_and_permission(tmp_path):
    from followup.identity import PermissionDenied
    from followup.store import Store

    store = Store(f"sqlite:///{tmp_path / 's.sqlite'}")
    kw = dict(directions={"E1": "higher", "C1": "lower", "M3": "band"}, committees={"KS"}, store=store)
    with pytest.raises(targets.TargetError) as err:
        targets.change_target(ADMIN, "XX", 1999, "M3", "abc", 1, "", **kw)
    assert [c for c, _ in err.value.problems] == ["unknown_committee", "band_measure", "bad_year", "bad_target",
                                                  "empty_reason"]
    with pytest.raises(targets.TargetError) as err:
        targets.change_target(ADMIN, "KS", 2026, "E1", 70, 80, "x", **kw)
    assert [c for c, _ in err.value.problems] == ["threshold_side"]
    with pytest.raises(targets.TargetError) as err:
        targets.change_target(ADMIN, "KS", 2026, "C1", 70, 60, "x", **kw)
    assert [c for c, _ in err.value.problems] == ["threshold_side"]
    with pytest.raises(PermissionDenied):
        targets.change_target(SECRETARY, "KS", 2026, "E1", 80, 70, "x", **kw)
    assert store.count(targets.TargetChange) == 0
    a = targets.change_target(ADMIN, "KS", 2026, "E1", 80, 70, "Första", **kw)
    b = targets.change_target(ADMIN, "KS", 2026, "E1", 82, 70, "Andra", **kw)
    assert (a["entity_id"], a["version"]) == (1, 1) and (b["entity_id"], b["version"]) == (1, 2)
    cur = targets.current_targets(store)
    assert list(cur.target) == [82.0] and list(cur.reason) == ["Andra"] and list(cur.changed_by) == ["admin@stad.se"]
    assert list(targets.target_history(store).target) == [80.0, 82.0]


def test_demo_login_follows_the_warehouse_origin(tmp_path, monkeypatch):
    """`etl demo` publishes origin=demo (demo login offered); any `etl load` after it makes it 'loaded'."""
    from metrics.warehouse import Warehouse
    from pipeline.cli import main, plan_files, run_batches
    from ui.auth import demo_allowed

    wh = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("SCORECARD_WAREHOUSE", str(wh))
    monkeypatch.delenv("SCORECARD_DEMO_LOGIN", raising=False)
    src = tmp_path / "committees.csv"
    src.write_text("committee_code,name_sv,name_en,kind,peer_group\n"
                   "KS,Kommunstyrelsen,City Executive Board,specialist_committee,specialist_committees\n",
                   encoding="utf-8")
    run_batches(plan_files([src]), wh, origin="demo")            # what cmd_demo does
    w = Warehouse(wh)
    assert w.meta()["origin"] == "demo" and demo_allowed(w) is True
    monkeypatch.setenv("SCORECARD_DEMO_LOGIN", "0")
    assert demo_allowed(w) is False
    monkeypatch.delenv("SCORECARD_DEMO_LOGIN")
    src2 = tmp_path / "committees_2.csv"
    src2.write_text(src.read_text(encoding="utf-8").replace("Kommunstyrelsen,", "Kommunstyrelsen (KS),"),
                    encoding="utf-8")
    assert main(["load", str(src2), "--source", "committees"]) == 0
    w.refresh()
    assert w.meta()["origin"] == "loaded" and demo_allowed(w) is False
    w.close()
