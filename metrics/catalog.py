"""Measure declarations (metrics/definitions/*.yaml) and the five perspectives.

A measure is data: adding one means adding a YAML file; neither the engine nor the app changes.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from metrics.periods import GRAINS

YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed: ~5x faster

DEFINITION_DIR = Path(__file__).parent / "definitions"
INDICATOR_FILE = Path(__file__).parent / "indicators.yaml"

DIRECTIONS = ("higher", "lower", "band")
ACCUMULATIONS = ("none", "year_to_date", "to_date")

PERSPECTIVES = (
    {"code": "external", "name_sv": "Externt nyttoperspektiv", "name_en": "External benefit"},
    {"code": "internal", "name_sv": "Internt nyttoperspektiv", "name_en": "Internal benefit"},
    {"code": "maturity", "name_sv": "It-mognadsperspektiv", "name_en": "IT maturity"},
    {"code": "cost", "name_sv": "It-kostnadsperspektiv", "name_en": "IT cost"},
    {"code": "quality", "name_sv": "It-kvalitetsperspektiv", "name_en": "IT quality"},
)
PERSPECTIVE_CODES = tuple(p["code"] for p in PERSPECTIVES)


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
    sql: str
    drilldown_sql: str
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


def _float(value) -> float | None:
    return None if value is None else float(value)


def parse_measure(doc: dict) -> Measure:
    note = doc.get("frequency_note") or {}
    measure = Measure(
        id=doc["id"], order=int(doc["order"]), perspective=doc["perspective"],
        name_sv=doc["name"]["sv"], name_en=doc["name"]["en"],
        description_sv=doc["description"]["sv"].strip(), description_en=doc["description"]["en"].strip(),
        formula_sv=doc["formula"]["sv"].strip(), formula_en=doc["formula"]["en"].strip(),
        unit=doc["unit"], direction=doc["direction"], objective_subjective=doc["objective_subjective"],
        source_sv=doc["source"]["sv"], source_en=doc["source"]["en"],
        frequency=doc["frequency"], grain=doc.get("grain", doc["frequency"]),
        accumulate=doc.get("accumulate", "none"), production_cost=doc["production_cost"],
        min_n=int(doc.get("min_n", 1)), sql=doc["sql"], drilldown_sql=doc["drilldown_sql"],
        scale=float(doc.get("scale", 100)), cap=_float(doc.get("cap")),
        target=_float(doc.get("target")), red_threshold=_float(doc.get("red_threshold")),
        band_low=_float(doc.get("band_low")), band_high=_float(doc.get("band_high")),
        weight=float(doc.get("weight", 1)), carry_forward_months=int(doc.get("carry_forward_months", 12)),
        frequency_note_sv=note.get("sv"), frequency_note_en=note.get("en"),
    )
    validate(measure)
    return measure


def validate(m: Measure) -> None:
    problems = []
    if m.perspective not in PERSPECTIVE_CODES:
        problems.append(f"perspective {m.perspective!r}")
    if m.direction not in DIRECTIONS:
        problems.append(f"direction {m.direction!r}")
    if m.frequency not in GRAINS or m.grain not in GRAINS:
        problems.append(f"frequency/grain {m.frequency!r}/{m.grain!r}")
    if m.accumulate not in ACCUMULATIONS:
        problems.append(f"accumulate {m.accumulate!r}")
    if m.direction == "band" and (m.band_low is None or m.band_high is None or m.band_low > m.band_high):
        problems.append("band measures need band_low <= band_high")
    if m.direction != "band" and (m.target is None or m.red_threshold is None or m.target == m.red_threshold):
        problems.append("target and red_threshold must be set and differ")
    if m.direction == "higher" and m.direction != "band" and None not in (m.target, m.red_threshold) \
            and m.target < m.red_threshold:
        problems.append("higher is better needs target > red_threshold")
    if m.direction == "lower" and None not in (m.target, m.red_threshold) and m.target > m.red_threshold:
        problems.append("lower is better needs target < red_threshold")
    if m.production_cost not in ("L", "M", "H") or m.objective_subjective not in ("O", "S"):
        problems.append("production_cost must be L/M/H and objective_subjective O/S")
    if problems:
        raise ValueError(f"measure {m.id}: " + "; ".join(problems))


@lru_cache(maxsize=1)
def load_measures(directory: Path = DEFINITION_DIR) -> tuple[Measure, ...]:
    """All measure declarations in catalogue order (perspective order, then `order`)."""
    measures = [parse_measure(yaml.load(p.read_text(encoding="utf-8"), Loader=YAML_LOADER)) for p in sorted(directory.glob("*.yaml"))]
    ids = [m.id for m in measures]
    if len(ids) != len(set(ids)):
        raise ValueError(f"duplicate measure ids in {directory}")
    return tuple(sorted(measures, key=lambda m: (PERSPECTIVE_CODES.index(m.perspective), m.order, m.id)))


def measure(measure_id: str) -> Measure:
    for m in load_measures():
        if m.id == measure_id:
            return m
    raise KeyError(f"unknown measure {measure_id}")


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


@lru_cache(maxsize=1)
def load_indicators(path: Path = INDICATOR_FILE) -> tuple[Indicator, ...]:
    docs = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    return tuple(
        Indicator(id=d["id"], order=i + 1, name_sv=d["name"]["sv"], name_en=d["name"]["en"], unit=d["unit"],
                  scale=float(d.get("scale", 1)), sql=d["sql"], variants=d.get("variants") or {})
        for i, d in enumerate(docs)
    )
