"""Measure declarations (metrics/definitions/*.yaml), indicator declarations (metrics/indicators.yaml)
and the five perspectives (the seed seeds/perspectives.csv).

A measure is data: adding one means adding a YAML file; neither the engine nor the app changes.

A declaration names the declared models it reads (`models:`, metrics/models/) and gives `rows:` — one SELECT
over those models yielding one row per record behind the measure, with the columns committee_code, month
(DATE, first day), numerator, denominator, n_obs (each the record's contribution) and any columns that explain
the record. The value is the sum of those rows per committee and month, and the drill-down is the same rows
filtered to the committees and months behind a value — so a drill-down always adds up to the figure.

Declarations are validated by pydantic models (unknown keys rejected, ids by pattern); a bad declaration
raises DeclarationError naming the file and the key.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, Optional

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

import settings
from metrics.models import MONTH, load_models

YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed: ~5x faster

DEFINITION_DIR = Path(__file__).parent / "definitions"
INDICATOR_FILE = Path(__file__).parent / "indicators.yaml"

DIRECTIONS = ("higher", "lower", "band")
ACCUMULATIONS = ("none", "year_to_date", "to_date")
UNATTRIBUTED = "_UNATTRIBUTED"  # committee_code of records no attribution rule matches: they count in CITY only
ROW_COLUMNS = ("committee_code", "month", "numerator", "denominator", "n_obs")


def _read_seed(name: str) -> tuple[dict, ...]:
    """A seed file (seeds/<name>.csv; the ETL loads the same file, checked by its contract, into the warehouse)."""
    with (settings.seed_dir() / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return tuple(dict(row) for row in csv.DictReader(f))


PERSPECTIVES = _read_seed("perspectives")  # code, name_sv, name_en, in display order
PERSPECTIVE_CODES = tuple(p["code"] for p in PERSPECTIVES)


class DeclarationError(ValueError):
    """A measure or indicator declaration is invalid; the message names the file and the key."""


def _problems(path, exc: ValidationError) -> str:
    parts = []
    for e in exc.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(declaration)"
        parts.append(f"{key}: {e['msg'].removeprefix('Value error, ')}")
    return f"{path}: " + "; ".join(parts)


def _known_models(names: list[str]) -> list[str]:
    known = {m.decl.name for m in load_models()}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown model(s) {', '.join(unknown)} (declared models: metrics/models/)")
    return names


ModelNames = Annotated[list[str], AfterValidator(_known_models)]  # names of declared models (metrics/models/)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    sv: str
    en: str


IDENTIFIER = r"^[a-z_][a-z0-9_]*$"


class DrilldownKeys(_Strict):
    """Where the rows' committee_code and month come from in the model they read, so that the drill-down can
    filter the model itself (a filter the Parquet reader turns into row-group skips) before the rows'
    expressions; the drill-down still filters the rows as before, so it returns exactly the same rows."""
    model: str = Field(pattern=IDENTIFIER)      # the model the rows read (one of `models`)
    committee: str = Field(pattern=IDENTIFIER)  # its column behind committee_code; NULL = the unattributed bucket
    month: str = Field(pattern=IDENTIFIER)      # its date/timestamp column whose calendar month is `month`


MonthColumns = dict[Annotated[str, Field(pattern=IDENTIFIER)], Annotated[str, Field(pattern=IDENTIFIER)]]


def _month_columns_fit(month_columns: dict[str, str] | None, models: list[str]) -> None:
    if month_columns is not None:
        unknown = [m for m in month_columns if m not in models]
        if unknown:
            raise ValueError(f"month_columns: {', '.join(unknown)} not one of models")


class MeasureDecl(_Strict):
    """One file in metrics/definitions/. See docs/measures.md for the meaning of every key."""
    id: str = Field(pattern=r"^[A-Z][0-9]{1,2}$")
    order: int
    perspective: str
    name: Text
    description: Text
    formula: Text
    unit: str
    scale: float = 100.0
    cap: Optional[float] = None
    direction: Literal["higher", "lower", "band"]
    target: Optional[float] = None
    red_threshold: Optional[float] = None
    band_low: Optional[float] = None
    band_high: Optional[float] = None
    weight: float = Field(1.0, gt=0)
    objective_subjective: Literal["O", "S"]
    source: Text
    frequency: Literal["month", "quarter", "tertial", "year"]
    grain: Optional[Literal["month", "quarter", "tertial", "year"]] = None
    accumulate: Literal["none", "year_to_date", "to_date"] = "none"
    frequency_note: Optional[Text] = None
    production_cost: Literal["L", "M", "H"]
    min_n: int = Field(1, ge=0)
    carry_forward_months: int = Field(12, ge=0)
    models: ModelNames = []
    rows: str
    order_by: str = "month"
    drilldown_keys: Optional[DrilldownKeys] = None
    # per model the rows read: its date/timestamp column whose calendar month is the row's `month`, with the
    # promise that a row of month m reads only that model's rows of month m (metrics.build: an incremental
    # build recomputes the month sums of the months a delivery can change only; a model left out: every month)
    month_columns: Optional[MonthColumns] = None

    @field_validator("perspective")
    @classmethod
    def _perspective(cls, value):
        if value not in PERSPECTIVE_CODES:
            raise ValueError(f"{value!r} is not one of {', '.join(PERSPECTIVE_CODES)}")
        return value

    @model_validator(mode="after")
    def _drilldown_model(self):
        if self.drilldown_keys is not None and self.drilldown_keys.model not in self.models:
            raise ValueError(f"drilldown_keys.model {self.drilldown_keys.model!r} is not one of models")
        _month_columns_fit(self.month_columns, self.models)
        k, cols = self.drilldown_keys, self.month_columns or {}
        if k is not None and k.model in cols and cols[k.model] != k.month:
            raise ValueError(f"month_columns: {k.model}: {cols[k.model]!r} is not drilldown_keys.month {k.month!r}")
        return self

    @model_validator(mode="after")
    def _anchors(self):
        if self.direction == "band":
            if self.band_low is None or self.band_high is None or self.band_low > self.band_high:
                raise ValueError("band measures need band_low <= band_high")
            return self
        if self.target is None or self.red_threshold is None or self.target == self.red_threshold:
            raise ValueError("target and red_threshold must be set and differ")
        if self.direction == "higher" and self.target < self.red_threshold:
            raise ValueError("higher is better needs target > red_threshold")
        if self.direction == "lower" and self.target > self.red_threshold:
            raise ValueError("lower is better needs target < red_threshold")
        return self


@dataclass(frozen=True)
class Measure:
    id: str
    order: int
    perspective: str
    name_sv: str
    name_en: str
    description_sv: str
    description_en: str
    formula_sv: str
    formula_en: str
    unit: str
    direction: str
    objective_subjective: str
    source_sv: str
    source_en: str
    frequency: str          # how often the measure is reported (catalogue)
    grain: str              # the finest period the engine computes it for
    accumulate: str         # none | year_to_date | to_date (sums from the first month)
    production_cost: str
    min_n: int
    sql: str                # committee_code, month, numerator, denominator, n_obs: the rows summed
    drilldown_sql: str      # the same rows for $committees and $from_month..$to_month
    scale: float = 100.0
    cap: float | None = None
    target: float | None = None
    red_threshold: float | None = None
    band_low: float | None = None
    band_high: float | None = None
    weight: float = 1.0
    carry_forward_months: int = 12
    frequency_note_sv: str | None = None
    frequency_note_en: str | None = None
    models: tuple[str, ...] = ()
    rows_sql: str = ""
    month_columns: tuple[tuple[str, str], ...] | None = None  # (model, column): MeasureDecl.month_columns


def value_sql(rows: str) -> str:
    """The value's SQL: the declaration's rows summed per committee and month."""
    return (f"SELECT committee_code, month, SUM(numerator) AS numerator, SUM(denominator) AS denominator, "
            f"SUM(n_obs) AS n_obs\nFROM (\n{rows.strip()}\n) AS measure_rows\nGROUP BY committee_code, month")


def drilldown_sql(rows: str, order_by: str, keys: DrilldownKeys | None = None) -> str:
    """The drill-down's SQL: the same rows for the committees $committees and the months $from_month..$to_month
    (month shown as YYYY-MM).

    With `keys`, the model is first narrowed on its own columns — committee in $committees (NULL only when
    the unattributed bucket is) and $from_month <= month column < the month after $to_month, a half-open
    range of the same months — which DuckDB pushes into the scan (Parquet row groups skipped by their
    min/max; the parameters are bound as constants). The CTE has the model's name, so the declaration's rows
    read the narrowed model unchanged (inside the CTE the name is the model itself). The narrowing keeps every
    row the outer filter keeps: coalesce(c, unattributed) is in the list exactly when c is, or c is NULL and
    the unattributed bucket is; date_trunc('month', t) is in from..to exactly when from <= t < the month
    after to (NULL in neither). The parameters stay $committees, $from_month, $to_month."""
    narrowed = ""
    if keys is not None:
        narrowed = (f"WITH {keys.model} AS (\n  SELECT * FROM {keys.model}\n"
                    f"  WHERE (list_contains($committees, {keys.committee})"
                    f" OR (list_contains($committees, '{UNATTRIBUTED}') AND {keys.committee} IS NULL))\n"
                    f"    AND {keys.month} >= CAST($from_month AS TIMESTAMP)"
                    f" AND {keys.month} < CAST($to_month + INTERVAL 1 MONTH AS TIMESTAMP)\n)\n")
    return (narrowed + f"SELECT * REPLACE (strftime(month, '%Y-%m') AS month) FROM (\n"
            f"  SELECT * FROM (\n{rows.strip()}\n) AS measure_rows\n"
            f"  WHERE list_contains($committees, committee_code) AND month BETWEEN $from_month AND $to_month\n"
            f") AS drill ORDER BY {order_by}")


def _month_range(column: str, months: list[str]) -> str:
    """`column` (date or timestamp) in one of `months` ('YYYY-MM'): the span first..last as one range that
    DuckDB pushes into the Parquet scan (row groups skipped by their min/max), then one range per run of
    consecutive months."""
    def index(m: str) -> int:
        return int(m[:4]) * 12 + int(m[5:]) - 1

    def start(i: int) -> str:
        return f"DATE '{i // 12:04d}-{i % 12 + 1:02d}-01'"

    runs: list[list[int]] = []
    for i in sorted({index(m) for m in months}):
        if runs and runs[-1][1] == i - 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    span = f"{column} >= {start(runs[0][0])} AND {column} < {start(runs[-1][1] + 1)}"
    if len(runs) == 1:
        return span
    return span + " AND (" + " OR ".join(f"({column} >= {start(a)} AND {column} < {start(b + 1)})"
                                         for a, b in runs) + ")"


def months_sql(sql: str, month_columns: tuple[tuple[str, str], ...], months: list[str]) -> str:
    """A measure's or indicator's SQL (columns committee_code, month, …) for the months `months` only: each
    model of `month_columns` first narrowed to the rows whose column falls in those months (a CTE of the
    model's name, as drilldown_sql does: the declaration reads the narrowed model unchanged), then the rows
    kept whose month is one of them. By the declaration's promise (a row of month m reads only rows of month m)
    the result is exactly the rows of those months of the unrestricted SQL."""
    bad = [m for m in months if not MONTH.match(m)]
    if bad:
        raise ValueError(f"not a month (YYYY-MM): {bad[0]!r}")
    if not months:
        return f"SELECT * FROM (\n{sql}\n) AS q WHERE false"
    ctes = ",\n".join(f"{model} AS (SELECT * FROM {model} WHERE {_month_range(column, months)})"
                      for model, column in month_columns)
    return (f"WITH {ctes}\nSELECT * FROM (\n{sql}\n) AS q\n"
            f"WHERE {_month_range('month', months)}")


def parse_measure(doc: dict, path: str | Path = "<declaration>") -> Measure:
    try:
        d = MeasureDecl.model_validate(doc)
    except ValidationError as exc:
        raise DeclarationError(_problems(path, exc)) from None
    note = d.frequency_note
    return Measure(
        id=d.id, order=d.order, perspective=d.perspective, name_sv=d.name.sv, name_en=d.name.en,
        description_sv=d.description.sv.strip(), description_en=d.description.en.strip(),
        formula_sv=d.formula.sv.strip(), formula_en=d.formula.en.strip(),
        unit=d.unit, direction=d.direction, objective_subjective=d.objective_subjective,
        source_sv=d.source.sv, source_en=d.source.en, frequency=d.frequency, grain=d.grain or d.frequency,
        accumulate=d.accumulate, production_cost=d.production_cost, min_n=d.min_n,
        sql=value_sql(d.rows), drilldown_sql=drilldown_sql(d.rows, d.order_by, d.drilldown_keys),
        scale=d.scale, cap=d.cap, target=d.target, red_threshold=d.red_threshold,
        band_low=d.band_low, band_high=d.band_high, weight=d.weight, carry_forward_months=d.carry_forward_months,
        frequency_note_sv=note.sv if note else None, frequency_note_en=note.en if note else None,
        models=tuple(d.models), rows_sql=d.rows.strip(),
        month_columns=None if d.month_columns is None else tuple(sorted(d.month_columns.items())),
    )


def _load_yaml(path: Path):
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    except yaml.YAMLError as exc:
        raise DeclarationError(f"{path}: not valid YAML ({exc})") from None


@lru_cache(maxsize=4)
def load_measures(directory: Path = DEFINITION_DIR) -> tuple[Measure, ...]:
    """All measure declarations in catalogue order (perspective order, then `order`)."""
    measures = []
    for p in sorted(Path(directory).glob("*.yaml")):
        m = parse_measure(_load_yaml(p), p)
        if m.id != p.stem:
            raise DeclarationError(f"{p}: id: {m.id!r} must equal the file name {p.stem!r}")
        measures.append(m)
    return tuple(sorted(measures, key=lambda m: (PERSPECTIVE_CODES.index(m.perspective), m.order, m.id)))


def measure(measure_id: str) -> Measure:
    for m in load_measures():
        if m.id == measure_id:
            return m
    raise KeyError(f"unknown measure {measure_id}")


class IndicatorDecl(_Strict):
    """One entry of metrics/indicators.yaml."""
    id: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    name: Text
    unit: str
    scale: float = 1.0
    models: ModelNames = []
    sql: str
    variants: dict[str, Text] = {}
    month_columns: Optional[MonthColumns] = None  # as MeasureDecl.month_columns

    @model_validator(mode="after")
    def _month_columns(self):
        _month_columns_fit(self.month_columns, self.models)
        return self

    @field_validator("variants")
    @classmethod
    def _variant_keys(cls, value):
        bad = [k for k in value if not k or not k.replace("_", "").isalnum() or k != k.lower()]
        if bad:
            raise ValueError(f"variant keys must be lower-case words: {', '.join(bad)}")
        return value


@dataclass(frozen=True)
class Indicator:
    """A supporting indicator (not scored). Its SQL yields committee_code, month, variant, numerator,
    denominator; each variant (e.g. a channel) becomes its own indicator id `<id>_<VARIANT>`.
    value = scale × Σ numerator ÷ Σ denominator, or scale × Σ numerator when the denominator is NULL."""
    id: str
    order: int
    name_sv: str
    name_en: str
    unit: str
    scale: float
    sql: str
    variants: dict  # variant → {sv, en}; empty when the SQL yields variant NULL
    month_columns: tuple[tuple[str, str], ...] | None = None  # (model, column): IndicatorDecl.month_columns


def indicator_rows(indicators: tuple[Indicator, ...]) -> list[dict]:
    """One catalogue row per indicator id (variants expanded)."""
    rows = []
    for ind in indicators:
        if not ind.variants:
            rows.append(dict(indicator_id=ind.id, base_id=ind.id, variant=None, order=ind.order,
                             name_sv=ind.name_sv, name_en=ind.name_en, unit=ind.unit, scale=ind.scale))
        for i, (variant, names) in enumerate(ind.variants.items()):
            rows.append(dict(indicator_id=f"{ind.id}_{variant.upper()}", base_id=ind.id, variant=variant,
                             order=ind.order * 100 + i, name_sv=f"{ind.name_sv} – {names['sv']}",
                             name_en=f"{ind.name_en} – {names['en']}", unit=ind.unit, scale=ind.scale))
    return rows


@lru_cache(maxsize=4)
def load_indicators(path: Path = INDICATOR_FILE) -> tuple[Indicator, ...]:
    docs = _load_yaml(Path(path))
    if not isinstance(docs, list):
        raise DeclarationError(f"{path}: expected a list of indicators")
    out, seen = [], set()
    for i, doc in enumerate(docs):
        try:
            d = IndicatorDecl.model_validate(doc)
        except ValidationError as exc:
            ident = doc.get("id") if isinstance(doc, dict) else None
            raise DeclarationError(_problems(f"{path} [{i}]" + (f" ({ident})" if ident else ""), exc)) from None
        if d.id in seen:
            raise DeclarationError(f"{path} [{i}]: id: {d.id!r} declared twice")
        seen.add(d.id)
        out.append(Indicator(id=d.id, order=i + 1, name_sv=d.name.sv, name_en=d.name.en, unit=d.unit,
                             scale=d.scale, sql=d.sql,
                             variants={k: {"sv": v.sv, "en": v.en} for k, v in d.variants.items()},
                             month_columns=None if d.month_columns is None else tuple(sorted(d.month_columns.items()))))
    return tuple(out)
