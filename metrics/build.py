"""Build the models and marts inside the warehouse connection (called by pipeline.publish before
publishing and by `python -m metrics build`). The declared models (metrics/models/) come first and
their data tests must pass, else the build raises ModelTestError and nothing is published.

Every step is set-based SQL. Missing or empty source tables never make the build fail: a measure
whose tables are missing is left out (logged), and empty sources give empty marts with the full schema.

Full or incremental (`build_marts(con, changes=...)`, docs/architecture.md "Measure build"):
`changes=None` rebuilds everything. Otherwise `changes` lists the (table, month) pairs a publish's loads
touched (the TEMP table etl_changes written by etl.load; month NULL = every month), and only what they
reach is rebuilt:

* models: those reading a changed table (metrics/dependencies.py), and only their data tests run;
* measures: those whose declarations reach a changed table; their month sums (kept in
  measure_month_sums) are recomputed and compared with the kept ones: the months whose sums differ
  are what changed. Only the months the measure's rows can have changed in are recomputed where its
  `month_columns` and the models' declarations say which (ChangedMonths: e.g. Q2 counts an incident in
  the month resolved, int_incidents is rewritten per month opened: the resolved months of those rows
  before and after the rewrite), else every month;
* periods: for a changed month m, every period of every grain whose end is in [m, December of m's
  year + the measure's carry_forward_months] (a value reaches later periods by year-to-date sums within
  its year and by carry-forward; `to_date` measures: every period ending from m on); for a target
  change of year Y (targets, store_targets), every measure's periods ending in Y; when the reporting
  horizon moves, every measure's new periods (and the periods gone are deleted);
* all entity rows of those (measure, period) pairs (committees, CITY, PEER:<group>: peer medians and
  city values stay whole), the perspective and overall scores of those periods, and the indicators
  reading a changed table (all of them when the horizon moves) — where their months are known, only for
  the periods holding those months (and the new periods).

A full rebuild is taken, with a log line saying why, whenever the incremental path cannot be sure:
no marts yet, the declarations or the build code changed since the last build (definitions_hash
kept in mart_build_info), dim_committees changed (every entity's membership), a target change
without a year, or the horizon's first month moved (new periods at the start could give later periods
a value to carry forward; a new last month only adds periods after every existing one). No change:
nothing is rebuilt.
"""
from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

import duckdb

from metrics import mart_indicators, mart_scores, mart_values
from metrics.dependencies import (MEMBERS_TABLE, TARGET_TABLES, affected_models, declaration_tables, model_tables,
                                  tables_read)
from metrics.models import MODEL_DIR, Model, ModelStore, ModelTestError, build_models, load_models, month_filter, test_models
from metrics.catalog import Indicator, Measure, load_indicators, load_measures

log = logging.getLogger(__name__)


def existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database()"
    ).fetchall()
    return {r[0] for r in rows}


def runnable(con: duckdb.DuckDBPyConnection, sql: str, what: str) -> bool:
    """Whether a declaration's SQL binds here (its tables exist, its columns resolve). One bad or
    unrunnable declaration is left out, logged, rather than failing every publish."""
    try:
        con.execute(f"EXPLAIN {sql}")
    except duckdb.Error as exc:
        log.warning("%s left out: %s", what, str(exc).splitlines()[0])
        return False
    return True


def usable_declarations(con: duckdb.DuckDBPyConnection, declarations, what: str) -> list:
    """The declarations whose SQL binds here: one bind of them all together, and only when that fails one
    bind each to find the ones to leave out."""
    if not declarations:
        return []
    together = " UNION ALL ".join(f"SELECT 1 FROM ({d.sql}) AS q{i}" for i, d in enumerate(declarations))
    try:
        con.execute(f"EXPLAIN {together}")
        return list(declarations)
    except duckdb.Error:
        return [d for d in declarations if runnable(con, d.sql, f"{what} {d.id}")]


