"""Alerts: the measures that turned red since the previous publish, per committee — shown to the
committee's users on their start page and written by `python -m reports alerts` as text (one block
per committee, ready to mail) or CSV (for an installation's mail job)."""
from __future__ import annotations

import csv
import io

import pandas as pd

from metrics.status_history import turned_red
from metrics.warehouse import Warehouse
from reports import fmt
from reports.texts import status_word

CSV_COLUMNS = ["committee_code", "committee", "measure_id", "measure", "period", "value", "previous_period",
               "previous_value", "previous_status", "data_version"]


def alerts(wh: Warehouse, committee: str | None = None, grain: str = "tertial") -> pd.DataFrame:
    df = turned_red(wh, grain)
    if committee:
        df = df[df["committee_code"] == committee].reset_index(drop=True)
    return df


def to_text(df: pd.DataFrame, lang: str = "sv") -> str:
    if df.empty:
        return ("Inga mätetal har blivit röda sedan förra publiceringen.\n" if lang == "sv"
                else "No measure turned red since the previous publish.\n")
    out = []
    for code, g in df.groupby("committee_code", sort=False):
        first = g.iloc[0]
        name = first["name_sv"] if lang == "sv" else (first["name_en"] or first["name_sv"])
        head = (f"{name}: {len(g)} mätetal har blivit röda sedan förra publiceringen (dataversion "
                f"{first['previous_version']} → {first['version']})" if lang == "sv" else
                f"{name}: {len(g)} measure(s) turned red since the previous publish (data version "
                f"{first['previous_version']} → {first['version']})")
        out.append(head)
        for r in g.itertuples():
            mname = r.measure_name_sv if lang == "sv" else r.measure_name_en
            was = status_word(r.previous_status, lang).lower()
            out.append(f"  ✖ {r.measure_id} {mname}: {fmt.value(r.value, r.unit, lang)} {fmt.period(r.period, lang)} "
                       f"({'var' if lang == 'sv' else 'was'} {was} {fmt.value(r.previous_value, r.unit, lang)} "
                       f"{fmt.period(r.previous_period, lang)})")
        out.append("")
    return "\n".join(out)


def to_csv(df: pd.DataFrame, lang: str = "sv") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for r in df.itertuples():
        w.writerow([r.committee_code, r.name_sv if lang == "sv" else r.name_en, r.measure_id,
                    r.measure_name_sv if lang == "sv" else r.measure_name_en, r.period,
                    "" if fmt.is_missing(r.value) else f"{r.value:.6f}".rstrip("0").rstrip(".").replace(".", ","),
                    r.previous_period,
                    "" if fmt.is_missing(r.previous_value) else f"{r.previous_value:.6f}".rstrip("0").rstrip(".").replace(".", ","),
                    r.previous_status, r.version])
    return buf.getvalue()
