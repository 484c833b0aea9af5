"""Data contracts: one YAML file per source in etl/contracts/ (see docs/contracts.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed: ~5x faster

CONTRACT_DIR = Path(__file__).parent / "contracts"

# Contract type → DuckDB column type in the warehouse.
DUCKDB_TYPES = {
    "varchar": "VARCHAR",
    "integer": "BIGINT",
    "decimal": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "month": "DATE",  # first day of the month
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    optional: bool = False
    allowed: tuple | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    references: str | None = None  # "table.column"
    not_before: str | None = None
    not_above: str | None = None
    unit: str | None = None
    description: str | None = None
    format: str | None = None
    future_months: int | None = None  # plausible dates may reach this many months past the current one
                                      # (default: settings.plausible_dates(); e.g. 120 for planned dates)

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]


@dataclass(frozen=True)
class Contract:
    source: str
    table: str
    title_sv: str
    title_en: str
    key: tuple[str, ...]
    scope: tuple[str, ...]
    columns: tuple[Column, ...]
    max_bad_share: float = 0.05
    period_column: str | None = None
    period_grain: str | None = None
    preprocess: str | None = None
    missing_values: tuple[str, ...] = ("",)
    timestamp_format: str | None = None
    drop_columns: tuple[str, ...] = ()
    description: str = ""
    extra: dict = field(default_factory=dict)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.source} has no column {name}")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if not c.optional]

    @property
    def referenced_tables(self) -> set[str]:
        return {c.references.split(".")[0] for c in self.columns if c.references}


def _column(name: str, spec: dict) -> Column:
    spec = dict(spec)
    if "allowed" in spec:
        spec["allowed"] = tuple(str(v) for v in spec["allowed"])
    return Column(name=name, **spec)


def parse_contract(doc: dict) -> Contract:
    period = doc.get("period") or {}
    return Contract(
        source=doc["source"],
        table=doc["table"],
        title_sv=doc["title"]["sv"],
        title_en=doc["title"]["en"],
        key=tuple(doc["key"]),
        scope=tuple(doc["scope"]),
        columns=tuple(_column(n, s) for n, s in doc["columns"].items()),
        max_bad_share=float(doc.get("max_bad_share", 0.05)),
        period_column=period.get("column"),
        period_grain=period.get("grain"),
        preprocess=doc.get("preprocess"),
        missing_values=tuple(doc.get("missing_values", [""])),
        timestamp_format=doc.get("timestamp_format"),
        drop_columns=tuple(doc.get("drop_columns", [])),
        description=(doc.get("description") or "").strip(),
    )


@lru_cache(maxsize=1)
def load_contracts() -> dict[str, Contract]:
    """All contracts by source name, in dependency order (referenced tables first)."""
    contracts = {}
    for path in sorted(CONTRACT_DIR.glob("*.yaml")):
        contract = parse_contract(yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER))
        contracts[contract.source] = contract
    return {c.source: c for c in dependency_order(list(contracts.values()))}


def dependency_order(contracts: list[Contract]) -> list[Contract]:
    by_table = {c.table: c for c in contracts}
    ordered: list[Contract] = []
    seen: set[str] = set()

    def visit(c: Contract) -> None:
        if c.source in seen:
            return
        seen.add(c.source)
        for table in sorted(c.referenced_tables):
            if table in by_table:
                visit(by_table[table])
        ordered.append(c)

    for c in sorted(contracts, key=lambda c: c.source):
        visit(c)
    return ordered


class OverrideError(ValueError):
    """The local allowed-values override file is invalid; the message names the file and the key."""


def with_local_allowed_values(contracts: dict[str, Contract], path: Path) -> dict[str, Contract]:
    """The contracts with an installation's extra allowed values added (settings.allowed_values_override_path).

    The file is YAML: `source: {column: [extra values, ...]}`. Values are added to the contract's
    own list, never removed; a source, a column or a column without an allowed list that the
    contracts do not know is an error naming the file and the key. No file: the contracts as they are."""
    from dataclasses import replace

    if not path.exists():
        return contracts
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}
    except yaml.YAMLError as exc:
        raise OverrideError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(doc, dict):
        raise OverrideError(f"{path}: expected `source: {{column: [values]}}`")
    out = dict(contracts)
    for source, columns in doc.items():
        if source not in contracts:
            raise OverrideError(f"{path}: {source}: no such source (known: {', '.join(sorted(contracts))})")
        if not isinstance(columns, dict):
            raise OverrideError(f"{path}: {source}: expected `column: [values]`")
        contract = out[source]
        changed = []
        for col in contract.columns:
            extra = columns.get(col.name)
            if extra is None:
                changed.append(col)
                continue
            if not col.allowed:
                raise OverrideError(f"{path}: {source}.{col.name}: the column has no list of allowed values to extend")
            if not isinstance(extra, list) or not extra:
                raise OverrideError(f"{path}: {source}.{col.name}: expected a list of values")
            added = tuple(str(v) for v in extra if str(v) not in col.allowed)
            changed.append(replace(col, allowed=col.allowed + added))
        unknown = sorted(set(columns) - set(contract.column_names))
        if unknown:
            raise OverrideError(f"{path}: {source}.{unknown[0]}: no such column in the {source} contract")
        out[source] = replace(contract, columns=tuple(changed))
    return out