def build_marts(con: duckdb.DuckDBPyConnection, measures: tuple[Measure, ...] | None = None,
                indicators: tuple[Indicator, ...] | None = None, changes=None, store: ModelStore | None = None) -> dict:
    """Compute measure_values, perspective_scores, overall_scores, indicator_values (plus
    measure_catalog, indicator_catalog, scorecard_periods, measure_month_sums) in `con`.

    `changes`: None for a full rebuild; else an iterable of (table, month) pairs (month None: every month),
    usually `pending_changes(con)`, and only what they reach is rebuilt (module docstring).
    `store`: the publish's fact store (pipeline.publish): the models declaring `partition` are kept there per
    month (metrics/models.py), and an incremental build recomputes only the months its changes name.
    Returns timings in seconds plus `mode` (full | incremental | none), `model_months` (per model kept in the
    store: the months rewritten, None = every month) and, for an incremental build, `measures` (ids
    recomputed), `periods` ((measure, grain, period) pairs) and `rows` (measure_values rows written)."""
    measures = load_measures() if measures is None else measures
    indicators = load_indicators() if indicators is None else indicators
    if changes is not None:
        changes = sorted(set((str(t), m) for t, m in changes), key=lambda c: (c[0], str(c[1])))
        reason = full_rebuild_reason(con, changes, measures, indicators)
        if reason is None:
            return _build_incremental(con, measures, indicators, changes, store)
        log.info("full rebuild of the marts: %s", reason)
    return _build_full(con, measures, indicators, store)


MART_TABLES = ("measure_catalog", "scorecard_periods", "measure_values", "perspective_scores", "overall_scores",
               "indicator_catalog", "indicator_values", mart_values.RAW_TABLE, "mart_build_info")
_CODE_FILES = ("build.py", "models.py", "mart_values.py", "mart_scores.py", "mart_indicators.py", "scoring.py",
               "dependencies.py", "catalog.py")  # catalog.py: months_sql, the SQL of a month-restricted sum


def definitions_hash(measures: tuple[Measure, ...], indicators: tuple[Indicator, ...]) -> str:
    """A fingerprint of everything the marts are computed from besides the data: the measure and indicator
    declarations, the model files and the build code. A different one forces a full rebuild."""
    h = hashlib.sha256()
    h.update(repr(measures).encode())
    h.update(repr(indicators).encode())
    here = Path(__file__).parent
    for path in sorted(Path(MODEL_DIR).glob("*")) + [here / f for f in _CODE_FILES] + [here.parent / "periods.py"]:
        if path.is_file():
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def pending_changes(con: duckdb.DuckDBPyConnection) -> list[tuple[str, object]] | None:
    """The (table, month) pairs in the connection's TEMP table etl_changes; None when it does not exist
    (nothing recorded the changes: the caller should build in full)."""
    present = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'etl_changes' AND temporary"
                          ).fetchone()[0]
    if not present:
        return None
    return [tuple(r) for r in con.execute("SELECT DISTINCT table_name, month FROM etl_changes ORDER BY ALL").fetchall()]


def full_rebuild_reason(con: duckdb.DuckDBPyConnection, changes: list, measures, indicators) -> str | None:
    """Why these changes cannot be applied incrementally (None: they can)."""
    tables = existing_tables(con)
    missing = [t for t in MART_TABLES if t not in tables]
    if missing:
        return f"no marts to update yet ({', '.join(missing)} missing)"
    kept = con.execute("SELECT max(value) FILTER (WHERE key = 'definitions_hash') FROM mart_build_info").fetchone()[0]
    if kept != definitions_hash(measures, indicators):
        return "the measure, model or indicator declarations or the build code changed since the last build"
    changed = {t for t, _ in changes}
    if MEMBERS_TABLE in changed:
        return f"{MEMBERS_TABLE} changed (which entity rows every committee adds up into)"
    if any(t in TARGET_TABLES and m is None for t, m in changes):
        return "a target change without a year"
    return None


