"""The publish's fixed cost per command (docs/benchmark.md "Fixed cost per command at 1×, session 8"): what was
read or run once per table or per seed is now read in a few statements, and what is a pure function of the
DDL text is skipped when the catalog records it. Each shortcut gives what the long way gave, and refreshes
when what it is keyed on changes."""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from etl import factstore, schema
from etl.factstore import table_columns, table_fingerprints
from etl_helpers import ESERVICES, TRANSACTIONS_HEAD, load, query
from pipeline import publish as publish_mod
from pipeline.publish import publish

# ------------------------------------------------------------------ fingerprints, old == new
TYPES = {
    "INTEGER": st.integers(-2**31, 2**31 - 1),
    "BIGINT": st.integers(-2**63, 2**63 - 1),
    "DOUBLE": st.floats(allow_nan=True, allow_infinity=True),
    "VARCHAR": st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12),
    "DECIMAL(18,2)": st.decimals(min_value=-10**15, max_value=10**15, places=2, allow_nan=False, allow_infinity=False),
    "DATE": st.dates(),
    "BOOLEAN": st.booleans(),
    "TIMESTAMP": st.datetimes(),
}
NAMES = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1,
                max_size=10)


@st.composite
def tables(draw):
    """1-4 tables with hostile names (quotes, dots, spaces, unicode), 1-4 columns of mixed types, 0-6 rows with NULLs."""
    names = draw(st.lists(NAMES, min_size=1, max_size=4, unique_by=str.lower))
    out = []
    for name in names:
        cols = draw(st.lists(st.tuples(NAMES, st.sampled_from(sorted(TYPES))), min_size=1, max_size=4,
                             unique_by=lambda c: c[0].lower()))
        rows = draw(st.lists(st.tuples(*[st.one_of(st.none(), TYPES[t]) for _, t in cols]), max_size=6))
        out.append((name, cols, rows))
    return out


def _create(con, spec) -> list[str]:
    for name, cols, rows in spec:
        con.execute(f"CREATE TABLE {factstore.q(name)} ("
                    + ", ".join(f"{factstore.q(c)} {t}" for c, t in cols) + ")")
        if rows:
            con.executemany(f"INSERT INTO {factstore.q(name)} VALUES ({', '.join('?' for _ in cols)})", rows)
    return [name for name, _, _ in spec]


def table_fingerprint(con, table: str) -> str:
    """The per-table fingerprint earlier publishes wrote into their manifests (DESCRIBE, then count and hash sum):
    table_fingerprints must give the same strings, or every catalog table would look changed once."""
    cols = con.execute(f"DESCRIBE {factstore.q(table)}").fetchall()
    n, h = con.execute(f"SELECT count(*), sum(hash(t)::HUGEINT) FROM {factstore.q(table)} t").fetchall()[0]
    return json.dumps([[c[0], c[1]] for c in cols]) + f"|{n}|{h}"


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=tables())
def test_fingerprints_in_two_statements_equal_the_per_table_ones(spec):
    con = duckdb.connect()
    try:
        names = _create(con, spec)
        new = table_fingerprints(con, names)
        assert new == {n: table_fingerprint(con, n) for n in names}
    finally:
        con.close()


def test_fingerprints_by_hand_and_they_change_with_the_content():
    con = duckdb.connect()
    con.execute("CREATE TABLE \"a'b\" (x INTEGER, y VARCHAR)")
    con.execute("INSERT INTO \"a'b\" VALUES (1, 'x'), (2, NULL)")
    con.execute("CREATE TABLE empty (d DATE)")
    fps = table_fingerprints(con, ["a'b", "empty"])
    h = con.execute("SELECT sum(hash(t)::HUGEINT) FROM \"a'b\" t").fetchall()[0][0]
    assert fps["a'b"] == json.dumps([["x", "INTEGER"], ["y", "VARCHAR"]]) + f"|2|{h}"
    assert fps["empty"] == json.dumps([["d", "DATE"]]) + "|0|None"
    con.execute("UPDATE \"a'b\" SET y = 'z' WHERE x = 2")
    assert table_fingerprints(con, ["a'b"])["a'b"] != fps["a'b"]
    assert table_fingerprints(con, []) == {}


