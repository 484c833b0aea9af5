"""Seeds: reference data the product owns rather than receives (the five portfolios, the five perspectives,
…), one place for all of them: `seeds/<name>.csv` beside its contract `seeds/<name>.yaml` (the same format
as etl/contracts/; directory from settings.seed_dir()).

They are loaded with the same validation as a source delivery — read by the CSV reader, typed and checked by
the contract's row rules (etl/rules.py) — but a seed is ours, so any broken row is an error that stops the
load (naming file, row, column and reason), never a quarantined row. Every publish replaces the seed tables
with the files' content, so editing a seed file and publishing is how reference data changes. A seed whose
files (contract and CSV, by SHA-256 of their bytes) are those of its last validation, recorded in the
catalog's etl_publish_state, is neither read nor validated again (`VALIDATED` counts the validations).
"""
from __future__ import annotations

import hashlib
import logging
from collections import Counter
from functools import lru_cache
from pathlib import Path

import yaml

import settings
from etl.contracts import YAML_LOADER, Contract, parse_contract
from etl.readers import read_csv
from etl.rules import create_typed, create_violations, lit, q


log = logging.getLogger(__name__)
VALIDATED: Counter = Counter()   # seed table → how many times this process read and validated its file


class SeedError(ValueError):
    """A seed file breaks its contract; the message names the file, row, column and reason."""


@lru_cache(maxsize=4)
def seed_contracts(directory: Path | None = None) -> tuple[tuple[Contract, Path], ...]:
    """(contract, CSV path) for every seed, by name."""
    directory = Path(directory or settings.seed_dir())
    out = []
    for path in sorted(directory.glob("*.yaml")):
        contract = parse_contract(yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER), path)
        csv_path = path.with_suffix(".csv")
        if not csv_path.exists():
            raise SeedError(f"{path}: no seed file {csv_path.name} beside it")
        out.append((contract, csv_path))
    return tuple(out)


def _same_rows(con, contract: Contract, cols: str) -> bool:
    """Whether the seed table already holds exactly the typed rows (same columns, rows and row numbers)."""
    try:
        existing = [r[0] for r in con.execute(f"DESCRIBE {q(contract.table)}").fetchall()]
    except Exception:  # noqa: BLE001 - no such table yet
        return False
    if existing != contract.column_names + ["_batch_id", "_source_row"]:
        return False
    differ = con.execute(f"""SELECT count(*) FROM (
        (SELECT {cols}, _source_row FROM typed EXCEPT ALL SELECT {cols}, _source_row FROM {q(contract.table)})
        UNION ALL
        (SELECT {cols}, _source_row FROM {q(contract.table)} EXCEPT ALL SELECT {cols}, _source_row FROM typed))""").fetchone()[0]
    return differ == 0


def _digest(contract: Contract, csv_path: Path) -> str:
    """SHA-256 of the seed's contract and CSV bytes."""
    h = hashlib.sha256()
    for path in (csv_path.with_suffix(".yaml"), csv_path):
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _current_seeds(con, seeds: list[tuple[Contract, Path, str, str]]) -> dict[str, int]:
    """table → row count of the seeds whose recorded digest is their files' and whose table exists with the
    contract's columns, in three statements for all seeds."""
    from etl.factstore import publish_state, table_columns

    if not seeds:
        return {}
    recorded = publish_state(con, [key for _, _, key, _ in seeds])
    candidates = [c for c, _, key, digest in seeds if recorded.get(key) == digest]
    if not candidates:
        return {}
    database, existing = con.execute(
        "SELECT current_database(), list(table_name) FILTER (WHERE list_contains(?, table_name)) FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name = 'main' AND NOT temporary",
        [[c.table for c in candidates]]).fetchall()[0]
    candidates = [c for c in candidates if c.table in set(existing or [])]
    columns = table_columns(con, [c.table for c in candidates], database)
    same = [c for c in candidates
            if [name for name, _ in columns[c.table]] == c.column_names + ["_batch_id", "_source_row"]]
    if not same:
        return {}
    return dict(con.execute(" UNION ALL ".join(
        f"SELECT {lit(c.table)}, count(*) FROM {q(database)}.main.{q(c.table)}" for c in same)).fetchall())


def load_seeds(con, directory: Path | None = None) -> dict[str, int]:
    """Replace every seed table with its file's rows (validated); returns rows per table. A seed whose
    files are unchanged since their last validation in this catalog is skipped (the table holds them)."""
    from etl.load import _stage, note_change  # the same staging as a delivery (column matching included)
    from etl.schema import contract_ddl

    loaded = {}
    seeds = [(contract, path, f"seed:{contract.table}", _digest(contract, path))
             for contract, path in seed_contracts(directory)]
    current = _current_seeds(con, seeds)   # the unchanged ones and their row counts, in three statements for all
    for contract, path, key, digest in seeds:
        if contract.table in current:
            loaded[contract.table] = current[contract.table]
            continue
        VALIDATED[contract.table] += 1
        log.info("seed %s: %s read and validated", contract.table, path)
        data = read_csv(path)
        present, _, native = _stage(con, contract, data, {})
        create_typed(con, contract, present, data.decimal_comma, native)
        create_violations(con, contract, data.file_name, native, data.decimal_comma)
        problems = [r for (r,) in con.execute(
            "SELECT reason FROM violations ORDER BY _source_row, column_name, rule").fetchall()]
        if problems:
            raise SeedError(f"seed {path}: " + "; ".join(problems))
        cols = ", ".join(q(c) for c in contract.column_names)
        if not _same_rows(con, contract, cols):  # loading the same seed again writes nothing
            note_change(con, contract.table)  # for the incremental measure build
            con.execute(f"DROP TABLE IF EXISTS {q(contract.table)}")
            con.execute(contract_ddl(contract))
            con.execute(f"INSERT INTO {q(contract.table)} ({cols}, _batch_id, _source_row) "
                        f"SELECT {cols}, NULL, _source_row FROM typed ORDER BY _source_row")
        loaded[contract.table] = con.execute(f"SELECT count(*) FROM {q(contract.table)}").fetchone()[0]
        for temp in ("typed", "violations", "cand"):
            con.execute(f"DROP TABLE IF EXISTS {temp}")
        if _table_exists(con, "etl_publish_state"):   # a publish's catalog (not a bare connection)
            con.execute("INSERT OR REPLACE INTO etl_publish_state VALUES (?, ?)", [key, digest])
    return loaded


def _table_exists(con, table: str) -> bool:
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND database_name = "
                       "current_database() AND schema_name = 'main'", [table]).fetchone()[0] > 0
