"""Tables for people: HTML tables that never cut text off (cells wrap, links lead on, a narrow
screen gets one card per row), and CSV / Excel exports with headers in the UI language, numbers as
numbers with Swedish formats, statuses as words, a header block / sheet naming period, grain, data
version and filters, and no cell a spreadsheet would run as a formula."""
from __future__ import annotations

import datetime as _dt
import html
import io
import re
from typing import Any, Iterable, Sequence

import pandas as pd

from ui import status as S
from ui.formatting import is_missing

# ---------------------------------------------------------------- HTML tables

TABLE_CSS = """
<style>
.sc-wrap{overflow-x:auto;margin:0 0 .5rem 0}
table.sc-table{border-collapse:collapse;width:100%;font-size:.86rem;line-height:1.3}
table.sc-table th{background:#F0F2F6;text-align:left;font-weight:600;padding:5px 5px;border-bottom:2px solid #D0D3DA;
  vertical-align:bottom;white-space:normal;overflow-wrap:break-word}
table.sc-table td{padding:4px 5px;border-bottom:1px solid #E6E8EC;vertical-align:top;white-space:normal;
  overflow-wrap:break-word}
table.sc-table td.any{overflow-wrap:anywhere}
table.sc-table td.num{text-align:right;white-space:nowrap}
table.sc-table th.num{text-align:right}
table.sc-table td.st{overflow-wrap:normal}
table.sc-table td.nw{white-space:nowrap;overflow-wrap:normal}
table.sc-table td a{color:#0B5CAD;text-decoration:underline;text-underline-offset:2px}
table.sc-table tr:hover td{background-image:linear-gradient(rgba(0,0,0,.03),rgba(0,0,0,.03))}
table.sc-table td.st{border-left:5px solid transparent}
@media (max-width: 640px){
  table.sc-cards thead{display:none}
  table.sc-cards,table.sc-cards tbody,table.sc-cards tr,table.sc-cards td{display:block;width:100%;box-sizing:border-box}
  table.sc-cards tr{border:1px solid #D0D3DA;border-radius:6px;margin:0 0 10px 0;padding:4px 0;background:#fff}
  table.sc-cards td{display:flex;justify-content:space-between;gap:12px;border-bottom:1px solid #F0F2F6;text-align:right}
  table.sc-cards td.num,table.sc-cards td.st{white-space:normal}
  table.sc-cards td::before{content:attr(data-label);font-weight:600;text-align:left;color:#31333F;flex:0 0 45%}
  table.sc-cards td:first-child{font-weight:600}
  table.sc-cards td:empty{display:none}
}
</style>
"""

# status look for a table cell (Okabe–Ito edge colour, light tint, dark text)
def _status_css(status: str) -> str:
    s = S.norm(status)
    return f"background:{S.TINTS[s]};border-left-color:{S.COLOURS[s]};color:#1a1a1a"