def test_table_columns_of_the_main_schema_are_not_shadowed_by_a_temp_table(tmp_path):
    con = duckdb.connect(str(tmp_path / "c.duckdb"))
    con.execute("CREATE TABLE t (a INTEGER, b VARCHAR)")
    con.execute("CREATE TEMP TABLE t (z DOUBLE)")
    db = con.execute("SELECT current_database()").fetchall()[0][0]
    assert table_columns(con, ["t"], db) == {"t": [("a", "INTEGER"), ("b", "VARCHAR")]}
    assert table_columns(con, ["t"]) == {"t": [("z", "DOUBLE")]}   # as DESCRIBE t resolves it
    con.close()


# ------------------------------------------------------------------ the schema DDL, keyed by its text
@pytest.fixture
def published(tmp_path) -> Path:
    wh = tmp_path / "warehouse.duckdb"
    (tmp_path / "eservices.csv").write_text(ESERVICES, encoding="utf-8")
    (tmp_path / "eservice_transactions.csv").write_text(TRANSACTIONS_HEAD + "2024-01,ES002,digital,8,8\n",
                                                        encoding="utf-8")
    results = load(wh, "committees.csv", tmp_path / "eservices.csv", tmp_path / "eservice_transactions.csv")
    assert [r.status for r in results] == ["loaded"] * 3
    return wh


def _ddl_runs(monkeypatch) -> list[int]:
    """Counts the times create_all runs schema.sql (the contracts' DDL runs with it)."""
    runs = []
    original = schema._run_ddl
    monkeypatch.setattr(schema, "_run_ddl", lambda con, sql: (runs.append(1), original(con, sql))[1])
    return runs