def _write_build_info(con: duckdb.DuckDBPyConnection, measures, indicators, mode: str,
                      recomputed: list[str] | None = None, cells: int | None = None) -> None:
    """mart_build_info: the definitions' fingerprint and what the last build did (mode, the measures
    recomputed and the number of measure × period cells; every measure and cell for a full build)."""
    con.execute("CREATE TABLE IF NOT EXISTS mart_build_info (key VARCHAR PRIMARY KEY, value VARCHAR)")
    if recomputed is None:
        recomputed = [r[0] for r in con.execute("SELECT measure_id FROM measure_catalog ORDER BY ord").fetchall()]
        cells = con.execute("SELECT count(*) FROM measure_catalog, scorecard_periods").fetchone()[0]
    con.execute("INSERT OR REPLACE INTO mart_build_info VALUES ('definitions_hash', ?), ('last_build', ?), "
                "('last_measures', ?), ('last_cells', ?)",
                [definitions_hash(measures, indicators), mode, ",".join(recomputed), str(cells)])


def _drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    for name in ("_mv_members", "_period_months", "_mv_raw", "_mv_raw_ent", "_mv_pv", "_mv_scored", "_mv_changed",
                 "_mv_aff", "_mv_aff_periods", "_mv_old_periods", "_mv_gone_periods", "_mv_scope"):
        con.execute(f"DROP TABLE IF EXISTS {name}")


def _changed_months(name: str, source: str, changes: list, reach: dict, changed: set) -> list[str] | None:
    """The months of `source` that changed (YYYY-MM), for a model whose rows each come from one row of
    `source` with its month passed through; None (every month) when a month is unknown (NULL) or when
    anything else the model reaches changed (another source, a model it depends on, a table its tests read)."""
    own = [month for t, month in changes if t == source]
    if (reach[name] - {source}) & changed or any(month is None for month in own):
        return None
    return sorted({month.strftime("%Y-%m") for month in own})


def stored_months(changes: list, models: tuple[Model, ...], store: ModelStore | None) -> dict[str, list[str] | None]:
    """Per model kept in the store (`partition`), the months to recompute for these changes: the months of its
    partition source that changed; None (every month) when a month is unknown (NULL) or when anything else it
    reaches changed (another source, a model it depends on, a table its tests look up)."""
    if store is None:
        return {}
    reach = model_tables()
    changed = {t for t, _ in changes}
    return {m.decl.name: _changed_months(m.decl.name, m.decl.partition.source, changes, reach, changed)
            for m in models if m.decl.partition is not None}


def months_to_test(changes: list, models: tuple[Model, ...]) -> dict[str, list[str] | None]:
    """Per model declaring `tested_per_month`, the months whose rows its data tests judge in an incremental
    build (the same rule as stored_months; None: every row)."""
    reach = model_tables()
    changed = {t for t, _ in changes}
    return {m.decl.name: _changed_months(m.decl.name, m.decl.tested_per_month.source, changes, reach, changed)
            for m in models if m.decl.tested_per_month is not None}


def _months(rows) -> set[str]:
    return {r[0] for r in rows if r[0] is not None}


