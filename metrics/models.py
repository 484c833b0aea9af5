"""Declared models between the loaded facts and the measures (jaffle-shop style).

Each model is two files in `metrics/models/`:

* `<name>.sql` — one SELECT over warehouse tables and earlier models;
* `<name>.yaml` — its description, materialisation, dependencies (`depends_on`: earlier models;
  `sources`: the warehouse tables it reads), column descriptions and data tests (validated by
  `ModelDecl`, unknown keys rejected). The incremental measure build (metrics/dependencies.py) uses
  `sources` + `depends_on` to find the models and measures a delivery reaches; a test parses the SQL
  and fails if a model reads a table it does not declare.

`build_models(con)` creates every model in dependency order (`CREATE OR REPLACE VIEW|TABLE <name>`);
`test_models(con)` runs the declared data tests and returns the failures.

Models kept per month (`partition: {column: C, source: T}`, with `materialized: table`): a model that grows
with the facts (int_incidents: one row per incident) is, when the build is given a fact store (`store`:
pipeline.publish passes the publish's etl.factstore.FactStore, see ModelStore), not a catalog table but
Parquet files per month of its column C in the store (docs/storage.md) and a view in the catalog, so every
query, data test and page reads it unchanged. Each row must come from ONE row of the fact table T whose
period column C passes through unchanged (the month of a changed row of T, recorded in etl_changes, is
the month of the model rows it gives): the build then recomputes only the months of T that changed
(`months`), and everything in full when any other table it reads changed. Without a store (a bare
connection, `python -m metrics build` on a plain file) such a model is a table, as before.

Models tested per month (`tested_per_month: {column: C, source: T}`, a view or table not kept in the store):
the same promise as `partition` (each row from ONE row of T, its period column C passed through), used only
for the data tests: an incremental build judges the tests on the rows of the months of T that changed (a
unique test: their values against the whole model), since the other months' rows are the ones judged when
they were written; in full when a month is unknown or anything else the model reads changed (int_it_costs:
a view over the whole ledger, whose tests would otherwise scan every ledger line on every delivery). The
measure build runs
both before the measures (metrics.build), and a failing data test stops the publish: the published
warehouse stays as it was (pipeline.publish).

Data tests, per column (`tests:` under a column):
  not_null · unique · accepted_values: {values: [...]} ·
  relationships: {to: TABLE, field: COLUMN} (every non-null value exists in TABLE.COLUMN)
and per model (`tests:` at the top): expression: SQL that is true for every row (NULL counts as
false), with a description. Each test's SQL counts the failing rows; 0 passes.
"""
from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, Protocol, Union

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

log = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).parent / "models"
NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    sv: str
    en: str


class AcceptedValues(_Strict):
    values: list[Union[str, int, float, bool]]


class Relationship(_Strict):
    to: str = Field(pattern=NAME_PATTERN)
    field: str = Field(pattern=NAME_PATTERN)


class ColumnTest(_Strict):
    """Exactly one key: not_null / unique (true), accepted_values or relationships."""
    not_null: bool | None = None
    unique: bool | None = None
    accepted_values: AcceptedValues | None = None
    relationships: Relationship | None = None


