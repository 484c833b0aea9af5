"""What a committee report says, gathered once into plain JSON-safe data.

The same dict is what the PDF, Word and Excel writers render, and what a period close freezes as its
snapshot (followup/cycle.py): a closed report is rendered from the snapshot, so later data revisions
change the live figures but never the closed report.

The follow-up parts (analyses, actions, workflow, approval) come from a `cycle` source — any object
with `report_cycle(committee_code, period) -> dict` (followup.cycle.CycleStore). Without one they are
empty.
"""
from __future__ import annotations

import math
from typing import Any, Protocol

import pandas as pd

from metrics import query, report_query
from metrics.catalog import PERSPECTIVE_CODES
from metrics.warehouse import Warehouse

GRAIN = "tertial"
TREND_PERIODS = 6


class CycleSource(Protocol):
    def report_cycle(self, committee_code: str, period: str) -> dict: ...


def empty_cycle() -> dict:
    return {"analyses": [], "actions": [], "workflow": {"state": "not_started", "steps": []}, "closed": None}


def clean(x: Any) -> Any:
    """numpy/pandas scalars → Python; NaN/NaT → None (JSON-safe and comparable)."""
    if x is None:
        return None
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean(v) for v in x]
    if hasattr(x, "item") and not isinstance(x, (str, bytes)):
        x = x.item()
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, pd.Timestamp):
        return None if pd.isna(x) else x.isoformat()
    if hasattr(x, "isoformat"):
        return x.isoformat()
    return x


def _records(frame: pd.DataFrame) -> list[dict]:
    return [clean(r) for r in frame.to_dict("records")]


class WarehouseContext:
    """What every committee's report of one period shares (catalogue, batches, version): read once."""

    def __init__(self, wh: Warehouse, period: str):
        self.wh = wh
        self.period = period
        self.committees = query.committees(wh).set_index("committee_code", drop=False)
        self.catalog = query.measure_catalog(wh)
        meta = wh.meta()
        self.version = str(meta.get("version", ""))
        self.published_at = str(meta.get("published_at", ""))
        self.batches = _records(report_query.source_batches(wh))
        self.definitions = _records(self.catalog[[
            "measure_id", "perspective", "name_sv", "name_en", "description_sv", "description_en", "formula_sv",
            "formula_en", "source_sv", "source_en", "unit", "direction", "target", "red_threshold", "band_low",
            "band_high", "min_n"]])
        available = query.periods(wh, GRAIN)
        if period not in available:
            raise ValueError(f"no data for period {period}; available: {', '.join(available[:6])}…")

    def codes(self) -> list[str]:
        return self.committees["committee_code"].tolist()


def committee_report(wh: Warehouse, committee_code: str, period: str, cycle: CycleSource | None = None,
                     ctx: WarehouseContext | None = None) -> dict:
    ctx = ctx or WarehouseContext(wh, period)
    if committee_code not in ctx.committees.index:
        raise ValueError(f"unknown committee {committee_code!r}")
    c = ctx.committees.loc[committee_code]
    sc = query.scorecard(wh, committee_code, GRAIN, period)
    trends = report_query.trend_table(wh, committee_code, GRAIN, period, TREND_PERIODS)
    by_measure: dict[str, list[dict]] = {}
    for r in _records(trends[["measure_id", "period", "value", "status"]]):
        by_measure.setdefault(r.pop("measure_id"), []).append(r)
    measures = []
    for row in _records(sc):
        trend = by_measure.get(row["measure_id"], [])
        prev = trend[-2]["value"] if len(trend) >= 2 else None
        row["trend"] = trend
        row["change"] = None if prev is None or row["value"] is None else row["value"] - prev
        measures.append(row)
    ps = query.perspective_scores(wh, committee_code, GRAIN, period)
    report = {
        "kind": "committee",
        "committee": {"code": committee_code, "name_sv": c["name_sv"], "name_en": c["name_en"] or c["name_sv"],
                      "peer_group": c["peer_group"]},
        "period": period, "grain": GRAIN,
        "data_version": ctx.version, "published_at": ctx.published_at,
        "overall": clean(query.overall(wh, committee_code, GRAIN, period)),
        "perspectives": _records(ps[["perspective", "score", "status", "red_flag", "n_measures", "peer_median_score"]]),
        "measures": measures,
        "definitions": ctx.definitions,
        "batches": ctx.batches,
        "cycle": clean(cycle.report_cycle(committee_code, period)) if cycle is not None else empty_cycle(),
    }
    return report


def city_summary(wh: Warehouse, period: str) -> list[dict]:
    """One row per committee: perspective scores and statuses, overall, number of red measures."""
    frame = query.city_overview(wh, GRAIN, period)
    return _records(frame)


def red_without_analysis(report: dict) -> list[str]:
    """Measure ids that are red and have no analysis text — the report cannot be submitted."""
    explained = {a["subject_id"] for a in report["cycle"]["analyses"]
                 if a.get("subject_kind") == "measure" and (a.get("text") or "").strip()}
    return [m["measure_id"] for m in report["measures"] if m["status"] == "red" and m["measure_id"] not in explained]


PERSPECTIVES = PERSPECTIVE_CODES