class ChangedMonths:
    """Which months of a model's column its rows can differ in after the changes `changes` (YYYY-MM; None:
    any month), for the incremental build to recompute only those months' sums of a measure or indicator
    declaring `month_columns`:

    * a model kept in the store (`partition`), rewritten for the months `want[name]` of its partition column:
      those months when the column is the partition column, else the months the column has in the rows of
      those months before the rewrite and after it (`probe` reads them: only those months' files);
    * a model declaring that the column's months come from its sources' months (`partition` or
      `tested_per_month` over one source, `month_local` over several): the months the changes name for those
      sources — None when a month is unknown or anything else the model reaches changed;
    * otherwise None."""

    def __init__(self, changes: list, store: ModelStore | None, want: dict, unmoved: list[str]):
        self.changes, self.store, self.want, self.unmoved = changes, store, want, set(unmoved)
        self.changed = {t for t, _ in changes}
        self.reach = model_tables()
        self.by_name = {m.decl.name: m for m in load_models()}
        self.before: dict[tuple[str, str], set[str]] = {}
        self.after: dict[tuple[str, str], set[str]] = {}

    def _stored(self, name: str) -> bool:
        return self.store is not None and self.by_name[name].decl.partition is not None

    def probes(self, declarations, reached: set[str]) -> list[tuple[str, str]]:
        """(model, column) pairs to read before and after the rewrite: columns other than the partition column
        of stored models rewritten for some months, read by reached declarations."""
        out = set()
        for d in declarations:
            for name, column in d.month_columns or ():
                if (name in reached and self._stored(name) and name not in self.unmoved
                        and self.want.get(name) and column != self.by_name[name].decl.partition.column):
                    out.add((name, column))
        return sorted(out)

    def probe(self, con: duckdb.DuckDBPyConnection, pairs: list[tuple[str, str]], into: dict) -> None:
        for name, column in pairs:
            part = self.by_name[name].decl.partition.column
            into[(name, column)] = _months(con.execute(
                f'SELECT DISTINCT strftime("{column}", \'%Y-%m\') FROM "{name}" '
                f"WHERE {month_filter(part, self.want[name])}").fetchall())

    def of(self, name: str, column: str) -> set[str] | None:
        decl = self.by_name[name].decl
        if self._stored(name):
            months = None if name in self.unmoved else self.want.get(name)
            if months is None:
                return None
            if column == decl.partition.column:
                return set(months)
            if (name, column) not in self.before:
                return None
            return self.before[(name, column)] | self.after[(name, column)]
        candidates = [(d.column, [d.source]) for d in (decl.partition, decl.tested_per_month) if d is not None]
        if decl.month_local is not None:
            candidates.append((decl.month_local.column, decl.month_local.sources))
        for col, sources in candidates:
            if col != column:
                continue
            own = [month for t, month in self.changes if t in sources]
            if (self.reach[name] - set(sources)) & self.changed or any(month is None for month in own):
                return None
            return {month.strftime("%Y-%m") for month in own}
        return None

    def declaration(self, month_columns, sql: str, reached: set[str]) -> list[str] | None:
        """The months a measure's or indicator's rows can have changed in (None: any month)."""
        if month_columns is None:
            return None
        columns = dict(month_columns)
        months: set[str] = set()
        for name in sorted(tables_read(sql) & reached):
            if name not in columns or name not in self.by_name:
                return None
            got = self.of(name, columns[name])
            if got is None:
                return None
            months |= got
        return sorted(months)


def _test_built(con: duckdb.DuckDBPyConnection, built: list[str], written: dict, tested: dict | None = None) -> None:
    """The data tests of the models built; a model kept in the store whose build rewrote some months only is
    judged on those months (its other months were judged when they were written), and so is a model tested
    per month (`tested`: months_to_test) on the months that changed."""
    by_name = {m.decl.name: m for m in load_models()}
    where = {name: month_filter(by_name[name].decl.partition.column, months)
             for name, months in written.items() if months is not None and name in built}
    where.update({name: month_filter(by_name[name].decl.tested_per_month.column, months)
                  for name, months in (tested or {}).items() if months is not None and name in built})
    failures = test_models(con, only=built, where=where)
    if failures:
        raise ModelTestError(failures)


def _build_full(con: duckdb.DuckDBPyConnection, measures, indicators, store: ModelStore | None = None) -> dict:
    timings, started = {}, time.perf_counter()
    written: dict = {}
    built = build_models(con, missing_ok=True, store=store, report=written)
    failures = test_models(con, only=built)
    if failures:
        raise ModelTestError(failures)
    timings["models"] = time.perf_counter() - started
    tables = existing_tables(con)
    usable = usable_declarations(con, measures, "measure")
    mart_values.build(con, measures, usable, tables)
    timings["measure_values"] = time.perf_counter() - started
    mart_scores.build(con, measures)
    timings["scores"] = time.perf_counter() - started - timings["measure_values"]
    usable_ind = usable_declarations(con, indicators, "indicator")
    mart_indicators.build(con, indicators, usable_ind, tables)
    _drop_temp(con)
    _write_build_info(con, measures, indicators, "full")
    timings["total"] = time.perf_counter() - started
    timings["mode"] = "full"
    timings["model_months"] = written
    log.info("marts built in full in %.2f s", timings["total"])
    return timings


def _horizon_kept(con: duckdb.DuckDBPyConnection):
    first, last = con.execute("SELECT min(start_month) FILTER (WHERE grain = 'month'), max(last_data_month) "
                              "FROM scorecard_periods").fetchone()
    return first, last


