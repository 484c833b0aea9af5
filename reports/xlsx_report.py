"""The committee report as an Excel workbook (openpyxl): one formatted sheet each for the measures,
the perspectives, the analyses and the actions, and a sheet stating the period, the data version and
the source batches. Numbers are numbers with number formats (never text), in the warehouse's units
(88.21 with the format `#,##0.0" %"` shows as "88,2 %" in Swedish Excel); headers are frozen and
filterable; dates are dates."""
from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from reports import fmt
from reports.model import PERSPECTIVES
from reports.pdf import TINTS, name_of
from reports.texts import status_label, translator

HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
HEADER_FONT = Font(bold=True, color="FFFFFF")
SCORE_FORMAT = "0"
INT_FORMAT = "#,##0"


def _sheet(wb, title: str, head: list[str], widths: list[int]):
    ws = wb.create_sheet(title[:31])
    ws.append(head)
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
        cell = ws.cell(row=1, column=i)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return ws


def _finish(ws) -> None:
    if ws.max_row > 1:
        ws.auto_filter.ref = f"A1:{get_column_letter(ws.max_column)}{ws.max_row}"


def _date(text: str | None):
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return text


def committee_xlsx(report: dict, lang: str = "sv") -> bytes:
    t = translator(lang)
    wb = Workbook()
    wb.remove(wb.active)
    c = report["committee"]
    ws = _sheet(wb, t("sheet.measures"), [
        t("label.measure_id"), t("label.measure"), t("label.perspective"), t("label.value"), t("label.target"),
        t("label.red_threshold"), t("label.status"), t("label.score"), t("label.peer_median"), t("label.city_value"),
        t("label.change"), t("label.period")], [7, 34, 24, 13, 13, 13, 24, 9, 16, 13, 13, 11])
    for m in report["measures"]:
        target = m.get("target") if m.get("direction") != "band" else None
        ws.append([m["measure_id"], name_of(m, lang), t(f"perspective.{m['perspective']}"), m["value"], target,
                   m.get("red_threshold"), status_label(m["status"], lang, m.get("insufficient_data")), m.get("score"),
                   m.get("peer_median"), m.get("city_value"), m.get("change"),
                   fmt.period(m.get("value_period") or report["period"], lang)])
        r = ws.max_row
        number_format = fmt.excel_format(m["unit"])
        for col in (4, 5, 6, 9, 10, 11):
            ws.cell(row=r, column=col).number_format = number_format
        ws.cell(row=r, column=8).number_format = SCORE_FORMAT
        ws.cell(row=r, column=7).fill = PatternFill("solid", fgColor=TINTS.get(m["status"], TINTS["grey"]).lstrip("#"))
    _finish(ws)

    ws = _sheet(wb, t("sheet.perspectives"), [t("label.perspective"), t("label.score"), t("label.status"),
                                               t("label.peer_median"), t("label.n_red")], [28, 10, 16, 18, 12])
    for ps in report["perspectives"]:
        n_red = sum(1 for m in report["measures"] if m["perspective"] == ps["perspective"] and m["status"] == "red")
        ws.append([t(f"perspective.{ps['perspective']}"), ps.get("score"), status_label(ps["status"], lang),
                   ps.get("peer_median_score"), n_red])
        r = ws.max_row
        ws.cell(row=r, column=2).number_format = SCORE_FORMAT
        ws.cell(row=r, column=4).number_format = SCORE_FORMAT
        ws.cell(row=r, column=5).number_format = INT_FORMAT
    overall = report["overall"] or {}
    ws.append([t("label.overall"), overall.get("score"), status_label(overall.get("status") or "grey", lang)])
    ws.cell(row=ws.max_row, column=2).number_format = SCORE_FORMAT
    _finish(ws)

    names = {m["measure_id"]: f"{m['measure_id']} {name_of(m, lang)}" for m in report["measures"]}
    ws = _sheet(wb, t("sheet.analyses"), [t("label.subject"), t("label.analysis"), t("label.assessment"),
                                           t("label.author"), t("label.written_at")], [32, 80, 16, 24, 18])
    for a in report["cycle"]["analyses"]:
        subject = names.get(a["subject_id"], a["subject_id"]) if a["subject_kind"] == "measure" else (
            t(f"perspective.{a['subject_id']}") if a["subject_kind"] == "perspective" else t("subject.committee"))
        ws.append([subject, a.get("text"), t("assessment." + a["assessment"]) if a.get("assessment") else None,
                   a.get("author"), _date(a.get("written_at"))])
        ws.cell(row=ws.max_row, column=2).alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(row=ws.max_row, column=5).number_format = "yyyy-mm-dd hh:mm"
    _finish(ws)

    ws = _sheet(wb, t("sheet.actions"), [t("label.measure"), t("label.action"), t("label.responsible"), t("label.due"),
                                          t("label.action_status"), t("label.since")], [28, 60, 24, 14, 14, 12])
    for a in report["cycle"]["actions"]:
        due = dt.date.fromisoformat(a["due_date"]) if a.get("due_date") else None
        ws.append([names.get(a.get("measure_id"), ""), a["what"], a.get("responsible"), due,
                   t("action." + a.get("status", "planned")), fmt.period(a.get("period_created"), lang)])
        ws.cell(row=ws.max_row, column=4).number_format = "yyyy-mm-dd"
    _finish(ws)

    ws = _sheet(wb, t("sheet.about"), [t("label.about"), ""], [26, 70])
    wf = report["cycle"]["workflow"]
    closed = report["cycle"].get("closed")
    for k, v in [(t("label.committee"), name_of(c, lang)), (t("label.period"), fmt.period(report["period"], lang)),
                 (t("label.data_version"), int(report["data_version"]) if str(report["data_version"]).isdigit() else report["data_version"]),
                 (t("label.published_at"), _date(report["published_at"].rstrip("Z"))),
                 (t("label.workflow_state"), t("state." + wf.get("state", "not_started"))),
                 (t("label.approved_by"), wf.get("approved_by") or "–"),
                 (t("label.closed"), f"{closed.get('closed_by')}, {closed.get('closed_at', '')[:16]}" if closed else t("label.preliminary"))]:
        ws.append([k, v])
        if isinstance(v, dt.datetime):
            ws.cell(row=ws.max_row, column=2).number_format = "yyyy-mm-dd hh:mm"
    ws.cell(row=4, column=2).number_format = "0"
    ws.append([])
    ws.append([t("label.sources")])
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    start = ws.max_row + 1
    ws.append([t("label.source"), t("label.batch"), t("label.file"), t("label.rows"), t("label.periods"), t("label.loaded_at")])
    for col in range(1, 7):
        ws.cell(row=start, column=col).fill, ws.cell(row=start, column=col).font = HEADER_FILL, HEADER_FONT
    for b in report["batches"]:
        span = "–".join(x for x in (b.get("periods_min"), b.get("periods_max")) if x)
        ws.append([b["source"], int(b["batch_id"]), b["file_name"], b.get("rows_loaded"), span, _date(b.get("finished_at"))])
        ws.cell(row=ws.max_row, column=2).number_format = "0"
        ws.cell(row=ws.max_row, column=4).number_format = INT_FORMAT
        ws.cell(row=ws.max_row, column=6).number_format = "yyyy-mm-dd hh:mm"
    for col, w in zip("CDEF", (40, 12, 18, 18)):
        ws.column_dimensions[col].width = max(ws.column_dimensions[col].width or 0, w)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