class ColumnDecl(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    description: Text
    tests: list[Union[Literal["not_null", "unique"], ColumnTest]] = []


class ExpressionTest(_Strict):
    expression: str
    description: str


class MonthOfSource(_Strict):
    """`column`: a model column that is the period column of `source` (a fact table), passed through
    unchanged, so the months of `source` a delivery changed are the model's months it can change."""
    column: str = Field(pattern=NAME_PATTERN)
    source: str = Field(pattern=NAME_PATTERN)


class Partition(MonthOfSource):
    """Kept in the fact store per month of `column`; the changed months of `source` are recomputed."""
    # rows sorted by these columns within a month's file (small row groups): a read filtered by them (the
    # drill-down: one committee) skips most of each file by its row-group statistics
    cluster_by: list[Annotated[str, Field(pattern=NAME_PATTERN)]] = []


class TestedPerMonth(MonthOfSource):
    """Its data tests judged per month of `column` in an incremental build: only the months of `source`
    that changed."""


class MonthLocal(_Strict):
    """A model whose rows of month m (of `column`) are computed only from the rows of month m of each of
    `sources` (fact tables; the month etl_changes records for them is their period column): a change of those
    sources in month m can change only the model's rows of month m. Used by the incremental measure build
    (metrics.build.model_months) to recompute only those months' sums of the measures reading the model."""
    column: str = Field(pattern=NAME_PATTERN)
    sources: list[Annotated[str, Field(pattern=NAME_PATTERN)]]


class ModelDecl(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    description: Text
    materialized: Literal["view", "table"] = "view"
    partition: Partition | None = None
    tested_per_month: TestedPerMonth | None = None
    month_local: MonthLocal | None = None
    depends_on: list[str] = []
    sources: list[Annotated[str, Field(pattern=NAME_PATTERN)]] = []  # warehouse tables the SQL reads (not models)
    columns: list[ColumnDecl]
    tests: list[ExpressionTest] = []

    @model_validator(mode="after")
    def _partition_fits(self):
        declared = [c.name for c in self.columns]
        p = self.partition
        if p is not None:
            if self.materialized != "table":
                raise ValueError("partition: only a model materialized as a table can be kept per month")
            self._month_of_source_fits("partition", p, declared)
            unknown = [c for c in p.cluster_by if c not in declared]
            if unknown:
                raise ValueError(f"partition: cluster_by: not declared columns: {', '.join(unknown)}")
        t = self.tested_per_month
        if t is not None:
            if p is not None:
                raise ValueError("tested_per_month: a model kept per month (partition) is already tested per month")
            self._month_of_source_fits("tested_per_month", t, declared)
        local = self.month_local
        if local is not None:
            for source in local.sources:
                self._month_of_source_fits("month_local", MonthOfSource(column=local.column, source=source), declared)
        return self

    def _month_of_source_fits(self, key: str, decl: MonthOfSource, declared: list[str]) -> None:
        if decl.source not in self.sources:
            raise ValueError(f"{key}: source {decl.source!r} is not in sources")
        if decl.column not in declared:
            raise ValueError(f"{key}: column {decl.column!r} is not a declared column")

    @field_validator("columns")
    @classmethod
    def _unique_columns(cls, columns):
        names = [c.name for c in columns]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"columns declared twice: {', '.join(dupes)}")
        return columns


class Model(_Strict):
    decl: ModelDecl
    sql: str
    path: str


class ModelDeclarationError(ValueError):
    """A model's YAML or SQL file is missing or invalid; the message names the file and the key."""


class ModelTestError(RuntimeError):
    """One or more data tests of the models failed; `failures` lists them."""

    def __init__(self, failures: list[dict]):
        self.failures = failures
        lines = [f"{f['model']}: {f['test']} — {f['failing_rows']} row(s) fail" for f in failures]
        super().__init__("data tests of the models failed (nothing was published):\n  " + "\n  ".join(lines))


def _parse(yaml_path: Path) -> Model:
    try:
        doc = yaml.load(yaml_path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
        decl = ModelDecl.model_validate(doc)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ModelDeclarationError(f"{yaml_path}: {problems}") from None
    except yaml.YAMLError as exc:
        raise ModelDeclarationError(f"{yaml_path}: not valid YAML ({exc})") from None
    if decl.name != yaml_path.stem:
        raise ModelDeclarationError(f"{yaml_path}: name: {decl.name!r} must equal the file name {yaml_path.stem!r}")
    sql_path = yaml_path.with_suffix(".sql")
    if not sql_path.exists():
        raise ModelDeclarationError(f"{yaml_path}: no SQL file {sql_path.name} beside it")
    return Model(decl=decl, sql=sql_path.read_text(encoding="utf-8").strip().rstrip(";"), path=str(yaml_path))


@lru_cache(maxsize=4)
def load_models(directory: Path = MODEL_DIR) -> tuple[Model, ...]:
    """Every declared model, in dependency order (a model after everything in its depends_on)."""
    models = {m.decl.name: m for m in (_parse(p) for p in sorted(Path(directory).glob("*.yaml")))}
    for m in models.values():
        unknown = [d for d in m.decl.depends_on if d not in models]
        if unknown:
            raise ModelDeclarationError(f"{m.path}: depends_on: unknown model(s) {', '.join(unknown)}")
    ordered: list[Model] = []
    state: dict[str, str] = {}

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise ModelDeclarationError(f"{models[name].path}: depends_on: cycle {' → '.join(chain + (name,))}")
        state[name] = "visiting"
        for dep in models[name].decl.depends_on:
            visit(dep, chain + (name,))
        state[name] = "done"
        ordered.append(models[name])

    for name in sorted(models):
        visit(name, ())
    return tuple(ordered)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class ModelStore(Protocol):
    """Where the models kept per month live during a publish: etl.factstore.FactStore implements it and
    pipeline.publish passes it to the build (metrics never imports etl). Months are 'YYYY-MM'."""

    def has_model(self, con: duckdb.DuckDBPyConnection, name: str) -> bool:
        """The model is in the store (files per month) and the catalog's object of its name is the view."""

    def write_model(self, con: duckdb.DuckDBPyConnection, name: str, select: str, column: str,
                    months: list[str] | None, cluster_by: list[str] = ()) -> list[str]:
        """Replace the model's months (every month when None) with the rows of `select` (which holds rows of
        those months only), partitioned by the month of `column`, sorted by `cluster_by` within a month;
        (re)create the view. Returns the months whose files were written or removed."""

    def drop_model(self, con: duckdb.DuckDBPyConnection, name: str) -> None:
        """Remove the model's files and view."""


MONTH = re.compile(r"^\d{4}-\d{2}$")


def month_filter(column: str, months: list[str]) -> str:
    """SQL condition: `column` (a date or timestamp) falls in one of `months` ('YYYY-MM'). One range per month,
    so DuckDB pushes it into the Parquet scan of the fact store and reads only those months' files."""
    parts = []
    for m in sorted(set(months)):
        if not MONTH.match(m):
            raise ValueError(f"not a month (YYYY-MM): {m!r}")
        y, mo = int(m[:4]), int(m[5:])
        nxt = f"{y + mo // 12:04d}-{mo % 12 + 1:02d}"
        parts.append(f"({_ident(column)} >= DATE '{m}-01' AND {_ident(column)} < DATE '{nxt}-01')")
    return "(" + " OR ".join(parts) + ")" if parts else "false"


def build_models(con: duckdb.DuckDBPyConnection, models: tuple[Model, ...] | None = None,
                 missing_ok: bool = False, store: ModelStore | None = None,
                 months: dict[str, list[str] | None] | None = None,
                 report: dict[str, list[str] | None] | None = None) -> list[str]:
    """Create every model (in dependency order); returns the names built. With `missing_ok`, a model whose
    source tables are not in the warehouse (a bare or partial database) is left out, logged, and any stale
    object of its name dropped (so are the models depending on it); every other error still raises.

    With a `store`, a model declaring `partition` is written into it instead of a catalog table: only the
    months in `months[name]` when given (a list, possibly empty), else every month; a catalog table of that
    name (a warehouse published before models were kept in the store) is moved: dropped and written in
    full. `report[name]` gets the months written (None: every month)."""
    models = load_models() if models is None else models
    months = months or {}
    kinds = dict(con.execute(
        "SELECT table_name, table_type FROM information_schema.tables WHERE table_catalog = current_database() "
        "AND table_schema = current_schema()").fetchall())
    built: list[str] = []
    skipped: set[str] = set()
    for m in models:
        name = _ident(m.decl.name)
        kept = store is not None and m.decl.partition is not None
        kind = "VIEW" if kept else ("TABLE" if m.decl.materialized == "table" else "VIEW")
        existing = {"VIEW": "VIEW", "BASE TABLE": "TABLE"}.get(kinds.get(m.decl.name))
        in_full = False
        if kept and existing == "TABLE":
            log.info("model %s moved from the catalog into the fact store (Parquet per month of %s)",
                     m.decl.name, m.decl.partition.column)
            in_full = True
        elif kept and not store.has_model(con, m.decl.name):
            in_full = True
        if existing and existing != kind:
            con.execute(f"DROP {existing} {name}")
        left_out = [d for d in m.decl.depends_on if d in skipped]
        try:
            if left_out:
                raise duckdb.CatalogException(f"depends on {', '.join(left_out)}, left out")
            if kept:
                want = None if in_full else months.get(m.decl.name)
                select = m.sql if want is None else \
                    f"SELECT * FROM ({m.sql}) AS m WHERE {month_filter(m.decl.partition.column, want)}"
                written = store.write_model(con, m.decl.name, select, m.decl.partition.column, want,
                                            m.decl.partition.cluster_by)
                log.info("model %s written to the fact store: %s", m.decl.name,
                         "every month" if want is None else (", ".join(written) or "no month changed"))
                if report is not None:
                    report[m.decl.name] = None if want is None else written
            else:
                con.execute(f"CREATE OR REPLACE {kind} {name} AS {m.sql}")
        except duckdb.CatalogException as exc:
            if not missing_ok:
                raise
            log.warning("model %s left out: %s", m.decl.name, str(exc).splitlines()[0])
            skipped.add(m.decl.name)
            if kept:
                store.drop_model(con, m.decl.name)
            con.execute(f"DROP VIEW IF EXISTS {name}")
            con.execute(f"DROP TABLE IF EXISTS {name}")
            continue
        actual = [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()]
        declared = [c.name for c in m.decl.columns]
        missing = [c for c in declared if c not in actual]
        if missing:
            raise ModelDeclarationError(f"{m.path}: columns: declared but not produced by the SQL: {', '.join(missing)}")
        undeclared = [c for c in actual if c not in declared]
        if undeclared:
            raise ModelDeclarationError(f"{m.path}: columns: produced by the SQL but not declared: {', '.join(undeclared)}")
        built.append(m.decl.name)
    return built


def _row_check(column: str | None, test) -> tuple[str, str, list] | None:
    """(label, condition true for a failing row, parameters) for a test judged row by row, else None."""
    if isinstance(test, ExpressionTest):
        return f"expression: {test.description}", f"NOT coalesce(({test.expression}), false)", []
    kind = test if isinstance(test, str) else next(k for k, v in test.model_dump().items() if v not in (None, False))
    c = _ident(column)
    if kind == "not_null":
        return f"{column}: not_null", f"{c} IS NULL", []
    if kind == "accepted_values":
        return (f"{column}: accepted_values", f"{c} IS NOT NULL AND NOT list_contains(?, {c})",
                [list(test.accepted_values.values)])
    if kind == "relationships":
        rel = test.relationships
        return (f"{column}: relationships → {rel.to}.{rel.field}",
                f"{c} IS NOT NULL AND NOT coalesce({c} IN (SELECT {_ident(rel.field)} FROM {_ident(rel.to)}), false)", [])
    return None


def test_sql(model: str, column: str | None, test) -> tuple[str, str, list]:
    """(label, SQL counting the failing rows, parameters) for one data test."""
    t = _ident(model)
    row = _row_check(column, test)
    if row:
        label, condition, params = row
        return label, f"SELECT count(*) FROM {t} WHERE {condition}", params
    c = _ident(column)
    kind = test if isinstance(test, str) else next(k for k, v in test.model_dump().items() if v not in (None, False))
    if kind == "unique":
        return (f"{column}: unique",
                f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {t} WHERE {c} IS NOT NULL "
                f"GROUP BY {c} HAVING count(*) > 1)", [])
    if kind == "relationships":
        rel = test.relationships
        return (f"{column}: relationships → {rel.to}.{rel.field}",
                f"SELECT count(*) FROM {t} x WHERE x.{c} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {_ident(rel.to)} r WHERE r.{_ident(rel.field)} = x.{c})", [])
    raise ModelDeclarationError(f"model {model}: column {column}: unknown test {test!r}")


def test_models(con: duckdb.DuckDBPyConnection, models: tuple[Model, ...] | None = None,
                only: list[str] | None = None, where: dict[str, str] | None = None) -> list[dict]:
    """Run every declared data test (of the models named in `only`, when given); returns the failures
    (empty list: all pass), in declaration order. The tests judged row by row (not_null, accepted_values,
    expression, relationships) share one scan of the model, and so does the check that a unique column has no
    value twice; only a column that has one runs its unique query, to count the failing rows.

    `where[name]`: an SQL condition on the model's rows (the months a partial build of a model kept per
    month rewrote, see month_filter): its tests judge those rows only; unique counts their values that
    occur more than once in the whole model (`_unique_within`: bounded by their smallest and largest value)."""
    where = where or {}
    models = load_models() if models is None else models
    failures = []
    present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                         "WHERE table_catalog = current_database()").fetchall()}
    for m in models:
        if m.decl.name not in present:  # left out by build_models: its tables do not exist yet
            continue
        if only is not None and m.decl.name not in only:
            continue
        checks = [(col.name, test) for col in m.decl.columns for test in col.tests]
        checks += [(None, test) for test in m.decl.tests]
        counts: dict[int, int] = {}
        rowwise = [(i, _row_check(column, test)) for i, (column, test) in enumerate(checks)]
        rowwise = [(i, r) for i, r in rowwise if r]
        # judged on some months: the unique tests' value ranges of those months come from the same scan
        bounded = [column for column, test in checks if m.decl.name in where and _is_unique(test)]
        # judged on every row: whether any value occurs twice (count - count DISTINCT, the same equality as the
        # GROUP BY of test_sql) comes from the same scan too; only a model with a duplicate runs test_sql's
        # GROUP BY to count the failing rows (one read of the model instead of one more per unique test, and
        # a distinct count is cheaper than the GROUP BY ... HAVING over millions of keys)
        whole = [(i, column) for i, (column, test) in enumerate(checks) if m.decl.name not in where and _is_unique(test)]
        ranges: dict[str, tuple] = {}
        surplus: dict[int, int] = {}
        if rowwise or bounded or whole:
            filters = [f"count(*) FILTER (WHERE {cond})" for _, (_, cond, _) in rowwise]
            filters += [f"min({_ident(c)}), max({_ident(c)})" for c in bounded]
            filters += [f"count({_ident(c)}) - count(DISTINCT {_ident(c)})" for _, c in whole]
            params = [p for _, (_, _, ps) in rowwise for p in ps]
            scope = f" WHERE {where[m.decl.name]}" if m.decl.name in where else ""
            found = con.execute(f"SELECT {', '.join(filters)} FROM {_ident(m.decl.name)}{scope}", params).fetchone()
            counts.update({i: n for (i, _), n in zip(rowwise, found)})
            rest = found[len(rowwise):len(rowwise) + 2 * len(bounded)]
            ranges = {c: (rest[2 * k], rest[2 * k + 1]) for k, c in enumerate(bounded)}
            surplus = {i: n for (i, _), n in zip(whole, found[len(rowwise) + 2 * len(bounded):])}
        for i, (column, test) in enumerate(checks):
            label, sql, params = test_sql(m.decl.name, column, test)
            if i not in counts and column in ranges:
                failing = _unique_within(con, m.decl.name, column, where[m.decl.name], ranges[column])
            elif i in surplus and not surplus[i]:
                failing = 0       # every non-null value once
            else:
                failing = counts[i] if i in counts else con.execute(sql, params).fetchone()[0]
            if failing:
                failures.append({"model": m.decl.name, "test": label, "failing_rows": int(failing)})
    return failures


