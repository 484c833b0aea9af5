"""Table helpers: display formatting of frames and CSV / Excel downloads of every table shown."""
from __future__ import annotations

import io
import re
from typing import Any

import pandas as pd
import streamlit as st


def to_csv_bytes(df: pd.DataFrame, lang: str = "sv") -> bytes:
    """CSV with a BOM (Excel opens UTF-8 correctly). Swedish: ';' separator and decimal comma,
    as Swedish Excel expects; English: ',' and '.'."""
    if lang == "sv":
        return df.to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig")
    return df.to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "data") -> bytes:
    buf = io.BytesIO()
    out = df.copy()
    for c in out.columns:  # Excel has no time zones
        if isinstance(out[c].dtype, pd.DatetimeTZDtype):
            out[c] = out[c].dt.tz_localize(None)
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        out.to_excel(xw, index=False, sheet_name=re.sub(r"[^A-Za-z0-9 _-]", "_", sheet)[:31] or "data")
    return buf.getvalue()


def download_buttons(df: pd.DataFrame, name: str, t: Any, lang: str, key: str) -> None:
    """CSV and Excel buttons for a table; the files are built only when clicked."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "table"
    row = st.container(horizontal=True, gap="small")
    row.download_button(t("label.download_csv"), data=lambda: to_csv_bytes(df, lang), file_name=f"{safe}.csv",
                       mime="text/csv", key=f"csv_{key}", on_click="ignore", icon=":material/download:")
    row.download_button(t("label.download_xlsx"), data=lambda: to_xlsx_bytes(df, safe),
                       file_name=f"{safe}.xlsx", key=f"xlsx_{key}", on_click="ignore", icon=":material/table_view:",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