# (TABLE_CSS is put on every page once by ui.page.setup_page)
def html_table(df: pd.DataFrame, key: str, links: dict[str, Sequence[str | None]] | None = None,
               statuses: pd.DataFrame | None = None, numeric: Iterable[str] = (), caption: str = "",
               raw: Iterable[str] = (), cards: bool = True, nowrap: Iterable[str] = (),
               anywhere: Iterable[str] = ()) -> str:
    """An HTML table of a display frame (every cell already text). `links[col][i]` makes cell
    (i, col) a link; `statuses` (same shape, status codes or "") tints cells; `numeric` columns are
    right-aligned; `nowrap` columns are never broken; `anywhere` columns (file names, units) may break
    inside a word, so a table never runs past the page; other text breaks between words. The table carries data-key=<key> (tests find it by that)."""
    links = links or {}
    numeric = set(numeric)
    raw = set(raw)  # columns holding markup built by ui code, never user text
    nowrap = set(nowrap)  # short codes and sparklines: never broken
    anywhere = set(anywhere)  # long unbroken words (file names, units): may break inside a word
    cols = list(df.columns)
    head = "".join(f'<th class="{"num" if c in numeric else ""}" scope="col">{html.escape(str(c))}</th>' for c in cols)
    body = []
    # the statuses row by row as plain dicts (positional, like df's rows): one pandas row lookup per cell
    # cost ~0.1 s per table on the start page
    stat_rows = statuses.to_dict("records") if statuses is not None else None
    for i, row in enumerate(df.itertuples(index=False)):
        cells = []
        for c, v in zip(cols, row):
            text = "" if v is None or (isinstance(v, float) and v != v) else str(v)
            content = text if c in raw else html.escape(text)
            href = links[c][i] if c in links else None
            if href:
                content = f'<a href="{html.escape(href, quote=True)}" target="_self">{content}</a>'
            cls = ["num"] if c in numeric else (["nw"] if c in nowrap else (["any"] if c in anywhere else []))
            style = ""
            status = stat_rows[i].get(c) if stat_rows is not None else None
            if status:
                cls.append("st")
                style = f' style="{_status_css(status)}"'
            cells.append(f'<td class="{" ".join(cls)}" data-label="{html.escape(str(c), quote=True)}"{style}>{content}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption style='caption-side:bottom;text-align:left;color:#555;font-size:.8rem'>{html.escape(caption)}</caption>" if caption else ""
    return (f'<div class="sc-wrap"><table class="sc-table{" sc-cards" if cards else ""}" data-key="{html.escape(key, quote=True)}">{cap}'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def show_table(df: pd.DataFrame, key: str, **kw: Any) -> None:
    import streamlit as st

    st.html(html_table(df, key, **kw))


# ---------------------------------------------------------------- exports

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula (starting with = + - @, tab or CR) gets a
    leading apostrophe (OWASP's advice for CSV injection); other values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _text_columns(df: pd.DataFrame) -> list:
    return [c for c in df.columns if df[c].dtype == object or pd.api.types.is_string_dtype(df[c])]


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:  # Excel has no time zones
        if isinstance(out[c].dtype, pd.DatetimeTZDtype):
            out[c] = out[c].dt.tz_localize(None)
    return out


def to_csv_bytes(df: pd.DataFrame, lang: str = "sv", meta: Sequence[tuple[str, str]] | None = None) -> bytes:
    """CSV with a BOM (Excel opens UTF-8 correctly). Swedish: ';' and decimal comma, as Swedish
    Excel expects; English: ',' and '.'. `meta` (label, value) rows form a header block, then an
    empty line, then the table. Text cells that would start a formula are neutralised."""
    out = _plain(df)
    for c in _text_columns(out):
        out[c] = [neutralise(v) for v in out[c]]
    sep, dec = (";", ",") if lang == "sv" else (",", ".")
    head = ""
    if meta:
        block = pd.DataFrame([[neutralise(str(a)), neutralise(str(b))] for a, b in meta])
        head = block.to_csv(index=False, header=False, sep=sep) + "\n"
    body = out.to_csv(index=False, sep=sep, decimal=dec)
    return (head + body).encode("utf-8-sig")


def _excel_format(series: pd.Series, explicit: str | None) -> str | None:
    if explicit:
        return explicit
    if pd.api.types.is_bool_dtype(series):
        return None
    if pd.api.types.is_integer_dtype(series):
        return "#,##0"
    if pd.api.types.is_float_dtype(series):
        vals = series.dropna()
        if len(vals) and (vals == vals.round(0)).all():
            return "#,##0"
        return "#,##0.0"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "yyyy-mm-dd"
    return None


# Excel number formats by kind (Excel shows them with the reader's separators: 1 234,5 in Swedish Excel)
EXCEL_FORMATS = {"int": "#,##0", "dec1": "#,##0.0", "dec2": "#,##0.00", "percent": '#,##0.0" %"',
                 "kr": '#,##0" kr"', "tkr": '#,##0" tkr"', "mnkr": '#,##0.0" mnkr"', "score": "0"}


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "data", meta: Sequence[tuple[str, str]] | None = None,
                  formats: dict[str, str] | None = None, meta_sheet: str = "Om uttaget") -> bytes:
    """An .xlsx with the table on the first sheet (numbers as numbers with number formats, text as
    text — never a formula —, a frozen, bold header row, columns wide enough for their content) and
    the header block (`meta`) on a second sheet. `formats` maps a column to a kind of EXCEL_FORMATS
    or an Excel format string."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    formats = formats or {}
    out = _plain(df)
    wb = Workbook()
    ws = wb.active
    ws.title = re.sub(r"[\[\]:*?/\\]", "_", sheet)[:31] or "data"
    ws.append([str(c) for c in out.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.data_type = "s"
    col_formats = [_excel_format(out[c], EXCEL_FORMATS.get(formats.get(c, ""), formats.get(c))) for c in out.columns]
    for row in out.itertuples(index=False):
        values = []
        for v in row:
            if v is None or (isinstance(v, float) and v != v) or v is pd.NaT:
                values.append(None)
            elif isinstance(v, pd.Timestamp):
                values.append(v.to_pydatetime())
            elif hasattr(v, "item") and not isinstance(v, (str, bytes)):
                values.append(v.item())
            else:
                values.append(v)
        ws.append(values)
        r = ws.max_row
        for j, v in enumerate(values, start=1):
            cell = ws.cell(row=r, column=j)
            if isinstance(v, str):
                cell.value = v
                cell.data_type = "s"  # text stays text: "=1+1" is never a formula
            elif isinstance(v, (int, float)) and not isinstance(v, bool) and col_formats[j - 1]:
                cell.number_format = col_formats[j - 1]
            elif isinstance(v, (_dt.date, _dt.datetime)):
                cell.number_format = "yyyy-mm-dd hh:mm" if isinstance(v, _dt.datetime) else "yyyy-mm-dd"
    for j, c in enumerate(out.columns, start=1):
        width = max([len(str(c))] + [len(str(v)) for v in out[c].head(500)]) + 2
        ws.column_dimensions[get_column_letter(j)].width = min(60, max(8, width))
    ws.freeze_panes = "A2"
    if meta:
        ms = wb.create_sheet(re.sub(r"[\[\]:*?/\\]", "_", meta_sheet)[:31])
        for a, b in meta:
            ms.append([str(a), str(b)])
            for cell in ms[ms.max_row]:
                cell.data_type = "s"
            ms.cell(row=ms.max_row, column=1).font = Font(bold=True)
        ms.column_dimensions["A"].width = 24
        ms.column_dimensions["B"].width = 80
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def download_buttons(df: pd.DataFrame, name: str, t: Any, lang: str, key: str,
                     meta: Sequence[tuple[str, str]] | None = None, formats: dict[str, str] | None = None) -> None:
    """CSV and Excel buttons for a table; the files are built only when clicked."""
    import streamlit as st

    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "table"
    meta_sheet = t("export.meta_sheet")
    row = st.container(horizontal=True, gap="small")
    row.download_button(t("label.download_csv"), data=lambda: to_csv_bytes(df, lang, meta), file_name=f"{safe}.csv",
                        mime="text/csv", key=f"csv_{key}", on_click="ignore", icon=":material/download:")
    row.download_button(t("label.download_xlsx"), data=lambda: to_xlsx_bytes(df, t("export.data_sheet"), meta, formats, meta_sheet),
                        file_name=f"{safe}.xlsx", key=f"xlsx_{key}", on_click="ignore", icon=":material/table_view:",
                        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