def test_the_schema_ddl_runs_once_and_again_when_its_text_changes(published, tmp_path, monkeypatch):
    wh = published
    recorded = query(wh, "SELECT value FROM etl_publish_state WHERE key = 'schema'")
    assert len(recorded) == 1 and len(recorded[0][0]) == 64
    runs = _ddl_runs(monkeypatch)
    publish(lambda con: None, wh, with_marts=False)
    assert runs == []                                   # the catalog has this DDL: skipped
    assert query(wh, "SELECT value FROM etl_publish_state WHERE key = 'schema'") == recorded

    # a changed schema.sql (e.g. an upgrade adds a table): the DDL runs again and the new table is there
    changed = tmp_path / "schema.sql"
    changed.write_text(schema.SCHEMA_SQL.read_text(encoding="utf-8")
                       + "\nCREATE TABLE IF NOT EXISTS etl_new_thing (k VARCHAR);\n", encoding="utf-8")
    monkeypatch.setattr(schema, "SCHEMA_SQL", changed)
    publish(lambda con: None, wh, with_marts=False)
    assert runs == [1]
    assert query(wh, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'etl_new_thing'") == [(1,)]
    new = query(wh, "SELECT value FROM etl_publish_state WHERE key = 'schema'")
    assert new != recorded
    publish(lambda con: None, wh, with_marts=False)
    assert runs == [1]                                  # and is then skipped again

    # a changed contract DDL runs it too
    original = schema.contract_ddl
    monkeypatch.setattr(schema, "contract_ddl", lambda c: original(c) + " ")
    publish(lambda con: None, wh, with_marts=False)
    assert runs == [1, 1]


def test_a_catalog_without_the_recorded_digest_runs_the_ddl(published, monkeypatch):
    """An older catalog (no 'schema' key): the DDL runs, and the digest is recorded."""
    wh = published
    from etl_helpers import republish

    republish(wh, "DELETE FROM etl_publish_state WHERE key = 'schema'; DROP TABLE dim_calendar")
    runs = _ddl_runs(monkeypatch)
    publish(lambda con: None, wh, with_marts=False)
    assert runs == [1]
    assert query(wh, "SELECT count(*) > 0 FROM dim_calendar") == [(True,)]
    assert len(query(wh, "SELECT value FROM etl_publish_state WHERE key = 'schema'")) == 1


def test_create_all_without_a_store_always_runs_the_ddl():
    """A bare connection (test fixtures, no publish) keeps the old behaviour: everything missing is created."""
    con = duckdb.connect()
    schema.create_all(con)
    con.execute("DROP TABLE dim_calendar")
    schema.create_all(con)
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'dim_calendar'").fetchall() == [(1,)]
    assert con.execute("SELECT count(*) FROM etl_publish_state WHERE key = 'schema'").fetchall() == [(0,)]
    con.close()


# ------------------------------------------------------------------ seeds checked together
def test_a_seed_table_with_other_columns_is_loaded_again(published):
    from etl import seeds
    from etl_helpers import republish

    wh = published
    contract, _ = seeds.seed_contracts()[0]
    before = query(wh, f"SELECT * FROM {contract.table} ORDER BY ALL")
    republish(wh, f"ALTER TABLE {contract.table} DROP COLUMN _source_row")
    validated = seeds.VALIDATED[contract.table]
    publish(lambda con: None, wh, with_marts=False)
    assert seeds.VALIDATED[contract.table] == validated + 1
    assert query(wh, f"SELECT * FROM {contract.table} ORDER BY ALL") == before
    publish(lambda con: None, wh, with_marts=False)
    assert seeds.VALIDATED[contract.table] == validated + 1   # unchanged now: not again


# ------------------------------------------------------------------ store targets
def test_store_targets_without_changes_are_left_alone_otherwise_replaced(published, monkeypatch):
    from etl_helpers import republish

    wh = published
    calls = []
    original = publish_mod.copy_store_targets
    monkeypatch.setattr(publish_mod, "copy_store_targets", lambda *a, **k: (calls.append(1), original(*a, **k))[1])
    publish(lambda con: None, wh, with_marts=False)
    assert calls == []          # no store changes, the table empty with this version's columns: nothing to do
    assert query(wh, "SELECT count(*) FROM store_targets") == [(0,)]

    republish(wh, "INSERT INTO store_targets VALUES ('X', 2024, 'Q1', 1, 2, 'a', TIMESTAMP '2024-01-01', 'r')")
    publish(lambda con: None, wh, with_marts=False)   # rows the store no longer has: replaced (emptied)
    assert calls == [1]
    assert query(wh, "SELECT count(*) FROM store_targets") == [(0,)]

    publish(lambda con: None, wh, with_marts=False)
    assert calls == [1]         # empty again: left alone again
    assert [(c, t) for c, t, *_ in query(wh, "DESCRIBE store_targets")] == publish_mod.STORE_TARGETS_COLUMNS


# ------------------------------------------------------------------ the manifest's file lists carried over
def _walked(version: Path) -> dict[str, dict[str, int]]:
    """What the manifest's "facts"/"models" lists must say: every Parquet file under the version, walked."""
    out: dict[str, dict[str, int]] = {"facts": {}, "models": {}}
    for kind in ("facts", "models"):
        base = version / kind
        for entry in sorted(base.iterdir()) if base.is_dir() else []:
            gen = Path(factstore.os.path.realpath(entry))
            for path in sorted(gen.rglob("*.parquet")):
                out[kind][f"{kind}/{entry.name}/{path.relative_to(gen)}"] = path.stat().st_size
    return out


def test_the_manifest_lists_every_file_after_publishes_that_share_and_own_sources(published, tmp_path):
    """The lists of unchanged sources are carried from the previous manifest (grouped by entry in one pass): after
    a delivery of one source, a no-op publish and another delivery they equal a walk of the version's files."""
    wh = published
    root = wh.with_name(wh.stem + ".parquet")
    (tmp_path / "t2.csv").write_text(TRANSACTIONS_HEAD + "2024-02,ES002,digital,9,9\n", encoding="utf-8")
    for step in (lambda: load(wh, "it_costs_2024.csv"), lambda: publish(lambda con: None, wh, with_marts=False),
                 lambda: load(wh, tmp_path / "t2.csv", source="eservice_transactions")):
        step()
        version = root / "current"
        manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
        walked = _walked(version)
        assert manifest["facts"] == walked["facts"] and manifest["models"] == walked["models"]
        assert any(k.startswith("facts/source=it_costs/") for k in manifest["facts"])


def test_a_catalog_that_needs_the_upgrade_runs_the_ddl_despite_its_digest(published, monkeypatch):
    """A catalog that an earlier version published after this one (a downgrade, then this version again) keeps
    this version's digest; the upgrade check still runs and, when it changes something, so does the DDL."""
    wh = published
    from etl_helpers import republish

    recorded = query(wh, "SELECT value FROM etl_publish_state WHERE key = 'schema'")
    assert len(recorded) == 1
    republish(wh, "CREATE VIEW v_incidents AS SELECT 1 AS x; DROP TABLE dim_calendar")   # as an earlier version
    runs = _ddl_runs(monkeypatch)
    publish(lambda con: None, wh, with_marts=False)
    assert runs == [1]
    assert query(wh, "SELECT count(*) FROM duckdb_views() WHERE view_name = 'v_incidents'") == [(0,)]
    assert query(wh, "SELECT count(*) > 0 FROM dim_calendar") == [(True,)]
    publish(lambda con: None, wh, with_marts=False)
    assert runs == [1]                                  # nothing left to upgrade: skipped again
