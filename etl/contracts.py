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


def parse_contract(doc: dict, path: str | Path = "<contract>") -> Contract:
    validate_contract(doc, path)
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
        contract = parse_contract(yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER), path)
        if contract.source in contracts:
            raise ContractError(f"{path}: source: {contract.source!r} is declared by another contract too")
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
# ---------------------------------------------------------------------------------------------
# Validation of a contract file (pydantic): unknown keys rejected, names by pattern, cross-references
# (key, scope, period, not_before/not_above name columns of the contract). Errors name file and key.
# Adding a contract field means adding it here too.
# ---------------------------------------------------------------------------------------------
import re as _re  # noqa: E402
from typing import Literal, Optional, Union  # noqa: E402

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator  # noqa: E402

NAME = r"^[a-z][a-z0-9_]*$"


class ContractError(ValueError):
    """A contract file is invalid; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Text(_Strict):
    sv: str
    en: str


class _Period(_Strict):
    column: str = Field(pattern=NAME)
    grain: Literal["month", "year"]


class ColumnDecl(_Strict):
    type: Literal["varchar", "integer", "decimal", "boolean", "date", "timestamp", "month"]
    required: bool = False
    optional: bool = False
    allowed: Optional[list[Union[str, int, float, bool]]] = None
    min: Optional[float] = None
    max: Optional[float] = None
    pattern: Optional[str] = None
    references: Optional[str] = Field(None, pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
    not_before: Optional[str] = Field(None, pattern=NAME)
    not_above: Optional[str] = Field(None, pattern=NAME)
    unit: Optional[str] = None
    description: Optional[str] = None
    format: Optional[str] = None
    future_months: Optional[int] = Field(None, ge=0)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value):
        if value is not None:
            try:
                _re.compile(value)
            except _re.error as exc:
                raise ValueError(f"not a regular expression ({exc})") from None
        return value

    @model_validator(mode="after")
    def _required_xor_optional(self):
        if self.required and self.optional:
            raise ValueError("a column is required or optional, not both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is above max")
        return self


class ContractDecl(_Strict):
    source: str = Field(pattern=NAME)
    title: _Text
    table: str = Field(pattern=NAME)
    description: Optional[str] = None
    preprocess: Optional[Literal["servicenow_event_log"]] = None
    key: list[str] = Field(min_length=1)
    scope: list[str] = Field(min_length=1)
    period: Optional[_Period] = None
    max_bad_share: float = Field(0.05, ge=0, le=1)
    missing_values: list[str] = [""]
    timestamp_format: Optional[str] = None
    drop_columns: list[str] = []
    columns: dict[str, ColumnDecl] = Field(min_length=1)

    @field_validator("columns")
    @classmethod
    def _column_names(cls, value):
        bad = [n for n in value if not _re.match(NAME, n)]
        if bad:
            raise ValueError(f"column names must match {NAME}: {', '.join(bad)}")
        return value

    @model_validator(mode="after")
    def _cross_references(self):
        names = set(self.columns)
        problems = []
        for what, cols in (("key", self.key), ("scope", self.scope)):
            unknown = [c for c in cols if c not in names and not (what == "scope" and c == "month" and self.period)]
            if unknown:
                problems.append(f"{what}: not columns of the contract: {', '.join(unknown)}")
        if self.period and self.period.column not in names:
            problems.append(f"period.column: {self.period.column!r} is not a column of the contract")
        for name, col in self.columns.items():
            for rule in ("not_before", "not_above"):
                other = getattr(col, rule)
                if other is not None and other not in names:
                    problems.append(f"columns.{name}.{rule}: {other!r} is not a column of the contract")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def validate_contract(doc, path: str | Path = "<contract>") -> ContractDecl:
    """The contract document, validated; ContractError names the file and the key."""
    try:
        return ContractDecl.model_validate(doc)
    except ValidationError as exc:
        parts = []
        for e in exc.errors():
            key = ".".join(str(p) for p in e["loc"]) or "(contract)"
            parts.append(f"{key}: {e['msg'].removeprefix('Value error, ')}")
        raise ContractError(f"{path}: " + "; ".join(parts)) from None
