"""The declared model int_incidents kept in the Parquet fact store per month opened (issue 16): an incident
delivery rewrites only the months its incidents were and are opened in, a change of what the model joins
rewrites every month, and the rows always equal a full rebuild (`python -m etl build`). The catalog holds
a view, not the table; a failed publish leaves catalog and Parquet byte-identical; plain DuckDB reads the
published model; a warehouse published with the model as a catalog table is moved on its next publish.

Every load goes through the real CLI path (pipeline.cli.run_batches → pipeline.publish → the fact store).
Fixture: the committees, incident mapping (Location 143 → BROMMA, Location 204 → UTBN, Group 56 → KS,
Group 70 → SKARHOLMEN) and SLA table (2 - High: 8 h, 4 - Low: 72 h, 24x7) of tests/etl/fixtures."""
from __future__ import annotations

import csv
import datetime as dt
import logging
import math
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from etl.contracts import load_contracts
from etl_helpers import fixture, load, query
from metrics.models import load_models
from pipeline.publish import publish
from test_publish import published_state

HEADER = ["number", "incident_state", "sys_mod_count", "made_sla", "opened_at", "sys_updated_at", "location",
          "priority", "assignment_group", "resolved_at"]
MODEL = "int_incidents"
COMPARED = [MODEL, "measure_values", "measure_month_sums", "perspective_scores", "overall_scores",
            "indicator_values", "scorecard_periods"]


def incident(number: str, opened: str, hours: float | None, priority: str = "2 - High",
             location: str = "Location 143", group: str = "?", mod: int = 1) -> dict:
    """One event row (the latest state) of an incident: opened at `opened` ('YYYY-MM-DD HH:MM'), resolved
    `hours` later (None: still open); no made_sla, so the SLA table decides (rule 'hours')."""
    t0 = dt.datetime.fromisoformat(opened)
    resolved = None if hours is None else t0 + dt.timedelta(hours=hours)
    day = lambda t: f"{t.day}/{t.month}/{t.year} {t:%H:%M}"   # the export's day-first format
    return dict(number=number, incident_state="Resolved" if resolved else "Active", sys_mod_count=mod,
                made_sla="?", opened_at=day(t0), sys_updated_at=day(resolved or t0), location=location,
                priority=priority, assignment_group=group, resolved_at=day(resolved) if resolved else "?")


