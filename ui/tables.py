"""Tables for people: HTML tables that never cut text off (cells wrap, links lead on, a narrow
screen gets one card per row), and CSV / Excel exports with headers in the UI language, numbers as
numbers with Swedish formats, statuses as words, a header block / sheet naming period, grain, data
version and filters, and no cell a spreadsheet would run as a formula."""
from __future__ import annotations

import datetime as _dt
import html
import io
import re
import unicodedata
from typing import Any, Iterable, Sequence

import pandas as pd

from ui import status as S
from ui.formatting import is_missing

# ---------------------------------------------------------------- HTML tables

TABLE_CSS = """
<style>
.sc-wrap{overflow-x:auto;margin:0 0 .5rem 0;container-type:inline-size}
table.sc-table{border-collapse:collapse;width:100%;font-size:.86rem;line-height:1.3}
table.sc-table th{background:#F0F2F6;text-align:left;font-weight:600;padding:5px 5px;border-bottom:2px solid #D0D3DA;
  vertical-align:bottom;white-space:normal;overflow-wrap:break-word}
table.sc-table td{padding:4px 5px;border-bottom:1px solid #E6E8EC;vertical-align:top;white-space:normal;
  overflow-wrap:break-word}
table.sc-table td.any{overflow-wrap:anywhere}
table.sc-table td.num{text-align:right;white-space:normal}  /* a number holds together by its no-break spaces; a unit may go to the next line */
table.sc-table th.num{text-align:right}
table.sc-table td.st{overflow-wrap:normal}
table.sc-table td.nw{white-space:nowrap;overflow-wrap:normal}
table.sc-table td a{color:#0B5CAD;text-decoration:underline;text-underline-offset:2px}
table.sc-table tr:hover td{background-image:linear-gradient(rgba(0,0,0,.03),rgba(0,0,0,.03))}
table.sc-table td.st{border-left:5px solid transparent}
table.sc-table.sc-dense{font-size:.8rem}
table.sc-table.sc-dense td,table.sc-table.sc-dense th{padding:4px 4px}
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

DENSE_COLUMNS = 8  # a table with this many columns or more gets a smaller type (it fits at 1280 px)
PHONE_PX = 640  # every table of cards becomes cards below this screen width (TABLE_CSS)
RECORD_COLUMNS = 12  # a table this wide (a record list) becomes cards wherever its place is narrower than it needs

# the card rules of TABLE_CSS for one table, used when its place is narrower than the table needs
_CARD_RULES = """
  {t} thead{{display:none}}
  {t},{t} tbody,{t} tr,{t} td{{display:block;width:100%;box-sizing:border-box}}
  {t} tr{{border:1px solid #D0D3DA;border-radius:6px;margin:0 0 10px 0;padding:4px 0;background:#fff}}
  {t} td{{display:flex;justify-content:space-between;gap:12px;border-bottom:1px solid #F0F2F6;text-align:right}}
  {t} td.num,{t} td.st{{white-space:normal}}
  {t} td::before{{content:attr(data-label);font-weight:600;text-align:left;color:#31333F;flex:0 0 45%}}
  {t} td:first-child{{font-weight:600}}
  {t} td:empty{{display:none}}
"""


def needed_width(df: pd.DataFrame, numeric: Iterable[str] = (), nowrap: Iterable[str] = ()) -> int:
    """An estimate (px, dense type) of the narrowest the table can be without cutting text: per column
    its longest unbreakable piece (a word; a whole number or a no-wrap cell), a header word at most a
    hyphenated syllable run, plus padding. Generous rather than tight: a table estimated too wide is
    shown as cards a little early, never cut."""
    nowrap = set(nowrap)
    total = 0
    for c in df.columns:
        widest = 0
        for v in df[c].head(200):
            text = "" if is_missing(v) else str(v)
            pieces = [text] if c in nowrap else re.split(r"[\s\-–/]+", text)
            widest = max([widest] + [len(p) for p in pieces])
        head = max([len(w) for w in re.split(r"[\s\-–/]+", str(c))] + [0])
        total += max(widest * 6.5, min(head, 9) * 7) + 10
    return int(total)
HYPHENATE_FROM = 8  # header words this long get soft hyphens (Swedish compounds are long)


def _hyphenator(lang: str):
    h = _HYPHENATORS.get(lang)
    if h is None:  # the patterns parsed once, then kept on disk between server starts (ui/startcache.py)
        from ui.startcache import hyphenator

        h = _HYPHENATORS.setdefault(lang, hyphenator("sv_SE" if lang == "sv" else "en_GB"))
    return h


_HYPHENATORS: dict = {}


def hyphenate(text: str, lang: str = "sv") -> str:
    """Soft hyphens (U+00AD) at the language's hyphenation points in words of HYPHENATE_FROM letters
    or more: a narrow column breaks "Nyttorealiseringsgrad" as "Nyttorealise-/ringsgrad" instead of
    running past its neighbours. Shown text is unchanged where the column is wide enough."""
    h = _hyphenator(lang)
    return re.sub(rf"\w{{{HYPHENATE_FROM},}}", lambda m: h.inserted(m.group(0), hyphen="\u00ad"), text)


# status look for a table cell (Okabe–Ito edge colour, light tint, dark text)
def _status_css(status: str) -> str:
    s = S.norm(status)
    return f"background:{S.TINTS[s]};border-left-color:{S.COLOURS[s]};color:#1a1a1a"


# (TABLE_CSS is put on every page once by ui.page.setup_page)
def html_table(df: pd.DataFrame, key: str, links: dict[str, Sequence[str | None]] | None = None,
               statuses: pd.DataFrame | None = None, numeric: Iterable[str] = (), caption: str = "",
               raw: Iterable[str] = (), cards: bool = True, nowrap: Iterable[str] = (),
               anywhere: Iterable[str] = (), lang: str = "sv") -> str:
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
    head = "".join(f'<th class="{"num" if c in numeric else ""}" scope="col">{html.escape(hyphenate(str(c), lang))}</th>'
                   for c in cols)
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
    dense = " sc-dense" if len(cols) >= DENSE_COLUMNS else ""
    style = ""
    need = needed_width(df, numeric, nowrap) if cards and len(cols) >= RECORD_COLUMNS else 0
    if need > PHONE_PX:  # wider than its place (a long record list at 1280 px): cards there too
        sel = f'table.sc-cards[data-key="{html.escape(key, quote=True)}"]'
        style = f"<style>@container (max-width: {need}px){{{_CARD_RULES.format(t=sel)}}}</style>"
    return (f'{style}<div class="sc-wrap"><table class="sc-table{" sc-cards" if cards else ""}{dense}" lang="{lang}" '
            f'data-key="{html.escape(key, quote=True)}">{cap}'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def display_frame(df: pd.DataFrame, lang: str = "sv") -> pd.DataFrame:
    """Numbers a page left as numbers become text in the UI language's format (counts without
    decimals, other numbers with one); missing values become "–". Text columns pass unchanged."""
    from ui.formatting import format_number

    out = df.copy()
    for c in out.columns:
        s = out[c]
        if pd.api.types.is_bool_dtype(s):
            continue
        if pd.api.types.is_integer_dtype(s):
            out[c] = [format_number(v, 0, lang) for v in s]
        elif pd.api.types.is_float_dtype(s):
            vals = s.dropna()
            whole = bool(len(vals)) and bool((vals == vals.round(0)).all())
            out[c] = [format_number(v, 0 if whole else 1, lang) for v in s]
    return out


def numeric_columns(df: pd.DataFrame) -> list:
    """Columns whose every shown cell is a number (as sort_key reads it, units allowed): they are
    right-aligned."""
    cols = []
    for c in df.columns:
        keys = [sort_key(v) for v in df[c]]
        if any(k[0] == 0 for k in keys) and all(k[0] != 1 for k in keys):
            cols.append(c)
    return cols


def quantity_cells(values: Iterable[Any], units: Iterable[Any], lang: str = "sv") -> tuple[list[str], list[str]]:
    """Values in their own units split in two columns, the number and the unit (a table with four
    quantity columns then names the unit once and stays narrow). Money keeps its kr/tkr/mnkr with the
    number, as format_quantity shows it, and leaves the unit cell empty."""
    from ui.formatting import format_number, format_quantity

    numbers, unit_texts = [], []
    for v, u in zip(values, units):
        if str(u).strip().upper() in ("SEK", "KR"):
            numbers.append(format_quantity(v, u, lang))
            unit_texts.append("")
        else:
            numbers.append(format_number(v, 0, lang))
            unit_texts.append("" if is_missing(u) else str(u))
    return numbers, unit_texts


def show_table(df: pd.DataFrame, key: str, **kw: Any) -> None:
    """Put an HTML table on the page. Numbers left as numbers are formatted in the UI language;
    without `numeric`, the columns holding only numbers are right-aligned."""
    import streamlit as st

    from ui.page import current_lang

    lang = current_lang()
    df = display_frame(df, lang)
    if "numeric" not in kw:
        kw["numeric"] = numeric_columns(df)
    st.html(html_table(df, key, lang=lang, **kw))


def markdown_text(text: str) -> str:
    """Text shown as itself where Streamlit reads Markdown (an expander's label): ASCII punctuation escaped, so
    "1. Tillgänglighet …" is no list item, and * _ $ [ ] in a name are no emphasis, formula or link."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$])", r"\\\1", str(text))


GROUP_MIN_ROWS = 10  # a table this short stays one table on a phone too


def show_table_groups(df: pd.DataFrame, key: str, groups: Sequence[Any], labels: dict[Any, str],
                      group_column: str | None = None, **kw: Any) -> None:
    """A long table that a phone shows in sections: on a wide screen the one table as show_table draws it
    (in a `wide_only_<key>` container); below 640 px (ui.page.LAYOUT_CSS) one collapsed section (st.expander)
    per group instead, in the order of `labels`, each headed `labels[group]` (name and count) and holding that
    group's rows in their order, as cards. `groups[i]` is row i's group; `links` lists are split with the rows;
    `group_column`, the column the heads name, is left out inside the sections (a card does not repeat its
    section's name). A table of at most GROUP_MIN_ROWS rows or of one group is drawn once, as show_table.
    A phone then scrolls past five section heads, not every row's card (Portföljer's 80 projects as cards were
    24 000 px), and every row is a tap away."""
    import streamlit as st

    from ui.page import current_lang

    groups = list(groups)
    present = set(groups)
    order = [g for g in labels if g in present]
    if not present <= set(order):
        raise ValueError(f"table {key!r}: groups without a section head: {sorted(map(str, present - set(order)))}")
    if len(df) <= GROUP_MIN_ROWS or len(order) <= 1:
        show_table(df, key, **kw)
        return
    if "numeric" not in kw:  # decided on the whole table: every section aligns its columns alike
        kw["numeric"] = numeric_columns(display_frame(df, current_lang()))
    links = kw.pop("links", None) or {}
    with st.container(key=f"wide_only_{key}"):
        show_table(df, key, links=links, **kw)
    with st.container(key=f"narrow_only_{key}"):
        part = df.drop(columns=[group_column]) if group_column is not None else df
        for n, g in enumerate(order):
            rows = [i for i, x in enumerate(groups) if x == g]
            with st.expander(markdown_text(labels[g])):
                show_table(part.iloc[rows], f"{key}_{n + 1}",
                           links={c: [v[i] for i in rows] for c, v in links.items() if c != group_column}, **kw)


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


# ---------------------------------------------------------------- long record lists: sort and page

PAGE_SIZE = 50  # rows of a record list shown at once; the download always holds them all
SORT_MIN_ROWS = 10  # a shorter table is read at a glance and gets no sort control

_NUMBER_TEXT = re.compile(r"^\s*([−-]?)\s*(\d[\d \u00a0\u202f]*)(?:,(\d+))?(?:\s+[^\d\s]\S*|\s*%)?\s*$")


# Swedish alphabetical order (SS 1 01 50 / Svenska Akademiens ordlista): å ä ö are letters of their own
# after z; æ sorts as ä and ø as ö; other accented letters (é, ü, ...) sort as their base letter. English
# names sort by their base letters.
_SV_LETTERS = {"å": "{", "ä": "|", "æ": "|", "ö": "}", "ø": "}"}  # the three code points after "z"


def collation_key(text: Any, lang: str = "sv") -> str:
    """Case-blind alphabetical sort key of a name in the UI language `lang` ("sv": å ä ö after z)."""
    folded = str(text).casefold()
    out = []
    for ch in folded:
        if lang == "sv" and ch in _SV_LETTERS:
            out.append(_SV_LETTERS[ch])
            continue
        out.append("".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c)))
    return "".join(out)


def sort_key(value: Any) -> tuple:
    """A sort key for a cell as shown: numbers in Swedish format ("1 234,5 tkr", "−3", "12 %") sort
    as numbers, other text case-blind in Swedish alphabetical order (collation_key: å ä ö after z);
    missing ("", "–", None, nan) after everything. Numbers sort before text, so a column mixing them
    keeps its numbers together."""
    if is_missing(value) or (isinstance(value, str) and value.strip() in ("", "–", "-")):
        return (2, 0.0, "")
    if isinstance(value, bool):
        return (1, 0.0, str(value))
    if isinstance(value, (int, float)) or hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return (0, float(value), "")
        except (TypeError, ValueError):
            pass
    if isinstance(value, (_dt.date, _dt.datetime, pd.Timestamp)):
        return (1, 0.0, pd.Timestamp(value).isoformat())
    text = str(value)
    m = _NUMBER_TEXT.match(text)
    if m:
        whole = re.sub(r"[ \u00a0\u202f]", "", m.group(2))
        number = float(f"{whole}.{m.group(3) or 0}")
        return (0, -number if m.group(1) else number, "")
    return (1, 0.0, collation_key(text))


def sorted_positions(values: Sequence[Any], descending: bool = False) -> list[int]:
    """Row positions in sort order of `values` (see sort_key); ties keep their order; missing values
    stay last in both directions."""
    keys = [sort_key(v) for v in values]
    present = [i for i, k in enumerate(keys) if k[0] != 2]
    missing = [i for i, k in enumerate(keys) if k[0] == 2]
    present.sort(key=lambda i: keys[i], reverse=descending)  # Python keeps ties in order with reverse=True
    return present + missing


def page_bounds(n_rows: int, page: int, page_size: int = PAGE_SIZE) -> tuple[int, int, int]:
    """(first row, end row (exclusive), page) of page `page` (1-based, clamped to 1..pages)."""
    pages = max(1, -(-n_rows // page_size))
    page = min(max(1, int(page)), pages)
    lo = (page - 1) * page_size
    return lo, min(n_rows, lo + page_size), page


def show_records(df: pd.DataFrame, key: str, t: Any, fmt_number: Any, sort_values: pd.DataFrame | None = None,
                 page_size: int = PAGE_SIZE, sortable: bool = True, keep: dict | None = None, **kw: Any) -> None:
    """A long list of records as an HTML table (nothing cut off, cards on a phone): sortable by any
    column (by its raw value when `sort_values` — same columns, same rows — has it, else by the
    text as shown, numbers as numbers) and shown `page_size` rows at a time with previous / next.
    `links` and `statuses` (kw) follow the rows. The caller offers the full download. `keep`: session
    values the table's own widgets set again when used (the open tab of a page with lazy tabs: a
    browser that joined a fresh server can send a stale tab with the click)."""
    import streamlit as st

    def keep_state() -> None:
        st.session_state.update(keep or {})

    n = len(df)
    cols = list(df.columns)
    order = list(range(n))
    if sortable and n > SORT_MIN_ROWS:
        c1, c2, _ = st.columns([3, 2, 3], vertical_alignment="bottom")
        by = c1.selectbox(t("table.sort_by"), [None, *cols], key=f"_tbl_{key}_sort", on_change=keep_state,
                          format_func=lambda c: t("table.sort_as_listed") if c is None else str(c))
        desc = c2.toggle(t("table.descending"), key=f"_tbl_{key}_desc", on_change=keep_state)
        if by is not None:
            vals = sort_values[by] if sort_values is not None and by in sort_values.columns else df[by]
            order = sorted_positions(list(vals), desc)
    pk = f"_tbl_{key}_page"
    signature = (n, tuple(cols), st.session_state.get(f"_tbl_{key}_sort"), st.session_state.get(f"_tbl_{key}_desc"))
    if st.session_state.get(f"_tbl_{key}_sig") != signature:  # another order or other rows: back to the first page
        st.session_state[f"_tbl_{key}_sig"] = signature
        st.session_state[pk] = 1
    lo, hi, page = page_bounds(n, st.session_state.get(pk, 1), page_size)
    st.session_state[pk] = page
    rows = order[lo:hi]
    shown = df.iloc[rows].reset_index(drop=True)
    if kw.get("links"):
        kw["links"] = {c: [list(v)[i] for i in rows] for c, v in kw["links"].items()}
    if kw.get("statuses") is not None:
        kw["statuses"] = kw["statuses"].iloc[rows].reset_index(drop=True)
    show_table(shown, key, **kw)
    pages = max(1, -(-n // page_size))
    if pages > 1:
        def go(step: int) -> None:
            keep_state()
            st.session_state[pk] = min(max(1, st.session_state.get(pk, 1) + step), pages)

        bar = st.container(horizontal=True, gap="small", vertical_alignment="center")
        bar.button(t("table.previous"), key=f"_tbl_{key}_prev", on_click=go, args=(-1,), disabled=page == 1,
                   icon=":material/chevron_left:")
        bar.markdown(t("table.rows_of", first=fmt_number(lo + 1), last=fmt_number(hi), n=fmt_number(n),
                       page=fmt_number(page), pages=fmt_number(pages)))
        bar.button(t("table.next"), key=f"_tbl_{key}_next", on_click=go, args=(1,), disabled=page == pages,
                   icon=":material/chevron_right:")