def _unmoved(con: duckdb.DuckDBPyConnection, store: ModelStore | None) -> list[str]:
    """Models to keep in the store that are not there yet (a warehouse published before they were): the build
    moves them whatever changed."""
    if store is None:
        return []
    return [m.decl.name for m in load_models() if m.decl.partition is not None and not store.has_model(con, m.decl.name)]


def _build_incremental(con: duckdb.DuckDBPyConnection, measures, indicators, changes: list,
                       store: ModelStore | None = None) -> dict:
    timings, started = {}, time.perf_counter()
    unmoved = _unmoved(con, store)
    if not changes and not unmoved:
        log.info("no change since the last build: marts kept as they are")  # (and nothing written)
        return {"total": 0.0, "mode": "none", "measures": [], "periods": 0, "rows": 0, "model_months": {},
                "month_sums": {}, "indicator_months": {}}
    changed = {t for t, _ in changes}
    names = {m.decl.name for m in affected_models(changed)} | set(unmoved)
    models = tuple(m for m in load_models() if m.decl.name in names)   # dependency order
    reached = changed | {m.decl.name for m in affected_models(changed)}   # a model only moved has the same rows
    hit = [m for m in measures if declaration_tables(m.sql) & reached]
    hit_ids = [m.id for m in hit]
    reading = [i for i in indicators if declaration_tables(i.sql) & reached]
    want = stored_months(changes, models, store)
    months_of = ChangedMonths(changes, store, want, unmoved)
    probes = months_of.probes(hit + reading, reached)
    months_of.probe(con, probes, months_of.before)   # the rows of the months to rewrite, as published
    written: dict = {}
    built = build_models(con, models, missing_ok=True, store=store, months=want, report=written)
    months_of.probe(con, probes, months_of.after)
    _test_built(con, built, written, months_to_test(changes, models))
    timings["models"] = time.perf_counter() - started
    tables = existing_tables(con)
    years = sorted({m.year for t, m in changes if t in TARGET_TABLES})

    # 1. the month sums of the measures reached — of the months their rows can have changed in where the
    #    declarations say which (month_columns), else of every month — and which (measure, month) sums differ
    #    from the kept ones
    sums_months = {m.id: months_of.declaration(m.month_columns, m.sql, reached) for m in hit}
    scoped = {i: ms for i, ms in sums_months.items() if ms is not None}
    whole = [i for i in hit_ids if i not in scoped]
    pairs = [(i, f"{m}-01") for i, ms in scoped.items() for m in ms]
    con.execute("CREATE OR REPLACE TEMP TABLE _mv_scope AS SELECT unnest($ids) AS measure_id, "
                "CAST(unnest($months) AS DATE) AS month", {"ids": [i for i, _ in pairs], "months": [m for _, m in pairs]})
    mart_values.create_raw(con, usable_declarations(con, hit, "measure"), scoped)
    kept = mart_values.kept_raw_sql("$ids", "_mv_scope")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _mv_changed AS
        SELECT DISTINCT measure_id, month FROM (
            (SELECT * FROM _mv_raw EXCEPT ALL ({kept}))
            UNION ALL
            (({kept}) EXCEPT ALL SELECT * FROM _mv_raw))""", {"ids": whole})
    mart_values.persist_raw(con, whole, "_mv_scope")

    # 2. the reporting horizon: when it moves, scorecard_periods is rewritten; new periods are computed for
    #    every measure and the periods gone are deleted (only the last month may move: see the docstring) from every mart
    con.execute("CREATE OR REPLACE TEMP TABLE _mv_old_periods AS SELECT grain, period, start_month, end_month "
                "FROM scorecard_periods")
    (first, last), (kept_first, kept_last) = mart_values.horizon(con, mart_values.RAW_TABLE), _horizon_kept(con)
    if first != kept_first:
        # new periods at the start could give existing later periods a value to carry forward: not sure
        log.info("full rebuild of the marts: the reporting horizon's first month moved (%s → %s)", kept_first, first)
        _drop_temp(con)
        return _build_full(con, measures, indicators, store)
    moved = last != kept_last
    if moved:
        log.info("reporting horizon moved: new periods are built for every measure")
        mart_values.create_periods(con, mart_values.RAW_TABLE)
    con.execute("""CREATE OR REPLACE TEMP TABLE _mv_gone_periods AS
                   SELECT grain, period FROM _mv_old_periods EXCEPT SELECT grain, period FROM scorecard_periods""")

    # 3. the (measure, grain, period) cells to recompute
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _mv_aff AS
        SELECT c.measure_id, p.grain, p.period
        FROM _mv_changed c JOIN measure_catalog d USING (measure_id) JOIN scorecard_periods p
          ON p.end_month >= c.month
         AND (d.accumulate = 'to_date'
              OR p.end_month <= CAST(date_trunc('year', c.month) + INTERVAL 11 MONTH
                                     + to_months(d.carry_forward_months) AS DATE))
        UNION
        SELECT d.measure_id, p.grain, p.period FROM measure_catalog d CROSS JOIN scorecard_periods p
        WHERE list_contains($years, year(p.end_month))
        UNION
        SELECT d.measure_id, p.grain, p.period FROM measure_catalog d CROSS JOIN scorecard_periods p
        WHERE (p.grain, p.period) NOT IN (SELECT (grain, period) FROM _mv_old_periods)
    """, {"years": years})
    con.execute("CREATE OR REPLACE TEMP TABLE _mv_aff_periods AS SELECT DISTINCT grain, period FROM _mv_aff "
                "UNION SELECT grain, period FROM _mv_gone_periods")
    recomputed = [r[0] for r in con.execute("SELECT DISTINCT measure_id FROM _mv_aff ORDER BY 1").fetchall()]
    n_cells = con.execute("SELECT count(*) FROM _mv_aff").fetchone()[0]

    # 4. measure_values of those cells from the kept month sums of their measures
    con.execute(f"CREATE OR REPLACE TEMP TABLE _mv_raw AS SELECT * FROM {mart_values.RAW_TABLE} "
                f"WHERE list_contains($ids, measure_id)", {"ids": recomputed})
    mart_values.create_members(con, tables)
    mart_values.create_period_values(con)
    for table in ("measure_values", "indicator_values"):
        con.execute(f"DELETE FROM {table} WHERE (grain, period) IN (SELECT (grain, period) FROM _mv_gone_periods)")
    rows = mart_values.create_measure_values(con, tables, only="_mv_aff") if n_cells else 0
    timings["measure_values"] = time.perf_counter() - started

    # 5. scores of the periods touched; indicators reading a changed table (all when the horizon moved)
    mart_scores.build(con, measures, only="_mv_aff_periods")
    timings["scores"] = time.perf_counter() - started - timings["measure_values"]
    #    (of the periods holding the months their rows can have changed in, where the declarations say which;
    #    when the horizon moved, every indicator for those periods and the new ones)
    hit_ind = list(indicators) if moved else reading
    ind_months = {i.id: months_of.declaration(i.month_columns, i.sql, reached) if i in reading
                  else ([] if i.month_columns is not None else None) for i in hit_ind}
    read_months: dict = {i.id: None for i in hit_ind}
    if hit_ind:
        usable_ind = usable_declarations(con, hit_ind, "indicator")
        read_months.update(mart_indicators.build(con, indicators, usable_ind, tables, only=[i.id for i in hit_ind],
                                                 months={i: ms for i, ms in ind_months.items() if ms is not None},
                                                 old_periods="_mv_old_periods" if moved else None))
    _drop_temp(con)
    _write_build_info(con, measures, indicators, "incremental", recomputed, n_cells)
    timings["total"] = time.perf_counter() - started
    timings.update(mode="incremental", measures=recomputed, periods=n_cells, rows=rows,
                   indicators=[i.id for i in hit_ind], model_months=written, month_sums=sums_months,
                   indicator_months=read_months)
    log.info("marts built incrementally in %.2f s: measures %s, %d measure × period cells, %d rows (changed: %s)",
             timings["total"], ", ".join(recomputed) or "none", n_cells, rows, ", ".join(sorted(changed)))
    return timings