def _is_unique(test) -> bool:
    return test == "unique" or (isinstance(test, ColumnTest) and bool(test.unique))


def _unique_within(con: duckdb.DuckDBPyConnection, model: str, column: str, where: str,
                   bounds: tuple | None = None) -> int:
    """The unique test judged on the rows matching `where` (the changed months): the rows of the whole model
    whose value occurs more than once and is one of those rows' values.

    Only values between the smallest and the largest of those rows' values can be one of them, so the scan
    of the whole model is bounded by that range, given as parameters: DuckDB pushes it into the Parquet scan
    of a model or fact table kept in the store and skips every file and row group whose min/max statistics
    lie outside it. Keys that grow with time (ledger line ids, incident numbers) then read the changed
    months' row groups only instead of the key column of the whole history (docs/benchmark.md, "Small
    deliveries at 100×, session 6"); the count is the same whatever the order of the values (a duplicate of
    a value in range is itself in range)."""
    t, c = _ident(model), _ident(column)
    # `bounds`: (min, max) of the column over the `where` rows, when the caller's scan already has them
    lo, hi = bounds if bounds is not None else con.execute(f"SELECT min({c}), max({c}) FROM {t} WHERE {where}").fetchone()
    if lo is None:  # no row (or no value) in the judged months: nothing to judge
        return 0
    return con.execute(
        f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {t} WHERE {c} BETWEEN $lo AND $hi AND {c} IN "
        f"(SELECT {c} FROM {t} WHERE {where}) GROUP BY {c} HAVING count(*) > 1)", {"lo": lo, "hi": hi}).fetchone()[0]


test_models.__test__ = False  # not a pytest test function
test_sql.__test__ = False
