"""The ILS export: a period's indicator values in the flat layout Stratsys's KPI import takes
(docs/ils.md): indicator id, unit id, period, value, target, status, comment — one row per committee
× mapped measure.

* A closed period is exported from its close snapshot (the figures the committees reported on);
  a period not yet closed from the live warehouse, and then every row says PRELIMINÄRT in its comment.
* A value the product cannot stand behind is never written as a number: insufficient data (too few
  observations) and no value leave `value` empty and say so in `status` and `comment`.
* CSV: semicolon-separated, decimal comma, UTF-8 with BOM (what Swedish Excel and the import
  template expect); XLSX: the same columns, numbers as numbers.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml
from openpyxl import Workbook

from metrics import periods as P
from metrics import query, report_query
from metrics.warehouse import Warehouse
from reports import fmt
from settings import ils_mapping_path

COLUMNS = ["indicator_id", "unit_id", "period", "value", "target", "status", "comment"]
STATUS_WORDS = {"green": "Grön", "yellow": "Gul", "red": "Röd"}


@dataclass(frozen=True)
class Mapping:
    indicators: dict[str, str]
    units: dict[str, str]
    period_format: str = "label"

    def period(self, period: str) -> str:
        if self.period_format == "end_date":
            return (P.add_months(P.last_month(period), 1) - dt.timedelta(days=1)).isoformat()
        return period


def load_mapping(path: Path | str | None = None) -> Mapping:
    path = Path(path or ils_mapping_path())
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    problems = []
    for key in ("indicators", "units"):
        if not isinstance(doc.get(key), dict) or not doc[key]:
            problems.append(f"{path}: '{key}' must map codes to ILS ids")
    fmt_ = doc.get("period_format", "label")
    if fmt_ not in ("label", "end_date"):
        problems.append(f"{path}: period_format must be 'label' or 'end_date', not {fmt_!r}")
    if problems:
        raise ValueError("; ".join(problems))
    return Mapping({str(k): str(v) for k, v in doc["indicators"].items()},
                   {str(k): str(v) for k, v in doc["units"].items()}, fmt_)


def _number(x: float | None) -> float | None:
    return None if fmt.is_missing(x) else round(float(x), 6)


def rows(wh: Warehouse, period: str, mapping: Mapping, snapshots: dict[str, dict] | None = None) -> list[dict]:
    """The export rows. `snapshots` (committee → frozen report data) when the period is closed;
    None exports the live warehouse as preliminary."""
    preliminary = snapshots is None
    if preliminary:
        live = report_query.measure_values(wh, "tertial", period)
        by_committee: dict[str, list[dict]] = {}
        for r in live.to_dict("records"):
            by_committee.setdefault(r["committee_code"], []).append(r)
        committees = query.committees(wh)["committee_code"].tolist()
    else:
        by_committee = {code: rep["measures"] for code, rep in snapshots.items()}
        committees = list(snapshots)
    missing_units = [c for c in committees if c not in mapping.units]
    if missing_units:
        print(f"ILS export: no ILS unit mapped for {', '.join(missing_units)} — not exported "
              f"(add them under 'units' in the mapping file)", file=sys.stderr)
    out = []
    for code in committees:
        if code not in mapping.units:
            continue
        values = {m["measure_id"]: m for m in by_committee.get(code, [])}
        for measure_id, indicator in mapping.indicators.items():
            m = values.get(measure_id, {})
            value, status = _number(m.get("value")), m.get("status") or "grey"
            notes = []
            if preliminary:
                notes.append(f"PRELIMINÄRT – perioden {period} är inte stängd")
            if m.get("insufficient_data"):
                n_obs, min_n = m.get("n_obs"), m.get("min_n")
                notes.append(f"Otillräckligt underlag: {fmt.number(n_obs, 0)} observationer av minst {fmt.number(min_n, 0)}"
                             if not fmt.is_missing(n_obs) and not fmt.is_missing(min_n) else "Otillräckligt underlag")
                value, status_word = None, "Otillräckligt underlag"
            elif value is None:
                notes.append("Värde saknas för perioden")
                status_word = "Värde saknas"
            else:
                status_word = STATUS_WORDS.get(status, "Värde saknas")
                if m.get("value_period") and m["value_period"] != period:
                    notes.append(f"Senaste mätning: {m['value_period']}")
            out.append({"indicator_id": indicator, "unit_id": mapping.units[code], "period": mapping.period(period),
                        "value": value, "target": _number(m.get("target")), "status": status_word,
                        "comment": "; ".join(notes)})
    return out


def _decimal_comma(x: float | None) -> str:
    if x is None:
        return ""
    text = f"{x:.6f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def to_csv(export_rows: list[dict]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(COLUMNS)
    for r in export_rows:
        w.writerow([r["indicator_id"], r["unit_id"], r["period"], _decimal_comma(r["value"]), _decimal_comma(r["target"]),
                    r["status"], r["comment"]])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(export_rows: list[dict]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "ILS"
    ws.append(COLUMNS)
    ws.freeze_panes = "A2"
    for r in export_rows:
        ws.append([r[c] for c in COLUMNS])
        for col in (4, 5):
            ws.cell(row=ws.max_row, column=col).number_format = "0.0#####"
    for col, w in zip("ABCDEFG", (14, 10, 12, 12, 12, 22, 60)):
        ws.column_dimensions[col].width = w
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
