"""Which warehouse tables each declared model, measure and indicator reads: the dependency data the
incremental measure build (metrics.build) uses to rebuild only what a delivery reaches.

Models declare what they read in YAML (`sources:` warehouse tables, `depends_on:` earlier models;
metrics/models.py); measures and indicators declare `models:`. `tables_read(sql)` parses a SELECT with
DuckDB's own parser (json_serialize_sql: no binding, so no table needs to exist) and is what the tests
use to check the declarations (a model or measure that reads a table it does not declare fails them).
A measure's tables are the closure over its models' declarations plus any warehouse table its SQL
names directly.

Tables the build itself reads besides the declarations (BUILD_TABLES): dim_committees (which entity
rows every committee adds up into: a change rebuilds everything), targets and store_targets (per
committee, year and measure: a change reaches every period of that year).
"""
from __future__ import annotations

import json
import threading
from functools import lru_cache

import duckdb

from metrics.models import Model, load_models

MEMBERS_TABLE = "dim_committees"
TARGET_TABLES = ("targets", "store_targets")
BUILD_TABLES = (MEMBERS_TABLE, *TARGET_TABLES)


_PARSER: list[duckdb.DuckDBPyConnection] = []  # one in-memory connection for parsing (opening one costs ~30 ms)
_PARSER_LOCK = threading.Lock()


@lru_cache(maxsize=256)
def tables_read(sql: str) -> frozenset[str]:
    """The table names a SELECT reads (CTE names left out), by DuckDB's parser."""
    with _PARSER_LOCK:
        if not _PARSER:
            _PARSER.append(duckdb.connect())
        doc = json.loads(_PARSER[0].execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
    if doc.get("error"):
        raise ValueError(f"SQL does not parse: {doc.get('error_message')}")
    found: set[str] = set()
    ctes: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            if node.get("type") == "BASE_TABLE" and node.get("table_name"):
                found.add(node["table_name"])
            cte_map = node.get("cte_map")
            if isinstance(cte_map, dict):
                ctes.update(entry.get("key") for entry in cte_map.get("map", []))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    return frozenset(found - ctes)


def _relationship_tables(model: Model) -> set[str]:
    """Tables the model's relationships tests look up (a change there can change a test's verdict)."""
    return {t.relationships.to for c in model.decl.columns for t in c.tests
            if not isinstance(t, str) and t.relationships is not None}


def model_tables(models: tuple[Model, ...] | None = None) -> dict[str, frozenset[str]]:
    """Per model, every warehouse table and model it reaches (its own sources and tested lookups, and
    those of the models it depends on), transitively."""
    models = load_models() if models is None else models
    out: dict[str, frozenset[str]] = {}
    for m in models:  # dependency order: what a model depends on is already resolved
        reach = set(m.decl.sources) | _relationship_tables(m) | set(m.decl.depends_on)
        for dep in m.decl.depends_on:
            reach |= out[dep]
        out[m.decl.name] = frozenset(reach)
    return out


def declaration_tables(sql: str, models: tuple[Model, ...] | None = None) -> frozenset[str]:
    """Every table (and model) a measure's or indicator's SQL reaches: what it names, expanded through
    the models' declarations."""
    reach = model_tables(models)
    names = set(tables_read(sql))
    for name in list(names):
        names |= reach.get(name, frozenset())
    return frozenset(names)


def affected_models(changed: set[str], models: tuple[Model, ...] | None = None) -> list[Model]:
    """The models (in dependency order) that read a changed table, directly or through other models."""
    models = load_models() if models is None else models
    reach = model_tables(models)
    return [m for m in models if reach[m.decl.name] & changed]