def write_csv(path: Path, header: list[str], rows: list[dict]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def deliver(wh: Path, tmp: Path, source: str, rows: list[dict], header: list[str] | None = None):
    path = write_csv(tmp / f"{source}_{len(list(tmp.glob('*.csv')))}.csv", header or list(rows[0]), rows)
    (result,) = load(wh, path, source=source)
    assert result.status in ("loaded", "unchanged"), result.message
    return result


def store(wh: Path) -> Path:
    return wh.with_name(wh.stem + ".parquet")


def model_files(wh: Path) -> dict[str, int]:
    """The published model's files (month/file name → inode): an unchanged month keeps its inode (a hard link)."""
    base = store(wh) / "current" / "models" / f"model={MODEL}"
    return {f"{p.parent.name}/{p.name}": p.stat().st_ino for p in sorted(base.glob("period=*/*.parquet"))}


def months_of(files: dict[str, int]) -> list[str]:
    return sorted({name.split("/")[0].removeprefix("period=") for name in files})


def rewritten(before: dict[str, int], after: dict[str, int]) -> list[str]:
    """Months whose files differ (new, removed or another inode)."""
    changed = set(before.items()) ^ set(after.items())
    return sorted({name.split("/")[0].removeprefix("period=") for name, _ in changed})


def rows(wh: Path, table: str) -> list[tuple]:
    return query(wh, f"SELECT * FROM {table} ORDER BY ALL")


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def assert_same_as_full(wh: Path, tmp: Path) -> None:
    """The model and the marts equal a full rebuild (`python -m etl build`) of a copy of the catalog (which
    still names this store's files: its publish links them into a store of its own)."""
    copy_dir = tmp / f"full{len(list(tmp.glob('full*')))}"
    copy_dir.mkdir()
    copy = copy_dir / "warehouse.duckdb"
    shutil.copyfile(wh, copy)
    publish(lambda con: None, copy, full=True)
    for table in COMPARED:
        got, expected = rows(wh, table), rows(copy, table)
        assert len(got) == len(expected), table
        for g, e in zip(got, expected):
            assert all(same(x, y) for x, y in zip(g, e)), f"{table}: incremental {g} != full {e}"


@pytest.fixture
def wh(tmp_path) -> Path:
    """A published warehouse with committees, mapping, SLA table and three incidents in three months:
    INC1 2016-01 BROMMA 2 h of 8 (in time), INC2 2016-02 SKARHOLMEN 28 h of 8 (late), INC3 2016-03 UTBN open."""
    path = tmp_path / "warehouse.duckdb"
    assert [r.status for r in load(path, "committees.csv", "incident_mapping.csv", "incident_sla.csv")] == ["loaded"] * 3
    deliver(path, tmp_path, "incidents", [
        incident("INC0000001", "2016-01-05 08:00", 2),
        incident("INC0000002", "2016-02-10 08:00", 28, location="?", group="Group 70"),
        incident("INC0000003", "2016-03-01 09:00", None, location="Location 204")], HEADER)
    return path


def test_the_catalog_holds_a_view_over_parquet_per_month(wh):
    kinds = dict(query(wh, "SELECT table_name, table_type FROM information_schema.tables"))
    assert kinds[MODEL] == "VIEW"
    assert MODEL not in [t for (t,) in query(wh, "SELECT table_name FROM duckdb_tables()")]
    assert months_of(model_files(wh)) == ["2016-01", "2016-02", "2016-03"]
    assert len(model_files(wh)) == 3                                   # one file per month
    assert not (store(wh) / "current" / "tables" / f"{MODEL}.parquet").exists()
    assert query(wh, f"SELECT number, committee_code, attributed_by, agreed_hours, hours_to_resolve, "
                     f"resolved_in_time, in_time_rule FROM {MODEL} ORDER BY number") == [
        ("INC0000001", "BROMMA", "location", 8, 2.0, True, "hours"),
        ("INC0000002", "SKARHOLMEN", "assignment_group", 8, 28.0, False, "hours"),
        ("INC0000003", "UTBN", "location", 8, None, None, None)]
    manifest = (store(wh) / "current" / "manifest.json").read_text(encoding="utf-8")
    assert f"models/model={MODEL}/period=2016-01/" in manifest


def test_plain_duckdb_reads_the_published_model(wh):
    root = store(wh) / "current"
    got = duckdb.connect().execute(f"""
        SELECT period, number, committee_code, resolved_in_time
        FROM read_parquet('{root}/models/model={MODEL}/*/*.parquet', hive_partitioning = true)
        ORDER BY number""").fetchall()
    assert got == [("2016-01", "INC0000001", "BROMMA", True), ("2016-02", "INC0000002", "SKARHOLMEN", False),
                   ("2016-03", "INC0000003", "UTBN", None)]
    assert [g[1:] for g in got] == query(wh, f"SELECT number, committee_code, resolved_in_time FROM {MODEL} "
                                             "ORDER BY number")


def test_a_new_incident_rewrites_its_month_only(wh, tmp_path, caplog):
    before = model_files(wh)
    with caplog.at_level(logging.INFO, logger="metrics.models"):
        deliver(wh, tmp_path, "incidents", [incident("INC0000004", "2016-03-20 10:00", 100, priority="4 - Low",
                                                     location="?", group="Group 56")], HEADER)
    after = model_files(wh)
    assert rewritten(before, after) == ["2016-03"]
    assert {k: v for k, v in after.items() if not k.startswith("period=2016-03")} == \
        {k: v for k, v in before.items() if not k.startswith("period=2016-03")}   # the same inodes: hard links
    assert f"model {MODEL} written to the fact store: 2016-03" in caplog.text
    # 100 h of 72 for a 4 - Low: late; KS by the assignment group
    assert query(wh, f"SELECT committee_code, resolved_in_time FROM {MODEL} WHERE number = 'INC0000004'") == [
        ("KS", False)]
    assert_same_as_full(wh, tmp_path)


def test_a_redelivery_moving_an_incident_to_another_month_rewrites_both(wh, tmp_path, caplog):
    before = model_files(wh)
    with caplog.at_level(logging.INFO, logger="metrics.models"):
        # INC2 corrected: opened 2016-03-15 (not 2016-02-10), resolved after 4 h: now in time
        deliver(wh, tmp_path, "incidents", [incident("INC0000002", "2016-03-15 08:00", 4, location="?",
                                                     group="Group 70", mod=5)], HEADER)
    after = model_files(wh)
    assert rewritten(before, after) == ["2016-02", "2016-03"]
    assert months_of(after) == ["2016-01", "2016-03"]                  # February has no incident left
    assert f"model {MODEL} written to the fact store: 2016-02, 2016-03" in caplog.text
    assert query(wh, f"SELECT strftime(opened_at, '%Y-%m'), resolved_in_time FROM {MODEL} "
                     "WHERE number = 'INC0000002'") == [("2016-03", True)]
    assert query(wh, f"SELECT count(*) FROM {MODEL}") == [(3,)]
    assert_same_as_full(wh, tmp_path)


def test_an_sla_change_rewrites_every_month(wh, tmp_path, caplog):
    before = model_files(wh)
    sla = [dict(priority=p, resolve_hours=h, calendar="24x7", business_day_start="", business_day_end="",
                valid_from="2013-01-01", valid_to="") for p, h in [("1 - Critical", 4), ("2 - High", 30),
                                                                   ("3 - Moderate", 24), ("4 - Low", 72)]]
    with caplog.at_level(logging.INFO, logger="metrics.models"):
        deliver(wh, tmp_path, "incident_sla", sla)
    after = model_files(wh)
    assert rewritten(before, after) == ["2016-01", "2016-02", "2016-03"]
    assert not set(before.values()) & set(after.values())              # every file new
    assert f"model {MODEL} written to the fact store: every month" in caplog.text
    # INC2: 28 h of the agreed 30 h now
    assert query(wh, f"SELECT agreed_hours, resolved_in_time FROM {MODEL} WHERE number = 'INC0000002'") == [(30, True)]
    assert_same_as_full(wh, tmp_path)


def test_a_mapping_change_rewrites_every_month(wh, tmp_path):
    before = model_files(wh)
    deliver(wh, tmp_path, "incident_mapping", [
        dict(match_field="location", match_value="Location 143", committee_code="UTBN"),
        dict(match_field="location", match_value="Location 204", committee_code="UTBN"),
        dict(match_field="assignment_group", match_value="Group 70", committee_code="SKARHOLMEN")])
    assert rewritten(before, model_files(wh)) == ["2016-01", "2016-02", "2016-03"]
    assert query(wh, f"SELECT number, committee_code FROM {MODEL} ORDER BY number") == [
        ("INC0000001", "UTBN"), ("INC0000002", "SKARHOLMEN"), ("INC0000003", "UTBN")]
    assert_same_as_full(wh, tmp_path)


def test_a_delivery_of_another_source_leaves_the_model_files_alone(wh, tmp_path):
    before = model_files(wh)
    (result,) = load(wh, "it_costs_2024.csv")
    assert result.status == "loaded"
    assert model_files(wh) == before                                   # linked, not rewritten
    assert query(wh, "SELECT max(value) FROM warehouse_meta WHERE key = 'store_version'") != [("1",)]


def test_a_failed_publish_after_the_model_was_written_leaves_the_published_state_byte_identical(wh, tmp_path,
                                                                                                monkeypatch):
    from metrics import status_history

    before = published_state(wh)
    versions = sorted(p.name for p in store(wh).iterdir())
    assert any(name.startswith(f"models/model={MODEL}/") for name in before[2])
    path = write_csv(tmp_path / "incidents_late.csv", HEADER,
                     [incident("INC0000002", "2016-03-15 08:00", 4, location="?", group="Group 70", mod=5)])

    def fail(*args, **kwargs):        # after the build has rewritten the model's months in the new version
        raise RuntimeError("disk full")

    monkeypatch.setattr(status_history, "record", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        from pipeline.cli import plan_files, run_batches
        run_batches(plan_files([path], "incidents"), wh)
    assert published_state(wh) == before
    assert sorted(p.name for p in store(wh).iterdir()) == versions   # the new version directory is gone


def old_layout(wh: Path) -> None:
    """Make `wh` look like a warehouse published before models were kept in the store: int_incidents a
    catalog table (same rows), no models/ directory in the store's version."""
    from etl_helpers import republish

    republish(wh, f"CREATE TABLE _old AS SELECT * FROM {MODEL}; DROP VIEW {MODEL}; "
                  f"ALTER TABLE _old RENAME TO {MODEL}")
    shutil.rmtree(store(wh) / "current" / "models")


def test_an_older_warehouse_is_moved_by_the_build_command(wh, tmp_path, monkeypatch, capsys, caplog):
    from pipeline.cli import main

    expected = rows(wh, MODEL)
    old_layout(wh)
    assert MODEL in [t for (t,) in query(wh, "SELECT table_name FROM duckdb_tables()")]
    monkeypatch.setenv("SCORECARD_WAREHOUSE", str(wh))
    with caplog.at_level(logging.INFO, logger="metrics.models"):
        assert main(["build", "--full"]) == 0
    assert f"model {MODEL} moved from the catalog into the fact store" in caplog.text
    assert "Rebuilt every model and measure and published" in capsys.readouterr().out
    assert MODEL not in [t for (t,) in query(wh, "SELECT table_name FROM duckdb_tables()")]
    assert rows(wh, MODEL) == expected
    assert months_of(model_files(wh)) == ["2016-01", "2016-02", "2016-03"]


def test_an_older_warehouse_is_moved_by_its_next_load_whatever_it_loads(wh, tmp_path, caplog):
    expected = rows(wh, MODEL)
    old_layout(wh)
    with caplog.at_level(logging.INFO, logger="metrics.models"):
        (result,) = load(wh, "it_costs_2024.csv")
    assert result.status == "loaded"
    assert f"model {MODEL} moved from the catalog into the fact store" in caplog.text
    assert dict(query(wh, "SELECT table_name, table_type FROM information_schema.tables"))[MODEL] == "VIEW"
    assert rows(wh, MODEL) == expected
    assert_same_as_full(wh, tmp_path)


def test_metrics_build_refuses_a_published_store_warehouse_and_names_the_command(wh, capsys):
    from metrics.__main__ import main

    before = wh.read_bytes()
    assert main(["build", "--warehouse", str(wh)]) == 2
    assert "python -m etl build" in capsys.readouterr().err
    assert wh.read_bytes() == before


def test_every_model_kept_per_month_is_partitioned_by_its_source_period_column():
    """The month of a changed fact row (etl_changes) is the month of the model rows it gives only when the
    partition column is the source's period column passed through: checked against the contracts."""
    contracts = {c.table: c for c in load_contracts().values()}
    kept = [m for m in load_models() if m.decl.partition is not None]
    assert [m.decl.name for m in kept] == [MODEL]
    for m in kept:
        contract = contracts[m.decl.partition.source]
        assert contract.period_column == m.decl.partition.column
        assert m.decl.partition.source in m.decl.sources


# ---- any sequence of deliveries: the model and marts equal a full rebuild ----------------------------------
MONTHS = ["2016-01-0", "2016-02-1", "2016-03-2"]
LOCATIONS = ["Location 143", "Location 204", "?"]
PRIORITIES = ["2 - High", "4 - Low"]


@st.composite
def a_delivery(draw):
    kind = draw(st.sampled_from(["incidents", "incidents", "incidents", "incident_sla", "incident_mapping"]))
    if kind == "incidents":
        numbers = draw(st.lists(st.integers(1, 6), min_size=1, max_size=3, unique=True))
        return kind, [incident(f"INC{n:07d}", f"{draw(st.sampled_from(MONTHS))}{draw(st.integers(1, 9))} 08:00",
                               draw(st.one_of(st.none(), st.integers(1, 100))), draw(st.sampled_from(PRIORITIES)),
                               draw(st.sampled_from(LOCATIONS)), draw(st.sampled_from(["?", "Group 56"])),
                               mod=draw(st.integers(2, 50)))
                      for n in numbers]
    if kind == "incident_sla":
        return kind, [dict(priority=p, resolve_hours=draw(st.integers(1, 80)), calendar="24x7",
                           business_day_start="", business_day_end="", valid_from="2013-01-01", valid_to="")
                      for p in PRIORITIES]
    return kind, [dict(match_field="location", match_value=loc, committee_code=draw(st.sampled_from(
        ["BROMMA", "UTBN", "SKARHOLMEN"]))) for loc in ["Location 143", "Location 204"]]


@pytest.fixture(scope="module")
def base_wh(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("base")
    path = tmp / "warehouse.duckdb"
    load(path, "committees.csv", "incident_mapping.csv", "incident_sla.csv")
    deliver(path, tmp, "incidents", [incident("INC0000001", "2016-01-05 08:00", 2),
                                     incident("INC0000002", "2016-02-10 08:00", 28, location="?", group="Group 70")],
            HEADER)
    return path


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(deliveries=st.lists(a_delivery(), min_size=1, max_size=3))
def test_any_sequence_of_deliveries_gives_the_rows_of_a_full_rebuild(base_wh, tmp_path_factory, deliveries):
    tmp = tmp_path_factory.mktemp("seq")
    wh = tmp / "warehouse.duckdb"
    shutil.copyfile(base_wh, wh)   # names base_wh's store: the first publish links its files into tmp's store
    for kind, delivery_rows in deliveries:
        deliver(wh, tmp, kind, delivery_rows, HEADER if kind == "incidents" else None)
    assert_same_as_full(wh, tmp)
    # the model's files are one per month, in the month of the rows they hold
    files = model_files(wh)
    assert len(files) == len(months_of(files))
    assert months_of(files) == [m for (m,) in query(wh, f"SELECT DISTINCT strftime(opened_at, '%Y-%m') FROM {MODEL} "
                                                        "ORDER BY 1")]


def test_the_month_filter_selects_exactly_the_months_across_a_year_end():
    from metrics.models import month_filter

    con = duckdb.connect()
    con.execute("CREATE TABLE t (opened_at TIMESTAMP)")
    con.execute("INSERT INTO t VALUES ('2016-01-31 23:59:59'), ('2016-02-01 00:00'), ('2016-02-29 23:59'), "
                "('2016-03-01 00:00'), ('2016-11-30 23:59'), ('2016-12-01 00:00'), ('2016-12-31 23:59:59'), "
                "('2017-01-01 00:00'), (NULL)")
    got = con.execute(f"SELECT strftime(opened_at, '%Y-%m-%d %H:%M') FROM t WHERE "
                      f"{month_filter('opened_at', ['2016-12', '2016-02'])} ORDER BY 1").fetchall()
    assert got == [("2016-02-01 00:00",), ("2016-02-29 23:59",), ("2016-12-01 00:00",), ("2016-12-31 23:59",)]
    assert con.execute(f"SELECT count(*) FROM t WHERE {month_filter('opened_at', [])}").fetchone() == (0,)
    with pytest.raises(ValueError):
        month_filter("opened_at", ["2016-2"])


def test_a_partition_declaration_must_name_a_source_and_declared_columns():
    from pydantic import ValidationError

    from metrics.models import ModelDecl

    base = dict(name="m", description={"sv": "x", "en": "x"}, materialized="table", sources=["fact_incidents"],
                columns=[{"name": "opened_at", "description": {"sv": "x", "en": "x"}},
                         {"name": "committee_code", "description": {"sv": "x", "en": "x"}}])
    ok = ModelDecl.model_validate({**base, "partition": {"column": "opened_at", "source": "fact_incidents",
                                                         "cluster_by": ["committee_code"]}})
    assert ok.partition.cluster_by == ["committee_code"]
    for partition, reason in [({"column": "opened_at", "source": "fact_it_costs"}, "not in sources"),
                              ({"column": "resolved_at", "source": "fact_incidents"}, "not a declared column"),
                              ({"column": "opened_at", "source": "fact_incidents", "cluster_by": ["x"]},
                               "not declared columns: x")]:
        with pytest.raises(ValidationError, match=reason):
            ModelDecl.model_validate({**base, "partition": partition})
    with pytest.raises(ValidationError, match="only a model materialized as a table"):
        ModelDecl.model_validate({**base, "materialized": "view",
                                  "partition": {"column": "opened_at", "source": "fact_incidents"}})
