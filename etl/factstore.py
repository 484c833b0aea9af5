"""The fact store: fact tables as immutable Parquet files beside the warehouse catalog (docs/storage.md).

A publish no longer copies the whole warehouse. The published `warehouse.duckdb` is the small
*catalog* (load log, quarantine, seeds and dimensions, calendar, marts, meta) and holds one VIEW
per fact table over that table's Parquet files in the store `warehouse.parquet/`:

    warehouse.parquet/
      current -> v000012                          (symlink, switched after the catalog)
      v000012/manifest.json                       (version, publish time, files and row counts)
      v000012/facts/source=<source>/period=YYYY-MM/part-<batch>-<n>.parquet
      v000012/models/model=<model>/period=YYYY-MM/part-<version>-<n>.parquet
                                                  (declared models kept per month, e.g. int_incidents)
      v000012/tables/<table>.parquet              (every catalog table: marts, dimensions, load log)

A fact table is a contract table whose period column is a month, date or timestamp (`is_fact`). Each
Parquet file holds rows of one batch (part-0-…: a table moved from an older warehouse) and one month
and is never written again. A version directory is
made of HARD LINKS to the unchanged files of the version before plus the files this publish wrote, so
publishing costs what changed, and a reader of an older catalog (the app pins one per page run) still
finds its files: the catalog's views name their version directory.

One publish (`pipeline.publish`, under its lock):
  `FactStore.begin` removes directories of versions never published (a crash), makes `v<N+1>` as
  hard links of the published version's facts and registers itself for the staging connection;
  `ensure` creates the views (and moves a native fact table of an older warehouse into Parquet);
  `write` (etl/load.py `_write`) replaces a batch's revision scope: period-scoped sources drop the
  files of the re-delivered months (rewriting a file only where the scope also names another column),
  key-scoped ones (incidents) rewrite only the files holding superseded keys; the new rows are
  written partitioned by month. `undo` reverses one batch's file changes when its catalog
  transaction fails. The measure build (metrics.build, given this store as its ModelStore) writes the
  declared models kept per month (`partition:` in metrics/models/*.yaml) with `write_model`: the months
  it recomputes replace those months' files (one file per month), the rest stay hard links, and the
  catalog holds a view over `models/model=<name>/period=*/*.parquet`. `finish` writes the catalog tables as Parquet and the manifest; after the
  catalog's os.replace, `commit` switches `current` and collects old versions; `abort` deletes the
  new version directory, so a failed publish leaves the catalog and the published Parquet as they were.

Without a registered store (a bare or in-memory connection, e.g. test fixtures) fact tables are
ordinary DuckDB tables, as before. Paths in SQL are built from settings and contract names only
(validated by pattern), never from file content.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from etl.contracts import Contract
from etl.rules import lit, q, scope_bounds, scope_expr

FACT_TYPES = ("month", "date", "timestamp")
PARTITION = "period"            # hive key of the month partition (contract columns never use this name)
MODELS = "models"               # the declared models kept per month: models/model=<name>/period=YYYY-MM/
MODEL_ROW_GROUP = 8192          # rows per row group of a model file, so that row-group statistics of the sorted
                                # (cluster_by) columns can skip part of a month's file (docs/benchmark.md)
VERSION_DIR = re.compile(r"^v(\d{6})$")
MODEL_NAME = re.compile(r"^[a-z][a-z0-9_]*$")   # a declared model's name (metrics/models.py NAME_PATTERN)
CURRENT = "current"
GENS = "gens"                   # the shared generations: gens/<facts|models>/<source=…|model=…>/g<version>/period=…
GEN_DIR = re.compile(r"^g(\d{6})$")
KINDS = ("facts", MODELS)
STATE_TABLE = "etl_publish_state"   # catalog key/value: the view bodies this store created (etl/schema.sql)
TRASH = ".trash"
NEW = ".new"
_ACTIVE: dict[int, "FactStore"] = {}


def is_fact(contract: Contract) -> bool:
    """Kept as Parquet in the store: a contract table with a month/date/timestamp period column."""
    return bool(contract.period_column) and contract.column(contract.period_column).type in FACT_TYPES


def store_for(con) -> "FactStore | None":
    """The store a publish registered for this connection, or None (fact tables are plain tables)."""
    return _ACTIVE.get(id(con))


def version_name(version: int) -> str:
    return f"v{version:06d}"


def gen_name(version: int) -> str:
    return f"g{version:06d}"


def versions(root: Path) -> list[int]:
    """Version numbers with a directory in the store, ascending."""
    if not root.is_dir():
        return []
    return sorted(int(m.group(1)) for p in root.iterdir() if (m := VERSION_DIR.match(p.name)) and p.is_dir())


def _link_tree(src: Path, dst: Path) -> int:
    """Hard-link every file under src into the same place under dst (copy across file systems)."""
    count = 0
    for folder, _dirs, files in os.walk(src):
        rel = Path(folder).relative_to(src)
        if rel.parts and rel.parts[0] in (TRASH, NEW):
            continue
        target = dst / rel
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            try:
                os.link(Path(folder) / name, target / name)
            except OSError:
                shutil.copy2(Path(folder) / name, target / name)
            count += 1
    return count


def object_kinds(con, names: list[str]) -> dict[str, str]:
    """name → 'BASE TABLE' | 'VIEW' for those of `names` in the connection's main schema (not TEMP). From
    duckdb_tables()/duckdb_views(): information_schema.tables filtered by name costs ~50 ms on a catalog."""
    return dict(con.execute(
        "SELECT table_name, 'BASE TABLE' FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND NOT temporary AND list_contains($names, table_name) UNION ALL "
        "SELECT view_name, 'VIEW' FROM duckdb_views() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND NOT temporary AND list_contains($names, view_name)",
        {"names": list(names)}).fetchall())


def _metas(con, keys: list[str]) -> dict[str, str]:
    """The values of `keys` in the catalog's warehouse_meta ({} without the table): one statement."""
    if not object_kinds(con, ["warehouse_meta"]):
        return {}
    return dict(con.execute("SELECT key, value FROM warehouse_meta WHERE list_contains(?, key)", [list(keys)]).fetchall())


@dataclass
class _Undo:
    created: list[Path] = field(default_factory=list)
    trashed: list[tuple[Path, Path]] = field(default_factory=list)   # (original, in trash)
    # the generation the write made for its source (kind, name, the link's previous target or None), when
    # the source was not yet owned in this publish: undone, the version shares the previous one again
    generation: tuple[str, str, str | None] | None = None


class StoreMissing(RuntimeError):
    """The catalog names a fact-store version whose directory is gone: nothing is published."""


class FactStore:
    """One publish's view of the store: the new version directory it writes (see the module doc)."""

    def __init__(self, root: Path, version: int, previous: Path | None):
        self.root = root
        self.version = version
        self.dir = root / version_name(version)
        self.previous = previous
        self._con_id: int | None = None
        self._serial = 0
        self._owned: set[tuple[str, str]] = set()
        self._previous_manifest: dict = {}
        self.views_created = 0     # fact-table views (re)created by this publish (the others were current)
        self.tables_written: list[str] = []   # catalog tables written as Parquet (the others: hard links)

    # ---- lifecycle -------------------------------------------------------------------------------------
    @classmethod
    def begin(cls, con, root: Path) -> "FactStore":
        """Start a new version for the staging catalog `con` (a copy of the published one): `v<N+1>` names
        the published version's generation of every source and model (a symlink each); nothing is linked or
        copied until a source is written (`_own`). A previous version of the older layout (real directories)
        or in another store (a moved catalog) is adopted: its files are hard-linked into new generations."""
        root = Path(root).resolve()
        root.mkdir(parents=True, exist_ok=True)
        meta = _metas(con, ["store_version", "store_path"])
        published = int(meta.get("store_version") or 0)
        previous = meta.get("store_path")
        for v in versions(root):       # directories of versions that were never published (a crash)
            if v > published:
                shutil.rmtree(root / version_name(v), ignore_errors=True)
        _remove_generations(root, lambda g: g > published)   # and the generations they owned
        if previous and not (Path(previous) / "facts").is_dir():
            raise StoreMissing(f"the warehouse catalog's facts are in {previous}, which is missing; restore that "
                               "directory (or load every source again into a new warehouse); nothing was published")
        store = cls(root, published + 1, Path(previous) if previous else None)
        shutil.rmtree(store.dir, ignore_errors=True)
        (store.dir / "facts").mkdir(parents=True)
        (store.dir / MODELS).mkdir()
        store._previous_manifest = _read_manifest(store.previous)
        if store.previous is not None:
            gens = (root / GENS).resolve() if (root / GENS).exists() else root / GENS
            for kind in KINDS:
                if not (store.previous / kind).is_dir():
                    continue
                for entry in sorted(os.scandir(store.previous / kind), key=lambda e: e.name):
                    if entry.name.startswith("."):
                        continue
                    target = Path(os.path.realpath(entry.path))
                    if not target.is_dir():
                        raise StoreMissing(f"{entry.path} names {target}, which is missing; restore it (or load every "
                                           "source again into a new warehouse); nothing was published")
                    if entry.is_symlink() and target.parent.parent.parent == gens:
                        store._set_link(kind, entry.name, target)      # shared: nothing copied
                    else:
                        store._own(kind, entry.name, link_from=target)  # older layout / other store: adopt
        store._con_id = id(con)
        _ACTIVE[id(con)] = store
        return store

    # ---- generations ---------------------------------------------------------------------------------
    def _gen(self, kind: str, name: str) -> Path:
        """The generation directory this publish writes for one source (`source=…`) or model (`model=…`)."""
        return self.root / GENS / kind / name / gen_name(self.version)

    def _physical(self, kind: str, name: str) -> Path:
        """Where this version's files of a source/model are: the generation its link names (shared with
        earlier versions until `_own`), or the generation it would own (not there yet)."""
        if (kind, name) in self._owned:
            return self._gen(kind, name)
        link = self.dir / kind / name
        if link.is_symlink():
            return Path(os.path.realpath(link))
        return self._gen(kind, name)

    def _set_link(self, kind: str, name: str, target: Path) -> None:
        link = self.dir / kind / name
        _replace_link(link, os.path.relpath(target, link.parent))

    def _own(self, kind: str, name: str, link_from: Path | None = None, copy: bool = True) -> Path:
        """Before the first change of a source/model in this publish: a new generation for it, made of hard
        links of the files of the one it shared (`copy=False`: empty, the caller writes everything), and the
        version's link switched to it. The shared generation is never written."""
        gen = self._gen(kind, name)
        if (kind, name) in self._owned:
            return gen
        if link_from is None:
            link = self.dir / kind / name
            link_from = Path(os.path.realpath(link)) if link.is_symlink() else None
        shutil.rmtree(gen, ignore_errors=True)
        gen.mkdir(parents=True)
        if copy and link_from is not None and link_from.is_dir():
            _link_tree(link_from, gen)
        self._set_link(kind, name, gen)
        self._owned.add((kind, name))
        return gen

    def owned(self) -> set[tuple[str, str]]:
        """(kind, name) of the sources/models this publish gave a new generation."""
        return set(self._owned)

    def release(self) -> None:
        if self._con_id is not None:
            _ACTIVE.pop(self._con_id, None)
            self._con_id = None

    def abort(self) -> None:
        """Forget everything this publish wrote; the published version is untouched."""
        self.release()
        shutil.rmtree(self.dir, ignore_errors=True)
        _remove_generations(self.root, lambda g: g == self.version)

    def finish(self, con, published_at: str, skip: frozenset[str] = frozenset()) -> None:
        """Before the catalog is closed: empty the trash, write the catalog tables as Parquet (but `skip`:
        the declared models materialized as tables, derived from the facts), record the version in
        warehouse_meta and write the manifest. A table whose content fingerprint (columns and types, row
        count, sum of row hashes) equals the previous version's is a hard link of that version's file, not
        written again; the file lists of the sources and models this publish did not change come from the
        previous manifest (no directory walk)."""
        shutil.rmtree(self.dir / TRASH, ignore_errors=True)
        shutil.rmtree(self.dir / NEW, ignore_errors=True)
        con.execute("INSERT OR REPLACE INTO warehouse_meta VALUES ('store_version', ?), ('store_path', ?)",
                    [str(self.version), str(self.dir)])
        tables_dir = self.dir / "tables"
        tables_dir.mkdir(exist_ok=True)
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary "
            "AND schema_name = 'main' ORDER BY table_name").fetchall() if t not in skip]
        before = self._previous_manifest.get("table_fingerprints", {}) if self.previous is not None else {}
        fingerprints = table_fingerprints(con, tables)   # two statements for every table (was two per table)
        self.tables_written = []
        for table in tables:
            fp = fingerprints[table]
            target = tables_dir / (table + ".parquet")
            old = self.previous / "tables" / (table + ".parquet") if self.previous is not None else None
            if before.get(table) == fp and old is not None and old.is_file():
                try:
                    os.link(old, target)
                    continue
                except OSError:
                    pass
            con.execute(f"COPY (SELECT * FROM {q(table)}) TO {lit(str(target))} (FORMAT parquet)")
            self.tables_written.append(table)
        entries = {}
        files: dict[str, dict[str, int]] = {kind: {} for kind in KINDS}
        # the previous manifest's files by entry ("facts/source=x/period=…/f" → "facts/source=x"): one pass over
        # the list instead of one per entry (~1 000 files × 13 entries at 1x)
        previous_files: dict[str, dict[str, int]] = {}
        for kind in KINDS:
            for k, v in self._previous_manifest.get(kind if kind == "facts" else "models", {}).items():
                previous_files.setdefault("/".join(k.split("/", 2)[:2]), {})[k] = v
        for kind in KINDS:
            for entry in sorted(os.scandir(self.dir / kind), key=lambda e: e.name):
                if not entry.is_symlink():
                    continue
                key = f"{kind}/{entry.name}"
                gen = Path(os.path.realpath(entry.path))
                rel = os.path.relpath(gen, self.root)
                prev = self._previous_manifest.get("entries", {}).get(key)
                if (kind, entry.name) not in self._owned and prev is not None and prev.get("dir") == rel:
                    listed = previous_files.get(key, {})
                    months = prev["months"]
                else:
                    listed, months = {}, set()
                    for path in sorted(gen.rglob("*.parquet")):
                        listed[f"{key}/{path.relative_to(gen)}"] = path.stat().st_size
                        months.add(path.parent.name.removeprefix(f"{PARTITION}="))
                    months = sorted(months)
                files[kind].update(listed)
                entries[key] = {"dir": rel, "months": months}
        self._entries = entries
        manifest = {"version": self.version, "published_at": published_at,
                    "facts": dict(sorted(files["facts"].items())), "models": dict(sorted(files[MODELS].items())),
                    "entries": entries, "tables": [f"tables/{t}.parquet" for t in tables],
                    "table_fingerprints": fingerprints}
        (self.dir / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")

    def commit(self, keep_versions: int, keep_seconds: float) -> None:
        """After the catalog was published: point `current` at this version, collect old versions."""
        self.release()
        link = self.root / CURRENT
        tmp = self.root / f".{CURRENT}.{os.getpid()}"
        tmp.unlink(missing_ok=True)
        os.symlink(self.dir.name, tmp)
        os.replace(tmp, link)
        collect(self.root, self.version, keep_versions, keep_seconds)

    # ---- views -------------------------------------------------------------------------------------------
    def source_dir(self, contract: Contract) -> Path:
        """The directory of this version's files of the source (its generation, see `_physical`)."""
        return self._physical("facts", f"source={contract.source}")

    def files(self, contract: Contract, periods: list[str] | None = None) -> list[Path]:
        base = self.source_dir(contract)
        if periods is None:
            return sorted(base.glob(f"{PARTITION}=*/*.parquet"))
        return sorted(p for period in periods for p in (base / f"{PARTITION}={period}").glob("*.parquet"))

    def ensure_all(self, con, contracts: list[Contract]) -> None:
        """`ensure` for every fact contract, with the catalog's object kinds and recorded view bodies read once."""
        names = [c.table for c in contracts]
        kinds = object_kinds(con, names)
        recorded = publish_state(con, [f"view:{n}" for n in names])
        for contract in contracts:
            self.ensure(con, contract, kinds.get(contract.table, ""), recorded.get(f"view:{contract.table}"))

    def ensure(self, con, contract: Contract, kind: str | None = None, recorded: str | None = None) -> None:
        """The fact table as a view over this version's files; a native table (an older warehouse, or a
        new catalog's empty table) is moved into Parquet first. The view is left as it is when it already
        reads the same files (its body recorded in etl_publish_state by the publish that created it).
        `kind` and `recorded` (the table's type and recorded body) when the caller read them already."""
        if kind is None:
            kind = object_kinds(con, [contract.table]).get(contract.table, "")
            recorded = publish_state(con, [f"view:{contract.table}"]).get(f"view:{contract.table}")
        if kind == "BASE TABLE":
            self._own("facts", f"source={contract.source}")
            for path in self.files(contract):  # the native table is the truth of an older catalog
                path.unlink()
            if con.execute(f"SELECT count(*) > 0 FROM {contract.table}").fetchall()[0][0]:
                self._write_rows(con, contract, f"SELECT * FROM {contract.table}", "0", "ORDER BY _batch_id, _source_row")
            con.execute(f"DROP TABLE {contract.table}")
            kind = ""
        owned = ("facts", f"source={contract.source}") in self._owned   # adopted or moved: its files are new
        self.refresh_view(con, contract, recorded=recorded if kind == "VIEW" and not owned else None)

    def refresh_view(self, con, contract: Contract, recorded: str | None = None) -> None:
        """(Re)create the fact table's view over this version's files — unless `recorded` (the body of the
        catalog's view, from etl_publish_state) is the same: it names the same generation directory, whose
        files never change, so an unchanged source costs no CREATE VIEW (which reads a file's footer)."""
        cols = [(c.name, c.duckdb_type) for c in contract.columns] + [("_batch_id", "BIGINT"), ("_source_row", "BIGINT")]
        base = self.source_dir(contract)
        if next(base.glob(f"{PARTITION}=*/*.parquet"), None) is not None:
            pattern = str(base / f"{PARTITION}=*" / "*.parquet")
            select = ", ".join(f"CAST({q(n)} AS {t}) AS {q(n)}" for n, t in cols)
            body = f"SELECT {select} FROM read_parquet({lit(pattern)}, hive_partitioning = false)"
        else:
            select = ", ".join(f"CAST(NULL AS {t}) AS {q(n)}" for n, t in cols)
            body = f"SELECT {select} WHERE false"
        # recorded relative to the store (the same warehouse in another directory records the same state);
        # a source whose generation is shared was in this store's previous version, named by this catalog
        portable = body.replace(lit(str(self.root) + os.sep)[:-1], "'<store>/")
        if recorded is not None and recorded == portable:
            return
        con.execute(f"CREATE OR REPLACE VIEW {contract.table} AS {body}")
        set_publish_state(con, f"view:{contract.table}", portable)
        self.views_created += 1

    def month_range(self) -> tuple[str, str] | None:
        """Earliest and latest month with a file in any fact source (from the partition names, no data read;
        for a source this publish did not change, from the previous manifest)."""
        months: set[str] = set()
        prev = self._previous_manifest.get("entries", {})
        for entry in os.scandir(self.dir / "facts"):
            if not entry.is_symlink():
                continue
            gen = os.path.relpath(os.path.realpath(entry.path), self.root)
            key = f"facts/{entry.name}"
            if ("facts", entry.name) not in self._owned and prev.get(key, {}).get("dir") == gen:
                months.update(prev[key]["months"])
                continue
            months.update(d.name.removeprefix(f"{PARTITION}=") for d in Path(entry.path).glob(f"{PARTITION}=*")
                          if next(d.glob("*.parquet"), None) is not None)
        months.discard("none")
        months = sorted(months)
        return (months[0] + "-01", months[-1] + "-01") if months else None

    # ---- declared models kept per month (metrics.models.ModelStore) ------------------------------------
    def model_dir(self, name: str) -> Path:
        """The directory of this version's files of the model (its generation)."""
        if not MODEL_NAME.match(name):
            raise ValueError(f"not a model name: {name!r}")
        return self._physical(MODELS, f"model={name}")

    def has_model(self, con, name: str) -> bool:
        """The model has its directory in this version and the catalog's object of its name is a view."""
        return self.model_dir(name).is_dir() and object_kinds(con, [name]).get(name) == "VIEW"

    def write_model(self, con, name: str, select: str, column: str, months: list[str] | None,
                    cluster_by: list[str] = ()) -> list[str]:
        """Replace the model's months (`months`, 'YYYY-MM'; None: every month) by the rows of `select`, one new
        file per month (rows sorted by `cluster_by`, row groups of MODEL_ROW_GROUP rows, so that a read filtered
        by those columns skips most of a file), and point the view at this version's files. The removed files are links of this
        version only (the published version keeps its own). Returns the months whose files were written or
        removed, sorted."""
        types = con.execute(f"DESCRIBE SELECT * FROM ({select})").fetchall()   # binds the SQL before a file is touched
        if months is None:   # everything is rewritten: a new, empty generation (nothing linked)
            touched = {p.parent.name.removeprefix(f"{PARTITION}=")
                       for p in self.model_dir(name).glob(f"{PARTITION}=*/*.parquet")}
            base = self._own(MODELS, f"model={name}", copy=False)
            old = sorted(base.glob(f"{PARTITION}=*/*.parquet"))   # owned already (written before in this publish)
            touched |= {p.parent.name.removeprefix(f"{PARTITION}=") for p in old}
        else:
            base = self._own(MODELS, f"model={name}")
            old = sorted(p for m in months for p in (base / f"{PARTITION}={m}").glob("*.parquet"))
            touched = {p.parent.name.removeprefix(f"{PARTITION}=") for p in old}
        for path in old:
            path.unlink()
        self._serial += 1
        tag = f"{self.version}-{self._serial}"
        staging = self.dir / NEW / f"model-{name}-{tag}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.parent.mkdir(parents=True, exist_ok=True)
        order = f"ORDER BY {', '.join(q(c) for c in cluster_by)}" if cluster_by else ""
        con.execute(f"""COPY (SELECT *, coalesce(strftime({q(column)}, '%Y-%m'), 'none') AS {PARTITION} FROM ({select})
                              {order})
                        TO {lit(str(staging))} (FORMAT parquet, PARTITION_BY ({PARTITION}), ROW_GROUP_SIZE {MODEL_ROW_GROUP},
                                                FILENAME_PATTERN {lit(f'part-{tag}-{{i}}')})""")
        if staging.is_dir():
            for path in sorted(staging.rglob("*.parquet")):
                target = base / path.parent.name / path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
                touched.add(path.parent.name.removeprefix(f"{PARTITION}="))
            shutil.rmtree(staging, ignore_errors=True)
        for folder in base.glob(f"{PARTITION}=*"):
            if folder.is_dir() and next(folder.iterdir(), None) is None:
                folder.rmdir()
        self._model_view(con, name, [(n, t) for n, t, *_ in types])
        return sorted(touched)

    def _model_view(self, con, name: str, cols: list[tuple[str, str]]) -> None:
        base = self.model_dir(name)
        if next(base.glob(f"{PARTITION}=*/*.parquet"), None) is not None:
            select = ", ".join(f"CAST({q(n)} AS {t}) AS {q(n)}" for n, t in cols)
            body = (f"SELECT {select} FROM read_parquet({lit(str(base / f'{PARTITION}=*' / '*.parquet'))}, "
                    "hive_partitioning = false)")
        else:
            select = ", ".join(f"CAST(NULL AS {t}) AS {q(n)}" for n, t in cols)
            body = f"SELECT {select} WHERE false"
        con.execute(f"CREATE OR REPLACE VIEW {q(name)} AS {body}")

    def drop_model(self, con, name: str) -> None:
        """Remove the model's files from this version (the caller drops the catalog object): its link, and
        its generation when this publish created it (a shared one belongs to the versions that name it)."""
        self.model_dir(name)   # validates the name
        entry = f"model={name}"
        if (MODELS, entry) in self._owned:
            shutil.rmtree(self._gen(MODELS, entry), ignore_errors=True)
            self._owned.discard((MODELS, entry))
        (self.dir / MODELS / entry).unlink(missing_ok=True)

    # ---- one batch -----------------------------------------------------------------------------------
    def write(self, con, contract: Contract, batch_id: int, keep: str) -> tuple[int, _Undo]:
        """Replace the batch's revision scope and add its accepted rows (TEMP table `typed`, filtered by
        the SQL condition `keep`) as new files. Returns the number of rows replaced and the undo record."""
        undo = _Undo()
        name = f"source={contract.source}"
        if ("facts", name) not in self._owned:
            link = self.dir / "facts" / name
            undo.generation = ("facts", name, os.readlink(link) if link.is_symlink() else None)
        self._own("facts", name)
        try:
            replaced = self._delete_scope(con, contract, batch_id, keep, undo)
            undo.created += self._write_rows(
                con, contract, f"SELECT {', '.join(q(c) for c in contract.column_names)}, {batch_id} AS _batch_id, "
                               f"_source_row FROM typed WHERE {keep}", str(batch_id), "ORDER BY _source_row")
        except BaseException:
            self.undo(undo)
            raise
        finally:
            con.execute("DROP TABLE IF EXISTS _scope")
        self.refresh_view(con, contract)
        return replaced, undo

    def undo(self, undo: _Undo, con=None, contract: Contract | None = None) -> None:
        for path in undo.created:
            path.unlink(missing_ok=True)
        for original, trashed in undo.trashed:
            os.replace(trashed, original)
        if undo.generation is not None:   # the version links the generation it shared before the write
            kind, name, previous = undo.generation
            link = self.dir / kind / name
            if previous is None:
                link.unlink(missing_ok=True)
            else:
                _replace_link(link, previous)
            shutil.rmtree(self._gen(kind, name), ignore_errors=True)
            self._owned.discard((kind, name))
            undo.generation = None
        if con is not None and contract is not None:
            self.refresh_view(con, contract)

    def _trash(self, path: Path, undo: _Undo) -> None:
        self._serial += 1
        target = self.dir / TRASH / f"{self._serial}-{path.name}"
        target.parent.mkdir(exist_ok=True)
        os.replace(path, target)
        undo.trashed.append((path, target))

    def _delete_scope(self, con, contract: Contract, batch_id: int, keep: str, undo: _Undo) -> int:
        names = list(contract.scope)
        inner = ", ".join(f"{scope_expr(contract, n)} AS s{i}" for i, n in enumerate(names))
        match = " AND ".join(f"{scope_expr(contract, n, 't')} = s.s{i}" for i, n in enumerate(names))
        period = q(contract.period_column)
        by_month = any(self._is_month_scope(contract, n) for n in names)
        if by_month:   # the batch's months bound the files that can hold rows of its scope
            months = _month_labels(con, f"SELECT {period} FROM typed WHERE {keep} AND {period} IS NOT NULL", period)
            candidates = self.files(contract, months)
        else:
            candidates = self.files(contract)
        if not candidates:   # e.g. a source's first load: no file can hold rows of the scope
            return 0
        only_month = all(self._is_month_scope(contract, n) for n in names)
        if only_month:  # period scope: each candidate file lies wholly inside a re-delivered month
            counts = [(str(p), None, None) for p in candidates]
        else:
            con.execute(f"CREATE OR REPLACE TEMP TABLE _scope AS SELECT DISTINCT {inner} FROM typed WHERE {keep}")
            listed = "[" + ", ".join(lit(str(p)) for p in candidates) + "]"
            # bounded by the batch's scope values (etl.rules.scope_bounds): only the files and row groups whose
            # statistics can hold them are read; a file's row count comes from its footer below
            bound, params = scope_bounds(con, contract, f"SELECT * FROM typed WHERE {keep}", "t")
            counts = con.execute(f"""
                SELECT t.filename, count(*) AS hit, NULL AS n
                FROM read_parquet({listed}, filename = true, hive_partitioning = false) t
                JOIN _scope s ON {match}
                WHERE {bound}
                GROUP BY t.filename ORDER BY t.filename""", params or None).fetchall()
        replaced = 0
        for name, hit, total in counts:
            path = Path(name)
            if total is None:
                total = con.execute(f"SELECT count(*) FROM read_parquet({lit(name)})").fetchall()[0][0]
            if hit is None:
                hit = total
            replaced += hit
            if hit < total:
                self._serial += 1
                stem = path.stem.split("-r")[0]
                rewritten = path.with_name(f"{stem}-r{batch_id}-{self._serial}.parquet")
                con.execute(f"""COPY (SELECT * FROM read_parquet({lit(name)}, hive_partitioning = false) t
                                      WHERE NOT EXISTS (SELECT 1 FROM _scope s WHERE {match})
                                      ORDER BY _source_row)
                                TO {lit(str(rewritten))} (FORMAT parquet)""")
                undo.created.append(rewritten)
            self._trash(path, undo)
        return replaced

    @staticmethod
    def _is_month_scope(contract: Contract, name: str) -> bool:
        """The scope column is the month of the period column (the month partition)."""
        if name == "month" and "month" not in contract.column_names:
            return True
        return name == contract.period_column and contract.column(name).type == "month"

    def _write_rows(self, con, contract: Contract, select: str, tag: str, order: str) -> list[Path]:
        """Write rows (the contract's columns, _batch_id, _source_row) partitioned by month; returns the files."""
        cols = [c.name for c in contract.columns] + ["_batch_id", "_source_row"]
        types = [c.duckdb_type for c in contract.columns] + ["BIGINT", "BIGINT"]
        typed = ", ".join(f"CAST({q(n)} AS {t}) AS {q(n)}" for n, t in zip(cols, types))
        staging = self.dir / NEW / f"{tag}-{self._serial + 1}"
        self._serial += 1
        period = q(contract.period_column)
        copy = f"""COPY (SELECT {typed}, coalesce(strftime({period}, '%Y-%m'), 'none') AS {PARTITION}
                          FROM ({select}) {order})
                    TO <target> (FORMAT parquet, PARTITION_BY ({PARTITION}),
                                 FILENAME_PATTERN {lit(f'part-{tag}-{self._serial}-{{i}}')}<options>)"""
        # Straight into the month directories: the names are new (batch ids never repeat, the serial is
        # this publish's), so no file is overwritten — an existing name would be a hard link shared with the
        # published version, hence the check. A write that fails removes what it wrote. Saves a staging
        # directory, a rename and a rmdir per month written (~0.1-0.3 s for 84 months on this disk).
        base, prefix = self._own("facts", f"source={contract.source}"), f"part-{tag}-{self._serial}-"
        if not _files_named(base, prefix):
            try:
                months = _months_to_write(con, select, period)
                if months is None:
                    con.execute(copy.replace("<target>", lit(str(base))).replace("<options>", ", OVERWRITE_OR_IGNORE"))
                else:
                    self._write_months(con, base, f"{prefix}0.parquet", typed, select, period, order, months)
            except BaseException:
                for path in _files_named(base, prefix):
                    path.unlink(missing_ok=True)
                raise
            return _files_named(base, prefix)
        shutil.rmtree(staging, ignore_errors=True)
        staging.parent.mkdir(parents=True, exist_ok=True)
        con.execute(copy.replace("<target>", lit(str(staging))).replace("<options>", ""))
        created = []
        if staging.is_dir():
            for path in sorted(staging.rglob("*.parquet")):
                target = self.source_dir(contract) / path.parent.name / path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
                created.append(target)
            shutil.rmtree(staging, ignore_errors=True)
        return created


    @staticmethod
    def _write_months(con, base: Path, name: str, typed: str, select: str, period: str, order: str,
                      months: list[tuple[str, date | None, date | None]]) -> None:
        """One COPY per month into `base/period=<month>/<name>`: the same files as the partitioned COPY
        (one per month, the same columns, rows in `order`), for about half its CPU — DuckDB's PARTITION_BY
        writer costs ~2 CPU s more than plain writes of the same 5.3 M rows (docs/benchmark.md, "Survey
        answers and it_costs at 10×, session 8"). The month's rows are picked by a range on the period
        column (bounds are parameters), which DuckDB pushes into the scan of `typed`."""
        made = []
        try:
            for label, lo, hi in months:
                target = base / f"{PARTITION}={label}"
                if not target.is_dir():
                    target.mkdir()
                    made.append(target)
                where, params = (f"{period} IS NULL", None) if lo is None else \
                    (f"{period} >= $lo AND {period} < $hi", {"lo": lo, "hi": hi})
                con.execute(f"COPY (SELECT {typed} FROM ({select}) WHERE {where} {order}) "
                            f"TO {lit(str(target / name))} (FORMAT parquet)", params)
        except BaseException:   # the caller removes the files written; the month directories made go too
            for target in made:
                (target / name).unlink(missing_ok=True)
                try:
                    target.rmdir()
                except OSError:
                    pass
            raise


def _month_labels(con, rows: str, period: str) -> list[str]:
    """The distinct 'YYYY-MM' labels (DuckDB's strftime) of the period column of `rows`: from the distinct
    (year, month) pairs, a third of the CPU of a strftime per row (~0.18 CPU s less for 5.3 M survey answers);
    per row where a period lies outside the years 1-9999 or is infinite, which only strftime spells."""
    pairs = con.execute(f"SELECT DISTINCT year({period}), month({period}), {period} IS NULL FROM ({rows})").fetchall()
    if all(missing or (y is not None and 1 <= y <= 9999) for y, _, missing in pairs):
        return [f"{y:04d}-{m:02d}" for y, m, missing in pairs if not missing]
    return [m for (m,) in con.execute(f"SELECT DISTINCT strftime({period}, '%Y-%m') FROM ({rows})").fetchall()]


WRITE_PER_MONTH_ROWS = 200_000  # at or above this many rows a batch's months are written one COPY each


def _months_to_write(con, select: str, period: str) -> list[tuple[str, date | None, date | None]] | None:
    """The months of the rows of `select` as (partition label, first day, first day of the next month), a
    missing period as ('none', None, None); None when the partitioned COPY should write them instead: a
    small batch (below WRITE_PER_MONTH_ROWS rows the per-statement cost outweighs the saving), or a period
    outside the years 1-9998 or infinite, whose label only DuckDB's strftime spells (docs/storage.md)."""
    found = con.execute(f"""SELECT year({period}) AS y, month({period}) AS m, {period} IS NULL AS missing, count(*)
                            FROM ({select}) GROUP BY ALL ORDER BY ALL""").fetchall()
    if sum(n for *_, n in found) < WRITE_PER_MONTH_ROWS:
        return None
    months = []
    for y, m, missing, _ in found:
        if missing:
            months.append(("none", None, None))
        elif y is None or not 1 <= y <= 9998:
            return None
        else:
            months.append((f"{y:04d}-{m:02d}", date(y, m, 1), date(y + m // 12, m % 12 + 1, 1)))
    return months


def _files_named(base: Path, prefix: str) -> list[Path]:
    """The Parquet files in base's month directories whose names start with `prefix`, sorted."""
    found = []
    try:
        months = [e.path for e in os.scandir(base) if e.name.startswith(f"{PARTITION}=") and e.is_dir()]
    except FileNotFoundError:
        return found
    for month in months:
        found += [Path(e.path) for e in os.scandir(month) if e.name.startswith(prefix) and e.name.endswith(".parquet")]
    return sorted(found)


def collect(root: Path, current: int, keep_versions: int, keep_seconds: float) -> list[int]:
    """Delete old version directories: keep the newest `keep_versions` up to `current` and every version
    superseded less than `keep_seconds` ago (a reader may still have it pinned), then every generation no
    kept version names. Returns the versions deleted."""
    have = [v for v in versions(root) if v <= current]
    keep = set(have[-keep_versions:])
    now = time.time()
    deleted = []
    for i, v in enumerate(have):
        if v in keep:
            continue
        successor = root / version_name(have[i + 1]) / "manifest.json" if i + 1 < len(have) else None
        try:
            superseded = successor.stat().st_mtime if successor else now
        except FileNotFoundError:
            superseded = now
        if now - superseded >= keep_seconds:
            shutil.rmtree(root / version_name(v), ignore_errors=True)
            deleted.append(v)
    if deleted:
        named = set()
        for v in versions(root):
            for kind in KINDS:
                folder = root / version_name(v) / kind
                if folder.is_dir():
                    named.update(os.path.realpath(e.path) for e in os.scandir(folder) if e.is_symlink())
        _remove_generations(root, lambda g: g <= current, keep=named)
    return deleted


def generations(root: Path) -> list[Path]:
    """Every generation directory of the store (gens/<kind>/<entry>/g<version>)."""
    base = Path(root) / GENS
    if not base.is_dir():
        return []
    return sorted(g for g in base.glob("*/*/g*") if GEN_DIR.match(g.name) and g.is_dir())


def _remove_generations(root: Path, which, keep: set[str] = frozenset()) -> None:
    """Delete the generations whose version number satisfies `which` and whose real path is not in `keep`."""
    for g in generations(root):
        if which(int(g.name[1:])) and os.path.realpath(g) not in keep:
            shutil.rmtree(g, ignore_errors=True)
            try:
                g.parent.rmdir()          # the source's directory once its last generation is gone
            except OSError:
                pass


def _read_manifest(version_dir: Path | None) -> dict:
    if version_dir is None:
        return {}
    try:
        return json.loads((Path(version_dir) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def table_columns(con, tables: list[str], database: str | None = None) -> dict[str, list[tuple[str, str]]]:
    """[(column, type as DESCRIBE shows it)] of each of `tables` (which must exist), in one statement:
    pragma_table_info per table in one UNION ALL. duckdb_columns() is avoided on purpose: its first call on a
    fresh connection costs ~7-9 ms on a catalog with the fact views, pragma_table_info ~3 ms for all tables.
    `database`: resolve `<database>.main.<table>` (else the name as a query would, TEMP first)."""
    tables = list(dict.fromkeys(tables))
    if not tables:
        return {}
    def name(table: str) -> str:
        return f"{q(database)}.main.{q(table)}" if database else q(table)
    rows = con.execute(" UNION ALL ".join(
        f"SELECT {i} AS i, cid, name, type FROM pragma_table_info({lit(name(table))})"
        for i, table in enumerate(tables))).fetchall()
    out: dict[str, list[tuple[str, str]]] = {t: [] for t in tables}
    for i, _cid, column, kind in sorted(rows, key=lambda r: (r[0], r[1])):
        out[tables[i]].append((column, kind))
    return out


def table_fingerprints(con, tables: list[str]) -> dict[str, str]:
    """Per table: its columns and types, row count and the sum of its rows' hashes (equal for the same rows in any
    order), in two statements (the columns and types of all, the counts and hash sums in one UNION ALL) instead
    of two per table: each statement costs ~0.5-1 ms here, and a publish fingerprints ~25 catalog tables. The
    same strings as DESCRIBE + count + hash sum per table (tests/etl/test_publish_fixed_cost.py)."""
    tables = list(dict.fromkeys(tables))
    if not tables:
        return {}
    cols = table_columns(con, tables)
    sums = con.execute(" UNION ALL ".join(
        f"SELECT {i} AS i, count(*) AS n, sum(hash(t)::HUGEINT) AS h FROM {q(table)} t"
        for i, table in enumerate(tables))).fetchall()
    return {tables[i]: json.dumps([[c, t] for c, t in cols[tables[i]]]) + f"|{n}|{h}" for i, n, h in sums}


def publish_state(con, keys: list[str]) -> dict[str, str]:
    """The values recorded under `keys` in the catalog's etl_publish_state, in one statement ({} for a
    connection without the table, e.g. an older catalog or a bare connection)."""
    try:
        return dict(con.execute(f"SELECT key, value FROM {STATE_TABLE} WHERE list_contains(?, key)",
                                [list(keys)]).fetchall())
    except duckdb.CatalogException:
        return {}


def _replace_link(link: Path, text: str) -> None:
    """Point the symlink `link` at `text` atomically (a new link renamed over the old one)."""
    tmp = link.with_name(f".{link.name}.link")
    tmp.unlink(missing_ok=True)
    os.symlink(text, tmp)
    os.replace(tmp, link)


def set_publish_state(con, key: str, value: str) -> None:
    con.execute(f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)")
    con.execute(f"INSERT OR REPLACE INTO {STATE_TABLE} VALUES (?, ?)", [key, value])


def published_at_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
